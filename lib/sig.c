/* sig.c - HMAC, RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA (P1363) and Ed25519:
 * libsodium for HS256/512 and Ed25519, Nettle (lib/hog.h) for the rest */
#include "sig.h"
#include "alg.h"
#include "err.h"
#include "key.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "curve.h"
#include "hog.h" /* last: Nettle and GMP calls go through its table */

/* HMAC-SHA-384 (RFC 2104): libsodium has no SHA-384, Nettle's does it. */
static int
hmac_sha384(const unsigned char *key, size_t keylen, const unsigned char *msg,
    size_t msglen, unsigned char *out, char *reason, size_t rlen)
{
	struct hmac_sha384_ctx ctx;
	int r;

	if ((r = pj_hog_load(reason, rlen)) != PJ_OK)
		return r;
	hmac_sha384_set_key(&ctx, keylen, key);
	hmac_sha384_update(&ctx, msglen, msg);
	hmac_sha384_digest(&ctx, SHA384_DIGEST_SIZE, out);
	sodium_memzero(&ctx, sizeof(ctx)); /* holds the key's pads */
	return PJ_OK;
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
		goto out; /* not a verdict on the signature: no libhogweed */
	r = PJ_E_SIGNATURE;
	if (siglen != maclen)
		goto out;
	if (sodium_memcmp(mac, sig, siglen) == 0)
		r = PJ_OK;
out:
	sodium_memzero(mac, sizeof(mac));
	return r;
}

/* SHA-256, -384 or -512 (hlen bytes) of msg into out. */
static void
digest(size_t hlen, const unsigned char *msg, size_t msglen,
    unsigned char *out)
{
	struct sha256_ctx c256;
	struct sha512_ctx c512;

	if (hlen == SHA256_DIGEST_SIZE) {
		sha256_init(&c256);
		sha256_update(&c256, msglen, msg);
		sha256_digest(&c256, SHA256_DIGEST_SIZE, out);
	} else if (hlen == SHA384_DIGEST_SIZE) {
		sha384_init(&c512);
		sha384_update(&c512, msglen, msg);
		sha384_digest(&c512, SHA384_DIGEST_SIZE, out);
	} else {
		sha512_init(&c512);
		sha512_update(&c512, msglen, msg);
		sha512_digest(&c512, SHA512_DIGEST_SIZE, out);
	}
}

/* The DER DigestInfo prefix of EMSA-PKCS1-v1_5 (RFC 8017 9.2, note 1):
 * SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING of the hash }. */
#define DI_PREFIX_LEN 19
static const unsigned char DI_SHA256[DI_PREFIX_LEN] = { 0x30, 0x31, 0x30,
	0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
	0x05, 0x00, 0x04, 0x20 };
static const unsigned char DI_SHA384[DI_PREFIX_LEN] = { 0x30, 0x41, 0x30,
	0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02,
	0x05, 0x00, 0x04, 0x30 };
static const unsigned char DI_SHA512[DI_PREFIX_LEN] = { 0x30, 0x51, 0x30,
	0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03,
	0x05, 0x00, 0x04, 0x40 };

#define PJ_ALG_PS (PJ_ALG_PS256 | PJ_ALG_PS384 | PJ_ALG_PS512)

/* RSASSA-PKCS1-v1_5 or RSASSA-PSS (MGF1 with the same hash, salt as long as
 * it: RFC 7518 3.5).  sig is exactly the modulus size (checked). */
