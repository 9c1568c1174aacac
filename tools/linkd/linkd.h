/* linkd.h - pamjwt-linkd, the magic-link issuing service (pamjwt-linkd(8)).
 *
 * One file per concern, like lib/:
 *   conf.c   the config file (one struct lf_conf, parsed once, then const)
 *   dir.c    the directory file: accounts to e-mail addresses
 *   form.c   application/x-www-form-urlencoded bodies, HTML escaping, the
 *            growable text buffer pages and mails are written into
 *   store.c  the links (hashed ids, single use) and the rate limits
 *   mail.c   the message (checked header values) and its delivery through
 *            libcurl's SMTP, on a worker thread off the request path
 *   mint.c   the token, signed by tools/sign.c
 *   http.c   the pages, on libmicrohttpd
 *   main.c   the command line: serve, send, check
 * None of them logs on its own but http.c (the audit line) and main.c.
 */
#ifndef LF_LINKD_H
#define LF_LINKD_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#include "lib/text.h"

#define LF_ID_BYTES 32                  /* random bytes of a link id */
#define LF_ID_LEN 43                    /* their base64url length */
#define LF_HASH_BYTES 32                /* SHA-256 of the id: what is stored */
#define LF_ACCOUNT_MAX 32               /* pj_user_name_valid's limit */
#define LF_ADDR_MAX 254                 /* RFC 5321 path limit */
#define LF_INPUT_MAX 254                /* the form's account-or-address field */
#define LF_KIND_MAX 8
#define LF_KIND_NAME_MAX 32
#define LF_CONF_MAX (64 * 1024)
#define LF_DIR_MAX (1024 * 1024)
#define LF_REASON_MAX 256

/* ------------------------------------------------------------ conf.c */

enum lf_show { LF_SHOW_SSH, LF_SHOW_SUDO };

struct lf_kind {
	char *name;             /* "login", "sudo": [kind NAME] */
	char *scope;            /* the token's scope claim, or NULL */
	char *audience;         /* overrides the global audience */
	long long token_ttl;    /* 0: the global one */
	enum lf_show show;      /* which commands the token page shows */
	int web;                /* may be asked for on the web form */
};

struct lf_conf {
	char *path;
	/* listening */
	char *listen_addr;      /* numeric IPv4 or IPv6 */
	unsigned int listen_port;
	char *base_url;         /* what links in mails start with */
	char *tls_cert_file, *tls_key_file;
	int hsts;               /* Strict-Transport-Security: on with TLS */
	long long hsts_max_age;
	int trust_proxy;        /* take the client from X-Forwarded-For */
	unsigned int max_connections, max_per_client, threads;
	unsigned int connection_timeout;
	/* what and for whom */
	char *directory;
	char *host;             /* shown: ssh USER@HOST */
	char *audience;         /* default: host */
	char *issuer;
	char *key_file, *alg, *kid;
	long long token_ttl, link_ttl;
	struct lf_kind kinds[LF_KIND_MAX];
	size_t nkinds;
	/* mail */
	char *smtp_url, *mail_from, *mail_subject;
	char *smtp_user, *smtp_password_file, *smtp_ca_file;
	int smtp_starttls;      /* 0 none, 1 try, 2 required */
	long long smtp_timeout;
	unsigned int mail_queue;
	/* limits */
	long long rate_window;
	unsigned int rate_per_account, rate_per_client, rate_per_input;
	unsigned int max_links, rate_slots, rate_mails;
	/* administration */
	char *admin_secret_file;
	char *admin_url;        /* what `send` talks to; default from listen */
	char *admin_ca_file;
};

/* Read and check the config file.  PJ_OK, PJ_E_CONFIG (reason: FILE:LINE:
 * what) or PJ_E_NOMEM.  The struct is filled with the defaults first. */
int lf_conf_load(const char *path, struct lf_conf *c, char *reason,
    size_t rlen) __attribute__((warn_unused_result));
/* The same on text already read (the fuzz target's way in). */
int lf_conf_parse(const char *text, size_t len, const char *name,
    struct lf_conf *c, char *reason, size_t rlen)
    __attribute__((warn_unused_result));
void lf_conf_free(struct lf_conf *c);
const struct lf_kind *lf_conf_kind(const struct lf_conf *c, const char *name);

/* ------------------------------------------------------------ dir.c */

/* Lines "PATTERN ADDRESS" ('#' comments, blank lines): PATTERN an account
 * name or a glob (* and ?) as in the module's user_map; ADDRESS an e-mail
 * address in which %s stands for the account.  The first matching line
 * wins.  Every line is checked, and every lookup reads every line (the
 * same work for a known and an unknown account). */

