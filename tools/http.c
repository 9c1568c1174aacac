/* http.c - one bounded HTTPS request over libcurl (see http.h).
 *
 * libcurl does all of HTTP and TLS.  What is ours: the limits (scheme,
 * redirects refused, answer size counted while it arrives, time-outs), and
 * reading the three headers we use (ETag, Cache-Control, Content-Type).
 */
#include "http.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct sink {
	struct pjt_http_resp *resp;
	size_t max;
	int too_big;
};

int
pjt_http_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
pjt_http_cleanup(void)
{
	curl_global_cleanup();
}

const char *
pjt_http_strerror(int err)
{
	switch (err) {
	case PJT_HTTP_OK: return "ok";
	case PJT_HTTP_E_URL: return "URL refused";
	case PJT_HTTP_E_CONNECT: return "cannot connect";
	case PJT_HTTP_E_TLS: return "TLS failed";
	case PJT_HTTP_E_TIMEOUT: return "timed out";
	case PJT_HTTP_E_TOO_BIG: return "answer too large";
	case PJT_HTTP_E_PROTO: return "transfer failed";
	case PJT_HTTP_E_NOMEM: return "out of memory";
	}
	return "unknown error";
}

int
pjt_http_url_ok(const char *url, int allow_http)
{
	size_t i, n;

	if (url == NULL)
		return 0;
	n = strlen(url);
	if (n > PJT_HTTP_URL_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f)
			return 0;
	if (strncasecmp(url, "https://", 8) == 0)
		return n > 8;
	if (allow_http && strncasecmp(url, "http://", 7) == 0)
		return n > 7;
	return 0;
}

/* The length of s without the white space at both ends. */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' ||
	    (*s)[*len - 1] == '\r' || (*s)[*len - 1] == '\n'))
		(*len)--;
}

/* Only printable ASCII is kept of a header value we store. */
static char *
dup_printable(const char *s, size_t len, size_t max)
{
	char *out;
	size_t i;

	if (len == 0 || len > max)
		return NULL;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return NULL;
	out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	memcpy(out, s, len);
	out[len] = '\0';
	return out;
}

long long
pjt_http_cache_max_age(const char *v, size_t len)
{
	long long age = -1, n;
	const char *d, *end = v + len, *comma;
	size_t dl, i;
	int nocache = 0;

	while (v < end) {
		comma = memchr(v, ',', (size_t)(end - v));
		d = v;
		dl = (size_t)((comma ? comma : end) - v);
		v = comma ? comma + 1 : end;
		trim(&d, &dl);
		if ((dl == 8 && strncasecmp(d, "no-store", 8) == 0) ||
		    (dl == 8 && strncasecmp(d, "no-cache", 8) == 0)) {
			nocache = 1;
			continue;
		}
		if (dl < 8 || strncasecmp(d, "max-age=", 8) != 0)
			continue;
		d += 8;
		dl -= 8;
		if (dl >= 2 && d[0] == '"' && d[dl - 1] == '"') {
			d++;
			dl -= 2;
		}
		if (dl == 0)
			continue;
		n = 0;
		for (i = 0; i < dl; i++) {
			if (d[i] < '0' || d[i] > '9') {
				n = -1;
				break;
			}
			if (n < PJT_HTTP_MAX_AGE_CAP)
				n = n * 10 + (d[i] - '0');
		}
		if (n < 0)
			continue;
		if (n > PJT_HTTP_MAX_AGE_CAP)
			n = PJT_HTTP_MAX_AGE_CAP;
		/* two max-age directives: the smaller (the more careful) */
		if (age < 0 || n < age)
			age = n;
	}
	return nocache ? 0 : age;
}

