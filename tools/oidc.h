/* oidc.h - OpenID Connect Discovery 1.0 (tools/oidc.c): the provider's
 * metadata document, fetched from ISSUER/.well-known/openid-configuration
 * and accepted only when its "issuer" equals the configured issuer exactly.
 */
#ifndef PJT_OIDC_H
#define PJT_OIDC_H

#include <stddef.h>

#include "http.h"

/* A discovery document is small (Google's, Entra ID's: 2 to 5 KiB). */
#define PJT_OIDC_DISCOVERY_MAX (256 * 1024)
#define PJT_OIDC_WELL_KNOWN "/.well-known/openid-configuration"

struct pjt_oidc_meta {
	char *issuer;
	char *jwks_uri;
	/* optional endpoints, NULL when the document has none */
	char *token_endpoint;
	char *device_authorization_endpoint;
	char *authorization_endpoint;
	char *userinfo_endpoint;
};

/* The discovery URL of an issuer (a new string): the issuer without one
 * trailing '/', then PJT_OIDC_WELL_KNOWN.  NULL if the issuer is no
 * acceptable URL (pjt_oidc_issuer_ok) or on allocation failure. */
char *pjt_oidc_discovery_url(const char *issuer, int allow_http);

/* An issuer as OpenID Connect requires it: an https URL (http with
 * allow_http) without query or fragment. */
int pjt_oidc_issuer_ok(const char *issuer, int allow_http);

/* Parse a discovery document (len bytes, any content).  issuer must equal
 * want_issuer byte for byte; jwks_uri is required; every endpoint present
 * must be an acceptable URL (pjt_http_url_ok).  0, or -1 with the reason
 * in err (values from the document escaped with pj_logval).  m is filled
 * only on success; free it with pjt_oidc_meta_free either way. */
int pjt_oidc_parse(const char *text, size_t len, const char *want_issuer,
    int allow_http, struct pjt_oidc_meta *m, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Fetch and parse the document of issuer with the HTTP options o (its
 * max_size and if_none_match are ignored: the document is always fetched
 * whole, at most PJT_OIDC_DISCOVERY_MAX bytes).  0 or -1 with err. */
int pjt_oidc_discover(const char *issuer, const struct pjt_http_opts *o,
    struct pjt_oidc_meta *m, char *err, size_t errlen)
    __attribute__((warn_unused_result));

void pjt_oidc_meta_free(struct pjt_oidc_meta *m);

#endif
