/* fuzz_login.c - what `pamjwt login` and `askpass` read from files a user
 * controls: the token cache file (tools/cache.c, pjt_cache_parse), the
 * login configuration (tools/login.c, pjt_login_conf_parse), and the
 * claims askpass checks before a cached token leaves (tools/login_flow.c,
 * pjt_login_token_fits).
 *
 * Input: the first byte picks the parser, the rest is the file. */
#include "fuzz_common.h"
#include "tools/login.h"

#define ISSUER "https://idp.example.com"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct pjt_cache_entry e;
	struct pjt_login_conf c;
	char err[512] = "";
	char *text;
	int r;

	if (size < 1 || size > PJT_CACHE_MAX + 1)
		return 0;
	text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		r = pjt_cache_parse(text, size - 1, &e, err, sizeof(err));
		FUZZ_ASSERT(r == 0 || r == -1);
		if (r == 0) {
			FUZZ_ASSERT(e.issuer != NULL && e.token != NULL &&
			    e.audience != NULL && e.exp >= 0);
			FUZZ_ASSERT(strcmp(e.kind, "id") == 0 ||
			    strcmp(e.kind, "access") == 0);
		}
		pjt_cache_entry_free(&e);
		break;
	case 1:
		pjt_login_conf_init(&c);
		r = pjt_login_conf_parse(&c, text, size - 1, "fuzz", err,
		    sizeof(err));
		FUZZ_ASSERT(r == 0 || r == -1);
		FUZZ_ASSERT(c.wait >= 1 && c.wait <= PJT_LOGIN_WAIT_MAX);
		pjt_login_conf_free(&c);
		break;
	default:
		/* a cached token: 1 only for this issuer and audience */
		r = pjt_login_token_fits(text, ISSUER, "pamjwt-login", 1000, 15,
		    err, sizeof(err));
		FUZZ_ASSERT(r == 1 || r == 0 || r == -1);
		break;
	}
	FUZZ_ASSERT(strlen(err) < sizeof(err));
	free(text);
	return 0;
}
