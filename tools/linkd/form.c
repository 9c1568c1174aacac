/* form.c - form bodies in, HTML and mail text out
 *
 * Percent-decoding is libmicrohttpd's (MHD_http_unescape); this file only
 * splits the body into fields, bounds them and refuses what no form of ours
 * sends.
 */
#include "linkd.h"

#include <microhttpd.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
lf_buf_init(struct lf_buf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap;
}

void
lf_buf_addn(struct lf_buf *b, const char *s, size_t n)
{
	size_t want;
	char *p;

	if (b->failed)
		return;
	if (n > b->cap || b->len > b->cap - n) {
		b->failed = 1;
		return;
	}
	if (b->len + n + 1 > b->alloc) {
		want = b->alloc ? b->alloc : 1024;
		while (want < b->len + n + 1)
			want *= 2;
		p = malloc(want);
		if (p == NULL) {
			b->failed = 1;
			return;
		}
		if (b->s != NULL) {
			memcpy(p, b->s, b->len);
			sodium_memzero(b->s, b->alloc);
			free(b->s);
		}
		b->s = p;
		b->alloc = want;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
lf_buf_add(struct lf_buf *b, const char *s)
{
	lf_buf_addn(b, s, strlen(s));
}

void
lf_buf_printf(struct lf_buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->failed = 1;
		return;
	}
	lf_buf_addn(b, tmp, (size_t)n);
}

void
lf_buf_html(struct lf_buf *b, const char *s)
{
	char ent[16];

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			lf_buf_add(b, "&amp;");
		else if (c == '<')
			lf_buf_add(b, "&lt;");
		else if (c == '>')
			lf_buf_add(b, "&gt;");
		else if (c == '"')
			lf_buf_add(b, "&quot;");
		else if (c == '\'')
			lf_buf_add(b, "&#39;");
		else if (c < 0x20 || c >= 0x7f) {
			/* bytes, not characters: never half a UTF-8 sequence
			 * that could swallow what follows */
			(void)snprintf(ent, sizeof(ent), "&#%u;",
			    c < 0x20 || c == 0x7f ? 0xfffdU : (unsigned int)c);
			lf_buf_add(b, ent);
		} else
			lf_buf_addn(b, s, 1);
	}
}

void
lf_buf_free(struct lf_buf *b)
{
	if (b == NULL)
		return;
	if (b->s != NULL) {
		sodium_memzero(b->s, b->alloc);
		free(b->s);
	}
	memset(b, 0, sizeof(*b));
}

static int
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 16)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return 0;
	return 1;
}

/* Decode one value (s, n bytes, still encoded) into a new string. */
static char *
decode(const char *s, size_t n)
{
	char *v;
	size_t i, got;

	if (n > 3 * LF_FORM_VALUE_MAX)
		return NULL;
	v = malloc(n + 1);
	if (v == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		v[i] = s[i] == '+' ? ' ' : s[i];
	v[n] = '\0';
	got = MHD_http_unescape(v);
	/* a %00 ends the string early: refused, as is every control byte */
	if (got != strlen(v) || got > LF_FORM_VALUE_MAX) {
		sodium_memzero(v, n + 1);
		free(v);
		return NULL;
	}
	for (i = 0; i < got; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
			sodium_memzero(v, n + 1);
			free(v);
			return NULL;
		}
	return v;
}

int
lf_form_parse(const char *body, size_t len, struct lf_form *f)
{
	const char *p = body, *end = body + len, *amp, *eq;
	size_t i, nn;
	int r = -1;

	memset(f, 0, sizeof(*f));
	if (len > LF_FORM_BODY_MAX || memchr(body, '\0', len) != NULL)
		goto out;
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		if (amp == NULL)
			amp = end;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL || f->n == LF_FORM_FIELDS)
			goto out;
		nn = (size_t)(eq - p);
		if (!name_ok(p, nn))
			goto out;
		for (i = 0; i < f->n; i++)
			if (strlen(f->name[i]) == nn &&
			    memcmp(f->name[i], p, nn) == 0)
				goto out;
		f->name[f->n] = strndup(p, nn);
		if (f->name[f->n] == NULL)
			goto out;
		f->value[f->n] = decode(eq + 1, (size_t)(amp - eq - 1));
		f->n++;
		if (f->value[f->n - 1] == NULL)
			goto out;
		p = amp < end ? amp + 1 : end;
		if (amp < end && p == end)
			goto out;       /* a trailing '&' */
	}
	r = 0;
out:
	if (r != 0)
		lf_form_free(f);
	return r;
}

const char *
lf_form_get(const struct lf_form *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return f->value[i];
	return NULL;
}

void
lf_form_free(struct lf_form *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->name[i]);
		if (f->value[i] != NULL) {
			sodium_memzero(f->value[i], strlen(f->value[i]));
			free(f->value[i]);
		}
	}
	memset(f, 0, sizeof(*f));
}
