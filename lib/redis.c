/* redis.c - the shared store on Redis (pam_jwt.conf(5), Fleet)
 *
 * Through Debian's hiredis (0.14: blocking API, no TLS), opened the first
 * time a connection is (lib/hiredis_dl.h: pam_jwt.so does not link it; when
 * it cannot be loaded, pj_redis_open is PJ_E_STORE).  Every call opens
 * its own connection and closes it: no state outlives a call, so nothing
 * is shared between threads or across fork().  One deadline, timeout_ms
 * after pj_redis_open began, bounds the connect and every command (each
 * command's socket time-out is what is left of it).  Any error, time-out
 * or reply of an unexpected type is PJ_E_STORE: never success.
 */
#include "redis.h"
#include "err.h"
#include "file.h"
#include "logval.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

/* last: sends every hiredis call through the table */
#include "hiredis_dl.h"

/* a record lives at most this long (seconds): Redis refuses a PX that
 * overflows its clock, and 30,000 years outlive any token */
#define TTL_CAP 1000000000000LL
#define ERR_SHOWN 128

struct pj_redis {
	redisContext *c;
	char url[PJ_REDIS_HOST_MAX + PJ_REDIS_PATH_MAX + 32];
	struct timespec deadline;  /* CLOCK_MONOTONIC */
	long long timeout_ms;
	sigset_t oldmask;
	int pipe_was_pending;
	int masked;
};

int
pj_redis_is_url(const char *s)
{
	return s != NULL && (strncmp(s, "redis://", 8) == 0 ||
	    strncmp(s, "redis+unix://", 13) == 0);
}

static int
parse_db(const char *s, long long *db)
{
	return pj_parse_ll(s, 0, PJ_REDIS_DB_MAX, db);
}

int
pj_redis_parse_url(const char *s, struct pj_redis_url *u, char *reason,
    size_t rlen)
{
	const char *p, *hend, *rest;
	char port[8];
	long long n;
	size_t hl;

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	if (strncmp(s, "redis+unix://", 13) == 0) {
		p = s + 13;
		if (p[0] != '/')
			goto bad;
		rest = strchr(p, '?');
		hl = rest ? (size_t)(rest - p) : strlen(p);
		if (hl < 2 || hl > PJ_REDIS_PATH_MAX)
			goto bad;
		memcpy(u->path, p, hl);
		u->path[hl] = '\0';
		if (rest != NULL && (strncmp(rest, "?db=", 4) != 0 ||
		    parse_db(rest + 4, &u->db) != 0))
			goto bad;
		u->unix_socket = 1;
		return PJ_OK;
	}
	if (strncmp(s, "redis://", 8) != 0)
		goto bad;
	p = s + 8;
	if (strpbrk(p, "@?#") != NULL)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "replay_cache: a Redis URL holds no credentials or query (give "
		    "them in redis_auth_file): write redis://HOST:PORT[/DB]");
	if (p[0] == '[') {
		hend = strchr(p, ']');
		if (hend == NULL)
			goto bad;
		hl = (size_t)(hend - p - 1);
		p++;
		rest = hend + 1;
	} else {
		hend = p + strcspn(p, ":/");
		hl = (size_t)(hend - p);
		rest = hend;
	}
	if (hl == 0 || hl > PJ_REDIS_HOST_MAX)
		goto bad;
	memcpy(u->host, p, hl);
	u->host[hl] = '\0';
	if (strspn(u->host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:") != hl)
		goto bad;
	if (rest[0] == ':') {
		hl = strcspn(rest + 1, "/");
		if (hl == 0 || hl >= sizeof(port))
			goto bad;
		memcpy(port, rest + 1, hl);
		port[hl] = '\0';
		if (pj_parse_ll(port, 1, 65535, &n) != 0)
			goto bad;
		u->port = (int)n;
		rest += 1 + hl;
	}
	if (rest[0] == '/' && parse_db(rest + 1, &u->db) != 0)
		goto bad;
	if (rest[0] != '\0' && rest[0] != '/')
		goto bad;
	return PJ_OK;
bad:
	return pj_reason(PJ_E_CONFIG, reason, rlen,
	    "replay_cache: '%.160s' is not redis://HOST:PORT[/DB] (DB 0 to %d) "
	    "or redis+unix:///PATH[?db=DB]", s, PJ_REDIS_DB_MAX);
}

enum pj_redis_host
pj_redis_host_kind(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (strcmp(host, "localhost") == 0)
		return PJ_REDIS_HOST_LOOPBACK;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127 ? PJ_REDIS_HOST_LOOPBACK :
		    PJ_REDIS_HOST_REMOTE;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127) ?
		    PJ_REDIS_HOST_LOOPBACK : PJ_REDIS_HOST_REMOTE;
	return PJ_REDIS_HOST_NAME;
}

