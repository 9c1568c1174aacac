/* lib_bench - time pam_jwt's library work without PAM around it.
 *
 *   lib_bench verify TOKENFILE ITERATIONS REPEATS [key=value ...]
 *       per iteration: read the key files, verify, check the claims and the
 *       account, exactly as the module does (pj_verify with keys NULL)
 *   lib_bench raw TOKENFILE ITERATIONS REPEATS [key=value ...]
 *       the floor: keys loaded once, then only the signature primitive
 *       (pj_sig_verify) on the signing input, key in memory
 *   lib_bench growth TOKENFILE ITERATIONS [key=value ...]
 *       heap in use (mallinfo2) after 1 and after ITERATIONS verifications
 *
 * Prints "median_us=X" (or "heap_after_1=.. heap_after_N=..").  Every
 * verification must succeed, so a broken set-up never times as fast.
 */
#include "lib/alg.h"
#include "lib/b64url.h"
#include "lib/err.h"
#include "lib/jws.h"
#include "lib/key.h"
#include "lib/options.h"
#include "lib/sig.h"
#include "lib/verify.h"

#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static char *
read_token(const char *path)
{
	FILE *f = fopen(path, "r");
	char *tok = NULL;
	size_t cap = 0;

	if (f == NULL || getline(&tok, &cap, f) < 0) {
		perror(path);
		exit(2);
	}
	fclose(f);
	tok[strcspn(tok, "\n")] = '\0';
	return tok;
}

static int
one_verify(const struct pj_options *o, const char *tok)
{
	struct pj_result res;
	int r = pj_verify(o, NULL, tok, strlen(tok), NULL,
	    (long long)time(NULL), &res);

	if (r != PJ_OK)
		fprintf(stderr, "lib_bench: %s: %s\n", pj_strerror(r), res.reason);
	pj_result_clear(&res);
	return r;
}

int
main(int argc, char **argv)
{
	struct pj_options o;
	struct pj_keyset ks;
	struct pj_jws jws;
	const struct pj_key *key = NULL;
	unsigned char *sig = NULL;
	char reason[256] = "", *tok;
	size_t siglen = 0, msglen;
	long iters, reps = 1, i, k;
	double *t, t0;
	int nopt, r;

	if (argc < 4 || sodium_init() < 0) {
		fprintf(stderr, "usage: lib_bench verify|raw|growth TOKENFILE "
		    "ITERATIONS [REPEATS] [key=value ...]\n");
		return 2;
	}
	tok = read_token(argv[2]);
	iters = strtol(argv[3], NULL, 10);
	if (strcmp(argv[1], "growth") != 0) {
		if (argc < 5)
			return 2;
		reps = strtol(argv[4], NULL, 10);
		nopt = 5;
	} else {
		nopt = 4;
	}
	if (iters < 1 || reps < 1)
		return 2;
	r = pj_options_load(&o, argc - nopt, (const char **)argv + nopt, NULL,
	    reason, sizeof(reason));
	if (r != PJ_OK) {
		fprintf(stderr, "lib_bench: options: %s\n", reason);
		return 2;
	}
	if (strcmp(argv[1], "growth") == 0) {
		struct mallinfo2 a, b;

		if (one_verify(&o, tok) != PJ_OK)
			return 1;
		a = mallinfo2();
		for (i = 0; i < iters; i++)
			if (one_verify(&o, tok) != PJ_OK)
				return 1;
		b = mallinfo2();
		printf("heap_after_1=%zu heap_after_N=%zu N=%ld\n", a.uordblks,
		    b.uordblks, iters);
		pj_options_free(&o);
		free(tok);
		return 0;
	}
	t = calloc((size_t)reps, sizeof(*t));
	if (t == NULL)
		return 2;
	if (strcmp(argv[1], "raw") == 0) {
		if (pj_keyset_load(&o, &ks, reason, sizeof(reason)) != PJ_OK ||
		    pj_jws_verify(tok, strlen(tok), &ks, 0, &jws, reason,
		    sizeof(reason)) != PJ_OK ||
		    pj_keyset_select(&ks, jws.alg, jws.kid, &key, reason,
		    sizeof(reason)) != PJ_OK) {
			fprintf(stderr, "lib_bench: %s\n", reason);
			return 1;
		}
		msglen = strlen(tok);
		while (msglen > 0 && tok[msglen - 1] != '.')
			msglen--;
		if (msglen == 0)
			return 1;
		msglen--; /* the signing input ends before the last dot */
		if (pj_b64url_decode_alloc(tok + msglen + 1, strlen(tok) - msglen - 1, &sig,
		    &siglen) != PJ_OK)
			return 1;
		for (k = 0; k < reps; k++) {
			t0 = now_us();
			for (i = 0; i < iters; i++)
				if (pj_sig_verify(key, jws.alg, (unsigned char *)tok,
				    msglen, sig, siglen) != PJ_OK)
					return 1;
			t[k] = (now_us() - t0) / (double)iters;
		}
		free(sig);
		pj_jws_clear(&jws);
		pj_keyset_free(&ks);
	} else {
		for (k = 0; k < reps; k++) {
			t0 = now_us();
			for (i = 0; i < iters; i++)
				if (one_verify(&o, tok) != PJ_OK)
					return 1;
			t[k] = (now_us() - t0) / (double)iters;
		}
	}
	qsort(t, (size_t)reps, sizeof(*t), cmp);
	printf("median_us=%.3f\n", t[reps / 2]);
	free(t);
	free(tok);
	pj_options_free(&o);
	return 0;
}
