/* conf.c - the config file of pamjwt-linkd (pamjwt-linkd(8), CONFIGURATION)
 *
 * "key = value" lines, '#' comments, blank lines; "[kind NAME]" starts the
 * keys of one link kind.  Unknown keys, bad values, a key given twice and
 * missing required keys are errors naming FILE:LINE.
 */
#include "linkd.h"

#include "lib/err.h"
#include "lib/file.h"
#include "lib/text.h"
#include "lib/user.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define VALUE_MAX 1024

enum ktype { K_STR, K_PATH, K_NUM, K_BOOL, K_LISTEN, K_STARTTLS, K_URL };

struct key {
	const char *name;
	enum ktype type;
	size_t off;             /* into struct lf_conf */
	long long min, max;     /* K_NUM */
};

#define S(f) offsetof(struct lf_conf, f)
static const struct key keys[] = {
	{ "listen", K_LISTEN, 0, 0, 0 },
	{ "base_url", K_URL, S(base_url), 0, 0 },
	{ "tls_cert_file", K_PATH, S(tls_cert_file), 0, 0 },
	{ "tls_key_file", K_PATH, S(tls_key_file), 0, 0 },
	{ "hsts", K_BOOL, S(hsts), 0, 0 },
	{ "hsts_max_age", K_NUM, S(hsts_max_age), 0, 63072000 },
	{ "trust_proxy", K_BOOL, S(trust_proxy), 0, 0 },
	{ "max_connections", K_NUM, S(max_connections), 1, 10000 },
	{ "max_per_client", K_NUM, S(max_per_client), 1, 10000 },
	{ "threads", K_NUM, S(threads), 1, 64 },
	{ "connection_timeout", K_NUM, S(connection_timeout), 1, 600 },
	{ "directory", K_PATH, S(directory), 0, 0 },
	{ "host", K_STR, S(host), 0, 0 },
	{ "audience", K_STR, S(audience), 0, 0 },
	{ "issuer", K_STR, S(issuer), 0, 0 },
	{ "key_file", K_PATH, S(key_file), 0, 0 },
	{ "alg", K_STR, S(alg), 0, 0 },
	{ "kid", K_STR, S(kid), 0, 0 },
	{ "token_ttl", K_NUM, S(token_ttl), 10, 3600 },
	{ "link_ttl", K_NUM, S(link_ttl), 1, 86400 },
	{ "smtp_url", K_URL, S(smtp_url), 0, 0 },
	{ "mail_from", K_STR, S(mail_from), 0, 0 },
	{ "mail_subject", K_STR, S(mail_subject), 0, 0 },
	{ "smtp_user", K_STR, S(smtp_user), 0, 0 },
	{ "smtp_password_file", K_PATH, S(smtp_password_file), 0, 0 },
	{ "smtp_ca_file", K_PATH, S(smtp_ca_file), 0, 0 },
	{ "smtp_starttls", K_STARTTLS, S(smtp_starttls), 0, 0 },
	{ "smtp_timeout", K_NUM, S(smtp_timeout), 1, 600 },
	{ "mail_queue", K_NUM, S(mail_queue), 1, 100000 },
	{ "rate_window", K_NUM, S(rate_window), 1, 86400 },
	{ "rate_per_account", K_NUM, S(rate_per_account), 1, 100000 },
	{ "rate_per_client", K_NUM, S(rate_per_client), 1, 1000000 },
	{ "rate_per_input", K_NUM, S(rate_per_input), 1, 100000 },
	{ "max_links", K_NUM, S(max_links), 1, 1000000 },
	{ "rate_slots", K_NUM, S(rate_slots), 16, 1000000 },
	{ "rate_mails", K_NUM, S(rate_mails), 1, 10000000 },
	{ "admin_secret_file", K_PATH, S(admin_secret_file), 0, 0 },
	{ "admin_url", K_URL, S(admin_url), 0, 0 },
	{ "admin_ca_file", K_PATH, S(admin_ca_file), 0, 0 },
	{ NULL, K_STR, 0, 0, 0 },
};
#undef S

/* The fields whose type is unsigned int rather than long long / int. */
static int
is_uint(size_t off)
{
	return off == offsetof(struct lf_conf, max_connections) ||
	    off == offsetof(struct lf_conf, max_per_client) ||
	    off == offsetof(struct lf_conf, threads) ||
	    off == offsetof(struct lf_conf, connection_timeout) ||
	    off == offsetof(struct lf_conf, mail_queue) ||
	    off == offsetof(struct lf_conf, rate_per_account) ||
	    off == offsetof(struct lf_conf, rate_per_client) ||
	    off == offsetof(struct lf_conf, rate_per_input) ||
	    off == offsetof(struct lf_conf, max_links) ||
	    off == offsetof(struct lf_conf, rate_slots) ||
	    off == offsetof(struct lf_conf, rate_mails);
}

