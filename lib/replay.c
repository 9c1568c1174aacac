/* replay.c - the single-use store (pam_jwt.conf(5), Single use)
 *
 * Layout under replay_cache (every directory mode 0700, owned by root):
 *   r/<H>      one file per (iss, jti): H is the hex SHA-256 of the pair, so
 *              no jti can name a path; it holds "UNTIL\n": exp plus the
 *              largest leeway any configuration may set (PJ_LEEWAY_MAX),
 *              since every service, whatever its own leeway, shares the
 *              store: with sshd at leeway 0 and sudo at 60, a record kept
 *              only to exp + 0 would let sudo accept the token again.
 *   x/<B>/<H>  a hard link to r/<H> in the bucket B = UNTIL / 64: the expiry
 *              index, so pruning never reads or sorts the whole store.
 *   .lock      flock'ed while an expired record is replaced or pruned.
 *   .cursor    the lowest bucket that may still exist: every bucket below
 *              it has been pruned.
 *
 * Record: O_CREAT|O_EXCL on r/<H> is the atomic "first one wins".  If r/<H>
 * exists and is still live the token is a replay; if it has expired it is
 * replaced under the lock, so two replacers cannot both win.
 * Prune: under the lock, each authentication walks buckets upwards from the
 * cursor by name (no directory listing of x/), probing at most PRUNE_PROBES
 * bucket names and removing at most PRUNE_MAX records of wholly expired
 * buckets, so the work per authentication is bounded whatever the store
 * holds.  A new record's bucket is never below the cursor: the cursor stops
 * at the first bucket that has not wholly expired, and a record lives at
 * least until now.
 */
#include "replay.h"
#include "claims.h"
#include "err.h"
#include "options.h"
#include "redis.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define REPLAY_JTI_MAX 1024
#define BUCKET_SECONDS 64
#define PRUNE_PROBES 256 /* bucket names looked up, at most, per authentication */
#define PRUNE_MAX 16     /* records removed, at most, per authentication */
#define CURSOR_SCAN 64   /* x/ entries read once when the cursor is lost */

/* A directory below dfd (or the path itself when dfd < 0), created 0700 if
 * missing, which must be ours and private. */
static int
open_dir(int dfd, const char *name, int create)
{
	struct stat st;
	int fd;

	if (create) {
		if (dfd < 0)
			(void)mkdir(name, 0700);
		else
			(void)mkdirat(dfd, name, 0700);
	}
	fd = openat(dfd < 0 ? AT_FDCWD : dfd, name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 077) != 0) {
		(void)close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* Whoever may rename the store's parent entries may swap the store for an
 * empty one: the parent must be ours and not writable by others (or
 * sticky, like /tmp, where others cannot rename our entries). */
static int
parent_unsafe(const char *path)
{
	struct stat st;
	char *parent = strdup(path), *slash;
	int bad = 1;

	if (parent == NULL)
		return 1;
	slash = strrchr(parent, '/');
	if (slash == NULL)
		goto out;
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
		goto out;
	if (st.st_uid != 0 && st.st_uid != geteuid())
		goto out;
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 && !(st.st_mode & S_ISVTX))
		goto out;
	bad = 0;
out:
	free(parent);
	return bad;
}

static int
open_store(const char *path, int *dfd, int *rfd, int *xfd, char *reason,
    size_t rlen)
{
	char *parent = NULL, *slash;

	*dfd = *rfd = *xfd = -1;
	if (mkdir(path, 0700) != 0 && errno == ENOENT) {
		/* create a missing parent (root-only too), then the store */
		parent = strdup(path);
		if (parent == NULL)
			return PJ_E_NOMEM;
		slash = strrchr(parent, '/');
		if (slash != NULL && slash != parent) {
			*slash = '\0';
			(void)mkdir(parent, 0700);
		}
		free(parent);
		(void)mkdir(path, 0700);
	}
	if (parent_unsafe(path)) {
		errno = EPERM;
		goto fail;
	}
	*dfd = open_dir(-1, path, 0);
	if (*dfd < 0)
		goto fail;
	*rfd = open_dir(*dfd, "r", 1);
	if (*rfd < 0)
		goto fail;
	*xfd = open_dir(*dfd, "x", 1);
	if (*xfd < 0)
		goto fail;
	return PJ_OK;
fail:
	{
		int e = errno;

		return pj_reason(PJ_E_STORE, reason, rlen,
		    "replay_cache %s: %s (it must be a directory owned by root, "
		    "mode 0700, in a directory only root can write)", path,
		    e == EPERM ? "unsafe owner or mode" : strerror(e));
	}
}

