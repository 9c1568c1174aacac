/* test_options.c - the one setter, config files with [service NAME]
 * sections, module arguments and the consistency checks. */
#include "unit.h"

#include "lib/alg.h"
#include "lib/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SET(o, lvl, k, v) pj_options_set((o), (lvl), (k), (v), reason, \
	sizeof(reason))

static void
defaults(void **state)
{
	struct pj_options o;

	(void)state;
	pj_options_init(&o);
	assert_int_equal(o.leeway, PJ_DEFAULT_LEEWAY);
	assert_int_equal(o.leeway, 60);
	assert_int_equal(o.max_ttl, -1);
	assert_int_equal(o.max_age, -1);
	assert_int_equal(o.min_uid, 1000);
	assert_int_equal(o.algorithms, 0);
	assert_int_equal(o.allow_root, 0);
	assert_int_equal(o.single_use, 0);
	assert_null(o.secret_file);
	assert_int_equal(o.require_claim_level, -1);
	pj_options_free(&o);
	pj_options_free(&o);     /* freeable twice */
	pj_options_free(NULL);
}

static void
setter_sets_every_key(void **state)
{
	struct pj_options o;
	char reason[256] = "";

	(void)state;
	pj_options_init(&o);
	assert_err(SET(&o, PJ_LEVEL_ARG, "config", "/etc/x.conf"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "secret_file", "/k/secret"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "public_key_file", "/k/pub.pem"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "jwks_file", "/k/jwks.json"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "algorithms", "HS256, ES384 ,EdDSA"),
	    PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "issuer", "https://a, https://b"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "audience", "pam"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "leeway", "0"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "max_ttl", "3600"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "max_age", "600"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "typ", "at+jwt"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "require_claim", "scope=sudo"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "user_claim", "email"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "user_map", "/etc/map"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "allow_root", NULL), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "min_uid", "500"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "single_use", "yes"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "replay_cache", "/run/r"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "prompt", "JWT please: "), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "use_first_pass", "on"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "try_first_pass", "off"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "debug", "true"), PJ_OK);
	assert_string_equal(reason, "");
	assert_string_equal(o.config, "/etc/x.conf");
	assert_string_equal(o.secret_file, "/k/secret");
	assert_string_equal(o.public_key_file, "/k/pub.pem");
	assert_string_equal(o.jwks_file, "/k/jwks.json");
	assert_int_equal(o.algorithms, PJ_ALG_HS256 | PJ_ALG_ES384 | PJ_ALG_EDDSA);
	assert_int_equal(o.issuer.n, 2);
	assert_string_equal(o.issuer.v[0], "https://a");
	assert_string_equal(o.issuer.v[1], "https://b");
	assert_int_equal(o.audience.n, 1);
	assert_int_equal(o.leeway, 0);
	assert_int_equal(o.max_ttl, 3600);
	assert_int_equal(o.max_age, 600);
	assert_string_equal(o.typ, "at+jwt");
	assert_int_equal(o.require_claim.n, 1);
	assert_string_equal(o.require_claim.v[0], "scope=sudo");
	assert_string_equal(o.user_claim, "email");
	assert_string_equal(o.user_map, "/etc/map");
	assert_int_equal(o.allow_root, 1);
	assert_int_equal(o.min_uid, 500);
	assert_int_equal(o.single_use, 1);
	assert_string_equal(o.replay_cache, "/run/r");
	assert_string_equal(o.prompt, "JWT please: ");
	assert_int_equal(o.use_first_pass, 1);
	assert_int_equal(o.try_first_pass, 0);
	assert_int_equal(o.debug, 1);
	pj_options_free(&o);
}

static void
unknown_and_misplaced_keys(void **state)
{
	static const char *const unknown[] = { "secretfile", "Secret_file",
	    "secret_file ", "", "algorithm", "none", "always_ok", "nullok",
	    "audiences", "require_claims", "x" };
	struct pj_options o;
	char reason[256] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		pj_options_init(&o);
		reason[0] = '\0';
		assert_err(SET(&o, PJ_LEVEL_ARG, unknown[i], "1"), PJ_E_CONFIG);
		assert_non_null(strstr(reason, "unknown option"));
		pj_options_free(&o);
	}
	/* config is an argument only */
	pj_options_init(&o);
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_FILE, "config", "/etc/x"), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "argument"));
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_SECTION, "config", "/etc/x"), PJ_E_CONFIG);
	pj_options_free(&o);
}

