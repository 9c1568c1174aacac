/* dir.c - the directory file: which address a link for an account goes to
 * (pamjwt-linkd(8), DIRECTORY FILE)
 *
 *   # PATTERN   ADDRESS
 *   alice       alice@example.com
 *   bob         robert.smith@example.org
 *   *           %s@example.com
 *
 * PATTERN is an account name or a glob with '*' and '?' (the module's
 * user_map syntax); ADDRESS an address in which %s (at most once) stands for
 * the account.  The first line whose PATTERN matches wins.
 */
#include "linkd.h"

#include "lib/err.h"
#include "lib/file.h"
#include "lib/text.h"
#include "lib/user.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define PATTERN_MAX 64

int
lf_addr_valid(const char *s)
{
	size_t n = strlen(s), i, at = 0, ats = 0;

	if (n < 3 || n > LF_ADDR_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || strchr("\"<>(),;:\\[]", c) != NULL)
			return 0;
		if (c == '@') {
			at = i;
			ats++;
		}
	}
	return ats == 1 && at > 0 && at < n - 1;
}

static int
pattern_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > PATTERN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
		    c == '*' || c == '?'))
			return 0;
	}
	return 1;
}

/* ADDRESS with %s replaced by account into out; 0, or -1 if too long or
 * not an address. */
static int
expand(const char *tmpl, const char *account, char out[LF_ADDR_MAX + 1])
{
	const char *ps = strstr(tmpl, "%s");
	size_t pre, alen = strlen(account), tlen = strlen(tmpl);

	if (ps == NULL) {
		if (tlen > LF_ADDR_MAX)
			return -1;
		memcpy(out, tmpl, tlen + 1);
	} else {
		pre = (size_t)(ps - tmpl);
		if (tlen - 2 + alen > LF_ADDR_MAX)
			return -1;
		memcpy(out, tmpl, pre);
		memcpy(out + pre, account, alen);
		memcpy(out + pre + alen, ps + 2, tlen - pre - 2);
		out[tlen - 2 + alen] = '\0';
	}
	return lf_addr_valid(out) ? 0 : -1;
}

/* Split a line into its two words (copied, NUL-terminated).  0, or -1 if
 * it is not exactly two words of acceptable length. */
static int
split(const char *line, size_t n, char pat[PATTERN_MAX + 1],
    char addr[LF_ADDR_MAX + 1])
{
	size_t i = 0, a, b;

	while (i < n && !pj_is_blank(line[i]))
		i++;
	if (i == 0 || i > PATTERN_MAX)
		return -1;
	memcpy(pat, line, i);
	pat[i] = '\0';
	while (i < n && pj_is_blank(line[i]))
		i++;
	a = i;
	while (i < n && !pj_is_blank(line[i]))
		i++;
	b = i;
	while (i < n && pj_is_blank(line[i]))
		i++;
	if (a == b || i != n || b - a > LF_ADDR_MAX)
		return -1;
	memcpy(addr, line + a, b - a);
	addr[b - a] = '\0';
	return 0;
}

static int
line_check(const char *pat, const char *tmpl)
{
	const char *ps = strstr(tmpl, "%s");
	char out[LF_ADDR_MAX + 1];

	if (!pattern_valid(pat))
		return -1;
	if (ps != NULL && strstr(ps + 2, "%s") != NULL)
		return -1;
	/* no other '%' (a stray %u would be sent literally) */
	for (const char *p = tmpl; (p = strchr(p, '%')) != NULL; p++)
		if (p != ps)
			return -1;
	return expand(tmpl, "a", out);
}

