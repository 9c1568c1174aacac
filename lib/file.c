/* file.c - reading configuration, key and secret files safely */
#include "file.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* not in linux/magic.h: OpenZFS's own */
#define PJ_ZFS_SUPER_MAGIC 0x2fc12fc1UL

/* The checks of a fresh read on what stat found: a regular file, a safe
 * owner and mode, at most maxlen bytes. */
static int
check_stat(const struct stat *st, const char *path, enum pj_file_kind kind,
    size_t maxlen, int err_code, char *reason, size_t rlen)
{
	mode_t bad;

	if (!S_ISREG(st->st_mode))
		return pj_reason(err_code, reason, rlen, "%s: not a regular file",
		    path);
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return pj_reason(err_code, reason, rlen,
		    "%s: unsafe owner uid %lu (must be root or uid %lu)", path,
		    (unsigned long)st->st_uid, (unsigned long)geteuid());
	bad = kind == PJ_FILE_SECRET ? (S_IRWXG | S_IRWXO) : (S_IWGRP | S_IWOTH);
	if ((st->st_mode & bad) != 0)
		return pj_reason(err_code, reason, rlen,
		    "%s: unsafe permissions %04o (must not be %s by group or others)",
		    path, (unsigned int)(st->st_mode & 07777),
		    kind == PJ_FILE_SECRET ? "readable or writable" : "writable");
	if (st->st_size < 0 || (unsigned long long)st->st_size > maxlen)
		return pj_reason(err_code, reason, rlen,
		    "%s: larger than %zu bytes", path, maxlen);
	return PJ_OK;
}

/* The same checks on an open file. */
static int
check_open(int fd, const char *path, enum pj_file_kind kind, size_t maxlen,
    int err_code, struct stat *st, char *reason, size_t rlen)
{
	if (fstat(fd, st) != 0)
		return pj_reason(err_code, reason, rlen, "%s: cannot stat: %s",
		    path, strerror(errno));
	return check_stat(st, path, kind, maxlen, err_code, reason, rlen);
}

/* Read exactly cap - 1 bytes (the size fstat gave) into buf; a file that
 * grew or shrank meanwhile is an error.  *len gets what was read. */
static int
read_all(int fd, const char *path, char *buf, size_t cap, int err_code,
    size_t *len, char *reason, size_t rlen)
{
	ssize_t n;
	char probe;

	*len = 0;
	for (;;) {
		if (*len == cap - 1) {
			/* the file grew since fstat: one probe byte tells */
			n = read(fd, &probe, 1);
			if (n == 0)
				return PJ_OK;
			if (n < 0 && errno == EINTR)
				continue;
			return pj_reason(err_code, reason, rlen,
			    "%s: %s while reading", path,
			    n < 0 ? strerror(errno) : "changed size");
		}
		n = read(fd, buf + *len, cap - 1 - *len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return pj_reason(err_code, reason, rlen, "%s: read: %s",
			    path, strerror(errno));
		}
		if (n == 0) /* shorter than fstat said: it shrank meanwhile */
			return pj_reason(err_code, reason, rlen,
			    "%s: changed size while reading", path);
		*len += (size_t)n;
	}
}

void
pj_file_id_of(const struct stat *st, struct pj_file_id *id)
{
	memset(id, 0, sizeof(*id));
	id->dev = (unsigned long long)st->st_dev;
	id->ino = (unsigned long long)st->st_ino;
	id->size = (long long)st->st_size;
	id->mtime_s = (long long)st->st_mtim.tv_sec;
	id->mtime_ns = (long)st->st_mtim.tv_nsec;
	id->ctime_s = (long long)st->st_ctim.tv_sec;
	id->ctime_ns = (long)st->st_ctim.tv_nsec;
	id->uid = (unsigned long)st->st_uid;
	id->gid = (unsigned long)st->st_gid;
	id->mode = (unsigned int)st->st_mode;
}

int
pj_file_id_equal(const struct pj_file_id *a, const struct pj_file_id *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	    a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns &&
	    a->ctime_s == b->ctime_s && a->ctime_ns == b->ctime_ns &&
	    a->uid == b->uid && a->gid == b->gid && a->mode == b->mode;
}

int
pj_file_id_settled(const struct pj_file_id *id)
{
	struct timespec now;
	long long newest;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0)
		return 0;
	newest = id->mtime_s > id->ctime_s ? id->mtime_s : id->ctime_s;
	/* a time in the future (clock stepped back) is never settled */
	return newest <= (long long)now.tv_sec - PJ_FILE_SETTLE_S;
}

