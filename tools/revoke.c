/* revoke.c - `pamjwt revoke` and `pamjwt unrevoke`: the revocation file
 * (pam_jwt.conf(5), Revocation) and the revocation keys of a shared Redis
 * store
 *
 *   pamjwt revoke   (--file FILE | --redis URL [--auth-file F] [--prefix P]
 *                   [--timeout MS])... WHAT [--exp EXP] [--max-ttl S]
 *                   [--until TIME]
 *   pamjwt unrevoke (--file FILE | --redis URL ...) WHAT
 *   WHAT: --iss ISS --jti JTI | --iss ISS --sub SUB [--before TIME] | --kid KID
 *
 * The file is rewritten whole under a lock (FILE.lock, flock): read, drop
 * the entries that cannot matter any more, add or remove the entry, write a
 * temporary file in the same directory with the old file's owner, group and
 * mode, fsync, rename over FILE, fsync the directory.  Two revokes at once
 * thus both land; a reader sees the old or the new file, never a part.
 *
 * Exit status: 0 done, 1 failed (file or Redis unusable; FILE unchanged),
 * 2 usage error.
 */
#include "pamjwt.h"

#include "lib/err.h"
#include "lib/file.h"
#include "lib/options.h"
#include "lib/redis.h"
#include "lib/revoke.h"
#include "lib/text.h"
#include "lib/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXIT_DONE 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define HEADER "# pam_jwt revocation list (pam_jwt.conf(5), Revocation): " \
    "written by pamjwt revoke\n"

enum {
	O_FILE = 1, O_REDIS, O_AUTH_FILE, O_PREFIX, O_TIMEOUT, O_ISS, O_JTI,
	O_SUB, O_KID, O_BEFORE, O_EXP, O_MAX_TTL, O_UNTIL, O_INSECURE, O_HELP,
};

static const struct pjt_opt opts[] = {
	{ "file", PJT_ARG, O_FILE },
	{ "redis", PJT_ARG, O_REDIS },
	{ "auth-file", PJT_ARG, O_AUTH_FILE },
	{ "prefix", PJT_ARG, O_PREFIX },
	{ "timeout", PJT_ARG, O_TIMEOUT },
	{ "iss", PJT_ARG, O_ISS },
	{ "jti", PJT_ARG, O_JTI },
	{ "sub", PJT_ARG, O_SUB },
	{ "kid", PJT_ARG, O_KID },
	{ "before", PJT_ARG, O_BEFORE },
	{ "exp", PJT_ARG, O_EXP },
	{ "max-ttl", PJT_ARG, O_MAX_TTL },
	{ "until", PJT_ARG, O_UNTIL },
	{ "insecure-network", PJT_NOARG, O_INSECURE },
	{ "help", PJT_NOARG, O_HELP },
	{ NULL, PJT_NOARG, 0 },
};

struct req {
	const char *cmd;
	int undo;                 /* unrevoke */
	const char *file, *redis, *auth_file, *prefix;
	char *file_abs;            /* file made absolute, ours to free */
	long long timeout_ms;
	const char *iss, *jti, *sub, *kid;
	long long before, exp, max_ttl, until;
	int has_before, has_exp, has_until, has_max_ttl;
	int insecure;              /* --insecure-network */
	struct pj_revoke_entry e;  /* what is (un)revoked */
	long long now;
};

