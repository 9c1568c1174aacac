/* pam_driver - a minimal PAM application for the tests.
 *
 *   pam_driver CONFDIR SERVICE USER|- [ANSWER...]
 *
 * Runs pam_authenticate for SERVICE with service files from CONFDIR
 * (pam_start_confdir, no wrapper needed).  USER "-" leaves PAM_USER unset.
 * Each prompt is answered with the next ANSWER; "@FILE" answers with the
 * contents of FILE, "-" with a line from standard input.  Prints one line:
 *   result=PAM_XXX user=NAME prompts=N
 * and exits 0 (the result is in the line), 2 on usage errors.
 * Prompts seen go to standard error as "prompt: TEXT".
 */
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct answers {
	int n, next, prompts;
	char **v;
};

static char *
load(const char *spec)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (strcmp(spec, "-") == 0) {
		n = getline(&buf, &cap, stdin);
		if (n < 0) {
			free(buf);
			return strdup("");
		}
		return buf;
	}
	if (spec[0] != '@')
		return strdup(spec);
	f = fopen(spec + 1, "r");
	if (f == NULL)
		return strdup("");
	n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return strdup("");
	}
	return buf;
}

static int
conv(int num, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	struct answers *a = data;
	struct pam_response *r;
	int i;

	r = calloc((size_t)num, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < num; i++) {
		fprintf(stderr, "prompt: %s\n", msg[i]->msg ? msg[i]->msg : "");
		if (msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ||
		    msg[i]->msg_style == PAM_PROMPT_ECHO_ON) {
			a->prompts++;
			if (a->next >= a->n) {
				r[i].resp = strdup("");
			} else {
				r[i].resp = load(a->v[a->next++]);
			}
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

static const char *
code_name(int c)
{
	switch (c) {
	case PAM_SUCCESS: return "PAM_SUCCESS";
	case PAM_IGNORE: return "PAM_IGNORE";
	case PAM_AUTH_ERR: return "PAM_AUTH_ERR";
	case PAM_USER_UNKNOWN: return "PAM_USER_UNKNOWN";
	case PAM_AUTHINFO_UNAVAIL: return "PAM_AUTHINFO_UNAVAIL";
	case PAM_SERVICE_ERR: return "PAM_SERVICE_ERR";
	case PAM_CONV_ERR: return "PAM_CONV_ERR";
	case PAM_BUF_ERR: return "PAM_BUF_ERR";
	case PAM_SYSTEM_ERR: return "PAM_SYSTEM_ERR";
	case PAM_PERM_DENIED: return "PAM_PERM_DENIED";
	case PAM_ABORT: return "PAM_ABORT";
	default: return "PAM_OTHER";
	}
}

int
main(int argc, char **argv)
{
	struct answers a = { 0, 0, 0, NULL };
	struct pam_conv c = { conv, &a };
	pam_handle_t *pamh = NULL;
	const void *user = NULL;
	int r, e;

	if (argc < 4) {
		fprintf(stderr, "usage: pam_driver CONFDIR SERVICE USER|- [ANSWER...]\n");
		return 2;
	}
	a.n = argc - 4;
	a.v = argv + 4;
	r = pam_start_confdir(argv[2], strcmp(argv[3], "-") == 0 ? NULL : argv[3],
	    &c, argv[1], &pamh);
	if (r != PAM_SUCCESS) {
		printf("result=%s user= prompts=0 (pam_start)\n", code_name(r));
		return 0;
	}
	r = pam_authenticate(pamh, 0);
	(void)pam_get_item(pamh, PAM_USER, &user);
	printf("result=%s user=%s prompts=%d\n", code_name(r),
	    user ? (const char *)user : "", a.prompts);
	e = pam_end(pamh, r);
	return e == PAM_SUCCESS ? 0 : 1;
}
