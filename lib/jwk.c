/* jwk.c - RFC 7517 JSON Web Keys and Key Sets to keys (lib/key.c builds
 * each): members checked, RSA and EC keys of a set left pending until
 * pj_jwk_ready, and the cache of recently read sets. */
#include "jwk.h"
#include "alg.h"
#include "b64url.h"
#include "curve.h"
#include "err.h"
#include "key.h"
#include "logval.h"
#include "rsa.h"

#include "hog.h" /* pj_hog_load: no Nettle call is made here */

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A value from the JWK Set (perhaps fetched from a provider) in a note or
 * reason: escaped by pj_logval, in a buffer that lives to the end of the
 * full expression (a compound literal per use). */
#define SHOWN_N(s, max) \
	pj_logshow((char[PJ_LOGVAL_SIZE(max)]){ 0 }, PJ_LOGVAL_SIZE(max), (s), (max))
#define SHOWN(s) SHOWN_N(s, 16)
#define SHOWN_KID(s) SHOWN_N(s, 64)
#define SHOWN_TEXT(s) SHOWN_N(s, 80)

#define JWK_MEMBER_MAX 4096  /* base64url characters of one key member */

/* The text of an oct key's "k" that pj_jwks_parse kept from jansson (see
 * jwks_mask): the tree holds 'A's of the same length in its place. */
struct jwk_k {
	const char *text;
	size_t len;
};

/* Decode a base64url string member; PJ_E_KEY if absent or malformed.  With
 * real (the member's own text, masked in the tree), that is decoded. */
static int
member_b64(json_t *jwk, const char *name, const struct jwk_k *real,
    unsigned char **out, size_t *outlen, char *reason, size_t rlen)
{
	json_t *v = json_object_get(jwk, name);
	const char *text;
	size_t len;
	int r;

	*out = NULL;
	*outlen = 0;
	if (!json_is_string(v))
		return pj_reason(PJ_E_KEY, reason, rlen,
		    "JWK member '%s' missing or not a string", name);
	text = json_string_value(v);
	len = json_string_length(v);
	if (real != NULL && real->len == len)
		text = real->text;
	if (len == 0 || len > JWK_MEMBER_MAX)
		return pj_reason(PJ_E_KEY, reason, rlen,
		    "JWK member '%s' has a bad length", name);
	r = pj_b64url_decode_alloc(text, len, out, outlen);
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

	if ((r = member_b64(jwk, "n", NULL, &n, &nlen, reason, rlen)) != PJ_OK ||
	    (r = member_b64(jwk, "e", NULL, &e, &elen, reason, rlen)) != PJ_OK)
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
	const struct pj_curve *c;
	int r;

	if (crv == NULL)
		return pj_reason(PJ_E_KEY, reason, rlen, "JWK EC key without 'crv'");
	if ((c = pj_curve_by_crv(crv)) == NULL) {
		(void)snprintf(note, notelen, "curve '%s' is not supported",
		    SHOWN(crv));
		return PJ_E_ALG;
	}
	flen = c->coord_bytes;
	if ((r = member_b64(jwk, "x", NULL, &x, &xlen, reason, rlen)) != PJ_OK ||
	    (r = member_b64(jwk, "y", NULL, &y, &ylen, reason, rlen)) != PJ_OK)
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
	r = pj_key_from_ec_point(c->group, pt, 1 + 2 * flen, out, reason, rlen);
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
		    "OKP curve '%s' is not supported (Ed25519 is)",
		    crv ? SHOWN(crv) : "(none)");
		return PJ_E_ALG;
	}
	if ((r = member_b64(jwk, "x", NULL, &raw, &rawlen, reason, rlen)) != PJ_OK)
		return r;
	if (rawlen != sizeof(out->ed25519))
		r = pj_reason(PJ_E_KEY, reason, rlen, "JWK Ed25519 'x' must be 32 bytes");
	else
		pj_key_from_ed25519(raw, out);
	free(raw);
	return r;
}

