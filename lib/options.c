/* options.c - one setter for config lines and module arguments */
#include "options.h"
#include "bind.h"
#include "text.h"
#include "logval.h"
#include "alg.h"
#include "err.h"
#include "file.h"
#include "redis.h"
#include "textcache.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_type { T_PATH, T_STORE, T_STR, T_LIST, T_REPEAT, T_NUM, T_FLAG, T_ALGS };

struct opt_def {
	const char *name;
	enum opt_type type;
	size_t off;          /* offset of the field in struct pj_options */
	long long min, max;  /* T_NUM range */
};

#define OFF(f) offsetof(struct pj_options, f)
#define ONE_YEAR_10 (10LL * 366 * 86400)

static const struct opt_def defs[] = {
	{ "config", T_PATH, OFF(config), 0, 0 },
	{ "secret_file", T_PATH, OFF(secret_file), 0, 0 },
	{ "public_key_file", T_PATH, OFF(public_key_file), 0, 0 },
	{ "jwks_file", T_PATH, OFF(jwks_file), 0, 0 },
	{ "algorithms", T_ALGS, OFF(algorithms), 0, 0 },
	{ "issuer", T_LIST, OFF(issuer), 0, 0 },
	{ "audience", T_LIST, OFF(audience), 0, 0 },
	{ "leeway", T_NUM, OFF(leeway), 0, PJ_LEEWAY_MAX },
	{ "max_ttl", T_NUM, OFF(max_ttl), 1, ONE_YEAR_10 },
	{ "max_age", T_NUM, OFF(max_age), 1, ONE_YEAR_10 },
	{ "typ", T_STR, OFF(typ), 0, 0 },
	{ "require_claim", T_REPEAT, OFF(require_claim), 0, 0 },
	{ "user_claim", T_STR, OFF(user_claim), 0, 0 },
	{ "user_map", T_PATH, OFF(user_map), 0, 0 },
	{ "allow_root", T_FLAG, OFF(allow_root), 0, 0 },
	{ "min_uid", T_NUM, OFF(min_uid), 0, 2147483647LL },
	{ "single_use", T_FLAG, OFF(single_use), 0, 0 },
	{ "replay_cache", T_STORE, OFF(replay_cache), 0, 0 },
	{ "redis_auth_file", T_PATH, OFF(redis_auth_file), 0, 0 },
	{ "redis_prefix", T_STR, OFF(redis_prefix), 0, 0 },
	{ "redis_timeout", T_NUM, OFF(redis_timeout), 1, PJ_REDIS_TIMEOUT_MAX_MS },
	{ "redis_insecure_network", T_FLAG, OFF(redis_insecure_network), 0, 0 },
	{ "revoked_file", T_PATH, OFF(revoked_file), 0, 0 },
	{ "prompt", T_STR, OFF(prompt), 0, 0 },
	{ "use_first_pass", T_FLAG, OFF(use_first_pass), 0, 0 },
	{ "try_first_pass", T_FLAG, OFF(try_first_pass), 0, 0 },
	{ "keep_authtok", T_FLAG, OFF(keep_authtok), 0, 0 },
	{ "debug", T_FLAG, OFF(debug), 0, 0 },
	/* issue 15: keys that follow the provider (lib/refresh.h) */
	{ "refresh_request", T_PATH, OFF(refresh_request), 0, 0 },
	{ "refresh_interval", T_NUM, OFF(refresh_interval), 1, 86400 },
	{ "require_true", T_LIST, OFF(require_true), 0, 0 },
};
#define NDEFS (sizeof(defs) / sizeof(defs[0]))

void
pj_options_init(struct pj_options *o)
{
	memset(o, 0, sizeof(*o));
	o->leeway = PJ_DEFAULT_LEEWAY;
	o->max_ttl = -1;
	o->max_age = -1;
	o->min_uid = PJ_DEFAULT_MIN_UID;
	o->require_claim_level = -1;
	o->key_source_level = -1;
	o->refresh_interval = PJ_DEFAULT_REFRESH_INTERVAL;
	o->redis_timeout = PJ_REDIS_DEFAULT_TIMEOUT_MS;
}

