/* keycache_threads.c - the key cache (lib/keycache.c) under
 * ThreadSanitizer.
 *
 *   keycache_threads FIXTURE_DIR      (tests/unit/fixtures.py wrote it)
 *
 * lib/ is compiled with -fsanitize=thread into the same binary
 * (tests/tsan.mk).  TSAN_THREADS threads each load the keys of one of
 * TSAN_CONFIGS configurations from their files (pj_keyset_load, as the
 * module does: more configurations than the cache keeps, so slots are
 * replaced while other threads use the sets they got from them) and verify
 * an RS256, ES256 or HS256 token with them (pj_jws_verify), TSAN_ROUNDS
 * times; thread 0 also empties the cache now and then, thread 2 the
 * cache of parsed headers (lib/hdrcache.c: a header shared by the other
 * threads goes while in use), and thread 1
 * replaces one configuration's JWK Set file (same keys, new inode) so that
 * a kept set goes while in use.  Each round also loads the options of one
 * of TSAN_CONFIGS configuration files (lib/textcache.c keeps 4), thread 3
 * empties that cache now and then and thread 4 replaces one file (same
 * text, new inode).  Every verification and load must succeed; any
 * report of ThreadSanitizer (halt_on_error=1, non-zero exitcode) fails.
 * Prints "tsan: N passed, M failed" (N, M verifications).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/file.h"
#include "lib/hdrcache.h"
#include "lib/jws.h"
#include "lib/key.h"
#include "lib/keycache.h"
#include "lib/options.h"
#include "lib/textcache.h"

#define TSAN_THREADS 8
#define TSAN_ROUNDS 60
#define TSAN_CONFIGS 6   /* more than the cache's 4 slots */

static struct pj_options opts[TSAN_CONFIGS];
static char *toks[3];
static char *jwks_text;
static size_t jwks_len;
static char dir[] = "/tmp/pamjwt-tsan.XXXXXX";

struct result {
	int id;
	long passed, failed;
	char reason[256];
};

static char *
slurp(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "keycache_threads: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "keycache_threads: cannot read %s\n", path);
		exit(2);
	}
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The token called name in the fixture manifest ("name token" lines). */
static char *
manifest_token(const char *manifest, const char *name)
{
	size_t nl = strlen(name);
	const char *p = manifest, *end;
	char *t;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name, nl) == 0 && p[nl] == ' ') {
			p += nl + 1;
			end = strchr(p, '\n');
			if (end == NULL)
				end = p + strlen(p);
			if ((t = strndup(p, (size_t)(end - p))) == NULL)
				abort();
			return t;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	fprintf(stderr, "keycache_threads: no token %s in the manifest\n", name);
	exit(2);
}

static void
put_file(const char *path, const char *data, size_t len, mode_t mode, long ago)
{
	struct timespec ts[2];
	char tmp[4200];
	int fd;

	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, data, len) != (ssize_t)len || fchmod(fd, mode) != 0)
		abort();
	(void)clock_gettime(CLOCK_REALTIME, &ts[0]);
	ts[0].tv_sec -= ago;
	ts[1] = ts[0];
	if (futimens(fd, ts) != 0 || close(fd) != 0 || rename(tmp, path) != 0)
		abort();
}

