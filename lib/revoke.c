/* revoke.c - revocation before expiry (pam_jwt.conf(5), Revocation)
 *
 * The revocation file, one entry a line, fields separated by one space:
 *   jti UNTIL ISS JTI          one token
 *   sub UNTIL ISS SUB BEFORE   every token of that subject with iat < BEFORE
 *                              (and every one of them without iat)
 *   kid UNTIL KID              every token verified by the key with that
 *                              kid, or whose header names it
 * UNTIL (seconds since the epoch, 0 for never) is when the entry stops
 * mattering: `pamjwt revoke` drops it after that; the module skips it
 * after that only for a token whose exp + PJ_LEEWAY_MAX <= UNTIL.
 * Values are percent-encoded: a byte outside '!'..'~', and '%', is %XX.
 * Blank lines and lines beginning with '#' are comments.  Anything else is
 * an error, and so is a last line without its "\n" (a cut file): the
 * module then fails closed.
 */
#include "revoke.h"
#include "claims.h"
#include "err.h"
#include "file.h"
#include "options.h"
#include "redis.h"
#include "text.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELDS_MAX 5

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode [s, s + n) into out (room for n bytes); -1 if malformed or
 * empty. */
static int
decode(const char *s, size_t n, char *out, size_t *olen)
{
	size_t i, o = 0;
	int h, l;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e)
			return -1;
		if (c != '%') {
			out[o++] = (char)c;
			continue;
		}
		if (i + 2 >= n)
			return -1;
		h = hexval((unsigned char)s[i + 1]);
		l = hexval((unsigned char)s[i + 2]);
		if (h < 0 || l < 0)
			return -1;
		out[o++] = (char)(h * 16 + l);
		i += 2;
	}
	*olen = o;
	return 0;
}

/* Digits only (no sign, no space), at most LLONG_MAX: pj_parse_ll's
 * grammar, without a copy and strtoll for each of the file's numbers. */
static int
number(const char *s, size_t n, long long *out)
{
	unsigned long long v = 0;
	size_t i;

	if (n == 0 || n > 19)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	if (v > (unsigned long long)LLONG_MAX)
		return -1;
	*out = (long long)v;
	return 0;
}

