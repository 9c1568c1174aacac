/* replay.c - the single-use store
 *
 * Layout: one file per (iss, jti) pair, named by the hex SHA-256 of the pair
 * (so no jti can name a path), holding the time until which it is kept.
 * Creating it with O_CREAT|O_EXCL is the atomic "first one wins"; an expired
 * record is replaced under an exclusive flock on the store's lock file.
 */
#include "replay.h"
#include "claims.h"
#include "err.h"
#include "options.h"

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

static int
open_store(const char *path, int *dfd, char *reason, size_t rlen)
{
	struct stat st;
	char *parent = NULL, *slash;
	int fd = -1, r = PJ_E_STORE;

	*dfd = -1;
	if (mkdir(path, 0700) != 0 && errno == ENOENT) {
		/* create the parent (root-only too), then the store */
		parent = strdup(path);
		if (parent == NULL)
			return PJ_E_NOMEM;
		slash = strrchr(parent, '/');
		if (slash != NULL && slash != parent) {
			*slash = '\0';
			(void)mkdir(parent, 0700);
		}
		(void)mkdir(path, 0700);
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = pj_reason(PJ_E_STORE, reason, rlen, "replay_cache %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 077) != 0) {
		r = pj_reason(PJ_E_STORE, reason, rlen,
		    "replay_cache %s: must be a directory owned by root, mode 0700",
		    path);
		goto out;
	}
	*dfd = fd; /* transferred */
	fd = -1;
	r = PJ_OK;
out:
	free(parent);
	if (fd >= 0)
		(void)close(fd);
	return r;
}

static void
record_name(json_t *claims, const char *jti, char name[65])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	json_t *iss = json_object_get(claims, "iss");
	unsigned char tag;
	unsigned long long il = 0;

	crypto_hash_sha256_init(&st);
	tag = json_is_string(iss) ? 1 : 0;
	crypto_hash_sha256_update(&st, &tag, 1);
	if (tag) {
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

/* Write "until\n" and make it durable. */
static int
write_record(int dfd, int fd, long long until)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%lld\n", until);

	if (n <= 0 || write(fd, buf, (size_t)n) != n || fsync(fd) != 0 ||
	    fsync(dfd) != 0)
		return -1;
	return 0;
}

static int
read_until(int dfd, const char *name, long long *until)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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

int
pj_replay_record(const struct pj_options *o, json_t *claims, long long now,
    char *reason, size_t rlen)
{
	json_t *jti = json_object_get(claims, "jti");
	long long exp = 0, until, old = 0;
	char name[65];
	int dfd = -1, fd = -1, lock = -1, r = PJ_E_INTERNAL;

	if (!json_is_string(jti) || json_string_length(jti) == 0 ||
	    json_string_length(jti) > REPLAY_JTI_MAX ||
	    strlen(json_string_value(jti)) != json_string_length(jti)) {
		r = pj_reason(PJ_E_CLAIM, reason, rlen,
		    "single_use: token has no usable 'jti'");
		goto out;
	}
	if (pj_claims_numeric(json_object_get(claims, "exp"), &exp) != 0) {
		r = pj_reason(PJ_E_CLAIM, reason, rlen, "single_use: token has no 'exp'");
		goto out;
	}
	if (__builtin_add_overflow(exp, o->leeway, &until))
		until = LLONG_MAX;
	if (until < now)
		until = now;
	record_name(claims, json_string_value(jti), name);
	r = open_store(o->replay_cache, &dfd, reason, rlen);
	if (r != PJ_OK)
		goto out;
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd < 0 && errno == EEXIST) {
		/* used before: still live means replay; expired may be replaced,
		 * under the lock so two replacers cannot both win */
		lock = openat(dfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0600);
		if (lock < 0 || flock(lock, LOCK_EX) != 0) {
			r = pj_reason(PJ_E_STORE, reason, rlen,
			    "replay_cache %s: cannot lock: %s", o->replay_cache,
			    strerror(errno));
			goto out;
		}
		/* a record still being written (empty) or unreadable counts as live */
		if (read_until(dfd, name, &old) != 0 || old >= now) {
			r = pj_reason(PJ_E_REPLAY, reason, rlen,
			    "token already used (single_use)");
			goto out;
		}
		if (unlinkat(dfd, name, 0) != 0 && errno != ENOENT) {
			r = pj_reason(PJ_E_STORE, reason, rlen,
			    "replay_cache %s: %s", o->replay_cache, strerror(errno));
			goto out;
		}
		fd = openat(dfd, name,
		    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && errno == EEXIST) {
			r = pj_reason(PJ_E_REPLAY, reason, rlen,
			    "token already used (single_use)");
			goto out;
		}
	}
	if (fd < 0) {
		r = pj_reason(PJ_E_STORE, reason, rlen, "replay_cache %s: %s",
		    o->replay_cache, strerror(errno));
		goto out;
	}
	if (write_record(dfd, fd, until) != 0) {
		int e = errno;

		(void)unlinkat(dfd, name, 0);
		r = pj_reason(PJ_E_STORE, reason, rlen,
		    "replay_cache %s: cannot write: %s", o->replay_cache, strerror(e));
		goto out;
	}
	r = PJ_OK;
out:
	if (fd >= 0)
		(void)close(fd);
	if (lock >= 0)
		(void)close(lock);
	if (dfd >= 0)
		(void)close(dfd);
	return r;
}
