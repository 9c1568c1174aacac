/* jwks_threads.c - the JWK Set cache under ThreadSanitizer.
 *
 *   jwks_threads FIXTURE_DIR      (tests/unit/fixtures.py wrote it)
 *
 * lib/ is compiled with -fsanitize=thread into the same binary
 * (tests/tsan.mk).  TSAN_THREADS threads each authenticate TSAN_ROUNDS
 * times the way pj_verify does - pj_jwks_parse of a JWK Set text, then
 * pj_jws_verify (which selects the key and builds it from its pending
 * JWK) of an RS256 or an ES256 token, then free - over more texts than the
 * cache keeps (slots are replaced while other threads use what they got
 * from them), while thread 0 also empties the cache now and then.  Every
 * verification must succeed; any report of ThreadSanitizer (run with
 * halt_on_error=1 and a non-zero exitcode) fails the test.
 * Prints "tsan: N passed, M failed" (N, M verifications).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/err.h"
#include "lib/jwk.h"
#include "lib/jws.h"
#include "lib/key.h"

#define TSAN_THREADS 8
#define TSAN_ROUNDS 60
#define TSAN_TEXTS 6     /* more than the cache's 4 slots */

static char *texts[TSAN_TEXTS];
static size_t text_len[TSAN_TEXTS];
static char *tok_rs, *tok_es;

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
		fprintf(stderr, "jwks_threads: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)n + 1)) == NULL ||
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "jwks_threads: cannot read %s\n", path);
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
	fprintf(stderr, "jwks_threads: no token %s in the manifest\n", name);
	exit(2);
}

static void *
worker(void *arg)
{
	struct result *res = arg;
	struct pj_keyset ks;
	struct pj_jws jws;
	const char *tok;
	int i, r, k;

	for (i = 0; i < TSAN_ROUNDS; i++) {
		k = (res->id + i) % TSAN_TEXTS;
		tok = (i + res->id) % 2 ? tok_es : tok_rs;
		memset(&ks, 0, sizeof(ks));
		r = pj_jwks_parse(texts[k], text_len[k], &ks, res->reason,
		    sizeof(res->reason));
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
		if (res->id == 0 && i % 7 == 3)
			pj_jwks_cache_clear();
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t t[TSAN_THREADS];
	struct result res[TSAN_THREADS];
	long passed = 0, failed = 0;
	size_t len, mlen;
	char *base, *manifest;
	int i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
		return 2;
	}
	base = slurp(argv[1], "jwks.json", &len);
	manifest = slurp(argv[1], "manifest.txt", &mlen);
	tok_rs = manifest_token(manifest, "kid.RS256");
	tok_es = manifest_token(manifest, "kid.ES256");
	/* the same keys, told apart by trailing white space */
	for (i = 0; i < TSAN_TEXTS; i++) {
		if ((texts[i] = malloc(len + (size_t)i + 2)) == NULL)
			abort();
		memcpy(texts[i], base, len);
		memset(texts[i] + len, ' ', (size_t)i + 1);
		text_len[i] = len + (size_t)i + 1;
		texts[i][text_len[i]] = '\0';
	}
	/* some sets kept before the threads start: hits from the first round */
	for (i = 0; i < 4; i++) {
		struct pj_keyset ks;
		char reason[256];

		memset(&ks, 0, sizeof(ks));
		if (pj_jwks_parse(texts[i], text_len[i], &ks, reason,
		    sizeof(reason)) != PJ_OK ||
		    !pj_jwks_cache_holds(texts[i], text_len[i])) {
			fprintf(stderr, "jwks_threads: set %d not kept: %s\n", i,
			    reason);
			return 1;
		}
		pj_keyset_free(&ks);
	}
	memset(res, 0, sizeof(res));
	for (i = 0; i < TSAN_THREADS; i++) {
		res[i].id = i;
		if (pthread_create(&t[i], NULL, worker, &res[i]) != 0) {
			fprintf(stderr, "jwks_threads: pthread_create failed\n");
			return 2;
		}
	}
	for (i = 0; i < TSAN_THREADS; i++) {
		if (pthread_join(t[i], NULL) != 0)
			return 2;
		passed += res[i].passed;
		failed += res[i].failed;
		if (res[i].failed)
			fprintf(stderr, "jwks_threads: thread %d: %s\n", i,
			    res[i].reason);
	}
	pj_jwks_cache_clear();
	for (i = 0; i < TSAN_TEXTS; i++)
		free(texts[i]);
	free(base);
	free(manifest);
	free(tok_rs);
	free(tok_es);
	printf("tsan: %ld passed, %ld failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