/* secret_file, public_key_file and jwks_file come as one set from the most
 * specific place that names any of them: a [service] section (or the module
 * arguments) that names a key source trusts its own key sources only. */
static int
is_key_source(size_t off)
{
	return off == OFF(secret_file) || off == OFF(public_key_file) ||
	    off == OFF(jwks_file);
}

static int
parse_bool(const char *v, int *out)
{
	if (v == NULL || strcmp(v, "yes") == 0 || strcmp(v, "true") == 0 ||
	    strcmp(v, "on") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0 ||
	    strcmp(v, "off") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

struct list_ctx {
	struct pj_strlist *l;
	unsigned int bits;
	const char *key;
	char *reason;
	size_t rlen;
};

static int
list_item(void *vctx, const char *s, size_t n)
{
	struct list_ctx *c = vctx;

	if (n == 0)
		return pj_reason(PJ_E_CONFIG, c->reason, c->rlen,
		    "%s: empty item in list", c->key);
	return pj_strlist_add(c->l, s, n);
}

/* Split a comma list into l (cleared first); empty items are errors. */
static int
set_list(struct pj_strlist *l, const char *v, const char *key, char *reason,
    size_t rlen)
{
	struct list_ctx c = { l, 0, key, reason, rlen };

	pj_strlist_free(l);
	return pj_each_item(v, list_item, &c);
}

static int
alg_item(void *vctx, const char *s, size_t n)
{
	struct list_ctx *c = vctx;
	unsigned int b = pj_alg_from_name(s, n);

	if (b == 0)
		return pj_reason(PJ_E_CONFIG, c->reason, c->rlen,
		    "algorithms: '%.*s' is not an algorithm pam_jwt accepts "
		    "(HS256..HS512, RS256..RS512, PS256..PS512, ES256..ES512, EdDSA; "
		    "never none)", (int)(n > 32 ? 32 : n), s);
	c->bits |= b;
	return PJ_OK;
}

static int
set_algs(unsigned int *out, const char *v, char *reason, size_t rlen)
{
	struct list_ctx c = { NULL, 0, "algorithms", reason, rlen };
	int r;

	if ((r = pj_each_item(v, alg_item, &c)) != PJ_OK)
		return r;
	*out = c.bits;
	return PJ_OK;
}

/* require_claim NAME=VALUE: NAME non-empty, no spaces. */
static int
check_claim_spec(const char *v, char *reason, size_t rlen)
{
	const char *eq = strchr(v, '=');
	const char *p;

	if (eq == NULL || eq == v)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "require_claim: '%s' is not NAME=VALUE", v);
	for (p = v; p < eq; p++)
		if (isspace((unsigned char)*p))
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "require_claim: claim name contains white space");
	return PJ_OK;
}

