/* fuzz_b64url.c - strict base64url: no crash with any capacity, and exactly
 * one accepted spelling per byte string (decode/encode round trips). */
#include "fuzz_common.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *in = (const char *)data;
	unsigned char *out, *out2;
	char *enc;
	size_t cap = PJ_B64URL_DECODED_MAX(size), olen = 0, olen2 = 0, i;
	int r, r2;

	out = malloc(cap + 1);
	FUZZ_ASSERT(out != NULL);
	r = pj_b64url_decode(in, size, out, cap, &olen);
	if (r == PJ_OK) {
		FUZZ_ASSERT(olen <= cap);
		/* the only spelling of these bytes is the input itself */
		enc = pj_b64url_encode_alloc(out, olen);
		FUZZ_ASSERT(enc != NULL);
		FUZZ_ASSERT(strlen(enc) == size && memcmp(enc, in, size) == 0);
		FUZZ_ASSERT(PJ_B64URL_ENCODED_LEN(olen) == size);
		free(enc);
		/* an exact capacity works, one less does not */
		out2 = malloc(olen ? olen : 1);
		FUZZ_ASSERT(out2 != NULL);
		FUZZ_ASSERT(pj_b64url_decode(in, size, out2, olen, &olen2) == PJ_OK);
		FUZZ_ASSERT(olen2 == olen && memcmp(out, out2, olen) == 0);
		if (olen > 0)
			FUZZ_ASSERT(pj_b64url_decode(in, size, out2, olen - 1,
			    &olen2) != PJ_OK);
		free(out2);
	} else {
		FUZZ_ASSERT(r == PJ_E_MALFORMED);
		/* rejected input has a byte outside the alphabet, a length of 1
		 * mod 4, or non-zero trailing bits */
		for (i = 0; i < size; i++)
			if (!pj_b64url_char(data[i]))
				break;
		FUZZ_ASSERT(i < size || size % 4 == 1 || size % 4 != 0);
	}
	/* the _alloc form agrees */
	r2 = pj_b64url_decode_alloc(in, size, &out2, &olen2);
	FUZZ_ASSERT(r2 == r);
	if (r2 == PJ_OK) {
		FUZZ_ASSERT(olen2 == olen && memcmp(out2, out, olen) == 0 &&
		    out2[olen2] == '\0');
		free(out2);
	}
	/* encoding any bytes decodes back to them */
	enc = pj_b64url_encode_alloc(data, size);
	FUZZ_ASSERT(enc != NULL && strlen(enc) == PJ_B64URL_ENCODED_LEN(size));
	FUZZ_ASSERT(pj_b64url_decode_alloc(enc, strlen(enc), &out2, &olen2) ==
	    PJ_OK);
	FUZZ_ASSERT(olen2 == size && memcmp(out2, data, size) == 0);
	free(out2);
	free(enc);
	free(out);
	return 0;
}