static void *
worker(void *arg)
{
	struct result *res = arg;
	struct pj_keyset ks;
	struct pj_jws jws;
	const char *tok;
	char path[4200];
	int i, r, k;

	for (i = 0; i < TSAN_ROUNDS; i++) {
		k = (res->id + i) % TSAN_CONFIGS;
		tok = toks[(i + res->id) % 3];
		memset(&ks, 0, sizeof(ks));
		r = pj_keyset_load(&opts[k], &ks, res->reason, sizeof(res->reason));
		if (r == PJ_OK)
			r = pj_jws_verify(tok, strlen(tok), &ks, 0, &jws,
			    res->reason, sizeof(res->reason));
		if (r == PJ_OK) {
			res->passed++;
			pj_jws_clear(&jws);
		} else {
			res->failed++;
		}
		pj_keyset_free(&ks);
		/* the configuration file's text (lib/textcache.c): each
		 * thread loads one of TSAN_CONFIGS files, more than it keeps */
		{
			struct pj_options o;
			char arg[4300];
			const char *argv[1];

			(void)snprintf(arg, sizeof(arg), "config=%s/conf-%d.conf",
			    dir, k);
			argv[0] = arg;
			r = pj_options_load(&o, 1, argv, "tsan", res->reason,
			    sizeof(res->reason));
			(void)snprintf(path, sizeof(path), "%s/jwks-%d.json", dir, k);
			if (r == PJ_OK && o.jwks_file != NULL &&
			    strcmp(o.jwks_file, path) == 0)
				res->passed++;
			else
				res->failed++;
			pj_options_free(&o);
		}
		if (res->id == 3 && i % 6 == 1)
			pj_textcache_clear();
		if (res->id == 4 && i % 9 == 4) {
			char text[4300];

			(void)snprintf(path, sizeof(path), "%s/conf-1.conf", dir);
			(void)snprintf(text, sizeof(text),
			    "jwks_file = %s/jwks-1.json\n", dir);
			put_file(path, text, strlen(text), 0644, 60);
		}
		if (res->id == 0 && i % 7 == 3)
			pj_keycache_clear();
		if (res->id == 2 && i % 5 == 2)
			pj_hdrcache_clear();
		if (res->id == 1 && i % 11 == 5) {
			(void)snprintf(path, sizeof(path), "%s/jwks-0.json", dir);
			put_file(path, jwks_text, jwks_len, 0644, 60);
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t[TSAN_THREADS];
	struct result res[TSAN_THREADS];
	struct timespec settle = { PJ_FILE_SETTLE_S, 300 * 1000 * 1000 };
	long passed = 0, failed = 0;
	size_t mlen, slen;
	char *manifest, *secret, path[4200];
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	if (mkdtemp(dir) == NULL)
		return 2;
	jwks_text = slurp(argv[1], "jwks.json", &jwks_len);
	secret = slurp(argv[1], "hs.secret", &slen);
	manifest = slurp(argv[1], "manifest.txt", &mlen);
	toks[0] = manifest_token(manifest, "kid.RS256");
	toks[1] = manifest_token(manifest, "kid.ES256");
	toks[2] = manifest_token(manifest, "tok.HS256");
	(void)snprintf(path, sizeof(path), "%s/secret", dir);
	put_file(path, secret, slen, 0600, 60);
	for (i = 0; i < TSAN_CONFIGS; i++) {
		pj_options_init(&opts[i]);
		if ((opts[i].secret_file = strdup(path)) == NULL)
			abort();
		(void)snprintf(path + strlen(dir), sizeof(path) - strlen(dir),
		    "/jwks-%d.json", i);
		put_file(path, jwks_text, jwks_len, 0644, 60);
		if ((opts[i].jwks_file = strdup(path)) == NULL)
			abort();
		{
			char cpath[4300], text[4300];

			(void)snprintf(cpath, sizeof(cpath), "%s/conf-%d.conf",
			    dir, i);
			(void)snprintf(text, sizeof(text), "jwks_file = %s\n",
			    path);
			put_file(cpath, text, strlen(text), 0644, 60);
		}
		(void)snprintf(path, sizeof(path), "%s/secret", dir);
	}
	/* ctime is the kernel's: wait until the files have settled, then keep
	 * some sets before the threads start (hits from the first round) */
	(void)nanosleep(&settle, NULL);
	for (i = 0; i < 4; i++) {
		struct pj_keyset a, b;
		char reason[256] = "";

		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (pj_keyset_load(&opts[i], &a, reason, sizeof(reason)) != PJ_OK ||
		    pj_keyset_load(&opts[i], &b, reason, sizeof(reason)) != PJ_OK ||
		    a.keys != b.keys) {
			fprintf(stderr, "keycache_threads: set %d not kept: %s\n", i,
			    reason);
			return 1;
		}
		pj_keyset_free(&a);
		pj_keyset_free(&b);
	}
	memset(res, 0, sizeof(res));
	for (i = 0; i < TSAN_THREADS; i++) {
		res[i].id = i;
		if (pthread_create(&t[i], NULL, worker, &res[i]) != 0) {
			fprintf(stderr, "keycache_threads: pthread_create failed\n");
			return 2;
		}
	}
	for (i = 0; i < TSAN_THREADS; i++) {
		if (pthread_join(t[i], NULL) != 0)
			return 2;
		passed += res[i].passed;
		failed += res[i].failed;
		if (res[i].failed)
			fprintf(stderr, "keycache_threads: thread %d: %s\n", i,
			    res[i].reason);
	}
	pj_keycache_clear();
	pj_textcache_clear();
	for (i = 0; i < TSAN_CONFIGS; i++) {
		(void)unlink(opts[i].jwks_file);
		pj_options_free(&opts[i]);
		(void)snprintf(path, sizeof(path), "%s/conf-%d.conf", dir, i);
		(void)unlink(path);
	}
	(void)snprintf(path, sizeof(path), "%s/secret", dir);
	(void)unlink(path);
	(void)rmdir(dir);
	free(jwks_text);
	free(secret);
	free(manifest);
	for (i = 0; i < 3; i++)
		free(toks[i]);
	printf("tsan: %ld passed, %ld failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