static void
duplicate_in_same_place(void **state)
{
	static const enum pj_level levels[] = { PJ_LEVEL_FILE, PJ_LEVEL_SECTION,
	    PJ_LEVEL_ARG };
	struct pj_options o;
	char reason[256] = "";
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		pj_options_init(&o);
		reason[0] = '\0';
		assert_err(SET(&o, levels[i], "leeway", "5"), PJ_OK);
		assert_err(SET(&o, levels[i], "leeway", "5"), PJ_E_CONFIG);
		assert_non_null(strstr(reason, "twice"));
		reason[0] = '\0';
		assert_err(SET(&o, levels[i], "debug", NULL), PJ_OK);
		assert_err(SET(&o, levels[i], "debug", "no"), PJ_E_CONFIG);
		reason[0] = '\0';
		assert_err(SET(&o, levels[i], "issuer", "a"), PJ_OK);
		assert_err(SET(&o, levels[i], "issuer", "b"), PJ_E_CONFIG);
		pj_options_free(&o);
	}
	/* the same key at different levels: the later level overrides */
	pj_options_init(&o);
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_FILE, "leeway", "5"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_SECTION, "leeway", "6"), PJ_OK);
	assert_int_equal(o.leeway, 6);
	assert_err(SET(&o, PJ_LEVEL_ARG, "leeway", "7"), PJ_OK);
	assert_int_equal(o.leeway, 7);
	assert_err(SET(&o, PJ_LEVEL_FILE, "issuer", "a,b"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_ARG, "issuer", "c"), PJ_OK);
	assert_int_equal(o.issuer.n, 1);
	assert_string_equal(o.issuer.v[0], "c");
	pj_options_free(&o);
}

static void
repeatable_require_claim(void **state)
{
	struct pj_options o;
	char reason[256] = "";

	(void)state;
	pj_options_init(&o);
	assert_err(SET(&o, PJ_LEVEL_FILE, "require_claim", "scope=sudo"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_FILE, "require_claim", "amr=mfa"), PJ_OK);
	assert_int_equal(o.require_claim.n, 2);
	/* a section replaces the file's list, and may repeat itself */
	assert_err(SET(&o, PJ_LEVEL_SECTION, "require_claim", "scope=ssh"), PJ_OK);
	assert_int_equal(o.require_claim.n, 1);
	assert_err(SET(&o, PJ_LEVEL_SECTION, "require_claim", "role=a=b"), PJ_OK);
	assert_int_equal(o.require_claim.n, 2);
	assert_string_equal(o.require_claim.v[0], "scope=ssh");
	assert_string_equal(o.require_claim.v[1], "role=a=b");
	/* arguments replace both */
	assert_err(SET(&o, PJ_LEVEL_ARG, "require_claim", "scope=x"), PJ_OK);
	assert_int_equal(o.require_claim.n, 1);
	assert_string_equal(o.require_claim.v[0], "scope=x");
	assert_int_equal(o.require_claim_level, PJ_LEVEL_ARG);
	/* malformed specs */
	assert_err(SET(&o, PJ_LEVEL_ARG, "require_claim", "scope"), PJ_E_CONFIG);
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_ARG, "require_claim", "=sudo"), PJ_E_CONFIG);
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_ARG, "require_claim", "sc ope=sudo"),
	    PJ_E_CONFIG);
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_ARG, "require_claim", NULL), PJ_E_CONFIG);
	assert_int_equal(o.require_claim.n, 1);
	pj_options_free(&o);
}

