/* test_claims.c - JWT claims against the options, at a fixed clock */
#include "unit.h"

#include "lib/claims.h"
#include "lib/options.h"

#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#define NOW 1700000000LL

static json_t *
J(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A claims object from printf-style JSON text (duplicates refused). */
static json_t *
J(const char *fmt, ...)
{
	char text[2048];
	va_list ap;
	json_error_t e;
	json_t *j;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	j = json_loads(text, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL)
		fail_msg("bad test JSON %s: %s", text, e.text);
	return j;
}

/* Check claims (consumed) with o at NOW; header typ may be NULL. */
static int
check(const struct pj_options *o, json_t *claims, const char *typ)
{
	char reason[256] = "";
	int r = pj_claims_check(o, claims, typ, NOW, reason, sizeof(reason));

	if (r != PJ_OK && reason[0] == '\0')
		fail_msg("rejection %d without a reason", r);
	json_decref(claims);
	return r;
}

static void
opts(struct pj_options *o)
{
	pj_options_init(o);
}

static void
parse_payload(void **state)
{
	static const char *const bad[] = { "", "foo", "[1]", "\"x\"", "1", "null",
	    "{", "{\"a\":1,\"a\":2}", "{\"a\":1} x", "{\"a\":1}{}",
	    "{\"exp\":100000000000000000000}", "{\"a\":\"\\u0000\"}",
	    "{\"a\":\"\xff\"}" };
	json_t *j = NULL;
	char reason[256] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reason[0] = '\0';
		j = (json_t *)1;
		if (pj_claims_parse((const unsigned char *)bad[i], strlen(bad[i]), &j,
		    reason, sizeof(reason)) != PJ_E_MALFORMED)
			fail_msg("payload '%s' accepted", bad[i]);
		assert_null(j);
	}
	assert_err(pj_claims_parse((const unsigned char *)" {\"sub\":\"a\"}\n", 13,
	    &j, reason, sizeof(reason)), PJ_OK);
	assert_string_equal(json_string_value(json_object_get(j, "sub")), "a");
	json_decref(j);
	/* length, not NUL, ends the payload */
	assert_err(pj_claims_parse((const unsigned char *)"{}\0{}", 5, &j,
	    reason, sizeof(reason)), PJ_E_MALFORMED);
}

