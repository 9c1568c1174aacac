/* jwk.c - RFC 7517 JSON Web Keys and Key Sets */
#include "jwk.h"
#include "alg.h"
#include "b64url.h"
#include "err.h"
#include "key.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define JWK_MEMBER_MAX 4096  /* base64url characters of one key member */

/* Decode a base64url string member; PJ_E_KEY if absent or malformed. */
static int
member_b64(json_t *jwk, const char *name, unsigned char **out, size_t *outlen,
    char *reason, size_t rlen)
{
	json_t *v = json_object_get(jwk, name);
	int r;

	*out = NULL;
	*outlen = 0;
	if (!json_is_string(v))
		return pj_reason(PJ_E_KEY, reason, rlen,
		    "JWK member '%s' missing or not a string", name);
	if (json_string_length(v) == 0 || json_string_length(v) > JWK_MEMBER_MAX)
		return pj_reason(PJ_E_KEY, reason, rlen,
		    "JWK member '%s' has a bad length", name);
	r = pj_b64url_decode_alloc(json_string_value(v), json_string_length(v),
	    out, outlen);
	if (r == PJ_E_MALFORMED)
		return pj_reason(PJ_E_KEY, reason, rlen,
		    "JWK member '%s' is not strict base64url", name);
	return r;
}

static const char *
member_str(json_t *jwk, const char *name, int *bad)
{
	json_t *v = json_object_get(jwk, name);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

/* Each builder returns PJ_OK, PJ_E_KEY for malformed members (reason), or
 * PJ_E_ALG for a well-formed key that pam_jwt will not use (note). */
static int
rsa_from_jwk(json_t *jwk, struct pj_key *out, char *note, size_t notelen,
    char *reason, size_t rlen)
{
	unsigned char *n = NULL, *e = NULL;
	size_t nlen = 0, elen = 0;
	int r;

	if ((r = member_b64(jwk, "n", &n, &nlen, reason, rlen)) != PJ_OK ||
	    (r = member_b64(jwk, "e", &e, &elen, reason, rlen)) != PJ_OK)
		goto out;
	if (n[0] == 0 || e[0] == 0) {
		/* RFC 7518 6.3.1: unsigned big-endian, no leading zero octet */
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "JWK RSA member with a leading zero octet");
		goto out;
	}
	r = pj_key_from_rsa(n, nlen, e, elen, out, note, notelen);
	if (r == PJ_E_KEY)
		r = PJ_E_ALG; /* weak or unusable: noted */
out:
	free(n);
	free(e);
	return r;
}

static int
ec_from_jwk(json_t *jwk, const char *crv, struct pj_key *out, char *note,
    size_t notelen, char *reason, size_t rlen)
{
	unsigned char *x = NULL, *y = NULL, *pt = NULL;
	size_t xlen = 0, ylen = 0, flen;
	const char *group;
	int r;

	if (crv == NULL)
		return pj_reason(PJ_E_KEY, reason, rlen, "JWK EC key without 'crv'");
	if (strcmp(crv, "P-256") == 0) {
		group = "prime256v1";
		flen = 32;
	} else if (strcmp(crv, "P-384") == 0) {
		group = "secp384r1";
		flen = 48;
	} else if (strcmp(crv, "P-521") == 0) {
		group = "secp521r1";
		flen = 66;
	} else {
		(void)snprintf(note, notelen, "curve '%.16s' is not supported", crv);
		return PJ_E_ALG;
	}
	if ((r = member_b64(jwk, "x", &x, &xlen, reason, rlen)) != PJ_OK ||
	    (r = member_b64(jwk, "y", &y, &ylen, reason, rlen)) != PJ_OK)
		goto out;
	/* RFC 7518 6.2.1.2 wants full-size coordinates; some makers (PyJWT 2.6
	 * for P-521) drop leading zero octets.  The integer is the same, so a
	 * shorter coordinate is padded; a longer one is malformed. */
	if (xlen > flen || ylen > flen) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "JWK EC coordinates longer than %zu bytes for %s", flen, crv);
		goto out;
	}
	pt = calloc(1, 1 + 2 * flen);
	if (pt == NULL) {
		r = PJ_E_NOMEM;
		goto out;
	}
	pt[0] = 0x04;
	memcpy(pt + 1 + (flen - xlen), x, xlen);
	memcpy(pt + 1 + flen + (flen - ylen), y, ylen);
	r = pj_key_from_ec_point(group, pt, 1 + 2 * flen, out, reason, rlen);
