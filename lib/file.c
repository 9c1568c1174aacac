/* file.c - reading configuration, key and secret files safely */
#include "file.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int
pj_file_read(const char *path, enum pj_file_kind kind, size_t maxlen,
    int err_code, char **out, size_t *outlen, unsigned int *mode,
    char *reason, size_t rlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd = -1, r = PJ_E_INTERNAL;
	mode_t bad;

	*out = NULL;
	*outlen = 0;
	if (path == NULL || path[0] != '/') {
		r = pj_reason(err_code, reason, rlen,
		    "%s: not an absolute path", path ? path : "(none)");
		goto out;
	}
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		r = pj_reason(err_code, reason, rlen, "%s: cannot open: %s",
		    path, errno == ELOOP ? "is a symbolic link" : strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = pj_reason(err_code, reason, rlen, "%s: cannot stat: %s",
		    path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = pj_reason(err_code, reason, rlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		r = pj_reason(err_code, reason, rlen,
		    "%s: unsafe owner uid %lu (must be root or uid %lu)", path,
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
		goto out;
	}
	bad = kind == PJ_FILE_SECRET ? (S_IRWXG | S_IRWXO) : (S_IWGRP | S_IWOTH);
	if ((st.st_mode & bad) != 0) {
		r = pj_reason(err_code, reason, rlen,
		    "%s: unsafe permissions %04o (must not be %s by group or others)",
		    path, (unsigned int)(st.st_mode & 07777),
		    kind == PJ_FILE_SECRET ? "readable or writable" : "writable");
		goto out;
	}
	if (st.st_size < 0 || (unsigned long long)st.st_size > maxlen) {
		r = pj_reason(err_code, reason, rlen,
		    "%s: larger than %zu bytes", path, maxlen);
		goto out;
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		cap = 0;
		r = PJ_E_NOMEM;
		goto out;
	}
	for (;;) {
		if (len == cap - 1) {
			/* the file grew since fstat: one probe byte tells */
			char probe;

			n = read(fd, &probe, 1);
			if (n == 0)
				break;
			if (n < 0 && errno == EINTR)
				continue;
			r = pj_reason(err_code, reason, rlen,
			    "%s: %s while reading", path,
			    n < 0 ? strerror(errno) : "changed size");
			goto out;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = pj_reason(err_code, reason, rlen, "%s: read: %s",
			    path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (mode != NULL)
		*mode = (unsigned int)(st.st_mode & 07777);
	*out = buf; /* transferred */
	*outlen = len;
	buf = NULL;
	r = PJ_OK;
out:
	if (buf != NULL) {
		sodium_memzero(buf, cap);
		free(buf);
	}
	if (fd >= 0)
		(void)close(fd);
	return r;
}

void
pj_file_free(char *buf, size_t len)
{
	if (buf == NULL)
		return;
	sodium_memzero(buf, len);
	free(buf);
}
