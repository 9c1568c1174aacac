/* replay.h - single-use tokens: the (iss, jti) store (pam_jwt.conf(5),
 * Single use) */
#ifndef PJ_REPLAY_H
#define PJ_REPLAY_H

#include <stddef.h>
#include <jansson.h>

struct pj_options;

/* Record the token's (iss, jti) in o->replay_cache until exp + leeway.
 * Exactly one of any number of concurrent callers with the same pair gets
 * PJ_OK; the others get PJ_E_REPLAY.  A token without a string jti (or exp)
 * is PJ_E_CLAIM; a store that cannot be used is PJ_E_STORE (fail closed). */
int pj_replay_record(const struct pj_options *o, json_t *claims, long long now,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

#endif