static void
usage(FILE *f, const char *cmd)
{
	fprintf(f,
	    "usage: pamjwt %s (--file FILE | --redis URL [--auth-file FILE]\n"
	    "                [--prefix P] [--timeout MS] [--insecure-network]) ...\n"
	    "              (--iss ISS --jti JTI | --iss ISS --sub SUB%s | --kid KID)\n"
	    "%s"
	    "\n"
	    "%s\n"
	    "  --file FILE     the revocation file (revoked_file = FILE)\n"
	    "  --redis URL     the shared store (replay_cache = URL): reaches every\n"
	    "                  host using it at once; --file and --redis may be\n"
	    "                  given together\n"
	    "  --auth-file F   Redis credentials: one line, PASSWORD or USER PASSWORD\n"
	    "  --prefix P      Redis key prefix (redis_prefix; default %s)\n"
	    "  --timeout MS    Redis time-out (default %d)\n"
	    "  --insecure-network  allow a Redis address that is not loopback\n"
	    "                  (redis_insecure_network): Redis is spoken in clear\n"
	    "  --iss ISS --jti JTI   one token\n"
	    "  --iss ISS --sub SUB   every token of SUB%s\n"
	    "  --kid KID       every token whose header names key KID\n"
	    "%s"
	    "\n"
	    "Exit status: 0 done, 1 failed (nothing changed), 2 usage error.\n",
	    cmd, strcmp(cmd, "revoke") == 0 ? " [--before TIME]" : "",
	    strcmp(cmd, "revoke") == 0 ?
	    "              [--exp EXP] [--max-ttl SECONDS] [--until TIME]\n" : "",
	    strcmp(cmd, "revoke") == 0 ?
	    "Revoke tokens before they expire: pam_jwt then refuses them." :
	    "Take a revocation back.",
	    PJ_REDIS_DEFAULT_PREFIX, PJ_REDIS_DEFAULT_TIMEOUT_MS,
	    strcmp(cmd, "revoke") == 0 ? " issued before TIME (seconds since\n"
	    "                  the epoch; default now), and those without iat" : "",
	    strcmp(cmd, "revoke") == 0 ?
	    "  --exp EXP       the token's exp: the jti entry is kept until EXP plus\n"
	    "                  the largest leeway (86400 s), then dropped\n"
	    "  --max-ttl S     you assert every host sets max_ttl <= S: without\n"
	    "                  --exp a jti entry is kept S (plus 86400) seconds\n"
	    "                  from now, a sub entry S (plus 86400) seconds from TIME\n"
	    "  --until TIME    keep the entry until TIME instead (0: forever)\n"
	    "                  Without --exp, --max-ttl or --until an entry is kept\n"
	    "                  forever.\n" : "");
}

/* The module's rule for replay_cache (pam_jwt.conf(5), Fleet): hiredis
 * speaks no TLS, so Redis is reached on a numeric loopback address or a
 * Unix socket, another address only when asked (--insecure-network, as
 * redis_insecure_network), and never by a name.  Checked before anything
 * is changed, --file included. */
static int
redis_where(const struct req *q)
{
	struct pj_redis_url u;
	char reason[PJ_REASON_MAX] = "";

	if (!pj_redis_is_url(q->redis)) {
		pjt_err(q->cmd, "--redis '%.128s' is not redis://HOST:PORT[/DB] or "
		    "redis+unix:///PATH[?db=DB]", q->redis);
		return -1;
	}
	if (pj_redis_parse_url(q->redis, &u, reason, sizeof(reason)) != PJ_OK) {
		pjt_err(q->cmd, "--redis: %s", reason);
		return -1;
	}
	if (pj_redis_where_ok(&u, q->insecure, "--redis",
	    "give --insecure-network", reason, sizeof(reason)) != PJ_OK) {
		pjt_err(q->cmd, "%s", reason);
		return -1;
	}
	return 0;
}

static int
num_arg(const char *cmd, const char *name, const char *v, long long min,
    long long max, long long *out)
{
	if (pj_parse_ll(v, min, max, out) != 0) {
		pjt_err(cmd, "--%s '%.32s' is not a whole number from %lld to %lld",
		    name, v, min, max);
		return -1;
	}
	return 0;
}

static int
once(const char *cmd, const char **slot, const char *name, const char *v)
{
	if (*slot != NULL) {
		pjt_err(cmd, "option --%s given twice", name);
		return -1;
	}
	if (v[0] == '\0' || pj_has_ctl(v)) {
		pjt_err(cmd, "--%s: empty, or a control character", name);
		return -1;
	}
	*slot = v;
	return 0;
}

