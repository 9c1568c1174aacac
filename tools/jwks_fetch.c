/* jwks_fetch.c - `pamjwt jwks-fetch`: an OpenID Provider's JWK Set into the
 * local jwks_file, so that the module follows the provider's keys while the
 * login itself never touches the network.
 *
 *   pamjwt jwks-fetch --issuer URL --out FILE [--ca-file FILE]
 *       [--state-dir DIR] [--timeout SECONDS] [--max-size BYTES]
 *       [--max-age SECONDS] [--min-interval SECONDS] [--force]
 *       [--insecure-http]
 *
 * Discovery (tools/oidc.c) with the exact issuer check, then jwks_uri
 * (tools/http.c).  The answer is written to a temporary file beside FILE
 * with FILE's owner and mode, and that file is loaded exactly as the module
 * loads a jwks_file (pj_keyset_load: file checks, the JWK rules, at least
 * one usable key); only then is it renamed over FILE (fsync of the file and
 * of the directory).  A set the module would refuse never replaces one it
 * accepts.
 *
 * Politeness and the rate limit live in a small state file (FILE.fetch-state,
 * or DIR/NAME.fetch-state): the ETag of the set in FILE (sent as
 * If-None-Match), until when the provider's Cache-Control max-age says it is
 * fresh, and the times of the last attempt, of the last on-demand attempt
 * (--min-interval) and of the last confirmation.
 *
 * Exit status: 0 FILE holds the current set (replaced, unchanged, still
 * fresh, or not asked again within --min-interval after a success); 1 the
 * fetch or the set failed and FILE is exactly as it was; 2 usage or
 * configuration error; 3 like 1, and FILE was last confirmed longer ago than
 * --max-age (stale: the module still uses it).
 */
#include "pamjwt.h"
#include "http.h"
#include "oidc.h"

#include "lib/err.h"
#include "lib/key.h"
#include "lib/keyset.h"
#include "lib/logval.h"
#include "lib/options.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define CMD "jwks-fetch"
#define EXIT_CURRENT 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_STALE 3

#define STATE_SUFFIX ".fetch-state"
#define STATE_MAX 4096
/* Cache-Control max-age is honoured up to a day: the timer asks again at
 * least that often whatever the provider says. */
#define FRESH_CAP 86400LL
#define TIMEOUT_MAX 300L
#define SECONDS_MAX 315360000LL /* ten years */

enum { O_ISSUER = 1, O_OUT, O_CA_FILE, O_STATE_DIR, O_TIMEOUT, O_MAX_SIZE,
	O_MAX_AGE, O_MIN_INTERVAL, O_FORCE, O_INSECURE_HTTP, O_HELP };

static const struct pjt_opt opts[] = {
	{ "issuer", PJT_ARG, O_ISSUER },
	{ "out", PJT_ARG, O_OUT },
	{ "ca-file", PJT_ARG, O_CA_FILE },
	{ "state-dir", PJT_ARG, O_STATE_DIR },
	{ "timeout", PJT_ARG, O_TIMEOUT },
	{ "max-size", PJT_ARG, O_MAX_SIZE },
	{ "max-age", PJT_ARG, O_MAX_AGE },
	{ "min-interval", PJT_ARG, O_MIN_INTERVAL },
	{ "force", PJT_NOARG, O_FORCE },
	{ "insecure-http", PJT_NOARG, O_INSECURE_HTTP },
	{ "help", PJT_NOARG, O_HELP },
	{ NULL, PJT_NOARG, 0 },
};

struct state {
	char issuer[PJT_HTTP_URL_MAX + 1];
	char jwks_uri[PJT_HTTP_URL_MAX + 1];
	char sha256[crypto_hash_sha256_BYTES * 2 + 1];
	char etag[PJT_HTTP_ETAG_MAX + 1];
	long long ok;           /* last confirmation by the provider, or 0 */
	long long fresh_until;  /* Cache-Control max-age, or 0 */
	long long attempt;      /* last time the provider was asked, or 0 */
	int last_ok;            /* the last attempt succeeded */
	long long demand;       /* last time a run with --min-interval asked */
};