static void
defaults(struct lf_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->listen_port = 8080;
	c->hsts = -1;                   /* on with TLS */
	c->hsts_max_age = 31536000;
	c->max_connections = 64;
	c->max_per_client = 8;
	c->threads = 2;
	c->connection_timeout = 10;
	c->token_ttl = 300;
	c->link_ttl = 900;
	c->smtp_starttls = -1;         /* by the relay, in finish() */
	c->smtp_timeout = 30;
	c->mail_queue = 256;
	c->rate_window = 3600;
	c->rate_per_account = 5;
	c->rate_per_client = 30;
	c->rate_per_input = 5;
	c->max_links = 10000;
	c->rate_slots = 8192;
	c->rate_mails = 1000;
}

static int
parse_bool(const char *v, int *out)
{
	if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0 ||
	    strcmp(v, "true") == 0) {
		*out = 1;
		return 0;
	}
	if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0 ||
	    strcmp(v, "false") == 0) {
		*out = 0;
		return 0;
	}
	return -1;
}

/* ADDR:PORT, ADDR numeric IPv4, or [IPv6]:PORT. */
static int
parse_listen(const char *v, struct lf_conf *c)
{
	const char *colon, *a = v, *ae;
	char addr[64];
	unsigned char tmp[16];
	long long port;
	size_t n;
	int fam;

	if (v[0] == '[') {
		a = v + 1;
		ae = strchr(a, ']');
		if (ae == NULL || ae[1] != ':')
			return -1;
		colon = ae + 1;
		fam = AF_INET6;
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL)
			return -1;
		ae = colon;
		fam = AF_INET;
	}
	n = (size_t)(ae - a);
	if (n == 0 || n >= sizeof(addr))
		return -1;
	memcpy(addr, a, n);
	addr[n] = '\0';
	if (inet_pton(fam, addr, tmp) != 1)
		return -1;
	if (pj_parse_ll(colon + 1, 1, 65535, &port) != 0)
		return -1;
	free(c->listen_addr);
	c->listen_addr = strdup(addr);
	if (c->listen_addr == NULL)
		return -2;
	c->listen_port = (unsigned int)port;
	return 0;
}

static int
has_space(const char *s)
{
	for (; *s; s++)
		if (*s == ' ' || *s == '\t')
			return 1;
	return 0;
}

/* One "key = value" into c (or into kind k when inside [kind NAME]). */
static int
set_kind(struct lf_kind *k, const char *key, const char *v, char *reason,
    size_t rlen)
{
	long long n;
	char **dst = NULL;

	if (strcmp(key, "scope") == 0)
		dst = &k->scope;
	else if (strcmp(key, "audience") == 0)
		dst = &k->audience;
	else if (strcmp(key, "token_ttl") == 0) {
		if (k->token_ttl != 0)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "token_ttl given twice");
		if (pj_parse_ll(v, 10, 3600, &n) != 0)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "token_ttl must be 10 to 3600 seconds");
		k->token_ttl = n;
		return PJ_OK;
	} else if (strcmp(key, "show") == 0) {
		if (strcmp(v, "ssh") == 0)
			k->show = LF_SHOW_SSH;
		else if (strcmp(v, "sudo") == 0)
			k->show = LF_SHOW_SUDO;
		else
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "show must be ssh or sudo");
		return PJ_OK;
	} else if (strcmp(key, "web") == 0) {
		if (parse_bool(v, &k->web) != 0)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "web must be yes or no");
		return PJ_OK;
	} else
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "unknown key '%.40s' in a [kind] section (scope, audience, "
		    "token_ttl, show, web)", key);
	if (*dst != NULL)
		return pj_reason(PJ_E_CONFIG, reason, rlen, "%s given twice", key);
	if (v[0] == '\0' || (strcmp(key, "audience") == 0 && has_space(v)))
		return pj_reason(PJ_E_CONFIG, reason, rlen, "%s: bad value", key);
	*dst = strdup(v);
	return *dst == NULL ? PJ_E_NOMEM : PJ_OK;
}

