/* test_jws.c - the strict compact JWS layer: shape, strict base64url,
 * header rules, algorithm pinning by the key, and every signature algorithm
 * on tokens made by PyJWT. */
#include "unit.h"

#include "lib/alg.h"
#include "lib/b64url.h"
#include "lib/jwk.h"
#include "lib/jws.h"

#include <stdlib.h>
#include <string.h>

static const char *const algs[] = { "HS256", "HS384", "HS512", "RS256",
	"RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
	"EdDSA" };

/* The key set that verifies alg, as the module would build it. */
static void
keyset_for(const char *alg, struct pj_keyset *ks)
{
	memset(ks, 0, sizeof(*ks));
	if (alg[0] == 'H')
		fx_add_secret(ks);
	else if (alg[0] == 'R' || alg[0] == 'P')
		fx_add_pem(ks, "rsa2048.pub.pem");
	else if (strcmp(alg, "ES256") == 0)
		fx_add_pem(ks, "ec256.pub.pem");
	else if (strcmp(alg, "ES384") == 0)
		fx_add_pem(ks, "ec384.pub.pem");
	else if (strcmp(alg, "ES512") == 0)
		fx_add_pem(ks, "ec521.pub.pem");
	else
		fx_add_pem(ks, "ed25519.pub.pem");
}

static int
verify(const char *tok, const struct pj_keyset *ks, unsigned int allowed,
    char *reason, size_t rlen)
{
	struct pj_jws j;
	int r;

	reason[0] = '\0';
	memset(&j, 0xa5, sizeof(j));
	r = pj_jws_verify(tok, strlen(tok), ks, allowed, &j, reason, rlen);
	if (r != PJ_OK) {
		/* nothing left behind on failure */
		assert_null(j.header);
		assert_int_equal(j.parsed, 0);
		assert_null(j.payload);
		assert_null(j.kid);
	}
	pj_jws_clear(&j);
	return r;
}

static void
every_algorithm_verifies(void **state)
{
	struct pj_keyset ks;
	struct pj_jws j;
	char reason[256] = "", name[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		const char *tok;
		int r;

		snprintf(name, sizeof(name), "tok.%s", algs[i]);
		tok = fx_tok(name);
		keyset_for(algs[i], &ks);
		r = pj_jws_verify(tok, strlen(tok), &ks, 0, &j, reason,
		    sizeof(reason));
		if (r != PJ_OK)
			fail_msg("%s: %s (%s)", algs[i], pj_strerror(r), reason);
		assert_string_equal(pj_alg_name(j.alg), algs[i]);
		assert_int_equal(j.parsed, 1);
		assert_string_equal(j.typ, "JWT");
		assert_null(j.kid);
		assert_non_null(strstr((char *)j.payload, "\"sub\":\"alice\""));
		assert_int_equal(strlen((char *)j.payload), j.payload_len);
		pj_jws_clear(&j);
		pj_jws_clear(&j);
		/* the same token, the algorithm not allowed */
		assert_err(verify(tok, &ks, PJ_ALG_ALL & ~j.alg & ~pj_alg_from_name(
		    algs[i], strlen(algs[i])), reason, sizeof(reason)), PJ_E_ALG);
		assert_err(verify(tok, &ks, pj_alg_from_name(algs[i],
		    strlen(algs[i])), reason, sizeof(reason)), PJ_OK);
		pj_keyset_free(&ks);
	}
	pj_jws_clear(NULL);
}

/* The algorithm is pinned by the key: a token verifies with no key of
 * another family, however the token was made. */
static void
algorithm_pinned_by_key(void **state)
{
	struct pj_keyset ks;
	char reason[256] = "";
	size_t i, k;

	(void)state;
	for (k = 0; k < sizeof(algs) / sizeof(algs[0]); k++) {
		keyset_for(algs[k], &ks);
		for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
			char name[32];
			int r;
			unsigned int kb = ks.keys[0].algs;
			unsigned int tb = pj_alg_from_name(algs[i], strlen(algs[i]));

			snprintf(name, sizeof(name), "tok.%s", algs[i]);
			r = verify(fx_tok(name), &ks, 0, reason, sizeof(reason));
			if (tb & kb)
				assert_err(r, PJ_OK);
			else if (r != PJ_E_ALG)
				fail_msg("%s token with %s key: %d (%s) %s", algs[i],
				    algs[k], r, pj_strerror(r), reason);
		}
		pj_keyset_free(&ks);
	}
}

