/* sig.c - HMAC, RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA (P1363) and Ed25519 */
#include "sig.h"
#include "alg.h"
#include "err.h"
#include "key.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "ossl.h" /* last: OpenSSL calls go through its table */

const EVP_MD *
pj_sig_md(unsigned int alg)
{
	if (pj_ossl_load(NULL, 0) != PJ_OK)
		return NULL;
	switch (pj_alg_hash_len(alg)) {
	case 32: return EVP_sha256();
	case 48: return EVP_sha384();
	case 64: return EVP_sha512();
	default: return NULL;
	}
}

/* One SHA-384 of a || b into out, for HMAC-SHA-384 below. */
static int
sha384_two(EVP_MD_CTX *ctx, const EVP_MD *md, const unsigned char *a,
    size_t alen, const unsigned char *b, size_t blen, unsigned char *out,
    char *reason, size_t rlen)
{
	const char *call = NULL;
	unsigned int len = 0;
	int r = PJ_E_INTERNAL;

	if (EVP_DigestInit_ex2(ctx, md, NULL) != 1)
		call = "EVP_DigestInit_ex2";
	else if (EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    (blen > 0 && EVP_DigestUpdate(ctx, b, blen) != 1))
		call = "EVP_DigestUpdate";
	else if (EVP_DigestFinal_ex(ctx, out, &len) != 1)
		call = "EVP_DigestFinal_ex";
	if (call != NULL) {
		r = pj_ossl_fail(PJ_E_INTERNAL, reason, rlen, call,
		    "computing HS384 (HMAC-SHA-384)");
		goto out;
	}
	if (len != 48) {
		r = pj_reason(PJ_E_INTERNAL, reason, rlen,
		    "libcrypto: EVP_DigestFinal_ex gave %u bytes for SHA-384", len);
		goto out;
	}
	r = PJ_OK;
out:
	return r;
}

/* HMAC-SHA-384 (RFC 2104) over one explicitly fetched digest: OpenSSL 3's
 * HMAC() fetches a MAC implementation at every call (about 77,000
 * instructions) and every EVP_DigestInit_ex of a legacy EVP_MD fetches again. */
static int
hmac_sha384(const unsigned char *key, size_t keylen, const unsigned char *msg,
    size_t msglen, unsigned char *out, char *reason, size_t rlen)
{
	enum { BLOCK = 128, HL = 48 };
	unsigned char k0[BLOCK], pad[BLOCK], inner[HL];
	EVP_MD *md = NULL;
	EVP_MD_CTX *ctx = NULL;
	size_t i;
	int r = PJ_E_INTERNAL;

	memset(k0, 0, sizeof(k0));
	memset(pad, 0, sizeof(pad));
	memset(inner, 0, sizeof(inner));
	if ((r = pj_ossl_load(reason, rlen)) != PJ_OK)
		return r; /* libsodium has no SHA-384 */
	/* a provider without SHA-384 is libcrypto's failure, not memory's */
	if ((md = EVP_MD_fetch(NULL, "SHA384", NULL)) == NULL) {
		r = pj_ossl_fail(PJ_E_INTERNAL, reason, rlen, "EVP_MD_fetch",
		    "fetching SHA-384 for HS384");
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		r = pj_ossl_fail(PJ_E_NOMEM, reason, rlen, "EVP_MD_CTX_new",
		    "computing HS384 (HMAC-SHA-384)");
		goto out;
	}
	if (keylen > BLOCK) {
		if ((r = sha384_two(ctx, md, key, keylen, NULL, 0, k0, reason,
		    rlen)) != PJ_OK)
			goto out;
	} else {
		memcpy(k0, key, keylen);
	}
	for (i = 0; i < BLOCK; i++)
		pad[i] = k0[i] ^ 0x36;
	if ((r = sha384_two(ctx, md, pad, BLOCK, msg, msglen, inner, reason,
	    rlen)) != PJ_OK)
		goto out;
	for (i = 0; i < BLOCK; i++)
		pad[i] = k0[i] ^ 0x5c;
	if ((r = sha384_two(ctx, md, pad, BLOCK, inner, HL, out, reason,
	    rlen)) != PJ_OK)
		goto out;
	r = PJ_OK;
out:
	sodium_memzero(k0, sizeof(k0));
	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return r;
}

