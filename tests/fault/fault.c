/* fault.c - fault injection through the whole pam_sm_authenticate.
 *
 *   fault FIXDIR SCENARIO...
 *
 * Linked with -Wl,--wrap=SYMBOL for every allocation, file, directory,
 * account and PAM call that lib/ and pam_jwt.c make (tests/fault.mk lists
 * them and checks with nm that nothing failable is left unwrapped), plus
 * jansson's allocator (json_set_alloc_funcs) and the conversation function.
 * The module verifies RSA and EC with Nettle (lib/hog.h): GMP, under it,
 * aborts when an allocation fails, so its allocations are not failed here
 * (LeakSanitizer still sees them; the key objects lib/ allocates are).  For each scenario (a
 * directory written by fixtures.py) it
 *   1. runs one authentication counting the N failable calls (it must
 *      succeed),
 *   2. for i in 1..N runs it again in a fresh child process with only call
 *      i failing, and asserts: no crash or sanitizer report, no leak
 *      (LeakSanitizer), and a result other than PAM_SUCCESS - unless the
 *      failed call is one the module may lose by design (best effort: the
 *      replay store's pruning, expiry index and cursor, the early key load
 *      before the prompt that is repeated after it, the continuation check,
 *      handing the typed token on as PAM_AUTHTOK, reading PAM_RHOST for the
 *      log line, keeping a parsed JWK Set or the keys read from files
 *      for the next authentication, and seeing those files unchanged
 *      without opening them, the configuration file's text likewise).  Each child starts as a process in
 *      which the module has not yet opened libhogweed nor kept a JWK Set,
 *      so that dlopen and
 *      the JSON parse are failed too.
 * Prints per scenario the number of failable calls, the injected faults,
 * and the histogram of results; exits 1 on any failure.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <pwd.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PJ_HOG_NO_REDIRECT /* this file resets the table */
#include "lib/hog.h"
#include "lib/jwk.h"
#include "lib/keycache.h"
#include "lib/textcache.h"
#include "tests/support/pamconv.h"

/* libasan's, not in gcc's sanitizer headers */
size_t __sanitizer_get_current_allocated_bytes(void);

#define MAX_LINES 16
#define BT_MAX 32

/* --- the fault switch ------------------------------------------------- */

static int fault_on;          /* count only inside pam_sm_authenticate */
static long fault_count;      /* failable calls seen so far */
static long fault_at;         /* fail this one (0: none) */
static const char *fault_site;
static int fault_item = -1;   /* item type, for pam_set_item / pam_get_item */
static void *fault_bt[BT_MAX];
static int fault_bt_n;

static int
hit(const char *site, int item)
{
	if (!fault_on)
		return 0;
	fault_count++;
	if (fault_count != fault_at)
		return 0;
	fault_site = site;
	fault_item = item;
	fault_bt_n = backtrace(fault_bt, BT_MAX);
	return 1;
}

/* --- wrapped calls ------------------------------------------------------ */

void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
char *__real_strdup(const char *);
char *__real_strndup(const char *, size_t);
int __real_open(const char *, int, ...);
int __real_openat(int, const char *, int, ...);
ssize_t __real_read(int, void *, size_t);
ssize_t __real_write(int, const void *, size_t);
int __real_fstat(int, struct stat *);
int __real_fstatat(int, const char *, struct stat *, int);
int __real_lstat(const char *, struct stat *);
int __real_stat(const char *, struct stat *);
int __real_mkdir(const char *, mode_t);
int __real_mkdirat(int, const char *, mode_t);
int __real_linkat(int, const char *, int, const char *, int);
int __real_unlinkat(int, const char *, int);
int __real_fsync(int);
int __real_flock(int, int);
int __real_fcntl(int, int, ...);
int __real_dup(int);
DIR *__real_fdopendir(int);
struct dirent *__real_readdir(DIR *);
int __real_pam_get_item(const pam_handle_t *, int, const void **);
int __real_pam_set_item(pam_handle_t *, int, const void *);
int __real_pam_prompt(pam_handle_t *, int, char **, const char *, ...);
int __real_sodium_init(void);
void *__real_sodium_malloc(size_t);
void *__real_dlopen(const char *, int);