static int
verify_rsa(const struct pj_pubkey *pk, unsigned int alg, size_t hlen,
    const unsigned char *dig, const unsigned char *sig, size_t siglen)
{
	unsigned char di[DI_PREFIX_LEN + SHA512_DIGEST_SIZE];
	const unsigned char *prefix;
	mpz_t s;
	int ok;

	/* Nettle refuses s outside [1, n-1] itself */
	/* cppcheck-suppress uninitvar ; pj_hog_mpz initialises s (mpz_init) */
	pj_hog_mpz(s, sig, siglen);
	if (alg & PJ_ALG_PS) {
		if (hlen == SHA256_DIGEST_SIZE)
			ok = rsa_pss_sha256_verify_digest(&pk->rsa, hlen, dig, s);
		else if (hlen == SHA384_DIGEST_SIZE)
			ok = rsa_pss_sha384_verify_digest(&pk->rsa, hlen, dig, s);
		else
			ok = rsa_pss_sha512_verify_digest(&pk->rsa, hlen, dig, s);
	} else {
		/* Nettle 3.8 has no rsa_sha384_verify_digest: the generic form
		 * for all three, with the DigestInfo it builds for the others */
		prefix = hlen == SHA256_DIGEST_SIZE ? DI_SHA256 :
		    hlen == SHA384_DIGEST_SIZE ? DI_SHA384 : DI_SHA512;
		memcpy(di, prefix, DI_PREFIX_LEN);
		memcpy(di + DI_PREFIX_LEN, dig, hlen);
		ok = rsa_pkcs1_verify(&pk->rsa, DI_PREFIX_LEN + hlen, di, s);
	}
	mpz_clear(s);
	return ok ? PJ_OK : PJ_E_SIGNATURE;
}

/* 1 when the big-endian x (len bytes, len = the order's size) is in
 * [1, n-1]: memcmp orders equal-length big-endian numbers. */
static int
in_order_range(const unsigned char *x, const unsigned char *order, size_t len)
{
	size_t i;
	unsigned char any = 0;

	for (i = 0; i < len; i++)
		any |= x[i];
	return any != 0 && memcmp(x, order, len) < 0;
}

/* ECDSA as JWS sends it: r || s, each exactly half (the order's size,
 * RFC 7518 3.4), both in [1, n-1] (Nettle checks that too). */
static int
verify_ecdsa(const struct pj_pubkey *pk, size_t hlen, const unsigned char *dig,
    const unsigned char *sig, size_t siglen)
{
	const struct pj_curve *c = pk->curve;
	struct dsa_signature ds;
	size_t half = siglen / 2;
	int ok;

	if (c == NULL || half != c->coord_bytes ||
	    !in_order_range(sig, c->order, half) ||
	    !in_order_range(sig + half, c->order, half))
		return PJ_E_SIGNATURE;
	pj_hog_mpz(ds.r, sig, half);
	pj_hog_mpz(ds.s, sig + half, half);
	ok = ecdsa_verify(&pk->ec, hlen, dig, &ds);
	mpz_clear(ds.r);
	mpz_clear(ds.s);
	return ok ? PJ_OK : PJ_E_SIGNATURE;
}

static int
verify_pkey(const struct pj_key *k, unsigned int alg,
    const unsigned char *msg, size_t msglen, const unsigned char *sig,
    size_t siglen, char *reason, size_t rlen)
{
	unsigned char dig[SHA512_DIGEST_SIZE];
	size_t hlen = pj_alg_hash_len(alg);
	int r = PJ_E_SIGNATURE;

	if (siglen != k->sig_len)
		goto out;
	if (!pj_hog_loaded() || k->pkey == NULL ||
	    k->pkey->is_ec != (k->type == PJ_KEY_EC)) { /* cannot be */
		r = pj_reason(PJ_E_INTERNAL, reason, rlen,
		    "%s key has not been built", pj_alg_name(alg));
		goto out;
	}
	if (hlen != SHA256_DIGEST_SIZE && hlen != SHA384_DIGEST_SIZE &&
	    hlen != SHA512_DIGEST_SIZE) {
		r = pj_reason(PJ_E_INTERNAL, reason, rlen, "no digest for %s",
		    pj_alg_name(alg));
		goto out;
	}
	digest(hlen, msg, msglen, dig);
	if (k->type == PJ_KEY_EC)
		r = verify_ecdsa(k->pkey, hlen, dig, sig, siglen);
	else
		r = verify_rsa(k->pkey, alg, hlen, dig, sig, siglen);
out:
	return r;
}

int
pj_sig_verify_reason(const struct pj_key *k, unsigned int alg,
    const unsigned char *msg, size_t msglen, const unsigned char *sig,
    size_t siglen, char *reason, size_t rlen)
{
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
		if ((r = pj_hog_load(reason, rlen)) != PJ_OK)
			goto out;
		r = verify_pkey(k, alg, msg, msglen, sig, siglen, reason, rlen);
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
