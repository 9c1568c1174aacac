/* keyset.c - the configured key set: read from the option's files
 * (secret_file, public_key_file, jwks_file, with the file checks of
 * lib/file.c), and the choice of the one key for a token (find, select).
 * Above key.c (one key) and jwk.c (JWK text to keys). */
#include "keyset.h"
#include "alg.h"
#include "err.h"
#include "file.h"
#include "jwk.h"
#include "key.h"
#include "logval.h"
#include "options.h"
#include "text.h"

#include <stdint.h>
#include <string.h>

#include "ossl.h" /* pj_ossl_load */

/* Build the one key of a secret or PEM file's text. */
static int
secret_key(char *buf, size_t len, struct pj_key *k, char *reason, size_t rlen)
{
	/* one final newline is not part of the secret */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	return pj_key_from_secret((unsigned char *)buf, len, k, reason, rlen);
}

static int
pem_key(char *buf, size_t len, struct pj_key *k, char *reason, size_t rlen)
{
	return pj_key_from_pem(buf, len, k, reason, rlen);
}

/* A file holding one key (secret_file, public_key_file): read it with the
 * checks of its kind, build the key, add it to ks. */
static int
load_one(const char *path, enum pj_file_kind kind, size_t max,
    int (*build)(char *, size_t, struct pj_key *, char *, size_t),
    struct pj_keyset *ks, char *reason, size_t rlen)
{
	struct pj_key k;
	char *buf = NULL;
	size_t len = 0;
	int r;

	memset(&k, 0, sizeof(k));
	r = pj_file_read(path, kind, max, PJ_E_KEY, &buf, &len, NULL, reason,
	    rlen);
	if (r != PJ_OK)
		goto out;
	r = build(buf, len, &k, reason, rlen);
	if (r != PJ_OK) {
		if (r == PJ_E_KEY)
			pj_reason_prefix(reason, rlen, "%s", path);
		goto out;
	}
	r = pj_keyset_add(ks, &k);
out:
	pj_key_clear(&k);
	pj_file_free(buf, len);
	return r;
}

static int
load_jwks(const char *path, struct pj_keyset *ks, char *reason, size_t rlen)
{
	char *buf = NULL;
	size_t len = 0, first = ks->n, i;
	unsigned int mode = 0;
	int r;

	r = pj_file_read(path, PJ_FILE_PUBLIC, PJ_JWKS_MAX, PJ_E_KEY, &buf, &len,
	    &mode, reason, rlen);
	if (r != PJ_OK)
		goto out;
	r = pj_jwks_parse(buf, len, ks, reason, rlen);
	/* an oct key is a secret: the set must then be private like one */
	for (i = first; r == PJ_OK && i < ks->n; i++)
		if (ks->keys[i].type == PJ_KEY_HMAC && (mode & 077) != 0)
			r = pj_reason(PJ_E_KEY, reason, rlen,
			    "holds an HMAC secret (kty oct) but its mode %04o lets "
			    "group or others read it", mode);
	if (r == PJ_E_KEY)
		pj_reason_prefix(reason, rlen, "%s", path);
out:
	pj_file_free(buf, len);
	return r;
}

int
pj_keyset_load(const struct pj_options *o, struct pj_keyset *ks, char *reason,
    size_t rlen)
{
	int r = PJ_OK;

	memset(ks, 0, sizeof(*ks));
	if (o->secret_file != NULL &&
	    (r = load_one(o->secret_file, PJ_FILE_SECRET, PJ_SECRET_MAX,
	    secret_key, ks, reason, rlen)) != PJ_OK)
		goto out;
	if (o->public_key_file != NULL &&
	    (r = load_one(o->public_key_file, PJ_FILE_PUBLIC, PJ_PEM_MAX,
	    pem_key, ks, reason, rlen)) != PJ_OK)
		goto out;
	if (o->jwks_file != NULL &&
	    (r = load_jwks(o->jwks_file, ks, reason, rlen)) != PJ_OK)
		goto out;
	if (ks->n == 0)
		r = pj_reason(PJ_E_KEY, reason, rlen, "no key configured");
out:
	if (r != PJ_OK)
		pj_keyset_free(ks);
	return r;
}

/* The chosen key, ready to verify alg: its EVP_PKEY built if pending, and
 * libcrypto loaded for HS384 (libsodium has no SHA-384), with the reason
 * logged here rather than as a bad signature. */
static int
key_use(struct pj_key *k, unsigned int alg, char *reason, size_t rlen)
{
	int r;

	if ((r = pj_jwk_ready(k, reason, rlen)) != PJ_OK)
		return r;
	if (alg == PJ_ALG_HS384)
		return pj_ossl_load(reason, rlen);
	return PJ_OK;
}

int
pj_keyset_find(const struct pj_keyset *ks, unsigned int alg, const char *kid,
    const struct pj_key **out, char *reason, size_t rlen)
{
	const struct pj_key *hit = NULL;
	char shown[PJ_LOGVAL_SIZE(64)];
	size_t i, fits = 0;

	*out = NULL;
	if (kid != NULL) {
		for (i = 0; i < ks->n; i++)
			if (ks->keys[i].kid != NULL &&
			    strcmp(ks->keys[i].kid, kid) == 0) {
				hit = &ks->keys[i];
				break;
			}
		if (hit != NULL) {
			/* a configured kid (the token's matched it), escaped all
			 * the same: the line is read as structure (logval.h) */
			pj_logstr(shown, sizeof(shown), hit->kid, 64);
			if (hit->algs == 0)
				return pj_reason(PJ_E_NO_KEY, reason, rlen,
				    "key '%s' is unusable: %s", shown,
				    hit->note ? hit->note : "no algorithm");
			if ((hit->algs & alg) == 0)
				return pj_reason(PJ_E_ALG, reason, rlen,
				    "key '%s' does not allow %s", shown,
				    pj_alg_name(alg));
			*out = hit;
			return PJ_OK;
		}
	}
	/* keys without kid (files), or any key when the token has no kid */
	for (i = 0; i < ks->n; i++) {
		if (kid != NULL && ks->keys[i].kid != NULL)
			continue;
		if (ks->keys[i].algs & alg) {
			fits++;
			hit = &ks->keys[i];
		}
	}
	if (fits == 0) {
		if (kid != NULL)
			/* the token's kid, unverified, is not quoted: the log
			 * line has it once, escaped, as kid= (pam_jwt.c) */
			return pj_reason(PJ_E_NO_KEY, reason, rlen,
			    "no key with the token's kid for %s", pj_alg_name(alg));
		return pj_reason(PJ_E_ALG, reason, rlen,
		    "no configured key verifies %s", pj_alg_name(alg));
	}
	if (fits > 1)
		return pj_reason(PJ_E_NO_KEY, reason, rlen,
		    "token has no kid and %zu keys fit %s", fits, pj_alg_name(alg));
	*out = hit;
	return PJ_OK;
}

int
pj_keyset_select(const struct pj_keyset *ks, unsigned int alg, const char *kid,
    const struct pj_key **out, char *reason, size_t rlen)
{
	const struct pj_key *hit = NULL;
	int r;

	*out = NULL;
	if ((r = pj_keyset_find(ks, alg, kid, &hit, reason, rlen)) != PJ_OK)
		return r;
	/* the set is const, its keys are not: building a pending key is a
	 * cache inside this authentication's own key set */
	if ((r = key_use((struct pj_key *)(uintptr_t)hit, alg, reason, rlen)) !=
	    PJ_OK)
		return r;
	*out = hit;
	return PJ_OK;
}
