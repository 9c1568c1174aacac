/* pamd.c - the pam_jwt.so line of a PAM service file (see pamd.h).
 *
 * The syntax is Linux-PAM's (pam.d(5)): '#' starts a comment, a line ending
 * in '\' continues on the next, fields are separated by white space, and a
 * field in '[' ... ']' may hold white space ("\]" is a literal ']'); a
 * module argument in brackets loses them.  A leading '-' on the type only
 * silences a missing module.
 */
#include "pamd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define NAME "pam_jwt.so"

void
pjt_pamd_clear(struct pjt_pamd *p)
{
	int i;

	if (p == NULL)
		return;
	free(p->file);
	free(p->text);
	for (i = 0; i < p->argc; i++)
		free(p->argv[i]);
	memset(p, 0, sizeof(*p));
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* The next field of line[0..n) from *i into tok (capacity tlen), brackets
 * removed and "\]" unescaped; *bracketed says whether it had them.  Returns
 * 1 with a field, 0 at the end, -1 for an unclosed bracket or a field too
 * long. */
static int
next_field(const char *line, size_t n, size_t *i, char *tok, size_t tlen,
    int *bracketed)
{
	size_t o = 0;

	*bracketed = 0;
	while (*i < n && is_space(line[*i]))
		(*i)++;
	if (*i >= n)
		return 0;
	if (line[*i] == '[') {
		*bracketed = 1;
		(*i)++;
		for (;;) {
			if (*i >= n)
				return -1;
			if (line[*i] == '\\' && *i + 1 < n && line[*i + 1] == ']') {
				*i += 1;
			} else if (line[*i] == ']') {
				(*i)++;
				break;
			}
			if (o + 1 >= tlen)
				return -1;
			tok[o++] = line[(*i)++];
		}
	} else {
		while (*i < n && !is_space(line[*i])) {
			if (o + 1 >= tlen)
				return -1;
			tok[o++] = line[(*i)++];
		}
	}
	tok[o] = '\0';
	return 1;
}

/* dir + "/" + rel (rel may be absolute); NULL when out of memory. */
static char *
join_path(const char *dir, const char *rel)
{
	size_t dl, rl;
	char *p;

	if (rel[0] == '/')
		return strdup(rel);
	dl = strlen(dir);
	rl = strlen(rel);
	p = malloc(dl + rl + 2);
	if (p == NULL)
		return NULL;
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, rel, rl + 1);
	return p;
}

static int read_and_parse(const char *path, int depth, struct pjt_pamd *out,
    char *err, size_t errlen);