int
pj_revoke_parse(const char *text, size_t len, const char *name, int err_code,
    int (*cb)(void *ctx, const struct pj_revoke_entry *e), void *ctx,
    char *reason, size_t rlen)
{
	struct pj_revoke_entry e;
	const char *p = text, *end = text + len, *nl, *f[FIELDS_MAX + 1];
	size_t fl[FIELDS_MAX + 1], n, nf, start, stop, alen = 0, blen = 0;
	char *abuf = NULL, *bbuf = NULL;
	unsigned int lineno = 0;
	const char *what = NULL;
	int r = PJ_E_INTERNAL;

	abuf = malloc(PJ_REVOKE_LINE_MAX);
	bbuf = malloc(PJ_REVOKE_LINE_MAX);
	if (abuf == NULL || bbuf == NULL) {
		r = PJ_E_NOMEM;
		goto out;
	}
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			what = "the last line has no newline (a cut file?)";
			goto bad;
		}
		n = (size_t)(nl - p);
		if (n >= PJ_REVOKE_LINE_MAX) {
			what = "line too long";
			goto bad;
		}
		if (n == 0 || p[0] == '#') {
			p = nl + 1;
			continue;
		}
		/* split at single spaces: [start, stop) is one field */
		memset(f, 0, sizeof(f));
		memset(fl, 0, sizeof(fl));
		nf = 0;
		start = 0;
		for (;;) {
			const char *sp = memchr(p + start, ' ', n - start);

			stop = sp != NULL ? (size_t)(sp - p) : n;
			if (nf > FIELDS_MAX) {
				what = "too many fields";
				goto bad;
			}
			if (stop == start) {
				what = "empty field (fields are separated by one space)";
				goto bad;
			}
			f[nf] = p + start;
			fl[nf] = stop - start;
			nf++;
			if (stop == n)
				break;
			start = stop + 1;
		}
		memset(&e, 0, sizeof(e));
		e.line = lineno;
		if (fl[0] == 3 && memcmp(f[0], "jti", 3) == 0 && nf == 4)
			e.type = PJ_REVOKE_JTI;
		else if (fl[0] == 3 && memcmp(f[0], "sub", 3) == 0 && nf == 5)
			e.type = PJ_REVOKE_SUB;
		else if (fl[0] == 3 && memcmp(f[0], "kid", 3) == 0 && nf == 3)
			e.type = PJ_REVOKE_KID;
		else {
			what = "expected 'jti UNTIL ISS JTI', 'sub UNTIL ISS SUB "
			    "BEFORE' or 'kid UNTIL KID'";
			goto bad;
		}
		if (number(f[1], fl[1], &e.until) != 0) {
			what = "UNTIL is not a number of seconds (0: never)";
			goto bad;
		}
		if (decode(f[2], fl[2], abuf, &alen) != 0 ||
		    (nf >= 4 && decode(f[3], fl[3], bbuf, &blen) != 0)) {
			what = "a value is empty or not percent-encoded ('!'..'~', %XX)";
			goto bad;
		}
		e.a = abuf;
		e.alen = alen;
		if (nf >= 4) {
			e.b = bbuf;
			e.blen = blen;
		}
		if (e.type == PJ_REVOKE_SUB && number(f[4], fl[4], &e.before) != 0) {
			what = "BEFORE is not a number of seconds";
			goto bad;
		}
		if (cb != NULL && (r = cb(ctx, &e)) != PJ_OK)
			goto out;
		p = nl + 1;
	}
	r = PJ_OK;
	goto out;
bad:
	r = pj_reason(err_code, reason, rlen, "%.128s:%u: %s", name, lineno, what);
out:
	free(abuf);
	free(bbuf);
	return r;
}

static int
same(const char *x, size_t xl, const char *y, size_t yl)
{
	return x != NULL && y != NULL && xl == yl && memcmp(x, y, xl) == 0;
}

int
pj_revoke_matches(const struct pj_revoke_entry *e,
    const struct pj_revoke_token *t, long long now)
{
	/* a lapsed entry is skipped only for a token that has expired by
	 * then (with the largest leeway): nothing ties UNTIL to the lifetime
	 * of the tokens it names (issue 18 F2) */
	if (e->until != 0 && e->until < now && t->has_exp &&
	    t->exp <= e->until - PJ_LEEWAY_MAX)
		return 0;
	switch (e->type) {
	case PJ_REVOKE_JTI:
		return same(e->a, e->alen, t->iss, t->iss_len) &&
		    same(e->b, e->blen, t->jti, t->jti_len);
	case PJ_REVOKE_SUB:
		return same(e->a, e->alen, t->iss, t->iss_len) &&
		    same(e->b, e->blen, t->sub, t->sub_len) &&
		    (!t->has_iat || t->iat < e->before);
	case PJ_REVOKE_KID:
		/* the key that verified, and the kid the token names */
		return same(e->a, e->alen, t->key_kid, t->key_kid_len) ||
		    same(e->a, e->alen, t->kid, t->kid_len);
	}
	return 0;
}

/* Append s percent-encoded to dst (room checked by the caller). */
static size_t
encode(char *dst, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x21 || c > 0x7e || c == '%') {
			dst[o++] = '%';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		} else {
			dst[o++] = (char)c;
		}
	}
	return o;
}

