/* refresh.h - asking the host to fetch its identity provider's keys again
 * (issue 15).
 *
 * The login never uses the network.  When a token was refused because no
 * key fits its kid and alg, it names a kid that the local JWK Set does not
 * hold (a new key, perhaps of a new type), and its (unverified) iss is a configured
 * issuer, and refresh_request names a file, the module touches that file:
 * a systemd path unit (conf/systemd/pam_jwt-jwks-refresh.path) sees it and
 * runs `pamjwt jwks-fetch --force --min-interval N`.  Nothing from the token
 * reaches a file name or a command line: the file is fixed by the
 * configuration and its content is empty.  The file is touched at most
 * once per refresh_interval seconds, whatever the stream of tokens.
 */
#ifndef PJ_REFRESH_H
#define PJ_REFRESH_H

#include <stddef.h>

struct pj_options;
struct pj_result;

enum pj_refresh_state {
	PJ_REFRESH_NONE = 0,     /* not wanted (not an unknown kid, not on) */
	PJ_REFRESH_REQUESTED,    /* the file was touched */
	PJ_REFRESH_RECENT,       /* touched less than refresh_interval ago */
};

/* After pj_verify: request a refresh if this result calls for one.
 * *state says what happened.  PJ_OK, or an error with the reason (the
 * request file cannot be written: the directory is missing, it is not a
 * regular file, ...). */
int pj_refresh_maybe(const struct pj_options *o, const char *tok, size_t len,
    const struct pj_result *res, long long now, enum pj_refresh_state *state,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

#endif
