/* key.h - one verification key (lib/key.c): its type, how it is built,
 * cleared and how long its signatures are; and the plain array of keys. */
#ifndef PJ_KEY_H
#define PJ_KEY_H

#include <stddef.h>
#include <jansson.h>

#include "rsa.h" /* PJ_RSA_MIN_BITS, PJ_RSA_MAX_BITS */

#define PJ_SECRET_MIN 32
#define PJ_SECRET_MAX (64 * 1024)
#define PJ_PEM_MAX (64 * 1024)
#define PJ_JWKS_MAX (1024 * 1024)

/* Numbered from 1: a zeroed key has no type, so that a key nothing built
 * (a JWK of a kty pam_jwt does not know, a cleared key) is never taken for
 * an HMAC secret (lib/keyset.c asks type == PJ_KEY_HMAC to demand mode 0600). */
enum pj_key_type {
	PJ_KEY_HMAC = 1,
	PJ_KEY_RSA,
	PJ_KEY_EC,
	PJ_KEY_ED25519,
};
/* No type: an unknown kty (algs 0, with a note).  Not an enumerator, so that
 * switches over the key types need no case for it (none can reach them:
 * they all follow algs != 0). */
#define PJ_KEY_NONE ((enum pj_key_type)0)

struct pj_pubkey;

struct pj_key {
	enum pj_key_type type;
	unsigned int algs;        /* what this key may verify; 0 = unusable */
	char *kid;                /* NULL for secret_file / public_key_file keys */
	unsigned char *secret;    /* HMAC bytes (wiped on free) */
	size_t secret_len;
	int secret_guarded;       /* secret is sodium_malloc'd, read-only */
	unsigned char ed25519[32];
	struct pj_pubkey *pkey;   /* RSA, EC: Nettle's (lib/hog.h) */
	size_t sig_len;           /* RSA: modulus bytes; EC: 2 * order bytes */
	char *note;               /* why a key is unusable, if algs == 0 */
	json_t *pending;          /* RSA/EC JWK whose Nettle key is built on first
	                           * use (pj_jwk_ready): a set of 100 keys costs
	                           * one build per authentication, not 100 */
};

struct pj_keyset_block;

struct pj_keyset {
	struct pj_key *keys;
	size_t n;
	/* non-NULL: the keys are shared, read-only, with the process-wide
	 * cache (lib/keycache.c) and other authentications; counted */
	struct pj_keyset_block *shared;
};

/* Build one key.  Each fills *out (already zeroed by the caller) and returns
 * PJ_OK, PJ_E_KEY with the reason, or PJ_E_NOMEM. */
int pj_key_from_secret(const unsigned char *buf, size_t len, struct pj_key *out,
    char *reason, size_t rlen) __attribute__((warn_unused_result));
int pj_key_from_pem(const char *pem, size_t len, struct pj_key *out,
    char *reason, size_t rlen) __attribute__((warn_unused_result));
/* A DER SubjectPublicKeyInfo (lib/spki.h), the body of a PEM public key. */
int pj_key_from_spki(const unsigned char *der, size_t len, struct pj_key *out,
    char *reason, size_t rlen) __attribute__((warn_unused_result));
/* From the key's own numbers (JWK members, or a DER SubjectPublicKeyInfo):
 * RSA modulus and exponent (big-endian; the rule of rsa.h), an EC
 * uncompressed point on a curve of curve.h (its OpenSSL group name,
 * "prime256v1", or its NIST name), or a raw Ed25519 key. */
int pj_key_from_rsa(const unsigned char *n, size_t nlen, const unsigned char *e,
    size_t elen, struct pj_key *out, char *reason, size_t rlen)
    __attribute__((warn_unused_result));
int pj_key_from_ec_point(const char *group, const unsigned char *pt,
    size_t ptlen, struct pj_key *out, char *reason, size_t rlen)
    __attribute__((warn_unused_result));
void pj_key_from_ed25519(const unsigned char raw[32], struct pj_key *out);
void pj_key_clear(struct pj_key *k);

/* The array of keys: append a key (ownership transferred, *k zeroed);
 * free every key and the array.  Loading and choosing: keyset.h. */
int pj_keyset_add(struct pj_keyset *ks, struct pj_key *k);
void pj_keyset_free(struct pj_keyset *ks);
/* Make ks's keys shareable (counted, freed with the last reference): from
 * then on nobody changes them.  Their HMAC secrets move first to memory of
 * sodium_malloc (guard pages, locked in RAM where the limit allows it),
 * made read-only.  PJ_OK or PJ_E_NOMEM (the set still usable unshared). */
int pj_keyset_share(struct pj_keyset *ks) __attribute__((warn_unused_result));
/* *to (empty) shares the keys of the shared set from: one more reference,
 * dropped by pj_keyset_free(to). */
void pj_keyset_view(const struct pj_keyset *from, struct pj_keyset *to);

/* Expected signature length in bytes for alg with key k (0: unknown). */
size_t pj_key_sig_len(const struct pj_key *k, unsigned int alg);

/* Not this file's: the set's loading and key choice (keyset.h), declared
 * here too for the files that have always found them through key.h
 * (pam_jwt.c, lib/verify.c, lib/jws.c, bench/, tests/).  keyset.h includes
 * nothing of lib/, so this is no cycle. */
#include "keyset.h"

#endif
