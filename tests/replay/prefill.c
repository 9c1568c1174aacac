/* prefill - fill a pam_jwt replay store quickly, in the documented layout
 * (lib/replay.c): r/<64 hex> holding "UNTIL\n", hard-linked as
 * x/<UNTIL/64>/<64 hex>, and .cursor lowered to the first bucket.  For the
 * replay tests and the replay benchmark.
 *
 *   prefill STORE COUNT UNTIL PER_BUCKET TAG
 *
 * Record i (0 <= i < COUNT) gets UNTIL_i = UNTIL + (i / PER_BUCKET) * 64, so
 * PER_BUCKET consecutive records share one bucket and the buckets are
 * consecutive.  Its name is the hex SHA-256 of "TAG:i" (so names never
 * collide with real (iss, jti) records, and two fills with different TAGs
 * never collide with each other).  STORE, r and x are created 0700 if
 * missing.  Prints "created N" and exits 0, or a message and 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long long
num(const char *s, const char *what)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0') {
		fprintf(stderr, "prefill: bad %s '%s'\n", what, s);
		exit(1);
	}
	return v;
}

static int
subdir(int dfd, const char *name)
{
	int fd;

	if (mkdirat(dfd, name, 0700) != 0 && errno != EEXIST)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

int
main(int argc, char **argv)
{
	long long count, until, per, i, u, bucket, cur = LLONG_MIN;
	unsigned char h[crypto_hash_sha256_BYTES];
	char name[65], label[128], bname[32], buf[32];
	int dfd, rfd, xfd, bfd = -1, fd, n, ln;

	if (argc != 6) {
		fprintf(stderr, "usage: prefill STORE COUNT UNTIL PER_BUCKET TAG\n");
		return 1;
	}
	count = num(argv[2], "COUNT");
	until = num(argv[3], "UNTIL");
	per = num(argv[4], "PER_BUCKET");
	if (count < 0 || until < 0 || per < 1) {
		fprintf(stderr, "prefill: COUNT, UNTIL >= 0, PER_BUCKET >= 1\n");
		return 1;
	}
	if (sodium_init() < 0)
		return 1;
	if (mkdir(argv[1], 0700) != 0 && errno != EEXIST) {
		perror(argv[1]);
		return 1;
	}
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || (rfd = subdir(dfd, "r")) < 0 ||
	    (xfd = subdir(dfd, "x")) < 0) {
		perror(argv[1]);
		return 1;
	}
	for (i = 0; i < count; i++) {
		u = until + (i / per) * 64;
		bucket = u / 64;
		if (bucket != cur) {
			if (bfd >= 0)
				close(bfd);
			snprintf(bname, sizeof(bname), "%lld", bucket);
			bfd = subdir(xfd, bname);
			if (bfd < 0) {
				perror(bname);
				return 1;
			}
			cur = bucket;
		}
		ln = snprintf(label, sizeof(label), "%s:%lld", argv[5], i);
		crypto_hash_sha256(h, (const unsigned char *)label, (size_t)ln);
		sodium_bin2hex(name, sizeof(name), h, sizeof(h));
		fd = openat(rfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			perror(name);
			return 1;
		}
		n = snprintf(buf, sizeof(buf), "%lld\n", u);
		if (write(fd, buf, (size_t)n) != n) {
			perror(name);
			return 1;
		}
		close(fd);
		if (linkat(rfd, name, bfd, name, 0) != 0) {
			perror(name);
			return 1;
		}
	}
	/* as pam_jwt keeps it: the cursor is at or below every bucket of a
	 * store that has existed since those records were made */
	if (count > 0) {
		long long old = LLONG_MAX;

		fd = openat(dfd, ".cursor", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = (int)read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n > 0) {
				buf[n] = '\0';
				old = strtoll(buf, NULL, 10);
			}
		}
		if (until / 64 < old) {
			fd = openat(dfd, ".cursor", O_WRONLY | O_CREAT | O_TRUNC |
			    O_CLOEXEC, 0600);
			n = snprintf(buf, sizeof(buf), "%lld\n", until / 64);
			if (fd < 0 || write(fd, buf, (size_t)n) != n) {
				perror(".cursor");
				return 1;
			}
			close(fd);
		}
	}
	printf("created %lld\n", count);
	return 0;
}
