/* verify.c - `pamjwt verify`: the module's own decision, explained
 *
 *   pamjwt verify [--config FILE] [--service NAME] [--user USER] [--dry-run]
 *       [--pamd | --pamd-file FILE] [key=value ...] [TOKEN | -]
 *
 * The options are built exactly as the module builds them: the words
 * key=value (and bare flags) are module arguments, --config FILE is the
 * config=FILE argument, --service NAME picks the [service NAME] section and
 * --user USER plays PAM_USER; --pamd takes the module arguments from the
 * service's pam_jwt.so line in /etc/pam.d (tools/pamd.c).  Then the token
 * (trimmed as the module trims it) goes through pj_verify at the current
 * time.
 *
 * Exit status: 0 accepted, 1 not accepted (any other PAM result), 2
 * configuration or usage error.
 */
#include "pamjwt.h"
#include "pamd.h"

#include "lib/bind.h"
#include "lib/claims.h"
#include "lib/err.h"
#include "lib/jws.h"
#include "lib/logval.h"
#include "lib/options.h"
#include "lib/redis.h"
#include "lib/verify.h"

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CMD "verify"
#define EXIT_ACCEPTED 0
#define EXIT_REJECTED 1
#define EXIT_CONFIG 2
/* stdin is read up to this much: anything over PJ_TOKEN_MAX is refused by
 * pj_verify as too long, like the module refuses it */
#define STDIN_MAX (PJ_TOKEN_MAX + 4096)
#define DRYRUN_NAME "pamjwt-dry-run.XXXXXX"
#define TMPDIR_MAX 1024

#define PAMD_DIR "/etc/pam.d"

enum { O_CONFIG = 1, O_SERVICE, O_USER, O_DRY_RUN, O_PAMD, O_PAMD_FILE, O_HELP };

static const struct pjt_opt opts[] = {
	{ "config", PJT_ARG, O_CONFIG },
	{ "service", PJT_ARG, O_SERVICE },
	{ "user", PJT_ARG, O_USER },
	{ "dry-run", PJT_NOARG, O_DRY_RUN },
	{ "pamd", PJT_NOARG, O_PAMD },
	{ "pamd-file", PJT_ARG, O_PAMD_FILE },
	{ "help", PJT_NOARG, O_HELP },
	{ NULL, PJT_NOARG, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pamjwt verify [--config FILE] [--service NAME] [--user USER]\n"
	    "                     [--dry-run] [--pamd | --pamd-file FILE]\n"
	    "                     [key=value ...] [TOKEN | -]\n"
	    "\n"
	    "Run exactly pam_jwt's validation and print the verdict, the PAM result,\n"
	    "the reason, the mapped user and the verified claims.\n"
	    "\n"
	    "  --config FILE   read FILE instead of %s\n"
	    "                  (the module argument config=FILE)\n"
	    "  --service NAME  the PAM service: applies its [service NAME] section\n"
	    "  --user USER     the user PAM already knows (sshd, sudo, su set it);\n"
	    "                  without it the token's user is taken\n"
	    "  --pamd          take the module arguments from the first auth line of\n"
	    "                  pam_jwt.so in " PAMD_DIR "/NAME (--service NAME), following\n"
	    "                  @include, include and substack, and print that line\n"
	    "  --pamd-file FILE  the same from FILE\n"
	    "  --dry-run       with single_use, do not record the token's jti (it\n"
	    "                  stays usable; whether it was used before is not checked;\n"
	    "                  a scratch store is made in $TMPDIR or /tmp)\n"
	    "  key=value, flag module arguments, exactly as in a pam.d line\n"
	    "  TOKEN           the token; '-' or nothing reads it from standard input\n"
	    "                  (safer: a command line is visible to other users).\n"
	    "                  A word of lower-case letters and '_' (with =VALUE or\n"
	    "                  not) is a module argument; put -- before a token that\n"
	    "                  looks like one.\n"
	    "\n"
	    "Note: with single_use (and without --dry-run) a token that passes is\n"
	    "recorded, exactly as a login would record it, and cannot be used again.\n"
	    "\n"
	    "Exit status: 0 accepted, 1 not accepted (rejected, ignored, unknown\n"
	    "user, key unavailable), 2 configuration or usage error.\n",
	    PJ_DEFAULT_CONFIG);
}

