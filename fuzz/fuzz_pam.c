/* fuzz_pam.c - the whole authentication: pam_sm_authenticate (pam_jwt.c's
 * object linked in) through a real libpam handle (pam_start_confdir), with
 * the token, the module arguments and the config file all fuzzed.
 *
 * Input, line by line; a line "%%" starts the next part:
 *   part 0: "USER[\tAUTHTOK[\tSERVICE]]" - PAM_USER ("" = unset), an earlier
 *           module's PAM_AUTHTOK (for use_first_pass / try_first_pass) and
 *           the service name (default "sshd");
 *   part 1: the config file text (written to a private temp file, passed as
 *           config=);
 *   part 2: module arguments, one a line;
 *   part 3: the conversation's answers, one a line (an empty answer once
 *           they run out).  An answer "!SHEADER\tPAYLOAD" is signed by the
 *           harness like an issuer holding its keys (fuzz_sign).
 * "@D" in parts 1 and 2 stands for the harness's key directory, which holds
 * secret, rsa.pem, ed.pem, jwks.json and map.  replay_cache is always set
 * (as an argument) to a directory inside it, emptied for every input.
 *
 * pam_authenticate runs a stack of one module, tests/support/pam_shim.c,
 * which calls back shim_authenticate() here: pam_jwt's code runs inside
 * libpam's dispatch (where PAM_AUTHTOK can be set and read, as in sshd),
 * and the harness keeps its exact return value.  The conversation is
 * tests/support/pamconv.c.
 */
#include "fuzz_common.h"
#include "tests/support/pamconv.h"

#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ARGS 32
#define MAX_ANSWERS 80
#define INPUT_MAX (96 * 1024)

static char dir[64];
static char conf_arg[128], replay_arg[128], replay_dir[128], confdir[96];

/* what shim_authenticate needs for this input, and what it got */
static const char **cur_argv;
static int cur_argc, cur_result;
static const char *cur_authtok;

int shim_authenticate(pam_handle_t *pamh, int flags, int argc,
    const char **argv);

int
shim_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	(void)argc;
	(void)argv;
	/* an earlier module's password, for use_first_pass / try_first_pass */
	if (cur_authtok != NULL)
		FUZZ_ASSERT(pam_set_item(pamh, PAM_AUTHTOK, cur_authtok) ==
		    PAM_SUCCESS);
	cur_result = pam_sm_authenticate(pamh, 0, cur_argc, cur_argv);
	return cur_result;
}

/* pam_jwt.o's log lines: formatted (so ASan sees the arguments) but kept
 * out of the system log.  The executable's definition wins over libpam's. */
void
pam_vsyslog(const pam_handle_t *pamh, int priority, const char *fmt,
    va_list args)
{
	char buf[2048];

	(void)pamh;
	(void)priority;
	(void)vsnprintf(buf, sizeof(buf), fmt, args);
	if (getenv("FUZZ_PAM_VERBOSE") != NULL)
		fprintf(stderr, "log: %s\n", buf);
}

void
pam_syslog(const pam_handle_t *pamh, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pam_vsyslog(pamh, priority, fmt, ap);
	va_end(ap);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		(void)rmdir(path);
	else
		(void)unlink(path);
	return 0;
}

static void
rm_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
cleanup(void)
{
	if (dir[0] != '\0')
		rm_tree(dir);
}