static void
numeric_dates(void **state)
{
	static const struct {
		const char *json;
		int ok;
		long long want;
	} t[] = {
		{ "0", 1, 0 }, { "1700000000", 1, 1700000000LL },
		{ "-5", 1, -5 }, { "1.9", 1, 1 }, { "-1.5", 1, -2 },
		{ "1e300", 1, LLONG_MAX }, { "-1e300", 1, LLONG_MIN },
		{ "9223372036854775807", 1, LLONG_MAX },
		{ "-9223372036854775808", 1, LLONG_MIN },
		{ "1.7e9", 1, 1700000000LL }, { "0.999", 1, 0 },
		{ "\"1700000000\"", 0, 0 }, { "true", 0, 0 }, { "null", 0, 0 },
		{ "[1]", 0, 0 }, { "{}", 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *v = json_loads(t[i].json, JSON_DECODE_ANY, NULL);
		long long got = 42;

		assert_non_null(v);
		if (t[i].ok) {
			assert_int_equal(pj_claims_numeric(v, &got), 0);
			if (got != t[i].want)
				fail_msg("%s: %lld, expected %lld", t[i].json, got,
				    t[i].want);
		} else {
			assert_int_equal(pj_claims_numeric(v, &got), -1);
		}
		json_decref(v);
	}
	assert_int_equal(pj_claims_numeric(NULL, NULL), -1);
}

static void
exp_required_and_typed(void **state)
{
	struct pj_options o;
	static const char *const bad_exp[] = { "\"1700003600\"", "true", "null",
	    "[1700003600]", "{}", "\"\"" };
	size_t i;

	(void)state;
	opts(&o);
	assert_err(check(&o, J("{\"sub\":\"a\"}"), NULL), PJ_E_CLAIM);
	assert_err(check(&o, J("{}"), NULL), PJ_E_CLAIM);
	for (i = 0; i < sizeof(bad_exp) / sizeof(bad_exp[0]); i++)
		assert_err(check(&o, J("{\"exp\":%s}", bad_exp[i]), NULL),
		    PJ_E_CLAIM);
	assert_err(check(&o, J("{\"exp\":%lld}", NOW + 3600), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld.5}", NOW + 3600), NULL), PJ_OK);
	pj_options_free(&o);
}

static void
exp_boundaries(void **state)
{
	struct pj_options o;

	(void)state;
	opts(&o);                                        /* leeway 60 */
	assert_err(check(&o, J("{\"exp\":%lld}", NOW - 60), NULL), PJ_E_EXPIRED);
	assert_err(check(&o, J("{\"exp\":%lld}", NOW - 59), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld.999}", NOW - 60), NULL),
	    PJ_E_EXPIRED);                           /* rounded down */
	assert_err(check(&o, J("{\"exp\":%lld}", NOW), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":-1}"), NULL), PJ_E_EXPIRED);
	assert_err(check(&o, J("{\"exp\":0}"), NULL), PJ_E_EXPIRED);
	assert_err(check(&o, J("{\"exp\":-1e300}"), NULL), PJ_E_EXPIRED);
	assert_err(check(&o, J("{\"exp\":-9223372036854775808}"), NULL),
	    PJ_E_EXPIRED);
	assert_err(check(&o, J("{\"exp\":1e300}"), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":9223372036854775807}"), NULL), PJ_OK);
	o.leeway = 0;
	assert_err(check(&o, J("{\"exp\":%lld}", NOW), NULL), PJ_E_EXPIRED);
	assert_err(check(&o, J("{\"exp\":%lld}", NOW + 1), NULL), PJ_OK);
	o.leeway = 86400;
	assert_err(check(&o, J("{\"exp\":%lld}", NOW - 86399), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld}", NOW - 86400), NULL),
	    PJ_E_EXPIRED);
	pj_options_free(&o);
}

static void
nbf_and_iat(void **state)
{
	struct pj_options o;
	long long e = NOW + 3600;

	(void)state;
	opts(&o);
	assert_err(check(&o, J("{\"exp\":%lld,\"nbf\":%lld}", e, NOW + 60), NULL),
	    PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"nbf\":%lld}", e, NOW + 61), NULL),
	    PJ_E_NOT_YET);
	assert_err(check(&o, J("{\"exp\":%lld,\"nbf\":1e300}", e), NULL),
	    PJ_E_NOT_YET);
	assert_err(check(&o, J("{\"exp\":%lld,\"nbf\":-1e300}", e), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"nbf\":\"0\"}", e), NULL),
	    PJ_E_CLAIM);
	assert_err(check(&o, J("{\"exp\":%lld,\"nbf\":null}", e), NULL),
	    PJ_E_CLAIM);
	assert_err(check(&o, J("{\"exp\":%lld,\"iat\":%lld}", e, NOW + 60), NULL),
	    PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"iat\":%lld}", e, NOW + 61), NULL),
	    PJ_E_NOT_YET);
	assert_err(check(&o, J("{\"exp\":%lld,\"iat\":%lld.5}", e, NOW + 60),
	    NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"iat\":true}", e), NULL),
	    PJ_E_CLAIM);
	assert_err(check(&o, J("{\"exp\":%lld,\"iat\":-5}", e), NULL), PJ_OK);
	o.leeway = 0;
	assert_err(check(&o, J("{\"exp\":%lld,\"nbf\":%lld}", e, NOW), NULL),
	    PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"nbf\":%lld}", e, NOW + 1), NULL),
	    PJ_E_NOT_YET);
	assert_err(check(&o, J("{\"exp\":%lld,\"iat\":%lld}", e, NOW + 1), NULL),
	    PJ_E_NOT_YET);
	pj_options_free(&o);
}

