/* test_jwk.c - JWKs built from their members, and JWK Sets */
#include "unit.h"

#include "lib/alg.h"
#include "lib/b64url.h"
#include "lib/jwk.h"
#include "lib/jws.h"
#include "lib/options.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static json_t *
load_jwk(const char *name)
{
	json_error_t jerr;
	json_t *j = json_load_file(fx_path(name), 0, &jerr);

	if (j == NULL)
		fail_msg("%s: %s", name, jerr.text);
	return j;
}

/* pj_jwk_to_key; on PJ_OK the key is returned in *k (caller clears). */
static int
to_key(json_t *j, int allow_private, struct pj_key *k, char *reason,
    size_t rlen)
{
	reason[0] = '\0';
	return pj_jwk_to_key(j, allow_private, k, reason, rlen);
}

static void
good_keys(void **state)
{
	static const struct {
		const char *file;
		enum pj_key_type type;
		unsigned int algs;
		size_t sig_len;
	} t[] = {
		{ "jwk-rsa1.json", PJ_KEY_RSA, PJ_ALG_RSA, 256 },
		{ "jwk-ec256.json", PJ_KEY_EC, PJ_ALG_ES256, 64 },
		{ "jwk-ec384.json", PJ_KEY_EC, PJ_ALG_ES384, 96 },
		{ "jwk-ec521.json", PJ_KEY_EC, PJ_ALG_ES512, 132 },
		{ "jwk-ed1.json", PJ_KEY_ED25519, PJ_ALG_EDDSA, 64 },
		{ "jwk-oct.json", PJ_KEY_HMAC, PJ_ALG_HMAC, 0 },
	};
	char reason[256] = "";
	struct pj_key k;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		json_t *j = load_jwk(t[i].file);
		int r = to_key(j, 0, &k, reason, sizeof(reason));

		if (r != PJ_OK)
			fail_msg("%s: %s (%s)", t[i].file, pj_strerror(r), reason);
		assert_int_equal(k.type, t[i].type);
		assert_int_equal(k.algs, t[i].algs);
		if (t[i].sig_len != 0)
			assert_int_equal(k.sig_len, t[i].sig_len);
		assert_non_null(k.kid);
		assert_string_equal(k.kid,
		    json_string_value(json_object_get(j, "kid")));
		assert_null(k.note);
		pj_key_clear(&k);
		json_decref(j);
	}
	/* the key from the JWK equals the key from the PEM: same Ed25519 bytes */
	{
		struct pj_keyset ks = { 0 };

		fx_add_pem(&ks, "ed25519.pub.pem");
		fx_add_jwk(&ks, "jwk-ed1.json");
		assert_memory_equal(ks.keys[0].ed25519, ks.keys[1].ed25519, 32);
		pj_keyset_free(&ks);
	}
}

/* Replace member name of a copy of the fixture with bytes (base64url). */
static json_t *
with_bytes(const char *file, const char *name, const unsigned char *b,
    size_t len)
{
	json_t *j = load_jwk(file);
	char *enc = pj_b64url_encode_alloc(b, len);

	assert_non_null(enc);
	json_object_set_new(j, name, json_string(enc));
	free(enc);
	return j;
}

static unsigned char *
member_bytes(const char *file, const char *name, size_t *len)
{
	json_t *j = load_jwk(file);
	json_t *v = json_object_get(j, name);
	unsigned char *b = NULL;

	assert_int_equal(pj_b64url_decode_alloc(json_string_value(v),
	    json_string_length(v), &b, len), PJ_OK);
	json_decref(j);
	return b;
}

