/* pamconv.c - the answering conversation and PAM code names shared by the
 * C test programs (see pamconv.h). */
#include "pamconv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
pamconv_answer(int num, const struct pam_message **msg,
    struct pam_response **resp, void *appdata_ptr)
{
	struct pamconv *c = appdata_ptr;
	void *(*xcalloc)(size_t, size_t) = c->calloc_fn ? c->calloc_fn : calloc;
	char *(*xstrdup)(const char *) = c->strdup_fn ? c->strdup_fn : strdup;
	struct pam_response *r;
	const char *text;
	int i, j;

	if (num <= 0 || num > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = xcalloc((size_t)num, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < num; i++) {
		text = msg[i]->msg != NULL ? msg[i]->msg : "";
		if (msg[i]->msg_style != PAM_PROMPT_ECHO_OFF &&
		    msg[i]->msg_style != PAM_PROMPT_ECHO_ON) {
			if (c->echo)
				fprintf(stderr, "message: %s\n", text);
			continue;
		}
		if (c->echo)
			fprintf(stderr, "prompt: %s\n", text);
		c->prompts++;
		if (c->next < c->n) {
			const char *spec = c->answers[c->next++];

			r[i].resp = c->load != NULL ? c->load(spec) : xstrdup(spec);
		} else {
			r[i].resp = xstrdup(c->rest != NULL ? c->rest : "");
		}
		if (r[i].resp == NULL) {
			for (j = 0; j < i; j++)
				free(r[j].resp);
			free(r);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

const char *
pam_code_name(int code)
{
	switch (code) {
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
	case PAM_CRED_INSUFFICIENT: return "PAM_CRED_INSUFFICIENT";
	case PAM_MAXTRIES: return "PAM_MAXTRIES";
	case PAM_BAD_ITEM: return "PAM_BAD_ITEM";
	case PAM_OPEN_ERR: return "PAM_OPEN_ERR";
	case PAM_SYMBOL_ERR: return "PAM_SYMBOL_ERR";
	case PAM_CRED_ERR: return "PAM_CRED_ERR";
	case PAM_ACCT_EXPIRED: return "PAM_ACCT_EXPIRED";
	case PAM_NEW_AUTHTOK_REQD: return "PAM_NEW_AUTHTOK_REQD";
	default: return "PAM_OTHER";
	}
}