static void
lifetimes(void **state)
{
	struct pj_options o;

	(void)state;
	opts(&o);
	o.max_ttl = 3600;
	assert_err(check(&o, J("{\"iat\":%lld,\"exp\":%lld}", NOW, NOW + 3600),
	    NULL), PJ_OK);
	assert_err(check(&o, J("{\"iat\":%lld,\"exp\":%lld}", NOW, NOW + 3601),
	    NULL), PJ_E_LIFETIME);
	/* without iat, from now */
	assert_err(check(&o, J("{\"exp\":%lld}", NOW + 3600), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld}", NOW + 3601), NULL),
	    PJ_E_LIFETIME);
	assert_err(check(&o, J("{\"exp\":1e300}"), NULL), PJ_E_LIFETIME);
	assert_err(check(&o, J("{\"exp\":9223372036854775807,\"iat\":-1e300}"),
	    NULL), PJ_E_LIFETIME);
	/* an old iat makes a long-lived token look long-lived */
	assert_err(check(&o, J("{\"iat\":%lld,\"exp\":%lld}", NOW - 7200,
	    NOW + 60), NULL), PJ_E_LIFETIME);
	o.max_ttl = -1;
	o.max_age = 300;
	assert_err(check(&o, J("{\"exp\":%lld}", NOW + 60), NULL), PJ_E_LIFETIME);
	assert_err(check(&o, J("{\"exp\":%lld,\"iat\":%lld}", NOW + 60,
	    NOW - 300), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"iat\":%lld}", NOW + 60,
	    NOW - 301), NULL), PJ_E_LIFETIME);
	assert_err(check(&o, J("{\"exp\":%lld,\"iat\":-1e300}", NOW + 60), NULL),
	    PJ_E_LIFETIME);
	assert_err(check(&o, J("{\"exp\":%lld,\"iat\":-9223372036854775808}",
	    NOW + 60), NULL), PJ_E_LIFETIME);
	pj_options_free(&o);
}

static void
issuer(void **state)
{
	struct pj_options o;
	char reason[256] = "";
	json_t *c;
	long long e = NOW + 60;

	(void)state;
	opts(&o);
	/* not configured: any string, but never a non-string */
	assert_err(check(&o, J("{\"exp\":%lld,\"iss\":\"x\"}", e), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld}", e), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"iss\":5}", e), NULL), PJ_E_ISSUER);
	assert_err(pj_options_set(&o, PJ_LEVEL_ARG, "issuer",
	    "https://a.example, https://b.example", reason, sizeof(reason)), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"iss\":\"https://b.example\"}", e),
	    NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"iss\":\"https://c.example\"}", e),
	    NULL), PJ_E_ISSUER);
	assert_err(check(&o, J("{\"exp\":%lld,\"iss\":\"https://A.example\"}", e),
	    NULL), PJ_E_ISSUER);
	assert_err(check(&o, J("{\"exp\":%lld,\"iss\":\"https://a.example/\"}",
	    e), NULL), PJ_E_ISSUER);
	assert_err(check(&o, J("{\"exp\":%lld}", e), NULL), PJ_E_ISSUER);
	assert_err(check(&o, J("{\"exp\":%lld,\"iss\":[\"https://a.example\"]}",
	    e), NULL), PJ_E_ISSUER);
	/* a NUL inside: "https://a.example\0evil" is not https://a.example */
	c = J("{\"exp\":%lld}", e);
	json_object_set_new(c, "iss", json_stringn("https://a.example\0evil", 22));
	assert_err(check(&o, c, NULL), PJ_E_ISSUER);
	pj_options_free(&o);
}