int
pj_hmac(unsigned int alg, const unsigned char *key, size_t keylen,
    const unsigned char *msg, size_t msglen, unsigned char *out,
    size_t *outlen, char *reason, size_t rlen)
{
	crypto_auth_hmacsha256_state s256;
	crypto_auth_hmacsha512_state s512;
	int r = PJ_E_INTERNAL;

	*outlen = 0;
	switch (alg) {
	case PJ_ALG_HS256:
		if (crypto_auth_hmacsha256_init(&s256, key, keylen) == 0 &&
		    crypto_auth_hmacsha256_update(&s256, msg, msglen) == 0 &&
		    crypto_auth_hmacsha256_final(&s256, out) == 0) {
			*outlen = crypto_auth_hmacsha256_BYTES;
			r = PJ_OK;
		}
		sodium_memzero(&s256, sizeof(s256));
		break;
	case PJ_ALG_HS384:
		r = hmac_sha384(key, keylen, msg, msglen, out, reason, rlen);
		if (r == PJ_OK)
			*outlen = 48;
		break;
	case PJ_ALG_HS512:
		if (crypto_auth_hmacsha512_init(&s512, key, keylen) == 0 &&
		    crypto_auth_hmacsha512_update(&s512, msg, msglen) == 0 &&
		    crypto_auth_hmacsha512_final(&s512, out) == 0) {
			*outlen = crypto_auth_hmacsha512_BYTES;
			r = PJ_OK;
		}
		sodium_memzero(&s512, sizeof(s512));
		break;
	default:
		break;
	}
	return r;
}

static int
verify_hmac(const struct pj_key *k, unsigned int alg, const unsigned char *msg,
    size_t msglen, const unsigned char *sig, size_t siglen, char *reason,
    size_t rlen)
{
	unsigned char mac[PJ_HMAC_MAX];
	size_t maclen = 0;
	int r = PJ_E_SIGNATURE;

	r = pj_hmac(alg, k->secret, k->secret_len, msg, msglen, mac, &maclen,
	    reason, rlen);
	if (r != PJ_OK)
		goto out; /* not a verdict on the signature: no memory, no libcrypto */
	r = PJ_E_SIGNATURE;
	if (siglen != maclen)
		goto out;
	if (sodium_memcmp(mac, sig, siglen) == 0)
		r = PJ_OK;
out:
	sodium_memzero(mac, sizeof(mac));
	return r;
}

/* ECDSA as JWS sends it: r || s, each exactly half of the length. */
static int
ecdsa_to_der(const unsigned char *sig, size_t siglen, unsigned char **der,
    int *derlen, char *reason, size_t rlen)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *br = NULL, *bs = NULL;
	size_t half = siglen / 2;
	int r = PJ_E_INTERNAL;

	*der = NULL;
	es = ECDSA_SIG_new();
	br = BN_bin2bn(sig, (int)half, NULL);
	bs = BN_bin2bn(sig + half, (int)half, NULL);
	if (es == NULL || br == NULL || bs == NULL) {
		r = pj_ossl_fail(PJ_E_NOMEM, reason, rlen,
		    es == NULL ? "ECDSA_SIG_new" : "BN_bin2bn",
		    "reading an ECDSA signature");
		goto out;
	}
	if (ECDSA_SIG_set0(es, br, bs) != 1) {
		r = pj_ossl_fail(PJ_E_INTERNAL, reason, rlen, "ECDSA_SIG_set0",
		    "reading an ECDSA signature");
		goto out;
	}
	br = bs = NULL; /* transferred */
	*derlen = i2d_ECDSA_SIG(es, der);
	if (*derlen <= 0) {
		*der = NULL;
		r = pj_ossl_fail(PJ_E_INTERNAL, reason, rlen, "i2d_ECDSA_SIG",
		    "encoding an ECDSA signature");
		goto out;
	}
	r = PJ_OK;
out:
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(es);
	return r;
}

int
pj_sig_rsa_padding(EVP_PKEY_CTX *pctx, unsigned int alg, const EVP_MD *md,
    char *reason, size_t rlen)
{
	const char *call = NULL;
	int r = PJ_E_INTERNAL;

	if (alg & (PJ_ALG_PS256 | PJ_ALG_PS384 | PJ_ALG_PS512)) {
		/* RFC 7518 3.5: MGF1 with the same hash, salt as long as it */
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1)
			call = "EVP_PKEY_CTX_set_rsa_padding";
		else if (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    RSA_PSS_SALTLEN_DIGEST) != 1)
			call = "EVP_PKEY_CTX_set_rsa_pss_saltlen";
		else if (EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)
			call = "EVP_PKEY_CTX_set_rsa_mgf1_md";
	} else if (alg & PJ_ALG_RSA) {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
			call = "EVP_PKEY_CTX_set_rsa_padding";
	}
	if (call != NULL) {
		r = pj_ossl_fail(PJ_E_INTERNAL, reason, rlen, call,
		    "setting up %s", pj_alg_name(alg));
		goto out;
	}
	r = PJ_OK;
