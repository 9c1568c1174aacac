/* hog.h - Nettle's libhogweed (with libnettle and libgmp), loaded the
 * first time a key needs it: the module's RSA, ECDSA and HS384.
 *
 * Why not OpenSSL: loading and initialising libcrypto.so.3 in a fresh
 * process costs 16-17x the instructions of a whole trivial PAM module
 * (OPENSSL_init_crypto and the first fetch); libhogweed with libnettle and
 * libgmp costs a fraction of that (NOTES-design.md, the fresh-process
 * table).  Why still dlopen and not a DT_NEEDED entry: HMAC-SHA-256/512
 * and Ed25519 need only libsodium, and linking libhogweed would make every
 * such login pay its relocations (about 0.8M instructions, callgrind).
 * The module never loads libcrypto (the tool, tools/, links OpenSSL for
 * signing and key generation: tools/sign.c).
 *
 * The table takes no lock, so it is thread-safe and fork-safe (a child of
 * a fork during a load finds either a complete table or none and loads
 * by itself; a mutex held by a thread that fork() left behind would hang
 * it), and a failed load is tried again at the next call: each loader
 * fills a table of its own, publishes it member by member with atomic
 * stores and sets pj_hog_ready last (release).  Racing loaders store
 * identical values (dlopen and dlsym are refcounted and return the same
 * addresses to every caller).  A .c file that
 * calls Nettle or GMP includes this header last; the macros at the end send
 * each call through the table.  pam_jwt.so is linked with --no-undefined
 * and without -lhogweed, so a call that bypasses the table does not link.
 *
 * GMP aborts the process when an allocation fails, and Nettle allocates
 * through it (the numbers of a key, a signature, the RSA exponentiation).
 * The module does not install its own GMP memory functions: they are
 * process-wide and would change every other GMP user in the host. */
#ifndef PJ_HOG_H
#define PJ_HOG_H

#include <stddef.h>
#include <gmp.h>
#include <nettle/dsa.h>
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <nettle/hmac.h>
#include <nettle/rsa.h>
#include <nettle/sha2.h>

#define PJ_HOG_SONAME "libhogweed.so.6"

/* Every Nettle and GMP function that lib/ calls (libnettle and libgmp
 * symbols are found through libhogweed's handle: its dependencies). */
#define PJ_HOG_FUNCS(X) \
	X(__gmpz_init) X(__gmpz_clear) X(__gmpz_import) \
	X(nettle_rsa_public_key_init) X(nettle_rsa_public_key_prepare) \
	X(nettle_rsa_public_key_clear) X(nettle_rsa_pkcs1_verify) \
	X(nettle_rsa_pss_sha256_verify_digest) \
	X(nettle_rsa_pss_sha384_verify_digest) \
	X(nettle_rsa_pss_sha512_verify_digest) \
	X(nettle_get_secp_256r1) X(nettle_get_secp_384r1) \
	X(nettle_get_secp_521r1) \
	X(nettle_ecc_point_init) X(nettle_ecc_point_set) \
	X(nettle_ecc_point_clear) X(nettle_ecdsa_verify) \
	X(nettle_sha256_init) X(nettle_sha256_update) X(nettle_sha256_digest) \
	X(nettle_sha384_init) X(nettle_sha384_digest) \
	X(nettle_sha512_init) X(nettle_sha512_update) X(nettle_sha512_digest) \
	X(nettle_hmac_sha384_set_key) X(nettle_hmac_sha512_update) \
	X(nettle_hmac_sha384_digest)

struct pj_hog_table {
/* f names a member here: it cannot be parenthesised */
#define PJ_HOG_MEMBER(f) __typeof__(f) *f; /* NOLINT(bugprone-macro-parentheses) */
	PJ_HOG_FUNCS(PJ_HOG_MEMBER)
#undef PJ_HOG_MEMBER
};

/* Members are read and written only with __atomic builtins.  Not static
 * only so that tests can swap a member for a stub, and tests/fault/fault.c
 * can return its warmed-up parent to the state of a host that has never
 * opened it (zero both). */
extern struct pj_hog_table pj_hog;
extern int pj_hog_ready; /* use pj_hog_loaded() */