static void
record_name(json_t *claims, const char *jti, char name[65])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	json_t *iss = json_object_get(claims, "iss");
	unsigned char tag;
	unsigned long long il;

	crypto_hash_sha256_init(&st);
	tag = json_is_string(iss) ? 1 : 0;
	crypto_hash_sha256_update(&st, &tag, 1);
	if (tag) {
		/* length-prefixed, so (iss, jti) pairs cannot collide by shifting */
		il = (unsigned long long)json_string_length(iss);
		crypto_hash_sha256_update(&st, (const unsigned char *)&il, sizeof(il));
		crypto_hash_sha256_update(&st,
		    (const unsigned char *)json_string_value(iss),
		    json_string_length(iss));
	}
	crypto_hash_sha256_update(&st, (const unsigned char *)jti, strlen(jti));
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(name, 65, h, sizeof(h));
}

static int
read_until(int rfd, const char *name, long long *until)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = openat(rfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return pj_parse_ll(buf, 0, LLONG_MAX, until);
}

static int
lock_store(int dfd)
{
	int fd = openat(dfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);

	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX) != 0) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Remove up to *budget records of one expired bucket; rmdir it when empty. */
static void
prune_bucket(int rfd, int xfd, const char *bucket, int *budget)
{
	struct dirent *de;
	struct stat lst, rst;
	DIR *d;
	int bfd, empty = 1;

	bfd = openat(xfd, bucket, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (bfd < 0)
		return;
	d = fdopendir(bfd);
	if (d == NULL) {
		(void)close(bfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (*budget <= 0) {
			empty = 0;
			break;
		}
		(*budget)--;
		/* the record goes only if it is still this very file: a newer
		 * record for the same pair is another inode */
		if (fstatat(bfd, de->d_name, &lst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    fstatat(rfd, de->d_name, &rst, AT_SYMLINK_NOFOLLOW) == 0 &&
		    lst.st_ino == rst.st_ino && lst.st_dev == rst.st_dev)
			(void)unlinkat(rfd, de->d_name, 0);
		(void)unlinkat(bfd, de->d_name, 0);
	}
	(void)closedir(d);
	if (empty)
		(void)unlinkat(xfd, bucket, AT_REMOVEDIR);
}

static int
read_cursor(int dfd, long long *cursor)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = openat(dfd, ".cursor", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return pj_parse_ll(buf, 0, LLONG_MAX / BUCKET_SECONDS - 1, cursor);
}

static void
write_cursor(int dfd, long long cursor)
{
	char buf[32];
	int fd, n;

	n = snprintf(buf, sizeof(buf), "%lld\n", cursor);
	fd = openat(dfd, ".cursor", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if (n <= 0 || write(fd, buf, (size_t)n) != n)
		(void)unlinkat(dfd, ".cursor", 0); /* found again by the scan */
	(void)close(fd);
}

/* The cursor was lost (a store made by hand, or a crash while writing it):
 * start from the lowest bucket among the first CURSOR_SCAN entries of x/. */
static long long
rescan_cursor(int xfd, long long now)
{
	struct dirent *de;
	long long b, low = now / BUCKET_SECONDS;
	DIR *d;
	int fd, n = 0;

	fd = dup(xfd);
	if (fd < 0)
		return low;
	d = fdopendir(fd);
	if (d == NULL) {
		(void)close(fd);
		return low;
	}
	while (n < CURSOR_SCAN && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		n++;
		if (pj_parse_ll(de->d_name, 0, LLONG_MAX / BUCKET_SECONDS - 1,
		    &b) == 0 && b < low)
			low = b;
	}
	(void)closedir(d);
	return low;
}

/* A new store gets its cursor at the current bucket: every record made from
 * now on lives at least until now, so its bucket is at or above it. */
static void
ensure_cursor(int dfd, long long now)
{
	char buf[32];
	int fd, n;

	fd = openat(dfd, ".cursor", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return; /* there already (or unwritable: prune rescans) */
	n = snprintf(buf, sizeof(buf), "%lld\n", now / BUCKET_SECONDS);
	if (n <= 0 || write(fd, buf, (size_t)n) != n)
		(void)unlinkat(dfd, ".cursor", 0);
	(void)close(fd);
}

/* Bounded pruning under the lock; best effort, never fails the
 * authentication. */
static void
prune(int dfd, int rfd, int xfd, long long now)
{
	char name[24];
	long long c, start;
	int budget = PRUNE_MAX, probes = 0, lock, bfd, lost = 0;

	lock = lock_store(dfd);
	if (lock < 0)
		return;
	if (read_cursor(dfd, &c) != 0) {
		c = rescan_cursor(xfd, now);
		lost = 1;
	}
	start = c;
	while ((c + 1) * BUCKET_SECONDS <= now && probes < PRUNE_PROBES &&
	    budget > 0) {
		probes++;
		(void)snprintf(name, sizeof(name), "%lld", c);
		bfd = openat(xfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (bfd < 0) {
			if (errno != ENOENT)
				break;
			c++;
			continue;
		}
		(void)close(bfd);
		prune_bucket(rfd, xfd, name, &budget);
		if (faccessat(xfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			break; /* budget spent inside it: go on next time */
		c++;
	}
	if (c != start || lost)
		write_cursor(dfd, c);
	(void)close(lock);
}

/* Create r/<name> exclusively and write until; 0, or -1 with errno. */
static int
create_record(int rfd, const char *name, long long until)
{
	char buf[32];
	int fd, n, e;

	fd = openat(rfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof(buf), "%lld\n", until);
	if (n <= 0 || write(fd, buf, (size_t)n) != n || fsync(fd) != 0) {
		e = errno ? errno : EIO;
		(void)close(fd);
		(void)unlinkat(rfd, name, 0);
		errno = e;
		return -2;
	}
	(void)close(fd);
	return 0;
}

/* x/<bucket>/<name> -> r/<name>; best effort (a missing link only means
 * the record is pruned later, when the same pair comes again). */
static void
index_record(int rfd, int xfd, const char *name, long long until)
{
	char bucket[24];
	int bfd;

	(void)snprintf(bucket, sizeof(bucket), "%lld", until / BUCKET_SECONDS);
	bfd = open_dir(xfd, bucket, 1);
	if (bfd < 0)
		return;
	if (linkat(rfd, name, bfd, name, 0) == 0)
		(void)fsync(bfd);
	(void)close(bfd);
}

/* SET NX PX on the shared Redis store: the same (iss, jti) and lifetime
 * as a record here, one atomic command. */
static int
record_redis(const struct pj_options *o, json_t *claims, json_t *jti,
    long long until, long long now, char *reason, size_t rlen)
{
	struct pj_redis_conf cf;
	struct pj_redis *rd = NULL;
	json_t *iss = json_object_get(claims, "iss");
	char key[PJ_REDIS_KEY_MAX + 1];
	int r;

	pj_redis_key(o->redis_prefix, PJ_REDIS_USE,
	    json_is_string(iss) ? json_string_value(iss) : NULL,
	    json_is_string(iss) ? json_string_length(iss) : 0,
	    json_string_value(jti), json_string_length(jti), key);
	memset(&cf, 0, sizeof(cf));
	cf.url = o->replay_cache;
	cf.auth_file = o->redis_auth_file;
	cf.prefix = o->redis_prefix;
	cf.timeout_ms = o->redis_timeout;
	r = pj_redis_open(&cf, &rd, reason, rlen);
	if (r == PJ_OK)
		r = pj_redis_record(rd, key, until, now, reason, rlen);
	pj_redis_close(rd);
	return r;
}

int
pj_replay_record(const struct pj_options *o, json_t *claims, long long now,
    char *reason, size_t rlen)
{
	json_t *jti = json_object_get(claims, "jti");
	long long exp = 0, until, old = 0;
	char name[65];
	int dfd = -1, rfd = -1, xfd = -1, lock = -1, c, r = PJ_E_INTERNAL;

	if (!json_is_string(jti) || json_string_length(jti) == 0 ||
	    json_string_length(jti) > REPLAY_JTI_MAX ||
	    strlen(json_string_value(jti)) != json_string_length(jti)) {
		r = pj_reason(PJ_E_CLAIM, reason, rlen,
		    "single_use: token has no usable 'jti' (a string of 1 to %d "
		    "bytes)", REPLAY_JTI_MAX);
		goto out;
	}
	if (pj_claims_numeric(json_object_get(claims, "exp"), &exp) != 0) {
		r = pj_reason(PJ_E_CLAIM, reason, rlen, "single_use: token has no 'exp'");
		goto out;
	}
	if (__builtin_add_overflow(exp, (long long)PJ_LEEWAY_MAX, &until) ||
	    until > LLONG_MAX / 2)
		until = LLONG_MAX / 2;
	if (until < now)
		until = now;
	if (pj_redis_is_url(o->replay_cache)) {
		/* the fleet's shared store: lib/redis.c */
		r = record_redis(o, claims, jti, until, now, reason, rlen);
		goto out;
	}
	record_name(claims, json_string_value(jti), name);
	r = open_store(o->replay_cache, &dfd, &rfd, &xfd, reason, rlen);
	if (r != PJ_OK)
		goto out;
	prune(dfd, rfd, xfd, now);
	c = create_record(rfd, name, until);
	if (c == -1 && errno == EEXIST) {
		lock = lock_store(dfd);
		if (lock < 0) {
			r = pj_reason(PJ_E_STORE, reason, rlen,
			    "replay_cache %s: cannot lock: %s", o->replay_cache,
			    strerror(errno));
			goto out;
		}
		/* a record being written (empty) or unreadable counts as live */
		if (read_until(rfd, name, &old) != 0 || old >= now) {
			r = pj_reason(PJ_E_REPLAY, reason, rlen,
			    "token already used (single_use)");
			goto out;
		}
		if (unlinkat(rfd, name, 0) != 0 && errno != ENOENT) {
			r = pj_reason(PJ_E_STORE, reason, rlen,
			    "replay_cache %s: %s", o->replay_cache, strerror(errno));
			goto out;
		}
		c = create_record(rfd, name, until);
		if (c == -1 && errno == EEXIST) {
			r = pj_reason(PJ_E_REPLAY, reason, rlen,
			    "token already used (single_use)");
			goto out;
		}
	}
	if (c != 0) {
		r = pj_reason(PJ_E_STORE, reason, rlen, "replay_cache %s: %s: %s",
		    o->replay_cache, c == -2 ? "cannot write" : "cannot create",
		    strerror(errno));
		goto out;
	}
	if (fsync(rfd) != 0) {
		int e = errno;

		(void)unlinkat(rfd, name, 0);
		r = pj_reason(PJ_E_STORE, reason, rlen,
		    "replay_cache %s: cannot sync: %s", o->replay_cache, strerror(e));
		goto out;
	}
	index_record(rfd, xfd, name, until);
	ensure_cursor(dfd, now);
	r = PJ_OK;
out:
	if (lock >= 0)
		(void)close(lock);
	if (xfd >= 0)
		(void)close(xfd);
	if (rfd >= 0)
		(void)close(rfd);
	if (dfd >= 0)
		(void)close(dfd);
	return r;
}