/* A module argument: [a-z_]+ optionally followed by =VALUE. */
static int
is_module_arg(const char *w)
{
	const char *p = w;

	while ((*p >= 'a' && *p <= 'z') || *p == '_')
		p++;
	return p != w && (*p == '\0' || *p == '=');
}

/* The whole of stdin (on a terminal: one line), at most STDIN_MAX bytes. */
static int
read_stdin(char **out, size_t *outlen)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	int tty = isatty(STDIN_FILENO), r = -1;

	*out = NULL;
	*outlen = 0;
	buf = malloc(STDIN_MAX + 1);
	if (buf == NULL)
		return -1;
	if (tty)
		fprintf(stderr, "Token: ");
	while (len < STDIN_MAX) {
		n = read(STDIN_FILENO, buf + len, STDIN_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		len += (size_t)n;
		if (tty && memchr(buf, '\n', len) != NULL)
			break;
	}
	buf[len] = '\0';
	*out = buf; /* transferred */
	*outlen = len;
	buf = NULL;
	r = 0;
out:
	if (buf != NULL) {
		sodium_memzero(buf, STDIN_MAX + 1);
		free(buf);
	}
	return r;
}

static const char *
verdict(int err)
{
	switch (pj_err_class(err)) {
	case PJ_CLASS_OK: return "ACCEPTED";
	case PJ_CLASS_IGNORE: return "IGNORED (not a token)";
	case PJ_CLASS_REJECT: return "REJECTED";
	case PJ_CLASS_USER_UNKNOWN: return "UNKNOWN USER";
	case PJ_CLASS_UNAVAIL:
		return err == PJ_E_STORE ? "REPLAY STORE UNAVAILABLE" :
		    "KEY UNAVAILABLE";
	case PJ_CLASS_CONFIG: return "CONFIG ERROR";
	case PJ_CLASS_NOMEM:
	case PJ_CLASS_INTERNAL: break;
	}
	return "ERROR";
}

static void
print_reason(int err, const char *detail)
{
	char safe[PJ_REASON_MAX];

	pj_sanitize(safe, sizeof(safe), detail);
	printf("verdict: %s\n", verdict(err));
	printf("pam:     %s\n", pj_class_pam_name(pj_err_class(err)));
	if (safe[0] != '\0' && err != PJ_OK)
		printf("reason:  %s: %s\n", pj_strerror(err), safe);
	else
		printf("reason:  %s\n", pj_strerror(err));
}

/* "2024-01-02 03:04:05 UTC (in 5 s)" for a NumericDate. */
static void
print_time(const char *name, json_t *v, long long now)
{
	struct tm tm;
	time_t t;
	long long secs, d;
	char date[64];

	if (pj_claims_numeric(v, &secs) != 0)
		return;
	t = (time_t)secs;
	if ((long long)t != secs || gmtime_r(&t, &tm) == NULL ||
	    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0) {
		printf("  %-9s %lld (not a representable date)\n", name, secs);
		return;
	}
	if (__builtin_sub_overflow(secs, now, &d))
		d = secs > now ? 1 : -1;
	if (d > 0)
		printf("  %-9s %lld  %s (in %lld s)\n", name, secs, date, d);
	else if (d < 0)
		printf("  %-9s %lld  %s (%llu s ago)\n", name, secs, date,
		    0ULL - (unsigned long long)d);
	else
		printf("  %-9s %lld  %s (now)\n", name, secs, date);
}