static void
bad_numbers(void **state)
{
	static const struct {
		const char *key, *value;
	} bad[] = {
		{ "leeway", "-1" }, { "leeway", "+5" }, { "leeway", " 5" },
		{ "leeway", "5 " }, { "leeway", "5s" }, { "leeway", "0x10" },
		{ "leeway", "1e3" }, { "leeway", "86401" }, { "leeway", "" },
		{ "leeway", "99999999999999999999999" }, { "leeway", "5.0" },
		{ "max_ttl", "0" }, { "max_ttl", "316224001" }, { "max_age", "0" },
		{ "max_age", "-5" }, { "min_uid", "2147483648" },
		{ "min_uid", "-1" }, { "min_uid", "1000abc" }, { "min_uid", "٣" },
	};
	static const struct {
		const char *key, *value;
		long long want;
	} good[] = {
		{ "leeway", "0", 0 }, { "leeway", "86400", 86400 },
		{ "leeway", "007", 7 }, { "max_ttl", "1", 1 },
		{ "max_ttl", "316224000", 316224000 }, { "max_age", "1", 1 },
		{ "min_uid", "0", 0 }, { "min_uid", "2147483647", 2147483647 },
	};
	struct pj_options o;
	char reason[256] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pj_options_init(&o);
		reason[0] = '\0';
		if (SET(&o, PJ_LEVEL_ARG, bad[i].key, bad[i].value) != PJ_E_CONFIG)
			fail_msg("%s=%s accepted", bad[i].key, bad[i].value);
		assert_string_not_equal(reason, "");
		pj_options_free(&o);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		long long got;

		pj_options_init(&o);
		reason[0] = '\0';
		assert_err(SET(&o, PJ_LEVEL_ARG, good[i].key, good[i].value), PJ_OK);
		got = strcmp(good[i].key, "leeway") == 0 ? o.leeway :
		    strcmp(good[i].key, "max_ttl") == 0 ? o.max_ttl :
		    strcmp(good[i].key, "max_age") == 0 ? o.max_age : o.min_uid;
		assert_int_equal(got, good[i].want);
		pj_options_free(&o);
	}
}

static void
paths_must_be_absolute(void **state)
{
	static const char *const keys[] = { "secret_file", "public_key_file",
	    "jwks_file", "user_map", "replay_cache", "config" };
	static const char *const rel[] = { "etc/secret", "./secret", "~/secret",
	    "../secret", " /etc/secret", "secret" };
	struct pj_options o;
	char reason[256] = "";
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		for (j = 0; j < sizeof(rel) / sizeof(rel[0]); j++) {
			pj_options_init(&o);
			reason[0] = '\0';
			if (SET(&o, PJ_LEVEL_ARG, keys[i], rel[j]) != PJ_E_CONFIG)
				fail_msg("%s=%s accepted", keys[i], rel[j]);
			assert_non_null(strstr(reason, "absolute"));
			pj_options_free(&o);
		}
}

static void
control_characters(void **state)
{
	static const char *const vals[] = { "/etc/a\tb", "/etc/a\nb", "/etc/\x01",
	    "/etc/a\x7f", "/etc/a\rb", "/etc/\x1b[31m" };
	static const char *const keys[] = { "secret_file", "prompt", "issuer",
	    "typ", "require_claim", "user_claim" };
	struct pj_options o;
	char reason[256] = "";
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		for (j = 0; j < sizeof(vals) / sizeof(vals[0]); j++) {
			char v[64];

			/* require_claim needs NAME=...; keep the control byte */
			snprintf(v, sizeof(v), "%s%s",
			    strcmp(keys[i], "require_claim") == 0 ? "x=" : "", vals[j]);
			pj_options_init(&o);
			reason[0] = '\0';
			if (SET(&o, PJ_LEVEL_ARG, keys[i], v) != PJ_E_CONFIG)
				fail_msg("%s with control byte %zu accepted", keys[i], j);
			assert_non_null(strstr(reason, "control"));
			pj_options_free(&o);
		}
}

