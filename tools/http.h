/* http.h - the small HTTP client of pamjwt (tools/http.c, over libcurl):
 * one GET or one form POST, HTTPS only, TLS verified, no redirects,
 * bounded in size and time.  For jwks-fetch (OpenID discovery, the JWK Set)
 * and the commands that talk to an identity provider.
 *
 * Never in the module: the login path makes no network call.
 */
#ifndef PJT_HTTP_H
#define PJT_HTTP_H

#include <stddef.h>

#define PJT_HTTP_DEFAULT_MAX (1024 * 1024)
#define PJT_HTTP_DEFAULT_CONNECT_MS 5000L
#define PJT_HTTP_DEFAULT_TIMEOUT_MS 15000L
/* An answer's header lines, all together, and one of them. */
#define PJT_HTTP_HEADERS_MAX (32 * 1024)
#define PJT_HTTP_ETAG_MAX 256
#define PJT_HTTP_URL_MAX 2048
/* max-age above this is taken as this (a year) */
#define PJT_HTTP_MAX_AGE_CAP 31536000LL

struct pjt_http_opts {
	const char *ca_file;        /* NULL: the system's trust store */
	int allow_http;             /* plain http:// too (tests only) */
	long connect_timeout_ms;    /* 0: PJT_HTTP_DEFAULT_CONNECT_MS */
	long timeout_ms;            /* whole transfer; 0: the default */
	size_t max_size;            /* body bytes; 0: PJT_HTTP_DEFAULT_MAX */
	const char *if_none_match;  /* an ETag from an earlier answer, or NULL */
	/* POST: HTTP Basic credentials, or NULL.  Sent as given: RFC 6749
	 * 2.3.1 wants client id and secret form-urlencoded first, which
	 * matters only for bytes outside [A-Za-z0-9-._~] (use the form
	 * fields, client_secret_post, for those). */
	const char *basic_user;
	const char *basic_pass;
};

struct pjt_http_resp {
	long status;                /* 200, 304, ... */
	char *body;                 /* NUL-terminated (never NULL after success) */
	size_t len;
	char *etag;                 /* the ETag header as sent, or NULL */
	long long max_age;          /* Cache-Control max-age seconds; 0 for
	                             * no-store/no-cache; -1 absent */
	char *content_type;         /* or NULL */
	/* internal: header bytes seen, a header too long or malformed */
	size_t header_bytes;
	int header_error;
};

/* Errors: 0 is a completed transfer (any status: the caller judges it). */
enum pjt_http_err {
	PJT_HTTP_OK = 0,
	PJT_HTTP_E_URL = -1,      /* not https (or http when allowed), too long */
	PJT_HTTP_E_CONNECT = -2,  /* resolve, connect */
	PJT_HTTP_E_TLS = -3,      /* handshake, certificate */
	PJT_HTTP_E_TIMEOUT = -4,
	PJT_HTTP_E_TOO_BIG = -5,  /* body over max_size, headers over the cap */
	PJT_HTTP_E_PROTO = -6,    /* anything else the transfer ran into */
	PJT_HTTP_E_NOMEM = -7,
};

/* Once per process, before the first request (curl_global_init).  0 or -1. */
int pjt_http_init(void);
void pjt_http_cleanup(void);

/* GET url.  resp is filled (free with pjt_http_resp_free, also after a
 * failure); err receives one line saying why a transfer failed. */
int pjt_http_get(const char *url, const struct pjt_http_opts *o,
    struct pjt_http_resp *resp, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* POST application/x-www-form-urlencoded: pairs is NAME, VALUE, NAME, VALUE,
 * ..., NULL; each name and value is percent-encoded here. */
int pjt_http_post_form(const char *url, const struct pjt_http_opts *o,
    const char *const *pairs, struct pjt_http_resp *resp, char *err,
    size_t errlen) __attribute__((warn_unused_result));

void pjt_http_resp_free(struct pjt_http_resp *resp);

/* The answer's header handling, on its own for the fuzzer: one header line
 * as libcurl delivers it (status lines reset what was read), and the value
 * of a Cache-Control header. */
void pjt_http_header_line(struct pjt_http_resp *resp, const char *line,
    size_t len);
long long pjt_http_cache_max_age(const char *value, size_t len);

/* 1 if url is an absolute https:// URL (or http:// with allow_http) of
 * printable ASCII without spaces, at most PJT_HTTP_URL_MAX bytes. */
int pjt_http_url_ok(const char *url, int allow_http);

const char *pjt_http_strerror(int err);

#endif