int
pj_redis_where_ok(const struct pj_redis_url *u, int insecure,
    const char *what, const char *allow, char *reason, size_t rlen)
{
	enum pj_redis_host kind = u->unix_socket ? PJ_REDIS_HOST_LOOPBACK :
	    pj_redis_host_kind(u->host);

	/* issue 18 F4, F5: no TLS in hiredis 0.14, no unbounded name lookup */
	if (kind == PJ_REDIS_HOST_NAME)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "%s: '%.128s' names a host: give a numeric address or "
		    "localhost (a name lookup is not bounded by the Redis time-out)",
		    what, u->host);
	if (kind == PJ_REDIS_HOST_REMOTE && !insecure)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "%s: %.128s is not a loopback address: Redis is spoken in "
		    "clear, anyone on the path could read the password and "
		    "answer for it; use a local TLS tunnel (stunnel) on "
		    "127.0.0.1, or %s", what, u->host, allow);
	return PJ_OK;
}

void
pj_redis_key(const char *prefix, enum pj_redis_kind kind, const char *a,
    size_t alen, const char *b, size_t blen, char out[PJ_REDIS_KEY_MAX + 1])
{
	crypto_generichash_state st;
	unsigned char h[32], tag[2], len8[8];
	char hex[65];
	size_t i;

	tag[0] = (unsigned char)kind;
	tag[1] = a != NULL ? 1 : 0;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, tag, sizeof(tag));
	if (a != NULL) {
		/* length-prefixed, so (a, b) pairs cannot collide by shifting */
		for (i = 0; i < 8; i++)
			len8[i] = (unsigned char)((unsigned long long)alen >> (8 * i));
		crypto_generichash_update(&st, len8, sizeof(len8));
		crypto_generichash_update(&st, (const unsigned char *)a, alen);
	}
	if (b != NULL)
		crypto_generichash_update(&st, (const unsigned char *)b, blen);
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	(void)snprintf(out, PJ_REDIS_KEY_MAX + 1, "%.*s%c:%s",
	    PJ_REDIS_PREFIX_MAX, prefix ? prefix : PJ_REDIS_DEFAULT_PREFIX,
	    (char)kind, hex);
}

/* Milliseconds left until the deadline (<= 0: none). */
static long long
left_ms(const struct pj_redis *r)
{
	struct timespec now;

	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return 0;
	return (r->deadline.tv_sec - now.tv_sec) * 1000LL +
	    (r->deadline.tv_nsec - now.tv_nsec) / 1000000LL;
}

static struct timeval
ms_tv(long long ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

/* The connection's error as a reason. */
static int
conn_error(struct pj_redis *r, const char *what, char *reason, size_t rlen)
{
	char shown[PJ_LOGVAL_SIZE(ERR_SHOWN)];
	int timed_out;

	timed_out = r->c != NULL && r->c->err == REDIS_ERR_IO &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINPROGRESS);
	if (r->c != NULL && r->c->err != 0 && !timed_out &&
	    strstr(r->c->errstr, "Timeout") == NULL &&
	    strstr(r->c->errstr, "timed out") == NULL &&
	    strstr(r->c->errstr, "temporarily unavailable") == NULL) {
		pj_sanitize(shown, sizeof(shown), r->c->errstr);
		return pj_reason(PJ_E_STORE, reason, rlen,
		    "replay_cache %s: %s: %s", r->url, what, shown);
	}
	return pj_reason(PJ_E_STORE, reason, rlen,
	    "replay_cache %s: %s: no answer within redis_timeout (%lld ms)",
	    r->url, what, r->timeout_ms);
}

/* The reply to what was queued, against the one deadline.  hiredis's
 * redisGetReply loops on blocking reads each bounded by SO_RCVTIMEO alone,
 * so a server sending a byte at a time could hold a login far past
 * redis_timeout (issue 18 F5); here every write and read gets what is left
 * of the deadline, and none starts after it. */