static void
confusion_attacks(void **state)
{
	struct pj_keyset ks = { 0 };
	char reason[256] = "";

	(void)state;
	/* HS256 made with the RSA public key's PEM text as the HMAC secret */
	fx_add_pem(&ks, "rsa2048.pub.pem");
	assert_err(verify(fx_tok("conf.hs_pem"), &ks, 0, reason, sizeof(reason)),
	    PJ_E_ALG);
	assert_err(verify(fx_tok("conf.hs_pem"), &ks, PJ_ALG_HS256, reason,
	    sizeof(reason)), PJ_E_ALG);
	/* PSS signature under RS256 and the other way round; PS256 with a
	 * zero-length salt; RS256 whose DigestInfo is SHA-512 */
	assert_err(verify(fx_tok("conf.ps_pkcs1"), &ks, 0, reason, sizeof(reason)),
	    PJ_E_SIGNATURE);
	assert_err(verify(fx_tok("conf.rs_pss"), &ks, 0, reason, sizeof(reason)),
	    PJ_E_SIGNATURE);
	assert_err(verify(fx_tok("conf.ps_salt0"), &ks, 0, reason, sizeof(reason)),
	    PJ_E_SIGNATURE);
	assert_err(verify(fx_tok("conf.rs256_sha512"), &ks, 0, reason,
	    sizeof(reason)), PJ_E_SIGNATURE);
	pj_keyset_free(&ks);
	/* the same through a JWK Set: the kid names an RSA key */
	fx_add_jwk(&ks, "jwk-rsa1.json");
	assert_err(verify(fx_tok("conf.hs_pem_kid"), &ks, 0, reason,
	    sizeof(reason)), PJ_E_ALG);
	pj_keyset_free(&ks);
	/* with a secret and the RSA key configured, HS256 is allowed, but the
	 * PEM text is not the secret */
	fx_add_secret(&ks);
	fx_add_pem(&ks, "rsa2048.pub.pem");
	assert_err(verify(fx_tok("conf.hs_pem"), &ks, 0, reason, sizeof(reason)),
	    PJ_E_SIGNATURE);
	pj_keyset_free(&ks);
	/* ES256 header, P-384 key (and signature): refused by the curve */
	fx_add_pem(&ks, "ec384.pub.pem");
	assert_err(verify(fx_tok("conf.es256_p384"), &ks, 0, reason,
	    sizeof(reason)), PJ_E_ALG);
	pj_keyset_free(&ks);
	fx_add_pem(&ks, "ec256.pub.pem");
	assert_err(verify(fx_tok("conf.es256_p384"), &ks, 0, reason,
	    sizeof(reason)), PJ_E_SIGNATURE);
	/* DER-encoded ECDSA instead of r || s */
	assert_err(verify(fx_tok("conf.es256_der"), &ks, 0, reason,
	    sizeof(reason)), PJ_E_SIGNATURE);
	/* ES512 header with a P-256 key */
	assert_err(verify(fx_tok("conf.es512_p256"), &ks, 0, reason,
	    sizeof(reason)), PJ_E_ALG);
	pj_keyset_free(&ks);
	fx_add_pem(&ks, "ec521.pub.pem");
	assert_err(verify(fx_tok("conf.es512_p256"), &ks, 0, reason,
	    sizeof(reason)), PJ_E_SIGNATURE);
	pj_keyset_free(&ks);
	/* HS256 header, HMAC-SHA384 value */
	fx_add_secret(&ks);
	assert_err(verify(fx_tok("conf.hs256_with_hs384_mac"), &ks, 0, reason,
	    sizeof(reason)), PJ_E_SIGNATURE);
	pj_keyset_free(&ks);
}