int
pj_options_set(struct pj_options *o, enum pj_level level, const char *key,
    const char *value, char *reason, size_t rlen)
{
	const struct opt_def *d = NULL;
	enum opt_type type;
	size_t i;
	void *field;
	char *copy;
	long long num;
	int r;

	for (i = 0; i < NDEFS; i++)
		if (strcmp(defs[i].name, key) == 0) {
			d = &defs[i];
			break;
		}
	if (d == NULL)
		return pj_reason(PJ_E_CONFIG, reason, rlen, "unknown option '%.64s'",
		    key);
	if (level != PJ_LEVEL_ARG && strcmp(key, "config") == 0)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "config can only be given as a module argument");
	type = d->type;
	if (type != T_REPEAT && (o->seen[level] & (1ULL << i)))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "option '%s' given twice", key);
	o->seen[level] |= 1ULL << i;
	if (type != T_FLAG && (value == NULL || value[0] == '\0'))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "option '%s' needs a value", key);
	if (value != NULL && pj_has_ctl(value))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "option '%s': control character in value", key);
	field = (char *)o + d->off;
	if (is_key_source(d->off) && o->key_source_level != (int)level) {
		/* a later place replaces the earlier one's key sources */
		free(o->secret_file);
		free(o->public_key_file);
		free(o->jwks_file);
		o->secret_file = o->public_key_file = o->jwks_file = NULL;
		o->key_source_level = (int)level;
	}
	switch (type) {
	case T_STORE:
		/* a directory, or the shared store on Redis */
		if (pj_redis_is_url(value)) {
			struct pj_redis_url u;

			if ((r = pj_redis_parse_url(value, &u, reason, rlen)) != PJ_OK)
				return r;
		} else if (value[0] != '/') {
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s: '%.128s' is neither an absolute path nor a Redis "
			    "URL (redis://HOST:PORT[/DB], redis+unix:///PATH)", key,
			    value);
		}
		goto copy;
	case T_PATH:
		if (value[0] != '/')
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s: '%.128s' is not an absolute path", key, value);
		/* fall through */
	case T_STR:
	copy:
		copy = strdup(value);
		if (copy == NULL)
			return PJ_E_NOMEM;
		free(*(char **)field);
		*(char **)field = copy; /* transferred */
		return PJ_OK;
	case T_LIST:
		return set_list(field, value, key, reason, rlen);
	case T_REPEAT:
		if ((r = check_claim_spec(value, reason, rlen)) != PJ_OK)
			return r;
		if (o->require_claim_level != (int)level) {
			/* a later source replaces an earlier one's list */
			pj_strlist_free(field);
			o->require_claim_level = (int)level;
		}
		return pj_strlist_add(field, value, strlen(value));
	case T_NUM:
		if (pj_parse_ll(value, d->min, d->max, &num) != 0)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s: '%.32s' is not a whole number from %lld to %lld",
			    key, value, d->min, d->max);
		*(long long *)field = num;
		return PJ_OK;
	case T_FLAG:
		if (parse_bool(value, field) != 0)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s: '%.32s' is not yes or no", key, value);
		return PJ_OK;
	case T_ALGS:
		return set_algs(field, value, reason, rlen);
	}
	return PJ_E_INTERNAL;
}

/* Parse "[service NAME]" or "[issuer URL]"; returns 0 and the name span,
 * with *issuer 1 for an issuer section, or -1. */
static int
parse_section(const char *p, size_t n, const char **name, size_t *nlen,
    int *issuer)
{
	static const char shead[] = "[service", ihead[] = "[issuer";
	size_t hl, i;

	if (n > sizeof(shead) && memcmp(p, shead, sizeof(shead) - 1) == 0) {
		hl = sizeof(shead) - 1;
		*issuer = 0;
	} else if (n > sizeof(ihead) && memcmp(p, ihead, sizeof(ihead) - 1) == 0) {
		hl = sizeof(ihead) - 1;
		*issuer = 1;
	} else
		return -1;
	if (n < hl + 3 || p[n - 1] != ']')
		return -1;
	i = hl;
	if (!pj_is_blank(p[i]))
		return -1;
	while (i < n - 1 && pj_is_blank(p[i]))
		i++;
	*name = p + i;
	*nlen = n - 1 - i;
	while (*nlen > 0 && pj_is_blank((*name)[*nlen - 1]))
		(*nlen)--;
	if (*nlen == 0)
		return -1;
	for (i = 0; i < *nlen; i++)
		if (pj_is_blank((*name)[i]) || (*name)[i] == ']' || (*name)[i] == '[')
			return -1;
	return 0;
}

/* Apply the "key = value" lines from *p up to the next section header (left
 * unread) or the end, to target at level.  *lineno counts the lines. */