struct run {
	const char *issuer;
	char *out;              /* absolute */
	char *dir;              /* its directory */
	const char *base;       /* its last component (inside out) */
	char *state_path;
	const char *ca_file;
	struct pjt_http_opts http;
	long long max_age;      /* -1 off */
	long long min_interval; /* 0 off */
	int force;
	long long now;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pamjwt jwks-fetch --issuer URL --out FILE [--ca-file FILE]\n"
	    "           [--state-dir DIR] [--timeout SECONDS] [--max-size BYTES]\n"
	    "           [--max-age SECONDS] [--min-interval SECONDS] [--force]\n"
	    "           [--insecure-http]\n"
	    "\n"
	    "Fetch an OpenID Provider's JWK Set (discovery at\n"
	    "URL" PJT_OIDC_WELL_KNOWN ", whose issuer must be URL\n"
	    "exactly) and replace FILE atomically, only with a set pam_jwt accepts.\n"
	    "\n"
	    "  --ca-file FILE      trust these CA certificates instead of the system's\n"
	    "  --state-dir DIR     keep NAME" STATE_SUFFIX " in DIR (default: beside FILE)\n"
	    "  --timeout SECONDS   per request, connecting included (default %ld)\n"
	    "  --max-size BYTES    largest JWK Set accepted (default and most %d)\n"
	    "  --max-age SECONDS   exit 3 (stale) when a fetch fails and FILE was last\n"
	    "                      confirmed by the provider longer ago than this\n"
	    "  --min-interval SECONDS  do not ask the provider again within this\n"
	    "                      many seconds of the last run with this option\n"
	    "                      (the rate limit of on-demand refreshes)\n"
	    "  --force             ask even while Cache-Control says FILE is fresh\n"
	    "  --insecure-http     allow plain http:// URLs (tests only)\n"
	    "\n"
	    "Exit status: 0 FILE holds the current set, 1 fetching or validating\n"
	    "failed and FILE is unchanged, 2 usage or configuration error, 3 as 1\n"
	    "and FILE is older than --max-age.\n",
	    PJT_HTTP_DEFAULT_TIMEOUT_MS / 1000, PJ_JWKS_MAX);
}

/* One line on stderr and in syslog (LOG_AUTHPRIV). */
static void
say(int prio, const struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
say(int prio, const struct run *r, const char *fmt, ...)
{
	char msg[1024], iss[PJ_LOGVAL_SIZE(128)], out[PJ_LOGVAL_SIZE(128)];
	char safe[sizeof(msg)];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pj_sanitize(safe, sizeof(safe), msg);
	pj_logstr(iss, sizeof(iss), r->issuer, 128);
	pj_logstr(out, sizeof(out), r->out, 128);
	fprintf(stderr, "pamjwt " CMD ": issuer=%s file=%s: %s\n", iss, out, safe);
	syslog(prio, CMD ": issuer=%s file=%s: %s", iss, out, safe);
}

static int
parse_seconds(const char *v, long long max, long long *out)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < 0 || n > max)
		return -1;
	*out = n;
	return 0;
}

static void
hex_sha256(const char *data, size_t len, char out[crypto_hash_sha256_BYTES * 2 + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)data, len);
	sodium_bin2hex(out, crypto_hash_sha256_BYTES * 2 + 1, h, sizeof(h));
}

/* A whole small file, NUL-terminated; never through a symbolic link.
 * 0, -1 with errno (ENOENT: absent), or -1 with EFBIG past max. */
static int
slurp(const char *path, size_t max, char **out, size_t *outlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, e, r = -1;

	*out = NULL;
	*outlen = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if ((size_t)st.st_size > max) {
		errno = EFBIG;
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf; /* transferred */
	buf = NULL;
	*outlen = len;
	r = 0;
out:
	e = errno;
	free(buf);
	(void)close(fd);
	errno = e;
	return r;
}

static void
copy_field(char *dst, size_t dlen, const char *v)
{
	size_t n = strlen(v);

	if (n >= dlen) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, v, n + 1);
}

