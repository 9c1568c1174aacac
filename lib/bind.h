/* bind.h - keys bound to issuers (issue 15): the [issuer URL] sections of
 * pam_jwt.conf.
 *
 * pj_options_load builds one complete options struct per section (the
 * global keys, the section, the [service] section, the module arguments,
 * with issuer = the section's URL alone and the section's own key sources).
 * The token's iss, read before anything is verified, only chooses which of
 * them decides: that section's keys must then verify the signature and the
 * claims check requires iss to be exactly that URL.  A key of provider A
 * therefore never verifies a token that claims iss B.
 */
#ifndef PJ_BIND_H
#define PJ_BIND_H

#include <stddef.h>

struct pj_options;

/* The buffer pj_bind_choose peeks a token's iss into: an iss (and so an
 * [issuer URL]) of PJ_ISS_MAX bytes or more can never be matched, and the
 * config parser refuses such a section. */
#define PJ_ISS_MAX 1024

/* The iss claim of a compact JWS, unverified: copied into iss (capacity
 * isslen, NUL-terminated) and 1 returned when the payload is a JSON object
 * (duplicates refused) with a string iss without NUL that fits; else 0. */
int pj_token_peek_iss(const char *tok, size_t len, char *iss, size_t isslen);

/* The options that decide for this token: o itself when it has no
 * [issuer] section; the section whose URL equals the token's iss; o again
 * when none does and o names key sources of its own (the global keys,
 * governed by the global issuer option); otherwise PJ_E_ISSUER. */
int pj_bind_choose(const struct pj_options *o, const char *tok, size_t len,
    const struct pj_options **out, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

#endif
