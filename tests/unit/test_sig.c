/* test_sig.c - the signature primitives, below the JWS layer */
#include "unit.h"

#include "lib/alg.h"
#include "lib/b64url.h"
#include "lib/curve.h"
#include "lib/key.h"
#define PJ_HOG_NO_REDIRECT /* the test swaps members of the table */
#include "lib/hog.h"
#include "lib/sig.h"


#include <stdlib.h>
#include <string.h>

struct parts {
	const char *msg;     /* signing input (in the token) */
	size_t msglen;
	unsigned char *sig;
	size_t siglen;
};

static void
split(const char *tok, struct parts *p)
{
	const char *d2 = strrchr(tok, '.');

	p->msg = tok;
	p->msglen = (size_t)(d2 - tok);
	assert_int_equal(pj_b64url_decode_alloc(d2 + 1, strlen(d2 + 1), &p->sig,
	    &p->siglen), PJ_OK);
}

static const struct {
	const char *alg, *key;   /* key: NULL for the secret */
	size_t siglen;
} t[] = {
	{ "HS256", NULL, 32 }, { "HS384", NULL, 48 }, { "HS512", NULL, 64 },
	{ "RS256", "rsa2048.pub.pem", 256 }, { "RS384", "rsa2048.pub.pem", 256 },
	{ "RS512", "rsa2048.pub.pem", 256 }, { "PS256", "rsa2048.pub.pem", 256 },
	{ "PS384", "rsa2048.pub.pem", 256 }, { "PS512", "rsa2048.pub.pem", 256 },
	{ "ES256", "ec256.pub.pem", 64 }, { "ES384", "ec384.pub.pem", 96 },
	{ "ES512", "ec521.pub.pem", 132 }, { "EdDSA", "ed25519.pub.pem", 64 },
};
#define NT (sizeof(t) / sizeof(t[0]))

static void
load(size_t i, struct pj_keyset *ks, struct parts *p, unsigned int *alg)
{
	char name[32];

	memset(ks, 0, sizeof(*ks));
	if (t[i].key == NULL)
		fx_add_secret(ks);
	else
		fx_add_pem(ks, t[i].key);
	snprintf(name, sizeof(name), "tok.%s", t[i].alg);
	split(fx_tok(name), p);
	*alg = pj_alg_from_name(t[i].alg, strlen(t[i].alg));
}

static void
known_answers(void **state)
{
	struct pj_keyset ks;
	struct parts p;
	unsigned int alg;
	size_t i;

	(void)state;
	for (i = 0; i < NT; i++) {
		const struct pj_key *k;

		load(i, &ks, &p, &alg);
		k = &ks.keys[0];
		assert_int_equal(p.siglen, t[i].siglen);
		assert_int_equal(pj_key_sig_len(k, alg), t[i].siglen);
		if (pj_sig_verify(k, alg, (const unsigned char *)p.msg, p.msglen,
		    p.sig, p.siglen) != PJ_OK)
			fail_msg("%s: PyJWT's signature does not verify", t[i].alg);
		/* one bit of message or signature */
		assert_err(pj_sig_verify(k, alg, (const unsigned char *)p.msg,
		    p.msglen - 1, p.sig, p.siglen), PJ_E_SIGNATURE);
		p.sig[p.siglen / 2] ^= 0x10;
		assert_err(pj_sig_verify(k, alg, (const unsigned char *)p.msg,
		    p.msglen, p.sig, p.siglen), PJ_E_SIGNATURE);
		p.sig[p.siglen / 2] ^= 0x10;
		/* wrong lengths: one short, one long, none */
		assert_err(pj_sig_verify(k, alg, (const unsigned char *)p.msg,
		    p.msglen, p.sig, p.siglen - 1), PJ_E_SIGNATURE);
		{
			unsigned char *longer = calloc(1, p.siglen + 1);

			assert_non_null(longer);
			memcpy(longer + 1, p.sig, p.siglen);
			assert_err(pj_sig_verify(k, alg, (const unsigned char *)p.msg,
			    p.msglen, longer, p.siglen + 1), PJ_E_SIGNATURE);
			memcpy(longer, p.sig, p.siglen);
			assert_err(pj_sig_verify(k, alg, (const unsigned char *)p.msg,
			    p.msglen, longer, p.siglen + 1), PJ_E_SIGNATURE);
			free(longer);
		}
		assert_err(pj_sig_verify(k, alg, (const unsigned char *)p.msg,
		    p.msglen, p.sig, 0), PJ_E_SIGNATURE);
		free(p.sig);
		pj_keyset_free(&ks);
	}
}

/* Even a key whose algs were widened by mistake never verifies another
 * family's algorithm, and a key never verifies an algorithm it lacks. */
