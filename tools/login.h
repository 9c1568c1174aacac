/* login.h - `pamjwt login`, `logout`, `ssh` and the token cache they share
 * with `pamjwt askpass` (tools/login.c, tools/login_flow.c, tools/cache.c).
 *
 * The user signs in at the OpenID Provider (device grant or authorization
 * code with PKCE on a loopback redirect); the token is verified here with
 * the module's own verifier (lib/) and kept in a per-user cache file that
 * askpass hands to ssh and sudo.
 */
#ifndef PJT_LOGIN_H
#define PJT_LOGIN_H

#include <stddef.h>

#include "http.h"

/* System and per-user configuration (key = value lines). */
#define PJT_LOGIN_SYSTEM_CONF "/etc/pamjwt/login.conf"
#define PJT_LOGIN_USER_CONF "pamjwt/login.conf"   /* under $XDG_CONFIG_HOME
                                                    * or ~/.config */
#define PJT_LOGIN_CONF_MAX (64 * 1024)
/* A cached token is used until this many seconds before its exp; then it
 * is renewed (refresh token) or a new login is asked for. */
#define PJT_LOGIN_RENEW_BEFORE 60
/* The whole wait for the user (device grant, browser), default and cap */
#define PJT_LOGIN_WAIT_DEFAULT 600
#define PJT_LOGIN_WAIT_MAX 3600
/* Answers of the provider's endpoints */
#define PJT_LOGIN_ANSWER_MAX (64 * 1024)
/* A cache file */
#define PJT_CACHE_MAX (64 * 1024)

enum pjt_token_kind { PJT_TOKEN_ID = 0, PJT_TOKEN_ACCESS = 1 };

struct pjt_login_conf {
	char *issuer;
	char *client_id;
	char *ca_file;
	char *scope;          /* default "openid" (+ what the user adds) */
	char *audience;       /* the hosts' audience: access tokens (required
	                       * there); for ID tokens the client id */
	char *resource;       /* RFC 8707 resource indicator (access tokens);
	                       * default: audience */
	enum pjt_token_kind kind;
	int flow_browser;     /* 1: authorization code + PKCE; 0: device grant */
	long long wait;       /* seconds to wait for the user */
	int no_qr;
	int open_browser;     /* run xdg-open on the authorization URL */
};

void pjt_login_conf_init(struct pjt_login_conf *c);
void pjt_login_conf_free(struct pjt_login_conf *c);
/* Apply one key = value (from a file or an option).  0 or -1 with err. */
int pjt_login_conf_set(struct pjt_login_conf *c, const char *key,
    const char *value, char *err, size_t errlen);
/* Parse a configuration text (name for messages).  0 or -1 with err. */
int pjt_login_conf_parse(struct pjt_login_conf *c, const char *text,
    size_t len, const char *name, char *err, size_t errlen);
/* The system file, then user_file (NULL: the per-user default), each only
 * if it exists (user_file given explicitly must exist).  0 or -1. */
int pjt_login_conf_load(struct pjt_login_conf *c, const char *user_file,
    char *err, size_t errlen);
/* The environment's PAMJWT_ISSUER, PAMJWT_CLIENT_ID, PAMJWT_CA_FILE,
 * PAMJWT_TOKEN_KIND, PAMJWT_AUDIENCE, PAMJWT_RESOURCE over the files (what
 * `pamjwt ssh` and `login --exec` hand to askpass).  0 or -1. */
int pjt_login_conf_env(struct pjt_login_conf *c, char *err, size_t errlen);
/* issuer and client id present, audience for access tokens.  0 or -1. */
int pjt_login_conf_check(const struct pjt_login_conf *c, char *err,
    size_t errlen);
/* The audience a host expects: the configured audience, else (ID tokens)
 * the client id. */
const char *pjt_login_expected_aud(const struct pjt_login_conf *c);

/* --- the cache (tools/cache.c) --- */
struct pjt_cache_entry {
	char *issuer;
	char *client_id;
	char *audience;       /* the audience the token was checked for */
	char *kind;           /* "id" or "access" */
	char *token;
	char *refresh_token;  /* or NULL */
	long long exp;        /* the token's exp */
};

/* The cache directory ($XDG_CACHE_HOME/pamjwt or ~/.cache/pamjwt) into buf;
 * with create, made (0700) if missing.  Its permissions are checked: owned
 * by the user, no access for group or others.  0, or -1 with a message
 * that says how to fix it. */
int pjt_cache_dir(char *buf, size_t len, int create, char *err,
    size_t errlen);
/* The file of one (issuer, client id, kind, audience) inside the dir. */
int pjt_cache_path(const struct pjt_login_conf *c, int create, char *buf,
    size_t len, char *err, size_t errlen);
/* Read an entry.  0 read, 1 no such file, -1 refused (permissions, owner,
 * a link, malformed) with err saying how to fix it. */
int pjt_cache_read(const char *path, struct pjt_cache_entry *e, char *err,
    size_t errlen);
/* Parse a cache file's text (0 or -1): the fuzzer's entry point too. */
int pjt_cache_parse(const char *text, size_t len, struct pjt_cache_entry *e,
    char *err, size_t errlen);
/* Write an entry atomically, mode 0600.  0 or -1 with err. */
int pjt_cache_write(const char *path, const struct pjt_cache_entry *e,
    char *err, size_t errlen);
void pjt_cache_entry_free(struct pjt_cache_entry *e);

/* --- the flows (tools/login_flow.c) --- */
enum pjt_obtain {
	PJT_OBTAIN_LOGIN,   /* cache, refresh, else a new sign-in */
	PJT_OBTAIN_RENEW,   /* cache, else refresh; never a sign-in */
	PJT_OBTAIN_CACHED,  /* the cache alone, no network */
};
/* askpass sends a token that is good for at least this many more seconds
 * (the login it answers must finish), renewing it otherwise */
#define PJT_ASKPASS_MARGIN 15

/* A token for c: from the cache while it is good for more than margin
 * seconds, else (mode permitting) renewed with the refresh token, else a
 * new sign-in.  *out is the token (the caller wipes and frees it).
 * force: sign in even if a token is cached.  A cached token for another
 * audience or issuer is never returned or renewed.  0, or -1 with the
 * reason on stderr. */
int pjt_login_obtain(const struct pjt_login_conf *c, enum pjt_obtain mode,
    int force, long long margin, char **out);

/* For askpass, the token whose piece part (1, 2, ...) is asked for: the
 * cached token for the host's audience; for part 1 renewed if it is about
 * to expire and a refresh token exists; never one for another audience.
 * 0, or -1 with the reason on stderr. */
int pjt_login_askpass_token(unsigned long part, char **out);

/* Verify a token the provider issued (tools/login_flow.c): signature
 * against keys (a JWK Set text), iss, aud, exp, and nonce when given.
 * *exp receives its exp.  0 or -1 with err. */
int pjt_login_check_token(const char *token, const char *jwks,
    size_t jwks_len, const char *issuer, const char *aud,
    const char *client_id, const char *nonce, long long now,
    long long *exp, char *err, size_t errlen);

/* The claim aud of a token (not verified: a cache entry's own token) holds
 * want, iss equals issuer, and exp lies more than margin seconds ahead.
 * 1 yes; 0 it expires (renewable); -1 another audience or issuer, or
 * malformed (never to be sent); why in err. */
int pjt_login_token_fits(const char *token, const char *issuer,
    const char *want, long long now, long long margin, char *err,
    size_t errlen);

int cmd_login(int argc, char **argv);
int cmd_logout(int argc, char **argv);
int cmd_ssh(int argc, char **argv);

#endif