/* Open libhogweed and fill the table, once per process (a failure is tried
 * again at the next call); no lock.  PJ_OK, or PJ_E_KEY with the reason:
 * without it no RSA, EC or HS384 key can be used. */
int pj_hog_load(char *reason, size_t rlen) __attribute__((warn_unused_result));

/* 1 once the table is filled. */
int pj_hog_loaded(void);

/* An RSA or EC public key as Nettle holds it, built once at load
 * (lib/key.c), used read-only by any number of threads (lib/sig.c). */
struct pj_curve;
struct pj_pubkey {
	int is_ec;
	struct rsa_public_key rsa;      /* !is_ec */
	struct ecc_point ec;            /* is_ec */
	const struct pj_curve *curve;   /* is_ec */
};

/* z (initialised here; mpz_clear it) from len big-endian bytes. */
void pj_hog_mpz(mpz_t z, const unsigned char *b, size_t len);

/* Free p (NULL: nothing); only after a successful pj_hog_load. */
void pj_hog_pubkey_free(struct pj_pubkey *p);

#ifndef PJ_HOG_NO_REDIRECT
/* f names a member: it cannot be parenthesised */
#define PJ_HOG_CALL(f) (__atomic_load_n(&pj_hog.f, __ATOMIC_RELAXED)) /* NOLINT(bugprone-macro-parentheses) */
#define __gmpz_init PJ_HOG_CALL(__gmpz_init) /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): GMP's own name */
#define __gmpz_clear PJ_HOG_CALL(__gmpz_clear) /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): GMP's own name */
#define __gmpz_import PJ_HOG_CALL(__gmpz_import) /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): GMP's own name */
#define nettle_rsa_public_key_init PJ_HOG_CALL(nettle_rsa_public_key_init)
#define nettle_rsa_public_key_prepare PJ_HOG_CALL(nettle_rsa_public_key_prepare)
#define nettle_rsa_public_key_clear PJ_HOG_CALL(nettle_rsa_public_key_clear)
#define nettle_rsa_pkcs1_verify PJ_HOG_CALL(nettle_rsa_pkcs1_verify)
#define nettle_rsa_pss_sha256_verify_digest PJ_HOG_CALL(nettle_rsa_pss_sha256_verify_digest)
#define nettle_rsa_pss_sha384_verify_digest PJ_HOG_CALL(nettle_rsa_pss_sha384_verify_digest)
#define nettle_rsa_pss_sha512_verify_digest PJ_HOG_CALL(nettle_rsa_pss_sha512_verify_digest)
#define nettle_get_secp_256r1 PJ_HOG_CALL(nettle_get_secp_256r1)
#define nettle_get_secp_384r1 PJ_HOG_CALL(nettle_get_secp_384r1)
#define nettle_get_secp_521r1 PJ_HOG_CALL(nettle_get_secp_521r1)
#define nettle_ecc_point_init PJ_HOG_CALL(nettle_ecc_point_init)
#define nettle_ecc_point_set PJ_HOG_CALL(nettle_ecc_point_set)
#define nettle_ecc_point_clear PJ_HOG_CALL(nettle_ecc_point_clear)
#define nettle_ecdsa_verify PJ_HOG_CALL(nettle_ecdsa_verify)
#define nettle_sha256_init PJ_HOG_CALL(nettle_sha256_init)
#define nettle_sha256_update PJ_HOG_CALL(nettle_sha256_update)
#define nettle_sha256_digest PJ_HOG_CALL(nettle_sha256_digest)
#define nettle_sha384_init PJ_HOG_CALL(nettle_sha384_init)
#define nettle_sha384_digest PJ_HOG_CALL(nettle_sha384_digest)
#define nettle_sha512_init PJ_HOG_CALL(nettle_sha512_init)
#define nettle_sha512_update PJ_HOG_CALL(nettle_sha512_update)
#define nettle_sha512_digest PJ_HOG_CALL(nettle_sha512_digest)
#define nettle_hmac_sha384_set_key PJ_HOG_CALL(nettle_hmac_sha384_set_key)
#define nettle_hmac_sha512_update PJ_HOG_CALL(nettle_hmac_sha512_update)
#define nettle_hmac_sha384_digest PJ_HOG_CALL(nettle_hmac_sha384_digest)
#endif

#endif