/* 0, 1 (help printed) or -1 (usage error reported). */
static int
parse(struct req *q, int argc, char **argv)
{
	struct pjt_args a;
	const char *v;
	int id, kinds;

	pjt_args_init(&a, argc, argv, q->cmd);
	q->timeout_ms = PJ_REDIS_DEFAULT_TIMEOUT_MS;
	while ((id = pjt_next(&a, opts, &v)) != PJT_END) {
		switch (id) {
		case PJT_ERROR:
			return -1;
		case PJT_OPERAND:
			pjt_err(q->cmd, "unexpected word '%.64s'", v);
			return -1;
		case O_HELP:
			usage(stdout, q->cmd);
			return 1;
		case O_INSECURE:
			if (q->insecure) {
				pjt_err(q->cmd, "option --insecure-network given "
				    "twice");
				return -1;
			}
			q->insecure = 1;
			break;
		case O_FILE:
			if (once(q->cmd, &q->file, "file", v) != 0)
				return -1;
			break;
		case O_REDIS:
			if (once(q->cmd, &q->redis, "redis", v) != 0)
				return -1;
			break;
		case O_AUTH_FILE:
			if (once(q->cmd, &q->auth_file, "auth-file", v) != 0)
				return -1;
			break;
		case O_PREFIX:
			if (once(q->cmd, &q->prefix, "prefix", v) != 0)
				return -1;
			break;
		case O_TIMEOUT:
			if (num_arg(q->cmd, "timeout", v, 1, PJ_REDIS_TIMEOUT_MAX_MS,
			    &q->timeout_ms) != 0)
				return -1;
			break;
		case O_ISS:
			if (once(q->cmd, &q->iss, "iss", v) != 0)
				return -1;
			break;
		case O_JTI:
			if (once(q->cmd, &q->jti, "jti", v) != 0)
				return -1;
			break;
		case O_SUB:
			if (once(q->cmd, &q->sub, "sub", v) != 0)
				return -1;
			break;
		case O_KID:
			if (once(q->cmd, &q->kid, "kid", v) != 0)
				return -1;
			break;
		case O_BEFORE:
			if (q->undo || num_arg(q->cmd, "before", v, 0, LLONG_MAX / 4,
			    &q->before) != 0)
				goto only_revoke;
			q->has_before = 1;
			break;
		case O_EXP:
			if (q->undo || num_arg(q->cmd, "exp", v, 0, LLONG_MAX / 4,
			    &q->exp) != 0)
				goto only_revoke;
			q->has_exp = 1;
			break;
		case O_MAX_TTL:
			if (q->undo || num_arg(q->cmd, "max-ttl", v, 1, LLONG_MAX / 4,
			    &q->max_ttl) != 0)
				goto only_revoke;
			q->has_max_ttl = 1;
			break;
		case O_UNTIL:
			if (q->undo || num_arg(q->cmd, "until", v, 0, LLONG_MAX / 4,
			    &q->until) != 0)
				goto only_revoke;
			q->has_until = 1;
			break;
		}
	}
	if (q->file == NULL && q->redis == NULL) {
		pjt_err(q->cmd, "give --file FILE or --redis URL (or both)");
		return -1;
	}
	if (q->redis == NULL && (q->auth_file || q->prefix)) {
		pjt_err(q->cmd, "--auth-file and --prefix go with --redis");
		return -1;
	}
	if (q->redis == NULL && q->insecure) {
		pjt_err(q->cmd, "--insecure-network goes with --redis");
		return -1;
	}
	if (q->redis != NULL && redis_where(q) != 0)
		return -1;
	if (q->prefix != NULL && (strlen(q->prefix) > PJ_REDIS_PREFIX_MAX ||
	    strchr(q->prefix, ' ') != NULL)) {
		pjt_err(q->cmd, "--prefix: at most %d bytes, no spaces",
		    PJ_REDIS_PREFIX_MAX);
		return -1;
	}
	if (q->file != NULL && q->file[0] != '/') {
		char *abs = pjt_abs_path(q->file);

		if (abs == NULL) {
			pjt_err(q->cmd, "--file %s: %s", q->file, strerror(errno));
			return -1;
		}
		q->file = q->file_abs = abs; /* transferred */
	}
	kinds = (q->jti != NULL) + (q->sub != NULL) + (q->kid != NULL);
	if (kinds != 1 || (q->kid != NULL && q->iss != NULL) ||
	    (q->kid == NULL && q->iss == NULL)) {
		pjt_err(q->cmd, "say what: --iss ISS --jti JTI, --iss ISS --sub SUB, "
		    "or --kid KID");
		return -1;
	}
	if ((q->has_before && q->sub == NULL) || (q->has_exp && q->jti == NULL)) {
		pjt_err(q->cmd, "--before goes with --sub, --exp with --jti");
		return -1;
	}
	return 0;
only_revoke:
	if (q->undo)
		pjt_err(q->cmd, "--before, --exp, --max-ttl and --until are options "
		    "of pamjwt revoke");
	return -1;
}