static void
audience(void **state)
{
	struct pj_options o;
	char reason[256] = "";
	long long e = NOW + 60;
	json_t *c;

	(void)state;
	opts(&o);
	/* RFC 7519 4.1.3: a token with aud, no audience configured: reject */
	assert_err(check(&o, J("{\"exp\":%lld}", e), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":\"pam\"}", e), NULL),
	    PJ_E_AUDIENCE);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":[]}", e), NULL),
	    PJ_E_AUDIENCE);
	assert_err(pj_options_set(&o, PJ_LEVEL_ARG, "audience", "pam,ssh", reason,
	    sizeof(reason)), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":\"pam\"}", e), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":\"ssh\"}", e), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":[\"x\",\"ssh\"]}", e), NULL),
	    PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":\"PAM\"}", e), NULL),
	    PJ_E_AUDIENCE);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":\"pam,ssh\"}", e), NULL),
	    PJ_E_AUDIENCE);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":[\"x\"]}", e), NULL),
	    PJ_E_AUDIENCE);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":[]}", e), NULL),
	    PJ_E_AUDIENCE);
	assert_err(check(&o, J("{\"exp\":%lld}", e), NULL), PJ_E_AUDIENCE);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":5}", e), NULL),
	    PJ_E_AUDIENCE);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":{\"pam\":1}}", e), NULL),
	    PJ_E_AUDIENCE);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":[\"pam\",5]}", e), NULL),
	    PJ_E_AUDIENCE);
	assert_err(check(&o, J("{\"exp\":%lld,\"aud\":[[\"pam\"]]}", e), NULL),
	    PJ_E_AUDIENCE);
	c = J("{\"exp\":%lld}", e);
	json_object_set_new(c, "aud", json_stringn("pam\0x", 5));
	assert_err(check(&o, c, NULL), PJ_E_AUDIENCE);
	pj_options_free(&o);
}

static void
typ_header(void **state)
{
	static const struct {
		const char *want, *have;
		int ok;
	} t[] = {
		{ "JWT", "JWT", 1 }, { "JWT", "jwt", 1 },
		{ "JWT", "application/jwt", 1 }, { "application/JWT", "jwt", 1 },
		{ "JWT", NULL, 0 }, { "JWT", "at+jwt", 0 }, { "JWT", "JWS", 0 },
		{ "JWT", "", 0 }, { "JWT", "JWT ", 0 }, { "JWT", "application/", 0 },
		{ "at+jwt", "application/at+jwt", 1 }, { "at+jwt", "AT+JWT", 1 },
		{ "at+jwt", "JWT", 0 }, { "at+jwt", "at+jwt+x", 0 },
		{ NULL, NULL, 1 }, { NULL, "anything", 1 },
	};
	struct pj_options o;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r;

		opts(&o);
		o.typ = t[i].want ? strdup(t[i].want) : NULL;
		r = check(&o, J("{\"exp\":%lld}", NOW + 60), t[i].have);
		if (r != (t[i].ok ? PJ_OK : PJ_E_TYP))
			fail_msg("typ %s vs header %s: %d", t[i].want ? t[i].want :
			    "(none)", t[i].have ? t[i].have : "(none)", r);
		pj_options_free(&o);
	}
	/* typ is checked first: an expired token with the wrong typ is TYP */
	opts(&o);
	o.typ = strdup("JWT");
	assert_err(check(&o, J("{\"exp\":1}"), "x"), PJ_E_TYP);
	pj_options_free(&o);
}