/* The state file; missing or malformed lines leave fields empty (the state
 * only saves requests: without it, the provider is simply asked). */
static void
state_read(const char *path, struct state *s)
{
	char *buf = NULL, *line, *next, *sp;
	size_t len = 0;
	long long n;

	memset(s, 0, sizeof(*s));
	if (slurp(path, STATE_MAX, &buf, &len) != 0)
		return;
	if (strlen(buf) != len)
		goto out;
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		sp = strchr(line, ' ');
		if (sp == NULL)
			continue;
		*sp++ = '\0';
		if (strcmp(line, "issuer") == 0)
			copy_field(s->issuer, sizeof(s->issuer), sp);
		else if (strcmp(line, "jwks_uri") == 0)
			copy_field(s->jwks_uri, sizeof(s->jwks_uri), sp);
		else if (strcmp(line, "sha256") == 0)
			copy_field(s->sha256, sizeof(s->sha256), sp);
		else if (strcmp(line, "etag") == 0)
			copy_field(s->etag, sizeof(s->etag), sp);
		else if (strcmp(line, "result") == 0)
			s->last_ok = strcmp(sp, "ok") == 0;
		else if (parse_seconds(sp, LLONG_MAX, &n) == 0) {
			if (strcmp(line, "demand") == 0)
				s->demand = n;
			else if (strcmp(line, "ok") == 0)
				s->ok = n;
			else if (strcmp(line, "fresh_until") == 0)
				s->fresh_until = n;
			else if (strcmp(line, "attempt") == 0)
				s->attempt = n;
		}
	}
out:
	free(buf);
}

/* Create a new file beside path ("DIR/.NAME.XXXXXX"), mode given.  Returns
 * the fd with *tmp the new name, or -1. */
static int
make_temp(const char *dir, const char *base, unsigned int mode, char **tmp)
{
	size_t n = strlen(dir) + strlen(base) + 16;
	int fd;

	*tmp = malloc(n);
	if (*tmp == NULL)
		return -1;
	(void)snprintf(*tmp, n, "%s/.%s.XXXXXX", dir, base);
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	if (fchmod(fd, (mode_t)mode) != 0) {
		(void)close(fd);
		(void)unlink(*tmp);
		free(*tmp);
		*tmp = NULL;
		return -1;
	}
	return fd;
}

/* Write the state atomically (temp file, rename).  Failure is reported,
 * never fatal: the state saves requests, it protects nothing. */
static void
state_write(const struct run *r, const struct state *s)
{
	char *tmp = NULL, *text = NULL, *dir = NULL, *slash;
	size_t n = sizeof(*s) + 512;
	int fd = -1, len;

	if ((text = malloc(n)) == NULL || (dir = strdup(r->state_path)) == NULL)
		goto fail;
	len = snprintf(text, n,
	    "issuer %s\njwks_uri %s\nsha256 %s\netag %s\nok %lld\n"
	    "fresh_until %lld\nattempt %lld\nresult %s\ndemand %lld\n",
	    s->issuer, s->jwks_uri, s->sha256, s->etag, s->ok, s->fresh_until,
	    s->attempt, s->last_ok ? "ok" : "failed", s->demand);
	if (len < 0 || (size_t)len >= n)
		goto fail;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		goto fail;
	*slash = '\0';
	if ((fd = make_temp(dir[0] ? dir : "/", slash + 1, 0644, &tmp)) < 0)
		goto fail;
	if (pjt_write_all(fd, text, (size_t)len) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, r->state_path) != 0)
		goto fail;
	free(tmp);
	tmp = NULL;
	goto out;
fail:
	say(LOG_WARNING, r, "cannot write the state file %s: %s "
	    "(ETag, freshness and the rate limit are not kept)", r->state_path,
	    strerror(errno));
out:
	if (fd >= 0)
		(void)close(fd);
	if (tmp != NULL)
		(void)unlink(tmp);
	free(tmp);
	free(text);
	free(dir);
}