/* The entry: what, and until when it matters. */
static void
build_entry(struct req *q)
{
	struct pj_revoke_entry *e = &q->e;

	memset(e, 0, sizeof(*e));
	if (q->jti != NULL) {
		e->type = PJ_REVOKE_JTI;
		e->a = q->iss;
		e->b = q->jti;
		/* kept forever unless told how long its token can live:
		 * nothing else bounds a token's lifetime (issue 18 F2) */
		if (q->has_exp)
			e->until = q->exp + PJ_LEEWAY_MAX;
		else if (q->has_max_ttl)
			e->until = q->now + q->max_ttl + PJ_LEEWAY_MAX;
		else
			e->until = 0;
	} else if (q->sub != NULL) {
		e->type = PJ_REVOKE_SUB;
		e->a = q->iss;
		e->b = q->sub;
		e->before = q->has_before ? q->before : q->now;
		e->until = q->has_max_ttl ? e->before + q->max_ttl +
		    PJ_LEEWAY_MAX : 0;
	} else {
		e->type = PJ_REVOKE_KID;
		e->a = q->kid;
		e->until = 0;
	}
	e->alen = strlen(e->a);
	e->blen = e->b ? strlen(e->b) : 0;
	if (q->has_until)
		e->until = q->until;
}

static int
same_target(const struct pj_revoke_entry *x, const struct pj_revoke_entry *y)
{
	return x->type == y->type && x->alen == y->alen &&
	    memcmp(x->a, y->a, x->alen) == 0 && x->blen == y->blen &&
	    (x->blen == 0 || memcmp(x->b, y->b, x->blen) == 0);
}

struct rewrite {
	struct req *q;
	char *out;
	size_t len, cap;
	int found;            /* an entry for the same target was there */
	unsigned int kept, dropped;
};

static int
append(struct rewrite *w, const char *s, size_t n)
{
	char *p;
	size_t cap;

	if (w->len + n + 1 > w->cap) {
		cap = (w->len + n + 1) * 2;
		p = realloc(w->out, cap);
		if (p == NULL)
			return PJ_E_NOMEM;
		w->out = p;
		w->cap = cap;
	}
	memcpy(w->out + w->len, s, n);
	w->len += n;
	w->out[w->len] = '\0';
	return PJ_OK;
}

static int
append_entry(struct rewrite *w, const struct pj_revoke_entry *e)
{
	char *line = NULL;
	int r;

	if ((r = pj_revoke_format(e, &line)) != PJ_OK)
		return r;
	r = append(w, line, strlen(line));
	free(line);
	return r;
}