/* Check the whole text: PJ_OK or PJ_E_CONFIG naming name:line. */
int lf_dir_check(const char *text, size_t len, const char *name,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

/* Who asked: an account name, or an address (it holds '@').  1 and the
 * account and its address (written into the buffers) when the directory
 * knows them, 0 when not.  The text must have passed lf_dir_check. */
int lf_dir_lookup(const char *text, size_t len, const char *who,
    char account[LF_ACCOUNT_MAX + 1], char addr[LF_ADDR_MAX + 1]);

/* 1 if s is an address that may go into a mail header and an SMTP
 * command: 3..254 printable ASCII bytes, no space, quote, angle bracket,
 * comma, semicolon, backslash or parenthesis, exactly one '@' with text on
 * both sides. */
int lf_addr_valid(const char *s);

/* A directory file that follows its changes (re-read when its size, mtime,
 * inode or ctime change; thread-safe). */
struct lf_dir {
	pthread_mutex_t lock;
	char *path;
	char *text;
	size_t len;
	struct timespec mtime, ctime;
	unsigned long long ino, size;
};
int lf_dir_open(struct lf_dir *d, const char *path, char *reason,
    size_t rlen) __attribute__((warn_unused_result));
/* Refresh if changed (a broken new version keeps the old one: *reason
 * says why, and the return is PJ_E_CONFIG, yet the lookup is done), then
 * lf_dir_lookup. */
int lf_dir_find(struct lf_dir *d, const char *who,
    char account[LF_ACCOUNT_MAX + 1], char addr[LF_ADDR_MAX + 1],
    int *found, char *reason, size_t rlen);
void lf_dir_close(struct lf_dir *d);

/* ------------------------------------------------------------ form.c */

/* A growable text buffer; every append is bounded by cap.  On overflow or
 * allocation failure the buffer is marked failed and stays so. */
struct lf_buf {
	char *s;
	size_t len, alloc, cap;
	int failed;
};
void lf_buf_init(struct lf_buf *b, size_t cap);
void lf_buf_add(struct lf_buf *b, const char *s);
void lf_buf_addn(struct lf_buf *b, const char *s, size_t n);
void lf_buf_printf(struct lf_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* s HTML-escaped (& < > " ' and every byte outside printable ASCII as a
 * numeric reference, so that nothing can end an attribute or a text). */
void lf_buf_html(struct lf_buf *b, const char *s);
/* Wipe and free. */
void lf_buf_free(struct lf_buf *b);

#define LF_FORM_BODY_MAX 4096
#define LF_FORM_FIELDS 4
#define LF_FORM_VALUE_MAX 512

struct lf_form {
	char *name[LF_FORM_FIELDS];
	char *value[LF_FORM_FIELDS];
	size_t n;
};

/* Parse body[0..len) as application/x-www-form-urlencoded: at most
 * LF_FORM_FIELDS fields, names from [a-z_], values at most
 * LF_FORM_VALUE_MAX bytes decoded, no control byte and no NUL after
 * decoding, no field twice.  0, or -1 (malformed; nothing kept). */
int lf_form_parse(const char *body, size_t len, struct lf_form *f)
	__attribute__((warn_unused_result));
const char *lf_form_get(const struct lf_form *f, const char *name);
void lf_form_free(struct lf_form *f);

/* ------------------------------------------------------------ store.c */

enum lf_link_state {
	LF_LINK_UNKNOWN,        /* no such id (forged, truncated, pruned) */
	LF_LINK_VALID,
	LF_LINK_USED,
	LF_LINK_EXPIRED,
};

struct lf_link {
	unsigned char hash[LF_HASH_BYTES];
	char account[LF_ACCOUNT_MAX + 1];
	size_t kind;
	time_t created, expires, used;
};

struct lf_rate {
	unsigned char key[16];
	time_t start;
	unsigned int count;
};

struct lf_store {
	pthread_mutex_t lock;
	struct lf_link *links;
	size_t nlinks, maxlinks;
	struct lf_rate *rates;
	size_t nrates;
	long long window;
	time_t mail_start;      /* lf_rate_global: one window for all */
	unsigned int mail_count;
};

int lf_store_init(struct lf_store *s, size_t maxlinks, size_t rate_slots,
    long long window) __attribute__((warn_unused_result));
void lf_store_free(struct lf_store *s);
/* 1 if s is shaped like a link id (LF_ID_LEN base64url characters). */
int lf_id_valid(const char *s);
/* A new random id (NUL-terminated) and its hash. */
void lf_id_new(char id[LF_ID_LEN + 1], unsigned char hash[LF_HASH_BYTES]);
void lf_id_hash(const char *id, unsigned char hash[LF_HASH_BYTES]);
/* Keep a link.  0, or -1 when the store is full of live links.  keep = 0
 * does the same work and keeps nothing (an unknown account's twin). */
int lf_store_add(struct lf_store *s, const unsigned char hash[LF_HASH_BYTES],
    const char *account, size_t kind, time_t now, long long ttl, int keep);
/* What the link is (a copy into *out when known). */
enum lf_link_state lf_store_peek(struct lf_store *s,
    const unsigned char hash[LF_HASH_BYTES], time_t now, struct lf_link *out);
/* Use the link up: LF_LINK_VALID exactly once per link (it is then marked
 * used), whatever the number of threads asking at once. */
enum lf_link_state lf_store_take(struct lf_store *s,
    const unsigned char hash[LF_HASH_BYTES], time_t now, struct lf_link *out);
/* Undo lf_store_take when the token could not be made. */
void lf_store_untake(struct lf_store *s, const unsigned char hash[LF_HASH_BYTES]);
/* Count one event for key (any bytes; "client:" / "account:" prefixes keep
 * the families apart) in the current window: 1 if it is within limit. */
int lf_rate_allow(struct lf_store *s, const char *key, unsigned int limit,
    time_t now);
/* The cap on mails of the whole service in the current window (rate_mails):
 * 1 if one more is within limit, counted only if count is non-zero (an
 * unknown account makes the same call without counting). */
int lf_rate_global(struct lf_store *s, unsigned int limit, int count,
    time_t now);

/* ------------------------------------------------------------ mail.c */

struct lf_mail {
	char to[LF_ADDR_MAX + 1];
	char account[LF_ACCOUNT_MAX + 1];
	char kind[LF_KIND_NAME_MAX + 1];
	char link_hash8[17];    /* for the log line: never the id */
	char *message;          /* the whole RFC 5322 message, CRLF lines */
	size_t len;
};

/* The message for a link (header values checked: no CR, LF or other
 * control byte).  0, or -1 when a value is unfit.  m->to etc. are set. */
int lf_mail_build(const struct lf_conf *c, const struct lf_kind *k,
    const char *account, const char *addr, const char *url, time_t expires,
    struct lf_mail *m) __attribute__((warn_unused_result));
void lf_mail_clear(struct lf_mail *m);
/* Send one message now through libcurl (blocking, bounded by
 * smtp_timeout).  0, or -1 with the reason. */
int lf_mail_send(const struct lf_conf *c, const struct lf_mail *m,
    char *reason, size_t rlen);

/* The worker: a bounded queue and one thread that sends. */
struct lf_mailer {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	const struct lf_conf *conf;
	struct lf_mail *queue;
	size_t head, count, cap;
	int stop, started;
};
int lf_mailer_start(struct lf_mailer *q, const struct lf_conf *c)
	__attribute__((warn_unused_result));
/* Queue m (taken over: *m is emptied).  0, or -1 when the queue is full
 * (m is then cleared).  keep = 0 does the same work and queues nothing
 * (m is cleared): the twin of a push for an unknown account. */
int lf_mailer_push(struct lf_mailer *q, struct lf_mail *m, int keep);
/* Send what is queued, then stop the thread. */
void lf_mailer_stop(struct lf_mailer *q);

/* ------------------------------------------------------------ mint.c */

struct pj_signer;
struct lf_minter {
	struct pj_signer *signer;
	unsigned int alg;
};
int lf_minter_load(const struct lf_conf *c, struct lf_minter *m,
    char *reason, size_t rlen) __attribute__((warn_unused_result));
/* A signed token for account and kind: iss, sub, aud, iat, exp, jti
 * (fresh, random), scope.  *tok is new (a credential: wipe before free);
 * *jti_out (may be NULL) receives the jti for the audit line. */
int lf_mint(const struct lf_conf *c, const struct lf_minter *m,
    const struct lf_kind *k, const char *account, time_t now, char **tok,
    char jti_out[LF_ID_LEN + 1], char *reason, size_t rlen)
    __attribute__((warn_unused_result));
void lf_minter_free(struct lf_minter *m);

/* ------------------------------------------------------------ http.c */

struct lf_server;
int lf_serve(const struct lf_conf *c);

#endif