void *
__wrap_malloc(size_t n)
{
	if (hit("malloc", -1)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(n);
}

void *
__wrap_calloc(size_t a, size_t b)
{
	if (hit("calloc", -1)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(a, b);
}

void *
__wrap_realloc(void *p, size_t n)
{
	if (hit("realloc", -1)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	if (hit("strdup", -1)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	if (hit("strndup", -1)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strndup(s, n);
}

int
__wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (hit("open", -1)) {
		errno = EACCES;
		return -1;
	}
	return __real_open(path, flags, mode);
}

int
__wrap_openat(int dfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (hit("openat", -1)) {
		errno = EMFILE;
		return -1;
	}
	return __real_openat(dfd, path, flags, mode);
}

ssize_t
__wrap_read(int fd, void *buf, size_t n)
{
	if (hit("read", -1)) {
		errno = EIO;
		return -1;
	}
	return __real_read(fd, buf, n);
}

ssize_t
__wrap_write(int fd, const void *buf, size_t n)
{
	if (hit("write", -1)) {
		errno = ENOSPC;
		return -1;
	}
	return __real_write(fd, buf, n);
}

int
__wrap_fstat(int fd, struct stat *st)
{
	if (hit("fstat", -1)) {
		errno = EIO;
		return -1;
	}
	return __real_fstat(fd, st);
}

int
__wrap_fstatat(int dfd, const char *path, struct stat *st, int flags)
{
	if (hit("fstatat", -1)) {
		errno = EIO;
		return -1;
	}
	return __real_fstatat(dfd, path, st, flags);
}

int
__wrap_lstat(const char *path, struct stat *st)
{
	if (hit("lstat", -1)) {
		errno = EIO;
		return -1;
	}
	return __real_lstat(path, st);
}

int
__wrap_stat(const char *path, struct stat *st)
{
	if (hit("stat", -1)) {
		errno = EIO;
		return -1;
	}
	return __real_stat(path, st);
}

int
__wrap_mkdir(const char *path, mode_t mode)
{
	if (hit("mkdir", -1)) {
		errno = EACCES;
		return -1;
	}
	return __real_mkdir(path, mode);
}

int
__wrap_mkdirat(int dfd, const char *path, mode_t mode)
{
	if (hit("mkdirat", -1)) {
		errno = ENOSPC;
		return -1;
	}
	return __real_mkdirat(dfd, path, mode);
}

int
__wrap_linkat(int a, const char *b, int c, const char *d, int e)
{
	if (hit("linkat", -1)) {
		errno = EMLINK;
		return -1;
	}
	return __real_linkat(a, b, c, d, e);
}

int
__wrap_unlinkat(int dfd, const char *path, int flags)
{
	if (hit("unlinkat", -1)) {
		errno = EIO;
		return -1;
	}
	return __real_unlinkat(dfd, path, flags);
}

int
__wrap_fsync(int fd)
{
	if (hit("fsync", -1)) {
		errno = EIO;
		return -1;
	}
	return __real_fsync(fd);
}

int
__wrap_flock(int fd, int op)
{
	if (hit("flock", -1)) {
		errno = ENOLCK;
		return -1;
	}
	return __real_flock(fd, op);
}

/* lib/ calls fcntl with an int argument only (F_SETFD, lib/redis.c) */
int
__wrap_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	int arg;

	va_start(ap, cmd);
	arg = va_arg(ap, int);
	va_end(ap);
	if (hit("fcntl", -1)) {
		errno = EBADF;
		return -1;
	}
	return __real_fcntl(fd, cmd, arg);
}

int
__wrap_dup(int fd)
{
	if (hit("dup", -1)) {
		errno = EMFILE;
		return -1;
	}
	return __real_dup(fd);
}

DIR *
__wrap_fdopendir(int fd)
{
	if (hit("fdopendir", -1)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_fdopendir(fd);
}

struct dirent *
__wrap_readdir(DIR *d)
{
	if (hit("readdir", -1)) {
		errno = EIO;
		return NULL;
	}
	return __real_readdir(d);
}

/* The account database: alice (1001) only, and failable. */
int
__wrap_getpwnam_r(const char *name, struct passwd *pw, char *buf,
    size_t buflen, struct passwd **result)
{
	size_t n = strlen(name) + 1;

	*result = NULL;
	if (hit("getpwnam_r", -1))
		return EIO;
	if (strcmp(name, "alice") != 0)
		return 0;
	if (buflen < n + 2)
		return ERANGE;
	memcpy(buf, name, n);
	memcpy(buf + n, "x", 2);
	memset(pw, 0, sizeof(*pw));
	pw->pw_name = buf;
	pw->pw_passwd = buf + n;
	pw->pw_uid = 1001;
	pw->pw_gid = 1001;
	pw->pw_gecos = pw->pw_dir = pw->pw_shell = buf + n + 1;
	*result = pw;
	return 0;
}

int
__wrap_pam_get_item(const pam_handle_t *pamh, int item, const void **out)
{
	if (hit("pam_get_item", item))
		return PAM_SYSTEM_ERR;
	return __real_pam_get_item(pamh, item, out);
}

int
__wrap_pam_set_item(pam_handle_t *pamh, int item, const void *v)
{
	if (hit("pam_set_item", item))
		return PAM_BUF_ERR;
	return __real_pam_set_item(pamh, item, v);
}

int
__wrap_pam_prompt(pam_handle_t *pamh, int style, char **resp,
    const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (hit("pam_prompt", -1)) {
		if (resp != NULL)
			*resp = NULL;
		return PAM_CONV_ERR;
	}
	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return __real_pam_prompt(pamh, style, resp, "%s", buf);
}

/* lib/hog.c opens libhogweed when a key first needs it */
void *
__wrap_dlopen(const char *file, int mode)
{
	if (hit("dlopen", -1))
		return NULL; /* dlerror() then has nothing: the module says so */
	return __real_dlopen(file, mode);
}

int
__wrap_sodium_init(void)
{
	if (hit("sodium_init", -1))
		return -1;
	return __real_sodium_init();
}

void *
__wrap_sodium_malloc(size_t n)
{
	if (hit("sodium_malloc", -1)) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_sodium_malloc(n);
}

/* jansson allocates through this */
static void *
json_alloc(size_t n)
{
	if (hit("json_malloc", -1))
		return NULL;
	return __real_malloc(n);
}

/* Log lines stay out of the system log (kept for a failure report). */
static char last_log[512];

void
pam_syslog(const pam_handle_t *pamh, int prio, const char *fmt, ...)
{
	va_list ap;

	(void)pamh;
	(void)prio;
	va_start(ap, fmt);
	(void)vsnprintf(last_log, sizeof(last_log), fmt, ap);
	va_end(ap);
}

/* --- scenarios -------------------------------------------------------- */

struct scenario {
	char name[64];
	char *args[MAX_LINES];
	int nargs;
	char *answers[MAX_LINES];
	int nanswers, next;
	char user[64];
	int expect;    /* the result without faults */
	int prerun;    /* authenticate once, unfaulted, before (a replay) */
};

static char fixdir[512];

static int
read_lines(const char *path, char **v, int max)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int k = 0;

	if (f == NULL) {
		fprintf(stderr, "fault: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while (k < max && (n = getline(&line, &cap, f)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		v[k++] = __real_strdup(line);
	}
	free(line);
	fclose(f);
	return k;
}

static void
load_scenario(struct scenario *s, const char *name)
{
	char path[700], *u[1];

	memset(s, 0, sizeof(*s));
	(void)snprintf(s->name, sizeof(s->name), "%s", name);
	(void)snprintf(path, sizeof(path), "%s/%s/args", fixdir, name);
	s->nargs = read_lines(path, s->args, MAX_LINES);
	(void)snprintf(path, sizeof(path), "%s/%s/answers", fixdir, name);
	s->nanswers = read_lines(path, s->answers, MAX_LINES);
	(void)snprintf(path, sizeof(path), "%s/%s/user", fixdir, name);
	if (read_lines(path, u, 1) == 1) {
		(void)snprintf(s->user, sizeof(s->user), "%s", u[0]);
		free(u[0]);
	}
	s->expect = PAM_SUCCESS;
	(void)snprintf(path, sizeof(path), "%s/%s/expect", fixdir, name);
	if (access(path, F_OK) == 0 && read_lines(path, u, 1) == 1) {
		s->expect = strcmp(u[0], "PAM_AUTH_ERR") == 0 ? PAM_AUTH_ERR : -3;
		free(u[0]);
	}
	(void)snprintf(path, sizeof(path), "%s/%s/prerun", fixdir, name);
	s->prerun = access(path, F_OK) == 0;
}

/* the answers come from the scenario; the conversation's own allocations
 * never count as the module's calls, so they bypass the wraps */
static int
conv(int num, const struct pam_message **msg, struct pam_response **resp,
    void *data)
{
	struct scenario *s = data;
	struct pamconv c = {
		.answers = s->answers, .n = s->nanswers, .next = s->next,
		.calloc_fn = __real_calloc, .strdup_fn = __real_strdup,
	};
	int r;

	if (hit("conversation", -1))
		return PAM_CONV_ERR;
	r = pamconv_answer(num, msg, resp, &c);
	s->next = c.next;
	return r;
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

/* pam_authenticate runs the stack "auth required pam_shim.so" (see
 * tests/support/pam_shim.c), which calls this: pam_jwt runs inside libpam's dispatch
 * as in sshd (PAM_AUTHTOK settable), and we keep its exact result. */
static const char **cur_argv;
static int cur_argc, cur_result;

int shim_authenticate(pam_handle_t *pamh, int flags, int argc,
    const char **argv);

int
shim_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)flags;
	(void)argc;
	(void)argv;
	fault_on = fault_at >= 0;
	cur_result = pam_sm_authenticate(pamh, 0, cur_argc, cur_argv);
	fault_on = 0;
	return cur_result;
}

/* One authentication; returns the PAM result. */
static int
authenticate(struct scenario *s, const char *replay)
{
	const char *argv[MAX_LINES];
	char replay_arg[600];
	struct pam_conv pc = { conv, s };
	pam_handle_t *pamh = NULL;
	const void *item = NULL;
	char confdir[600];
	int i, r;

	(void)snprintf(confdir, sizeof(confdir), "%s/pam.d", fixdir);
	if (s->prerun) {
		/* the same token once before, with nothing failing and uncounted */
		long at = fault_at;
		int expect = s->expect;

		s->prerun = 0;
		s->expect = PAM_SUCCESS;
		fault_at = -1;
		r = authenticate(s, replay);
		s->prerun = 1;
		s->expect = expect;
		fault_at = at;
		fault_count = 0;
		if (r != PAM_SUCCESS) {
			fprintf(stderr, "fault: %s: the first use failed\n", s->name);
			return -1;
		}
	}
	(void)snprintf(replay_arg, sizeof(replay_arg), "replay_cache=%s", replay);
	for (i = 0; i < s->nargs; i++)
		argv[i] = strcmp(s->args[i], "replay_cache=@R") == 0 ? replay_arg :
		    s->args[i];
	s->next = 0;
	if (pam_start_confdir("fault", s->user[0] ? s->user : NULL, &pc, confdir,
	    &pamh) != PAM_SUCCESS) {
		fprintf(stderr, "fault: pam_start_confdir failed\n");
		exit(2);
	}
	cur_argv = argv;
	cur_argc = s->nargs;
	cur_result = -2;
	(void)pam_authenticate(pamh, 0);
	r = cur_result;
	/* a success names the account */
	if (r == PAM_SUCCESS && (__real_pam_get_item(pamh, PAM_USER, &item) !=
	    PAM_SUCCESS || item == NULL || strcmp(item, "alice") != 0 ||
	    s->expect != PAM_SUCCESS)) {
		fprintf(stderr, "fault: success without PAM_USER alice\n");
		r = -1;
	}
	(void)pam_end(pamh, r);
	return r;
}

/* Faults whose loss the module tolerates by design (see the top): the
 * reason (an index into tol_names), or 0. */
static const char *const tol_names[] = { "", "PAM_AUTHTOK not handed on",
	"(unused)", "replay prune/index/cursor", "continuation check",
	"early key load", "JWK Set cache", "PAM_RHOST for the log line",
	"key cache", "text cache" };
#define NTOL ((int)(sizeof(tol_names) / sizeof(tol_names[0])))

static int
tolerated(void)
{
	char fn[BT_MAX][128];
	int i;

	if (strcmp(fault_site, "pam_set_item") == 0 && fault_item == PAM_AUTHTOK)
		return 1;
	/* the client's address only decorates the log line (rhost=) */
	if (strcmp(fault_site, "pam_get_item") == 0 && fault_item == PAM_RHOST)
		return 7;
	for (i = 0; i < fault_bt_n; i++)
		__sanitizer_symbolize_pc(fault_bt[i], "%f", fn[i], sizeof(fn[i]));
	for (i = 0; i < fault_bt_n; i++) {
		/* the replay store's expiry index and pruning cursor: losing
		 * them only delays pruning (lib/replay.c says so) */
		if (strcmp(fn[i], "prune") == 0 || strcmp(fn[i], "prune_bucket") == 0 ||
		    strcmp(fn[i], "index_record") == 0 ||
		    strstr(fn[i], "_cursor") != NULL)
			return 3;
		/* the continuation check that fails (its header parse) judges
		 * the answer whole and keeps no header: pj_verify parses it */
		if (strcmp(fn[i], "pj_token_unfinished") == 0 ||
		    strcmp(fn[i], "pj_token_unfinished_peek") == 0)
			return 4;
		/* keeping a parsed JWK Set for later is best effort (jwk.c) */
		if (strcmp(fn[i], "jwks_cache_put") == 0)
			return 6;
		/* so is keeping the keys read from files (keycache.c): the
		 * set is then used unshared, its keys built as chosen */
		if (strcmp(fn[i], "pj_keycache_put") == 0 ||
		    strcmp(fn[i], "keyset_settle") == 0)
			return 8;
		/* and seeing the files unchanged without opening them
		 * (file.c): when that fails, every file is opened, checked
		 * and read as without a cache */
		if (strcmp(fn[i], "pj_file_peek") == 0)
			return 8;
		/* the text of the configuration file or the user map kept
		 * or looked up, or the file seen without opening it
		 * (textcache.c): when any of it fails the file is read */
		if (strcmp(fn[i], "pj_textcache_put") == 0 ||
		    strcmp(fn[i], "pj_textcache_get") == 0 ||
		    (strcmp(fn[i], "pj_textcache_read") == 0 &&
		    strcmp(fault_site, "lstat") == 0))
			return 9;
		/* the keys read before the prompt (for the continuation check)
		 * are read again by pj_verify when that failed */
		if (strcmp(fn[i], "pj_keyset_load") == 0 && i + 1 < fault_bt_n &&
		    (strcmp(fn[i + 1], "get_token") == 0 ||
		    strcmp(fn[i + 1], "pam_sm_authenticate") == 0))
			return 5;
	}
	return 0;
}

static void
print_stack(void)
{
	char buf[256];
	int i;

	for (i = 1; i < fault_bt_n && i < 14; i++) {
		__sanitizer_symbolize_pc(fault_bt[i], "%f %L", buf, sizeof(buf));
		fprintf(stderr, "        %s\n", buf);
	}
}

struct outcome {
	int pam;        /* PAM result, -1 inconsistent */
	int leak;
	int tolerated;  /* PAM_SUCCESS after a best-effort call failed */
	long count;
	char site[32];
	int item;
	char log[240];  /* the module's last log line */
	int lsan;       /* LeakSanitizer ran */
};

/* The leak detector's self-test: lose a block on purpose. */
static int selftest_leak;

static void __attribute__((noinline))
lose_block(void)
{
	char *volatile p = __real_malloc(77);

	if (p != NULL)
		p[0] = 1;
	p = NULL;
}

/* A child in flight: the scenario with call `at` failing. */
struct child {
	pid_t pid;
	int fd;
	long at;
};

static void
replay_dir(char *buf, size_t len, const struct scenario *s, long at)
{
	(void)snprintf(buf, len, "%s/%s/replay.%ld", fixdir, s->name, at);
}

static int
start_child(struct scenario *s, long at, struct child *ch)
{
	char replay[600];
	int fd[2];
	pid_t pid;

	replay_dir(replay, sizeof(replay), s, at);
	if (pipe(fd) != 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct outcome c;
		size_t heap0;
		int grew;

		close(fd[0]);
		memset(&c, 0, sizeof(c));
		heap0 = __sanitizer_get_current_allocated_bytes();
		fault_count = 0;
		fault_at = at;
		c.pam = authenticate(s, replay);
		c.count = fault_count;
		if (selftest_leak) {
			lose_block();
			(void)dup2(open("/dev/null", O_WRONLY), 2); /* expected report */
		}
		/* LeakSanitizer costs ~70 ms a child: it runs when the heap holds
		 * more than before the authentication (every leak does), or for
		 * every child with FAULT_THOROUGH set */
		grew = __sanitizer_get_current_allocated_bytes() > heap0;
		if (fault_site != NULL) {
			(void)snprintf(c.site, sizeof(c.site), "%s", fault_site);
			c.item = fault_item;
			if (c.pam == PAM_SUCCESS && s->expect == PAM_SUCCESS) {
				c.tolerated = tolerated();
				if (!c.tolerated) {
					fprintf(stderr, "    stack of the failed call:\n");
					print_stack();
				}
			}
		}
		(void)snprintf(c.log, sizeof(c.log), "%s", last_log);
		if (getenv("FAULT_THOROUGH") != NULL || grew) {
			c.lsan = 1;
			c.leak = __lsan_do_recoverable_leak_check() != 0;
		}
		if (write(fd[1], &c, sizeof(c)) != (ssize_t)sizeof(c))
			_exit(3);
		_exit(0);
	}
	close(fd[1]);
	ch->pid = pid;
	ch->fd = fd[0];
	ch->at = at;
	return 0;
}

static int
finish_child(struct scenario *s, struct child *ch, struct outcome *o,
    int *crashed)
{
	char replay[600];
	ssize_t n;
	int st;

	memset(o, 0, sizeof(*o));
	*crashed = 0;
	n = read(ch->fd, o, sizeof(*o));
	close(ch->fd);
	if (waitpid(ch->pid, &st, 0) != ch->pid)
		return -1;
	replay_dir(replay, sizeof(replay), s, ch->at);
	(void)nftw(replay, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	if (n != (ssize_t)sizeof(*o) || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		*crashed = 1;
	return 0;
}

static int
run_child(struct scenario *s, long at, struct outcome *o, int *crashed)
{
	struct child ch;

	if (start_child(s, at, &ch) != 0)
		return -1;
	return finish_child(s, &ch, o, crashed);
}

/* children run at once (FAULT_JOBS, default 2: CI has two cores) */
static int
jobs(void)
{
	const char *j = getenv("FAULT_JOBS");
	int n = j ? atoi(j) : 2;

	return n < 1 ? 1 : n > 16 ? 16 : n;
}

static int selftest_done;

static int
run_scenario(struct scenario *sp)
{
	struct scenario s = *sp;
	const char *name = s.name;
	struct outcome o;
	long n, i, next, hist[16], leaks = 0, crashes = 0, bad = 0, tol = 0;
	long lsan = 0, tolby[NTOL];
	struct child fly[16];
	int crashed, k, first, nj = jobs();
	static const int codes[] = { PAM_SUCCESS, PAM_IGNORE, PAM_AUTH_ERR,
		PAM_USER_UNKNOWN, PAM_AUTHINFO_UNAVAIL, PAM_SERVICE_ERR,
		PAM_CONV_ERR, PAM_BUF_ERR, PAM_SYSTEM_ERR };
	const int ncodes = (int)(sizeof(codes) / sizeof(codes[0]));

	memset(hist, 0, sizeof(hist));
	memset(tolby, 0, sizeof(tolby));
	/* 1. count, and the scenario must succeed without faults */
	if (run_child(&s, 0, &o, &crashed) != 0 || crashed ||
	    o.pam != s.expect || o.leak) {
		fprintf(stderr, "FAIL fault %s: without faults: %s%s%s (log: %s)\n",
		    name, crashed ? "crashed" : pam_code_name(o.pam),
		    o.leak ? ", leak" : "", "", o.log);
		return 1;
	}
	n = o.count;
	/* the leak detector finds a lost block (once per run of the harness) */
	if (!selftest_done) {
		selftest_done = 1;
		selftest_leak = 1;
		if (run_child(&s, 0, &o, &crashed) != 0 || crashed || !o.leak) {
			fprintf(stderr, "FAIL fault: the leak detector missed a lost "
			    "block\n");
			return 1;
		}
		selftest_leak = 0;
		printf("fault: leak detector self-test (a block lost on purpose is "
		    "found): ok\n");
	}
	/* 2. fail each call in turn, a few children at a time (oldest first) */
	for (i = 1, next = 1; i <= n; i++) {
		while (next <= n && next - i < nj) {
			if (start_child(&s, next, &fly[(next - 1) % nj]) != 0) {
				fprintf(stderr, "fault: fork failed: %s\n",
				    strerror(errno));
				return 1;
			}
			next++;
		}
		if (finish_child(&s, &fly[(i - 1) % nj], &o, &crashed) != 0) {
			fprintf(stderr, "fault: wait failed: %s\n", strerror(errno));
			return 1;
		}
		if (crashed) {
			crashes++;
			fprintf(stderr, "FAIL fault %s: call %ld/%ld (%s): crashed or "
			    "sanitizer report\n", name, i, n, o.site[0] ? o.site : "?");
			continue;
		}
		lsan += o.lsan;
		if (o.leak) {
			leaks++;
			fprintf(stderr, "FAIL fault %s: call %ld/%ld (%s): leak\n",
			    name, i, n, o.site);
		}
		if (o.pam == PAM_SUCCESS && o.tolerated > 0 && o.tolerated < NTOL) {
			tol++;
			tolby[o.tolerated]++;
		}
		else if (o.pam == PAM_SUCCESS || o.pam == -1) {
			bad++;
			fprintf(stderr, "FAIL fault %s: call %ld/%ld (%s, item %d): %s "
			    "(log: %s)\n", name, i, n, o.site, o.item,
			    o.pam == -1 ? "inconsistent success" :
			    "PAM_SUCCESS although it failed", o.log);
		}
		for (k = 0; k < ncodes; k++)
			if (codes[k] == o.pam)
				break;
		hist[k]++;
	}
	printf("fault %s (expect %s): %ld failable calls, %ld faults injected:",
	    name, pam_code_name(s.expect), n, n);
	for (k = 0; k <= ncodes; k++)
		if (hist[k] > 0)
			printf(" %s=%ld", k < ncodes ? pam_code_name(codes[k]) : "other",
			    hist[k]);
	printf(" (tolerated successes %ld", tol);
	for (k = 1, first = 1; k < NTOL; k++)
		if (tolby[k] > 0) {
			printf("%s %s %ld", first ? ":" : ",", tol_names[k], tolby[k]);
			first = 0;
		}
	printf("); LeakSanitizer runs %ld; crashes %ld, "
	    "leaks %ld, unsafe successes %ld: %s\n", lsan, crashes, leaks, bad,
	    crashes + leaks + bad ? "FAIL" : "ok");
	fflush(stdout);
	return crashes + leaks + bad ? 1 : 0;
}

/* global, so that LeakSanitizer sees them reachable in every child */
static struct scenario scen[16];

int
main(int argc, char **argv)
{
	void *warm[2];
	int i, fails = 0;

	json_set_alloc_funcs(json_alloc, free);
	(void)backtrace(warm, 2); /* load the unwinder now, not mid-fault */
	if (getenv("FAULT_NO_SYM") == NULL) {
		/* and the symbolizer's debug information, once for all children */
		char fn[64];

		__sanitizer_symbolize_pc((void *)(uintptr_t)pam_sm_authenticate, "%f",
		    fn, sizeof(fn));
		__sanitizer_symbolize_pc(warm[0], "%f", fn, sizeof(fn));
	}
	if (argc < 3) {
		fprintf(stderr, "usage: fault FIXDIR SCENARIO...\n");
		return 2;
	}
	(void)snprintf(fixdir, sizeof(fixdir), "%s", argv[1]);
	{
		/* keep the shim module loaded: libpam's dlopen/dlclose of it then
		 * leaves the loader's bookkeeping alone, and the heap of a child
		 * after an authentication is exactly what it was before */
		char path[700], *line[1], *p;

		(void)snprintf(path, sizeof(path), "%s/pam.d/fault", fixdir);
		if (read_lines(path, line, 1) != 1 ||
		    (p = strrchr(line[0], ' ')) == NULL ||
		    dlopen(p + 1, RTLD_NOW | RTLD_GLOBAL) == NULL) {
			fprintf(stderr, "fault: cannot load the shim module: %s\n",
			    dlerror());
			return 2;
		}
		free(line[0]);
	}
	/* warm up: the one-time initialisations happen here, as they have in
	 * sshd before any PAM module runs */
	if (argc - 2 > (int)(sizeof(scen) / sizeof(scen[0]))) {
		fprintf(stderr, "fault: too many scenarios\n");
		return 2;
	}
	for (i = 2; i < argc; i++) {
		char replay[600];

		load_scenario(&scen[i - 2], argv[i]);
		(void)snprintf(replay, sizeof(replay), "%s/%s/replay.warm", fixdir,
		    argv[i]);
		(void)authenticate(&scen[i - 2], replay);
		(void)nftw(replay, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	}
	/* every child reads its key files and parses its JWK Set (faults
	 * there), then keeps them; emptied first, while the keys it frees can
	 * still reach libhogweed */
	pj_jwks_cache_clear();
	pj_keycache_clear();
	pj_textcache_clear(); /* and reads its configuration file */
	/* the module's libhogweed table goes back to never-opened, so every
	 * child opens it (dlopen fails in turn, and a call that skips
	 * pj_hog_load would crash on the empty table) */
	memset(&pj_hog, 0, sizeof(pj_hog));
	__atomic_store_n(&pj_hog_ready, 0, __ATOMIC_RELEASE);
	for (i = 2; i < argc; i++)
		fails += run_scenario(&scen[i - 2]);
	return fails ? 1 : 0;
}