static void
algorithms_values(void **state)
{
	static const char *const bad[] = { "none", "None", "HS256,none",
	    "none,HS256", "HS256,", ",HS256", "HS256,,RS256", "hs256", "HS256 RS256",
	    "ES256K", "all", "*" };
	struct pj_options o;
	char reason[256] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pj_options_init(&o);
		reason[0] = '\0';
		if (SET(&o, PJ_LEVEL_ARG, "algorithms", bad[i]) != PJ_E_CONFIG)
			fail_msg("algorithms=%s accepted", bad[i]);
		assert_non_null(strstr(reason, "algorithms"));
		assert_int_equal(o.algorithms, 0);
		pj_options_free(&o);
	}
	pj_options_init(&o);
	assert_err(SET(&o, PJ_LEVEL_ARG, "algorithms",
	    "HS256,HS384,HS512,RS256,RS384,RS512,PS256,PS384,PS512,ES256,ES384,"
	    "ES512,EdDSA"), PJ_OK);
	assert_int_equal(o.algorithms, PJ_ALG_ALL);
	pj_options_free(&o);
}

static void
flags_and_values(void **state)
{
	static const char *const on[] = { NULL, "yes", "true", "on", "1" };
	static const char *const off[] = { "no", "false", "off", "0" };
	static const char *const bad[] = { "", "maybe", "YES", "True", "2", "y",
	    " yes" };
	struct pj_options o;
	char reason[256] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		pj_options_init(&o);
		assert_err(SET(&o, PJ_LEVEL_ARG, "allow_root", on[i]), PJ_OK);
		assert_int_equal(o.allow_root, 1);
		pj_options_free(&o);
	}
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		pj_options_init(&o);
		o.debug = 1;
		assert_err(SET(&o, PJ_LEVEL_ARG, "debug", off[i]), PJ_OK);
		assert_int_equal(o.debug, 0);
		pj_options_free(&o);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pj_options_init(&o);
		reason[0] = '\0';
		if (SET(&o, PJ_LEVEL_ARG, "single_use", bad[i]) != PJ_E_CONFIG)
			fail_msg("single_use=%s accepted", bad[i]);
		assert_int_equal(o.single_use, 0);
		pj_options_free(&o);
	}
	/* keys that need a value */
	pj_options_init(&o);
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_ARG, "secret_file", NULL), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "needs a value"));
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_ARG, "issuer", ""), PJ_E_CONFIG);
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_ARG, "leeway", NULL), PJ_E_CONFIG);
	/* list items may not be empty */
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_ARG, "audience", "a,,b"), PJ_E_CONFIG);
	pj_options_free(&o);
	pj_options_init(&o);
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_ARG, "audience", "a, "), PJ_E_CONFIG);
	pj_options_free(&o);
}

static void
consistency_checks(void **state)
{
	struct pj_options o;
	char reason[256] = "";

	(void)state;
	pj_options_init(&o);
	assert_err(pj_options_check(&o, reason, sizeof(reason)), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "no key source"));
	assert_err(SET(&o, PJ_LEVEL_ARG, "secret_file", "/k/s"), PJ_OK);
	reason[0] = '\0';
	assert_err(pj_options_check(&o, reason, sizeof(reason)), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_ARG, "use_first_pass", NULL), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_ARG, "try_first_pass", NULL), PJ_OK);
	assert_err(pj_options_check(&o, reason, sizeof(reason)), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "exclude"));
	pj_options_free(&o);

	/* algorithms must leave something the key sources can verify */
	pj_options_init(&o);
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_ARG, "secret_file", "/k/s"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_ARG, "algorithms", "RS256,ES256"), PJ_OK);
	assert_err(pj_options_check(&o, reason, sizeof(reason)), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "algorithms"));
	pj_options_free(&o);
	pj_options_init(&o);
	reason[0] = '\0';
	assert_err(SET(&o, PJ_LEVEL_ARG, "public_key_file", "/k/p"), PJ_OK);
	assert_err(SET(&o, PJ_LEVEL_ARG, "algorithms", "HS256"), PJ_OK);
	assert_err(pj_options_check(&o, reason, sizeof(reason)), PJ_E_CONFIG);
	assert_err(SET(&o, PJ_LEVEL_ARG, "jwks_file", "/k/j"), PJ_OK);
	reason[0] = '\0';
	assert_err(pj_options_check(&o, reason, sizeof(reason)), PJ_OK);
	pj_options_free(&o);
}

/* ---- config text ---------------------------------------------------- */

