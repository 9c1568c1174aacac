/* linkd_mint.c - make bench, the service row: what minting one token costs
 * pamjwt-linkd (lf_mint: claims, JSON, base64url, signature, the check of
 * the signature against the key's public half), against the floor of the
 * signature alone (pj_sign on a message of the same length, which also
 * checks it).
 *
 *   linkd_mint KEYFILE ALG ITERATIONS REPEATS
 * prints "mint_median_us=X sign_median_us=Y token_chars=N"
 */
#include "tools/linkd/linkd.h"
#include "tools/sign.h"

#include "lib/alg.h"
#include "lib/err.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct lf_conf c;
	struct lf_minter m;
	char reason[256] = "", jti[LF_ID_LEN + 1], *tok = NULL;
	unsigned char *sig = NULL;
	size_t siglen, toklen = 0;
	double *mt, *st, t0;
	long iters, reps, i, r;

	if (argc != 5 || sodium_init() < 0)
		return 2;
	iters = atol(argv[3]);
	reps = atol(argv[4]);
	if (iters < 1 || reps < 1)
		return 2;
	memset(&c, 0, sizeof(c));
	c.key_file = argv[1];
	c.alg = argv[2];
	c.issuer = "pamjwt-linkd";
	c.host = "host.example.com";
	c.token_ttl = 300;
	c.kinds[0].name = "login";
	c.kinds[0].scope = "login";
	c.nkinds = 1;
	if (lf_minter_load(&c, &m, reason, sizeof(reason)) != PJ_OK) {
		fprintf(stderr, "linkd_mint: %s\n", reason);
		return 1;
	}
	mt = calloc((size_t)reps, sizeof(double));
	st = calloc((size_t)reps, sizeof(double));
	if (mt == NULL || st == NULL)
		return 1;
	for (r = 0; r < reps; r++) {
		t0 = now_us();
		for (i = 0; i < iters; i++) {
			if (lf_mint(&c, &m, &c.kinds[0], "alice", time(NULL), &tok,
			    jti, reason, sizeof(reason)) != PJ_OK) {
				fprintf(stderr, "linkd_mint: %s\n", reason);
				return 1;
			}
			toklen = strlen(tok);
			sodium_memzero(tok, toklen);
			free(tok);
		}
		mt[r] = (now_us() - t0) / (double)iters;
		t0 = now_us();
		for (i = 0; i < iters; i++) {
			/* the signing input of a token of the same length */
			static unsigned char msg[1024];

			if (pj_sign(m.signer, m.alg, msg, toklen * 3 / 4, &sig,
			    &siglen) != PJ_OK)
				return 1;
			free(sig);
		}
		st[r] = (now_us() - t0) / (double)iters;
	}
	qsort(mt, (size_t)reps, sizeof(double), cmp);
	qsort(st, (size_t)reps, sizeof(double), cmp);
	printf("mint_median_us=%.3f sign_median_us=%.3f token_chars=%zu\n",
	    mt[reps / 2], st[reps / 2], toklen);
	lf_minter_free(&m);
	free(mt);
	free(st);
	return 0;
}