static void
rsa_members(void **state)
{
	char reason[256] = "";
	struct pj_key k;
	size_t nlen;
	unsigned char *n = member_bytes("jwk-rsa1.json", "n", &nlen);
	unsigned char *n0 = malloc(nlen + 1);
	json_t *j;

	(void)state;
	assert_non_null(n0);
	/* RFC 7518 6.3.1.1: no leading zero octet in n or e */
	n0[0] = 0;
	memcpy(n0 + 1, n, nlen);
	j = with_bytes("jwk-rsa1.json", "n", n0, nlen + 1);
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "leading zero"));
	json_decref(j);
	j = with_bytes("jwk-rsa1.json", "e", (const unsigned char *)"\0\1\0\1", 4);
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_decref(j);
	/* 1024 bits: well-formed, unusable, with a note */
	j = with_bytes("jwk-rsa1.json", "n", n, 128);
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	assert_non_null(k.note);
	assert_non_null(strstr(k.note, "bits"));
	pj_key_clear(&k);
	json_decref(j);
	/* e = 1 */
	j = with_bytes("jwk-rsa1.json", "e", (const unsigned char *)"\1", 1);
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	assert_non_null(k.note);
	pj_key_clear(&k);
	json_decref(j);
	/* missing, empty, non-string, not base64url, non-canonical */
	j = load_jwk("jwk-rsa1.json");
	json_object_del(j, "n");
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_object_set_new(j, "n", json_string(""));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_object_set_new(j, "n", json_integer(65537));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_object_set_new(j, "n", json_string("ab+/cd=="));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_decref(j);
	j = load_jwk("jwk-rsa1.json");
	json_object_set_new(j, "e", json_string("AQAC"));  /* fine: even e */
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	pj_key_clear(&k);
	json_object_set_new(j, "e", json_string("AQAB="));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_object_set_new(j, "e", json_string("AQAD"));  /* 65539: odd, ok */
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, PJ_ALG_RSA);
	pj_key_clear(&k);
	json_object_set_new(j, "e", json_string("AQAB"));
	/* "AQAB" with non-zero unused bits: "AQAC"'s twin "AQAB" is exact,
	 * "AQ" (1 byte) has a lenient spelling "AR" */
	json_object_set_new(j, "e", json_string("AR"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_decref(j);
	free(n);
	free(n0);
}

static void
ec_members(void **state)
{
	char reason[256] = "";
	struct pj_key k;
	size_t ylen, xlen;
	unsigned char *y = member_bytes("jwk-ec256.json", "y", &ylen);
	unsigned char *x = member_bytes("jwk-ec256.json", "x", &xlen);
	unsigned char big[33];
	json_t *j;

	(void)state;
	/* a point not on the curve */
	y[31] ^= 1;
	j = with_bytes("jwk-ec256.json", "y", y, ylen);
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "point"));
	json_decref(j);
	y[31] ^= 1;
	/* coordinates longer than the curve's, the right point plus a zero */
	big[0] = 0;
	memcpy(big + 1, x, 32);
	j = with_bytes("jwk-ec256.json", "x", big, 33);
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_decref(j);
	/* P-256 coordinates under P-384 */
	j = load_jwk("jwk-ec256.json");
	json_object_set_new(j, "crv", json_string("P-384"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	/* P-384 coordinates under P-256: too long */
	json_decref(j);
	j = load_jwk("jwk-ec384.json");
	json_object_set_new(j, "crv", json_string("P-256"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_decref(j);
	/* missing crv, missing y, non-string crv */
	j = load_jwk("jwk-ec256.json");
	json_object_del(j, "y");
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_object_set_new(j, "y", json_string(""));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_decref(j);
	j = load_jwk("jwk-ec256.json");
	json_object_del(j, "crv");
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_object_set_new(j, "crv", json_integer(256));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	/* curves pam_jwt does not use: well-formed, unusable, noted */
	json_object_set_new(j, "crv", json_string("secp256k1"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	assert_non_null(strstr(k.note, "curve"));
	pj_key_clear(&k);
	json_object_set_new(j, "crv", json_string("P-192"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	pj_key_clear(&k);
	json_decref(j);
	free(x);
	free(y);
}

static void
okp_and_oct_members(void **state)
{
	char reason[256] = "";
	struct pj_key k;
	json_t *j;
	unsigned char b[64];

	(void)state;
	memset(b, 7, sizeof(b));
	j = with_bytes("jwk-ed1.json", "x", b, 31);
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_decref(j);
	j = with_bytes("jwk-ed1.json", "x", b, 33);
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_decref(j);
	j = load_jwk("jwk-ed1.json");
	json_object_set_new(j, "crv", json_string("X25519"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	assert_non_null(k.note);
	pj_key_clear(&k);
	json_object_set_new(j, "crv", json_string("Ed448"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	pj_key_clear(&k);
	json_decref(j);
	/* oct: short, weak, HS512 needs 64 bytes */
	j = with_bytes("jwk-oct.json", "k", (const unsigned char *)
	    "0123456789abcdef", 16);
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	assert_non_null(k.note);
	pj_key_clear(&k);
	json_decref(j);
	j = with_bytes("jwk-oct.json", "k", b, 64);     /* one byte value */
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	assert_non_null(strstr(k.note, "weak"));
	pj_key_clear(&k);
	json_decref(j);
	j = with_bytes("jwk-oct.json", "k", (const unsigned char *)
	    "0123456789abcdef0123456789abcdef", 32);
	json_object_set_new(j, "alg", json_string("HS512"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	assert_non_null(strstr(k.note, "alg"));
	pj_key_clear(&k);
	json_object_set_new(j, "alg", json_string("HS256"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, PJ_ALG_HS256);
	pj_key_clear(&k);
	json_object_del(j, "k");
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_decref(j);
}

static void
private_members_refused(void **state)
{
	static const char *const members[] = { "d", "p", "q", "dp", "dq", "qi",
	    "oth" };
	static const char *const files[] = { "jwk-rsa1.json", "jwk-ec256.json",
	    "jwk-ed1.json" };
	static const char *const privs[] = { "jwk-rsa1-private.json",
	    "jwk-ec256-private.json", "jwk-ec384-private.json",
	    "jwk-ec521-private.json", "jwk-ed1-private.json" };
	char reason[256] = "";
	struct pj_key k;
	size_t i, f;

	(void)state;
	for (f = 0; f < sizeof(files) / sizeof(files[0]); f++)
		for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
			json_t *j = load_jwk(files[f]);

			json_object_set_new(j, members[i], json_string("AQAB"));
			if (to_key(j, 0, &k, reason, sizeof(reason)) != PJ_E_KEY)
				fail_msg("%s with '%s' accepted", files[f], members[i]);
			assert_non_null(strstr(reason, "private"));
			/* tests may allow them */
			assert_err(to_key(j, 1, &k, reason, sizeof(reason)), PJ_OK);
			assert_int_not_equal(k.algs, 0);
			pj_key_clear(&k);
			json_decref(j);
		}
	for (f = 0; f < sizeof(privs) / sizeof(privs[0]); f++) {
		json_t *j = load_jwk(privs[f]);

		assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
		assert_err(to_key(j, 1, &k, reason, sizeof(reason)), PJ_OK);
		assert_int_not_equal(k.algs, 0);
		pj_key_clear(&k);
		json_decref(j);
	}
}

static void
use_key_ops_alg(void **state)
{
	char reason[256] = "";
	struct pj_key k;
	json_t *j = load_jwk("jwk-ec256.json");

	(void)state;
	json_object_set_new(j, "use", json_string("enc"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	assert_non_null(strstr(k.note, "use"));
	assert_string_equal(k.kid, "ec256");   /* kept, so select can say why */
	pj_key_clear(&k);
	json_object_set_new(j, "use", json_string("sig"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, PJ_ALG_ES256);
	pj_key_clear(&k);
	json_object_set_new(j, "use", json_integer(1));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_object_del(j, "use");

	json_object_set_new(j, "key_ops", json_pack("[s,s]", "sign", "encrypt"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	assert_non_null(strstr(k.note, "key_ops"));
	pj_key_clear(&k);
	json_object_set_new(j, "key_ops", json_pack("[]"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	pj_key_clear(&k);
	json_object_set_new(j, "key_ops", json_pack("[s,s]", "sign", "verify"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, PJ_ALG_ES256);
	pj_key_clear(&k);
	json_object_set_new(j, "key_ops", json_string("verify"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_object_set_new(j, "key_ops", json_pack("[i]", 1));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_object_del(j, "key_ops");

	/* alg narrows the key, or makes it unusable when it does not fit */
	json_object_set_new(j, "alg", json_string("ES384"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	assert_non_null(strstr(k.note, "alg"));
	pj_key_clear(&k);
	json_object_set_new(j, "alg", json_string("none"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	pj_key_clear(&k);
	json_object_set_new(j, "alg", json_string("HS256"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	pj_key_clear(&k);
	json_object_set_new(j, "alg", json_integer(256));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_decref(j);

	j = load_jwk("jwk-rsa1.json");
	json_object_set_new(j, "alg", json_string("PS384"));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, PJ_ALG_PS384);
	pj_key_clear(&k);
	json_decref(j);
}

static void
shape_errors(void **state)
{
	char reason[256] = "";
	struct pj_key k;
	json_t *j;

	(void)state;
	j = json_pack("[]");
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_decref(j);
	assert_err(to_key(NULL, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	j = load_jwk("jwk-rsa1.json");
	json_object_del(j, "kty");
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_object_set_new(j, "kty", json_integer(1));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_object_set_new(j, "kty", json_string("rsa"));   /* case matters */
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.algs, 0);
	assert_non_null(strstr(k.note, "kty"));
	pj_key_clear(&k);
	json_object_set_new(j, "kty", json_string("RSA"));
	json_object_set_new(j, "kid", json_integer(1));
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_E_KEY);
	json_object_del(j, "kid");
	assert_err(to_key(j, 0, &k, reason, sizeof(reason)), PJ_OK);
	assert_null(k.kid);
	pj_key_clear(&k);
	json_decref(j);
}

/* ---- JWK Sets ------------------------------------------------------------ */

static char *
set_of(const char *a, const char *b, const char *c)
{
	char *t = NULL;

	if (asprintf(&t, "{\"keys\":[%s%s%s%s%s]}", a, b ? "," : "", b ? b : "",
	    c ? "," : "", c ? c : "") < 0)
		abort();
	return t;
}

static int
parse(const char *text, struct pj_keyset *ks, char *reason, size_t rlen)
{
	memset(ks, 0, sizeof(*ks));
	reason[0] = '\0';
	return pj_jwks_parse(text, strlen(text), ks, reason, rlen);
}

static void
jwks_good(void **state)
{
	struct pj_keyset ks;
	char reason[256] = "";
	size_t len, i;
	char *text = fx_slurp("jwks.json", &len);
	const struct pj_key *k;

	(void)state;
	assert_err(parse(text, &ks, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(ks.n, 5);
	for (i = 0; i < ks.n; i++)
		assert_int_not_equal(ks.keys[i].algs, 0);
	assert_err(pj_keyset_select(&ks, PJ_ALG_ES384, "ec384", &k, reason,
	    sizeof(reason)), PJ_OK);
	assert_string_equal(k->kid, "ec384");
	/* no kid but exactly one key fits ES512 */
	assert_err(pj_keyset_select(&ks, PJ_ALG_ES512, NULL, &k, reason,
	    sizeof(reason)), PJ_OK);
	assert_string_equal(k->kid, "ec521");
	/* a set is appended to what is there (secret_file, public_key_file) */
	assert_err(pj_jwks_parse(text, len, &ks, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(ks.n, 10);
	pj_keyset_free(&ks);
	free(text);
}

static void
jwks_unusable_and_duplicates(void **state)
{
	struct pj_keyset ks;
	char reason[256] = "";
	char *rsa = fx_slurp("jwk-rsa1.json", NULL);
	char *ec = fx_slurp("jwk-ec256.json", NULL);
	char *t;
	json_t *j;
	char *enc_text, *ec_other;

	(void)state;
	/* an unusable key stays, with its note, beside a usable one */
	j = json_loads(ec, 0, NULL);
	json_object_set_new(j, "use", json_string("enc"));
	json_object_set_new(j, "kid", json_string("enc1"));
	enc_text = json_dumps(j, 0);
	json_decref(j);
	t = set_of(rsa, enc_text, NULL);
	assert_err(parse(t, &ks, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(ks.n, 2);
	assert_int_equal(ks.keys[1].algs, 0);
	assert_non_null(ks.keys[1].note);
	pj_keyset_free(&ks);
	free(t);
	/* a set with no usable key */
	t = set_of(enc_text, NULL, NULL);
	assert_err(parse(t, &ks, reason, sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "no usable key"));
	pj_keyset_free(&ks);
	free(t);
	assert_err(parse("{\"keys\":[]}", &ks, reason, sizeof(reason)), PJ_E_KEY);
	pj_keyset_free(&ks);
	/* duplicate kid, even between a usable and an unusable key */
	j = json_loads(ec, 0, NULL);
	json_object_set_new(j, "kid", json_string("rsa1"));
	ec_other = json_dumps(j, 0);
	json_decref(j);
	t = set_of(rsa, ec, ec_other);
	assert_err(parse(t, &ks, reason, sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "duplicate kid"));
	pj_keyset_free(&ks);
	free(t);
	t = set_of(ec, rsa, ec);
	assert_err(parse(t, &ks, reason, sizeof(reason)), PJ_E_KEY);
	pj_keyset_free(&ks);
	free(t);
	/* keys without kid may repeat (selection then needs the alg) */
	j = json_loads(ec, 0, NULL);
	json_object_del(j, "kid");
	free(ec_other);
	ec_other = json_dumps(j, 0);
	json_decref(j);
	t = set_of(ec_other, ec_other, rsa);
	assert_err(parse(t, &ks, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(ks.n, 3);
	{
		const struct pj_key *k;

		assert_err(pj_keyset_select(&ks, PJ_ALG_ES256, NULL, &k, reason,
		    sizeof(reason)), PJ_E_NO_KEY);
	}
	pj_keyset_free(&ks);
	free(t);
	/* a private member anywhere refuses the whole set */
	{
		char *priv = fx_slurp("jwk-ec384-private.json", NULL);

		t = set_of(rsa, priv, NULL);
		assert_err(parse(t, &ks, reason, sizeof(reason)), PJ_E_KEY);
		assert_non_null(strstr(reason, "private"));
		pj_keyset_free(&ks);
		free(t);
		free(priv);
	}
	free(enc_text);
	free(ec_other);
	free(rsa);
	free(ec);
}

/* However the set is read (keys built at once or when a token selects
 * them), a key whose point is off the curve never verifies anything. */
static void
jwks_bad_point_never_verifies(void **state)
{
	struct pj_keyset ks;
	struct pj_jws j;
	char reason[256] = "";
	char *rsa = fx_slurp("jwk-rsa1.json", NULL), *t, *bad;
	size_t ylen;
	unsigned char *y = member_bytes("jwk-ec256.json", "y", &ylen);
	json_t *e;
	const char *tok = fx_tok("kid.ES256");
	int r;

	(void)state;
	y[ylen - 1] ^= 1;
	e = with_bytes("jwk-ec256.json", "y", y, ylen);
	bad = json_dumps(e, 0);
	json_decref(e);
	t = set_of(rsa, bad, NULL);
	r = parse(t, &ks, reason, sizeof(reason));
	if (r == PJ_OK) {
		r = pj_jws_verify(tok, strlen(tok), &ks, 0, &j, reason,
		    sizeof(reason));
		if (r == PJ_OK)
			pj_jws_clear(&j);
		assert_int_not_equal(r, PJ_OK);
		assert_true(pj_err_class(r) == PJ_CLASS_REJECT ||
		    pj_err_class(r) == PJ_CLASS_UNAVAIL);
		/* and again: the key stays refused */
		r = pj_jws_verify(tok, strlen(tok), &ks, 0, &j, reason,
		    sizeof(reason));
		assert_int_not_equal(r, PJ_OK);
		/* the RSA key beside it still works */
		assert_err(pj_jws_verify(fx_tok("kid.RS256"), strlen(fx_tok(
		    "kid.RS256")), &ks, 0, &j, reason, sizeof(reason)), PJ_OK);
		pj_jws_clear(&j);
	} else {
		assert_err(r, PJ_E_KEY);
	}
	pj_keyset_free(&ks);
	free(t);
	free(bad);
	free(rsa);
	free(y);
}

static void
jwks_malformed(void **state)
{
	static const char *const bad[] = {
		"", "{", "[]", "{}", "{\"keys\":{}}", "{\"keys\":\"x\"}",
		"{\"keys\":[1]}", "{\"keys\":[{}]}", "{\"keys\":[],\"keys\":[]}",
		"{\"keys\":[]} x", "null",
	};
	struct pj_keyset ks;
	char reason[256] = "";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i], &ks, reason, sizeof(reason)) != PJ_E_KEY)
			fail_msg("JWK Set '%s' accepted", bad[i]);
		assert_string_not_equal(reason, "");
		pj_keyset_free(&ks);
	}
	/* duplicate members inside one key */
	{
		char *rsa = fx_slurp("jwk-rsa1.json", NULL), *t;

		rsa[strlen(rsa) - 1] = '\0';   /* drop the closing brace */
		if (asprintf(&t, "{\"keys\":[%s,\"kty\":\"EC\"}]}", rsa) < 0)
			abort();
		assert_err(parse(t, &ks, reason, sizeof(reason)), PJ_E_KEY);
		pj_keyset_free(&ks);
		free(t);
		free(rsa);
	}
}

/* The pending JSON of key kid. */
static const json_t *
pending_of(const struct pj_keyset *ks, const char *kid)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (ks->keys[i].kid != NULL && strcmp(ks->keys[i].kid, kid) == 0)
			return ks->keys[i].pending;
	fail_msg("no key %s", kid);
	return NULL;
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Two sets from the same text hold the same keys, and nothing jansson
 * counts references of is shared between them (each pending JWK is the
 * set's own, equal in what pj_jwk_ready reads from it). */
static void
assert_same_keys(const struct pj_keyset *a, const struct pj_keyset *b)
{
	static const char *const members[] = { "kty", "crv", "n", "e", "x", "y" };
	size_t i, m;

	assert_int_equal(a->n, b->n);
	for (i = 0; i < a->n; i++) {
		const struct pj_key *x = &a->keys[i], *y = &b->keys[i];

		assert_int_equal(x->type, y->type);
		assert_int_equal(x->algs, y->algs);
		assert_int_equal(x->sig_len, y->sig_len);
		assert_true(same_str(x->kid, y->kid));
		assert_true(same_str(x->note, y->note));
		assert_memory_equal(x->ed25519, y->ed25519, sizeof(x->ed25519));
		assert_int_equal(x->secret_len, y->secret_len);
		if (x->secret_len > 0)
			assert_memory_equal(x->secret, y->secret, x->secret_len);
		assert_int_equal(x->pending == NULL, y->pending == NULL);
		if (x->pending == NULL)
			continue;
		assert_ptr_not_equal(x->pending, y->pending);
		for (m = 0; m < sizeof(members) / sizeof(members[0]); m++)
			assert_true(same_str(
			    json_string_value(json_object_get(x->pending, members[m])),
			    json_string_value(json_object_get(y->pending, members[m]))));
	}
}

/* Twice the same text: whether the cache kept it after the first parse;
 * either way both sets are equal and share nothing, and the second (from
 * the cache if kept) verifies an RS256 and an ES256 token. */
static int
kept(const char *text)
{
	struct pj_keyset a, b;
	struct pj_jws j;
	char reason[256];
	int held;

	assert_err(parse(text, &a, reason, sizeof(reason)), PJ_OK);
	held = pj_jwks_cache_holds(text, strlen(text));
	assert_err(parse(text, &b, reason, sizeof(reason)), PJ_OK);
	assert_same_keys(&a, &b);
	assert_err(pj_jws_verify(fx_tok("kid.RS256"), strlen(fx_tok("kid.RS256")),
	    &b, 0, &j, reason, sizeof(reason)), PJ_OK);
	pj_jws_clear(&j);
	assert_err(pj_jws_verify(fx_tok("kid.ES256"), strlen(fx_tok("kid.ES256")),
	    &b, 0, &j, reason, sizeof(reason)), PJ_OK);
	pj_jws_clear(&j);
	assert_non_null(pending_of(&a, "ec256"));
	assert_null(pending_of(&b, "ec256")); /* built for the token */
	pj_keyset_free(&a);
	pj_keyset_free(&b);
	return held;
}

static int
holds(const char *text)
{
	return pj_jwks_cache_holds(text, strlen(text));
}

/* A set without secrets is kept for the same bytes; one byte changed or
 * added, a set with an oct key: parsed every time.  Four sets are kept,
 * the least recently used goes. */
static void
jwks_cache(void **state)
{
	struct pj_keyset a, held[5];
	char reason[256] = "";
	char *rsa = fx_slurp("jwk-rsa1.json", NULL);
	char *ec = fx_slurp("jwk-ec256.json", NULL);
	char *oct = fx_slurp("jwk-oct.json", NULL);
	char *t, *t2, *t3, *v[6];
	int i;

	(void)state;
	pj_jwks_cache_clear();
	t = set_of(rsa, ec, NULL);
	assert_true(kept(t));
	/* one byte more; then one byte changed (same length) */
	if (asprintf(&t2, "%s ", t) < 0 || asprintf(&t3, "%s\t", t) < 0)
		abort();
	assert_false(holds(t2));
	assert_true(kept(t2));
	assert_false(holds(t3));
	assert_true(kept(t3));
	assert_true(holds(t) && holds(t2) && holds(t3));
	free(t3);
	/* a secret is never kept */
	pj_jwks_cache_clear();
	t3 = set_of(ec, oct, rsa);
	assert_false(kept(t3));
	assert_false(holds(t3));
	free(t3);
	/* emptied */
	assert_err(parse(t, &a, reason, sizeof(reason)), PJ_OK);
	pj_keyset_free(&a);
	assert_true(holds(t));
	pj_jwks_cache_clear();
	assert_false(holds(t));
	/* four kept: v[0..3]; v[0] used again, then v[4] evicts v[1] */
	for (i = 0; i < 6; i++)
		if (asprintf(&v[i], "%s%*s", t, i + 1, "") < 0)
			abort();
	for (i = 0; i < 4; i++)
		assert_err(parse(v[i], &held[i], reason, sizeof(reason)), PJ_OK);
	for (i = 0; i < 4; i++)
		assert_true(holds(v[i]));
	assert_err(parse(v[0], &a, reason, sizeof(reason)), PJ_OK);
	assert_same_keys(&a, &held[0]);
	pj_keyset_free(&a);
	assert_err(parse(v[4], &held[4], reason, sizeof(reason)), PJ_OK);
	assert_true(holds(v[0]) && holds(v[2]) && holds(v[3]) && holds(v[4]));
	assert_false(holds(v[1]));
	/* the sets taken from the cache outlive its slots */
	pj_jwks_cache_clear();
	for (i = 0; i < 5; i++) {
		assert_err(parse(v[i], &a, reason, sizeof(reason)), PJ_OK);
		assert_same_keys(&a, &held[i]);
		pj_keyset_free(&a);
		pj_keyset_free(&held[i]);
	}
	for (i = 0; i < 6; i++)
		free(v[i]);
	pj_jwks_cache_clear();
	free(t);
	free(t2);
	free(rsa);
	free(ec);
	free(oct);
}

/* A kty pam_jwt does not know (here AKP, ML-DSA: identity providers
 * publish such keys beside the others) is unusable with a note and has no
 * type: it is not an HMAC secret, so the set is kept (it holds no secret)
 * and a public (0644) file with it loads, and the Ed25519 key beside it
 * verifies.  Before, it had type 0 = PJ_KEY_HMAC: the set was "an HMAC
 * secret (kty oct)" with a mode letting others read it. */
static void
jwks_unknown_kty(void **state)
{
	static const char akp[] = "{\"kty\":\"AKP\",\"alg\":\"ML-DSA-44\","
	    "\"kid\":\"pq1\",\"pub\":\"AAEC\"}";
	char *ed = fx_slurp("jwk-ed1.json", NULL), *t = set_of(ed, akp, NULL);
	const struct pj_key *k;
	struct pj_key one;
	struct pj_options o;
	struct pj_keyset ks;
	struct pj_jws j;
	json_error_t jerr;
	json_t *jwk;
	char reason[256] = "", *dir;
	size_t i;

	(void)state;
	/* one JWK */
	jwk = json_loads(akp, 0, &jerr);
	assert_non_null(jwk);
	assert_err(to_key(jwk, 0, &one, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(one.type, PJ_KEY_NONE);
	assert_int_equal(one.algs, 0);
	assert_string_equal(one.note, "kty 'AKP' is not supported");
	pj_key_clear(&one);
	json_decref(jwk);
	/* in a set */
	pj_jwks_cache_clear();
	assert_err(parse(t, &ks, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(ks.n, 2);
	assert_int_equal(ks.keys[1].type, PJ_KEY_NONE);
	assert_int_not_equal(ks.keys[1].type, PJ_KEY_HMAC);
	assert_int_equal(ks.keys[1].algs, 0);
	assert_null(ks.keys[1].secret);
	assert_string_equal(ks.keys[1].note, "kty 'AKP' is not supported");
	assert_err(pj_keyset_select(&ks, PJ_ALG_EDDSA, "pq1", &k, reason,
	    sizeof(reason)), PJ_E_NO_KEY);
	assert_non_null(strstr(reason, "kty 'AKP' is not supported"));
	pj_keyset_free(&ks);
	assert_true(holds(t)); /* no secret in it */
	pj_jwks_cache_clear();
	/* from a public file, the way the module loads it */
	dir = tmpdir_new();
	write_str(tpath(dir, "jwks.json"), t, 0644);
	pj_options_init(&o);
	assert_err(pj_options_set(&o, PJ_LEVEL_ARG, "jwks_file",
	    tpath(dir, "jwks.json"), reason, sizeof(reason)), PJ_OK);
	for (i = 0; i < 2; i++) { /* parsed, then from the cache */
		reason[0] = '\0';
		assert_err(pj_keyset_load(&o, &ks, reason, sizeof(reason)), PJ_OK);
		assert_int_equal(ks.keys[1].type, PJ_KEY_NONE);
		assert_err(pj_jws_verify(fx_tok("kid.EdDSA"),
		    strlen(fx_tok("kid.EdDSA")), &ks, 0, &j, reason,
		    sizeof(reason)), PJ_OK);
		pj_jws_clear(&j);
		pj_keyset_free(&ks);
	}
	pj_options_free(&o);
	pj_jwks_cache_clear();
	tmpdir_rm(dir);
	free(t);
	free(ed);
}

/* tmpl with each "@1" replaced by a, each "@2" by b (caller frees). */
static char *
fill(const char *tmpl, const char *a, const char *b)
{
	char *t = malloc(strlen(tmpl) * 2 + 8 * (strlen(a) + strlen(b))), *p = t;

	if (t == NULL)
		abort();
	while (*tmpl != '\0') {
		if (tmpl[0] == '@' && (tmpl[1] == '1' || tmpl[1] == '2')) {
			p = stpcpy(p, tmpl[1] == '1' ? a : b);
			tmpl += 2;
		} else {
			*p++ = *tmpl++;
		}
	}
	*p = '\0';
	return t;
}

/* An oct key's "k" is read from the text itself, jansson seeing 'A's in
 * its place (lib/jwk.c jwks_mask_find): the secret must come out exactly,
 * whatever the layout; a "k" the scan does not recognise (escaped name)
 * still works through jansson; "k" elsewhere is left alone. */
static void
jwks_oct_k_layouts(void **state)
{
	static const char k64[] =
	    "b2Q4bTJKVkhjNjAzNVpEazhQX0pzSW1GdUpRMkVPZ1JXWDY1TkQ0dm5Ec3RITnlTQ0ZZQXNZSmJmS2F2bmJrYg";
	static const char k2[] =
	    "MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVGR0g";
	static const char *const sets[] = {
		"{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a\",\"k\":\"@1\"},"
		    "{\"kty\":\"oct\",\"kid\":\"b\",\"k\":\"@2\"}]}",
		"{ \"x\" : {\"keys\":[{\"k\":\"zzzzzzzzzzzzzzzzzzzz\"}]},\n"
		    "  \"keys\" : [ { \"k\" : \"@1\" , \"kty\" : \"oct\", "
		    "\"kid\":\"a\", \"ext\": {\"k\": \"yyyyyyyyyyyyyyyyyyyy\"} } ,\n"
		    "\t{\"kid\":\"b\",\"kty\":\"oct\",\"k\":\"@2\",\"n\":[1,\"k\"]} ] }",
		"{\"keys\":[{\"kty\":\"oct\",\"kid\":\"a\",\"\\u006b\":\"@1\"},"
		    "{\"kid\":\"b\",\"k\":\"@2\",\"kty\":\"oct\"}],\"k\":\"@1\"}",
		"{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"e\","
		    "\"x\":\"DhbbL1khr40rx7NWOzk2rBl-05HOzDpAAo9W8BYHTvw\"},"
		    "{\"kty\":\"oct\",\"kid\":\"a\",\"k\":\"@1\"},{\"kid\":\"e2\","
		    "\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":"
		    "\"DhbbL1khr40rx7NWOzk2rBl-05HOzDpAAo9W8BYHTvw\",\"k\":[\"k\"]},"
		    "{\"kty\":\"oct\",\"kid\":\"b\",\"k\":\"@2\"}]}",
	};
	static const char *const kids[] = { "a", "b" };
	unsigned char want[2][128];
	size_t wlen[2], i, j, n;
	struct pj_keyset ks;
	char reason[256], *t;

	(void)state;
	assert_err(pj_b64url_decode(k64, strlen(k64), want[0], sizeof(want[0]),
	    &wlen[0]), PJ_OK);
	assert_err(pj_b64url_decode(k2, strlen(k2), want[1], sizeof(want[1]),
	    &wlen[1]), PJ_OK);
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		t = fill(sets[i], k64, k2);
		reason[0] = '\0';
		if (parse(t, &ks, reason, sizeof(reason)) != PJ_OK)
			fail_msg("set %zu: %s", i, reason);
		for (n = 0; n < 2; n++) {
			const struct pj_key *k = NULL;

			for (j = 0; j < ks.n; j++)
				if (strcmp(ks.keys[j].kid, kids[n]) == 0)
					k = &ks.keys[j];
			assert_non_null(k);
			assert_int_equal(k->type, PJ_KEY_HMAC);
			assert_int_equal(k->secret_len, wlen[n]);
			assert_memory_equal(k->secret, want[n], wlen[n]);
		}
		pj_keyset_free(&ks);
		free(t);
	}
}

/* Threads parse, select (which builds the key from the shared tree) and
 * free, over more texts than the cache keeps, so that slots are replaced
 * while other threads hold keys from them (ASan and valgrind watch). */
#define CT_THREADS 8
#define CT_TEXTS 6
static char *ct_text[CT_TEXTS];

static void *
cache_thread(void *arg)
{
	int id = *(int *)arg, i;
	struct pj_keyset ks;
	const struct pj_key *k;
	char reason[256];

	for (i = 0; i < 150; i++) {
		const char *t = ct_text[(id + i) % CT_TEXTS];

		if (parse(t, &ks, reason, sizeof(reason)) != PJ_OK ||
		    pj_keyset_select(&ks, PJ_ALG_ES256, "ec256", &k, reason,
		    sizeof(reason)) != PJ_OK || k->pkey == NULL) {
			pj_keyset_free(&ks);
			return (void *)1;
		}
		pj_keyset_free(&ks);
	}
	return NULL;
}

static void
jwks_cache_threads(void **state)
{
	char *rsa = fx_slurp("jwk-rsa1.json", NULL);
	char *ec = fx_slurp("jwk-ec256.json", NULL);
	char *base = set_of(ec, rsa, NULL);
	pthread_t t[CT_THREADS];
	int id[CT_THREADS], i;
	void *res;

	(void)state;
	pj_jwks_cache_clear();
	for (i = 0; i < CT_TEXTS; i++)
		if (asprintf(&ct_text[i], "%s%*s", base, i + 1, "") < 0)
			abort();
	for (i = 0; i < CT_THREADS; i++) {
		id[i] = i;
		assert_int_equal(pthread_create(&t[i], NULL, cache_thread, &id[i]),
		    0);
	}
	for (i = 0; i < CT_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &res), 0);
		assert_null(res);
	}
	for (i = 0; i < CT_TEXTS; i++)
		free(ct_text[i]);
	pj_jwks_cache_clear();
	free(base);
	free(rsa);
	free(ec);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_keys),
		cmocka_unit_test(rsa_members),
		cmocka_unit_test(ec_members),
		cmocka_unit_test(okp_and_oct_members),
		cmocka_unit_test(private_members_refused),
		cmocka_unit_test(use_key_ops_alg),
		cmocka_unit_test(shape_errors),
		cmocka_unit_test(jwks_good),
		cmocka_unit_test(jwks_unusable_and_duplicates),
		cmocka_unit_test(jwks_bad_point_never_verifies),
		cmocka_unit_test(jwks_malformed),
		cmocka_unit_test(jwks_cache),
		cmocka_unit_test(jwks_unknown_kty),
		cmocka_unit_test(jwks_oct_k_layouts),
		cmocka_unit_test(jwks_cache_threads),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
