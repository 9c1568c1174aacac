/* fuzz_common.h - helpers shared by the libFuzzer harnesses (static inline:
 * each harness is one translation unit). */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include "keys.h"
#include "lib/alg.h"
#include "lib/b64url.h"
#include "lib/err.h"
#include "lib/jwk.h"
#include "lib/key.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A harness precondition that cannot fail: abort loudly (a finding). */
#define FUZZ_ASSERT(c) do { if (!(c)) { \
	fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #c); \
	abort(); } } while (0)

/* Copy data into a new NUL-terminated buffer (the lib's text parsers, like
 * the files they normally read, expect one). */
static inline char *
fuzz_strndup(const unsigned char *data, size_t size)
{
	char *s = malloc(size + 1);

	FUZZ_ASSERT(s != NULL);
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* The fixed key set: the HMAC secret, an RSA and an Ed25519 PEM key (all
 * without kid) and the JWK Set (RSA, EC P-256/384/521, Ed25519 with kids). */
static inline void
fuzz_keyset(struct pj_keyset *ks)
{
	struct pj_key k;
	char reason[256] = "";

	FUZZ_ASSERT(sodium_init() >= 0);
	memset(ks, 0, sizeof(*ks));
	memset(&k, 0, sizeof(k));
	FUZZ_ASSERT(pj_key_from_secret((const unsigned char *)FUZZ_SECRET,
	    strlen(FUZZ_SECRET), &k, reason, sizeof(reason)) == PJ_OK);
	FUZZ_ASSERT(pj_keyset_add(ks, &k) == PJ_OK);
	memset(&k, 0, sizeof(k));
	FUZZ_ASSERT(pj_key_from_pem(FUZZ_RSA_PEM, strlen(FUZZ_RSA_PEM), &k,
	    reason, sizeof(reason)) == PJ_OK);
	FUZZ_ASSERT(pj_keyset_add(ks, &k) == PJ_OK);
	memset(&k, 0, sizeof(k));
	FUZZ_ASSERT(pj_key_from_pem(FUZZ_ED25519_PEM, strlen(FUZZ_ED25519_PEM),
	    &k, reason, sizeof(reason)) == PJ_OK);
	FUZZ_ASSERT(pj_keyset_add(ks, &k) == PJ_OK);
	if (pj_jwks_parse(FUZZ_JWKS, strlen(FUZZ_JWKS), ks, reason,
	    sizeof(reason)) != PJ_OK) {
		fprintf(stderr, "fuzz keyset: %s\n", reason);
		abort();
	}
}

/* Sign header.payload (both JSON texts) the way an issuer holding the
 * harness keys would: HS256/384/512 with FUZZ_SECRET, EdDSA with the
 * Ed25519 seed; any other (or unparseable) alg gets an HS256 signature.
 * Returns a new compact JWS (caller frees). */
static inline char *
fuzz_sign(const char *hdr, size_t hlen, const char *pay, size_t plen)
{
	unsigned char sig[EVP_MAX_MD_SIZE > 64 ? EVP_MAX_MD_SIZE : 64];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	unsigned int siglen = 0;
	const EVP_MD *md = EVP_sha256();
	unsigned int alg = 0;
	json_t *h;
	char *tok, *p;
	size_t cap, n;

	h = json_loadb(hdr, hlen, 0, NULL);
	if (json_is_object(h) && json_is_string(json_object_get(h, "alg"))) {
		json_t *a = json_object_get(h, "alg");

		alg = pj_alg_from_name(json_string_value(a), json_string_length(a));
	}
	json_decref(h);
	cap = PJ_B64URL_ENCODED_LEN(hlen) + PJ_B64URL_ENCODED_LEN(plen) +
	    PJ_B64URL_ENCODED_LEN(sizeof(sig)) + 3;
	tok = malloc(cap);
	FUZZ_ASSERT(tok != NULL);
	pj_b64url_encode((const unsigned char *)hdr, hlen, tok);
	n = strlen(tok);
	tok[n++] = '.';
	pj_b64url_encode((const unsigned char *)pay, plen, tok + n);
	n += strlen(tok + n);
	if (alg == PJ_ALG_EDDSA) {
		FUZZ_ASSERT(crypto_sign_seed_keypair(pk, sk,
		    (const unsigned char *)FUZZ_ED25519_SEED) == 0);
		FUZZ_ASSERT(crypto_sign_detached(sig, NULL, (unsigned char *)tok, n,
		    sk) == 0);
		siglen = crypto_sign_BYTES;
	} else {
		if (alg == PJ_ALG_HS384)
			md = EVP_sha384();
		else if (alg == PJ_ALG_HS512)
			md = EVP_sha512();
		FUZZ_ASSERT(HMAC(md, FUZZ_SECRET, (int)strlen(FUZZ_SECRET),
		    (unsigned char *)tok, n, sig, &siglen) != NULL);
	}
	tok[n++] = '.';
	p = tok + n;
	pj_b64url_encode(sig, siglen, p);
	return tok;
}

#endif
