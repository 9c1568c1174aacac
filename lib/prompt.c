/* prompt.c - is an answer a visibly unfinished token? (see prompt.h) */
#include "prompt.h"
#include "alg.h"
#include "b64url.h"
#include "curve.h"
#include "err.h"
#include "jws.h"
#include "key.h"
#include "rsa.h"

#include <string.h>

int
pj_token_unfinished(const char *tok, size_t len, const struct pj_keyset *ks)
{
	return pj_token_unfinished_peek(tok, len, ks, NULL);
}

int
pj_token_unfinished_peek(const char *tok, size_t len,
    const struct pj_keyset *ks, struct pj_jws *keep)
{
	struct pj_jws peek;
	const struct pj_key *key = NULL;
	const char *d2, *p, *end;
	size_t dots = 0, want = 0, have, siglen;
	char dummy[8] = "";
	int r;

	if (keep != NULL)
		memset(keep, 0, sizeof(*keep));
	if (len < 3 || memcmp(tok, "eyJ", 3) != 0)
		return 0;
	end = tok + len;
	for (p = tok; (p = memchr(p, '.', (size_t)(end - p))) != NULL; p++)
		dots++;
	if (dots < 2)
		return 1;
	if (dots > 2 || pj_jws_peek_header(tok, len, &peek, dummy,
	    sizeof(dummy)) != PJ_OK)
		return 0; /* whole enough to be judged (and rejected) */
	d2 = memrchr(tok, '.', len);
	have = len - (size_t)(d2 + 1 - tok);
	if (ks != NULL) {
		r = pj_keyset_find(ks, peek.alg, peek.kid, &key, dummy,
		    sizeof(dummy));
		if (r == PJ_OK)
			want = pj_key_sig_len(key, peek.alg);
	}
	if (want == 0) {
		/* no key decides: the smallest signature the algorithm makes */
		if (peek.alg & PJ_ALG_HMAC)
			want = pj_alg_hash_len(peek.alg);
		else if (peek.alg & PJ_ALG_RSA)
			want = PJ_RSA_MIN_BITS / 8;
		else if (pj_curve_by_alg(peek.alg) != NULL)
			want = pj_curve_by_alg(peek.alg)->sig_bytes;
		else
			want = 64; /* EdDSA: crypto_sign_BYTES */
	}
	siglen = PJ_B64URL_ENCODED_LEN(want);
	if (have >= siglen && keep != NULL)
		*keep = peek; /* the caller's now; it clears it */
	else
		pj_jws_clear(&peek);
	return have < siglen;
}
