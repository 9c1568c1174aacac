/* redis.h - the shared store on Redis (pam_jwt.conf(5), Fleet): single-use
 * records and revocation keys, through hiredis.
 *
 * One connection per use (no state survives a call: the module runs inside
 * sshd and sudo, across fork()), every wait bounded by one deadline, and any
 * error or unexpected reply is PJ_E_STORE: never success. */
#ifndef PJ_REDIS_H
#define PJ_REDIS_H

#include <stddef.h>

#define PJ_REDIS_DEFAULT_PREFIX "pam_jwt:"
#define PJ_REDIS_DEFAULT_TIMEOUT_MS 1500
#define PJ_REDIS_TIMEOUT_MAX_MS 60000
#define PJ_REDIS_PREFIX_MAX 64
#define PJ_REDIS_HOST_MAX 255
#define PJ_REDIS_PATH_MAX 107 /* sun_path less its NUL */
#define PJ_REDIS_DB_MAX 65535
#define PJ_REDIS_AUTH_MAX 1024 /* the credentials file, bytes */

/* What a replay_cache value names. */
struct pj_redis_url {
	int unix_socket;                     /* redis+unix:// */
	char host[PJ_REDIS_HOST_MAX + 1];    /* TCP: name or address */
	int port;
	char path[PJ_REDIS_PATH_MAX + 1];    /* unix socket */
	long long db;
};

/* 1 if s begins like a Redis URL (redis:// or redis+unix://): the caller
 * then parses it with pj_redis_parse_url, never as a path. */
int pj_redis_is_url(const char *s);

/* redis://HOST[:PORT][/DB] (HOST a name, an IPv4 address or [IPv6]; PORT
 * 6379 when left out) or redis+unix:///PATH[?db=DB].  Credentials in the URL
 * are refused (they belong in redis_auth_file).  PJ_OK or PJ_E_CONFIG. */
int pj_redis_parse_url(const char *s, struct pj_redis_url *u, char *reason,
    size_t rlen) __attribute__((warn_unused_result));

/* What a URL's TCP host is (issue 18 F4, F5).  hiredis 0.14 speaks no
 * TLS: only a loopback address keeps an attacker on the path from
 * answering for Redis; and a host name would be resolved by a blocking
 * call that redis_timeout does not bound.  "localhost" is taken as
 * 127.0.0.1, without a lookup. */
enum pj_redis_host {
	PJ_REDIS_HOST_NAME,      /* a name: refused */
	PJ_REDIS_HOST_LOOPBACK,  /* 127.0.0.0/8, ::1, localhost */
	PJ_REDIS_HOST_REMOTE,    /* another numeric address */
};
enum pj_redis_host pj_redis_host_kind(const char *host);

/* The rule for where Redis may be, for the module (replay_cache) and for
 * pamjwt revoke (--redis): a Unix socket or a loopback address; another
 * numeric address only with insecure (redis_insecure_network,
 * --insecure-network); never a name.  PJ_OK, or PJ_E_CONFIG with a reason
 * that begins with what (the setting's name) and, for a remote address,
 * ends by naming allow (how to permit it).  u: the parsed URL. */
int pj_redis_where_ok(const struct pj_redis_url *u, int insecure,
    const char *what, const char *allow, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* Where and how to connect. */
struct pj_redis_conf {
	const char *url;         /* replay_cache */
	const char *auth_file;   /* NULL: no AUTH */
	const char *prefix;      /* NULL: PJ_REDIS_DEFAULT_PREFIX */
	long long timeout_ms;    /* the whole exchange, connect included */
};

struct pj_redis;

/* Connect, AUTH (with the file's credentials, wiped after use), SELECT.
 * SIGPIPE is blocked in the calling thread until pj_redis_close (one that
 * our writes raised is taken back there): a closed socket must not kill
 * the host process.  PJ_OK, PJ_E_STORE (unreachable, slow, refused),
 * PJ_E_KEY (credentials file unusable), PJ_E_CONFIG, PJ_E_NOMEM. */
int pj_redis_open(const struct pj_redis_conf *cf, struct pj_redis **out,
    char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* Accepts NULL. */
void pj_redis_close(struct pj_redis *r);

/* The key kinds under the prefix: a single-use record, and the three
 * revocations.  The key is PREFIX KIND ":" hex(BLAKE2b-256 of a tag byte,
 * the length of a as 8 bytes little-endian, a, then b): no value from a
 * token reaches a key name. */
enum pj_redis_kind {
	PJ_REDIS_USE = 'u',      /* a = iss (or absent), b = jti */
	PJ_REDIS_REV_JTI = 'j',  /* a = iss, b = jti */
	PJ_REDIS_REV_SUB = 's',  /* a = iss, b = sub */
	PJ_REDIS_REV_KID = 'k',  /* a = kid, b absent */
};
#define PJ_REDIS_KEY_MAX (PJ_REDIS_PREFIX_MAX + 3 + 64)

/* a may be NULL (absent: tagged apart from the empty string). */
void pj_redis_key(const char *prefix, enum pj_redis_kind kind, const char *a,
    size_t alen, const char *b, size_t blen, char out[PJ_REDIS_KEY_MAX + 1]);

/* SET key until NX PX (until - now) seconds: PJ_OK (first use), PJ_E_REPLAY
 * (the key existed), PJ_E_STORE. */
int pj_redis_record(struct pj_redis *r, const char *key, long long until,
    long long now, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* GET of n keys at once (MGET).  vals[i] receives the value as a number
 * (values are decimal), or -1 when the key does not exist.  PJ_OK or
 * PJ_E_STORE (also for a value that is not a number). */
int pj_redis_get_numbers(struct pj_redis *r, const char *const *keys,
    size_t n, long long *vals, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* Store value under key until `until` (0: forever).  With keep_max, an
 * existing larger value is kept (a subject's "before" time only grows).
 * PJ_OK or PJ_E_STORE. */
int pj_redis_put(struct pj_redis *r, const char *key, long long value,
    long long until, long long now, int keep_max, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* DEL key; *removed 1 if it existed.  PJ_OK or PJ_E_STORE. */
int pj_redis_del(struct pj_redis *r, const char *key, int *removed,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

#endif