static void
print_result(const struct pj_result *res, long long now)
{
	static const char *const times[] = { "iat", "nbf", "exp", "auth_time" };
	char *text;
	size_t i;
	int header = 0;
	json_t *v;

	print_reason(res->err, res->reason);
	printf("user:    %s\n", res->user != NULL ? res->user : "-");
	if (res->alg[0] != '\0')
		printf("alg:     %s\n", res->alg);
	if (res->kid[0] != '\0')
		printf("kid:     %s\n", res->kid);
	if (res->claims == NULL) {
		if (res->alg[0] != '\0')
			printf("claims:  not shown (the signature was not verified)\n");
		return;
	}
	/* escaped to ASCII: claims must not drive the terminal */
	text = json_dumps(res->claims, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	if (text != NULL) {
		printf("claims (signature verified):\n%s\n", text);
		free(text);
	}
	for (i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		v = json_object_get(res->claims, times[i]);
		if (v == NULL || !json_is_number(v))
			continue;
		if (!header)
			printf("times:\n");
		header = 1;
		print_time(times[i], v, now);
	}
}

/* A new empty directory under $TMPDIR (an absolute path) or /tmp: *dir, and
 * *store = *dir + "/replay" for the replay code to create. */
static int
scratch_store(char **dir, char **store)
{
	const char *tmp = getenv("TMPDIR");
	size_t tl, dl;
	int r = -1;

	*dir = NULL;
	*store = NULL;
	if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > TMPDIR_MAX)
		tmp = "/tmp";
	tl = strlen(tmp);
	dl = tl + 1 + sizeof(DRYRUN_NAME);
	*dir = malloc(dl);
	*store = malloc(dl + sizeof("/replay"));
	if (*dir == NULL || *store == NULL)
		goto out;
	(void)snprintf(*dir, dl, "%s/%s", tmp, DRYRUN_NAME);
	if (mkdtemp(*dir) == NULL)
		goto out;
	(void)snprintf(*store, dl + sizeof("/replay"), "%s/replay", *dir);
	r = 0;
out:
	if (r != 0) {
		free(*dir);
		free(*store);
		*dir = NULL;
		*store = NULL;
	}
	return r;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	/* best effort: a scratch store of our own */
	(void)(flag == FTW_DP ? rmdir(path) : unlink(path));
	return 0;
}

/* What the command line asked for. */
struct vargs {
	const char **margs;        /* module arguments (words, config=, pam.d) */
	int nargs;
	const char *service, *user, *config_s, *pamd_file;
	const char *tok_word;      /* the token as a word, or NULL */
	int tok_index;             /* its argv index, to wipe it there */
	int from_stdin, dry_run, use_pamd;
	char *config_arg;          /* "config=" + absolute --config */
	char *pamd_path;
	struct pjt_pamd pamd;
};

static void
vargs_free(struct vargs *v)
{
	free(v->margs);
	free(v->config_arg);
	free(v->pamd_path);
	pjt_pamd_clear(&v->pamd);
}