static int
apply_lines(struct pj_options *target, enum pj_level level, const char **p,
    const char *end, unsigned int *lineno, const char *name, char *reason,
    size_t rlen)
{
	const char *line, *eq, *before;
	char key[64], value[PJ_CONFIG_LINE_MAX];
	size_t n, kl, vl;
	int r;

	for (;;) {
		before = *p;
		if (!pj_next_line(p, end, &line, &n))
			return PJ_OK;
		if (n > 0 && line[0] == '[') {
			*p = before;
			return PJ_OK;
		}
		(*lineno)++;
		if (n == 0 || line[0] == '#')
			continue;
		if (n >= PJ_CONFIG_LINE_MAX)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: line too long", name, *lineno);
		eq = memchr(line, '=', n);
		kl = eq ? (size_t)(eq - line) : n;
		while (kl > 0 && pj_is_blank(line[kl - 1]))
			kl--;
		if (kl == 0 || kl >= sizeof(key))
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: expected 'key = value'", name, *lineno);
		memcpy(key, line, kl);
		key[kl] = '\0';
		if (eq != NULL) {
			const char *v = eq + 1;

			vl = n - (size_t)(v - line);
			while (vl > 0 && pj_is_blank(*v)) {
				v++;
				vl--;
			}
			memcpy(value, v, vl);
			value[vl] = '\0';
		}
		if (level == PJ_LEVEL_ISSUER && strcmp(key, "issuer") == 0)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: an [issuer URL] section's issuer is its URL: "
			    "no issuer key in it", name, *lineno);
		r = pj_options_set(target, level, key, eq ? value : NULL, reason,
		    rlen);
		if (r != PJ_OK) {
			pj_reason_prefix(reason, rlen, "%s:%u", name, *lineno);
			return r;
		}
	}
}

int
pj_options_parse_config(struct pj_options *o, const char *text, size_t len,
    const char *name, const char *service, char *reason, size_t rlen)
{
	struct pj_options scratch;
	struct pj_strlist sections = { NULL, 0 }, issuers = { NULL, 0 };
	char sect[PJ_CONFIG_LINE_MAX];
	const char *p = text, *end = text + len, *line, *sname;
	const char *svc_at = NULL;
	size_t n, snl;
	unsigned int lineno = 0, svc_lineno = 0;
	int r = PJ_E_INTERNAL, is_issuer;

	pj_options_init(&scratch);
	if (memchr(text, '\0', len) != NULL) {
		r = pj_reason(PJ_E_CONFIG, reason, rlen, "%s: contains a NUL byte",
		    name);
		goto out;
	}
	/* the global keys, then each section in turn; the service's own
	 * section is applied last (after an [issuer] section, wherever it
	 * stands in the file) */
	if ((r = apply_lines(o, PJ_LEVEL_FILE, &p, end, &lineno, name, reason,
	    rlen)) != PJ_OK)
		goto out;
	while (pj_next_line(&p, end, &line, &n)) {
		lineno++;
		if (n >= PJ_CONFIG_LINE_MAX) {
			r = pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: line too long", name, lineno);
			goto out;
		}
		if (parse_section(line, n, &sname, &snl, &is_issuer) != 0) {
			r = pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: a section must read [service NAME] or "
			    "[issuer URL]", name, lineno);
			goto out;
		}
		if (is_issuer && snl >= PJ_ISS_MAX) {
			r = pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: an [issuer URL] of %zu bytes: at most %d, "
			    "as no token's iss longer than that is matched",
			    name, lineno, snl, PJ_ISS_MAX - 1);
			goto out;
		}
		memcpy(sect, sname, snl);
		sect[snl] = '\0';
		/* one section per service (or issuer): a second one would be
		 * applied to its own service and checked apart for the
		 * others, so a key given in both would break that service
		 * alone */
		if (pj_strlist_has(is_issuer ? &issuers : &sections, sect)) {
			r = pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: a second [%s %.64s] section (write each %s's "
			    "keys in one section)", name, lineno,
			    is_issuer ? "issuer" : "service", sect,
			    is_issuer ? "issuer" : "service");
			goto out;
		}
		if ((r = pj_strlist_add(is_issuer ? &issuers : &sections, sname,
		    snl)) != PJ_OK)
			goto out;
		if (is_issuer && o->bind_issuer != NULL &&
		    strcmp(o->bind_issuer, sect) == 0) {
			r = apply_lines(o, PJ_LEVEL_ISSUER, &p, end, &lineno, name,
			    reason, rlen);
		} else {
			if (!is_issuer && service != NULL &&
			    strcmp(service, sect) == 0 && strlen(service) == snl) {
				svc_at = p;
				svc_lineno = lineno;
			}
			/* checked, not applied (the service's own: not yet):
			 * a fresh scratch per section */
			pj_options_free(&scratch);
			pj_options_init(&scratch);
			r = apply_lines(&scratch, is_issuer ? PJ_LEVEL_ISSUER :
			    PJ_LEVEL_SECTION, &p, end, &lineno, name, reason, rlen);
		}
		if (r != PJ_OK)
			goto out;
	}
	if (svc_at != NULL) {
		p = svc_at;
		if ((r = apply_lines(o, PJ_LEVEL_SECTION, &p, end, &svc_lineno,
		    name, reason, rlen)) != PJ_OK)
			goto out;
	}
	/* the names, for pj_options_load to build each binding */
	pj_strlist_free(&o->issuer_sections);
	o->issuer_sections = issuers; /* transferred */
	memset(&issuers, 0, sizeof(issuers));
	r = PJ_OK;
