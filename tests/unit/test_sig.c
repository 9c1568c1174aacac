/* test_sig.c - the signature primitives, below the JWS layer */
#include "unit.h"

#include "lib/alg.h"
#include "lib/b64url.h"
#define PJ_OSSL_NO_REDIRECT /* the test swaps members of the table */
#include "lib/ossl.h"
#include "lib/sig.h"

#include <openssl/err.h>

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

/* --- libcrypto failing at verify time, through the ossl table ----------- */

static int
stub_verify_init(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type,
    ENGINE *e, EVP_PKEY *pkey)
{
	(void)ctx;
	(void)pctx;
	(void)type;
	(void)e;
	(void)pkey;
	ERR_raise(ERR_LIB_EVP, EVP_R_OPERATION_NOT_SUPPORTED_FOR_THIS_KEYTYPE);
	return 0;
}

static int stub_verify_result, stub_verify_nomem;

static int
stub_verify(EVP_MD_CTX *ctx, const unsigned char *sig, size_t siglen,
    const unsigned char *tbs, size_t tbslen)
{
	(void)ctx;
	(void)sig;
	(void)siglen;
	(void)tbs;
	(void)tbslen;
	if (stub_verify_nomem)
		ERR_raise(ERR_LIB_RSA, ERR_R_MALLOC_FAILURE);
	return stub_verify_result;
}

static int
stub_set_padding(EVP_PKEY_CTX *ctx, int pad)
{
	(void)ctx;
	(void)pad;
	return 0;
}

static EVP_MD *
stub_md_fetch(OSSL_LIB_CTX *ctx, const char *algorithm, const char *properties)
{
	(void)ctx;
	(void)algorithm;
	(void)properties;
	ERR_raise(ERR_LIB_EVP, EVP_R_UNSUPPORTED_ALGORITHM);
	return NULL;
}

static EVP_MD_CTX *
stub_md_ctx_new(void)
{
	return NULL;
}

/* The token for t[i] through pj_sig_verify and pj_sig_verify_reason: both
 * give want; the reason names call (or is empty for a bad signature). */
static void
expect(size_t i, int want, const char *call)
{
	struct pj_keyset ks;
	struct parts p;
	unsigned int alg;
	char reason[256] = "";

	load(i, &ks, &p, &alg);
	assert_err(pj_sig_verify(&ks.keys[0], alg, (const unsigned char *)p.msg,
	    p.msglen, p.sig, p.siglen), want);
	ERR_clear_error();
	assert_err(pj_sig_verify_reason(&ks.keys[0], alg,
	    (const unsigned char *)p.msg, p.msglen, p.sig, p.siglen, reason,
	    sizeof(reason)), want);
	if (call == NULL) {
		assert_string_equal(reason, "");
	} else if (strstr(reason, "libcrypto: ") != reason ||
	    strstr(reason, call) == NULL ||
	    strstr(reason, t[i].alg) == NULL ||
	    (want != PJ_E_NOMEM && strstr(reason, "memory") != NULL)) {
		fail_msg("%s with %s failing: reason '%s'", t[i].alg, call, reason);
	}
	ERR_clear_error();
	free(p.sig);
	pj_keyset_free(&ks);
}

/* Issue 11.6: a libcrypto failure while verifying is named and is an
 * internal error (PAM_SYSTEM_ERR): it was a bad signature (PAM_AUTH_ERR) for
 * EVP_DigestVerifyInit or the RSA padding failing or EVP_DigestVerify
 * returning an error or failing to allocate, and "out of memory" for
 * EVP_MD_fetch failing.  A signature that does not verify stays a bad
 * signature. */
static void
libcrypto_failures_are_not_bad_signatures(void **state)
{
	struct pj_ossl_table saved;
	char reason[256] = "";
	size_t i;

	(void)state;
	assert_err(pj_ossl_load(reason, sizeof(reason)), PJ_OK);
	saved = pj_ossl;
	assert_class(PJ_E_INTERNAL, PJ_CLASS_INTERNAL);

	pj_ossl.EVP_DigestVerifyInit = stub_verify_init;
	for (i = 3; i < 12; i++) /* RS*, PS*, ES* */
		expect(i, PJ_E_INTERNAL, "EVP_DigestVerifyInit failed verifying");
	pj_ossl = saved;

	pj_ossl.EVP_DigestVerify = stub_verify;
	stub_verify_result = -1;       /* libcrypto could not tell */
	for (i = 3; i < 12; i++)
		expect(i, PJ_E_INTERNAL, "EVP_DigestVerify failed verifying");
	stub_verify_result = 0;        /* it could, and it does not verify */
	for (i = 3; i < 12; i++)
		expect(i, PJ_E_SIGNATURE, NULL);
	/* an allocation failure the host left queued (sshd, sudo) is not
	 * ours: a signature that does not verify stays a bad signature */
	for (i = 3; i < 12; i++) {
		struct pj_keyset ks;
		struct parts p;
		unsigned int alg;

		load(i, &ks, &p, &alg);
		ERR_raise(ERR_LIB_RSA, ERR_R_MALLOC_FAILURE);
		assert_err(pj_sig_verify_reason(&ks.keys[0], alg,
		    (const unsigned char *)p.msg, p.msglen, p.sig, p.siglen,
		    reason, sizeof(reason)), PJ_E_SIGNATURE);
		ERR_clear_error();
		free(p.sig);
		pj_keyset_free(&ks);
	}
	/* OpenSSL returns 0 too when an allocation failed inside (the fault
	 * suite's CRYPTO_malloc faults): out of memory, not a bad signature */
	stub_verify_nomem = 1;
	for (i = 3; i < 12; i++)
		expect(i, PJ_E_NOMEM, "EVP_DigestVerify failed verifying");
	stub_verify_nomem = 0;
	pj_ossl = saved;

	pj_ossl.EVP_PKEY_CTX_set_rsa_padding = stub_set_padding;
	for (i = 3; i < 9; i++)
		expect(i, PJ_E_INTERNAL, "EVP_PKEY_CTX_set_rsa_padding failed");
	pj_ossl = saved;

	/* HS384: a provider without SHA-384 is not out of memory */
	pj_ossl.EVP_MD_fetch = stub_md_fetch;
	expect(1, PJ_E_INTERNAL, "EVP_MD_fetch failed fetching SHA-384 for HS384: "
	    "unsupported algorithm");
	pj_ossl = saved;
	/* an allocation-only constructor failing is out of memory, named */
	pj_ossl.EVP_MD_CTX_new = stub_md_ctx_new;
	expect(1, PJ_E_NOMEM, "EVP_MD_CTX_new failed");
	expect(3, PJ_E_NOMEM, "EVP_MD_CTX_new failed");
	pj_ossl = saved;

	/* untouched, the tokens verify again */
	for (i = 0; i < NT; i++)
		expect(i, PJ_OK, NULL);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_answers),
		cmocka_unit_test(family_checks),
		cmocka_unit_test(ed25519_malleability),
		cmocka_unit_test(ecdsa_edge_values),
		cmocka_unit_test(libcrypto_failures_are_not_bad_signatures),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