void
pjt_http_header_line(struct pjt_http_resp *r, const char *line, size_t len)
{
	const char *colon, *v;
	size_t nl, vl;
	char *s;

	r->header_bytes += len;
	if (r->header_bytes > PJT_HTTP_HEADERS_MAX) {
		r->header_error = 1;
		return;
	}
	/* a new answer (after a 100 Continue, say): forget the last one's */
	if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
		free(r->etag);
		free(r->content_type);
		r->etag = NULL;
		r->content_type = NULL;
		r->max_age = -1;
		return;
	}
	colon = memchr(line, ':', len);
	if (colon == NULL)
		return;
	nl = (size_t)(colon - line);
	v = colon + 1;
	vl = len - nl - 1;
	trim(&v, &vl);
	if (nl == 4 && strncasecmp(line, "etag", 4) == 0) {
		s = dup_printable(v, vl, PJT_HTTP_ETAG_MAX);
		free(r->etag);
		r->etag = s;
	} else if (nl == 13 && strncasecmp(line, "cache-control", 13) == 0) {
		long long a = pjt_http_cache_max_age(v, vl);

		/* several Cache-Control lines: the most careful wins */
		if (a >= 0 && (r->max_age < 0 || a < r->max_age))
			r->max_age = a;
	} else if (nl == 12 && strncasecmp(line, "content-type", 12) == 0) {
		s = dup_printable(v, vl, 256);
		free(r->content_type);
		r->content_type = s;
	}
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;

	pjt_http_header_line(k->resp, p, size * n);
	/* returning less than given aborts the transfer */
	return k->resp->header_error ? 0 : size * n;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;
	struct pjt_http_resp *r = k->resp;
	size_t add = size * n;
	char *nb;

	if (add > k->max || r->len > k->max - add) {
		k->too_big = 1;
		return 0;
	}
	nb = realloc(r->body, r->len + add + 1);
	if (nb == NULL)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, p, add);
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

static int
map_curl(CURLcode c, const struct sink *k)
{
	if (k->too_big || k->resp->header_error || c == CURLE_FILESIZE_EXCEEDED)
		return PJT_HTTP_E_TOO_BIG;
	switch (c) {
	case CURLE_OK:
		return PJT_HTTP_OK;
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return PJT_HTTP_E_URL;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return PJT_HTTP_E_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return PJT_HTTP_E_TIMEOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return PJT_HTTP_E_TLS;
	case CURLE_OUT_OF_MEMORY:
		return PJT_HTTP_E_NOMEM;
	default:
		return PJT_HTTP_E_PROTO;
	}
}

#define SETOPT(h, opt, val) \
	do { if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK) goto setopt; } while (0)

/* One transfer; form is the POST body or NULL for a GET. */
static int
request(const char *url, const struct pjt_http_opts *o, const char *form,
    struct pjt_http_resp *r, char *err, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL, *nh;
	struct sink k;
	char inm[PJT_HTTP_ETAG_MAX + 32];
	CURL *h = NULL;
	CURLcode c;
	long status = 0;
	int rv = PJT_HTTP_E_PROTO;

	memset(r, 0, sizeof(*r));
	r->max_age = -1;
	memset(&k, 0, sizeof(k));
	k.resp = r;
	k.max = o->max_size ? o->max_size : PJT_HTTP_DEFAULT_MAX;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!pjt_http_url_ok(url, o->allow_http)) {
		rv = PJT_HTTP_E_URL;
		(void)snprintf(err, errlen, "not an %s URL of printable ASCII under %d "
		    "bytes", o->allow_http ? "http(s)" : "https", PJT_HTTP_URL_MAX);
		goto out;
	}
	if ((h = curl_easy_init()) == NULL) {
		rv = PJT_HTTP_E_NOMEM;
		(void)snprintf(err, errlen, "curl_easy_init failed");
		goto out;
	}
	SETOPT(h, CURLOPT_URL, url);
	SETOPT(h, CURLOPT_PROTOCOLS_STR, o->allow_http ? "https,http" : "https");
	/* no redirect at all: a 3xx is an answer the caller refuses */
	SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (o->ca_file != NULL)
		SETOPT(h, CURLOPT_CAINFO, o->ca_file);
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms > 0 ?
	    o->connect_timeout_ms : PJT_HTTP_DEFAULT_CONNECT_MS);
	SETOPT(h, CURLOPT_TIMEOUT_MS, o->timeout_ms > 0 ? o->timeout_ms :
	    PJT_HTTP_DEFAULT_TIMEOUT_MS);
	SETOPT(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)k.max);
	SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(h, CURLOPT_HEADERDATA, &k);
	SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(h, CURLOPT_WRITEDATA, &k);
	SETOPT(h, CURLOPT_ERRORBUFFER, cerr);
	SETOPT(h, CURLOPT_USERAGENT, "pamjwt");
	if ((nh = curl_slist_append(hdrs, "Accept: application/json")) == NULL)
		goto nomem;
	hdrs = nh;
	if (o->if_none_match != NULL && form == NULL &&
	    strlen(o->if_none_match) <= PJT_HTTP_ETAG_MAX) {
		(void)snprintf(inm, sizeof(inm), "If-None-Match: %s", o->if_none_match);
		if ((nh = curl_slist_append(hdrs, inm)) == NULL)
			goto nomem;
		hdrs = nh;
	}
	SETOPT(h, CURLOPT_HTTPHEADER, hdrs);
	if (form != NULL) {
		SETOPT(h, CURLOPT_POSTFIELDS, form);
		if (o->basic_user != NULL && o->basic_pass != NULL) {
			SETOPT(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
			SETOPT(h, CURLOPT_USERNAME, o->basic_user);
			SETOPT(h, CURLOPT_PASSWORD, o->basic_pass);
		}
	}
	c = curl_easy_perform(h);
	rv = map_curl(c, &k);
	if (rv != PJT_HTTP_OK) {
		if (rv == PJT_HTTP_E_TOO_BIG)
			(void)snprintf(err, errlen, "%s over %zu bytes", r->header_error ?
			    "headers" : "answer", r->header_error ?
			    (size_t)PJT_HTTP_HEADERS_MAX : k.max);
		else
			(void)snprintf(err, errlen, "%s", cerr[0] ? cerr :
			    curl_easy_strerror(c));
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
		rv = PJT_HTTP_E_PROTO;
		(void)snprintf(err, errlen, "no status code");
		goto out;
	}
	r->status = status;
	if (r->body == NULL && (r->body = calloc(1, 1)) == NULL)
		goto nomem;
	rv = PJT_HTTP_OK;
	goto out;
setopt:
	rv = PJT_HTTP_E_PROTO;
	(void)snprintf(err, errlen, "libcurl refused an option (too old a libcurl?)");
	goto out;
nomem:
	rv = PJT_HTTP_E_NOMEM;
	(void)snprintf(err, errlen, "out of memory");
out:
	curl_slist_free_all(hdrs);
	if (h != NULL)
		curl_easy_cleanup(h);
	return rv;
}