/* An included file: dir/rel, one level deeper. */
static int
include(const char *dir, const char *rel, const char *name, unsigned int lineno,
    int depth, struct pjt_pamd *out, char *err, size_t errlen)
{
	char *path;
	int r;

	if (dir == NULL) {
		(void)snprintf(err, errlen, "%s:%u: includes are not followed here",
		    name, lineno);
		return -1;
	}
	if (depth + 1 > PJT_PAMD_DEPTH_MAX) {
		(void)snprintf(err, errlen, "%s:%u: includes nested more than %d "
		    "deep", name, lineno, PJT_PAMD_DEPTH_MAX);
		return -1;
	}
	if ((path = join_path(dir, rel)) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	r = read_and_parse(path, depth + 1, out, err, errlen);
	free(path);
	return r;
}

/* One assembled line (comment already cut).  0, or -1 with err. */
static int
parse_line(const char *line, size_t n, const char *name, unsigned int lineno,
    const char *dir, int depth, struct pjt_pamd *out, char *err,
    size_t errlen)
{
	char f[3][PJT_PAMD_LINE_MAX], arg[PJT_PAMD_LINE_MAX];
	const char *type, *base;
	size_t i = 0, t, o;
	int k, b, got;

	/* type, control, module path (or "@include FILE") */
	f[0][0] = f[1][0] = f[2][0] = '\0';
	for (k = 0; k < 3; k++) {
		got = next_field(line, n, &i, f[k], sizeof(f[k]), &b);
		if (got < 0) {
			(void)snprintf(err, errlen, "%s:%u: unclosed '[' or a field "
			    "too long", name, lineno);
			return -1;
		}
		if (got == 0)
			break;
		if (k == 1 && strcmp(f[0], "@include") == 0)
			break;
	}
	if (strcmp(f[0], "@include") == 0) {
		if (f[1][0] == '\0') {
			(void)snprintf(err, errlen, "%s:%u: @include without a file",
			    name, lineno);
			return -1;
		}
		return include(dir, f[1], name, lineno, depth, out, err, errlen) <
		    0 ? -1 : 0;
	}
	if (k < 3)
		return 0; /* blank, or too short to be a module line */
	/* libpam compares the type and these controls in any letter case */
	type = f[0][0] == '-' ? f[0] + 1 : f[0];
	if (strcasecmp(type, "auth") != 0 || f[2][0] == '\0')
		return 0;
	if (strcasecmp(f[1], "include") == 0 || strcasecmp(f[1], "substack") == 0)
		return include(dir, f[2], name, lineno, depth, out, err, errlen) <
		    0 ? -1 : 0;
	base = strrchr(f[2], '/');
	base = base ? base + 1 : f[2];
	if (strcmp(base, NAME) != 0)
		return 0;
	if (out->file != NULL) {
		out->more++;
		return 0;
	}
	/* the first pam_jwt.so auth line: where, its text, its arguments */
	out->line = lineno;
	out->file = strdup(name);
	out->text = malloc(n + 1);
	if (out->file == NULL || out->text == NULL)
		goto nomem;
	for (t = 0, o = 0; t < n; t++) {
		if (is_space(line[t])) {
			if (o > 0 && out->text[o - 1] != ' ')
				out->text[o++] = ' ';
		} else {
			out->text[o++] = line[t];
		}
	}
	while (o > 0 && out->text[o - 1] == ' ')
		o--;
	out->text[o] = '\0';
	for (;;) {
		got = next_field(line, n, &i, arg, sizeof(arg), &b);
		if (got < 0) {
			(void)snprintf(err, errlen, "%s:%u: unclosed '[' in an "
			    "argument", name, lineno);
			return -1;
		}
		if (got == 0)
			break;
		if (out->argc >= PJT_PAMD_ARGS_MAX) {
			(void)snprintf(err, errlen, "%s:%u: more than %d arguments",
			    name, lineno, PJT_PAMD_ARGS_MAX);
			return -1;
		}
		if ((out->argv[out->argc] = strdup(arg)) == NULL)
			goto nomem;
		out->argc++;
	}
	return 0;
nomem:
	(void)snprintf(err, errlen, "out of memory");
	return -1;
}

int
pjt_pamd_parse(const char *text, size_t len, const char *name,
    const char *dir, int depth, struct pjt_pamd *out, char *err,
    size_t errlen)
{
	char *line = NULL;
	const char *p = text, *end = text + len, *nl, *hash, *phys;
	size_t n, ll = 0;
	unsigned int lineno = 0, first = 0;
	int r = -1, done;

	if (memchr(text, '\0', len) != NULL) {
		(void)snprintf(err, errlen, "%s: contains a NUL byte", name);
		return -1;
	}
	line = malloc(PJT_PAMD_LINE_MAX);
	if (line == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* Linux-PAM's _pam_assemble_line: a physical line that is blank or
	 * starts with '#' is skipped (even inside a continuation); a '#'
	 * ends the logical line there; otherwise a '\' last before trailing
	 * blanks continues it on the next line. */
	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		phys = p;
		p = nl ? nl + 1 : end;
		while (n > 0 && (*phys == ' ' || *phys == '\t')) {
			phys++;
			n--;
		}
		if (n == 0 || *phys == '#')
			continue;
		if (ll == 0)
			first = lineno;
		hash = memchr(phys, '#', n);
		done = hash != NULL;
		if (done)
			n = (size_t)(hash - phys);
		else
			while (n > 0 && is_space(phys[n - 1]))
				n--;
		if (ll + n + 1 >= PJT_PAMD_LINE_MAX) {
			(void)snprintf(err, errlen, "%s:%u: line too long", name,
			    first);
			goto out;
		}
		memcpy(line + ll, phys, n);
		ll += n;
		if (!done && ll > 0 && line[ll - 1] == '\\') {
			line[ll - 1] = ' ';
			continue;
		}
		if (parse_line(line, ll, name, first, dir, depth, out, err,
		    errlen) != 0)
			goto out;
		ll = 0;
	}
	/* a continuation at the end of the file */
	if (ll > 0 && parse_line(line, ll, name, first, dir, depth, out, err,
	    errlen) != 0)
		goto out;
	r = out->file != NULL ? 0 : 1;
out:
	free(line);
	return r;
}

static int
read_and_parse(const char *path, int depth, struct pjt_pamd *out, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL, *dir = NULL, *slash;
	size_t len = 0;
	ssize_t got;
	int fd, r = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > PJT_PAMD_FILE_MAX) {
		(void)snprintf(err, errlen, "%s: not a regular file of at most "
		    "%d bytes", path, PJT_PAMD_FILE_MAX);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	dir = strdup(path);
	if (buf == NULL || dir == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size) {
		got = read(fd, buf + len, (size_t)st.st_size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			(void)snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		(void)snprintf(dir, strlen(dir) + 1, "%s", "."); /* path is not empty */
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	r = pjt_pamd_parse(buf, len, path, dir, depth, out, err, errlen);
out:
	free(buf);
	free(dir);
	(void)close(fd);
	return r;
}

int
pjt_pamd_find(const char *path, struct pjt_pamd *out, char *err,
    size_t errlen)
{
	int r;

	memset(out, 0, sizeof(*out));
	r = read_and_parse(path, 0, out, err, errlen);
	if (r < 0)
		pjt_pamd_clear(out);
	else if (r == 1 && out->file == NULL)
		(void)snprintf(err, errlen, "no 'auth ... %s' line in %s or the "
		    "files it includes", NAME, path);
	return r < 0 ? -1 : out->file != NULL ? 0 : 1;
}
