/* fuzz_jwks.c - the JWK Set parser (pj_jwks_parse), then key selection
 * for every algorithm with and without the keys' kids. */
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct pj_keyset ks;
	const struct pj_key *k;
	char reason[256] = "", *text;
	unsigned int alg;
	size_t i, usable = 0;
	int r;

	if (size > PJ_JWKS_MAX)
		return 0;
	text = fuzz_strndup(data, size);
	memset(&ks, 0, sizeof(ks));
	r = pj_jwks_parse(text, size, &ks, reason, sizeof(reason));
	FUZZ_ASSERT(strlen(reason) < sizeof(reason));
	if (r == PJ_OK) {
		for (i = 0; i < ks.n; i++) {
			FUZZ_ASSERT((ks.keys[i].algs & ~PJ_ALG_ALL) == 0);
			if (ks.keys[i].algs != 0)
				usable++;
			else
				FUZZ_ASSERT(ks.keys[i].note != NULL);
			/* a set never holds a weak HMAC key */
			if (ks.keys[i].type == PJ_KEY_HMAC && ks.keys[i].algs != 0)
				FUZZ_ASSERT(ks.keys[i].secret_len >= PJ_SECRET_MIN);
		}
		FUZZ_ASSERT(usable > 0);
		for (alg = 1; alg <= PJ_ALG_EDDSA; alg <<= 1) {
			reason[0] = '\0';
			if (pj_keyset_select(&ks, alg, NULL, &k, reason,
			    sizeof(reason)) == PJ_OK) {
				FUZZ_ASSERT(k->algs & alg);
				(void)pj_key_sig_len(k, alg);
			}
			for (i = 0; i < ks.n; i++) {
				reason[0] = '\0';
				if (pj_keyset_select(&ks, alg, ks.keys[i].kid ?
				    ks.keys[i].kid : "none", &k, reason,
				    sizeof(reason)) == PJ_OK)
					FUZZ_ASSERT(k->algs & alg);
			}
		}
	}
	pj_keyset_free(&ks);
	free(text);
	return 0;
}
