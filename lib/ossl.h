/* ossl.h - OpenSSL's libcrypto, loaded the first time a key needs it.
 *
 * Loading libcrypto.so.3 into a fresh process costs more than the whole
 * rest of an authentication (its dynamic relocations and OpenSSL's own
 * initialisation: about 5 ms on a 2-core VM, against 3 ms for a whole
 * pam_permit process).  HMAC-SHA-256/512 and Ed25519 need only libsodium,
 * so the module does not link libcrypto: it opens it with dlopen when an
 * RSA or EC key, or HS384, is first used, and calls it through the table
 * below.  A host that already has libcrypto (sshd) gets its copy back.
 *
 * The table is mutable process-wide state, a deliberate exception to the
 * rule of no mutable static state (README, Security design), for the 5 ms
 * above.  It is thread-safe and
 * fork-safe because it takes no lock at all: each thread that finds it
 * empty opens libcrypto and looks up every symbol on its own (dlopen and
 * dlsym are thread-safe and refcounted, and return the same addresses to
 * every caller), then stores each member with an atomic store and sets
 * pj_ossl_ready last (release).  Threads that race store identical values;
 * a reader that saw pj_ossl_ready (acquire) sees a complete table.  A
 * process forked while another thread was half way through a load finds
 * either a complete table or pj_ossl_ready still 0, and then loads it
 * itself: nothing held by a thread that fork() left behind can block it
 * (a mutex could: the child of a fork during the load would hang at its
 * first RSA login).  A failed load leaves the flag at 0, so the next call
 * tries again.
 *
 * A .c file that calls OpenSSL includes this header last; the macros at the
 * end send each call through the table (an atomic relaxed load: a plain
 * move on x86-64 and arm64).  Every path to such a call starts with
 * pj_ossl_load(), or holds an OpenSSL object (which it could only have got
 * after a load).  pam_jwt.so is linked with --no-undefined and without
 * -lcrypto, so a call that bypasses the table does not link.
 */
#ifndef PJ_OSSL_H
#define PJ_OSSL_H

#include <stddef.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#define PJ_OSSL_SONAME "libcrypto.so.3"

/* Every libcrypto function that lib/ (apart from sign.c) calls. */
#define PJ_OSSL_FUNCS(X) \
	X(BN_bin2bn) X(BN_bn2binpad) X(BN_free) X(BN_is_odd) X(BN_num_bits) \
	X(CRYPTO_free) X(ERR_clear_error) X(ERR_get_error) X(ERR_peek_error) \
	X(ERR_reason_error_string) \
	X(ECDSA_SIG_free) X(ECDSA_SIG_new) X(ECDSA_SIG_set0) X(i2d_ECDSA_SIG) \
	X(EVP_DigestFinal_ex) X(EVP_DigestInit_ex2) X(EVP_DigestUpdate) \
	X(EVP_DigestVerify) X(EVP_DigestVerifyInit) \
	X(EVP_MD_CTX_free) X(EVP_MD_CTX_new) X(EVP_MD_fetch) X(EVP_MD_free) \
	X(EVP_PKEY_CTX_free) X(EVP_PKEY_CTX_new_from_name) \
	X(EVP_PKEY_CTX_set_rsa_mgf1_md) X(EVP_PKEY_CTX_set_rsa_padding) \
	X(EVP_PKEY_CTX_set_rsa_pss_saltlen) \
	X(EVP_PKEY_free) X(EVP_PKEY_fromdata) X(EVP_PKEY_fromdata_init) \
	X(EVP_PKEY_get_base_id) X(EVP_PKEY_get_bits) X(EVP_PKEY_get_bn_param) \
	X(EVP_PKEY_get_raw_public_key) X(EVP_PKEY_get_utf8_string_param) \
	X(EVP_sha256) X(EVP_sha384) X(EVP_sha512) \
	X(OSSL_PARAM_BLD_free) X(OSSL_PARAM_BLD_new) X(OSSL_PARAM_BLD_push_BN) \
	X(OSSL_PARAM_BLD_to_param) X(OSSL_PARAM_construct_end) \
	X(OSSL_PARAM_construct_octet_string) X(OSSL_PARAM_construct_utf8_string) \
	X(OSSL_PARAM_free)

struct pj_ossl_table {
/* f names a member here: it cannot be parenthesised */
#define PJ_OSSL_MEMBER(f) __typeof__(f) *f; /* NOLINT(bugprone-macro-parentheses) */
	PJ_OSSL_FUNCS(PJ_OSSL_MEMBER)
#undef PJ_OSSL_MEMBER
};

/* Members are read and written only with __atomic builtins (the macros
 * below).  Not static only so that tests can swap a member for a failing
 * stub, and tests/fault/fault.c can return its warmed-up parent process to
 * the state of a host that has never opened it (zero both). */
extern struct pj_ossl_table pj_ossl;
extern int pj_ossl_ready; /* use pj_ossl_loaded() */

/* Open libcrypto and fill the table, once per process (a failure is tried
 * again at the next call); no lock (see the top).  PJ_OK, or PJ_E_KEY with
 * the reason: without libcrypto no RSA, EC or HS384 key can be used.
 * Called at the start of every libcrypto sequence: on PJ_OK it also
 * empties this thread's error queue, so that an error read afterwards is
 * ours, never one the host process (sshd, sudo) left queued. */
int pj_ossl_load(char *reason, size_t rlen) __attribute__((warn_unused_result));

/* 1 once the table is filled. */
int pj_ossl_loaded(void);