static int
oct_from_jwk(json_t *jwk, const struct jwk_k *real, struct pj_key *out,
    char *note, size_t notelen, char *reason, size_t rlen)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	int r;

	if ((r = member_b64(jwk, "k", real, &raw, &rawlen, reason, rlen)) !=
	    PJ_OK)
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
		(void)snprintf(note, nlen, "use is '%s', not 'sig'", SHOWN(use));
		return PJ_OK;
	}
	if (alg != NULL) {
		bit = pj_alg_from_name(alg, strlen(alg));
		if ((bit & k->algs) == 0) {
			(void)snprintf(note, nlen, "alg '%s' does not fit the key",
			    SHOWN(alg));
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
				    "JWK%s%s holds private key material ('%s'): "
				    "publish only the public key",
				    *kid ? " " : "", *kid ? SHOWN_KID(*kid) : "",
				    private_members[i]);
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

static int
jwk_to_key(json_t *jwk, int allow_private, const struct jwk_k *real,
    struct pj_key *out, char *reason, size_t rlen)
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
		r = oct_from_jwk(jwk, real, out, note, sizeof(note), reason, rlen);
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
		(void)snprintf(note, sizeof(note), "kty '%s' is not supported",
		    SHOWN(kty));
		r = PJ_E_ALG;
	}
	r = jwk_finish(jwk, kid, r, out, note, sizeof(note), reason, rlen);
out:
	if (r != PJ_OK)
		pj_key_clear(out);
	return r;
}

int
pj_jwk_to_key(json_t *jwk, int allow_private, struct pj_key *out, char *reason,
    size_t rlen)
{
	return jwk_to_key(jwk, allow_private, NULL, out, reason, rlen);
}

int
pj_jwk_ready(struct pj_key *k, char *reason, size_t rlen)
{
	struct pj_key built;
	char shown[PJ_LOGVAL_SIZE(64)];
	int r;

	if (k->pending == NULL)
		return PJ_OK;
	/* without libhogweed the key is not at fault: it stays usable for the
	 * next try, and the reason says what is missing (PAM_AUTHINFO_UNAVAIL) */
	if ((r = pj_hog_load(reason, rlen)) != PJ_OK)
		return r;
	r = jwk_to_key(k->pending, 1, NULL, &built, reason, rlen);
	if (r == PJ_OK && (built.pkey == NULL || built.algs == 0 ||
	    built.type != k->type)) {
		/* the kid a token matched: escaped like the token's (logval.h) */
		pj_logstr(shown, sizeof(shown), k->kid ? k->kid : "-", 64);
		r = pj_reason(PJ_E_KEY, reason, rlen, "key '%s' is unusable: %s",
		    shown, built.note ? built.note : "malformed");
	}
	if (r == PJ_OK) {
		k->pkey = built.pkey; /* transferred */
		built.pkey = NULL;
		json_decref(k->pending);
		k->pending = NULL;
	} else if (r == PJ_E_KEY) {
		k->algs = 0; /* never again within this authentication */
	}
	pj_key_clear(&built);
	return r;
}


/* For a set: RSA and EC keys get their members checked and their
 * algorithms, size and notes now, and their Nettle key only when a token
 * selects them (pj_jwk_ready).  Other key types are built at once. */