static const char conf_text[] =
    "# pam_jwt test config\n"
    "\n"
    "secret_file = /k/secret\n"
    "  audience=pam  \r\n"
    "leeway\t=\t30\n"
    "require_claim = scope=login\n"
    "require_claim = amr=pwd\n"
    "debug\n"
    "\n"
    "[service sshd]\n"
    "audience = ssh\n"
    "require_claim = scope=ssh\n"
    "max_ttl = 300\n"
    "\n"
    "[service sudo]\n"
    "audience = sudo\n"
    "single_use = yes\n"
    "require_claim = scope=sudo\n"
    "require_claim = amr=mfa\n";

#define PARSE(o, text, svc) pj_options_parse_config((o), (text), \
	strlen(text), "test.conf", (svc), reason, sizeof(reason))

static void
config_sections(void **state)
{
	struct pj_options o;
	char reason[256] = "";

	(void)state;
	/* no service: globals only */
	pj_options_init(&o);
	assert_err(PARSE(&o, conf_text, NULL), PJ_OK);
	assert_string_equal(o.secret_file, "/k/secret");
	assert_string_equal(o.audience.v[0], "pam");
	assert_int_equal(o.leeway, 30);
	assert_int_equal(o.debug, 1);
	assert_int_equal(o.require_claim.n, 2);
	assert_int_equal(o.max_ttl, -1);
	assert_int_equal(o.single_use, 0);
	pj_options_free(&o);

	/* sshd: its section overrides, sudo's is not applied */
	pj_options_init(&o);
	assert_err(PARSE(&o, conf_text, "sshd"), PJ_OK);
	assert_int_equal(o.audience.n, 1);
	assert_string_equal(o.audience.v[0], "ssh");
	assert_int_equal(o.require_claim.n, 1);
	assert_string_equal(o.require_claim.v[0], "scope=ssh");
	assert_int_equal(o.max_ttl, 300);
	assert_int_equal(o.single_use, 0);
	assert_int_equal(o.leeway, 30);
	pj_options_free(&o);

	/* sudo */
	pj_options_init(&o);
	assert_err(PARSE(&o, conf_text, "sudo"), PJ_OK);
	assert_string_equal(o.audience.v[0], "sudo");
	assert_int_equal(o.single_use, 1);
	assert_int_equal(o.require_claim.n, 2);
	assert_string_equal(o.require_claim.v[1], "amr=mfa");
	assert_int_equal(o.max_ttl, -1);
	pj_options_free(&o);

	/* a service without a section gets the globals; names are exact */
	pj_options_init(&o);
	assert_err(PARSE(&o, conf_text, "SSHD"), PJ_OK);
	assert_string_equal(o.audience.v[0], "pam");
	pj_options_free(&o);
	pj_options_init(&o);
	assert_err(PARSE(&o, conf_text, "ssh"), PJ_OK);
	assert_string_equal(o.audience.v[0], "pam");
	pj_options_free(&o);
}

static void
config_malformed(void **state)
{
	static const struct {
		const char *text;
		const char *where;   /* "test.conf:N" expected in the reason */
	} bad[] = {
		{ "leeway = 5\nbogus = 1\n", "test.conf:2:" },
		{ "leeway = 5\nleeway = 6\n", "test.conf:2:" },
		{ "[service sshd]\nleeway = 5\nleeway = 6\n", "test.conf:3:" },
		{ "[service other]\nbogus = 1\n", "test.conf:2:" },
		{ "[service other]\nleeway = x\n", "test.conf:2:" },
		{ "[service other]\nleeway = 1\nleeway = 2\n", "test.conf:3:" },
		{ "secret_file = relative/path\n", "test.conf:1:" },
		{ "\n\n#c\nalgorithms = none\n", "test.conf:4:" },
		{ "config = /etc/other.conf\n", "test.conf:1:" },
		{ "= value\n", "test.conf:1:" },
		{ "secret_file\n", "test.conf:1:" },
		{ "prompt = a\x01z\n", "test.conf:1:" },
		{ "[service]\n", "test.conf:1:" },
		{ "[service ]\n", "test.conf:1:" },
		{ "[sshd]\n", "test.conf:1:" },
		{ "[service a b]\n", "test.conf:1:" },
		{ "[service sshd\n", "test.conf:1:" },
		{ "[servicesshd]\n", "test.conf:1:" },
		{ "[ service sshd]\n", "test.conf:1:" },
		{ "[service sshd]]\n", "test.conf:1:" },
		{ "leeway = 5\n[service x]\n[global]\n", "test.conf:3:" },
		{ "audience = a,,b\n", "test.conf:1:" },
		{ "require_claim = scope\n", "test.conf:1:" },
		{ "debug = maybe\n", "test.conf:1:" },
		{ "this key is far too long to be any option at all and is more "
		  "than sixty-four characters = 1\n", "test.conf:1:" },
	};
	struct pj_options o;
	char reason[256] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pj_options_init(&o);
		reason[0] = '\0';
		if (PARSE(&o, bad[i].text, "sshd") != PJ_E_CONFIG)
			fail_msg("config %zu accepted: %s", i, bad[i].text);
		if (strncmp(reason, bad[i].where, strlen(bad[i].where)) != 0)
			fail_msg("config %zu: reason '%s' does not start with '%s'",
			    i, reason, bad[i].where);
		pj_options_free(&o);
	}
}