out:
	free(x);
	free(y);
	free(pt);
	return r;
}

static int
okp_from_jwk(json_t *jwk, const char *crv, struct pj_key *out, char *note,
    size_t notelen, char *reason, size_t rlen)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	int r;

	if (crv == NULL || strcmp(crv, "Ed25519") != 0) {
		(void)snprintf(note, notelen,
		    "OKP curve '%.16s' is not supported (Ed25519 is)",
		    crv ? crv : "(none)");
		return PJ_E_ALG;
	}
	if ((r = member_b64(jwk, "x", &raw, &rawlen, reason, rlen)) != PJ_OK)
		return r;
	if (rawlen != sizeof(out->ed25519))
		r = pj_reason(PJ_E_KEY, reason, rlen, "JWK Ed25519 'x' must be 32 bytes");
	else
		pj_key_from_ed25519(raw, out);
	free(raw);
	return r;
}

static int
oct_from_jwk(json_t *jwk, struct pj_key *out, char *note, size_t notelen,
    char *reason, size_t rlen)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	int r;

	if ((r = member_b64(jwk, "k", &raw, &rawlen, reason, rlen)) != PJ_OK)
		return r;
	r = pj_key_from_secret(raw, rawlen, out, note, notelen);
	if (r == PJ_E_KEY)
		r = PJ_E_ALG; /* short or weak: noted */
	sodium_memzero(raw, rawlen);
	free(raw);
	return r;
}

/* Narrow a key's algorithms by the JWK's alg, use and key_ops. */
static int
apply_jwk_limits(json_t *jwk, struct pj_key *k, char *note, size_t nlen,
    char *reason, size_t rlen)
{
	json_t *ops = json_object_get(jwk, "key_ops"), *op;
	const char *alg, *use;
	unsigned int bit;
	size_t i;
	int bad = 0, verify = 0;

	alg = member_str(jwk, "alg", &bad);
	use = member_str(jwk, "use", &bad);
	if (bad)
		return pj_reason(PJ_E_KEY, reason, rlen,
		    "JWK 'alg' or 'use' is not a string");
	if (ops != NULL) {
		if (!json_is_array(ops))
			return pj_reason(PJ_E_KEY, reason, rlen,
			    "JWK 'key_ops' is not an array");
		json_array_foreach(ops, i, op) {
			if (!json_is_string(op))
				return pj_reason(PJ_E_KEY, reason, rlen,
				    "JWK 'key_ops' holds a non-string");
			if (strcmp(json_string_value(op), "verify") == 0)
				verify = 1;
		}
		if (!verify) {
			k->algs = 0;
			(void)snprintf(note, nlen, "key_ops does not allow verify");
			return PJ_OK;
		}
	}
	if (use != NULL && strcmp(use, "sig") != 0) {
		k->algs = 0;
		(void)snprintf(note, nlen, "use is '%.16s', not 'sig'", use);
		return PJ_OK;
	}
	if (alg != NULL) {
		bit = pj_alg_from_name(alg, strlen(alg));
		if ((bit & k->algs) == 0) {
			(void)snprintf(note, nlen, "alg '%.16s' does not fit the key",
			    alg);
			k->algs = 0;
			return PJ_OK;
		}
		k->algs = bit;
	}
	return PJ_OK;
}

static const char *const private_members[] = {
	"d", "p", "q", "dp", "dq", "qi", "oth",
};

/* The members every JWK must have right: an object, string kty (and crv,
 * kid when present), no private key material unless allowed (or oct). */
static int
jwk_checks(json_t *jwk, int allow_private, const char **kty, const char **crv,
    const char **kid, char *reason, size_t rlen)
{
	size_t i;
	int bad = 0;

	if (!json_is_object(jwk))
		return pj_reason(PJ_E_KEY, reason, rlen, "JWK is not an object");
	*kty = member_str(jwk, "kty", &bad);
	*crv = member_str(jwk, "crv", &bad);
	*kid = member_str(jwk, "kid", &bad);
	if (bad || *kty == NULL)
		return pj_reason(PJ_E_KEY, reason, rlen,
		    "JWK 'kty' missing, or 'kty'/'crv'/'kid' not a string");
	if (!allow_private && strcmp(*kty, "oct") != 0)
		for (i = 0; i < sizeof(private_members) / sizeof(private_members[0]); i++)
			if (json_object_get(jwk, private_members[i]) != NULL)
				return pj_reason(PJ_E_KEY, reason, rlen,
				    "JWK%s%.64s holds private key material ('%s'): "
				    "publish only the public key",
				    *kid ? " " : "", *kid ? *kid : "", private_members[i]);
	return PJ_OK;
}