static int
set_key(struct lf_conf *c, const char *key, const char *v, unsigned char *seen,
    char *reason, size_t rlen)
{
	const struct key *k;
	char **sp;
	long long n;
	int b, r;
	size_t i;

	for (k = keys; k->name != NULL; k++)
		if (strcmp(k->name, key) == 0)
			break;
	if (k->name == NULL)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "unknown key '%.40s'", key);
	i = (size_t)(k - keys);
	if (seen[i])
		return pj_reason(PJ_E_CONFIG, reason, rlen, "%s given twice", key);
	seen[i] = 1;
	if (v[0] == '\0')
		return pj_reason(PJ_E_CONFIG, reason, rlen, "%s needs a value", key);
	switch (k->type) {
	case K_LISTEN:
		r = parse_listen(v, c);
		if (r == -2)
			return PJ_E_NOMEM;
		if (r != 0)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "listen must be IPV4:PORT or [IPV6]:PORT (numeric)");
		return PJ_OK;
	case K_NUM:
		if (pj_parse_ll(v, k->min, k->max, &n) != 0)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s must be a whole number from %lld to %lld", key,
			    k->min, k->max);
		if (is_uint(k->off))
			*(unsigned int *)(void *)((char *)c + k->off) =
			    (unsigned int)n;
		else
			*(long long *)(void *)((char *)c + k->off) = n;
		return PJ_OK;
	case K_BOOL:
		if (parse_bool(v, &b) != 0)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s must be on or off", key);
		*(int *)(void *)((char *)c + k->off) = b;
		return PJ_OK;
	case K_STARTTLS:
		if (strcmp(v, "no") == 0)
			c->smtp_starttls = 0;
		else if (strcmp(v, "try") == 0)
			c->smtp_starttls = 1;
		else if (strcmp(v, "required") == 0)
			c->smtp_starttls = 2;
		else
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "smtp_starttls must be no, try or required");
		return PJ_OK;
	case K_PATH:
		if (v[0] != '/')
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s must be an absolute path", key);
		break;
	case K_URL:
		if (has_space(v) || (strncmp(v, "http://", 7) != 0 &&
		    strncmp(v, "https://", 8) != 0 &&
		    strncmp(v, "smtp://", 7) != 0 &&
		    strncmp(v, "smtps://", 8) != 0))
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s must be an http(s):// or smtp(s):// URL without "
			    "spaces", key);
		break;
	case K_STR:
		break;
	}
	sp = (char **)(void *)((char *)c + k->off);
	*sp = strdup(v);
	return *sp == NULL ? PJ_E_NOMEM : PJ_OK;
}

static int
url_scheme(const char *u, const char *a, const char *b)
{
	return u != NULL && (strncmp(u, a, strlen(a)) == 0 ||
	    strncmp(u, b, strlen(b)) == 0);
}

/* Whether the relay of smtp_url is this host: localhost, 127.0.0.0/8 or
 * ::1.  The URL is taken apart by libcurl, the parser that will use it.
 * 1 loopback, 0 not (or not parsable: the safe answer), -1 no memory. */
static int
relay_loopback(const char *url)
{
	CURLU *u;
	char *host = NULL;
	unsigned char a[16];
	char v6[64];
	size_t n;
	int r = 0;

	u = curl_url();
	if (u == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	n = strlen(host);
	if (strcasecmp(host, "localhost") == 0)
		r = 1;
	else if (inet_pton(AF_INET, host, a) == 1)
		r = a[0] == 127;
	else if (n > 2 && n < sizeof(v6) + 2 && host[0] == '[' &&
	    host[n - 1] == ']') {
		memcpy(v6, host + 1, n - 2);
		v6[n - 2] = '\0';
		r = inet_pton(AF_INET6, v6, a) == 1 &&
		    memcmp(a, in6addr_loopback.s6_addr, 16) == 0;
	}
out:
	curl_free(host);
	curl_url_cleanup(u);
	return r;
}

/* STARTTLS on smtp://: the mailed link is a credential, and with smtp_user
 * libcurl would send the password in clear when "try" finds no STARTTLS.
 * Default "required", or "try" towards a relay on this host; "no" or
 * "try" with smtp_user only towards this host. */
static int
finish_starttls(struct lf_conf *c, char *reason, size_t rlen)
{
	int lo;

	if (strncmp(c->smtp_url, "smtps://", 8) == 0) {
		if (c->smtp_starttls < 0)
			c->smtp_starttls = 2;
		return PJ_OK;
	}
	lo = relay_loopback(c->smtp_url);
	if (lo < 0)
		return PJ_E_NOMEM;
	if (c->smtp_starttls < 0)
		c->smtp_starttls = lo ? 1 : 2;
	if (!lo && c->smtp_starttls < 2 && c->smtp_user != NULL)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "smtp_starttls = %s with smtp_user towards a relay that is "
		    "not this host would send the SMTP password in clear: use "
		    "smtp_starttls = required or smtps://",
		    c->smtp_starttls == 0 ? "no" : "try");
	return PJ_OK;
}

