/* util.c - what the pamjwt subcommands share: strict argument parsing,
 * absolute paths, creating new files */
#include "pamjwt.h"

#include <errno.h>
#include <libgen.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void
pjt_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pamjwt %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
pjt_args_init(struct pjt_args *a, int argc, char **argv, const char *cmd)
{
	memset(a, 0, sizeof(*a));
	a->argc = argc;
	a->argv = argv;
	a->i = 1;
	a->cmd = cmd;
}

static const struct pjt_opt *
find_opt(const struct pjt_opt *opts, const char *name, size_t len)
{
	for (; opts->id != 0; opts++)
		if (strlen(opts->name) == len && memcmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

int
pjt_next(struct pjt_args *a, const struct pjt_opt *opts, const char **val)
{
	const struct pjt_opt *o;
	const char *w, *eq;
	size_t nl;

	*val = NULL;
	for (;;) {
		if (a->i >= a->argc || a->argv[a->i] == NULL)
			return PJT_END;
		w = a->argv[a->i++];
		if (a->operands_only || w[0] != '-' || w[1] == '\0') {
			*val = w;
			return PJT_OPERAND;
		}
		if (strcmp(w, "--") == 0) {
			a->operands_only = 1;
			continue;
		}
		break;
	}
	if (strcmp(w, "-h") == 0)
		w = "--help";
	if (w[1] != '-') {
		pjt_err(a->cmd, "unknown option '%.64s' (options are long: "
		    "see pamjwt %s --help)", w, a->cmd);
		return PJT_ERROR;
	}
	w += 2;
	eq = strchr(w, '=');
	nl = eq ? (size_t)(eq - w) : strlen(w);
	o = find_opt(opts, w, nl);
	if (o == NULL) {
		pjt_err(a->cmd, "unknown option '--%.*s' (see pamjwt %s --help)",
		    (int)(nl > 64 ? 64 : nl), w, a->cmd);
		return PJT_ERROR;
	}
	switch (o->arg) {
	case PJT_NOARG:
		if (eq != NULL) {
			pjt_err(a->cmd, "option --%s takes no value", o->name);
			return PJT_ERROR;
		}
		break;
	case PJT_ARG:
		if (eq != NULL) {
			*val = eq + 1;
			break;
		}
		if (a->i >= a->argc || a->argv[a->i] == NULL) {
			pjt_err(a->cmd, "option --%s needs a value", o->name);
			return PJT_ERROR;
		}
		if (strncmp(a->argv[a->i], "--", 2) == 0) {
			pjt_err(a->cmd, "option --%s needs a value, not '%.64s' (to "
			    "give a value that begins with --, write --%s=VALUE)",
			    o->name, a->argv[a->i], o->name);
			return PJT_ERROR;
		}
		*val = a->argv[a->i++];
		break;
	case PJT_OPTARG:
		if (eq != NULL)
			*val = eq + 1;
		else if (!a->operands_only && a->i < a->argc &&
		    a->argv[a->i] != NULL && a->argv[a->i][0] != '-')
			*val = a->argv[a->i++];
		break;
	}
	return o->id;
}

char *
pjt_abs_path(const char *p)
{
	char *cwd = NULL, *out = NULL;
	size_t cl, pl;

	if (p == NULL || p[0] == '\0') {
		errno = ENOENT;
		return NULL;
	}
	if (p[0] == '/')
		return strdup(p);
	while (p[0] == '.' && p[1] == '/') {
		p += 2;
		while (p[0] == '/')
			p++;
	}
	if (p[0] == '\0') {
		errno = EISDIR;
		return NULL;
	}
	cwd = getcwd(NULL, 0);
	if (cwd == NULL)
		return NULL;
	cl = strlen(cwd);
	pl = strlen(p);
	if (cl > PATH_MAX || pl > PATH_MAX) {
		errno = ENAMETOOLONG;
		goto out;
	}
	out = malloc(cl + 1 + pl + 1);
	if (out == NULL)
		goto out;
	memcpy(out, cwd, cl);
	if (cl == 0 || cwd[cl - 1] != '/')
		out[cl++] = '/';
	memcpy(out + cl, p, pl + 1);
out:
	free(cwd);
	return out;
}

int
pjt_write_new(const char *path, const void *data, size_t len, unsigned int mode)
{
	int fd, e;

	/* O_EXCL: never overwrite, and never follow a symbolic link */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY, (mode_t)mode);
	if (fd < 0)
		return -1;
	if (fchmod(fd, (mode_t)mode) != 0)
		goto fail;
	if (pjt_write_all(fd, data, len) != 0)
		goto fail;
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		(void)close(fd);
	(void)unlink(path);
	errno = e;
	return -1;
}

int
pjt_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	return 0;
}

int
pjt_fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, r = -1;

	if (copy == NULL)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		r = fsync(fd);
		(void)close(fd);
	}
	free(copy);
	return r;
}