/* After a builder: r is PJ_OK (usable so far) or PJ_E_ALG (noted).  Apply
 * alg/use/key_ops, record the note and the kid. */
static int
jwk_finish(json_t *jwk, const char *kid, int r, struct pj_key *out, char *note,
    size_t nlen, char *reason, size_t rlen)
{
	if (r != PJ_OK && r != PJ_E_ALG)
		return r;
	if (r == PJ_OK && note[0] == '\0' &&
	    (r = apply_jwk_limits(jwk, out, note, nlen, reason, rlen)) != PJ_OK)
		return r;
	if (note[0] != '\0') {
		out->algs = 0;
		if ((out->note = strdup(note)) == NULL)
			return PJ_E_NOMEM;
	}
	if (kid != NULL && (out->kid = strdup(kid)) == NULL)
		return PJ_E_NOMEM;
	return PJ_OK;
}

int
pj_jwk_to_key(json_t *jwk, int allow_private, struct pj_key *out, char *reason,
    size_t rlen)
{
	const char *kty = NULL, *crv = NULL, *kid = NULL;
	char note[160] = "";
	int r;

	memset(out, 0, sizeof(*out));
	r = jwk_checks(jwk, allow_private, &kty, &crv, &kid, reason, rlen);
	if (r != PJ_OK)
		goto out;
	if (strcmp(kty, "oct") == 0) {
		out->type = PJ_KEY_HMAC;
		r = oct_from_jwk(jwk, out, note, sizeof(note), reason, rlen);
	} else if (strcmp(kty, "RSA") == 0) {
		out->type = PJ_KEY_RSA;
		r = rsa_from_jwk(jwk, out, note, sizeof(note), reason, rlen);
	} else if (strcmp(kty, "EC") == 0) {
		out->type = PJ_KEY_EC;
		r = ec_from_jwk(jwk, crv, out, note, sizeof(note), reason, rlen);
	} else if (strcmp(kty, "OKP") == 0) {
		out->type = PJ_KEY_ED25519;
		r = okp_from_jwk(jwk, crv, out, note, sizeof(note), reason, rlen);
	} else {
		/* no type: never PJ_KEY_HMAC, which would demand mode 0600 of a
		 * public set and call it "an HMAC secret" */
		out->type = PJ_KEY_NONE;
		(void)snprintf(note, sizeof(note), "kty '%.16s' is not supported", kty);
		r = PJ_E_ALG;
	}
	r = jwk_finish(jwk, kid, r, out, note, sizeof(note), reason, rlen);
out:
	if (r != PJ_OK)
		pj_key_clear(out);
	return r;
}

/* The bits of a big-endian unsigned integer without leading zero octets. */
static size_t
bit_length(const unsigned char *p, size_t n)
{
	unsigned char top = p[0];
	size_t bits = (n - 1) * 8;

	while (top) {
		bits++;
		top >>= 1;
	}
	return bits;
}

/* For a set: RSA and EC keys get their members checked and their
 * algorithms, size and notes now, and their EVP_PKEY only when a token
 * selects them (pj_key_ready).  Other key types are built at once. */
