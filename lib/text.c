/* text.c - small, bounded text helpers (see text.h) */
#include "text.h"
#include "err.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
pj_is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

void
pj_trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t' || **s == '\r' ||
	    **s == '\n')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' ||
	    (*s)[*len - 1] == '\r' || (*s)[*len - 1] == '\n'))
		(*len)--;
}

int
pj_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

void
pj_strip_blank(const char **s, size_t *n)
{
	while (*n > 0 && pj_is_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && pj_is_blank((*s)[*n - 1]))
		(*n)--;
}

int
pj_next_line(const char **p, const char *end, const char **line, size_t *n)
{
	const char *nl;

	if (*p >= end)
		return 0;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*line = *p;
	*n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	*p = nl ? nl + 1 : end;
	pj_strip_blank(line, n);
	return 1;
}

int
pj_each_item(const char *v, int (*item)(void *ctx, const char *s, size_t n),
    void *ctx)
{
	const char *p = v, *c, *s;
	size_t n;
	int r;

	for (;;) {
		c = strchr(p, ',');
		s = p;
		n = c ? (size_t)(c - p) : strlen(p);
		pj_strip_blank(&s, &n);
		if ((r = item(ctx, s, n)) != 0)
			return r;
		if (c == NULL)
			return 0;
		p = c + 1;
	}
}

int
pj_strlist_add(struct pj_strlist *l, const char *s, size_t len)
{
	char **nv;
	char *copy;

	copy = strndup(s, len);
	if (copy == NULL)
		return PJ_E_NOMEM;
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(copy);
		return PJ_E_NOMEM;
	}
	l->v = nv;
	l->v[l->n++] = copy; /* transferred */
	return PJ_OK;
}

void
pj_strlist_free(struct pj_strlist *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
pj_strlist_has(const struct pj_strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

int
pj_parse_ll(const char *s, long long min, long long max, long long *out)
{
	long long v;
	char *end = NULL;

	if (s == NULL || !isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

void
pj_reason_prefix(char *reason, size_t rlen, const char *fmt, ...)
{
	char prefix[256], tmp[256];
	va_list ap;

	if (reason == NULL || rlen == 0 || reason[0] == '\0')
		return;
	va_start(ap, fmt);
	(void)vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	(void)snprintf(tmp, sizeof(tmp), "%s", reason);
	(void)snprintf(reason, rlen, "%s: %s", prefix, tmp);
}