out:
	pj_strlist_free(&sections);
	pj_strlist_free(&issuers);
	pj_options_free(&scratch);
	return r;
}

int
pj_options_check(const struct pj_options *o, char *reason, size_t rlen)
{
	unsigned int keybits = 0;

	/* with [issuer URL] sections, the global key sources are optional:
	 * a token of no section's issuer is then refused (lib/bind.c) */
	if (o->secret_file == NULL && o->public_key_file == NULL &&
	    o->jwks_file == NULL && o->issuer_sections.n == 0)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "no key source: set secret_file, public_key_file or jwks_file");
	/* a token whose iss matches no section (a trailing slash, another
	 * case) would otherwise be judged by the global keys and rules
	 * whatever issuer it claims */
	if (o->issuer_sections.n > 0 && o->issuer.n == 0 &&
	    (o->secret_file != NULL || o->public_key_file != NULL ||
	    o->jwks_file != NULL))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "[issuer URL] sections together with a global key source "
		    "need a global issuer: without it a token whose iss merely "
		    "resembles a section's URL would be checked by the global "
		    "keys");
	if (o->refresh_request != NULL && o->issuer.n == 0 &&
	    o->issuer_sections.n == 0)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "refresh_request needs issuer (or [issuer URL] sections): "
		    "only a token of a configured issuer asks for a refresh");
	if ((o->redis_auth_file != NULL || o->redis_prefix != NULL) &&
	    !pj_redis_is_url(o->replay_cache))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "redis_auth_file and redis_prefix need replay_cache = a Redis "
		    "URL");
	if (pj_redis_is_url(o->replay_cache)) {
		struct pj_redis_url u;

		if (pj_redis_parse_url(o->replay_cache, &u, reason, rlen) != PJ_OK ||
		    pj_redis_where_ok(&u, o->redis_insecure_network,
		    "replay_cache", "set redis_insecure_network", reason, rlen) !=
		    PJ_OK)
			return PJ_E_CONFIG;
	} else if (o->redis_insecure_network)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "redis_insecure_network needs replay_cache = a Redis URL");
	if (o->redis_prefix != NULL && (strlen(o->redis_prefix) >
	    PJ_REDIS_PREFIX_MAX || strchr(o->redis_prefix, ' ') != NULL))
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "redis_prefix: at most %d bytes, no spaces", PJ_REDIS_PREFIX_MAX);
	if (o->use_first_pass && o->try_first_pass)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "use_first_pass and try_first_pass exclude each other");
	/* algorithms must leave something the configured key types can verify */
	if (o->algorithms != 0) {
		if (o->secret_file != NULL)
			keybits |= PJ_ALG_HMAC;
		if (o->public_key_file != NULL)
			keybits |= PJ_ALG_ALL & ~PJ_ALG_HMAC;
		if (o->jwks_file != NULL)
			keybits |= PJ_ALG_ALL;
		if ((keybits & o->algorithms) == 0)
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "algorithms: none of them fits the configured key sources");
	}
	return PJ_OK;
}

/* The configuration file's text, read once per pj_options_load: the whole
 * and every [issuer] section's options come from the same read, so they
 * agree even while the file is being replaced, and a file of N sections
 * costs one read, not N + 1. */
_Static_assert(PJ_TEXTCACHE_MAX >= PJ_CONFIG_MAX,
    "the text cache keeps every configuration file the module reads");