/* Load path exactly as the module loads its jwks_file.  0, or -1 with why. */
static int
module_accepts(const char *path, size_t *nkeys, size_t *usable, char *why,
    size_t wlen)
{
	struct pj_options o;
	struct pj_keyset ks;
	size_t i;
	int r = -1;

	pj_options_init(&o);
	memset(&ks, 0, sizeof(ks));
	*nkeys = *usable = 0;
	o.jwks_file = (char *)(uintptr_t)path; /* borrowed, cleared below */
	if (pj_keyset_load(&o, &ks, why, wlen) != PJ_OK)
		goto out;
	for (i = 0; i < ks.n; i++) {
		/* a secret published at a URL is no secret */
		if (ks.keys[i].type == PJ_KEY_HMAC) {
			(void)snprintf(why, wlen, "the set holds an HMAC secret (kty "
			    "oct): refused from a provider");
			goto out;
		}
		if (ks.keys[i].algs != 0)
			(*usable)++;
	}
	*nkeys = ks.n;
	if (*usable == 0) {
		(void)snprintf(why, wlen, "no usable key in the set");
		goto out;
	}
	r = 0;
out:
	o.jwks_file = NULL;
	pj_keyset_free(&ks);
	pj_options_free(&o);
	return r;
}

/* The fetched body, checked by the module's rules in a temp file with
 * FILE's owner and mode, renamed over FILE.  0 replaced, 1 identical (FILE
 * untouched), -1 refused or failed (why). */
