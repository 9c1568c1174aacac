/* pam_bench - time one PAM authentication cycle, a new handle each time.
 *
 *   pam_bench CONFDIR SERVICE USER TOKENFILE ITERATIONS REPEATS [EXPECT]
 *
 * Each repeat runs ITERATIONS cycles of pam_start_confdir + pam_authenticate
 * + pam_end and prints the mean microseconds per cycle of that repeat; the
 * last line is "median_us=X" over the repeats.  Every result must equal
 * EXPECT (default PAM_SUCCESS), so a broken set-up never times as fast.
 */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *token;

static int
conv(int num, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	struct pam_response *r;
	int i;

	(void)data;
	r = calloc((size_t)num, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < num; i++)
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_ON)
			r[i].resp = strdup(token);
	*resp = r;
	return PAM_SUCCESS;
}

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

int
main(int argc, char **argv)
{
	struct pam_conv c = { conv, NULL };
	pam_handle_t *pamh;
	FILE *f;
	size_t cap = 0;
	ssize_t n;
	long iters, reps, i, k;
	double *t, t0;
	int expect = PAM_SUCCESS, r;

	if (argc < 7) {
		fprintf(stderr, "usage: pam_bench CONFDIR SERVICE USER TOKENFILE "
		    "ITERATIONS REPEATS [EXPECT]\n");
		return 2;
	}
	f = fopen(argv[4], "r");
	if (f == NULL || (n = getline(&token, &cap, f)) < 0) {
		perror(argv[4]);
		return 2;
	}
	fclose(f);
	token[strcspn(token, "\n")] = '\0';
	iters = strtol(argv[5], NULL, 10);
	reps = strtol(argv[6], NULL, 10);
	if (argc > 7)
		expect = (int)strtol(argv[7], NULL, 10);
	if (iters < 1 || reps < 1)
		return 2;
	t = calloc((size_t)reps, sizeof(*t));
	if (t == NULL)
		return 2;
	for (k = 0; k < reps; k++) {
		t0 = now_us();
		for (i = 0; i < iters; i++) {
			pamh = NULL;
			r = pam_start_confdir(argv[2], argv[3], &c, argv[1], &pamh);
			if (r != PAM_SUCCESS) {
				fprintf(stderr, "pam_bench: pam_start_confdir: %d\n", r);
				return 1;
			}
			r = pam_authenticate(pamh, 0);
			pam_end(pamh, r);
			if (r != expect) {
				fprintf(stderr, "pam_bench: got %d (%s), expected %d\n", r,
				    pam_strerror(NULL, r), expect);
				return 1;
			}
		}
		t[k] = (now_us() - t0) / (double)iters;
		printf("repeat %ld: %.2f us\n", k, t[k]);
	}
	qsort(t, (size_t)reps, sizeof(*t), cmp);
	printf("median_us=%.3f\n", t[reps / 2]);
	free(t);
	free(token);
	return 0;
}
