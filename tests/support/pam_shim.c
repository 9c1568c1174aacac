/* pam_shim.c - a one-line PAM module for the harnesses that run pam_jwt
 * inside libpam's dispatch: fuzz/fuzz_pam.c and tests/fault/fault.c (which
 * link pam_jwt.c's object into the executable) and
 * tests/attack/attack_driver.c (which dlopens the built module).  Built
 * once, into $(BUILD)/support/pam_shim.so (tests/support/support.mk), and
 * never sanitized itself: it is loaded into drivers of every build.
 *
 * The harness runs pam_authenticate on a service whose stack is this
 * module; it forwards to shim_authenticate(), which the harness defines and
 * exports (-Wl,--export-dynamic-symbol=shim_authenticate).  pam_jwt's code
 * thus runs inside libpam's dispatch, as in sshd or sudo: PAM_AUTHTOK can be
 * read and set (libpam refuses both to an application), and the harness
 * still sees the module's exact return value. */
#include <security/pam_modules.h>

int shim_authenticate(pam_handle_t *pamh, int flags, int argc,
    const char **argv);

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	return shim_authenticate(pamh, flags, argc, argv);
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