static void
family_checks(void **state)
{
	struct pj_keyset ks;
	struct parts p;
	unsigned int alg, other;
	size_t i;

	(void)state;
	for (i = 0; i < NT; i++) {
		struct pj_key *k;

		load(i, &ks, &p, &alg);
		k = &ks.keys[0];
		for (other = 1; other <= PJ_ALG_EDDSA; other <<= 1) {
			if (other == alg)
				continue;
			assert_err(pj_sig_verify(k, other, (const unsigned char *)p.msg,
			    p.msglen, p.sig, p.siglen), PJ_E_SIGNATURE);
		}
		/* alg removed from the key's set */
		k->algs &= ~alg;
		assert_err(pj_sig_verify(k, alg, (const unsigned char *)p.msg,
		    p.msglen, p.sig, p.siglen), PJ_E_SIGNATURE);
		/* widened to everything: only its own family can verify */
		k->algs = PJ_ALG_ALL;
		for (other = 1; other <= PJ_ALG_EDDSA; other <<= 1) {
			int r = pj_sig_verify(k, other, (const unsigned char *)p.msg,
			    p.msglen, p.sig, p.siglen);

			if (other == alg)
				assert_err(r, PJ_OK);
			else
				assert_err(r, PJ_E_SIGNATURE);
		}
		/* several bits at once are not an algorithm */
		assert_err(pj_sig_verify(k, alg | (alg == PJ_ALG_HS256 ?
		    PJ_ALG_HS384 : PJ_ALG_HS256), (const unsigned char *)p.msg,
		    p.msglen, p.sig, p.siglen), PJ_E_SIGNATURE);
		free(p.sig);
		pj_keyset_free(&ks);
	}
}

/* Ed25519: S + L is the same signature to a lenient verifier. */
static void
ed25519_malleability(void **state)
{
	static const unsigned char L[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
		0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10 };
	struct pj_keyset ks;
	struct parts p;
	unsigned int alg, carry = 0;
	size_t i;

	(void)state;
	load(NT - 1, &ks, &p, &alg);
	assert_int_equal(alg, PJ_ALG_EDDSA);
	for (i = 0; i < 32; i++) {
		unsigned int s = (unsigned int)p.sig[32 + i] + L[i] + carry;

		p.sig[32 + i] = (unsigned char)s;
		carry = s >> 8;
	}
	assert_int_equal(carry, 0);
	assert_err(pj_sig_verify(&ks.keys[0], alg, (const unsigned char *)p.msg,
	    p.msglen, p.sig, p.siglen), PJ_E_SIGNATURE);
	free(p.sig);
	pj_keyset_free(&ks);
}

/* ECDSA: r or s zero, or r || s all ones (>= n). */
static void
ecdsa_edge_values(void **state)
{
	struct pj_keyset ks;
	struct parts p;
	unsigned int alg;
	size_t i;

	(void)state;
	for (i = 9; i < 12; i++) {
		const struct pj_key *k;
		size_t half;

		load(i, &ks, &p, &alg);
		k = &ks.keys[0];
		half = p.siglen / 2;
		memset(p.sig, 0, half);                 /* r = 0 */
		assert_err(pj_sig_verify(k, alg, (const unsigned char *)p.msg,
		    p.msglen, p.sig, p.siglen), PJ_E_SIGNATURE);
		memset(p.sig, 0, p.siglen);             /* r = s = 0 */
		assert_err(pj_sig_verify(k, alg, (const unsigned char *)p.msg,
		    p.msglen, p.sig, p.siglen), PJ_E_SIGNATURE);
		memset(p.sig, 0xff, p.siglen);          /* both >= n */
		assert_err(pj_sig_verify(k, alg, (const unsigned char *)p.msg,
		    p.msglen, p.sig, p.siglen), PJ_E_SIGNATURE);
		free(p.sig);
		pj_keyset_free(&ks);
	}
}

/* --- Nettle's verdicts, through the hog table ----------------------------- */

static int stub_calls;

static int
stub_pkcs1(const struct rsa_public_key *key, size_t length,
    const uint8_t *digest_info, const mpz_t signature)
{
	(void)key;
	(void)length;
	(void)digest_info;
	(void)signature;
	stub_calls++;
	return 0;
}

static int
stub_pss(const struct rsa_public_key *key, size_t salt_length,
    const uint8_t *digest, const mpz_t signature)
{
	(void)key;
	(void)salt_length;
	(void)digest;
	(void)signature;
	stub_calls++;
	return 0;
}

static int stub_ecdsa_result;

static int
stub_ecdsa(const struct ecc_point *pub, size_t length, const uint8_t *digest,
    const struct dsa_signature *signature)
{
	(void)pub;
	(void)length;
	(void)digest;
	(void)signature;
	stub_calls++;
	return stub_ecdsa_result;
}

/* The token for t[i] through pj_sig_verify and pj_sig_verify_reason: both
 * give want, and a bad signature has no reason (the caller words it). */
