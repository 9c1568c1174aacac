/* http_probe.c - tools/http.c and tools/oidc.c driven from the OIDC suite
 * (tests/oidc/run.py), for what no pamjwt command uses yet.
 *
 *   http_probe CAFILE get URL
 *   http_probe CAFILE post URL [--basic USER PASS] NAME VALUE ...
 *   http_probe CAFILE discover ISSUER
 *
 * Prints "status=N len=N etag=E max_age=N" and then the body (post), or
 * the endpoints (discover); exit 0, or 1 with the error on stderr.
 */
#include "tools/http.h"
#include "tools/oidc.h"

#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	struct pjt_http_opts o;
	struct pjt_http_resp r;
	struct pjt_oidc_meta m;
	char err[512] = "";
	int rc = 1, h;

	memset(&o, 0, sizeof(o));
	memset(&r, 0, sizeof(r));
	memset(&m, 0, sizeof(m));
	if (argc < 4 || pjt_http_init() != 0)
		return 2;
	o.ca_file = argv[1];
	if (strcmp(argv[2], "get") == 0) {
		h = pjt_http_get(argv[3], &o, &r, err, sizeof(err));
	} else if (strcmp(argv[2], "post") == 0) {
		int first = 4;

		if (argc > 6 && strcmp(argv[4], "--basic") == 0) {
			o.basic_user = argv[5];
			o.basic_pass = argv[6];
			first = 7;
		}
		h = pjt_http_post_form(argv[3], &o,
		    (const char *const *)argv + first, &r, err, sizeof(err));
	} else if (strcmp(argv[2], "discover") == 0) {
		if (pjt_oidc_discover(argv[3], &o, &m, err, sizeof(err)) != 0)
			goto out;
		printf("issuer=%s\njwks_uri=%s\ntoken_endpoint=%s\n"
		    "device_authorization_endpoint=%s\n", m.issuer, m.jwks_uri,
		    m.token_endpoint ? m.token_endpoint : "-",
		    m.device_authorization_endpoint ?
		    m.device_authorization_endpoint : "-");
		rc = 0;
		goto out;
	} else
		return 2;
	if (h != PJT_HTTP_OK)
		goto out;
	printf("status=%ld len=%zu etag=%s max_age=%lld\n%s\n", r.status, r.len,
	    r.etag ? r.etag : "-", r.max_age, r.body);
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "http_probe: %s\n", err);
	pjt_http_resp_free(&r);
	pjt_oidc_meta_free(&m);
	pjt_http_cleanup();
	return rc;
}