/* The command line into v.  0, 1 after --help, -1 after a message. */
static int
parse_args(int argc, char **argv, struct vargs *v)
{
	struct pjt_args a;
	const char *val, **slot;
	int id;

	/* the words, config=, and the arguments of a pam.d line */
	v->margs = calloc((size_t)argc + 2 + PJT_PAMD_ARGS_MAX,
	    sizeof(*v->margs));
	if (v->margs == NULL) {
		pjt_err(CMD, "out of memory");
		return -1;
	}
	pjt_args_init(&a, argc, argv, CMD);
	while ((id = pjt_next(&a, opts, &val)) != PJT_END) {
		switch (id) {
		case PJT_ERROR:
			return -1;
		case O_HELP:
			usage(stdout);
			return 1;
		case O_CONFIG:
		case O_SERVICE:
		case O_USER:
			slot = id == O_CONFIG ? &v->config_s :
			    id == O_SERVICE ? &v->service : &v->user;
			if (*slot != NULL) {
				pjt_err(CMD, "option --%s given twice", opts[id - 1].name);
				return -1;
			}
			if (val[0] == '\0') {
				pjt_err(CMD, "option --%s needs a non-empty value",
				    opts[id - 1].name);
				return -1;
			}
			*slot = val;
			break;
		case O_DRY_RUN:
			v->dry_run = 1;
			break;
		case O_PAMD:
		case O_PAMD_FILE:
			if (v->use_pamd) {
				pjt_err(CMD, "--pamd or --pamd-file given twice");
				return -1;
			}
			v->use_pamd = 1;
			v->pamd_file = id == O_PAMD_FILE ? val : NULL;
			break;
		case PJT_OPERAND:
			if (!a.operands_only && strcmp(val, "-") != 0 &&
			    is_module_arg(val)) {
				v->margs[v->nargs++] = val;
				break;
			}
			if (v->tok_word != NULL || v->from_stdin) {
				pjt_err(CMD, "more than one token given (module arguments "
				    "are key=value words; see pamjwt verify --help)");
				return -1;
			}
			if (strcmp(val, "-") == 0) {
				v->from_stdin = 1;
			} else {
				v->tok_word = val;
				v->tok_index = a.i - 1;
			}
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/* --pamd: the module arguments of the service's pam_jwt.so line. */
static int
pamd_args(struct vargs *v)
{
	char err[512] = "";
	int i;

	if (v->nargs > 0 || v->config_s != NULL) {
		pjt_err(CMD, "--pamd takes the module arguments (config= too) "
		    "from the pam.d line: give no key=value words and no "
		    "--config");
		return -1;
	}
	if (v->pamd_file == NULL && v->service == NULL) {
		pjt_err(CMD, "--pamd needs --service NAME (it reads %s/NAME)",
		    PAMD_DIR);
		return -1;
	}
	if (v->pamd_file == NULL && (strchr(v->service, '/') != NULL ||
	    strcmp(v->service, ".") == 0 || strcmp(v->service, "..") == 0)) {
		pjt_err(CMD, "--service %.64s is not a PAM service name",
		    v->service);
		return -1;
	}
	if (v->pamd_file == NULL && asprintf(&v->pamd_path, "%s/%s", PAMD_DIR,
	    v->service) < 0) {
		v->pamd_path = NULL;
		pjt_err(CMD, "out of memory");
		return -1;
	}
	if (pjt_pamd_find(v->pamd_file ? v->pamd_file : v->pamd_path, &v->pamd,
	    err, sizeof(err)) != 0) {
		pjt_err(CMD, "%s", err);
		return -1;
	}
	for (i = 0; i < v->pamd.argc; i++)
		v->margs[v->nargs++] = v->pamd.argv[i];
	printf("pam.d:   %s:%u: %s\n", v->pamd.file, v->pamd.line, v->pamd.text);
	if (v->pamd.more > 0)
		printf("note:    %u more auth line%s of pam_jwt.so in the "
		    "stack: only the first is used here\n", v->pamd.more,
		    v->pamd.more == 1 ? "" : "s");
	return 0;
}

/* --config FILE: the argument config=ABSOLUTE-FILE. */
static int
config_arg(struct vargs *v)
{
	char *cfg;
	size_t cl;

	if (v->config_s == NULL)
		return 0;
	cfg = pjt_abs_path(v->config_s);
	if (cfg == NULL) {
		pjt_err(CMD, "--config %.64s: %s", v->config_s, strerror(errno));
		return -1;
	}
	cl = strlen(cfg);
	v->config_arg = malloc(cl + sizeof("config="));
	if (v->config_arg == NULL) {
		free(cfg);
		pjt_err(CMD, "out of memory");
		return -1;
	}
	memcpy(v->config_arg, "config=", 7);
	memcpy(v->config_arg + 7, cfg, cl + 1);
	free(cfg);
	v->margs[v->nargs++] = v->config_arg;
	return 0;
}

/* The token: the word (copied, and wiped from the command line at once),
 * or standard input.  0, or -1 after a message. */
static int
get_token(int argc, char **argv, const struct vargs *v, char **tok,
    size_t *tlen)
{
	*tok = NULL;
	*tlen = 0;
	if (v->tok_word != NULL) {
		*tlen = strlen(v->tok_word);
		*tok = strdup(v->tok_word);
		if (*tok == NULL) {
			pjt_err(CMD, "out of memory");
			return -1;
		}
		if (v->tok_index > 0 && v->tok_index < argc &&
		    argv[v->tok_index] == v->tok_word)
			sodium_memzero(argv[v->tok_index], *tlen);
		return 0;
	}
	if (read_stdin(tok, tlen) != 0) {
		pjt_err(CMD, "cannot read the token from standard input: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

static int
exit_status(int err)
{
	switch (pj_err_class(err)) {
	case PJ_CLASS_OK: return EXIT_ACCEPTED;
	case PJ_CLASS_CONFIG: return EXIT_CONFIG;
	default: return EXIT_REJECTED;
	}
}

int
cmd_verify(int argc, char **argv)
{
	struct vargs v;
	struct pj_options o;
	struct pj_result res;
	const char *t;
	char reason[PJ_REASON_MAX] = "", *tok = NULL, *store = NULL,
	    *dry = NULL;
	size_t tl, tlen = 0, i;
	int r, dry_redis = 0, rc = EXIT_CONFIG;
	long long now;

	memset(&v, 0, sizeof(v));
	v.tok_index = -1;
	memset(&res, 0, sizeof(res));
	pj_options_init(&o);
	if ((r = parse_args(argc, argv, &v)) != 0) {
		rc = r > 0 ? EXIT_ACCEPTED : v.margs == NULL ? EXIT_REJECTED :
		    EXIT_CONFIG;
		goto out;
	}
	if ((v.use_pamd && pamd_args(&v) != 0) || config_arg(&v) != 0)
		goto out;
	/* 1. the options, exactly as pam_sm_authenticate builds them */
	r = pj_options_load(&o, v.nargs, v.margs, v.service, reason,
	    sizeof(reason));
	if (r != PJ_OK) {
		print_reason(r == PJ_E_NOMEM ? PJ_E_NOMEM : PJ_E_CONFIG,
		    reason[0] ? reason : pj_strerror(r));
		if (r == PJ_E_NOMEM)
			rc = EXIT_REJECTED;
		goto out;
	}
	if (get_token(argc, argv, &v, &tok, &tlen) != 0) {
		rc = EXIT_REJECTED;
		goto out;
	}
	if (v.dry_run && o.single_use && pj_redis_is_url(o.replay_cache)) {
		/* the shared Redis store: its revocations are still read,
		 * nothing is written to it */
		o.single_use = 0;
		dry_redis = 1;
		for (i = 0; i < o.nbind; i++)
			o.bind[i].o->single_use = 0;
	} else if (v.dry_run && o.single_use) {
		/* the whole replay step, against an empty store of our own */
		if (scratch_store(&dry, &store) != 0) {
			pjt_err(CMD, "--dry-run: cannot make a scratch replay store: %s",
			    strerror(errno));
			rc = EXIT_REJECTED;
			goto out;
		}
		/* each [issuer] section's options too (lib/bind.h) */
		for (i = 0; i < o.nbind; i++) {
			char *copy = strdup(store);

			if (copy == NULL) {
				pjt_err(CMD, "out of memory");
				rc = EXIT_REJECTED;
				goto out;
			}
			free(o.bind[i].o->replay_cache);
			o.bind[i].o->replay_cache = copy;
		}
		free(o.replay_cache);
		o.replay_cache = store; /* transferred */
		store = NULL;
	}
	/* 2. the decision, on the token trimmed as the module trims it */
	t = tok;
	tl = tlen;
	pj_trim(&t, &tl);
	now = (long long)time(NULL);
	(void)pj_verify(&o, NULL, t, tl, v.user, now, &res);
	print_result(&res, now);
	if (o.nbind > 0) {
		const struct pj_options *chosen = NULL;
		char shown[PJ_LOGVAL_SIZE(128)];

		/* which [issuer] section decided (chosen by the unverified iss) */
		if (pj_bind_choose(&o, t, tl, &chosen, NULL, 0) == PJ_OK &&
		    chosen != NULL && chosen->bind_issuer != NULL)
			printf("section: [issuer %s]\n", pj_logshow(shown,
			    sizeof(shown), chosen->bind_issuer, 128));
		else
			printf("section: none of the [issuer] sections\n");
	}
	if (v.dry_run && (o.single_use || dry_redis))
		printf("note:    --dry-run: the jti was not recorded, and whether it "
		    "was used before was not checked\n");
	rc = exit_status(res.err);
	if (fflush(stdout) != 0) {
		pjt_err(CMD, "cannot write to standard output");
		rc = rc == EXIT_ACCEPTED ? EXIT_REJECTED : rc;
	}
out:
	if (dry != NULL)
		(void)nftw(dry, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(dry);
	pj_result_clear(&res);
	pj_options_free(&o);
	if (tok != NULL) {
		sodium_memzero(tok, tlen);
		free(tok);
	}
	free(store);
	vargs_free(&v);
	sodium_memzero(reason, sizeof(reason));
	return rc;
}