/* A libcrypto call that failed, in words: "libcrypto: CALL failed DOING:
 * DETAIL", DOING from fmt (e.g. "building an RSA key"), DETAIL the first
 * error libcrypto queued (or that it queued none).  Takes the queued errors
 * off the queue.  Returns PJ_E_NOMEM when libcrypto queued an allocation
 * failure (out of memory is out of memory, wherever it happens), else err:
 * PJ_E_KEY while building a key (PAM_AUTHINFO_UNAVAIL), PJ_E_INTERNAL at
 * verify time (PAM_SYSTEM_ERR).  Never for a signature that merely does not
 * verify.  Only after a successful pj_ossl_load. */
int pj_ossl_fail(int err, char *reason, size_t rlen, const char *call,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#ifndef PJ_OSSL_NO_REDIRECT
/* f names a member: it cannot be parenthesised */
#define PJ_OSSL_CALL(f) (__atomic_load_n(&pj_ossl.f, __ATOMIC_RELAXED)) /* NOLINT(bugprone-macro-parentheses) */
#define BN_bin2bn PJ_OSSL_CALL(BN_bin2bn)
#define BN_free PJ_OSSL_CALL(BN_free)
#define BN_is_odd PJ_OSSL_CALL(BN_is_odd)
#define BN_bn2binpad PJ_OSSL_CALL(BN_bn2binpad)
#define BN_num_bits PJ_OSSL_CALL(BN_num_bits)
#define CRYPTO_free PJ_OSSL_CALL(CRYPTO_free)
#define ERR_clear_error PJ_OSSL_CALL(ERR_clear_error)
#define ERR_get_error PJ_OSSL_CALL(ERR_get_error)
#define ERR_peek_error PJ_OSSL_CALL(ERR_peek_error)
#define ERR_reason_error_string PJ_OSSL_CALL(ERR_reason_error_string)
#define ECDSA_SIG_free PJ_OSSL_CALL(ECDSA_SIG_free)
#define ECDSA_SIG_new PJ_OSSL_CALL(ECDSA_SIG_new)
#define ECDSA_SIG_set0 PJ_OSSL_CALL(ECDSA_SIG_set0)
#define i2d_ECDSA_SIG PJ_OSSL_CALL(i2d_ECDSA_SIG)
#define EVP_DigestFinal_ex PJ_OSSL_CALL(EVP_DigestFinal_ex)
#define EVP_DigestInit_ex2 PJ_OSSL_CALL(EVP_DigestInit_ex2)
#define EVP_DigestUpdate PJ_OSSL_CALL(EVP_DigestUpdate)
#define EVP_DigestVerify PJ_OSSL_CALL(EVP_DigestVerify)
#define EVP_DigestVerifyInit PJ_OSSL_CALL(EVP_DigestVerifyInit)
#define EVP_MD_CTX_free PJ_OSSL_CALL(EVP_MD_CTX_free)
#define EVP_MD_CTX_new PJ_OSSL_CALL(EVP_MD_CTX_new)
#define EVP_MD_fetch PJ_OSSL_CALL(EVP_MD_fetch)
#define EVP_MD_free PJ_OSSL_CALL(EVP_MD_free)
#define EVP_PKEY_CTX_free PJ_OSSL_CALL(EVP_PKEY_CTX_free)
#define EVP_PKEY_CTX_new_from_name PJ_OSSL_CALL(EVP_PKEY_CTX_new_from_name)
#define EVP_PKEY_CTX_set_rsa_mgf1_md PJ_OSSL_CALL(EVP_PKEY_CTX_set_rsa_mgf1_md)
#define EVP_PKEY_CTX_set_rsa_padding PJ_OSSL_CALL(EVP_PKEY_CTX_set_rsa_padding)
#define EVP_PKEY_CTX_set_rsa_pss_saltlen PJ_OSSL_CALL(EVP_PKEY_CTX_set_rsa_pss_saltlen)
#define EVP_PKEY_free PJ_OSSL_CALL(EVP_PKEY_free)
#define EVP_PKEY_fromdata PJ_OSSL_CALL(EVP_PKEY_fromdata)
#define EVP_PKEY_fromdata_init PJ_OSSL_CALL(EVP_PKEY_fromdata_init)
#define EVP_PKEY_get_base_id PJ_OSSL_CALL(EVP_PKEY_get_base_id)
#define EVP_PKEY_get_bits PJ_OSSL_CALL(EVP_PKEY_get_bits)
#define EVP_PKEY_get_bn_param PJ_OSSL_CALL(EVP_PKEY_get_bn_param)
#define EVP_PKEY_get_raw_public_key PJ_OSSL_CALL(EVP_PKEY_get_raw_public_key)
#define EVP_PKEY_get_utf8_string_param PJ_OSSL_CALL(EVP_PKEY_get_utf8_string_param)
#define EVP_sha256 PJ_OSSL_CALL(EVP_sha256)
#define EVP_sha384 PJ_OSSL_CALL(EVP_sha384)
#define EVP_sha512 PJ_OSSL_CALL(EVP_sha512)
#define OSSL_PARAM_BLD_free PJ_OSSL_CALL(OSSL_PARAM_BLD_free)
#define OSSL_PARAM_BLD_new PJ_OSSL_CALL(OSSL_PARAM_BLD_new)
#define OSSL_PARAM_BLD_push_BN PJ_OSSL_CALL(OSSL_PARAM_BLD_push_BN)
#define OSSL_PARAM_BLD_to_param PJ_OSSL_CALL(OSSL_PARAM_BLD_to_param)
#define OSSL_PARAM_construct_end PJ_OSSL_CALL(OSSL_PARAM_construct_end)
#define OSSL_PARAM_construct_octet_string PJ_OSSL_CALL(OSSL_PARAM_construct_octet_string)
#define OSSL_PARAM_construct_utf8_string PJ_OSSL_CALL(OSSL_PARAM_construct_utf8_string)
#define OSSL_PARAM_free PJ_OSSL_CALL(OSSL_PARAM_free)
#endif

#endif
