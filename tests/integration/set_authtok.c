/* set_authtok.c - a tiny PAM module for the integration tests (never
 * installed).  One action per stack line:
 *
 *   set=VALUE         set PAM_AUTHTOK to VALUE (an "earlier module read it")
 *                     and return PAM_IGNORE, so that it never decides the
 *                     stack's result itself
 *   setfile=PATH      the same with the contents of PATH (long tokens; one
 *                     trailing newline removed)
 *   expect=VALUE      PAM_SUCCESS if PAM_AUTHTOK equals VALUE, else
 *                     PAM_AUTH_ERR (proves what a later module receives)
 *   expect_unset      PAM_SUCCESS if PAM_AUTHTOK is unset
 *   call=MODULE.so [ARG...]
 *                     dlopen MODULE.so and return what its
 *                     pam_sm_authenticate(pamh, flags, ARG...) returns, from
 *                     inside a real stack (so PAM_AUTHTOK behaves as for any
 *                     module); the exact code goes to standard error as
 *                     "set_authtok: call returned PAM_XXX"
 *
 * What it saw goes to standard error as "set_authtok: ..." lines, never the
 * value itself.
 */
#define PAM_SM_AUTH

#include <security/pam_modules.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/pamconv.h"

typedef int (*sm_auth_fn)(pam_handle_t *, int, int, const char **);

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	if (f == NULL)
		return NULL;
	n = getdelim(&buf, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return buf;
}

static int
call(pam_handle_t *pamh, int flags, const char *module, int argc,
    const char **argv)
{
	void *dl;
	sm_auth_fn fn;
	int r;

	dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (dl == NULL) {
		fprintf(stderr, "set_authtok: dlopen %s: %s\n", module, dlerror());
		return PAM_SYSTEM_ERR;
	}
	fn = (sm_auth_fn)dlsym(dl, "pam_sm_authenticate");
	if (fn == NULL) {
		fprintf(stderr, "set_authtok: no pam_sm_authenticate in %s\n",
		    module);
		dlclose(dl);
		return PAM_SYSTEM_ERR;
	}
	r = fn(pamh, flags, argc, argv);
	fprintf(stderr, "set_authtok: call returned %s\n", pam_code_name(r));
	/* libpam keeps its own reference when the module is also in the stack */
	dlclose(dl);
	return r;
}

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	const void *item = NULL;
	char *val;
	int r;

	if (argc < 1) {
		fprintf(stderr, "set_authtok: no action\n");
		return PAM_SERVICE_ERR;
	}
	if (strncmp(argv[0], "set=", 4) == 0) {
		r = pam_set_item(pamh, PAM_AUTHTOK, argv[0] + 4);
		fprintf(stderr, "set_authtok: set %s\n", pam_code_name(r));
		return r == PAM_SUCCESS ? PAM_IGNORE : r;
	}
	if (strncmp(argv[0], "setfile=", 8) == 0) {
		val = read_file(argv[0] + 8);
		if (val == NULL) {
			fprintf(stderr, "set_authtok: cannot read %s\n", argv[0] + 8);
			return PAM_SYSTEM_ERR;
		}
		r = pam_set_item(pamh, PAM_AUTHTOK, val);
		free(val);
		fprintf(stderr, "set_authtok: set %s\n", pam_code_name(r));
		return r == PAM_SUCCESS ? PAM_IGNORE : r;
	}
	if (strncmp(argv[0], "expect=", 7) == 0 ||
	    strcmp(argv[0], "expect_unset") == 0) {
		r = pam_get_item(pamh, PAM_AUTHTOK, &item);
		if (r != PAM_SUCCESS || item == NULL) {
			fprintf(stderr, "set_authtok: authtok unset\n");
			return argv[0][6] == '_' ? PAM_SUCCESS : PAM_AUTH_ERR;
		}
		if (argv[0][6] == '_') {
			fprintf(stderr, "set_authtok: authtok set\n");
			return PAM_AUTH_ERR;
		}
		if (strcmp(item, argv[0] + 7) == 0) {
			fprintf(stderr, "set_authtok: authtok matches\n");
			return PAM_SUCCESS;
		}
		fprintf(stderr, "set_authtok: authtok differs\n");
		return PAM_AUTH_ERR;
	}
	if (strncmp(argv[0], "call=", 5) == 0)
		return call(pamh, flags, argv[0] + 5, argc - 1, argv + 1);
	fprintf(stderr, "set_authtok: unknown action\n");
	return PAM_SERVICE_ERR;
}

PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