static void
require_claim_rules(void **state)
{
	json_t *c = J("{\"role\":\"admin\",\"roles\":[\"a\",\"ops\",3],"
	    "\"scope\":\"openid  sudo profile\",\"scp\":[\"read\",\"write\"],"
	    "\"admin\":true,\"adminstr\":\"true\",\"level\":5,\"empty\":\"\","
	    "\"nested\":{\"role\":\"admin\"},\"multi\":\"admin user\","
	    "\"eq\":\"a=b\",\"n\":null}");

	(void)state;
	assert_true(pj_claims_require(c, "role=admin"));
	assert_false(pj_claims_require(c, "role=Admin"));
	assert_false(pj_claims_require(c, "role=admi"));
	assert_false(pj_claims_require(c, "role=admin "));
	assert_true(pj_claims_require(c, "roles=ops"));
	assert_false(pj_claims_require(c, "roles=3"));      /* number item */
	assert_false(pj_claims_require(c, "roles=op"));
	/* scope / scp: space-separated words */
	assert_true(pj_claims_require(c, "scope=sudo"));
	assert_true(pj_claims_require(c, "scope=openid"));
	assert_true(pj_claims_require(c, "scope=profile"));
	assert_false(pj_claims_require(c, "scope=sud"));
	assert_false(pj_claims_require(c, "scope=sudo profile"));
	assert_false(pj_claims_require(c, "scope="));
	assert_true(pj_claims_require(c, "scp=write"));
	assert_false(pj_claims_require(c, "scp=read write"));
	/* other claims are not split into words */
	assert_false(pj_claims_require(c, "multi=admin"));
	assert_true(pj_claims_require(c, "multi=admin user"));
	/* type confusion: only strings compare to the text */
	assert_false(pj_claims_require(c, "admin=true"));
	assert_true(pj_claims_require(c, "adminstr=true"));
	assert_false(pj_claims_require(c, "level=5"));
	assert_false(pj_claims_require(c, "n=null"));
	assert_false(pj_claims_require(c, "nested=admin"));
	assert_false(pj_claims_require(c, "nested.role=admin"));
	assert_false(pj_claims_require(c, "missing=x"));
	assert_true(pj_claims_require(c, "empty="));
	assert_true(pj_claims_require(c, "eq=a=b"));      /* first '=' splits */
	/* malformed specs never hold */
	assert_false(pj_claims_require(c, "role"));
	assert_false(pj_claims_require(c, "=admin"));
	{
		char spec[400];

		memset(spec, 'r', 300);
		snprintf(spec + 300, sizeof(spec) - 300, "=admin");
		assert_false(pj_claims_require(c, spec));
	}
	/* NUL inside a string value or array item */
	json_object_set_new(c, "nul", json_stringn("admin\0x", 7));
	assert_false(pj_claims_require(c, "nul=admin"));
	json_object_set_new(c, "nuls", json_pack("[o]", json_stringn("ops\0", 4)));
	assert_false(pj_claims_require(c, "nuls=ops"));
	json_object_set_new(c, "scope", json_stringn("sudo\0admin", 10));
	assert_false(pj_claims_require(c, "scope=sudo"));
	json_decref(c);
}

static void
require_claim_in_check(void **state)
{
	struct pj_options o;
	char reason[256] = "";
	long long e = NOW + 60;

	(void)state;
	opts(&o);
	assert_err(pj_options_set(&o, PJ_LEVEL_ARG, "require_claim", "scope=sudo",
	    reason, sizeof(reason)), PJ_OK);
	assert_err(pj_options_set(&o, PJ_LEVEL_ARG, "require_claim", "amr=mfa",
	    reason, sizeof(reason)), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"scope\":\"sudo\",\"amr\":[\"pwd\","
	    "\"mfa\"]}", e), NULL), PJ_OK);
	assert_err(check(&o, J("{\"exp\":%lld,\"scope\":\"sudo\"}", e), NULL),
	    PJ_E_CLAIM);
	assert_err(check(&o, J("{\"exp\":%lld,\"amr\":\"mfa\"}", e), NULL),
	    PJ_E_CLAIM);
	{
		json_t *c = J("{\"exp\":%lld,\"scope\":\"ssh\",\"amr\":\"mfa\"}", e);

		reason[0] = '\0';
		assert_err(pj_claims_check(&o, c, NULL, NOW, reason, sizeof(reason)),
		    PJ_E_CLAIM);
		assert_non_null(strstr(reason, "scope=sudo"));
		json_decref(c);
	}
	pj_options_free(&o);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_payload),
		cmocka_unit_test(numeric_dates),
		cmocka_unit_test(exp_required_and_typed),
		cmocka_unit_test(exp_boundaries),
		cmocka_unit_test(nbf_and_iat),
		cmocka_unit_test(lifetimes),
		cmocka_unit_test(issuer),
		cmocka_unit_test(audience),
		cmocka_unit_test(typ_header),
		cmocka_unit_test(require_claim_rules),
		cmocka_unit_test(require_claim_in_check),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
