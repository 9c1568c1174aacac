/* sign.h - the signing counterpart of sig.c: HMAC, RSASSA-PKCS1-v1_5,
 * RSASSA-PSS, ECDSA (P1363 r || s) and Ed25519, and whole compact JWS.
 *
 * Used by `pamjwt mint` and `pamjwt keygen` only (so it lives in tools/,
 * not in the lib/ the module runs); the module never signs.  A signer holds
 * the private key and, beside it, the public half exactly as the module would
 * load it (struct pj_key): the same size and curve rules apply, so a key the
 * module would refuse cannot mint, and every signature is verified with
 * pj_sig_verify before it is handed out.
 */
#ifndef PJ_SIGN_H
#define PJ_SIGN_H

#include <stddef.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "lib/key.h"

#define PJ_ED25519_SK_BYTES 64

struct pj_signer {
	struct pj_key pub;         /* the verifying half; pub.algs = what it signs */
	EVP_PKEY *priv;            /* RSA, EC private key */
	unsigned char ed25519_sk[PJ_ED25519_SK_BYTES]; /* libsodium seed || pk */
};

/* An HMAC secret (the raw bytes; the caller has removed a trailing newline).
 * Same rules as the module: at least 32 bytes, not weak; HS384 needs 48,
 * HS512 64.  Returns PJ_OK, PJ_E_KEY with the reason, or PJ_E_NOMEM. */
int pj_signer_from_secret(const unsigned char *buf, size_t len,
    struct pj_signer *out, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* One PEM private key (PKCS#8 "PRIVATE KEY", or the traditional RSA / EC
 * forms): RSA 2048..16384 bits, EC P-256/384/521, Ed25519.  Encrypted keys
 * are refused (no passphrase is ever asked for).  Only pem[0..len) is read;
 * it need not be NUL-terminated. */
int pj_signer_from_pem(const char *pem, size_t len, struct pj_signer *out,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

/* Read a key file for alg (absolute path, checked like a secret file: owned
 * by root or the caller, no group/other permission bits).  HS* reads an HMAC
 * secret (one trailing newline removed, as the module does), every other alg
 * a PEM private key.  PJ_E_KEY if the file or the key does not fit alg. */
int pj_signer_load(const char *path, unsigned int alg, struct pj_signer *out,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

/* Sign msg for alg (one enum pj_alg bit the signer allows).  *sig is a new
 * buffer of *siglen bytes (caller frees).  The signature is checked with
 * pj_sig_verify before PJ_OK is returned.  PJ_E_ALG if the key cannot sign
 * alg, PJ_E_INTERNAL if the primitive fails, PJ_E_NOMEM. */
int pj_sign(const struct pj_signer *s, unsigned int alg,
    const unsigned char *msg, size_t msglen, unsigned char **sig,
    size_t *siglen) __attribute__((warn_unused_result));

/* The whole compact JWS: base64url(header) . base64url(payload) . signature.
 * header must hold "alg" equal to alg's name; both are serialised compact
 * (member order kept, non-ASCII escaped).  *out is a new NUL-terminated
 * string (a credential: wipe before free).  PJ_E_TOO_LONG if the token would
 * exceed PJ_TOKEN_MAX, which the module refuses. */
int pj_sign_jws(const struct pj_signer *s, unsigned int alg, json_t *header,
    json_t *payload, char **out, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* Wipe and free.  Accepts NULL and a zeroed signer. */
void pj_signer_clear(struct pj_signer *s);

#endif
