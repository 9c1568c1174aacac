/* keyset.h - the configured key set (lib/keyset.c): every key source of
 * the options read from its file, and the one key chosen for a token.
 * The keys and the array that holds them: key.h. */
#ifndef PJ_KEYSET_H
#define PJ_KEYSET_H

#include <stddef.h>

struct pj_key;
struct pj_keyset;
struct pj_options;

/* All configured key sources, read from their files with safe checks; a
 * key's reason is prefixed with its file.  *ks is emptied first. */
int pj_keyset_load(const struct pj_options *o, struct pj_keyset *ks,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

/* Choose the one key for a token's alg and kid (kid may be NULL).
 * With a kid: the set's key with that kid, else a key without kid.
 * Without a kid: exactly one key must fit alg.  PJ_E_NO_KEY otherwise.
 * The key is made ready (a pending JWK key built, pj_jwk_ready; libcrypto
 * loaded for HS384). */
int pj_keyset_select(const struct pj_keyset *ks, unsigned int alg,
    const char *kid, const struct pj_key **out, char *reason, size_t rlen)
    __attribute__((warn_unused_result));
/* The same choice, and nothing else: no key is built, no library loaded,
 * the set is left exactly as it was (the continuation prompt's question
 * "is the signature whole?" must not change the keys pj_verify then uses). */
int pj_keyset_find(const struct pj_keyset *ks, unsigned int alg,
    const char *kid, const struct pj_key **out, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

#endif