static void
expect(size_t i, int want)
{
	struct pj_keyset ks;
	struct parts p;
	unsigned int alg;
	char reason[256] = "";

	load(i, &ks, &p, &alg);
	assert_err(pj_sig_verify(&ks.keys[0], alg, (const unsigned char *)p.msg,
	    p.msglen, p.sig, p.siglen), want);
	assert_err(pj_sig_verify_reason(&ks.keys[0], alg,
	    (const unsigned char *)p.msg, p.msglen, p.sig, p.siglen, reason,
	    sizeof(reason)), want);
	if (want == PJ_E_SIGNATURE)
		assert_string_equal(reason, "");
	free(p.sig);
	pj_keyset_free(&ks);
}

/* ES* with r or s replaced by 0 or by the group order n: refused before
 * Nettle is asked (RFC 7518 3.4, SEC 1 4.1.4 step 1), even by a verifier
 * that would accept anything. */
static void
expect_out_of_range(size_t i, const unsigned char *order, size_t half)
{
	struct pj_keyset ks;
	struct parts p;
	unsigned int alg;
	int which, what;

	for (which = 0; which < 2; which++) {
		for (what = 0; what < 2; what++) {
			load(i, &ks, &p, &alg);
			assert_int_equal(p.siglen, 2 * half);
			if (what == 0)
				memset(p.sig + which * half, 0, half);
			else
				memcpy(p.sig + which * half, order, half);
			stub_calls = 0;
			assert_err(pj_sig_verify(&ks.keys[0], alg,
			    (const unsigned char *)p.msg, p.msglen, p.sig,
			    p.siglen), PJ_E_SIGNATURE);
			assert_int_equal(stub_calls, 0);
			free(p.sig);
			pj_keyset_free(&ks);
		}
	}
}

/* Nettle says yes or no; no is a bad signature (PAM_AUTH_ERR), with no
 * reason.  Its answer is what decides: a verifier that says no refuses
 * every good token, and our own range check on r and s holds even under
 * one that says yes.  A key whose Nettle object is missing is an internal
 * error, never a verdict. */
static void
nettle_decides(void **state)
{
	struct pj_hog_table saved;
	const struct pj_curve *c;
	char reason[256] = "";
	size_t i;

	(void)state;
	assert_err(pj_hog_load(reason, sizeof(reason)), PJ_OK);
	saved = pj_hog;

	pj_hog.nettle_rsa_pkcs1_verify = stub_pkcs1;
	pj_hog.nettle_rsa_pss_sha256_verify_digest = stub_pss;
	pj_hog.nettle_rsa_pss_sha384_verify_digest = stub_pss;
	pj_hog.nettle_rsa_pss_sha512_verify_digest = stub_pss;
	pj_hog.nettle_ecdsa_verify = stub_ecdsa;
	stub_ecdsa_result = 0;
	stub_calls = 0;
	for (i = 3; i < 12; i++) /* RS*, PS*, ES* */
		expect(i, PJ_E_SIGNATURE);
	assert_int_equal(stub_calls, 2 * 9);

	stub_ecdsa_result = 1;
	for (i = 9; i < 12; i++) {
		c = pj_curve_by_alg(pj_alg_from_name(t[i].alg, strlen(t[i].alg)));
		assert_non_null(c);
		expect_out_of_range(i, c->order, c->coord_bytes);
	}
	pj_hog = saved;

	/* untouched, the tokens verify again, and the range check refuses
	 * the same with Nettle's own */
	for (i = 0; i < NT; i++)
		expect(i, PJ_OK);
	for (i = 9; i < 12; i++) {
		struct pj_keyset ks;
		struct parts p;
		unsigned int alg;

		load(i, &ks, &p, &alg);
		/* s = n - 1 + 1 wraps nothing: still a well-formed but wrong s */
		p.sig[p.siglen - 1] ^= 1;
		assert_err(pj_sig_verify(&ks.keys[0], alg,
		    (const unsigned char *)p.msg, p.msglen, p.sig, p.siglen),
		    PJ_E_SIGNATURE);
		free(p.sig);
		pj_keyset_free(&ks);
	}

	/* a key that was never built */
	{
		struct pj_keyset ks;
		struct parts p;
		unsigned int alg;
		struct pj_pubkey *kept;

		load(3, &ks, &p, &alg);
		kept = ks.keys[0].pkey;
		ks.keys[0].pkey = NULL;
		reason[0] = '\0';
		assert_err(pj_sig_verify_reason(&ks.keys[0], alg,
		    (const unsigned char *)p.msg, p.msglen, p.sig, p.siglen, reason,
		    sizeof(reason)), PJ_E_INTERNAL);
		assert_string_equal(reason, "RS256 key has not been built");
		ks.keys[0].pkey = kept;
		free(p.sig);
		pj_keyset_free(&ks);
	}
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_answers),
		cmocka_unit_test(family_checks),
		cmocka_unit_test(ed25519_malleability),
		cmocka_unit_test(ecdsa_edge_values),
		cmocka_unit_test(nettle_decides),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