struct cfg_text {
	const char *path;   /* what was read (or found absent); NULL: not yet */
	char *text;         /* NULL when absent */
	size_t len;
};

static int
load_config_file(struct pj_options *o, struct cfg_text *ct, const char *path,
    int must_exist, const char *service, char *reason, size_t rlen)
{
	int r;

	if (ct->path == NULL || strcmp(ct->path, path) != 0) {
		pj_file_free(ct->text, ct->len);
		ct->text = NULL;
		ct->len = 0;
		ct->path = NULL;
		/* the text kept from an earlier read, when the file, seen
		 * without opening it, passes every check of a fresh read and
		 * is the one it came from (lib/textcache.c); else read it */
		r = pj_textcache_read(path, PJ_FILE_PUBLIC, PJ_CONFIG_MAX,
		    PJ_E_CONFIG, !must_exist, &ct->text, &ct->len, reason, rlen);
		if (r != PJ_OK)
			return r;
		ct->path = path;
	}
	if (ct->text == NULL)
		return PJ_OK; /* the default file, absent (must_exist is 0) */
	r = pj_options_parse_config(o, ct->text, ct->len, path, service, reason,
	    rlen);
	if (r == PJ_OK && o->config == NULL && (o->config = strdup(path)) == NULL)
		r = PJ_E_NOMEM;
	return r;
}

static int
default_str(char **field, const char *def)
{
	if (*field != NULL)
		return PJ_OK;
	*field = strdup(def);
	return *field == NULL ? PJ_E_NOMEM : PJ_OK;
}

static int
fill_defaults(struct pj_options *o)
{
	int r;

	if ((r = default_str(&o->user_claim, "sub")) != PJ_OK ||
	    (r = default_str(&o->replay_cache, PJ_DEFAULT_REPLAY_CACHE)) != PJ_OK ||
	    (r = default_str(&o->prompt, PJ_DEFAULT_PROMPT)) != PJ_OK)
		return r;
	return PJ_OK;
}

static int load(struct pj_options *o, int argc, const char **argv,
    const char *service, const char *bind_issuer, struct cfg_text *ct,
    char *reason, size_t rlen);

/* Each [issuer URL] section's own options (lib/bind.h): loaded like the
 * whole, with the section applied, and bound to that issuer alone. */
static int
load_bindings(struct pj_options *o, int argc, const char **argv,
    const char *service, struct cfg_text *ct, char *reason, size_t rlen)
{
	struct pj_binding *b;
	size_t i;
	int r;

	if (o->issuer_sections.n == 0)
		return PJ_OK;
	o->bind = calloc(o->issuer_sections.n, sizeof(*o->bind));
	if (o->bind == NULL)
		return PJ_E_NOMEM;
	for (i = 0; i < o->issuer_sections.n; i++) {
		b = &o->bind[i];
		o->nbind = i + 1;
		b->issuer = strdup(o->issuer_sections.v[i]);
		b->o = calloc(1, sizeof(*b->o));
		if (b->issuer == NULL || b->o == NULL)
			return PJ_E_NOMEM;
		r = load(b->o, argc, argv, service, b->issuer, ct, reason, rlen);
		if (r != PJ_OK)
			return r;
		/* the binding: this section's keys verify this issuer's
		 * tokens, and nothing else's */
		if (b->o->key_source_level != PJ_LEVEL_ISSUER) {
			char shown[PJ_LOGVAL_SIZE(96)];

			pj_logstr(shown, sizeof(shown), b->issuer, 96);
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "[issuer %s] must name its key source (secret_file, "
			    "public_key_file or jwks_file), and with [issuer] "
			    "sections no [service] section or module argument may "
			    "name one", shown);
		}
	}
	return PJ_OK;
}

int
pj_options_load(struct pj_options *o, int argc, const char **argv,
    const char *service, char *reason, size_t rlen)
{
	struct cfg_text ct = { NULL, NULL, 0 };
	int r;

	r = load(o, argc, argv, service, NULL, &ct, reason, rlen);
	pj_file_free(ct.text, ct.len);
	return r;
}