int
pj_file_open(const char *path, enum pj_file_kind kind, size_t maxlen,
    int err_code, int *fd_out, struct pj_file_id *id, char *reason,
    size_t rlen)
{
	struct stat st;
	int fd = -1, r = PJ_E_INTERNAL;

	*fd_out = -1;
	memset(id, 0, sizeof(*id));
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
	r = check_open(fd, path, kind, maxlen, err_code, &st, reason, rlen);
	if (r != PJ_OK)
		goto out;
	pj_file_id_of(&st, id);
	*fd_out = fd; /* transferred */
	fd = -1;
	r = PJ_OK;
out:
	if (fd >= 0)
		(void)close(fd);
	return r;
}

int
pj_file_peek_stat(const char *path, const struct stat *st,
    enum pj_file_kind kind, size_t maxlen, struct pj_file_id *id)
{
	char why[256] = ""; /* unused: see file.h */
	int r = PJ_E_INTERNAL;

	memset(id, 0, sizeof(*id));
	if (path == NULL || path[0] != '/')
		goto out;
	r = check_stat(st, path, kind, maxlen, PJ_E_KEY, why, sizeof(why));
	if (r != PJ_OK)
		goto out;
	/* whether the kernel would let open read it: the system call itself,
	 * never glibc's fallback (which checks the real uid, or emulates the
	 * check in user space, where the kernel lacks faccessat2) */
	if (syscall(SYS_faccessat2, AT_FDCWD, path, R_OK, AT_EACCESS) != 0) {
		r = PJ_E_KEY;
		goto out;
	}
	pj_file_id_of(st, id);
	r = PJ_OK;
out:
	if (r != PJ_OK)
		memset(id, 0, sizeof(*id));
	return r;
}

int
pj_file_fd_local(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf) != 0)
		return 0;
	switch ((unsigned long)sf.f_type) {
	case EXT4_SUPER_MAGIC:       /* ext2, ext3, ext4 */
	case XFS_SUPER_MAGIC:
	case BTRFS_SUPER_MAGIC:
	case F2FS_SUPER_MAGIC:
	case PJ_ZFS_SUPER_MAGIC:
	case TMPFS_MAGIC:
	case RAMFS_MAGIC:
	case OVERLAYFS_SUPER_MAGIC:
	case SQUASHFS_MAGIC:
		return 1;
	default:
		return 0;
	}
}

int
pj_file_peek(const char *path, enum pj_file_kind kind, size_t maxlen,
    struct pj_file_id *id)
{
	struct stat st;

	memset(id, 0, sizeof(*id));
	/* what open(O_NOFOLLOW) would find: a symbolic link is not a
	 * regular file */
	if (path == NULL || path[0] != '/' ||
	    fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return PJ_E_KEY;
	return pj_file_peek_stat(path, &st, kind, maxlen, id);
}

int
pj_file_read_open(int fd, const char *path, const struct pj_file_id *id,
    int err_code, char **out, size_t *outlen, char *reason, size_t rlen)
{
	char *buf = NULL;
	size_t len = 0, cap;
	int r = PJ_E_INTERNAL;

	*out = NULL;
	*outlen = 0;
	cap = (size_t)id->size + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		cap = 0;
		r = PJ_E_NOMEM;
		goto out;
	}
	r = read_all(fd, path, buf, cap, err_code, &len, reason, rlen);
	if (r != PJ_OK)
		goto out;
	buf[len] = '\0';
	*out = buf; /* transferred */
	*outlen = len;
	buf = NULL;
	r = PJ_OK;
out:
	if (buf != NULL) {
		sodium_memzero(buf, cap);
		free(buf);
	}
	return r;
}

int
pj_file_read(const char *path, enum pj_file_kind kind, size_t maxlen,
    int err_code, char **out, size_t *outlen, unsigned int *mode,
    char *reason, size_t rlen)
{
	struct pj_file_id id;
	int fd = -1, r;

	*out = NULL;
	*outlen = 0;
	r = pj_file_open(path, kind, maxlen, err_code, &fd, &id, reason, rlen);
	if (r != PJ_OK)
		goto out;
	r = pj_file_read_open(fd, path, &id, err_code, out, outlen, reason,
	    rlen);
	if (r == PJ_OK && mode != NULL)
		*mode = id.mode & 07777;
out:
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