int
pj_revoke_format(const struct pj_revoke_entry *e, char **line)
{
	static const char *const names[] = { "jti", "sub", "kid" };
	size_t cap, o;
	char *s;
	int n;

	*line = NULL;
	cap = 3 * (e->alen + e->blen) + 80;
	s = malloc(cap);
	if (s == NULL)
		return PJ_E_NOMEM;
	n = snprintf(s, cap, "%s %lld ", names[e->type], e->until);
	o = (size_t)n;
	o += encode(s + o, e->a, e->alen);
	if (e->type != PJ_REVOKE_KID) {
		s[o++] = ' ';
		o += encode(s + o, e->b, e->blen);
	}
	if (e->type == PJ_REVOKE_SUB)
		o += (size_t)snprintf(s + o, cap - o, " %lld", e->before);
	s[o++] = '\n';
	s[o] = '\0';
	*line = s; /* transferred */
	return PJ_OK;
}

static void
str_of(json_t *claims, const char *name, const char **s, size_t *n)
{
	json_t *v = json_object_get(claims, name);

	*s = NULL;
	*n = 0;
	if (json_is_string(v)) {
		*s = json_string_value(v);
		*n = json_string_length(v);
	}
}

void
pj_revoke_token_from(json_t *claims, const char *kid, const char *key_kid,
    struct pj_revoke_token *t)
{
	memset(t, 0, sizeof(*t));
	str_of(claims, "iss", &t->iss, &t->iss_len);
	str_of(claims, "jti", &t->jti, &t->jti_len);
	str_of(claims, "sub", &t->sub, &t->sub_len);
	t->has_iat = pj_claims_numeric(json_object_get(claims, "iat"),
	    &t->iat) == 0;
	t->has_exp = pj_claims_numeric(json_object_get(claims, "exp"),
	    &t->exp) == 0;
	if (kid != NULL) {
		t->kid = kid;
		t->kid_len = strlen(kid);
	}
	if (key_kid != NULL) {
		t->key_kid = key_kid;
		t->key_kid_len = strlen(key_kid);
	}
}

struct check_ctx {
	const struct pj_revoke_token *t;
	long long now;
	const struct pj_revoke_entry *hit;
	enum pj_revoke_type type;
	unsigned int line;
	long long before;
};

static int
check_one(void *vctx, const struct pj_revoke_entry *e)
{
	struct check_ctx *c = vctx;

	/* the first match is kept, but the whole file is still parsed: a
	 * corrupt file fails closed wherever the damage is */
	if (c->line == 0 && pj_revoke_matches(e, c->t, c->now)) {
		c->line = e->line;
		c->type = e->type;
		c->before = e->before;
	}
	return PJ_OK;
}

static const char *
type_words(enum pj_revoke_type type)
{
	switch (type) {
	case PJ_REVOKE_JTI:
		return "this token (iss, jti) is revoked";
	case PJ_REVOKE_SUB:
		return "its subject's tokens issued before a time are revoked";
	case PJ_REVOKE_KID:
		return "its key id (kid) is revoked";
	}
	return "revoked";
}

static int
check_file(const struct pj_options *o, const struct pj_revoke_token *t,
    long long now, char *reason, size_t rlen)
{
	struct check_ctx c;
	char *text = NULL;
	size_t len = 0;
	int r;

	memset(&c, 0, sizeof(c));
	c.t = t;
	c.now = now;
	r = pj_file_read(o->revoked_file, PJ_FILE_PUBLIC, PJ_REVOKE_FILE_MAX,
	    PJ_E_KEY, &text, &len, NULL, reason, rlen);
	if (r != PJ_OK) {
		pj_reason_prefix(reason, rlen, "revoked_file");
		goto out;
	}
	r = pj_revoke_parse(text, len, o->revoked_file, PJ_E_KEY, check_one, &c,
	    reason, rlen);
	if (r != PJ_OK) {
		pj_reason_prefix(reason, rlen, "revoked_file");
		goto out;
	}
	if (c.line != 0) {
		r = pj_reason(PJ_E_REVOKED, reason, rlen,
		    "%s (revoked_file %.128s line %u)",
		    type_words(c.type), o->revoked_file, c.line);
		goto out;
	}
	r = PJ_OK;
out:
	pj_file_free(text, len);
	return r;
}

