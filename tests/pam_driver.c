/* pam_driver - a minimal PAM application for the tests.
 *
 *   pam_driver CONFDIR SERVICE USER|- [ANSWER...]
 *   pam_driver --direct MODULE.so [MODARG...] -- CONFDIR SERVICE USER|- [ANSWER...]
 *
 * Runs pam_authenticate for SERVICE with service files from CONFDIR
 * (pam_start_confdir, no wrapper needed).  USER "-" leaves PAM_USER unset.
 * Each prompt is answered with the next ANSWER; "@FILE" answers with the
 * contents of FILE, "-" with a line from standard input.  Prints one line:
 *   result=PAM_XXX user=NAME prompts=N
 * (NAME with every byte outside '!'..'~', and '%', written as %XX, so that
 * a hostile user name stays one word)
 * and exits 0 (the result is in the line), 2 on usage errors.
 * PAM_DRIVER_RHOST in the environment sets PAM_RHOST (as sshd does).
 * Prompts seen go to standard error as "prompt: TEXT", informational and
 * error messages as "message: TEXT".
 *
 * --direct: the handle still comes from the real libpam (pam_start_confdir
 * for SERVICE, so PAM_SERVICE, PAM_USER and the conversation are real), but
 * instead of running the stack the driver dlopens MODULE.so and calls its
 * pam_sm_authenticate(pamh, 0, MODARGC, MODARGV) itself.  The line then holds
 * the module's own return code, which a stack would hide (a lone
 * "auth required" turns PAM_IGNORE into PAM_PERM_DENIED).  Note that libpam
 * treats this call as coming from the application, so the module cannot read
 * or set PAM_AUTHTOK there; tests of that go through real stacks.
 */
#include <security/pam_appl.h>
#include <security/pam_modules.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/pamconv.h"

typedef int (*sm_auth_fn)(pam_handle_t *, int, int, const char **);

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

static void
usage(void)
{
	fprintf(stderr, "usage: pam_driver [--direct MODULE.so [MODARG...] --] "
	    "CONFDIR SERVICE USER|- [ANSWER...]\n");
}

int
main(int argc, char **argv)
{
	struct pamconv a = { .echo = 1, .load = load };
	struct pam_conv c = { pamconv_answer, &a };
	pam_handle_t *pamh = NULL;
	const void *user = NULL;
	const char *module = NULL;
	const char **modargv = NULL;
	void *dl = NULL;
	sm_auth_fn fn;
	int modargc = 0, first = 1, r, e, i;

	if (argc > 1 && strcmp(argv[1], "--direct") == 0) {
		if (argc < 3) {
			usage();
			return 2;
		}
		module = argv[2];
		modargv = (const char **)argv + 3;
		for (i = 3; i < argc && strcmp(argv[i], "--") != 0; i++)
			modargc++;
		if (i >= argc) {
			usage();
			return 2;
		}
		first = i + 1;
	}
	if (argc - first < 3) {
		usage();
		return 2;
	}
	a.n = argc - first - 3;
	a.answers = argv + first + 3;
	r = pam_start_confdir(argv[first + 1],
	    strcmp(argv[first + 2], "-") == 0 ? NULL : argv[first + 2], &c,
	    argv[first], &pamh);
	if (r != PAM_SUCCESS) {
		printf("result=%s user= prompts=0 (pam_start)\n", pam_code_name(r));
		return 0;
	}
	/* PAM_DRIVER_RHOST: the client's address, as sshd sets it */
	if (getenv("PAM_DRIVER_RHOST") != NULL &&
	    pam_set_item(pamh, PAM_RHOST, getenv("PAM_DRIVER_RHOST")) !=
	    PAM_SUCCESS) {
		(void)pam_end(pamh, PAM_SYSTEM_ERR);
		return 2;
	}
	if (module != NULL) {
		dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
		if (dl == NULL) {
			fprintf(stderr, "pam_driver: dlopen %s: %s\n", module,
			    dlerror());
			(void)pam_end(pamh, PAM_SYSTEM_ERR);
			return 2;
		}
		fn = (sm_auth_fn)dlsym(dl, "pam_sm_authenticate");
		if (fn == NULL) {
			fprintf(stderr, "pam_driver: %s has no pam_sm_authenticate\n",
			    module);
			(void)pam_end(pamh, PAM_SYSTEM_ERR);
			dlclose(dl);
			return 2;
		}
		r = fn(pamh, 0, modargc, modargv);
	} else {
		r = pam_authenticate(pamh, 0);
	}
	(void)pam_get_item(pamh, PAM_USER, &user);
	printf("result=%s user=", pam_code_name(r));
	for (i = 0; user != NULL && ((const char *)user)[i] != '\0'; i++) {
		unsigned char u = (unsigned char)((const char *)user)[i];

		if (u <= ' ' || u > '~' || u == '%')
			printf("%%%02X", u);
		else
			putchar(u);
	}
	printf(" prompts=%d\n", a.prompts);
	fflush(stdout);
	e = pam_end(pamh, r);
	/* after pam_end: cleanups registered with pam_set_data may live in it */
	if (dl != NULL)
		dlclose(dl);
	return e == PAM_SUCCESS ? 0 : 1;
}