static const struct {
	const char *name;
	int want;      /* PJ_OK, or the code; 1 = any rejection */
} header_cases[] = {
	{ "raw.ok", PJ_OK },
	{ "raw.ws", PJ_OK },                 /* JSON white space */
	{ "raw.ignored", PJ_OK },            /* jwk/jku/x5u/x5c are never used */
	{ "hdr.cty_other", PJ_OK },
	{ "hdr.kid_256", PJ_OK },            /* unknown kid: kid-less secret */
	{ "pay.dup", PJ_OK },                /* payload not interpreted here */
	{ "pay.notjson", PJ_OK },
	{ "pay.array", PJ_OK },
	{ "hdr.dup_alg", PJ_E_MALFORMED },
	{ "hdr.dup_kid", PJ_E_MALFORMED },
	{ "hdr.crit", PJ_E_HEADER },
	{ "hdr.crit_empty", PJ_E_HEADER },
	{ "hdr.enc", PJ_E_HEADER },
	{ "hdr.zip", PJ_E_HEADER },
	{ "hdr.b64", PJ_E_HEADER },
	{ "hdr.b64_true", PJ_E_HEADER },
	{ "hdr.cty_JWT", PJ_E_HEADER },
	{ "hdr.cty_jwt", PJ_E_HEADER },
	{ "hdr.cty_num", PJ_E_HEADER },
	{ "hdr.kid_num", PJ_E_HEADER },
	{ "hdr.kid_empty", PJ_E_HEADER },
	{ "hdr.kid_long", PJ_E_HEADER },
	{ "hdr.kid_obj", PJ_E_HEADER },
	{ "hdr.kid_null", PJ_E_HEADER },
	{ "hdr.kid_nul", 1 },
	{ "hdr.typ_num", PJ_E_HEADER },
	{ "hdr.alg_none", PJ_E_ALG },
	{ "hdr.alg_None", PJ_E_ALG },
	{ "hdr.alg_NONE", PJ_E_ALG },
	{ "hdr.alg_none_hmac", PJ_E_ALG },
	{ "hdr.alg_lower", PJ_E_ALG },
	{ "hdr.alg_unknown", PJ_E_ALG },
	{ "hdr.alg_ed25519", PJ_E_ALG },
	{ "hdr.alg_missing", PJ_E_ALG },
	{ "hdr.alg_num", PJ_E_ALG },
	{ "hdr.alg_null", PJ_E_ALG },
	{ "hdr.alg_nul", 1 },
	{ "hdr.array", PJ_E_MALFORMED },
	{ "hdr.string", PJ_E_MALFORMED },
	{ "hdr.trailing", PJ_E_MALFORMED },
	{ "hdr.two_objects", PJ_E_MALFORMED },
	{ "hdr.bad_json", PJ_E_MALFORMED },
	{ "hdr.bad_utf8", PJ_E_MALFORMED },
};

static void
header_rules(void **state)
{
	struct pj_keyset ks;
	char reason[256] = "";
	size_t i;

	(void)state;
	keyset_for("HS256", &ks);
	for (i = 0; i < sizeof(header_cases) / sizeof(header_cases[0]); i++) {
		int r = verify(fx_tok(header_cases[i].name), &ks, 0, reason,
		    sizeof(reason));

		if (header_cases[i].want == 1) {
			if (pj_err_class(r) != PJ_CLASS_REJECT)
				fail_msg("%s: %d (%s), expected a rejection",
				    header_cases[i].name, r, pj_strerror(r));
		} else if (r != header_cases[i].want) {
			fail_msg("%s: %d (%s: %s), expected %d (%s)",
			    header_cases[i].name, r, pj_strerror(r), reason,
			    header_cases[i].want, pj_strerror(header_cases[i].want));
		}
		if (r != PJ_OK)
			assert_string_not_equal(reason, "");
	}
	pj_keyset_free(&ks);
}

static void
peek_header(void **state)
{
	struct pj_jws j;
	char reason[256] = "";
	const char *tok = fx_tok("kid.ES384");
	char big[PJ_TOKEN_MAX + 2];

	(void)state;
	assert_err(pj_jws_peek_header(tok, strlen(tok), &j, reason,
	    sizeof(reason)), PJ_OK);
	assert_int_equal(j.alg, PJ_ALG_ES384);
	assert_string_equal(j.kid, "ec384");
	assert_string_equal(j.typ, "JWT");
	assert_null(j.payload);
	pj_jws_clear(&j);
	/* no verification: a bad signature peeks fine */
	assert_err(pj_jws_peek_header(fx_tok("conf.hs_pem"), strlen(
	    fx_tok("conf.hs_pem")), &j, reason, sizeof(reason)), PJ_OK);
	pj_jws_clear(&j);
	assert_err(pj_jws_peek_header("password", 8, &j, reason, sizeof(reason)),
	    PJ_E_NOT_JWS);
	assert_null(j.header);
	assert_err(pj_jws_peek_header(fx_tok("hdr.crit"), strlen(
	    fx_tok("hdr.crit")), &j, reason, sizeof(reason)), PJ_E_HEADER);
	assert_null(j.header);
	memset(big, 'A', sizeof(big));
	big[10] = '.';
	big[20] = '.';
	reason[0] = '\0';
	assert_err(pj_jws_peek_header(big, PJ_TOKEN_MAX + 1, &j, reason,
	    sizeof(reason)), PJ_E_TOO_LONG);
	assert_non_null(strstr(reason, "16384"));
}

