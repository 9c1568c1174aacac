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
 * A .c file that calls OpenSSL includes this header last; the macros at the
 * end send each call through the table.  Every path to such a call starts
 * with pj_ossl_load(), or holds an OpenSSL object (which it could only have
 * got after a load).  pam_jwt.so is linked with --no-undefined and without
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
	X(CRYPTO_free) X(ERR_clear_error) \
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

extern struct pj_ossl_table pj_ossl;
extern int pj_ossl_ready; /* use pj_ossl_loaded() */

/* Open libcrypto and fill the table, once per process (a failure is tried
 * again at the next call).  PJ_OK, or PJ_E_KEY with the reason: without
 * libcrypto no RSA, EC or HS384 key can be used. */
int pj_ossl_load(char *reason, size_t rlen) __attribute__((warn_unused_result));

/* 1 once the table is filled. */
int pj_ossl_loaded(void);

#ifndef PJ_OSSL_NO_REDIRECT
#define BN_bin2bn (pj_ossl.BN_bin2bn)
#define BN_free (pj_ossl.BN_free)
#define BN_is_odd (pj_ossl.BN_is_odd)
#define BN_bn2binpad (pj_ossl.BN_bn2binpad)
#define BN_num_bits (pj_ossl.BN_num_bits)
#define CRYPTO_free (pj_ossl.CRYPTO_free)
#define ERR_clear_error (pj_ossl.ERR_clear_error)
#define ECDSA_SIG_free (pj_ossl.ECDSA_SIG_free)
#define ECDSA_SIG_new (pj_ossl.ECDSA_SIG_new)
#define ECDSA_SIG_set0 (pj_ossl.ECDSA_SIG_set0)
#define i2d_ECDSA_SIG (pj_ossl.i2d_ECDSA_SIG)
#define EVP_DigestFinal_ex (pj_ossl.EVP_DigestFinal_ex)
#define EVP_DigestInit_ex2 (pj_ossl.EVP_DigestInit_ex2)
#define EVP_DigestUpdate (pj_ossl.EVP_DigestUpdate)
#define EVP_DigestVerify (pj_ossl.EVP_DigestVerify)
#define EVP_DigestVerifyInit (pj_ossl.EVP_DigestVerifyInit)
#define EVP_MD_CTX_free (pj_ossl.EVP_MD_CTX_free)
#define EVP_MD_CTX_new (pj_ossl.EVP_MD_CTX_new)
#define EVP_MD_fetch (pj_ossl.EVP_MD_fetch)
#define EVP_MD_free (pj_ossl.EVP_MD_free)
#define EVP_PKEY_CTX_free (pj_ossl.EVP_PKEY_CTX_free)
#define EVP_PKEY_CTX_new_from_name (pj_ossl.EVP_PKEY_CTX_new_from_name)
#define EVP_PKEY_CTX_set_rsa_mgf1_md (pj_ossl.EVP_PKEY_CTX_set_rsa_mgf1_md)
#define EVP_PKEY_CTX_set_rsa_padding (pj_ossl.EVP_PKEY_CTX_set_rsa_padding)
#define EVP_PKEY_CTX_set_rsa_pss_saltlen (pj_ossl.EVP_PKEY_CTX_set_rsa_pss_saltlen)
#define EVP_PKEY_free (pj_ossl.EVP_PKEY_free)
#define EVP_PKEY_fromdata (pj_ossl.EVP_PKEY_fromdata)
#define EVP_PKEY_fromdata_init (pj_ossl.EVP_PKEY_fromdata_init)
#define EVP_PKEY_get_base_id (pj_ossl.EVP_PKEY_get_base_id)
#define EVP_PKEY_get_bits (pj_ossl.EVP_PKEY_get_bits)
#define EVP_PKEY_get_bn_param (pj_ossl.EVP_PKEY_get_bn_param)
#define EVP_PKEY_get_raw_public_key (pj_ossl.EVP_PKEY_get_raw_public_key)
#define EVP_PKEY_get_utf8_string_param (pj_ossl.EVP_PKEY_get_utf8_string_param)
#define EVP_sha256 (pj_ossl.EVP_sha256)
#define EVP_sha384 (pj_ossl.EVP_sha384)
#define EVP_sha512 (pj_ossl.EVP_sha512)
#define OSSL_PARAM_BLD_free (pj_ossl.OSSL_PARAM_BLD_free)
#define OSSL_PARAM_BLD_new (pj_ossl.OSSL_PARAM_BLD_new)
#define OSSL_PARAM_BLD_push_BN (pj_ossl.OSSL_PARAM_BLD_push_BN)
#define OSSL_PARAM_BLD_to_param (pj_ossl.OSSL_PARAM_BLD_to_param)
#define OSSL_PARAM_construct_end (pj_ossl.OSSL_PARAM_construct_end)
#define OSSL_PARAM_construct_octet_string (pj_ossl.OSSL_PARAM_construct_octet_string)
#define OSSL_PARAM_construct_utf8_string (pj_ossl.OSSL_PARAM_construct_utf8_string)
#define OSSL_PARAM_free (pj_ossl.OSSL_PARAM_free)
#endif

#endif
