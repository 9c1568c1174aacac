/* key.c - one verification key, built from its material: an HMAC secret,
 * RSA numbers, an EC point, an Ed25519 key, a DER SubjectPublicKeyInfo or
 * its PEM text; cleared, and its signature size.  Also the plain array
 * that holds keys (add, free), which jwk.c fills and keyset.c loads. */
#include "key.h"
#include "alg.h"
#include "curve.h"
#include "err.h"
#include "rsa.h"
#include "spki.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hog.h" /* last: Nettle and GMP calls go through its table */

/* A secret with fewer distinct byte values than this is refused as weak
 * ("aaaa...", "0000...", "abababab..."). */
#define PJ_SECRET_MIN_DISTINCT 8

static unsigned int
hmac_algs_for_len(size_t len)
{
	/* RFC 7518 3.2: a key at least as long as the hash output */
	unsigned int algs = PJ_ALG_HS256;

	if (len >= 48)
		algs |= PJ_ALG_HS384;
	if (len >= 64)
		algs |= PJ_ALG_HS512;
	return algs;
}

int
pj_key_from_secret(const unsigned char *buf, size_t len, struct pj_key *out,
    char *reason, size_t rlen)
{
	unsigned char seen[256];
	size_t i, distinct = 0;

	if (len == 0)
		return pj_reason(PJ_E_KEY, reason, rlen, "secret is empty");
	if (len < PJ_SECRET_MIN)
		return pj_reason(PJ_E_KEY, reason, rlen,
		    "secret is %zu bytes, at least %d are required", len,
		    PJ_SECRET_MIN);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < len; i++) {
		if (!seen[buf[i]])
			distinct++;
		seen[buf[i]] = 1;
	}
	sodium_memzero(seen, sizeof(seen));
	if (distinct < PJ_SECRET_MIN_DISTINCT)
		return pj_reason(PJ_E_KEY, reason, rlen,
		    "secret is weak (only %zu distinct byte values)", distinct);
	out->secret = malloc(len);
	if (out->secret == NULL)
		return PJ_E_NOMEM;
	memcpy(out->secret, buf, len);
	out->secret_len = len;
	out->type = PJ_KEY_HMAC;
	out->algs = hmac_algs_for_len(len);
	return PJ_OK;
}

int
pj_key_from_rsa(const unsigned char *n, size_t nlen, const unsigned char *e,
    size_t elen, struct pj_key *out, char *reason, size_t rlen)
{
	struct pj_pubkey *pk = NULL;
	int r = PJ_E_INTERNAL;

	/* the one rule (rsa.h), on the numbers, before Nettle sees them */
	if ((r = pj_rsa_check(n, nlen, e, elen, reason, rlen)) != PJ_OK)
		return r;
	if ((r = pj_hog_load(reason, rlen)) != PJ_OK)
		return r;
	if ((pk = calloc(1, sizeof(*pk))) == NULL)
		return PJ_E_NOMEM;
	rsa_public_key_init(&pk->rsa);
	mpz_import(pk->rsa.n, nlen, 1, 1, 1, 0, n);
	mpz_import(pk->rsa.e, elen, 1, 1, 1, 0, e);
	/* takes any n and e that passed the rule above: a refusal is a
	 * disagreement between the two, reported as the key's */
	if (!rsa_public_key_prepare(&pk->rsa) ||
	    pk->rsa.size != (pj_rsa_bits(n, nlen) + 7) / 8) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "Nettle refuses the RSA key (rsa_public_key_prepare)");
		goto out;
	}
	out->type = PJ_KEY_RSA;
	out->algs = PJ_ALG_RSA;
	out->sig_len = pk->rsa.size;
	out->pkey = pk; /* transferred */
	pk = NULL;
	r = PJ_OK;
out:
	pj_hog_pubkey_free(pk);
	return r;
}

static const struct ecc_curve *
nettle_curve(const struct pj_curve *c)
{
	switch (c->bits) {
	case 256: return nettle_get_secp_256r1();
	case 384: return nettle_get_secp_384r1();
	case 521: return nettle_get_secp_521r1();
	default: return NULL;
	}
}

int
pj_key_from_ec_point(const char *group, const unsigned char *pt, size_t ptlen,
    struct pj_key *out, char *reason, size_t rlen)
{
	struct pj_pubkey *pk = NULL;
	const struct pj_curve *c = pj_curve_by_group(group);
	const struct ecc_curve *ec;
	mpz_t x, y;
	int set, r = PJ_E_INTERNAL;

