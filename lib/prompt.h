/* prompt.h - for the module's conversation: is an answer a visibly
 * unfinished token, so that the module asks for the next part?  (pam_jwt(8),
 * LONG TOKENS.)  Only pam_jwt.c asks; the rule lives here so that it can be
 * tested and fuzzed without PAM. */
#ifndef PJ_PROMPT_H
#define PJ_PROMPT_H

#include <stddef.h>

struct pj_keyset;
struct pj_jws;

/* 1 if answer begins like a token ("eyJ") but is visibly unfinished (fewer
 * than two dots, or a signature shorter than the header's algorithm with
 * the configured key produces).  Builds no key and changes nothing in ks
 * (ks may be NULL: the smallest signature of the algorithm then counts). */
int pj_token_unfinished(const char *tok, size_t len, const struct pj_keyset *ks);

/* The same, and when the answer is judged whole (0) with a header that
 * pj_jws_peek_header accepts, that parsed header is left in *keep (zeroed
 * otherwise; the caller clears it with pj_jws_clear) so that the decision
 * on these same bytes (pj_verify_peeked) need not parse it again. */
int pj_token_unfinished_peek(const char *tok, size_t len,
    const struct pj_keyset *ks, struct pj_jws *keep);

#endif