static void
shape(void **state)
{
	static const struct {
		const char *s;
		int shaped;
	} t[] = {
		{ "a.b.c", 1 }, { "a.b.", 1 }, { "eyJ.eyJ.", 1 },
		{ "a-_.b_-.c-_", 1 },
		{ "", 0 }, { "a", 0 }, { "a.b", 0 }, { "a.b.c.d", 0 },
		{ "a.b.c.", 0 }, { ".b.c", 0 }, { "a..c", 0 }, { "..", 0 },
		{ "a.b.c=", 0 }, { "a=.b.c", 0 }, { "a.b+.c", 0 }, { "a/.b.c", 0 },
		{ "a.b. c", 0 }, { " a.b.c", 0 }, { "a.b.c\n", 0 },
		{ "a.b\t.c", 0 }, { "hunter2", 0 }, { "correct horse", 0 },
		{ "a.b.c\x80", 0 }, { "{\"payload\":\"x\"}", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (pj_jws_shaped(t[i].s, strlen(t[i].s)) != t[i].shaped)
			fail_msg("pj_jws_shaped(\"%s\") != %d", t[i].s, t[i].shaped);
	/* length counts, not NUL */
	assert_int_equal(pj_jws_shaped("a.b.c\0d", 7), 0);
	assert_int_equal(pj_jws_shaped("a.b.c\0d", 5), 1);
}

/* Set one unused low bit in the last character of segment seg (0..2) of
 * tok; returns 0 if that segment has no unused bits. */
static int
spoil_trailing_bits(char *tok, int seg)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *start = tok, *end;
	int i, v;
	size_t len;

	for (i = 0; i < seg; i++)
		start = strchr(start, '.') + 1;
	end = strchr(start, '.');
	len = end ? (size_t)(end - start) : strlen(start);
	if (len % 4 != 2 && len % 4 != 3)
		return 0;
	v = (int)(strchr(alphabet, start[len - 1]) - alphabet);
	assert_int_equal(v & (len % 4 == 2 ? 0x0f : 0x03), 0);
	start[len - 1] = alphabet[v | 1];
	return 1;
}

static void
strict_base64url(void **state)
{
	struct pj_keyset ks;
	char reason[256] = "";
	size_t i, done = 0;
	int seg;

	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "tok.%s", algs[i]);
		keyset_for(algs[i], &ks);
		for (seg = 0; seg < 3; seg++) {
			char *t = strdup(fx_tok(name));

			assert_non_null(t);
			if (spoil_trailing_bits(t, seg)) {
				int r = verify(t, &ks, 0, reason, sizeof(reason));

				if (r != PJ_E_MALFORMED)
					fail_msg("%s: non-canonical segment %d: %d (%s)",
					    algs[i], seg, r, pj_strerror(r));
				done++;
			}
			free(t);
		}
		pj_keyset_free(&ks);
	}
	/* HS256 (43) and ES256 (86) signatures at least; say how many */
	assert_true(done >= 2);
	print_message("non-canonical trailing bits rejected in %zu segments\n",
	    done);
}

