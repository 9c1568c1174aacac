/* fuzz_http.c - what `pamjwt jwks-fetch` reads of an HTTP answer's headers
 * (tools/http.c: pjt_http_header_line, pjt_http_cache_max_age).
 *
 * Input: header lines separated by '\n' (libcurl hands them over one by
 * one, each with its CRLF), fed in order like an answer. */
#include "fuzz_common.h"
#include "tools/http.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct pjt_http_resp r;
	const char *p = (const char *)data, *end = p + size, *nl;
	size_t len, i;
	long long a;

	if (size > 4 * PJT_HTTP_HEADERS_MAX)
		return 0;
	/* the whole input as one Cache-Control value */
	a = pjt_http_cache_max_age(p, size);
	FUZZ_ASSERT(a >= -1 && a <= PJT_HTTP_MAX_AGE_CAP);
	memset(&r, 0, sizeof(r));
	r.max_age = -1;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		pjt_http_header_line(&r, p, len);
		p += len;
	}
	FUZZ_ASSERT(r.max_age >= -1 && r.max_age <= PJT_HTTP_MAX_AGE_CAP);
	FUZZ_ASSERT(r.header_error == (r.header_bytes > PJT_HTTP_HEADERS_MAX));
	/* what is kept is printable ASCII, bounded */
	if (r.etag != NULL) {
		FUZZ_ASSERT(strlen(r.etag) <= PJT_HTTP_ETAG_MAX);
		for (i = 0; r.etag[i]; i++)
			FUZZ_ASSERT(r.etag[i] >= 0x20 && r.etag[i] < 0x7f);
	}
	if (r.content_type != NULL)
		for (i = 0; r.content_type[i]; i++)
			FUZZ_ASSERT(r.content_type[i] >= 0x20 &&
			    r.content_type[i] < 0x7f);
	pjt_http_resp_free(&r);
	return 0;
}