static void
config_odd_but_valid(void **state)
{
	struct pj_options o;
	char reason[256] = "";
	char *big;
	size_t n;

	(void)state;
	/* the same key in two sections that are not applied, and in the
	 * globals and a section: both fine */
	pj_options_init(&o);
	assert_err(PARSE(&o, "leeway = 1\n[service a]\nleeway = 2\n"
	    "[service b]\nleeway = 3\n[service sshd]\nleeway=4\n", "sshd"), PJ_OK);
	assert_int_equal(o.leeway, 4);
	pj_options_free(&o);
	/* no trailing newline, CRLF, comment after blanks */
	pj_options_init(&o);
	assert_err(PARSE(&o, "  # x\r\nleeway = 9\r\n  [service sshd]  \r\n"
	    "typ = JWT", "sshd"), PJ_OK);
	assert_int_equal(o.leeway, 9);
	assert_string_equal(o.typ, "JWT");
	pj_options_free(&o);
	/* empty text */
	pj_options_init(&o);
	assert_err(pj_options_parse_config(&o, "", 0, "e", NULL, reason,
	    sizeof(reason)), PJ_OK);
	pj_options_free(&o);
	/* NUL byte and too long line */
	pj_options_init(&o);
	assert_err(pj_options_parse_config(&o, "leeway = 1\0\n", 12, "n", NULL,
	    reason, sizeof(reason)), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "NUL"));
	pj_options_free(&o);
	n = PJ_CONFIG_LINE_MAX + 10;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big, "prompt = ", 9);
	big[n] = '\0';
	pj_options_init(&o);
	reason[0] = '\0';
	assert_err(pj_options_parse_config(&o, big, n, "big", NULL, reason,
	    sizeof(reason)), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "too long"));
	pj_options_free(&o);
	free(big);
}

/* ---- pj_options_load: files and arguments ----------------------------- */

static void
load_file_and_arguments(void **state)
{
	struct pj_options o;
	char reason[256] = "";
	char *dir = tmpdir_new();
	char cfg[4200];
	const char *argv[8];

	(void)state;
	snprintf(cfg, sizeof(cfg), "%s", tpath(dir, "pam_jwt.conf"));
	write_str(cfg, conf_text, 0644);
	argv[0] = "audience=cli";
	argv[1] = NULL;          /* NULL entries are skipped */
	argv[2] = "require_claim=scope=cli";
	argv[3] = "debug=no";
	argv[4] = NULL;
	/* config= may come anywhere among the arguments */
	{
		char arg[4300];

		snprintf(arg, sizeof(arg), "config=%s", cfg);
		argv[4] = arg;
		assert_err(pj_options_load(&o, 5, argv, "sudo", reason,
		    sizeof(reason)), PJ_OK);
	}
	assert_string_equal(o.config, cfg);
	assert_string_equal(o.secret_file, "/k/secret");
	assert_int_equal(o.audience.n, 1);
	assert_string_equal(o.audience.v[0], "cli");
	assert_int_equal(o.require_claim.n, 1);
	assert_string_equal(o.require_claim.v[0], "scope=cli");
	assert_int_equal(o.single_use, 1);     /* from [service sudo] */
	assert_int_equal(o.debug, 0);
	/* defaults filled in */
	assert_string_equal(o.user_claim, "sub");
	assert_string_equal(o.replay_cache, PJ_DEFAULT_REPLAY_CACHE);
	assert_string_equal(o.prompt, PJ_DEFAULT_PROMPT);
	pj_options_free(&o);
	tmpdir_rm(dir);
}

