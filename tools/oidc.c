/* oidc.c - OpenID Connect Discovery (see oidc.h): the document fetched
 * with tools/http.c, read with jansson, the issuer compared exactly. */
#include "oidc.h"

#include "lib/logval.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
pjt_oidc_issuer_ok(const char *issuer, int allow_http)
{
	return pjt_http_url_ok(issuer, allow_http) &&
	    strchr(issuer, '?') == NULL && strchr(issuer, '#') == NULL;
}

char *
pjt_oidc_discovery_url(const char *issuer, int allow_http)
{
	size_t n;
	char *u;

	if (!pjt_oidc_issuer_ok(issuer, allow_http))
		return NULL;
	n = strlen(issuer);
	if (n > 0 && issuer[n - 1] == '/')
		n--;
	u = malloc(n + sizeof(PJT_OIDC_WELL_KNOWN));
	if (u == NULL)
		return NULL;
	memcpy(u, issuer, n);
	memcpy(u + n, PJT_OIDC_WELL_KNOWN, sizeof(PJT_OIDC_WELL_KNOWN));
	return u;
}

void
pjt_oidc_meta_free(struct pjt_oidc_meta *m)
{
	if (m == NULL)
		return;
	free(m->issuer);
	free(m->jwks_uri);
	free(m->token_endpoint);
	free(m->device_authorization_endpoint);
	free(m->authorization_endpoint);
	free(m->userinfo_endpoint);
	memset(m, 0, sizeof(*m));
}

/* One member that must be a URL when present (required: when absent too).
 * *out is a new string or stays NULL. */
static int
url_member(json_t *doc, const char *name, int required, int allow_http,
    char **out, char *err, size_t errlen)
{
	char shown[PJ_LOGVAL_SIZE(96)];
	json_t *v = json_object_get(doc, name);
	const char *s;

	*out = NULL;
	if (v == NULL) {
		if (required)
			(void)snprintf(err, errlen, "discovery document has no %s", name);
		return required ? -1 : 0;
	}
	if (!json_is_string(v)) {
		(void)snprintf(err, errlen, "discovery document: %s is not a string",
		    name);
		return -1;
	}
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v) ||
	    !pjt_http_url_ok(s, allow_http)) {
		pj_logval(shown, sizeof(shown), s, json_string_length(v), 96);
		(void)snprintf(err, errlen, "discovery document: %s '%s' is not an "
		    "%s URL", name, shown, allow_http ? "http(s)" : "https");
		return -1;
	}
	if ((*out = strdup(s)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

int
pjt_oidc_parse(const char *text, size_t len, const char *want_issuer,
    int allow_http, struct pjt_oidc_meta *m, char *err, size_t errlen)
{
	char shown[PJ_LOGVAL_SIZE(96)], want[PJ_LOGVAL_SIZE(96)];
	struct pjt_oidc_meta t;
	json_error_t je;
	json_t *doc = NULL, *iss;
	int r = -1;

	memset(m, 0, sizeof(*m));
	memset(&t, 0, sizeof(t));
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (len > PJT_OIDC_DISCOVERY_MAX) {
		(void)snprintf(err, errlen, "discovery document over %d bytes",
		    PJT_OIDC_DISCOVERY_MAX);
		goto out;
	}
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (doc == NULL || !json_is_object(doc)) {
		(void)snprintf(err, errlen, "discovery document is not a JSON object%s",
		    doc == NULL ? " (malformed JSON)" : "");
		goto out;
	}
	iss = json_object_get(doc, "issuer");
	if (!json_is_string(iss)) {
		(void)snprintf(err, errlen, "discovery document has no issuer string");
		goto out;
	}
	/* OpenID Connect Discovery 1.0, 4.3: exactly the issuer we asked */
	if (json_string_length(iss) != strlen(want_issuer) ||
	    memcmp(json_string_value(iss), want_issuer,
	    strlen(want_issuer)) != 0) {
		pj_logval(shown, sizeof(shown), json_string_value(iss),
		    json_string_length(iss), 96);
		pj_logstr(want, sizeof(want), want_issuer, 96);
		(void)snprintf(err, errlen, "discovery document names issuer '%s', "
		    "not '%s'", shown, want);
		goto out;
	}
	if ((t.issuer = strdup(want_issuer)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (url_member(doc, "jwks_uri", 1, allow_http, &t.jwks_uri, err,
	    errlen) != 0 ||
	    url_member(doc, "token_endpoint", 0, allow_http, &t.token_endpoint,
	    err, errlen) != 0 ||
	    url_member(doc, "device_authorization_endpoint", 0, allow_http,
	    &t.device_authorization_endpoint, err, errlen) != 0 ||
	    url_member(doc, "authorization_endpoint", 0, allow_http,
	    &t.authorization_endpoint, err, errlen) != 0 ||
	    url_member(doc, "userinfo_endpoint", 0, allow_http,
	    &t.userinfo_endpoint, err, errlen) != 0)
		goto out;
	*m = t;  /* transferred */
	memset(&t, 0, sizeof(t));
	r = 0;
out:
	pjt_oidc_meta_free(&t);
	json_decref(doc);
	return r;
}

int
pjt_oidc_discover(const char *issuer, const struct pjt_http_opts *o,
    struct pjt_oidc_meta *m, char *err, size_t errlen)
{
	struct pjt_http_opts d = *o;
	struct pjt_http_resp resp;
	char herr[256] = "";
	char *url = NULL;
	int r = -1, h;

	memset(m, 0, sizeof(*m));
	memset(&resp, 0, sizeof(resp));
	url = pjt_oidc_discovery_url(issuer, o->allow_http);
	if (url == NULL) {
		(void)snprintf(err, errlen, "issuer is not an %s URL without query or "
		    "fragment", o->allow_http ? "http(s)" : "https");
		goto out;
	}
	d.max_size = PJT_OIDC_DISCOVERY_MAX;
	d.if_none_match = NULL;
	h = pjt_http_get(url, &d, &resp, herr, sizeof(herr));
	if (h != PJT_HTTP_OK) {
		(void)snprintf(err, errlen, "discovery %s: %s: %s", url,
		    pjt_http_strerror(h), herr);
		goto out;
	}
	if (resp.status != 200) {
		(void)snprintf(err, errlen, "discovery %s: HTTP status %ld%s", url,
		    resp.status, resp.status >= 300 && resp.status < 400 ?
		    " (redirects are not followed)" : "");
		goto out;
	}
	r = pjt_oidc_parse(resp.body, resp.len, issuer, o->allow_http, m, err,
	    errlen);
out:
	pjt_http_resp_free(&resp);
	free(url);
	return r;
}