static void
stray_bytes_and_pieces(void **state)
{
	struct pj_keyset ks;
	char reason[256], buf[2048];
	const char *tok = fx_tok("tok.HS256");
	const char *d2 = strrchr(tok, '.');
	size_t len = strlen(tok);

	(void)state;
	keyset_for("HS256", &ks);
	assert_err(verify(tok, &ks, 0, reason, sizeof(reason)), PJ_OK);
	snprintf(buf, sizeof(buf), "%s=", tok);
	assert_err(verify(buf, &ks, 0, reason, sizeof(reason)), PJ_E_NOT_JWS);
	snprintf(buf, sizeof(buf), "%s.", tok);
	assert_err(verify(buf, &ks, 0, reason, sizeof(reason)), PJ_E_NOT_JWS);
	snprintf(buf, sizeof(buf), "%s.%s", tok, d2 + 1);
	assert_err(verify(buf, &ks, 0, reason, sizeof(reason)), PJ_E_NOT_JWS);
	snprintf(buf, sizeof(buf), " %s", tok);
	assert_err(verify(buf, &ks, 0, reason, sizeof(reason)), PJ_E_NOT_JWS);
	snprintf(buf, sizeof(buf), "%s\n", tok);
	assert_err(verify(buf, &ks, 0, reason, sizeof(reason)), PJ_E_NOT_JWS);
	memcpy(buf, tok, len + 1);
	buf[5] = '+';
	assert_err(verify(buf, &ks, 0, reason, sizeof(reason)), PJ_E_NOT_JWS);
	/* the signature removed: shaped, but rejected */
	memcpy(buf, tok, (size_t)(d2 - tok) + 1);
	buf[d2 - tok + 1] = '\0';
	assert_err(verify(buf, &ks, 0, reason, sizeof(reason)), PJ_E_SIGNATURE);
	/* signature of 1 mod 4 characters: not base64url at all */
	memcpy(buf, tok, len + 1);
	buf[len - 2] = '\0';
	assert_err(verify(buf, &ks, 0, reason, sizeof(reason)), PJ_E_MALFORMED);
	/* a signature one byte short / long (still canonical) */
	memcpy(buf, tok, len + 1);
	buf[len - 3] = '\0';                  /* 40 chars: 30 bytes */
	assert_err(verify(buf, &ks, 0, reason, sizeof(reason)), PJ_E_SIGNATURE);
	snprintf(buf, sizeof(buf), "%sAAAA", tok);   /* 35 bytes */
	assert_err(verify(buf, &ks, 0, reason, sizeof(reason)), PJ_E_SIGNATURE);
	snprintf(buf, sizeof(buf), "%.*sAAAAAA", (int)(len - 3), tok);
	assert_err(verify(buf, &ks, 0, reason, sizeof(reason)), PJ_E_SIGNATURE);
	pj_keyset_free(&ks);
}

static void
kid_selection(void **state)
{
	struct pj_keyset ks = { 0 };
	char reason[256] = "";
	size_t i, len;
	char *text = fx_slurp("jwks.json", &len);
	static const char *const kidded[] = { "kid.RS256", "kid.PS256",
	    "kid.ES256", "kid.ES384", "kid.ES512", "kid.EdDSA" };

	(void)state;
	assert_err(pj_jwks_parse(text, len, &ks, reason, sizeof(reason)), PJ_OK);
	for (i = 0; i < sizeof(kidded) / sizeof(kidded[0]); i++)
		if (verify(fx_tok(kidded[i]), &ks, 0, reason, sizeof(reason)) != PJ_OK)
			fail_msg("%s: %s", kidded[i], reason);
	/* without kid: RS256 has one RSA key in the set, ES256 one P-256 key */
	assert_err(verify(fx_tok("tok.RS256"), &ks, 0, reason, sizeof(reason)),
	    PJ_OK);
	assert_err(verify(fx_tok("tok.ES256"), &ks, 0, reason, sizeof(reason)),
	    PJ_OK);
	/* HS256 token: no HMAC key in the set */
	assert_err(verify(fx_tok("tok.HS256"), &ks, 0, reason, sizeof(reason)),
	    PJ_E_ALG);
	/* a kid-less secret beside the set serves HS256 with any kid */
	fx_add_secret(&ks);
	assert_err(verify(fx_tok("kid.HS256"), &ks, 0, reason, sizeof(reason)),
	    PJ_OK);
	/* and a second RSA key without kid makes kid-less RS256 ambiguous */
	fx_add_pem(&ks, "rsa2048.pub.pem");
	assert_err(verify(fx_tok("tok.RS256"), &ks, 0, reason, sizeof(reason)),
	    PJ_E_NO_KEY);
	assert_err(verify(fx_tok("kid.RS256"), &ks, 0, reason, sizeof(reason)),
	    PJ_OK);
	pj_keyset_free(&ks);
	free(text);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_algorithm_verifies),
		cmocka_unit_test(algorithm_pinned_by_key),
		cmocka_unit_test(confusion_attacks),
		cmocka_unit_test(header_rules),
		cmocka_unit_test(peek_header),
		cmocka_unit_test(shape),
		cmocka_unit_test(strict_base64url),
		cmocka_unit_test(stray_bytes_and_pieces),
		cmocka_unit_test(kid_selection),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