static int
jwk_to_key_lazy(json_t *jwk, struct pj_key *out, char *reason, size_t rlen)
{
	const char *kty = NULL, *crv = NULL, *kid = NULL;
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0, bits, flen = 0;
	char note[160] = "";
	unsigned int alg = 0;
	int r;

	memset(out, 0, sizeof(*out));
	r = jwk_checks(jwk, 0, &kty, &crv, &kid, reason, rlen);
	if (r != PJ_OK)
		goto out;
	if (strcmp(kty, "RSA") != 0 && (strcmp(kty, "EC") != 0 || crv == NULL))
		return pj_jwk_to_key(jwk, 0, out, reason, rlen);
	if (strcmp(kty, "RSA") == 0) {
		out->type = PJ_KEY_RSA;
		if ((r = member_b64(jwk, "n", &a, &alen, reason, rlen)) != PJ_OK ||
		    (r = member_b64(jwk, "e", &b, &blen, reason, rlen)) != PJ_OK)
			goto out;
		if (a[0] == 0 || b[0] == 0) {
			r = pj_reason(PJ_E_KEY, reason, rlen,
			    "JWK RSA member with a leading zero octet");
			goto out;
		}
		bits = bit_length(a, alen);
		if (bits < PJ_RSA_MIN_BITS || bits > PJ_RSA_MAX_BITS)
			(void)snprintf(note, sizeof(note),
			    "RSA key of %zu bits (%d to %d are accepted)", bits,
			    PJ_RSA_MIN_BITS, PJ_RSA_MAX_BITS);
		else if (!(b[blen - 1] & 1) || blen > 8 ||
		    bit_length(b, blen) < 2)
			(void)snprintf(note, sizeof(note),
			    "RSA public exponent is unsafe (must be odd, 3 or more)");
		else if (pj_rsa_roca(a, alen))
			(void)snprintf(note, sizeof(note),
			    "RSA modulus has the ROCA fingerprint (CVE-2017-15361)");
		out->algs = PJ_ALG_RSA;
		out->sig_len = (bits + 7) / 8;
	} else {
		out->type = PJ_KEY_EC;
		if (strcmp(crv, "P-256") == 0) {
			alg = PJ_ALG_ES256;
			flen = 32;
		} else if (strcmp(crv, "P-384") == 0) {
			alg = PJ_ALG_ES384;
			flen = 48;
		} else if (strcmp(crv, "P-521") == 0) {
			alg = PJ_ALG_ES512;
			flen = 66;
		} else {
			(void)snprintf(note, sizeof(note),
			    "curve '%.16s' is not supported", crv);
		}
		if (flen != 0) {
			if ((r = member_b64(jwk, "x", &a, &alen, reason, rlen)) != PJ_OK ||
			    (r = member_b64(jwk, "y", &b, &blen, reason, rlen)) != PJ_OK)
				goto out;
			if (alen > flen || blen > flen) {
				r = pj_reason(PJ_E_KEY, reason, rlen,
				    "JWK EC coordinates longer than %zu bytes for %s",
				    flen, crv);
				goto out;
			}
			out->algs = alg;
			out->sig_len = 2 * flen;
		}
	}
	r = jwk_finish(jwk, kid, PJ_OK, out, note, sizeof(note), reason, rlen);
	if (r == PJ_OK && out->algs != 0)
		out->pending = json_incref(jwk);
out:
	free(a);
	free(b);
	if (r != PJ_OK)
		pj_key_clear(out);
	return r;
}

/* The parsed JSON of recently accepted sets (see jwk.h).  The trees are
 * never changed after the parse, only read and reference-counted (jansson's
 * counts are atomic: JSON_HAVE_ATOMIC_BUILTINS), so threads may share one.
 * Best effort throughout: the lock is only tried (a busy cache, or one
 * whose lock a fork copied held, means parsing), and sets over 256 KiB are
 * not kept (at most 1 MiB of text stays in the process). */
#define JWKS_CACHE_SLOTS 4
#define JWKS_CACHE_MAX (256 * 1024)
static struct {
	char *text;
	size_t len;
	json_t *root;
	unsigned long used;
} jwks_cache[JWKS_CACHE_SLOTS];
static unsigned long jwks_tick;
static pthread_mutex_t jwks_lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot holding exactly these bytes, or -1.  Under jwks_lock.  The bytes
 * are public keys (sets with a secret are never kept): plain memcmp. */
static int
jwks_cache_find(const char *text, size_t len)
{
	int i;

	for (i = 0; i < JWKS_CACHE_SLOTS; i++)
		if (jwks_cache[i].root != NULL && jwks_cache[i].len == len &&
		    memcmp(jwks_cache[i].text, text, len) == 0)
			return i;
	return -1;
}

/* A new reference to the tree parsed from exactly these bytes, or NULL. */
static json_t *
jwks_cache_get(const char *text, size_t len)
{
	json_t *root = NULL;
	int i;

	if (len > JWKS_CACHE_MAX || pthread_mutex_trylock(&jwks_lock) != 0)
		return NULL;
	if ((i = jwks_cache_find(text, len)) >= 0) {
		root = json_incref(jwks_cache[i].root);
		jwks_cache[i].used = ++jwks_tick;
	}
	(void)pthread_mutex_unlock(&jwks_lock);
	return root;
}

