/* jwk.h - RFC 7517 JSON Web Keys and Key Sets to keys (lib/key.c builds
 * each from its members) */
#ifndef PJ_JWK_H
#define PJ_JWK_H

#include <stddef.h>
#include <jansson.h>

struct pj_key;
struct pj_keyset;

/* One JWK object to a key.  An unusable but well-formed key (use "enc",
 * key_ops without "verify", unsupported curve, weak RSA) returns PJ_OK with
 * out->algs == 0 and out->note saying why; malformed members return PJ_E_KEY.
 * allow_private: accept "d" and other private members (tests use private
 * JWKs); a key set never does. */
int pj_jwk_to_key(json_t *jwk, int allow_private, struct pj_key *out,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

/* Build a key's EVP_PKEY now if the set left it pending (a JWK RSA or EC
 * key: checked at read, built when a token selects it).  PJ_OK, or PJ_E_KEY
 * with the reason, and then the key's algs drop to 0 (never again within
 * this authentication); without libcrypto the key stays as it was.
 * pj_keyset_select calls it for the key it returns. */
int pj_jwk_ready(struct pj_key *k, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* A JWK Set text ({"keys":[...]}) appended to ks.  Duplicate kids, malformed
 * JSON or members, and a set with no usable key are PJ_E_KEY. */
int pj_jwks_parse(const char *text, size_t len, struct pj_keyset *ks,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

/* pj_jwks_parse keeps what it worked out for the keys of the last few sets
 * it accepted that hold no secret (oct) key, keyed by their exact bytes: the
 * next authentication in the same process that reads the same bytes skips
 * the JSON parse and the key checks (three quarters of the verification time
 * of a set of 100 keys), and a file that changed by one byte is parsed
 * afresh.  Each authentication gets keys of its own, sharing nothing with
 * another (see the cache in jwk.c).  Empty it (tests). */
void pj_jwks_cache_clear(void);
/* 1 if the cache holds a set for exactly these bytes (tests). */
int pj_jwks_cache_holds(const char *text, size_t len);

#endif
