/* jwk.h - RFC 7517 JSON Web Keys and Key Sets, built straight from members */
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
