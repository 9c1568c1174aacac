/* options.h - the one options struct, filled once from defaults, the config
 * file (global keys, then the [service NAME] section) and module arguments. */
#ifndef PJ_OPTIONS_H
#define PJ_OPTIONS_H

#include <stddef.h>

#include "text.h"

#define PJ_DEFAULT_CONFIG "/etc/security/pam_jwt.conf"
#define PJ_DEFAULT_REPLAY_CACHE "/var/lib/pam_jwt/replay"
#define PJ_DEFAULT_PROMPT "Token: "
#define PJ_DEFAULT_LEEWAY 60
/* The largest leeway any configuration may set.  A single_use record lives
 * until exp + PJ_LEEWAY_MAX: services (and config files) sharing one store
 * may set different leeways, and none may accept the token again. */
#define PJ_LEEWAY_MAX 86400
#define PJ_DEFAULT_MIN_UID 1000
#define PJ_CONFIG_MAX (64 * 1024)
#define PJ_CONFIG_LINE_MAX 4096


/* Where a value came from; a later level overrides an earlier one.  An
 * [issuer URL] section applies between the global keys and the [service]
 * section (lib/bind.h). */
enum pj_level {
	PJ_LEVEL_FILE = 0,
	PJ_LEVEL_ISSUER = 1,
	PJ_LEVEL_SECTION = 2,
	PJ_LEVEL_ARG = 3,
};
#define PJ_LEVELS 4

/* Refresh requests (lib/refresh.h): the default interval. */
#define PJ_DEFAULT_REFRESH_INTERVAL 60

struct pj_options;

/* One [issuer URL] section: the whole options for the tokens whose iss is
 * exactly issuer (global keys, the section, the [service] section and the
 * module arguments, with issuer = this URL alone). */
struct pj_binding {
	char *issuer;
	struct pj_options *o;
};

struct pj_options {
	char *config;              /* the file read, NULL if none */
	char *secret_file;
	char *public_key_file;
	char *jwks_file;
	unsigned int algorithms;   /* enum pj_alg bits; 0 = not narrowed */
	struct pj_strlist issuer;
	struct pj_strlist audience;
	long long leeway;
	long long max_ttl;         /* -1 = off */
	long long max_age;         /* -1 = off */
	char *typ;
	struct pj_strlist require_claim; /* "NAME=VALUE" */
	char *user_claim;
	char *user_map;
	int allow_root;
	long long min_uid;
	int single_use;
	char *replay_cache;        /* a directory, or a Redis URL (redis.h) */
	char *redis_auth_file;     /* Redis credentials, NULL none */
	char *redis_prefix;        /* key prefix (default pam_jwt:) */
	long long redis_timeout;   /* ms, the whole Redis exchange */
	int redis_insecure_network; /* redis:// to a non-loopback address */
	char *revoked_file;        /* revocation list, NULL none */
	char *prompt;
	int use_first_pass;
	int try_first_pass;
	int keep_authtok;
	int debug;
	struct pj_strlist require_true; /* claims that must be JSON true */
	char *refresh_request;     /* file to touch for an unknown kid, or NULL */
	long long refresh_interval;
	/* [issuer URL] sections (lib/bind.h), built by pj_options_load */
	struct pj_binding *bind;
	size_t nbind;
	struct pj_strlist issuer_sections; /* their names, in file order */
	char *bind_issuer;         /* set: this is the binding of that issuer */
	/* bookkeeping for the setter */
	unsigned long long seen[PJ_LEVELS];  /* per level: bit per key index */
	int require_claim_level;     /* level that filled require_claim, -1 none */
	int key_source_level;        /* level that named the key sources, -1 none */
};

/* Defaults.  Cannot fail. */
void pj_options_init(struct pj_options *o);

/* The one setter, for config lines and module arguments alike.  value is
 * NULL for a bare flag.  Returns PJ_OK or PJ_E_CONFIG / PJ_E_NOMEM. */
int pj_options_set(struct pj_options *o, enum pj_level level, const char *key,
    const char *value, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* Parse a config file's text (already read); apply global keys, then the
 * section for service (may be NULL).  Other sections are parsed and checked
 * but not applied.  name is used in messages. */
int pj_options_parse_config(struct pj_options *o, const char *text,
    size_t len, const char *name, const char *service, char *reason,
    size_t rlen) __attribute__((warn_unused_result));

/* Everything: defaults, the config file (config= argument or the default if
 * it exists), its sections, the arguments, and the final consistency checks
 * (a key source, ...).  On error o is still freeable. */
int pj_options_load(struct pj_options *o, int argc, const char **argv,
    const char *service, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* The consistency checks alone (pj_options_load runs them). */
int pj_options_check(const struct pj_options *o, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

void pj_options_free(struct pj_options *o);

#endif
