/* text.h - small, bounded text helpers shared by every parser in lib/ and
 * tools/: white space, control bytes, lines, comma lists, string lists,
 * strict numbers, and "where" prefixes on a reason. */
#ifndef PJ_TEXT_H
#define PJ_TEXT_H

#include <stddef.h>

struct pj_strlist {
	char **v;
	size_t n;
};

/* A space, a tab, or a carriage return (the white space of config lines,
 * user map lines and lists; a file written with CRLF line ends reads the
 * same). */
int pj_is_blank(int c);

/* Strip leading and trailing white space (space, tab, CR, LF): a pasted
 * newline around an answer. */
void pj_trim(const char **s, size_t *len);

/* 1 if s holds a control byte (below 0x20, or 0x7f). */
int pj_has_ctl(const char *s);

/* Strip spaces and tabs from both ends of [*s, *s + *n). */
void pj_strip_blank(const char **s, size_t *n);

/* The next line of [*p, end): *line and *n (no '\n', blanks stripped from
 * both ends); *p moves past it.  0 at the end, else 1. */
int pj_next_line(const char **p, const char *end, const char **line,
    size_t *n);

/* Call item(ctx, s, n) for each item of the comma list v, blanks stripped
 * (an item may be empty: the callback decides).  Stops at, and returns,
 * the first non-zero result. */
int pj_each_item(const char *v, int (*item)(void *ctx, const char *s, size_t n),
    void *ctx);

int pj_strlist_add(struct pj_strlist *l, const char *s, size_t len);
void pj_strlist_free(struct pj_strlist *l);
int pj_strlist_has(const struct pj_strlist *l, const char *s);

/* Strict decimal: digits only, no sign or space, within [min, max]. */
int pj_parse_ll(const char *s, long long min, long long max, long long *out);

/* Rewrite reason (capacity rlen) as PREFIX + ": " + reason, PREFIX from
 * fmt: "FILE:LINE", "FILE", "module argument ...".  Nothing if reason is
 * NULL or empty. */
void pj_reason_prefix(char *reason, size_t rlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