static int
keep_one(void *vctx, const struct pj_revoke_entry *e)
{
	struct rewrite *w = vctx;
	struct pj_revoke_entry *n = &w->q->e;

	if (same_target(e, n)) {
		/* revoke: merged into the new entry; unrevoke: gone */
		w->found = 1;
		if (!w->q->undo && e->type == PJ_REVOKE_SUB && e->before > n->before)
			n->before = e->before;
		if (!w->q->undo && !w->q->has_until &&
		    (e->until == 0 || (n->until != 0 && e->until > n->until)))
			n->until = e->until;
		return PJ_OK;
	}
	if (e->until != 0 && e->until < w->q->now) {
		w->dropped++; /* cannot matter any more */
		return PJ_OK;
	}
	w->kept++;
	return append_entry(w, e);
}

static int
do_file(struct req *q)
{
	struct rewrite w;
	struct stat st;
	char reason[PJ_REASON_MAX] = "", *text = NULL, *lockname = NULL;
	char *tmp = NULL;
	size_t len = 0;
	int lock = -1, fd = -1, exists, r, written = 0, rc = EXIT_FAILED;

	memset(&w, 0, sizeof(w));
	w.q = q;
	if (asprintf(&lockname, "%s.lock", q->file) < 0 ||
	    asprintf(&tmp, "%s.tmpXXXXXX", q->file) < 0) {
		lockname = tmp = NULL;
		pjt_err(q->cmd, "out of memory");
		goto out;
	}
	if (q->undo && lstat(q->file, &st) != 0 && errno == ENOENT) {
		/* nothing to take back: no file, and no lock file either */
		printf("%s: %s: no such file (nothing to take back)\n", q->cmd,
		    q->file);
		rc = EXIT_DONE;
		goto out;
	}
	lock = open(lockname, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) != 0) {
		pjt_err(q->cmd, "%s: cannot lock: %s", lockname, strerror(errno));
		goto out;
	}
	exists = lstat(q->file, &st) == 0;
	if (!exists && errno != ENOENT) {
		pjt_err(q->cmd, "%s: %s", q->file, strerror(errno));
		goto out;
	}
	if (q->undo && !exists) {
		printf("%s: %s: no such file (nothing to take back)\n", q->cmd,
		    q->file);
		rc = EXIT_DONE;
		goto out;
	}
	if (append(&w, HEADER, strlen(HEADER)) != PJ_OK)
		goto nomem;
	if (exists) {
		r = pj_file_read(q->file, PJ_FILE_PUBLIC, PJ_REVOKE_FILE_MAX,
		    PJ_E_KEY, &text, &len, NULL, reason, sizeof(reason));
		if (r == PJ_OK)
			r = pj_revoke_parse(text, len, q->file, PJ_E_KEY, keep_one, &w,
			    reason, sizeof(reason));
		if (r == PJ_E_NOMEM)
			goto nomem;
		if (r != PJ_OK) {
			pjt_err(q->cmd, "%s (the file is left as it is: fix or "
			    "remove it first)", reason);
			goto out;
		}
	} else {
		st.st_uid = geteuid();
		st.st_gid = getegid();
		st.st_mode = 0644;
	}
	if (q->undo && !w.found)
		printf("%s: %s: no such entry (nothing to take back)\n", q->cmd,
		    q->file);
	if (!q->undo && (q->e.until == 0 || q->e.until >= q->now)) {
		if (append_entry(&w, &q->e) != PJ_OK)
			goto nomem;
		written = 1;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		pjt_err(q->cmd, "%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchown(fd, st.st_uid, st.st_gid) != 0 ||
	    fchmod(fd, st.st_mode & 07777) != 0 ||
	    pjt_write_all(fd, w.out, w.len) != 0 || fsync(fd) != 0) {
		pjt_err(q->cmd, "%s: cannot write: %s", tmp, strerror(errno));
		goto out;
	}
	r = close(fd);
	fd = -1;
	if (r != 0 || rename(tmp, q->file) != 0) {
		pjt_err(q->cmd, "%s: cannot replace: %s", q->file, strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (pjt_fsync_dir_of(q->file) != 0) {
		pjt_err(q->cmd, "%s: cannot sync its directory: %s", q->file,
		    strerror(errno));
		goto out;
	}
	printf("%s: %s: %s; %u other entr%s kept, %u expired dropped\n", q->cmd,
	    q->file, q->undo ? (w.found ? "entry removed" : "unchanged") :
	    written ? "entry written" : "no entry written (it would already "
	    "have expired: no token it names can be accepted)", w.kept, w.kept == 1 ? "y" : "ies", w.dropped);
	rc = EXIT_DONE;
	goto out;
nomem:
	pjt_err(q->cmd, "out of memory");
out:
	if (fd >= 0)
		(void)close(fd);
	if (tmp != NULL)
		(void)unlink(tmp);
	free(tmp);
	pj_file_free(text, len);
	free(w.out);
	if (lock >= 0)
		(void)close(lock);
	free(lockname);
	return rc;
}

static int
do_redis(struct req *q)
{
	struct pj_redis_conf cf;
	struct pj_redis *rd = NULL;
	char key[PJ_REDIS_KEY_MAX + 1], reason[PJ_REASON_MAX] = "";
	const struct pj_revoke_entry *e = &q->e;
	static const enum pj_redis_kind kinds[] = { PJ_REDIS_REV_JTI,
		PJ_REDIS_REV_SUB, PJ_REDIS_REV_KID };
	int r, removed = 0, rc = EXIT_FAILED;

	memset(&cf, 0, sizeof(cf));
	cf.url = q->redis;
	cf.auth_file = q->auth_file;
	cf.prefix = q->prefix;
	cf.timeout_ms = q->timeout_ms;
	pj_redis_key(q->prefix, kinds[e->type], e->a, e->alen, e->b, e->blen, key);
	r = pj_redis_open(&cf, &rd, reason, sizeof(reason));
	if (r == PJ_E_CONFIG) {
		pjt_err(q->cmd, "%s", reason);
		rc = EXIT_USAGE;
		goto out;
	}
	if (r != PJ_OK)
		goto fail;
	if (q->undo) {
		r = pj_redis_del(rd, key, &removed, reason, sizeof(reason));
		if (r != PJ_OK)
			goto fail;
		printf("%s: %s: %s\n", q->cmd, q->redis, removed ?
		    "entry removed" : "no such entry (nothing to take back)");
	} else if (e->until != 0 && e->until < q->now) {
		printf("%s: %s: the entry would already have expired: nothing "
		    "written\n", q->cmd, q->redis);
	} else {
		r = pj_redis_put(rd, key, e->type == PJ_REVOKE_SUB ? e->before :
		    (e->until != 0 ? e->until : 1), e->until, q->now,
		    e->type == PJ_REVOKE_SUB, reason, sizeof(reason));
		if (r != PJ_OK)
			goto fail;
		printf("%s: %s: entry written\n", q->cmd, q->redis);
	}
	rc = EXIT_DONE;
	goto out;
fail:
	pjt_err(q->cmd, "%s", reason[0] ? reason : pj_strerror(r));
out:
	pj_redis_close(rd);
	return rc;
}

static int
run(const char *cmd, int undo, int argc, char **argv)
{
	struct req q;
	int r, rc = EXIT_DONE;

	memset(&q, 0, sizeof(q));
	q.cmd = cmd;
	q.undo = undo;
	q.now = (long long)time(NULL);
	r = parse(&q, argc, argv);
	if (r != 0) {
		rc = r > 0 ? EXIT_DONE : EXIT_USAGE;
		goto out;
	}
	build_entry(&q);
	/* Redis first: when it fails, the file is not changed either */
	if (q.redis != NULL && (rc = do_redis(&q)) != EXIT_DONE)
		goto out;
	if (q.file != NULL)
		rc = do_file(&q);
out:
	free(q.file_abs);
	return rc;
}

int
cmd_revoke(int argc, char **argv)
{
	return run("revoke", 0, argc, argv);
}

int
cmd_unrevoke(int argc, char **argv)
{
	return run("unrevoke", 1, argc, argv);
}