static void
load_errors(void **state)
{
	struct pj_options o;
	char reason[256] = "";
	char *dir = tmpdir_new();
	char cfg[4200], arg[4300], arg2[4300];
	const char *argv[4];

	(void)state;
	snprintf(cfg, sizeof(cfg), "%s", tpath(dir, "c.conf"));
	snprintf(arg, sizeof(arg), "config=%s", cfg);

	/* the named config file must exist */
	argv[0] = arg;
	assert_err(pj_options_load(&o, 1, argv, NULL, reason, sizeof(reason)),
	    PJ_E_CONFIG);
	pj_options_free(&o);

	/* unsafe: group-writable, owned by another user, a symlink */
	write_str(cfg, "secret_file = /k/s\n", 0664);
	reason[0] = '\0';
	assert_err(pj_options_load(&o, 1, argv, NULL, reason, sizeof(reason)),
	    PJ_E_CONFIG);
	assert_non_null(strstr(reason, "unsafe"));
	pj_options_free(&o);
	write_file(cfg, "secret_file = /k/s\n", 19, 0644, 1234, 1234);
	reason[0] = '\0';
	assert_err(pj_options_load(&o, 1, argv, NULL, reason, sizeof(reason)),
	    PJ_E_CONFIG);
	assert_non_null(strstr(reason, "owner"));
	pj_options_free(&o);
	write_str(cfg, "secret_file = /k/s\n", 0644);
	reason[0] = '\0';
	assert_err(pj_options_load(&o, 1, argv, NULL, reason, sizeof(reason)),
	    PJ_OK);
	pj_options_free(&o);
	assert_int_equal(symlink(cfg, tpath(dir, "link.conf")), 0);
	snprintf(arg2, sizeof(arg2), "config=%s", tpath(dir, "link.conf"));
	argv[0] = arg2;
	reason[0] = '\0';
	assert_err(pj_options_load(&o, 1, argv, NULL, reason, sizeof(reason)),
	    PJ_E_CONFIG);
	assert_non_null(strstr(reason, "symbolic link"));
	pj_options_free(&o);

	/* config twice, relative config, unknown argument, "=x" */
	argv[0] = arg;
	argv[1] = arg;
	reason[0] = '\0';
	assert_err(pj_options_load(&o, 2, argv, NULL, reason, sizeof(reason)),
	    PJ_E_CONFIG);
	pj_options_free(&o);
	argv[0] = "config=etc/pam_jwt.conf";
	reason[0] = '\0';
	assert_err(pj_options_load(&o, 1, argv, NULL, reason, sizeof(reason)),
	    PJ_E_CONFIG);
	pj_options_free(&o);
	argv[0] = arg;
	argv[1] = "bogus";
	reason[0] = '\0';
	assert_err(pj_options_load(&o, 2, argv, NULL, reason, sizeof(reason)),
	    PJ_E_CONFIG);
	assert_non_null(strstr(reason, "bogus"));
	pj_options_free(&o);
	argv[1] = "=x";
	reason[0] = '\0';
	assert_err(pj_options_load(&o, 2, argv, NULL, reason, sizeof(reason)),
	    PJ_E_CONFIG);
	pj_options_free(&o);
	/* an argument given twice */
	argv[1] = "leeway=1";
	argv[2] = "leeway=2";
	reason[0] = '\0';
	assert_err(pj_options_load(&o, 3, argv, NULL, reason, sizeof(reason)),
	    PJ_E_CONFIG);
	pj_options_free(&o);
	/* no key source anywhere */
	write_str(cfg, "leeway = 1\n", 0644);
	argv[1] = "debug";
	reason[0] = '\0';
	assert_err(pj_options_load(&o, 2, argv, NULL, reason, sizeof(reason)),
	    PJ_E_CONFIG);
	assert_non_null(strstr(reason, "key source"));
	pj_options_free(&o);
	/* use_first_pass and try_first_pass */
	argv[1] = "secret_file=/k/s";
	argv[2] = "use_first_pass";
	argv[3] = "try_first_pass";
	reason[0] = '\0';
	assert_err(pj_options_load(&o, 4, argv, NULL, reason, sizeof(reason)),
	    PJ_E_CONFIG);
	pj_options_free(&o);
	/* a bad key in another service's section fails this service too */
	write_str(cfg, "secret_file = /k/s\n[service other]\nmax_age = soon\n",
	    0644);
	argv[1] = "debug";
	reason[0] = '\0';
	assert_err(pj_options_load(&o, 2, argv, "sshd", reason, sizeof(reason)),
	    PJ_E_CONFIG);
	assert_non_null(strstr(reason, "max_age"));
	pj_options_free(&o);
	tmpdir_rm(dir);
}