/* Keep root for text, in the least recently used slot.  Best effort: on
 * any failure nothing is kept and the next authentication parses again. */
static void
jwks_cache_put(const char *text, size_t len, json_t *root)
{
	char *copy;
	size_t i, victim = 0;

	if (len > JWKS_CACHE_MAX || (copy = malloc(len + 1)) == NULL)
		return;
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (pthread_mutex_trylock(&jwks_lock) != 0) {
		free(copy);
		return;
	}
	/* another thread may have kept the same bytes meanwhile */
	if (jwks_cache_find(text, len) >= 0) {
		(void)pthread_mutex_unlock(&jwks_lock);
		free(copy);
		return;
	}
	for (i = 0; i < JWKS_CACHE_SLOTS; i++) {
		if (jwks_cache[i].root == NULL) {
			victim = i;
			break;
		}
		if (jwks_cache[i].used < jwks_cache[victim].used)
			victim = i;
	}
	json_decref(jwks_cache[victim].root);
	free(jwks_cache[victim].text);
	jwks_cache[victim].text = copy;
	jwks_cache[victim].len = len;
	jwks_cache[victim].root = json_incref(root);
	jwks_cache[victim].used = ++jwks_tick;
	(void)pthread_mutex_unlock(&jwks_lock);
}

void
pj_jwks_cache_clear(void)
{
	size_t i;

	if (pthread_mutex_lock(&jwks_lock) != 0)
		return;
	for (i = 0; i < JWKS_CACHE_SLOTS; i++) {
		json_decref(jwks_cache[i].root);
		free(jwks_cache[i].text);
		memset(&jwks_cache[i], 0, sizeof(jwks_cache[i]));
	}
	(void)pthread_mutex_unlock(&jwks_lock);
}

int
pj_jwks_parse(const char *text, size_t len, struct pj_keyset *ks, char *reason,
    size_t rlen)
{
	json_error_t jerr;
	json_t *root = NULL, *keys, *jwk;
	struct pj_key k;
	const char *kty;
	size_t i, j, usable = 0, first = ks->n;
	int r = PJ_E_INTERNAL, parsed = 0, secret = 0;

	memset(&k, 0, sizeof(k));
	root = jwks_cache_get(text, len);
	if (root == NULL) {
		root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
		parsed = 1;
	}
	if (root == NULL) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "JWK Set is not valid JSON (line %d: %.80s)", jerr.line,
		    jerr.text);
		goto out;
	}
	keys = json_object_get(root, "keys");
	if (!json_is_object(root) || !json_is_array(keys)) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "JWK Set must be an object with a 'keys' array");
		goto out;
	}
	json_array_foreach(keys, i, jwk) {
		char sub[200] = "";

		r = jwk_to_key_lazy(jwk, &k, sub, sizeof(sub));
		if (r != PJ_OK) {
			if (r == PJ_E_KEY)
				(void)pj_reason(r, reason, rlen, "key %zu: %s", i, sub);
			goto out;
		}
		for (j = first; j < ks->n; j++)
			if (k.kid != NULL && ks->keys[j].kid != NULL &&
			    strcmp(k.kid, ks->keys[j].kid) == 0) {
				r = pj_reason(PJ_E_KEY, reason, rlen,
				    "duplicate kid '%.64s' (keys %zu and %zu)", k.kid,
				    j - first, i);
				goto out;
			}
		if (k.algs != 0)
			usable++;
		/* "secret" means kty oct, whatever became of the key */
		kty = json_string_value(json_object_get(jwk, "kty"));
		if (kty != NULL && strcmp(kty, "oct") == 0)
			secret = 1;
		if ((r = pj_keyset_add(ks, &k)) != PJ_OK)
			goto out;
	}
	if (usable == 0) {
		r = pj_reason(PJ_E_KEY, reason, rlen, "JWK Set has no usable key");
		goto out;
	}
	r = PJ_OK;
	/* never a secret: it would outlive the authentication in memory */
	if (parsed && !secret)
		jwks_cache_put(text, len, root);
out:
	pj_key_clear(&k);
	json_decref(root);
	return r;
}