static redisReply *
read_reply(struct pj_redis *r, const char *what, char *reason, size_t rlen)
{
	void *rep = NULL;
	long long ms;
	int done = 0;

	for (;;) {
		ms = left_ms(r);
		if (ms <= 0) {
			(void)pj_reason(PJ_E_STORE, reason, rlen,
			    "replay_cache %s: %s: no answer within redis_timeout "
			    "(%lld ms)", r->url, what, r->timeout_ms);
			return NULL;
		}
		errno = 0;
		if (redisSetTimeout(r->c, ms_tv(ms)) != REDIS_OK)
			break;
		if (!done) {
			if (redisBufferWrite(r->c, &done) != REDIS_OK)
				break;
			continue;
		}
		if (redisGetReplyFromReader(r->c, &rep) != REDIS_OK)
			break;
		if (rep != NULL)
			return rep;
		if (redisBufferRead(r->c) != REDIS_OK)
			break;
	}
	(void)conn_error(r, what, reason, rlen);
	return NULL;
}

/* One command within what is left of the deadline.  The reply, or NULL
 * with the reason written. */
static redisReply *
command(struct pj_redis *r, const char *what, int argc, const char **argv,
    const size_t *lens, char *reason, size_t rlen)
{
	redisReply *rep;
	long long ms = left_ms(r);

	if (ms <= 0) {
		(void)pj_reason(PJ_E_STORE, reason, rlen,
		    "replay_cache %s: %s: no answer within redis_timeout (%lld ms)",
		    r->url, what, r->timeout_ms);
		return NULL;
	}
	if (redisSetTimeout(r->c, ms_tv(ms)) != REDIS_OK) {
		(void)conn_error(r, what, reason, rlen);
		return NULL;
	}
	errno = 0;
	if (redisAppendCommandArgv(r->c, argc, argv, lens) != REDIS_OK) {
		(void)conn_error(r, what, reason, rlen);
		return NULL;
	}
	rep = read_reply(r, what, reason, rlen);
	return rep;
}

/* A reply that is not what the command answers when it worked. */
static int
reply_error(const struct pj_redis *r, const char *what, const redisReply *rep,
    char *reason, size_t rlen)
{
	char shown[PJ_LOGVAL_SIZE(ERR_SHOWN)];

	if (rep->type == REDIS_REPLY_ERROR) {
		char cut[ERR_SHOWN + 1];
		size_t n = rep->len < ERR_SHOWN ? rep->len : ERR_SHOWN;

		/* the server's words: capped, anything but printable ASCII
		 * shown as '?' */
		memcpy(cut, rep->str, n);
		cut[n] = '\0';
		pj_sanitize(shown, sizeof(shown), cut);
		return pj_reason(PJ_E_STORE, reason, rlen,
		    "replay_cache %s: %s: Redis answered %s", r->url, what, shown);
	}
	return pj_reason(PJ_E_STORE, reason, rlen,
	    "replay_cache %s: %s: unexpected answer (type %d)", r->url, what,
	    rep->type);
}

static int
is_ok(const redisReply *rep)
{
	return rep->type == REDIS_REPLY_STATUS && rep->len == 2 &&
	    memcmp(rep->str, "OK", 2) == 0;
}

/* AUTH without hiredis's output buffer (which it frees unwiped): the
 * command is formatted by hiredis into a buffer we wipe, sent on the
 * connection's socket (MSG_NOSIGNAL; the socket time-out is what is left of
 * the deadline), and the reply read by hiredis. */