out:
	return r;
}

static int
verify_pkey(const struct pj_key *k, unsigned int alg, const EVP_MD *md,
    const unsigned char *msg, size_t msglen, const unsigned char *sig,
    size_t siglen, char *reason, size_t rlen)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *der = NULL;
	int derlen = 0, v, r = PJ_E_SIGNATURE;

	if (siglen != k->sig_len)
		goto out;
	if (!pj_ossl_loaded() || k->pkey == NULL) { /* cannot be: k->pkey came from it */
		r = pj_reason(PJ_E_INTERNAL, reason, rlen,
		    "%s key has not been built", pj_alg_name(alg));
		goto out;
	}
	/* A library failure on the way is named and is PAM_SYSTEM_ERR (or
	 * out of memory); only a signature that libcrypto checked and found
	 * wrong is a bad signature. */
	if ((mctx = EVP_MD_CTX_new()) == NULL) {
		r = pj_ossl_fail(PJ_E_NOMEM, reason, rlen, "EVP_MD_CTX_new",
		    "verifying %s", pj_alg_name(alg));
		goto out;
	}
	if (EVP_DigestVerifyInit(mctx, &pctx, md, NULL, k->pkey) != 1) {
		r = pj_ossl_fail(PJ_E_INTERNAL, reason, rlen, "EVP_DigestVerifyInit",
		    "verifying %s", pj_alg_name(alg));
		goto out;
	}
	if ((r = pj_sig_rsa_padding(pctx, alg, md, reason, rlen)) != PJ_OK)
		goto out;
	if (k->type == PJ_KEY_EC) {
		if ((r = ecdsa_to_der(sig, siglen, &der, &derlen, reason, rlen)) !=
		    PJ_OK)
			goto out;
		v = EVP_DigestVerify(mctx, der, (size_t)derlen, msg, msglen);
	} else {
		v = EVP_DigestVerify(mctx, sig, siglen, msg, msglen);
	}
	/* 1 verifies, 0 does not; below 0 libcrypto could not tell.  OpenSSL
	 * also returns 0 when an allocation failed on the way: that is out of
	 * memory (no token can make libcrypto queue it), not a bad signature */
	if (v == 1)
		r = PJ_OK;
	else if (v == 0 && ERR_GET_REASON(ERR_peek_error()) != ERR_R_MALLOC_FAILURE)
		r = PJ_E_SIGNATURE;
	else
		r = pj_ossl_fail(PJ_E_INTERNAL, reason, rlen, "EVP_DigestVerify",
		    "verifying %s", pj_alg_name(alg));
out:
	if (der != NULL)
		OPENSSL_free(der);
	if (mctx != NULL)
		EVP_MD_CTX_free(mctx);
	return r;
}

int
pj_sig_verify_reason(const struct pj_key *k, unsigned int alg,
    const unsigned char *msg, size_t msglen, const unsigned char *sig,
    size_t siglen, char *reason, size_t rlen)
{
	const EVP_MD *md;
	int r = PJ_E_SIGNATURE;

	/* exactly one algorithm, and one the key allows */
	if (alg == 0 || (alg & (alg - 1)) != 0 || (k->algs & alg) == 0)
		goto out;
	switch (k->type) {
	case PJ_KEY_HMAC:
		if ((alg & PJ_ALG_HMAC) == 0)
			goto out;
		r = verify_hmac(k, alg, msg, msglen, sig, siglen, reason, rlen);
		break;
	case PJ_KEY_RSA:
	case PJ_KEY_EC:
		if ((alg & (k->type == PJ_KEY_RSA ? PJ_ALG_RSA : PJ_ALG_EC)) == 0)
			goto out;
		if ((r = pj_ossl_load(reason, rlen)) != PJ_OK)
			goto out;
		if ((md = pj_sig_md(alg)) == NULL) {
			r = pj_reason(PJ_E_INTERNAL, reason, rlen,
			    "no digest for %s", pj_alg_name(alg));
			goto out;
		}
		r = verify_pkey(k, alg, md, msg, msglen, sig, siglen, reason, rlen);
		break;
	case PJ_KEY_ED25519:
		if (alg != PJ_ALG_EDDSA || siglen != crypto_sign_BYTES)
			goto out;
		if (crypto_sign_verify_detached(sig, msg, msglen, k->ed25519) == 0)
			r = PJ_OK;
		break;
	}
out:
	return r;
}

int
pj_sig_verify(const struct pj_key *k, unsigned int alg,
    const unsigned char *msg, size_t msglen, const unsigned char *sig,
    size_t siglen)
{
	return pj_sig_verify_reason(k, alg, msg, msglen, sig, siglen, NULL, 0);
}