/* What must hold once the whole file is read. */
static int
finish(struct lf_conf *c, char *reason, size_t rlen)
{
	static const char *const need[] = { "base_url", "directory", "host",
	    "key_file", "smtp_url", "mail_from" };
	const char *have[6];
	size_t i, j;
	int tls, r;

	have[0] = c->base_url;
	have[1] = c->directory;
	have[2] = c->host;
	have[3] = c->key_file;
	have[4] = c->smtp_url;
	have[5] = c->mail_from;
	for (i = 0; i < 6; i++)
		if (have[i] == NULL)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s is required", need[i]);
	if (!url_scheme(c->base_url, "http://", "https://"))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "base_url must start with http:// or https://");
	if (strchr(c->base_url, '?') || strchr(c->base_url, '#') ||
	    pj_has_ctl(c->base_url) || strchr(c->base_url, '"') ||
	    strchr(c->base_url, '<') || strchr(c->base_url, '>'))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "base_url must hold no query, fragment, quote or angle bracket");
	if (!url_scheme(c->smtp_url, "smtp://", "smtps://"))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "smtp_url must start with smtp:// or smtps://");
	if (c->admin_url != NULL &&
	    !url_scheme(c->admin_url, "http://", "https://"))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "admin_url must start with http:// or https://");
	if (!lf_addr_valid(c->mail_from))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "mail_from is not a plain address (local@domain)");
	if (c->mail_subject != NULL && pj_has_ctl(c->mail_subject))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "mail_subject holds a control byte");
	if (has_space(c->host) || pj_has_ctl(c->host) ||
	    strlen(c->host) > 253)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "host must be one host name");
	if (c->audience != NULL && has_space(c->audience))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "audience must be one word");
	if ((c->tls_cert_file == NULL) != (c->tls_key_file == NULL))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "tls_cert_file and tls_key_file go together");
	if ((c->smtp_user == NULL) != (c->smtp_password_file == NULL))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "smtp_user and smtp_password_file go together");
	if ((r = finish_starttls(c, reason, rlen)) != PJ_OK)
		return r;
	tls = c->tls_cert_file != NULL;
	if (c->hsts < 0)
		c->hsts = tls;
	if (c->listen_addr == NULL && (c->listen_addr = strdup("127.0.0.1")) == NULL)
		return PJ_E_NOMEM;
	if (c->alg == NULL && (c->alg = strdup("HS256")) == NULL)
		return PJ_E_NOMEM;
	if (c->issuer == NULL && (c->issuer = strdup("pamjwt-linkd")) == NULL)
		return PJ_E_NOMEM;
	if (c->mail_subject == NULL &&
	    (c->mail_subject = strdup("Your sign-in link")) == NULL)
		return PJ_E_NOMEM;
	if (c->nkinds == 0) {
		c->kinds[0].name = strdup("login");
		if (c->kinds[0].name == NULL)
			return PJ_E_NOMEM;
		c->kinds[0].web = 1;
		c->nkinds = 1;
	}
	for (i = 0; i < c->nkinds; i++)
		for (j = i + 1; j < c->nkinds; j++)
			if (strcmp(c->kinds[i].name, c->kinds[j].name) == 0)
				return pj_reason(PJ_E_CONFIG, reason, rlen,
				    "[kind %s] given twice", c->kinds[i].name);
	return PJ_OK;
}

static int
kind_name_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > LF_KIND_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

int
lf_conf_parse(const char *text, size_t len, const char *name,
    struct lf_conf *c, char *reason, size_t rlen)
{
	unsigned char seen[sizeof(keys) / sizeof(keys[0])];
	const char *p = text, *end = text + len, *line, *eq, *ks, *vs;
	char key[64], val[VALUE_MAX + 1];
	struct lf_kind *kind = NULL;
	size_t n, kn, vn;
	unsigned int lineno = 0;
	int r = PJ_E_INTERNAL;