static int
install(const struct run *r, const char *body, size_t len, const char *old,
    size_t oldlen, int have_old, const struct stat *ost, size_t *nkeys,
    size_t *usable, char *why, size_t wlen)
{
	char *tmp = NULL;
	int fd = -1, rv = -1;
	unsigned int mode = have_old ? (unsigned int)(ost->st_mode & 07777) :
	    0644;

	if ((fd = make_temp(r->dir, r->base, mode, &tmp)) < 0) {
		(void)snprintf(why, wlen, "cannot create a file in %s: %s", r->dir,
		    strerror(errno));
		goto out;
	}
	if (have_old && (ost->st_uid != geteuid() || ost->st_gid != getegid()) &&
	    fchown(fd, ost->st_uid, ost->st_gid) != 0) {
		(void)snprintf(why, wlen, "cannot give the new file the owner %u:%u of "
		    "the old: %s", (unsigned int)ost->st_uid,
		    (unsigned int)ost->st_gid, strerror(errno));
		goto out;
	}
	if (pjt_write_all(fd, body, len) != 0 || fsync(fd) != 0) {
		(void)snprintf(why, wlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		(void)snprintf(why, wlen, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (module_accepts(tmp, nkeys, usable, why, wlen) != 0)
		goto out;
	if (have_old && oldlen == len && memcmp(old, body, len) == 0) {
		rv = 1;
		goto out;
	}
	if (rename(tmp, r->out) != 0) {
		(void)snprintf(why, wlen, "cannot rename the new set into place: %s",
		    strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	if (pjt_fsync_dir_of(r->out) != 0) {
		/* renamed already: the set is in place, only not yet durable */
		(void)snprintf(why, wlen, "replaced, but fsync of %s failed: %s", r->dir,
		    strerror(errno));
	}
	rv = 0;
out:
	if (fd >= 0)
		(void)close(fd);
	if (tmp != NULL)
		(void)unlink(tmp);
	free(tmp);
	return rv;
}

/* Paths: out absolute, its directory and name, the state file's path. */
static int
set_paths(struct run *r, const char *out, const char *state_dir)
{
	char *slash;
	size_t n;

	if ((r->out = pjt_abs_path(out)) == NULL)
		return -1;
	n = strlen(r->out);
	if (n == 0 || r->out[n - 1] == '/') {
		pjt_err(CMD, "--out must name a file");
		return -1;
	}
	if ((r->dir = strdup(r->out)) == NULL)
		return -1;
	slash = strrchr(r->dir, '/');
	*slash = '\0';
	if (r->dir[0] == '\0') {
		r->dir[0] = '/';
		r->dir[1] = '\0';
	}
	r->base = strrchr(r->out, '/') + 1;
	if (state_dir != NULL) {
		char *sd = pjt_abs_path(state_dir);

		if (sd == NULL)
			return -1;
		n = strlen(sd) + strlen(r->base) + sizeof(STATE_SUFFIX) + 2;
		r->state_path = malloc(n);
		if (r->state_path != NULL)
			(void)snprintf(r->state_path, n, "%s/%s" STATE_SUFFIX, sd, r->base);
		free(sd);
	} else {
		n = strlen(r->out) + sizeof(STATE_SUFFIX);
		r->state_path = malloc(n);
		if (r->state_path != NULL)
			(void)snprintf(r->state_path, n, "%s" STATE_SUFFIX, r->out);
	}
	return r->state_path != NULL ? 0 : -1;
}

/* The end of a run that did not bring FILE up to date. */
static int
failed(const struct run *r, const struct state *st, int have_old,
    const struct stat *ost, const char *why)
{
	long long confirmed;

	if (r->max_age >= 0 && have_old) {
		confirmed = st->ok > 0 ? st->ok : (long long)ost->st_mtime;
		if (r->now - confirmed > r->max_age) {
			say(LOG_CRIT, r, "STALE: %s; the set in use was last "
			    "confirmed %lld seconds ago (--max-age %lld)", why,
			    r->now - confirmed, r->max_age);
			return EXIT_STALE;
		}
	}
	say(LOG_ERR, r, "failed, file left as it was: %s", why);
	return EXIT_FAILED;
}

static int
fetch(struct run *r)
{
	struct pjt_oidc_meta meta;
	struct pjt_http_resp resp;
	struct state st, nst;
	struct stat ost;
	char why[1024] = "", herr[512] = "", cur_sha[sizeof(st.sha256)] = "";
	char *old = NULL;
	size_t oldlen = 0, nkeys = 0, usable = 0;
	int have_old = 0, rv = EXIT_FAILED, h, lockfd = -1, k;

	memset(&meta, 0, sizeof(meta));
	memset(&resp, 0, sizeof(resp));
	/* one run at a time per directory (the timer and the on-demand unit
	 * may start together); each run is bounded by its time-outs */
	lockfd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (lockfd < 0) {
		pjt_err(CMD, "cannot open the directory %s: %s", r->dir,
		    strerror(errno));
		rv = EXIT_USAGE;
		goto out;
	}
	if (flock(lockfd, LOCK_EX) != 0) {
		say(LOG_ERR, r, "cannot lock %s: %s", r->dir, strerror(errno));
		goto out;
	}
	r->now = (long long)time(NULL);
	if (lstat(r->out, &ost) == 0) {
		if (!S_ISREG(ost.st_mode)) {
			pjt_err(CMD, "%s is not a regular file (a symbolic link is "
			    "not followed)", r->out);
			rv = EXIT_USAGE;
			goto out;
		}
		if (slurp(r->out, PJ_JWKS_MAX, &old, &oldlen) != 0) {
			say(LOG_ERR, r, "cannot read the current file: %s",
			    strerror(errno));
			goto out;
		}
		have_old = 1;
		hex_sha256(old, oldlen, cur_sha);
	} else if (errno != ENOENT) {
		pjt_err(CMD, "%s: %s", r->out, strerror(errno));
		rv = EXIT_USAGE;
		goto out;
	}
	state_read(r->state_path, &st);
	/* the state describes this file of this issuer, or nothing */
	if (strcmp(st.issuer, r->issuer) != 0)
		memset(&st, 0, sizeof(st));
	else if (!have_old || strcmp(st.sha256, cur_sha) != 0) {
		/* another file than the one fetched (put there by hand, or
		 * gone): no ETag, no freshness, and its mtime says its age;
		 * the rate limit (attempt, result) still holds */
		st.etag[0] = '\0';
		st.sha256[0] = '\0';
		st.jwks_uri[0] = '\0';
		st.fresh_until = 0;
		st.ok = 0;
	}
	/* the on-demand rate limit counts the on-demand runs: a periodic run
	 * just before does not hold off the refresh a new kid asks for */
	if (r->min_interval > 0 && st.demand > 0 && st.demand <= r->now &&
	    r->now - st.demand < r->min_interval) {
		if (st.last_ok && have_old) {
			say(LOG_INFO, r, "not asked again: last on-demand fetch "
			    "%lld s ago (--min-interval %lld)", r->now - st.demand,
			    r->min_interval);
			rv = EXIT_CURRENT;
		} else
			rv = failed(r, &st, have_old, &ost, have_old ?
			    "not asked again after the failure of the last "
			    "attempt within --min-interval" : "not asked again "
			    "within --min-interval, and the file is gone");
		goto out;
	}
	if (!r->force && have_old && st.fresh_until > r->now) {
		say(LOG_INFO, r, "current: fresh for %lld more seconds "
		    "(Cache-Control)", st.fresh_until - r->now);
		rv = EXIT_CURRENT;
		goto out;
	}
	nst = st;
	copy_field(nst.issuer, sizeof(nst.issuer), r->issuer);
	nst.attempt = r->now;
	nst.last_ok = 0;
	if (r->min_interval > 0)
		nst.demand = r->now;
	if (pjt_oidc_discover(r->issuer, &r->http, &meta, why,
	    sizeof(why)) != 0) {
		state_write(r, &nst);
		rv = failed(r, &st, have_old, &ost, why);
		goto out;
	}
	/* an ETag only for the very set in FILE, from the same jwks_uri */
	r->http.if_none_match = (have_old && st.etag[0] != '\0' &&
	    strcmp(st.jwks_uri, meta.jwks_uri) == 0) ? st.etag : NULL;
	h = pjt_http_get(meta.jwks_uri, &r->http, &resp, herr, sizeof(herr));
	if (h != PJT_HTTP_OK) {
		(void)snprintf(why, sizeof(why), "jwks_uri %s: %s: %s", meta.jwks_uri,
		    pjt_http_strerror(h), herr);
		state_write(r, &nst);
		rv = failed(r, &st, have_old, &ost, why);
		goto out;
	}
	copy_field(nst.jwks_uri, sizeof(nst.jwks_uri), meta.jwks_uri);
	if (resp.status == 304 && r->http.if_none_match != NULL) {
		nst.ok = r->now;
		nst.last_ok = 1;
		nst.fresh_until = resp.max_age > 0 ? r->now +
		    (resp.max_age < FRESH_CAP ? resp.max_age : FRESH_CAP) : 0;
		state_write(r, &nst);
		say(LOG_INFO, r, "current: not modified (ETag)");
		rv = EXIT_CURRENT;
		goto out;
	}
	if (resp.status != 200) {
		(void)snprintf(why, sizeof(why), "jwks_uri %s: HTTP status %ld%s",
		    meta.jwks_uri, resp.status, resp.status >= 300 &&
		    resp.status < 400 ? " (redirects are not followed)" : "");
		state_write(r, &nst);
		rv = failed(r, &st, have_old, &ost, why);
		goto out;
	}
	k = install(r, resp.body, resp.len, old, oldlen, have_old, &ost, &nkeys,
	    &usable, why, sizeof(why));
	if (k < 0) {
		state_write(r, &nst);
		rv = failed(r, &st, have_old, &ost, why);
		goto out;
	}
	hex_sha256(resp.body, resp.len, nst.sha256);
	copy_field(nst.etag, sizeof(nst.etag), resp.etag ? resp.etag : "");
	nst.ok = r->now;
	nst.last_ok = 1;
	nst.fresh_until = resp.max_age > 0 ? r->now +
	    (resp.max_age < FRESH_CAP ? resp.max_age : FRESH_CAP) : 0;
	state_write(r, &nst);
	if (k == 1)
		say(LOG_INFO, r, "current: unchanged (%zu keys, %zu usable)",
		    nkeys, usable);
	else
		say(LOG_NOTICE, r, "replaced: %zu keys, %zu usable%s%s", nkeys,
		    usable, why[0] ? "; " : "", why);
	rv = EXIT_CURRENT;
out:
	pjt_http_resp_free(&resp);
	pjt_oidc_meta_free(&meta);
	free(old);
	if (lockfd >= 0)
		(void)close(lockfd);
	return rv;
}

int
cmd_jwks_fetch(int argc, char **argv)
{
	struct pjt_args a;
	struct run r;
	const char *val, *out = NULL, *state_dir = NULL;
	long long n;
	int id, rv = EXIT_USAGE, inited = 0;

	memset(&r, 0, sizeof(r));
	r.max_age = -1;
	r.http.timeout_ms = PJT_HTTP_DEFAULT_TIMEOUT_MS;
	r.http.max_size = PJ_JWKS_MAX;
	pjt_args_init(&a, argc, argv, CMD);
	while ((id = pjt_next(&a, opts, &val)) != PJT_END) {
		switch (id) {
		case PJT_ERROR:
			goto out;
		case PJT_OPERAND:
			pjt_err(CMD, "unexpected operand '%.64s'", val);
			goto out;
		case O_HELP:
			usage(stdout);
			rv = EXIT_CURRENT;
			goto out;
		case O_ISSUER:
			r.issuer = val;
			break;
		case O_OUT:
			out = val;
			break;
		case O_CA_FILE:
			r.ca_file = val;
			break;
		case O_STATE_DIR:
			state_dir = val;
			break;
		case O_TIMEOUT:
			if (parse_seconds(val, TIMEOUT_MAX, &n) != 0 || n == 0) {
				pjt_err(CMD, "--timeout: 1 to %ld seconds", TIMEOUT_MAX);
				goto out;
			}
			r.http.timeout_ms = (long)n * 1000L;
			break;
		case O_MAX_SIZE:
			if (parse_seconds(val, PJ_JWKS_MAX, &n) != 0 || n < 16) {
				pjt_err(CMD, "--max-size: 16 to %d bytes", PJ_JWKS_MAX);
				goto out;
			}
			r.http.max_size = (size_t)n;
			break;
		case O_MAX_AGE:
			if (parse_seconds(val, SECONDS_MAX, &r.max_age) != 0) {
				pjt_err(CMD, "--max-age: seconds, 0 to %lld", SECONDS_MAX);
				goto out;
			}
			break;
		case O_MIN_INTERVAL:
			if (parse_seconds(val, SECONDS_MAX, &r.min_interval) != 0) {
				pjt_err(CMD, "--min-interval: seconds, 0 to %lld",
				    SECONDS_MAX);
				goto out;
			}
			break;
		case O_FORCE:
			r.force = 1;
			break;
		case O_INSECURE_HTTP:
			r.http.allow_http = 1;
			break;
		}
	}
	if (r.issuer == NULL || out == NULL) {
		pjt_err(CMD, "--issuer and --out are required");
		usage(stderr);
		goto out;
	}
	if (!pjt_oidc_issuer_ok(r.issuer, r.http.allow_http)) {
		pjt_err(CMD, "--issuer must be an %s URL without query or fragment",
		    r.http.allow_http ? "http(s)" : "https");
		goto out;
	}
	if (r.ca_file != NULL && access(r.ca_file, R_OK) != 0) {
		pjt_err(CMD, "--ca-file %s: %s", r.ca_file, strerror(errno));
		goto out;
	}
	r.http.ca_file = r.ca_file;
	r.http.connect_timeout_ms = r.http.timeout_ms < PJT_HTTP_DEFAULT_CONNECT_MS ?
	    r.http.timeout_ms : PJT_HTTP_DEFAULT_CONNECT_MS;
	if (set_paths(&r, out, state_dir) != 0) {
		pjt_err(CMD, "--out %s: %s", out, strerror(errno));
		goto out;
	}
	if (pjt_http_init() != 0) {
		pjt_err(CMD, "libcurl cannot be initialised");
		rv = EXIT_FAILED;
		goto out;
	}
	inited = 1;
	openlog("pamjwt", LOG_PID, LOG_AUTHPRIV);
	rv = fetch(&r);
	closelog();
out:
	if (inited)
		pjt_http_cleanup();
	free(r.out);
	free(r.dir);
	free(r.state_path);
	return rv;
}