	/* only an uncompressed point (one 0x00 byte, the point at infinity,
	 * would be a key that "verifies" forged signatures) */
	if (c == NULL || ptlen != 1 + 2 * c->coord_bytes || pt[0] != 0x04)
		return pj_reason(PJ_E_KEY, reason, rlen,
		    "EC public key is not an uncompressed point on %s", group);
	if ((r = pj_hog_load(reason, rlen)) != PJ_OK)
		return r;
	if ((ec = nettle_curve(c)) == NULL)
		return pj_reason(PJ_E_INTERNAL, reason, rlen,
		    "no Nettle curve for %s", group);
	if ((pk = calloc(1, sizeof(*pk))) == NULL)
		return PJ_E_NOMEM;
	pk->is_ec = 1;
	pk->curve = c;
	ecc_point_init(&pk->ec, ec);
	memset(x, 0, sizeof(x)); /* pj_hog_mpz initialises them */
	memset(y, 0, sizeof(y));
	pj_hog_mpz(x, pt + 1, c->coord_bytes);
	pj_hog_mpz(y, pt + 1 + c->coord_bytes, c->coord_bytes);
	/* Nettle refuses coordinates outside [0, p-1] and a point that does
	 * not satisfy the curve equation: the key's fault */
	set = ecc_point_set(&pk->ec, x, y);
	mpz_clear(x);
	mpz_clear(y);
	if (!set) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "EC public key is not a point on %s", group);
		goto out;
	}
	out->type = PJ_KEY_EC;
	out->algs = c->alg;
	out->sig_len = c->sig_bytes;
	out->pkey = pk; /* transferred */
	pk = NULL;
	r = PJ_OK;
out:
	pj_hog_pubkey_free(pk);
	return r;
}

void
pj_key_from_ed25519(const unsigned char raw[32], struct pj_key *out)
{
	memcpy(out->ed25519, raw, sizeof(out->ed25519));
	out->type = PJ_KEY_ED25519;
	out->algs = PJ_ALG_EDDSA;
	out->sig_len = crypto_sign_BYTES;
}

int
pj_key_from_spki(const unsigned char *der, size_t len, struct pj_key *out,
    char *reason, size_t rlen)
{
	struct pj_spki spki;
	int r = PJ_E_INTERNAL;

	r = pj_spki_parse(der, len, &spki, reason, rlen);
	if (r != PJ_OK)
		goto out;
	switch (spki.type) {
	case PJ_SPKI_RSA:
		r = pj_key_from_rsa(spki.a, spki.alen, spki.b, spki.blen, out,
		    reason, rlen);
		break;
	case PJ_SPKI_EC:
		r = pj_key_from_ec_point(spki.curve->group, spki.a, spki.alen, out,
		    reason, rlen);
		break;
	case PJ_SPKI_ED25519:
		pj_key_from_ed25519(spki.a, out);
		r = PJ_OK;
		break;
	}
out:
	return r;
}

#define PEM_BEGIN "-----BEGIN PUBLIC KEY-----"
#define PEM_END "-----END PUBLIC KEY-----"

int
pj_key_from_pem(const char *pem, size_t len, struct pj_key *out, char *reason,
    size_t rlen)
{
	const char *first, *body, *end;
	unsigned char *der = NULL;
	size_t derlen = 0, cap;
	int r = PJ_E_INTERNAL;

	if (len > PJ_PEM_MAX || memchr(pem, '\0', len) != NULL) {
		r = pj_reason(PJ_E_KEY, reason, rlen, "PEM text too large or binary");
		goto out;
	}
	/* bounded by len: the text need not be NUL-terminated */
	first = memmem(pem, len, "-----BEGIN ", 11);
	if (first == NULL || (size_t)(pem + len - first) < strlen(PEM_BEGIN) ||
	    memcmp(first, PEM_BEGIN, strlen(PEM_BEGIN)) != 0) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "not a PEM public key (expected " PEM_BEGIN ")");
		goto out;
	}
	if (memmem(first + 11, (size_t)(pem + len - first - 11), "-----BEGIN ",
	    11) != NULL) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "more than one PEM block (one public key is expected)");
		goto out;
	}
	body = first + strlen(PEM_BEGIN);
	end = memmem(body, (size_t)(pem + len - body), PEM_END, strlen(PEM_END));
	if (end == NULL) {
		r = pj_reason(PJ_E_KEY, reason, rlen, "PEM block has no end line");
		goto out;
	}
	cap = (size_t)(end - body) / 4 * 3 + 3;
	der = malloc(cap);
	if (der == NULL) {
		r = PJ_E_NOMEM;
		goto out;
	}
	if (sodium_base642bin(der, cap, body, (size_t)(end - body), " \t\r\n",
	    &derlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0) {
		r = pj_reason(PJ_E_KEY, reason, rlen, "PEM body is not base64");
		goto out;
	}
	r = pj_key_from_spki(der, derlen, out, reason, rlen);
out:
	free(der);
	return r;
}