static int
check_redis(const struct pj_options *o, const struct pj_revoke_token *t,
    char *reason, size_t rlen)
{
	struct pj_redis_conf cf;
	struct pj_redis *rd = NULL;
	char keys[4][PJ_REDIS_KEY_MAX + 1];
	const char *kp[4];
	enum pj_revoke_type types[4];
	long long vals[4];
	size_t n = 0, i;
	int r;

	if (t->iss != NULL && t->jti != NULL) {
		pj_redis_key(o->redis_prefix, PJ_REDIS_REV_JTI, t->iss, t->iss_len,
		    t->jti, t->jti_len, keys[n]);
		types[n++] = PJ_REVOKE_JTI;
	}
	if (t->iss != NULL && t->sub != NULL) {
		pj_redis_key(o->redis_prefix, PJ_REDIS_REV_SUB, t->iss, t->iss_len,
		    t->sub, t->sub_len, keys[n]);
		types[n++] = PJ_REVOKE_SUB;
	}
	if (t->kid != NULL) {
		pj_redis_key(o->redis_prefix, PJ_REDIS_REV_KID, t->kid, t->kid_len,
		    NULL, 0, keys[n]);
		types[n++] = PJ_REVOKE_KID;
	}
	/* the key that verified: a token without kid (or naming another) is
	 * still one of that key's tokens */
	if (t->key_kid != NULL && !same(t->key_kid, t->key_kid_len, t->kid,
	    t->kid_len)) {
		pj_redis_key(o->redis_prefix, PJ_REDIS_REV_KID, t->key_kid,
		    t->key_kid_len, NULL, 0, keys[n]);
		types[n++] = PJ_REVOKE_KID;
	}
	if (n == 0)
		return PJ_OK;
	for (i = 0; i < n; i++)
		kp[i] = keys[i];
	memset(&cf, 0, sizeof(cf));
	cf.url = o->replay_cache;
	cf.auth_file = o->redis_auth_file;
	cf.prefix = o->redis_prefix;
	cf.timeout_ms = o->redis_timeout;
	r = pj_redis_open(&cf, &rd, reason, rlen);
	if (r != PJ_OK)
		goto out;
	r = pj_redis_get_numbers(rd, kp, n, vals, reason, rlen);
	if (r != PJ_OK)
		goto out;
	for (i = 0; i < n; i++) {
		if (vals[i] < 0)
			continue;
		if (types[i] == PJ_REVOKE_SUB && t->has_iat && t->iat >= vals[i])
			continue;
		r = pj_reason(PJ_E_REVOKED, reason, rlen,
		    "%s (Redis %s)", type_words(types[i]),
		    o->replay_cache);
		goto out;
	}
	r = PJ_OK;
out:
	pj_redis_close(rd);
	return r;
}

int
pj_revoke_check(const struct pj_options *o, json_t *claims, const char *kid,
    const char *key_kid, long long now, char *reason, size_t rlen)
{
	struct pj_revoke_token t;
	int redis = pj_redis_is_url(o->replay_cache);
	int r;

	if (o->revoked_file == NULL && !redis)
		return PJ_OK; /* nothing to check against */
	pj_revoke_token_from(claims, kid, key_kid, &t);
	/* jti and sub entries name the issuer too: a token without iss could
	 * never be revoked but by its key (issue 18 F3) */
	if (t.iss == NULL)
		return pj_reason(PJ_E_CLAIM, reason, rlen,
		    "no iss: revocation cannot be checked (revoked_file or a "
		    "Redis replay_cache is set)");
	if (o->revoked_file != NULL &&
	    (r = check_file(o, &t, now, reason, rlen)) != PJ_OK)
		return r;
	if (redis)
		return check_redis(o, &t, reason, rlen);
	return PJ_OK;
}
