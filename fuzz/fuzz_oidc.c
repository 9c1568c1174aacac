/* fuzz_oidc.c - the OpenID Connect discovery document parser of `pamjwt
 * jwks-fetch` (tools/oidc.c, pjt_oidc_parse).
 *
 * Input: a provider's answer.  The first byte picks whether plain http URLs
 * are allowed; the issuer asked for is fixed, so that a document naming it
 * exactly is reachable from the seeds. */
#include "fuzz_common.h"
#include "tools/oidc.h"

#define ISSUER "https://idp.example.com/realms/x"

static void
check_url(const char *u, int allow_http, int required)
{
	if (u == NULL) {
		FUZZ_ASSERT(!required);
		return;
	}
	FUZZ_ASSERT(pjt_http_url_ok(u, allow_http));
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct pjt_oidc_meta m;
	char err[512] = "";
	int allow_http, r;

	if (size < 1 || size > PJT_OIDC_DISCOVERY_MAX + 1)
		return 0;
	allow_http = data[0] & 1;
	r = pjt_oidc_parse((const char *)data + 1, size - 1, ISSUER, allow_http,
	    &m, err, sizeof(err));
	FUZZ_ASSERT(r == 0 || r == -1);
	FUZZ_ASSERT(strlen(err) < sizeof(err));
	if (r == 0) {
		/* exactly the issuer asked for, never another */
		FUZZ_ASSERT(m.issuer != NULL && strcmp(m.issuer, ISSUER) == 0);
		check_url(m.jwks_uri, allow_http, 1);
		check_url(m.token_endpoint, allow_http, 0);
		check_url(m.device_authorization_endpoint, allow_http, 0);
		check_url(m.authorization_endpoint, allow_http, 0);
		check_url(m.userinfo_endpoint, allow_http, 0);
		FUZZ_ASSERT(err[0] == '\0');
	} else {
		FUZZ_ASSERT(m.issuer == NULL && m.jwks_uri == NULL);
		FUZZ_ASSERT(err[0] != '\0');
	}
	pjt_oidc_meta_free(&m);
	return 0;
}