static int
jwk_to_key_lazy(json_t *jwk, const struct jwk_k *real, struct pj_key *out,
    char *reason, size_t rlen)
{
	const char *kty = NULL, *crv = NULL, *kid = NULL;
	unsigned char *a = NULL, *b = NULL;
	size_t alen = 0, blen = 0;
	const struct pj_curve *c = NULL;
	char note[160] = "";
	int r;

	memset(out, 0, sizeof(*out));
	r = jwk_checks(jwk, 0, &kty, &crv, &kid, reason, rlen);
	if (r != PJ_OK)
		goto out;
	if (strcmp(kty, "RSA") != 0 && (strcmp(kty, "EC") != 0 || crv == NULL))
		return jwk_to_key(jwk, 0, real, out, reason, rlen);
	if (strcmp(kty, "RSA") == 0) {
		out->type = PJ_KEY_RSA;
		if ((r = member_b64(jwk, "n", NULL, &a, &alen, reason, rlen)) != PJ_OK ||
		    (r = member_b64(jwk, "e", NULL, &b, &blen, reason, rlen)) != PJ_OK)
			goto out;
		if (a[0] == 0 || b[0] == 0) {
			r = pj_reason(PJ_E_KEY, reason, rlen,
			    "JWK RSA member with a leading zero octet");
			goto out;
		}
		/* the one rule (rsa.h); its reason becomes the note */
		if (pj_rsa_check(a, alen, b, blen, note, sizeof(note)) != PJ_OK &&
		    note[0] == '\0')
			(void)snprintf(note, sizeof(note), "RSA key refused");
		out->algs = PJ_ALG_RSA;
		out->sig_len = (pj_rsa_bits(a, alen) + 7) / 8;
	} else {
		out->type = PJ_KEY_EC;
		if ((c = pj_curve_by_crv(crv)) == NULL)
			(void)snprintf(note, sizeof(note),
			    "curve '%s' is not supported", SHOWN(crv));
		if (c != NULL) {
			if ((r = member_b64(jwk, "x", NULL, &a, &alen, reason, rlen)) != PJ_OK ||
			    (r = member_b64(jwk, "y", NULL, &b, &blen, reason, rlen)) != PJ_OK)
				goto out;
			if (alen > c->coord_bytes || blen > c->coord_bytes) {
				r = pj_reason(PJ_E_KEY, reason, rlen,
				    "JWK EC coordinates longer than %zu bytes for %s",
				    c->coord_bytes, crv);
				goto out;
			}
			out->algs = c->alg;
			out->sig_len = c->sig_bytes;
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

/* --- the oct keys' "k", kept from jansson -----------------------------
 *
 * jansson's lexer copies every string it reads into buffers of its own that
 * it frees without wiping (and the module may not change jansson's
 * allocator: that is process-wide, and sshd or sudo may use jansson too).
 * So before the parse, a plain scan of the text finds each JWK's "k" (a
 * member of an object directly in the top-level "keys" array, written
 * without escapes) and jansson is given a copy in which its characters are
 * 'A's; the key is then decoded from the original text.  If the scan misses
 * a "k" (escapes in a member name), jansson reads it as before: the key
 * still works, only the wiping is incomplete.  If it ever found a wrong
 * one, the key would be all zero bytes: refused as weak, never usable. */
struct jwk_mask {
	size_t key;                /* index in "keys" */
	size_t off, len;           /* the characters between the quotes */
};

struct jwk_masks {
	struct jwk_mask *v;
	size_t n;
};

#define JWK_SCAN_DEPTH 8

/* The end of the string starting at t[i] == '"', or len. */
static size_t
string_end(const char *t, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i;
	}
	return len;
}

static int
all_b64url(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!pj_b64url_char((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Find the "k" members (see above).  The scan trusts nothing: on text that
 * is not JSON it finds nonsense, which jansson then refuses. */
static int
jwks_mask_find(const char *t, size_t len, struct jwk_masks *m)
{
	char ctype[JWK_SCAN_DEPTH];
	size_t i, end, n, depth = 0, idx = 0;
	int keypos = 0, key_keys = 0, key_k = 0, in_keys = 0;
	struct jwk_mask *nv;

	m->v = NULL;
	m->n = 0;
	for (i = 0; i < len; i++) {
		switch (t[i]) {
		case '"':
			end = string_end(t, len, i);
			n = end - i - 1;
			if (depth >= 1 && depth <= JWK_SCAN_DEPTH &&
			    ctype[depth - 1] == '{' && keypos) {
				if (depth == 1)
					key_keys = n == 4 && memcmp(t + i + 1, "keys", 4) == 0;
				if (depth == 3 && in_keys)
					key_k = n == 1 && t[i + 1] == 'k';
				keypos = 0;
			} else {
				if (depth == 3 && in_keys && ctype[2] == '{' && key_k &&
				    n >= 16 && n <= JWK_MEMBER_MAX &&
				    all_b64url(t + i + 1, n)) {
					nv = realloc(m->v, (m->n + 1) * sizeof(*nv));
					if (nv == NULL)
						return PJ_E_NOMEM;
					m->v = nv;
					m->v[m->n].key = idx;
					m->v[m->n].off = i + 1;
					m->v[m->n].len = n;
					m->n++;
				}
				key_k = 0;
				if (depth == 1)
					key_keys = 0;
			}
			i = end;
			break;
		case '{':
		case '[':
			depth++;
			if (depth <= JWK_SCAN_DEPTH)
				ctype[depth - 1] = t[i];
			keypos = t[i] == '{';
			if (depth == 2 && t[i] == '[' && key_keys && ctype[0] == '{') {
				in_keys = 1;
				idx = 0;
			}
			if (depth == 2)
				key_keys = 0;
			key_k = 0;
			break;
		case '}':
		case ']':
			if (depth == 2 && in_keys)
				in_keys = 0;
			if (depth > 0)
				depth--;
			keypos = 0;
			key_k = 0;
			break;
		case ',':
			if (depth >= 1 && depth <= JWK_SCAN_DEPTH &&
			    ctype[depth - 1] == '{')
				keypos = 1;
			if (depth == 2 && in_keys)
				idx++;
			key_k = 0;
			break;
		case ':':
		case ' ':
		case '\t':
		case '\r':
		case '\n':
			break;
		default: /* a number, true, false, null */
			key_k = 0;
			if (depth == 1)
				key_keys = 0;
			break;
		}
	}
	return PJ_OK;
}

/* The real "k" of key idx, or NULL; *next walks the masks in order. */
static const struct jwk_k *
jwks_mask_of(const char *text, const struct jwk_masks *m, size_t idx,
    size_t *next, struct jwk_k *k)
{
	while (*next < m->n && m->v[*next].key < idx)
		(*next)++;
	if (*next >= m->n || m->v[*next].key != idx)
		return NULL;
	k->text = text + m->v[*next].off;
	k->len = m->v[*next].len;
	return k;
}

/* Overwrite every string value in v (jansson owns the storage; the tree is
 * this authentication's own and about to be freed). */
static void
json_wipe_strings(json_t *v)
{
	json_t *e;
	const char *key;
	size_t i;

	if (json_is_string(v)) {
		/* cast: json_string_value is const, the bytes are v's own */
		sodium_memzero((char *)(uintptr_t)json_string_value(v),
		    json_string_length(v));
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, e) {
			json_wipe_strings(e);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			json_wipe_strings(e);
		}
	}
}

/* --- the JWK Set cache ---------------------------------------------------
 *
 * The one piece of state that outlives an authentication, a deliberate
 * exception to "no mutable static state" (NOTES-design.md: a 100-key set
 * went from 585 to 146 us per verification).  Per set accepted lately that
 * holds no secret (no kty "oct"), keyed by its exact bytes: what
 * pj_jwks_parse worked out for each key - kid, type, algorithms, note,
 * signature length, the Ed25519 key, and for an RSA or EC key the members
 * its Nettle key is built from - as our own plain data, never a jansson tree.
 * A hit copies that into the caller's set under the lock, giving each
 * pending key a small JSON object of its own: no two authentications share
 * anything jansson counts references of or changes.
 *   Thread-safe: every access to the slots is under jwks_lock, and nothing
 * read outside it is shared.  Fork-safe: the lock is only tried (busy, or
 * copied held by fork(), means parsing as if the cache were empty).  Clean
 * under ThreadSanitizer: make check-tsan (tests/tsan/jwks_threads.c) runs
 * threads through it and fails on any report.  Best effort throughout: on
 * any failure the set is parsed.  Sets over 256 KiB are not kept (at most
 * 1 MiB of text stays in the process). */
#define JWKS_CACHE_SLOTS 4
#define JWKS_CACHE_MAX (256 * 1024)

/* One key as the cache keeps it: key holds kid, note and the scalars (no
 * secret, pkey or pending); for a pending key, its JWK members. */
struct jwks_desc {
	struct pj_key key;
	char *kty, *crv, *a, *b;   /* "RSA" n e, or "EC" crv x y; NULL if none */
};

static struct {
	char *text;
	size_t len;
	struct jwks_desc *d;
	size_t n;
	unsigned long used;
} jwks_cache[JWKS_CACHE_SLOTS];
static unsigned long jwks_tick;
static pthread_mutex_t jwks_lock = PTHREAD_MUTEX_INITIALIZER;

static void
jwks_desc_free(struct jwks_desc *d, size_t n)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < n; i++) {
		pj_key_clear(&d[i].key);
		free(d[i].kty);
		free(d[i].crv);
		free(d[i].a);
		free(d[i].b);
	}
	free(d);
}

/* A copy of string member name of jwk, or NULL if it has none. */
static int
dup_member(json_t *jwk, const char *name, char **out)
{
	json_t *v = json_object_get(jwk, name);

	*out = NULL;
	if (!json_is_string(v))
		return PJ_OK;
	*out = strndup(json_string_value(v), json_string_length(v));
	return *out == NULL ? PJ_E_NOMEM : PJ_OK;
}

/* A copy of str (NULL stays NULL). */
static int
dup_str(const char *str, char **out)
{
	*out = NULL;
	if (str != NULL && (*out = strdup(str)) == NULL)
		return PJ_E_NOMEM;
	return PJ_OK;
}

/* The description of a key pj_jwks_parse just built (never a secret). */
static int
jwks_desc_from(const struct pj_key *k, struct jwks_desc *d)
{
	json_t *p = k->pending;
	int rsa = k->type == PJ_KEY_RSA, r;

	memset(d, 0, sizeof(*d));
	d->key.type = k->type;
	d->key.algs = k->algs;
	d->key.sig_len = k->sig_len;
	memcpy(d->key.ed25519, k->ed25519, sizeof(d->key.ed25519));
	if ((r = dup_str(k->kid, &d->key.kid)) != PJ_OK ||
	    (r = dup_str(k->note, &d->key.note)) != PJ_OK)
		return r;
	if (p == NULL)
		return PJ_OK;
	if ((r = dup_member(p, "kty", &d->kty)) != PJ_OK ||
	    (r = dup_member(p, "crv", &d->crv)) != PJ_OK ||
	    (r = dup_member(p, rsa ? "n" : "x", &d->a)) != PJ_OK ||
	    (r = dup_member(p, rsa ? "e" : "y", &d->b)) != PJ_OK)
		return r;
	if (d->kty == NULL || d->a == NULL || d->b == NULL ||
	    (!rsa && d->crv == NULL))
		return PJ_E_INTERNAL; /* cannot be: pending keys were checked */
	return PJ_OK;
}

/* A key for this authentication alone from a description. */
static int
jwks_desc_key(const struct jwks_desc *d, struct pj_key *out)
{
	int rsa = d->key.type == PJ_KEY_RSA, r;
	json_t *p = NULL;

	memset(out, 0, sizeof(*out));
	out->type = d->key.type;
	out->algs = d->key.algs;
	out->sig_len = d->key.sig_len;
	memcpy(out->ed25519, d->key.ed25519, sizeof(out->ed25519));
	if ((r = dup_str(d->key.kid, &out->kid)) != PJ_OK ||
	    (r = dup_str(d->key.note, &out->note)) != PJ_OK)
		goto out;
	if (d->kty != NULL) {
		r = PJ_E_NOMEM;
		if ((p = json_object()) == NULL ||
		    json_object_set_new(p, "kty", json_string(d->kty)) != 0 ||
		    (d->crv != NULL &&
		    json_object_set_new(p, "crv", json_string(d->crv)) != 0) ||
		    json_object_set_new(p, rsa ? "n" : "x", json_string(d->a)) != 0 ||
		    json_object_set_new(p, rsa ? "e" : "y", json_string(d->b)) != 0)
			goto out;
		out->pending = p; /* transferred */
		p = NULL;
	}
	r = PJ_OK;
out:
	json_decref(p);
	if (r != PJ_OK)
		pj_key_clear(out);
	return r;
}

/* The slot holding exactly these bytes, or -1.  Under jwks_lock.  The bytes
 * are public keys (sets with a secret are never kept): plain memcmp. */
static int
jwks_cache_find(const char *text, size_t len)
{
	int i;

	for (i = 0; i < JWKS_CACHE_SLOTS; i++)
		if (jwks_cache[i].text != NULL && jwks_cache[i].len == len &&
		    memcmp(jwks_cache[i].text, text, len) == 0)
			return i;
	return -1;
}

/* The keys of the set kept for exactly these bytes, appended to ks: PJ_OK
 * (*hit says whether the cache had them) or PJ_E_NOMEM. */
static int
jwks_cache_get(const char *text, size_t len, struct pj_keyset *ks, int *hit)
{
	struct pj_key k;
	size_t j;
	int i, r = PJ_OK;

	*hit = 0;
	if (len > JWKS_CACHE_MAX || pthread_mutex_trylock(&jwks_lock) != 0)
		return PJ_OK;
	if ((i = jwks_cache_find(text, len)) >= 0) {
		jwks_cache[i].used = ++jwks_tick;
		*hit = 1;
		for (j = 0; r == PJ_OK && j < jwks_cache[i].n; j++) {
			r = jwks_desc_key(&jwks_cache[i].d[j], &k);
			if (r == PJ_OK && (r = pj_keyset_add(ks, &k)) != PJ_OK)
				pj_key_clear(&k);
		}
	}
	(void)pthread_mutex_unlock(&jwks_lock);
	return r;
}

/* Keep the descriptions of keys[0..n) for text, in the least recently used
 * slot.  Best effort: on any failure nothing is kept and the next
 * authentication parses again. */
static void
jwks_cache_put(const char *text, size_t len, const struct pj_key *keys,
    size_t n)
{
	struct jwks_desc *d = NULL, *old_d = NULL;
	char *copy = NULL, *old_text = NULL;
	size_t i, victim = 0, old_n = 0;

	if (len > JWKS_CACHE_MAX || n == 0 || (copy = malloc(len + 1)) == NULL ||
	    (d = calloc(n, sizeof(*d))) == NULL)
		goto out;
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (i = 0; i < n; i++)
		if (jwks_desc_from(&keys[i], &d[i]) != PJ_OK) {
			old_d = d;  /* freed below */
			old_n = n;
			d = NULL;
			goto out;
		}
	if (pthread_mutex_trylock(&jwks_lock) != 0)
		goto out;
	/* another thread may have kept the same bytes meanwhile */
	if (jwks_cache_find(text, len) < 0) {
		for (i = 0; i < JWKS_CACHE_SLOTS; i++) {
			if (jwks_cache[i].text == NULL) {
				victim = i;
				break;
			}
			if (jwks_cache[i].used < jwks_cache[victim].used)
				victim = i;
		}
		old_text = jwks_cache[victim].text;
		old_d = jwks_cache[victim].d;
		old_n = jwks_cache[victim].n;
		jwks_cache[victim].text = copy; /* transferred */
		jwks_cache[victim].len = len;
		jwks_cache[victim].d = d;       /* transferred */
		jwks_cache[victim].n = n;
		jwks_cache[victim].used = ++jwks_tick;
		copy = NULL;
		d = NULL;
	}
	(void)pthread_mutex_unlock(&jwks_lock);
out:
	/* what was replaced is freed outside the lock: nothing else sees it */
	jwks_desc_free(old_d, old_n);
	free(old_text);
	jwks_desc_free(d, n);
	free(copy);
}

void
pj_jwks_cache_clear(void)
{
	size_t i;

	if (pthread_mutex_lock(&jwks_lock) != 0)
		return;
	for (i = 0; i < JWKS_CACHE_SLOTS; i++) {
		jwks_desc_free(jwks_cache[i].d, jwks_cache[i].n);
		free(jwks_cache[i].text);
		memset(&jwks_cache[i], 0, sizeof(jwks_cache[i]));
	}
	(void)pthread_mutex_unlock(&jwks_lock);
}

int
pj_jwks_cache_holds(const char *text, size_t len)
{
	int held;

	if (pthread_mutex_lock(&jwks_lock) != 0)
		return 0;
	held = jwks_cache_find(text, len) >= 0;
	(void)pthread_mutex_unlock(&jwks_lock);
	return held;
}

/* Parse the text, the oct keys' "k" kept from jansson (see jwks_mask_find):
 * *masked is the copy jansson read, or NULL if there was nothing to hide. */
static json_t *
jwks_load(const char *text, size_t len, const struct jwk_masks *m,
    char **masked, json_error_t *jerr)
{
	size_t i;

	*masked = NULL;
	if (m->n == 0)
		return json_loadb(text, len, JSON_REJECT_DUPLICATES, jerr);
	if ((*masked = malloc(len)) == NULL) {
		(void)snprintf(jerr->text, sizeof(jerr->text), "out of memory");
		jerr->line = 0;
		return NULL;
	}
	memcpy(*masked, text, len);
	for (i = 0; i < m->n; i++)
		memset(*masked + m->v[i].off, 'A', m->v[i].len);
	return json_loadb(*masked, len, JSON_REJECT_DUPLICATES, jerr);
}

int
pj_jwks_parse(const char *text, size_t len, struct pj_keyset *ks, char *reason,
    size_t rlen)
{
	json_error_t jerr;
	json_t *root = NULL, *keys = NULL, *jwk;
	struct jwk_masks masks = { NULL, 0 };
	struct jwk_k real;
	struct pj_key k;
	const char *kty;
	char *masked = NULL;
	size_t i, j, usable = 0, first = ks->n, next = 0;
	int r = PJ_E_INTERNAL, hit = 0, secret = 0;

	memset(&k, 0, sizeof(k));
	if ((r = jwks_cache_get(text, len, ks, &hit)) != PJ_OK || hit)
		goto out;
	if ((r = jwks_mask_find(text, len, &masks)) != PJ_OK)
		goto out;
	root = jwks_load(text, len, &masks, &masked, &jerr);
	if (root == NULL) {
		r = masked == NULL && masks.n > 0 ? PJ_E_NOMEM :
		    pj_reason(PJ_E_KEY, reason, rlen,
		    "JWK Set is not valid JSON (line %d: %s)", jerr.line,
		    SHOWN_TEXT(jerr.text));
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

		/* "secret" means kty oct, whatever became of the key: such a
		 * set is never kept, and its strings are wiped below */
		kty = json_string_value(json_object_get(jwk, "kty"));
		if (kty != NULL && strcmp(kty, "oct") == 0)
			secret = 1;
		r = jwk_to_key_lazy(jwk, jwks_mask_of(text, &masks, i, &next, &real),
		    &k, sub, sizeof(sub));
		if (r != PJ_OK) {
			if (r == PJ_E_KEY)
				(void)pj_reason(r, reason, rlen, "key %zu: %s", i, sub);
			goto out;
		}
		for (j = first; j < ks->n; j++)
			if (k.kid != NULL && ks->keys[j].kid != NULL &&
			    strcmp(k.kid, ks->keys[j].kid) == 0) {
				r = pj_reason(PJ_E_KEY, reason, rlen,
				    "duplicate kid '%s' (keys %zu and %zu)",
				    SHOWN_KID(k.kid), j - first, i);
				goto out;
			}
		if (k.algs != 0)
			usable++;
		if ((r = pj_keyset_add(ks, &k)) != PJ_OK)
			goto out;
	}
	if (usable == 0) {
		r = pj_reason(PJ_E_KEY, reason, rlen, "JWK Set has no usable key");
		goto out;
	}
	r = PJ_OK;
	/* never a secret: it would outlive the authentication in memory */
	if (!secret)
		jwks_cache_put(text, len, ks->keys + first, ks->n - first);
out:
	pj_key_clear(&k);
	/* the oct keys' strings (their "k" is masked, unless the scan missed
	 * it) go before jansson frees them: no pending key points into one */
	if (json_is_array(keys)) {
		json_array_foreach(keys, i, jwk) {
			kty = json_string_value(json_object_get(jwk, "kty"));
			if (kty != NULL && strcmp(kty, "oct") == 0)
				json_wipe_strings(jwk);
		}
	}
	json_decref(root);
	if (masked != NULL) {
		sodium_memzero(masked, len);
		free(masked);
	}
	free(masks.v);
	return r;
}
