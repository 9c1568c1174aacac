/* pam_bench - time PAM authentication cycles, a new handle each time.
 *
 *   pam_bench CONFDIR USER ITERATIONS REPEATS SERVICE TOKENFILE [SERVICE TOKENFILE ...]
 *
 * For each repeat, runs ITERATIONS cycles of pam_start_confdir +
 * pam_authenticate + pam_end for every SERVICE and prints
 *   rep=K service=NAME us=MEAN
 * Services alternate within one process every BLOCK cycles (a few
 * hundred microseconds), so every comparison is made under the same load:
 * a burst of other work on a shared machine lands on all of them alike
 * instead of on whichever service's turn it was.  A TOKENFILE of several lines hands out one line per
 * cycle, round robin (single_use needs a fresh token each time).  A few
 * cycles per service run first, untimed, so that loading the modules is not
 * counted.  Every result must be PAM_SUCCESS: a broken set-up never times
 * as fast.
 */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/support/pamconv.h"

#define WARMUP 20
#define BLOCK 8

struct subject {
	const char *service;
	char **tokens;
	size_t n, next;
};

static double
now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int
load(struct subject *s, const char *service, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	s->service = service;
	if (f == NULL) {
		perror(path);
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		line[strcspn(line, "\n")] = '\0';
		s->tokens = realloc(s->tokens, (s->n + 1) * sizeof(*s->tokens));
		if (s->tokens == NULL)
			return -1;
		s->tokens[s->n++] = strdup(line);
	}
	free(line);
	fclose(f);
	return s->n > 0 ? 0 : -1;
}

static int
cycle(const char *confdir, const char *user, struct subject *s)
{
	/* every prompt of this cycle gets the same token */
	struct pamconv answering = { .rest = s->tokens[s->next++ % s->n] };
	struct pam_conv c = { pamconv_answer, &answering };
	pam_handle_t *pamh = NULL;
	int r;

	r = pam_start_confdir(s->service, user, &c, confdir, &pamh);
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "pam_bench: pam_start_confdir(%s): %d\n", s->service, r);
		return -1;
	}
	r = pam_authenticate(pamh, 0);
	pam_end(pamh, r);
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "pam_bench: %s: %s\n", s->service, pam_strerror(NULL, r));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct subject *subj;
	long iters, reps, i, k, b, n;
	int ns, j;
	double t0, *sum;

	if (argc < 7 || (argc - 5) % 2 != 0) {
		fprintf(stderr, "usage: pam_bench CONFDIR USER ITERATIONS REPEATS "
		    "SERVICE TOKENFILE [SERVICE TOKENFILE ...]\n");
		return 2;
	}
	iters = strtol(argv[3], NULL, 10);
	reps = strtol(argv[4], NULL, 10);
	if (iters < 1 || reps < 1)
		return 2;
	ns = (argc - 5) / 2;
	subj = calloc((size_t)ns, sizeof(*subj));
	if (subj == NULL)
		return 2;
	for (j = 0; j < ns; j++)
		if (load(&subj[j], argv[5 + 2 * j], argv[6 + 2 * j]) != 0)
			return 2;
	for (j = 0; j < ns; j++)
		for (i = 0; i < WARMUP; i++)
			if (cycle(argv[1], argv[2], &subj[j]) != 0)
				return 1;
	sum = calloc((size_t)ns, sizeof(*sum));
	if (sum == NULL)
		return 2;
	for (k = 0; k < reps; k++) {
		for (j = 0; j < ns; j++)
			sum[j] = 0;
		for (i = 0; i < iters; i += BLOCK)
			for (j = 0; j < ns; j++) {
				n = iters - i < BLOCK ? iters - i : BLOCK;
				t0 = now_us();
				for (b = 0; b < n; b++)
					if (cycle(argv[1], argv[2], &subj[j]) != 0)
						return 1;
				sum[j] += now_us() - t0;
			}
		for (j = 0; j < ns; j++)
			printf("rep=%ld service=%s us=%.3f\n", k, subj[j].service,
			    sum[j] / (double)iters);
	}
	return 0;
}