static int
load(struct pj_options *o, int argc, const char **argv,
    const char *service, const char *bind_issuer, struct cfg_text *ct,
    char *reason, size_t rlen)
{
	const char *config = NULL;
	char key[64];
	const char *eq;
	size_t kl;
	int i, r = PJ_E_INTERNAL;

	pj_options_init(o);
	if (bind_issuer != NULL && (o->bind_issuer = strdup(bind_issuer)) == NULL)
		return PJ_E_NOMEM;
	/* config= is an argument only, and decides which file to read */
	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL)
			continue;
		if (strncmp(argv[i], "config=", 7) == 0) {
			if (config != NULL) {
				r = pj_reason(PJ_E_CONFIG, reason, rlen,
				    "option 'config' given twice");
				goto out;
			}
			config = argv[i] + 7;
		}
	}
	if (config != NULL) {
		if (config[0] != '/') {
			r = pj_reason(PJ_E_CONFIG, reason, rlen,
			    "config: '%.128s' is not an absolute path", config);
			goto out;
		}
		r = load_config_file(o, ct, config, 1, service, reason, rlen);
	} else {
		r = load_config_file(o, ct, PJ_DEFAULT_CONFIG, 0, service,
		    reason, rlen);
	}
	if (r != PJ_OK)
		goto out;
	for (i = 0; i < argc; i++) {
		if (argv[i] == NULL)
			continue;
		eq = strchr(argv[i], '=');
		kl = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		if (kl == 0 || kl >= sizeof(key)) {
			r = pj_reason(PJ_E_CONFIG, reason, rlen,
			    "unknown option '%.64s'", argv[i]);
			goto out;
		}
		memcpy(key, argv[i], kl);
		key[kl] = '\0';
		r = pj_options_set(o, PJ_LEVEL_ARG, key, eq ? eq + 1 : NULL,
		    reason, rlen);
		if (r != PJ_OK) {
			/* say where: the pam.d line of which service (the
			 * application's word: escaped like any value) */
			if (r == PJ_E_CONFIG) {
				char svc[PJ_LOGVAL_SIZE(32)];

				pj_logstr(svc, sizeof(svc), service ? service :
				    "(none)", 32);
				pj_reason_prefix(reason, rlen, "module argument "
				    "'%.32s' (pam.d line of service %s)", key, svc);
			}
			goto out;
		}
	}
	r = fill_defaults(o);
	if (r != PJ_OK)
		goto out;
	if (bind_issuer != NULL) {
		/* a binding's sections were checked by the whole's load; it
		 * accepts its own issuer alone */
		pj_strlist_free(&o->issuer_sections);
		pj_strlist_free(&o->issuer);
		if ((r = pj_strlist_add(&o->issuer, bind_issuer,
		    strlen(bind_issuer))) != PJ_OK)
			goto out;
	}
	r = pj_options_check(o, reason, rlen);
	if (r != PJ_OK || bind_issuer != NULL)
		goto out;
	r = load_bindings(o, argc, argv, service, ct, reason, rlen);
out:
	return r;
}

void
pj_options_free(struct pj_options *o)
{
	size_t i;

	if (o == NULL)
		return;
	free(o->config);
	free(o->secret_file);
	free(o->public_key_file);
	free(o->jwks_file);
	pj_strlist_free(&o->issuer);
	pj_strlist_free(&o->audience);
	free(o->typ);
	pj_strlist_free(&o->require_claim);
	free(o->user_claim);
	free(o->user_map);
	free(o->replay_cache);
	free(o->redis_auth_file);
	free(o->redis_prefix);
	free(o->revoked_file);
	free(o->prompt);
	free(o->refresh_request);
	pj_strlist_free(&o->require_true);
	for (i = 0; i < o->nbind; i++) {
		free(o->bind[i].issuer);
		if (o->bind[i].o != NULL)
			pj_options_free(o->bind[i].o);
		free(o->bind[i].o);
	}
	free(o->bind);
	pj_strlist_free(&o->issuer_sections);
	free(o->bind_issuer);
	pj_options_init(o);
}