int
lf_dir_check(const char *text, size_t len, const char *name, char *reason,
    size_t rlen)
{
	const char *p = text, *end = text + len, *line;
	char pat[PATTERN_MAX + 1], addr[LF_ADDR_MAX + 1];
	unsigned int lineno = 0;
	size_t n;

	if (memchr(text, '\0', len) != NULL)
		return pj_reason(PJ_E_CONFIG, reason, rlen, "%s: holds a NUL byte",
		    name);
	while (pj_next_line(&p, end, &line, &n)) {
		lineno++;
		if (n == 0 || line[0] == '#')
			continue;
		if (split(line, n, pat, addr) != 0)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: not 'PATTERN ADDRESS'", name, lineno);
		if (line_check(pat, addr) != 0)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: PATTERN is an account name or a glob (* ?), "
			    "ADDRESS an address local@domain with at most one %%s",
			    name, lineno);
	}
	return PJ_OK;
}

/* The account that tmpl gives addr, when tmpl holds %s: the middle. */
static int
reverse(const char *tmpl, const char *addr, char account[LF_ACCOUNT_MAX + 1])
{
	const char *ps = strstr(tmpl, "%s");
	size_t pre, suf, an = strlen(addr), mid;

	if (ps == NULL)
		return -1;
	pre = (size_t)(ps - tmpl);
	suf = strlen(ps + 2);
	if (an <= pre + suf)
		return -1;
	mid = an - pre - suf;
	if (mid > LF_ACCOUNT_MAX || strncasecmp(addr, tmpl, pre) != 0 ||
	    strcasecmp(addr + pre + mid, ps + 2) != 0)
		return -1;
	memcpy(account, addr + pre, mid);
	account[mid] = '\0';
	return pj_user_name_valid(account) ? 0 : -1;
}

/* Candidates of an address lookup that get the forward check; further
 * matching lines are not looked at (a directory that maps one address from
 * more than this many lines is not a sensible one). */
#define CAND_MAX 8

/* For each of the n accounts, the first line that matches it decides:
 * ok[i] 1 and out[i] its address, or 0.  One pass over every line whatever
 * matches: the same work either way. */
static void
forward_many(const char *text, size_t len, char acc[][LF_ACCOUNT_MAX + 1],
    size_t n, char out[][LF_ADDR_MAX + 1], int *ok)
{
	const char *p = text, *end = text + len, *line;
	char pat[PATTERN_MAX + 1], addr[LF_ADDR_MAX + 1];
	int decided[CAND_MAX] = { 0 };
	size_t ln, i;

	for (i = 0; i < n; i++) {
		ok[i] = 0;
		out[i][0] = '\0';
	}
	while (pj_next_line(&p, end, &line, &ln)) {
		if (ln == 0 || line[0] == '#' || split(line, ln, pat, addr) != 0)
			continue;
		for (i = 0; i < n; i++) {
			if (decided[i] || !pj_user_glob(pat, acc[i]))
				continue;
			decided[i] = 1;  /* the first matching line decides */
			ok[i] = expand(addr, acc[i], out[i]) == 0;
		}
	}
}

int
lf_dir_lookup(const char *text, size_t len, const char *who,
    char account[LF_ACCOUNT_MAX + 1], char addr[LF_ADDR_MAX + 1])
{
	const char *p = text, *end = text + len, *line;
	char pat[PATTERN_MAX + 1], tmpl[LF_ADDR_MAX + 1];
	char cand[CAND_MAX][LF_ACCOUNT_MAX + 1], got[CAND_MAX][LF_ADDR_MAX + 1];
	int ok[CAND_MAX], found = 0;
	size_t n, i, nc = 0;

	account[0] = '\0';
	addr[0] = '\0';
	memset(cand, 0, sizeof(cand));
	if (strchr(who, '@') == NULL) {
		if (pj_user_name_valid(who))
			memcpy(cand[0], who, strlen(who) + 1);
		/* else "": still read the file */
		forward_many(text, len, cand, 1, got, ok);
		found = ok[0] && cand[0][0] != '\0';
		if (found) {
			memcpy(account, cand[0], strlen(cand[0]) + 1);
			memcpy(addr, got[0], strlen(got[0]) + 1);
		}
		goto out;
	}
	if (!lf_addr_valid(who))
		who = "";
	/* every line is read, then one forward pass for the candidates (at
	 * least one, "" when none): a known and an unknown address cost the
	 * same passes over the directory */
	while (pj_next_line(&p, end, &line, &n)) {
		if (n == 0 || line[0] == '#' || split(line, n, pat, tmpl) != 0)
			continue;
		if (nc == CAND_MAX || who[0] == '\0')
			continue;
		if (strstr(tmpl, "%s") == NULL) {
			/* a literal address: the pattern must be a plain name */
			if (strcasecmp(tmpl, who) != 0 || strpbrk(pat, "*?") != NULL ||
			    !pj_user_name_valid(pat))
				continue;
			memcpy(cand[nc], pat, strlen(pat) + 1);
		} else if (reverse(tmpl, who, cand[nc]) != 0 ||
		    !pj_user_glob(pat, cand[nc])) {
			cand[nc][0] = '\0';
			continue;
		}
		nc++;
	}
	forward_many(text, len, cand, nc > 0 ? nc : 1, got, ok);
	/* the address must be the one a link for the candidate goes to (an
	 * earlier line may send its links elsewhere); the first line wins */
	for (i = 0; i < nc && !found; i++)
		if (ok[i] && strcasecmp(got[i], who) == 0) {
			memcpy(account, cand[i], strlen(cand[i]) + 1);
			memcpy(addr, got[i], strlen(got[i]) + 1);
			found = 1;
		}
out:
	return found;
}