	defaults(c);
	memset(seen, 0, sizeof(seen));
	if (memchr(text, '\0', len) != NULL) {
		r = pj_reason(PJ_E_CONFIG, reason, rlen, "%s: holds a NUL byte",
		    name);
		goto out;
	}
	while (pj_next_line(&p, end, &line, &n)) {
		lineno++;
		if (n == 0 || line[0] == '#')
			continue;
		if (line[0] == '[') {
			if (n < 8 || line[n - 1] != ']' ||
			    strncmp(line, "[kind ", 6) != 0) {
				r = pj_reason(PJ_E_CONFIG, reason, rlen,
				    "%s:%u: a section is [kind NAME]", name, lineno);
				goto out;
			}
			ks = line + 6;
			kn = n - 7;
			pj_strip_blank(&ks, &kn);
			if (!kind_name_valid(ks, kn)) {
				r = pj_reason(PJ_E_CONFIG, reason, rlen,
				    "%s:%u: a kind name is 1 to %d of [a-z0-9_-]",
				    name, lineno, LF_KIND_NAME_MAX);
				goto out;
			}
			if (c->nkinds == LF_KIND_MAX) {
				r = pj_reason(PJ_E_CONFIG, reason, rlen,
				    "%s:%u: at most %d kinds", name, lineno,
				    LF_KIND_MAX);
				goto out;
			}
			kind = &c->kinds[c->nkinds++];
			kind->web = 1;
			kind->name = strndup(ks, kn);
			if (kind->name == NULL) {
				r = PJ_E_NOMEM;
				goto out;
			}
			continue;
		}
		eq = memchr(line, '=', n);
		if (eq == NULL) {
			r = pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: not 'key = value'", name, lineno);
			goto out;
		}
		ks = line;
		kn = (size_t)(eq - line);
		vs = eq + 1;
		vn = n - kn - 1;
		pj_strip_blank(&ks, &kn);
		pj_strip_blank(&vs, &vn);
		if (kn == 0 || kn >= sizeof(key) || vn > VALUE_MAX) {
			r = pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: key or value too long", name, lineno);
			goto out;
		}
		memcpy(key, ks, kn);
		key[kn] = '\0';
		memcpy(val, vs, vn);
		val[vn] = '\0';
		if (pj_has_ctl(key) || pj_has_ctl(val)) {
			r = pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: control byte", name, lineno);
			goto out;
		}
		r = kind != NULL ? set_kind(kind, key, val, reason, rlen) :
		    set_key(c, key, val, seen, reason, rlen);
		if (r != PJ_OK) {
			if (r == PJ_E_CONFIG)
				pj_reason_prefix(reason, rlen, "%s:%u", name, lineno);
			goto out;
		}
	}
	r = finish(c, reason, rlen);
	if (r == PJ_E_CONFIG)
		pj_reason_prefix(reason, rlen, "%s", name);
out:
	if (r != PJ_OK)
		lf_conf_free(c);
	return r;
}

int
lf_conf_load(const char *path, struct lf_conf *c, char *reason, size_t rlen)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	defaults(c);
	r = pj_file_read(path, PJ_FILE_PUBLIC, LF_CONF_MAX, PJ_E_CONFIG, &text,
	    &len, NULL, reason, rlen);
	if (r != PJ_OK)
		goto out;
	r = lf_conf_parse(text, len, path, c, reason, rlen);
	if (r != PJ_OK)
		goto out;
	c->path = strdup(path);
	if (c->path == NULL) {
		lf_conf_free(c);
		r = PJ_E_NOMEM;
	}
out:
	pj_file_free(text, len);
	return r;
}

const struct lf_kind *
lf_conf_kind(const struct lf_conf *c, const char *name)
{
	size_t i;

	if (name == NULL || name[0] == '\0')
		return &c->kinds[0];
	for (i = 0; i < c->nkinds; i++)
		if (strcmp(c->kinds[i].name, name) == 0)
			return &c->kinds[i];
	return NULL;
}

void
lf_conf_free(struct lf_conf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < LF_KIND_MAX; i++) {
		free(c->kinds[i].name);
		free(c->kinds[i].scope);
		free(c->kinds[i].audience);
	}
	free(c->path);
	free(c->listen_addr);
	free(c->base_url);
	free(c->tls_cert_file);
	free(c->tls_key_file);
	free(c->directory);
	free(c->host);
	free(c->audience);
	free(c->issuer);
	free(c->key_file);
	free(c->alg);
	free(c->kid);
	free(c->smtp_url);
	free(c->mail_from);
	free(c->mail_subject);
	free(c->smtp_user);
	free(c->smtp_password_file);
	free(c->smtp_ca_file);
	free(c->admin_secret_file);
	free(c->admin_url);
	free(c->admin_ca_file);
	memset(c, 0, sizeof(*c));
}