int
pjt_http_get(const char *url, const struct pjt_http_opts *o,
    struct pjt_http_resp *resp, char *err, size_t errlen)
{
	return request(url, o, NULL, resp, err, errlen);
}

int
pjt_http_post_form(const char *url, const struct pjt_http_opts *o,
    const char *const *pairs, struct pjt_http_resp *resp, char *err,
    size_t errlen)
{
	CURL *h = NULL;
	char *form = NULL, *e = NULL, *nf;
	size_t flen = 0, el, i;
	int rv = PJT_HTTP_E_NOMEM;

	memset(resp, 0, sizeof(*resp));
	resp->max_age = -1;
	if ((h = curl_easy_init()) == NULL || (form = calloc(1, 1)) == NULL)
		goto nomem;
	for (i = 0; pairs != NULL && pairs[i] != NULL; i++) {
		e = curl_easy_escape(h, pairs[i], 0);
		if (e == NULL)
			goto nomem;
		el = strlen(e);
		nf = realloc(form, flen + el + 2);
		if (nf == NULL)
			goto nomem;
		form = nf;
		if (i > 0)
			form[flen++] = i % 2 == 1 ? '=' : '&';
		memcpy(form + flen, e, el + 1);
		flen += el;
		curl_free(e);
		e = NULL;
	}
	if (i % 2 != 0) {
		rv = PJT_HTTP_E_URL;
		(void)snprintf(err, errlen, "a form field without a value");
		goto out;
	}
	rv = request(url, o, form, resp, err, errlen);
	goto out;
nomem:
	(void)snprintf(err, errlen, "out of memory");
out:
	curl_free(e);
	if (form != NULL) {
		/* the form may hold a client secret or a device code */
		sodium_memzero(form, flen);
		free(form);
	}
	if (h != NULL)
		curl_easy_cleanup(h);
	return rv;
}

void
pjt_http_resp_free(struct pjt_http_resp *r)
{
	if (r == NULL)
		return;
	if (r->body != NULL) {
		/* a token endpoint's answer holds tokens */
		sodium_memzero(r->body, r->len);
		free(r->body);
	}
	free(r->etag);
	free(r->content_type);
	memset(r, 0, sizeof(*r));
	r->max_age = -1;
}