static void
put(const char *name, const char *data, size_t len, mode_t mode)
{
	char path[160];
	int fd;

	(void)snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(fchmod(fd, mode) == 0);
	FUZZ_ASSERT(write(fd, data, len) == (ssize_t)len);
	FUZZ_ASSERT(close(fd) == 0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char svc[PATH_MAX + 64];

	(void)argc;
	(void)argv;
	/* the shim module every suite shares (fuzz/fuzz.mk passes its
	 * absolute path) */
	(void)snprintf(svc, sizeof(svc), "auth required %s\n", PAM_SHIM_PATH);
	FUZZ_ASSERT(sodium_init() >= 0);
	(void)snprintf(dir, sizeof(dir), "/tmp/pam_jwt_fuzz.XXXXXX");
	FUZZ_ASSERT(mkdtemp(dir) != NULL);
	FUZZ_ASSERT(atexit(cleanup) == 0);
	put("secret", FUZZ_SECRET, strlen(FUZZ_SECRET), 0600);
	put("rsa.pem", FUZZ_RSA_PEM, strlen(FUZZ_RSA_PEM), 0644);
	put("ed.pem", FUZZ_ED25519_PEM, strlen(FUZZ_ED25519_PEM), 0644);
	put("jwks.json", FUZZ_JWKS, strlen(FUZZ_JWKS), 0644);
	{
		static const char map[] = "*@example.com %u\nadmin root\n* %s\n";

		put("map", map, strlen(map), 0644);
	}
	(void)snprintf(confdir, sizeof(confdir), "%s/pam.d", dir);
	FUZZ_ASSERT(mkdir(confdir, 0700) == 0);
	put("pam.d/other", svc, strlen(svc), 0644);
	put("pam.d/sshd", svc, strlen(svc), 0644);
	(void)snprintf(conf_arg, sizeof(conf_arg), "config=%s/pam_jwt.conf", dir);
	(void)snprintf(replay_dir, sizeof(replay_dir), "%s/replay", dir);
	(void)snprintf(replay_arg, sizeof(replay_arg), "replay_cache=%s",
	    replay_dir);
	return 0;
}

/* A copy of s[0..n) with every "@D" replaced by the key directory;
 * *outlen (if not NULL) is its length (it may hold NUL bytes). */
static char *
subst(const char *s, size_t n, size_t *outlen)
{
	size_t dl = strlen(dir), i, o = 0, cap = n * (dl > 2 ? dl : 2) / 2 + 1;
	char *out = malloc(cap + dl);

	FUZZ_ASSERT(out != NULL);
	for (i = 0; i < n; i++) {
		if (i + 1 < n && s[i] == '@' && s[i + 1] == 'D') {
			memcpy(out + o, dir, dl);
			o += dl;
			i++;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return out;
}

struct answers {
	char *v[MAX_ANSWERS];
	int n;
};

static char *
answer(const char *s, size_t n)
{
	const char *tab;

	if (n >= 2 && s[0] == '!' && s[1] == 'S' &&
	    (tab = memchr(s + 2, '\t', n - 2)) != NULL)
		return fuzz_sign(s + 2, (size_t)(tab - s - 2), tab + 1,
		    n - (size_t)(tab + 1 - s));
	return fuzz_strndup((const unsigned char *)s, n);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl, *line;
	const char *argv[MAX_ARGS + 2];
	char *args[MAX_ARGS], *user = NULL, *authtok = NULL, *service = NULL;
	char *conf, *t1, *t2;
	size_t n, cstart = 0, cend = 0, clen = 0;
	struct answers ans;
	struct pamconv answering;
	struct pam_conv pc = { pamconv_answer, &answering };
	pam_handle_t *pamh = NULL;
	int part = 0, nargs = 0, argc = 0, i, r;
	const void *item;

	if (size > INPUT_MAX)
		return 0;
	memset(&ans, 0, sizeof(ans));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		line = p;
		p = nl ? nl + 1 : end;
		if (n == 2 && line[0] == '%' && line[1] == '%' && part < 3) {
			part++;
			if (part == 1)
				cstart = cend = (size_t)(p - (const char *)data);
			continue;
		}
		switch (part) {
		case 0:
			if (user == NULL)
				user = fuzz_strndup((const unsigned char *)line, n);
			break;
		case 1:
			cend = (size_t)(p - (const char *)data);
			break;
		case 2:
			if (nargs < MAX_ARGS)
				args[nargs++] = subst(line, n, NULL);
			break;
		default:
			if (ans.n < MAX_ANSWERS)
				ans.v[ans.n++] = answer(line, n);
			break;
		}
	}
	if (user != NULL && (t1 = strchr(user, '\t')) != NULL) {
		*t1++ = '\0';
		if ((t2 = strchr(t1, '\t')) != NULL) {
			*t2++ = '\0';
			service = t2;
		}
		authtok = t1;
	}
	conf = subst((const char *)data + cstart, cend - cstart, &clen);
	put("pam_jwt.conf", conf, clen, 0600);
	rm_tree(replay_dir);
	argv[argc++] = conf_arg;
	argv[argc++] = replay_arg;
	for (i = 0; i < nargs; i++)
		argv[argc++] = args[i];
	/* each prompt the next answer, then empty ones */
	memset(&answering, 0, sizeof(answering));
	answering.answers = ans.v;
	answering.n = ans.n;
	r = pam_start_confdir(service && service[0] ? service : "sshd",
	    user && user[0] ? user : NULL, &pc, confdir, &pamh);
	FUZZ_ASSERT(r == PAM_SUCCESS);
	cur_argv = argv;
	cur_argc = argc;
	cur_authtok = authtok != NULL && authtok[0] != '\0' ? authtok : NULL;
	cur_result = -12345;
	(void)pam_authenticate(pamh, 0);
	r = cur_result;
	FUZZ_ASSERT(r != -12345); /* the stack ran the module */
	if (getenv("FUZZ_PAM_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_pam: %s\n", pam_strerror(pamh, r));
	FUZZ_ASSERT(r == PAM_SUCCESS || r == PAM_IGNORE || r == PAM_AUTH_ERR ||
	    r == PAM_USER_UNKNOWN || r == PAM_AUTHINFO_UNAVAIL ||
	    r == PAM_SERVICE_ERR || r == PAM_CONV_ERR || r == PAM_BUF_ERR ||
	    r == PAM_SYSTEM_ERR);
	if (r == PAM_SUCCESS) {
		/* success always leaves PAM_USER naming the account */
		item = NULL;
		FUZZ_ASSERT(pam_get_item(pamh, PAM_USER, &item) == PAM_SUCCESS &&
		    item != NULL && ((const char *)item)[0] != '\0');
		if (user != NULL && user[0] != '\0')
			FUZZ_ASSERT(strcmp(item, user) == 0);
	}
	(void)pam_end(pamh, r);
	free(conf);
	for (i = 0; i < nargs; i++)
		free(args[i]);
	for (i = 0; i < ans.n; i++)
		free(ans.v[i]);
	free(user);
	return 0;
}