/* ------------------------------------------------------------------ */

static int
reload(struct lf_dir *d, char *reason, size_t rlen)
{
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int r;

	if (stat(d->path, &st) != 0)
		return pj_reason(PJ_E_CONFIG, reason, rlen, "%s: %s", d->path,
		    strerror(errno));
	if (d->text != NULL && (unsigned long long)st.st_ino == d->ino &&
	    (unsigned long long)st.st_size == d->size &&
	    st.st_mtim.tv_sec == d->mtime.tv_sec &&
	    st.st_mtim.tv_nsec == d->mtime.tv_nsec &&
	    st.st_ctim.tv_sec == d->ctime.tv_sec &&
	    st.st_ctim.tv_nsec == d->ctime.tv_nsec)
		return PJ_OK;
	r = pj_file_read(d->path, PJ_FILE_PUBLIC, LF_DIR_MAX, PJ_E_CONFIG, &text,
	    &len, NULL, reason, rlen);
	if (r != PJ_OK)
		return r;
	r = lf_dir_check(text, len, d->path, reason, rlen);
	if (r != PJ_OK) {
		pj_file_free(text, len);
		return r;
	}
	pj_file_free(d->text, d->len);
	d->text = text; /* transferred */
	d->len = len;
	d->ino = (unsigned long long)st.st_ino;
	d->size = (unsigned long long)st.st_size;
	d->mtime = st.st_mtim;
	d->ctime = st.st_ctim;
	return PJ_OK;
}

int
lf_dir_open(struct lf_dir *d, const char *path, char *reason, size_t rlen)
{
	int r;

	memset(d, 0, sizeof(*d));
	if (pthread_mutex_init(&d->lock, NULL) != 0)
		return PJ_E_INTERNAL;
	d->path = strdup(path);
	if (d->path == NULL) {
		r = PJ_E_NOMEM;
		goto fail;
	}
	r = reload(d, reason, rlen);
	if (r == PJ_OK)
		return r;
fail:
	lf_dir_close(d);
	return r;
}

int
lf_dir_find(struct lf_dir *d, const char *who,
    char account[LF_ACCOUNT_MAX + 1], char addr[LF_ADDR_MAX + 1], int *found,
    char *reason, size_t rlen)
{
	int r;

	pthread_mutex_lock(&d->lock);
	r = reload(d, reason, rlen);
	*found = lf_dir_lookup(d->text, d->len, who, account, addr);
	pthread_mutex_unlock(&d->lock);
	return r;
}

void
lf_dir_close(struct lf_dir *d)
{
	if (d == NULL)
		return;
	pj_file_free(d->text, d->len);
	free(d->path);
	pthread_mutex_destroy(&d->lock);
	memset(d, 0, sizeof(*d));
}