static redisReply *
auth_command(struct pj_redis *r, int argc, const char **argv,
    const size_t *lens, char *reason, size_t rlen)
{
	redisReply *rep = NULL;
	char *cmd = NULL;
	long long ms = left_ms(r);
	size_t off = 0;
	ssize_t n;
	int len;

	if (ms <= 0 || redisSetTimeout(r->c, ms_tv(ms)) != REDIS_OK) {
		(void)pj_reason(PJ_E_STORE, reason, rlen,
		    "replay_cache %s: AUTH: no answer within redis_timeout (%lld "
		    "ms)", r->url, r->timeout_ms);
		return NULL;
	}
	len = redisFormatCommandArgv(&cmd, argc, argv, lens);
	if (len <= 0 || cmd == NULL) {
		(void)pj_reason(PJ_E_STORE, reason, rlen,
		    "replay_cache %s: AUTH: cannot format the command", r->url);
		return NULL;
	}
	while (off < (size_t)len) {
		n = send(r->c->fd, cmd + off, (size_t)len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			(void)pj_reason(PJ_E_STORE, reason, rlen,
			    "replay_cache %s: AUTH: %s", r->url,
			    n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ?
			    "no answer within redis_timeout" : strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	rep = read_reply(r, "AUTH", reason, rlen);
out:
	sodium_memzero(cmd, (size_t)len);
	redisFreeCommand(cmd);
	return rep;
}

/* The credentials file: "PASSWORD" or "USER PASSWORD", one line. */
static int
auth(struct pj_redis *r, const char *file, char *reason, size_t rlen)
{
	redisReply *rep = NULL;
	const char *argv[3];
	size_t lens[3];
	char *text = NULL, *sp;
	size_t len = 0;
	int r0, argc;

	r0 = pj_file_read(file, PJ_FILE_SECRET, PJ_REDIS_AUTH_MAX, PJ_E_KEY,
	    &text, &len, NULL, reason, rlen);
	if (r0 != PJ_OK) {
		pj_reason_prefix(reason, rlen, "redis_auth_file");
		goto out;
	}
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (len == 0 || memchr(text, '\0', len) != NULL || pj_has_ctl(text) ||
	    text[0] == ' ' || text[len - 1] == ' ') {
		r0 = pj_reason(PJ_E_KEY, reason, rlen,
		    "redis_auth_file %.128s: expected one line: PASSWORD, or USER "
		    "PASSWORD", file);
		goto out;
	}
	argv[0] = "AUTH";
	lens[0] = 4;
	sp = strchr(text, ' ');
	if (sp != NULL) {
		*sp = '\0';
		argv[1] = text;
		lens[1] = (size_t)(sp - text);
		argv[2] = sp + 1;
		lens[2] = len - lens[1] - 1;
		argc = 3;
	} else {
		argv[1] = text;
		lens[1] = len;
		argc = 2;
	}
	rep = auth_command(r, argc, argv, lens, reason, rlen);
	if (rep == NULL) {
		r0 = PJ_E_STORE;
		goto out;
	}
	if (!is_ok(rep)) {
		r0 = reply_error(r, "AUTH (the credentials of redis_auth_file)",
		    rep, reason, rlen);
		goto out;
	}
	r0 = PJ_OK;
out:
	if (rep != NULL)
		freeReplyObject(rep);
	pj_file_free(text, len + 1);
	return r0;
}

static void
block_sigpipe(struct pj_redis *r)
{
	sigset_t set, pend;

	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	if (pthread_sigmask(SIG_BLOCK, &set, &r->oldmask) != 0)
		return;
	r->masked = 1;
	r->pipe_was_pending = sigpending(&pend) == 0 &&
	    sigismember(&pend, SIGPIPE) == 1;
}

static void
restore_sigpipe(struct pj_redis *r)
{
	const struct timespec zero = { 0, 0 };
	sigset_t set, pend;

	if (!r->masked)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	/* a SIGPIPE our writes raised is ours: take it back */
	if (!r->pipe_was_pending && sigpending(&pend) == 0 &&
	    sigismember(&pend, SIGPIPE) == 1)
		(void)sigtimedwait(&set, NULL, &zero);
	(void)pthread_sigmask(SIG_SETMASK, &r->oldmask, NULL);
	r->masked = 0;
}

int
pj_redis_open(const struct pj_redis_conf *cf, struct pj_redis **out,
    char *reason, size_t rlen)
{
	struct pj_redis_url u;
	struct pj_redis *r = NULL;
	redisReply *rep = NULL;
	char dbs[8];
	const char *argv[2];
	size_t lens[2];
	long long ms;
	int r0 = PJ_E_INTERNAL;

	*out = NULL;
	r0 = pj_redis_parse_url(cf->url, &u, reason, rlen);
	if (r0 != PJ_OK)
		goto out;
	if (!u.unix_socket && pj_redis_host_kind(u.host) == PJ_REDIS_HOST_NAME) {
		r0 = pj_reason(PJ_E_CONFIG, reason, rlen,
		    "replay_cache: '%.160s' names a host: give a numeric address "
		    "or localhost (a name lookup is not bounded by redis_timeout)",
		    cf->url);
		goto out;
	}
	/* fails closed: no store, no revocation check, never success */
	r0 = pj_hiredis_load(reason, rlen);
	if (r0 != PJ_OK) {
		pj_reason_prefix(reason, rlen, "replay_cache %.160s", cf->url);
		goto out;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		r0 = PJ_E_NOMEM;
		goto out;
	}
	r->timeout_ms = cf->timeout_ms > 0 ? cf->timeout_ms :
	    PJ_REDIS_DEFAULT_TIMEOUT_MS;
	(void)snprintf(r->url, sizeof(r->url), "%s", cf->url);
	if (clock_gettime(CLOCK_MONOTONIC, &r->deadline) != 0) {
		r0 = pj_reason(PJ_E_STORE, reason, rlen, "replay_cache %s: no clock",
		    r->url);
		goto out;
	}
	r->deadline.tv_sec += (time_t)(r->timeout_ms / 1000);
	r->deadline.tv_nsec += (long)(r->timeout_ms % 1000) * 1000000L;
	if (r->deadline.tv_nsec >= 1000000000L) {
		r->deadline.tv_sec++;
		r->deadline.tv_nsec -= 1000000000L;
	}
	block_sigpipe(r);
	ms = left_ms(r);
	if (u.unix_socket)
		r->c = redisConnectUnixWithTimeout(u.path, ms_tv(ms));
	else
		/* numeric only: hiredis would resolve a name with a blocking
		 * getaddrinfo that no time-out bounds */
		r->c = redisConnectWithTimeout(strcmp(u.host, "localhost") == 0 ?
		    "127.0.0.1" : u.host, u.port, ms_tv(ms));
	if (r->c == NULL) {
		r0 = PJ_E_NOMEM;
		goto out;
	}
	if (r->c->err != 0) {
		r0 = conn_error(r, "cannot connect", reason, rlen);
		goto out;
	}
	/* hiredis 0.14 opens its socket without SOCK_CLOEXEC: a program
	 * that the host process runs must not inherit it */
	(void)fcntl(r->c->fd, F_SETFD, FD_CLOEXEC);
	if (cf->auth_file != NULL &&
	    (r0 = auth(r, cf->auth_file, reason, rlen)) != PJ_OK)
		goto out;
	if (u.db != 0) {
		(void)snprintf(dbs, sizeof(dbs), "%lld", u.db);
		argv[0] = "SELECT";
		lens[0] = 6;
		argv[1] = dbs;
		lens[1] = strlen(dbs);
		rep = command(r, "SELECT", 2, argv, lens, reason, rlen);
		if (rep == NULL) {
			r0 = PJ_E_STORE;
			goto out;
		}
		if (!is_ok(rep)) {
			r0 = reply_error(r, "SELECT", rep, reason, rlen);
			goto out;
		}
	}
	*out = r; /* transferred */
	r = NULL;
	r0 = PJ_OK;
out:
	if (rep != NULL)
		freeReplyObject(rep);
	pj_redis_close(r);
	return r0;
}

void
pj_redis_close(struct pj_redis *r)
{
	if (r == NULL)
		return;
	if (r->c != NULL)
		redisFree(r->c);
	restore_sigpipe(r);
	free(r);
}

static long long
ttl_ms(long long until, long long now)
{
	long long s = until - now;

	if (s < 1)
		s = 1;
	if (s > TTL_CAP)
		s = TTL_CAP;
	return s * 1000;
}

int
pj_redis_record(struct pj_redis *r, const char *key, long long until,
    long long now, char *reason, size_t rlen)
{
	redisReply *rep = NULL;
	char val[24], px[24];
	const char *argv[6];
	size_t lens[6], i;
	int r0 = PJ_E_INTERNAL;

	(void)snprintf(val, sizeof(val), "%lld", until);
	(void)snprintf(px, sizeof(px), "%lld", ttl_ms(until, now));
	argv[0] = "SET";
	argv[1] = key;
	argv[2] = val;
	argv[3] = "NX";
	argv[4] = "PX";
	argv[5] = px;
	for (i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	rep = command(r, "SET NX", 6, argv, lens, reason, rlen);
	if (rep == NULL) {
		r0 = PJ_E_STORE;
		goto out;
	}
	if (rep->type == REDIS_REPLY_NIL) {
		r0 = pj_reason(PJ_E_REPLAY, reason, rlen,
		    "token already used (single_use, Redis store)");
		goto out;
	}
	if (!is_ok(rep)) {
		r0 = reply_error(r, "SET NX", rep, reason, rlen);
		goto out;
	}
	r0 = PJ_OK;
out:
	if (rep != NULL)
		freeReplyObject(rep);
	return r0;
}

int
pj_redis_get_numbers(struct pj_redis *r, const char *const *keys, size_t n,
    long long *vals, char *reason, size_t rlen)
{
	redisReply *rep = NULL, *e;
	const char *argv[8];
	size_t lens[8], i;
	char num[24];
	int r0 = PJ_E_INTERNAL;

	if (n == 0 || n > 7) {
		r0 = PJ_E_INTERNAL;
		goto out;
	}
	argv[0] = "MGET";
	lens[0] = 4;
	for (i = 0; i < n; i++) {
		argv[i + 1] = keys[i];
		lens[i + 1] = strlen(keys[i]);
	}
	rep = command(r, "MGET", (int)n + 1, argv, lens, reason, rlen);
	if (rep == NULL) {
		r0 = PJ_E_STORE;
		goto out;
	}
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != n) {
		r0 = reply_error(r, "MGET", rep, reason, rlen);
		goto out;
	}
	for (i = 0; i < n; i++) {
		e = rep->element[i];
		if (e->type == REDIS_REPLY_NIL) {
			vals[i] = -1;
			continue;
		}
		if (e->type != REDIS_REPLY_STRING || e->len == 0 ||
		    e->len >= sizeof(num)) {
			r0 = reply_error(r, "MGET", e, reason, rlen);
			goto out;
		}
		memcpy(num, e->str, e->len);
		num[e->len] = '\0';
		if (pj_parse_ll(num, 0, LLONG_MAX, &vals[i]) != 0) {
			r0 = pj_reason(PJ_E_STORE, reason, rlen,
			    "replay_cache %s: a revocation key holds no number "
			    "(written by something other than pamjwt revoke?)",
			    r->url);
			goto out;
		}
	}
	r0 = PJ_OK;
out:
	if (rep != NULL)
		freeReplyObject(rep);
	return r0;
}

/* Keep the larger of the old and new value; ARGV[2] is the time to live
 * in ms, "0" for none. */
static const char KEEP_MAX_LUA[] =
    "local o = tonumber(redis.call('GET', KEYS[1]))\n"
    "if o ~= nil and o >= tonumber(ARGV[1]) then return 0 end\n"
    "if ARGV[2] == '0' then redis.call('SET', KEYS[1], ARGV[1])\n"
    "else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end\n"
    "return 1\n";

int
pj_redis_put(struct pj_redis *r, const char *key, long long value,
    long long until, long long now, int keep_max, char *reason, size_t rlen)
{
	redisReply *rep = NULL;
	char val[24], px[24];
	const char *argv[6];
	size_t lens[6], i;
	int argc, r0 = PJ_E_INTERNAL;

	(void)snprintf(val, sizeof(val), "%lld", value);
	(void)snprintf(px, sizeof(px), "%lld", until == 0 ? 0 : ttl_ms(until, now));
	if (keep_max) {
		argv[0] = "EVAL";
		argv[1] = KEEP_MAX_LUA;
		argv[2] = "1";
		argv[3] = key;
		argv[4] = val;
		argv[5] = px;
		argc = 6;
	} else {
		argv[0] = "SET";
		argv[1] = key;
		argv[2] = val;
		argv[3] = "PX";
		argv[4] = px;
		argc = until == 0 ? 3 : 5;
	}
	for (i = 0; i < (size_t)argc; i++)
		lens[i] = strlen(argv[i]);
	rep = command(r, argv[0], argc, argv, lens, reason, rlen);
	if (rep == NULL) {
		r0 = PJ_E_STORE;
		goto out;
	}
	if (keep_max ? rep->type != REDIS_REPLY_INTEGER : !is_ok(rep)) {
		r0 = reply_error(r, argv[0], rep, reason, rlen);
		goto out;
	}
	r0 = PJ_OK;
out:
	if (rep != NULL)
		freeReplyObject(rep);
	return r0;
}

int
pj_redis_del(struct pj_redis *r, const char *key, int *removed, char *reason,
    size_t rlen)
{
	redisReply *rep = NULL;
	const char *argv[2];
	size_t lens[2];
	int r0 = PJ_E_INTERNAL;

	*removed = 0;
	argv[0] = "DEL";
	lens[0] = 3;
	argv[1] = key;
	lens[1] = strlen(key);
	rep = command(r, "DEL", 2, argv, lens, reason, rlen);
	if (rep == NULL) {
		r0 = PJ_E_STORE;
		goto out;
	}
	if (rep->type != REDIS_REPLY_INTEGER) {
		r0 = reply_error(r, "DEL", rep, reason, rlen);
		goto out;
	}
	*removed = rep->integer > 0;
	r0 = PJ_OK;
out:
	if (rep != NULL)
		freeReplyObject(rep);
	return r0;
}
