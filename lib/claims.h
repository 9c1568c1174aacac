/* claims.h - JWT claims (RFC 7519 section 4) checked against the options */
#ifndef PJ_CLAIMS_H
#define PJ_CLAIMS_H

#include <stddef.h>
#include <jansson.h>

struct pj_options;

/* The payload as a JSON object without duplicate members. */
int pj_claims_parse(const unsigned char *payload, size_t len, json_t **out,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

/* A NumericDate: an integer, or a real rounded down and clamped.  0 on
 * success, -1 if v is not a number. */
int pj_claims_numeric(json_t *v, long long *out);

/* exp (required), nbf, iat, iss, aud, max_ttl, max_age, require_claim, and
 * the header typ (typ may be NULL: header without typ) at time now. */
int pj_claims_check(const struct pj_options *o, json_t *claims, const char *typ,
    long long now, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* One require_claim spec "NAME=VALUE" against the claims: 1 if it holds. */
int pj_claims_require(json_t *claims, const char *spec);

#endif