void
pj_key_clear(struct pj_key *k)
{
	if (k == NULL)
		return;
	if (k->secret != NULL && k->secret_guarded) {
		sodium_free(k->secret); /* wipes it */
	} else if (k->secret != NULL) {
		sodium_memzero(k->secret, k->secret_len);
		free(k->secret);
	}
	if (k->pkey != NULL) /* only after a load */
		pj_hog_pubkey_free(k->pkey);
	json_decref(k->pending);
	free(k->kid);
	free(k->note);
	sodium_memzero(k, sizeof(*k));
}

/* The keys of shared sets, counted (pj_keyset_share). */
struct pj_keyset_block {
	unsigned long refs;      /* __atomic */
	struct pj_key *keys;
	size_t n;
};

int
pj_keyset_add(struct pj_keyset *ks, struct pj_key *k)
{
	struct pj_key *nk;

	if (ks->shared != NULL) /* read-only: cannot be */
		return PJ_E_INTERNAL;
	nk = realloc(ks->keys, (ks->n + 1) * sizeof(*nk));
	if (nk == NULL)
		return PJ_E_NOMEM;
	ks->keys = nk;
	ks->keys[ks->n++] = *k; /* transferred */
	memset(k, 0, sizeof(*k));
	return PJ_OK;
}

void
pj_keyset_free(struct pj_keyset *ks)
{
	struct pj_keyset_block *b;
	size_t i;

	if (ks == NULL)
		return;
	b = ks->shared;
	/* a shared set's keys go with the last reference; acquire-release, so
	 * that whoever frees them sees every use the others made */
	if (b == NULL || __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		for (i = 0; i < ks->n; i++)
			pj_key_clear(&ks->keys[i]);
		free(ks->keys);
		free(b);
	}
	ks->keys = NULL;
	ks->n = 0;
	ks->shared = NULL;
}

/* A kept set's secrets, for as long as it is kept: in sodium_malloc'd
 * memory (guard pages, mlock'd where RLIMIT_MEMLOCK allows; sodium_free
 * wipes it), read-only once copied. */
static int
guard_secrets(struct pj_keyset *ks)
{
	unsigned char *g;
	struct pj_key *k;
	size_t i;

	if (sodium_init() < 0) /* sodium_malloc needs it (the module has it) */
		return PJ_E_INTERNAL;
	for (i = 0; i < ks->n; i++) {
		k = &ks->keys[i];
		if (k->secret == NULL || k->secret_guarded)
			continue;
		if ((g = sodium_malloc(k->secret_len)) == NULL)
			return PJ_E_NOMEM;
		memcpy(g, k->secret, k->secret_len);
		sodium_memzero(k->secret, k->secret_len);
		free(k->secret);
		k->secret = g;
		k->secret_guarded = 1;
		(void)sodium_mprotect_readonly(g);
	}
	return PJ_OK;
}

int
pj_keyset_share(struct pj_keyset *ks)
{
	struct pj_keyset_block *b;
	int r;

	if (ks->shared != NULL)
		return PJ_OK;
	if ((r = guard_secrets(ks)) != PJ_OK)
		return r;
	if ((b = malloc(sizeof(*b))) == NULL)
		return PJ_E_NOMEM;
	b->refs = 1;
	b->keys = ks->keys;
	b->n = ks->n;
	ks->shared = b;
	return PJ_OK;
}

void
pj_keyset_view(const struct pj_keyset *from, struct pj_keyset *to)
{
	__atomic_add_fetch(&from->shared->refs, 1, __ATOMIC_RELAXED);
	to->keys = from->keys;
	to->n = from->n;
	to->shared = from->shared;
}

size_t
pj_key_sig_len(const struct pj_key *k, unsigned int alg)
{
	if (k->type == PJ_KEY_HMAC)
		return pj_alg_hash_len(alg);
	return k->sig_len;
}