/* Without config=, the default file is read only if it exists. */
static void
load_without_config_file(void **state)
{
	struct pj_options o;
	char reason[256] = "";
	const char *argv[] = { "secret_file=/k/s", "audience=x" };

	(void)state;
	if (access(PJ_DEFAULT_CONFIG, F_OK) == 0) {
		print_message("%s exists here; not testing its absence\n",
		    PJ_DEFAULT_CONFIG);
		skip();
	}
	assert_err(pj_options_load(&o, 2, argv, NULL, reason, sizeof(reason)),
	    PJ_OK);
	assert_null(o.config);
	assert_string_equal(o.secret_file, "/k/s");
	pj_options_free(&o);
}

static void
helpers(void **state)
{
	struct pj_strlist l = { NULL, 0 };
	long long v = 42;

	(void)state;
	assert_int_equal(pj_parse_ll("123", 0, 200, &v), 0);
	assert_int_equal(v, 123);
	v = 42;
	assert_int_equal(pj_parse_ll("201", 0, 200, &v), -1);
	assert_int_equal(pj_parse_ll("", 0, 200, &v), -1);
	assert_int_equal(pj_parse_ll(NULL, 0, 200, &v), -1);
	assert_int_equal(pj_parse_ll("-1", -5, 200, &v), -1);  /* no sign */
	assert_int_equal(pj_parse_ll("9223372036854775808", 0, 9223372036854775807LL,
	    &v), -1);
	assert_int_equal(pj_parse_ll("9223372036854775807", 0, 9223372036854775807LL,
	    &v), 0);
	assert_int_equal(v, 9223372036854775807LL);
	assert_int_equal(pj_strlist_add(&l, "abcdef", 3), PJ_OK);
	assert_int_equal(pj_strlist_add(&l, "x", 1), PJ_OK);
	assert_int_equal(l.n, 2);
	assert_true(pj_strlist_has(&l, "abc"));
	assert_false(pj_strlist_has(&l, "abcdef"));
	assert_false(pj_strlist_has(&l, "ab"));
	pj_strlist_free(&l);
	assert_int_equal(l.n, 0);
	assert_false(pj_strlist_has(&l, "x"));
	pj_strlist_free(&l);
	pj_strlist_free(NULL);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(setter_sets_every_key),
		cmocka_unit_test(unknown_and_misplaced_keys),
		cmocka_unit_test(duplicate_in_same_place),
		cmocka_unit_test(repeatable_require_claim),
		cmocka_unit_test(bad_numbers),
		cmocka_unit_test(paths_must_be_absolute),
		cmocka_unit_test(control_characters),
		cmocka_unit_test(algorithms_values),
		cmocka_unit_test(flags_and_values),
		cmocka_unit_test(consistency_checks),
		cmocka_unit_test(config_sections),
		cmocka_unit_test(config_malformed),
		cmocka_unit_test(config_odd_but_valid),
		cmocka_unit_test(load_file_and_arguments),
		cmocka_unit_test(load_errors),
		cmocka_unit_test(load_without_config_file),
		cmocka_unit_test(helpers),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
