/* attack_driver - run the built pam_jwt.so once, exactly as sshd would,
 * and print its own return value.
 *
 *   attack_driver MODULE CONFDIR SERVICE USER|- ANSWERFILE [ARG...]
 *
 * pam_authenticate runs SERVICE from CONFDIR (pam_start_confdir), whose
 * stack is the one-line tests/support/pam_shim.c; the shim calls shim_authenticate
 * here, which calls MODULE's pam_sm_authenticate (dlopen) with ARGs.  So the
 * module runs inside libpam's dispatch (PAM_AUTHTOK works as in sshd) and
 * its exact return value is known, where pam_authenticate would fold
 * PAM_IGNORE and others into the stack's verdict.
 *
 * USER "-" leaves PAM_USER unset.  The first prompt is answered with the
 * bytes of ANSWERFILE (up to a NUL byte, as a C client would send them),
 * any further prompt with "".  The module's log lines are caught (this
 * executable's pam_syslog comes first in symbol lookup) and the last one
 * printed.  Output, one line:
 *   result=PAM_XXX prompts=N user=NAME log=LAST LOG LINE
 * Exit 0, or 2 on usage or set-up errors.
 */
#include <dlfcn.h>
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/support/pamconv.h"

typedef int (*sm_fn)(pam_handle_t *, int, int, const char **);

static sm_fn module_authenticate;
static int mod_argc, result = -1;
static const char **mod_argv;
static char *answer;
static char last_log[1024];

int shim_authenticate(pam_handle_t *pamh, int flags, int argc,
    const char **argv);

int
shim_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)argc;
	(void)argv;
	result = module_authenticate(pamh, flags, mod_argc, mod_argv);
	return result;
}

void
pam_vsyslog(const pam_handle_t *pamh, int priority, const char *fmt,
    va_list args)
{
	(void)pamh;
	(void)priority;
	(void)vsnprintf(last_log, sizeof(last_log), fmt, args);
}

void
pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pam_vsyslog(pamh, priority, fmt, ap);
	va_end(ap);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 65536) {
			char *nb = realloc(buf, cap + 65536 + 1);

			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

int
main(int argc, char **argv)
{
	struct pamconv answers = { .n = 1 };
	struct pam_conv pc = { pamconv_answer, &answers };
	pam_handle_t *pamh = NULL;
	const void *user = NULL;
	void *mod;
	int r;

	if (argc < 6) {
		fprintf(stderr, "usage: attack_driver MODULE CONFDIR SERVICE USER|- "
		    "ANSWERFILE [ARG...]\n");
		return 2;
	}
	mod = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (mod == NULL) {
		fprintf(stderr, "attack_driver: %s\n", dlerror());
		return 2;
	}
	module_authenticate = (sm_fn)dlsym(mod, "pam_sm_authenticate");
	answer = slurp(argv[5]);
	if (module_authenticate == NULL || answer == NULL) {
		fprintf(stderr, "attack_driver: no pam_sm_authenticate or no %s\n",
		    argv[5]);
		return 2;
	}
	answers.answers = &answer;
	mod_argc = argc - 6;
	mod_argv = (const char **)(argv + 6);
	r = pam_start_confdir(argv[3], strcmp(argv[4], "-") == 0 ? NULL : argv[4],
	    &pc, argv[2], &pamh);
	if (r != PAM_SUCCESS) {
		fprintf(stderr, "attack_driver: pam_start_confdir: %d\n", r);
		return 2;
	}
	(void)pam_authenticate(pamh, 0);
	(void)pam_get_item(pamh, PAM_USER, &user);
	printf("result=%s prompts=%d user=%s log=%s\n",
	    result == -1 ? "NOT_RUN" : pam_code_name(result), answers.prompts,
	    user ? (const char *)user : "", last_log);
	(void)pam_end(pamh, result < 0 ? PAM_SYSTEM_ERR : result);
	free(answer);
	/* the module stays loaded until exit, as in a PAM application that
	 * runs pam_end: libpam dlcloses its own handles */
	return 0;
}
