/* jws.c - strict compact JWS */
#include "jws.h"
#include "alg.h"
#include "b64url.h"
#include "err.h"
#include "hdrcache.h"
#include "key.h"
#include "sig.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PJ_KID_MAX 256

int
pj_jws_shaped(const char *tok, size_t len)
{
	size_t i = 0, seg, dots = 0;

	if (len == 0)
		return 0;
	for (;;) {
		seg = pj_b64url_span(tok + i, len - i);
		if (seg == 0 && dots < 2)
			return 0; /* empty header or payload */
		i += seg;
		if (i == len)
			return dots == 2;
		if (tok[i] != '.' || ++dots > 2)
			return 0; /* not the alphabet, or a third dot */
		i++;
	}
}

void
pj_jws_clear(struct pj_jws *j)
{
	if (j == NULL)
		return;
	json_decref(j->header);
	free(j->kept);
	if (j->payload != NULL) {
		sodium_memzero(j->payload, j->payload_len);
		free(j->payload);
	}
	memset(j, 0, sizeof(*j));
}

/* Header members we understand; anything that changes how the signature or
 * payload must be read and that we do not implement is refused. */
static int
check_header(json_t *h, struct pj_jws *out, char *reason, size_t rlen)
{
	json_t *alg = json_object_get(h, "alg"), *kid, *typ, *cty;

	if (!json_is_string(alg))
		return pj_reason(PJ_E_ALG, reason, rlen,
		    "header has no 'alg' string");
	if (json_object_get(h, "crit") != NULL)
		return pj_reason(PJ_E_HEADER, reason, rlen,
		    "header 'crit' names extensions pam_jwt does not implement");
	if (json_object_get(h, "enc") != NULL || json_object_get(h, "zip") != NULL)
		return pj_reason(PJ_E_HEADER, reason, rlen,
		    "token is a JWE (encrypted), not a JWS");
	if (json_object_get(h, "b64") != NULL)
		return pj_reason(PJ_E_HEADER, reason, rlen,
		    "header 'b64' (RFC 7797) is not accepted");
	out->alg = pj_alg_from_name(json_string_value(alg),
	    json_string_length(alg));
	if (out->alg == 0) /* the name is unverified: not in the reason */
		return pj_reason(PJ_E_ALG, reason, rlen,
		    "the header's algorithm is not one pam_jwt accepts "
		    "(exact names; never none)");
	kid = json_object_get(h, "kid");
	if (kid != NULL) {
		if (!json_is_string(kid) || json_string_length(kid) == 0 ||
		    json_string_length(kid) > PJ_KID_MAX ||
		    strlen(json_string_value(kid)) != json_string_length(kid))
			return pj_reason(PJ_E_HEADER, reason, rlen,
			    "header 'kid' is not a usable string");
		out->kid = json_string_value(kid);
	}
	typ = json_object_get(h, "typ");
	if (typ != NULL) {
		if (!json_is_string(typ))
			return pj_reason(PJ_E_HEADER, reason, rlen,
			    "header 'typ' is not a string");
		out->typ = json_string_value(typ);
	}
	cty = json_object_get(h, "cty");
	if (cty != NULL && (!json_is_string(cty) ||
	    strcasecmp(json_string_value(cty), "JWT") == 0))
		return pj_reason(PJ_E_HEADER, reason, rlen,
		    "nested tokens (cty JWT) are not accepted");
	return PJ_OK;
}

/* Split at the two dots; returns lengths. */
static int
split(const char *tok, size_t len, size_t *hlen, size_t *plen, size_t *slen)
{
	const char *d1, *d2;

	d1 = memchr(tok, '.', len);
	if (d1 == NULL)
		return -1;
	d2 = memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok));
	if (d2 == NULL)
		return -1;
	if (memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - tok)) != NULL)
		return -1;
	*hlen = (size_t)(d1 - tok);
	*plen = (size_t)(d2 - d1 - 1);
	*slen = len - (size_t)(d2 + 1 - tok);
	return 0;
}

int
pj_jws_peek_header(const char *tok, size_t len, struct pj_jws *out,
    char *reason, size_t rlen)
{
	unsigned char *hbuf = NULL;
	size_t hlen, plen, slen, hdec = 0;
	json_error_t jerr;
	int r;

	memset(out, 0, sizeof(*out));
	if (len > PJ_TOKEN_MAX) {
		r = pj_reason(PJ_E_TOO_LONG, reason, rlen,
		    "token of %zu bytes (at most %d)", len, PJ_TOKEN_MAX);
		goto out;
	}
	if (!pj_jws_shaped(tok, len) || split(tok, len, &hlen, &plen, &slen) != 0) {
		r = PJ_E_NOT_JWS;
		goto out;
	}
	/* the same bytes parsed and checked before: the same result */
	if (pj_hdrcache_get(tok, hlen, out)) {
		r = PJ_OK;
		goto out;
	}
	r = pj_b64url_decode_alloc(tok, hlen, &hbuf, &hdec);
	if (r != PJ_OK) {
		r = pj_reason(r == PJ_E_MALFORMED ? PJ_E_MALFORMED : r, reason, rlen,
		    "header is not strict base64url");
		goto out;
	}
	out->header = json_loadb((const char *)hbuf, hdec, JSON_REJECT_DUPLICATES,
	    &jerr);
	if (out->header == NULL && json_error_code(&jerr) ==
	    json_error_out_of_memory) {
		r = PJ_E_NOMEM;
		goto out;
	}
	if (out->header == NULL || !json_is_object(out->header)) {
		r = pj_reason(PJ_E_MALFORMED, reason, rlen,
		    "header is not a JSON object without duplicate members");
		goto out;
	}
	r = check_header(out->header, out, reason, rlen);
	if (r == PJ_OK) {
		out->parsed = 1;
		pj_hdrcache_put(tok, hlen, out);
	}
out:
	free(hbuf);
	if (r != PJ_OK)
		pj_jws_clear(out);
	return r;
}

int
pj_jws_verify(const char *tok, size_t len, const struct pj_keyset *ks,
    unsigned int allowed, struct pj_jws *out, char *reason, size_t rlen)
{
	int r;

	r = pj_jws_peek_header(tok, len, out, reason, rlen);
	if (r != PJ_OK)
		return r;
	return pj_jws_verify_peeked(tok, len, ks, allowed, out, reason, rlen);
}

int
pj_jws_verify_peeked(const char *tok, size_t len, const struct pj_keyset *ks,
    unsigned int allowed, struct pj_jws *out, char *reason, size_t rlen)
{
	const struct pj_key *key = NULL;
	unsigned char *sig = NULL;
	size_t hlen = 0, plen = 0, slen = 0, siglen = 0;
	unsigned int usable = 0;
	size_t i;
	int r;

	/* the peeked header of these bytes: what pj_jws_peek_header checked
	 * (length, shape, header) holds; anything else is not a peek */
	if (!out->parsed || out->payload != NULL || len > PJ_TOKEN_MAX) {
		r = pj_reason(PJ_E_INTERNAL, reason, rlen,
		    "token verified without its parsed header");
		goto out;
	}
	if (split(tok, len, &hlen, &plen, &slen) != 0) {
		r = PJ_E_NOT_JWS;
		goto out;
	}
	/* pin: the algorithm must be one the configured keys allow */
	for (i = 0; i < ks->n; i++)
		usable |= ks->keys[i].algs;
	if (allowed != 0)
		usable &= allowed;
	if ((out->alg & usable) == 0) {
		r = pj_reason(PJ_E_ALG, reason, rlen,
		    "algorithm %s is not allowed by the configured keys",
		    pj_alg_name(out->alg));
		goto out;
	}
	r = pj_keyset_select(ks, out->alg, out->kid, &key, reason, rlen);
	if (r != PJ_OK)
		goto out;
	r = pj_b64url_decode_alloc(tok + hlen + 1, plen, &out->payload,
	    &out->payload_len);
	if (r != PJ_OK) {
		r = pj_reason(r == PJ_E_MALFORMED ? PJ_E_MALFORMED : r, reason, rlen,
		    "payload is not strict base64url");
		goto out;
	}
	if (slen == 0) {
		r = pj_reason(PJ_E_SIGNATURE, reason, rlen, "signature is empty");
		goto out;
	}
	r = pj_b64url_decode_alloc(tok + hlen + plen + 2, slen, &sig, &siglen);
	if (r != PJ_OK) {
		r = pj_reason(r == PJ_E_MALFORMED ? PJ_E_MALFORMED : r, reason, rlen,
		    "signature is not strict base64url");
		goto out;
	}
	/* the signing input is the first two parts as sent */
	r = pj_sig_verify_reason(key, out->alg, (const unsigned char *)tok,
	    hlen + 1 + plen, sig, siglen, reason, rlen);
	if (r == PJ_E_SIGNATURE)
		r = pj_reason(r, reason, rlen, "%s signature does not verify",
		    pj_alg_name(out->alg));
	else if (r != PJ_OK) /* no memory, no libcrypto: not a verdict */
		r = pj_reason(r, reason, rlen, "%s signature could not be checked",
		    pj_alg_name(out->alg));
	if (r == PJ_OK)
		out->key_kid = key->kid;
out:
	/* the signature is the token's: whoever has it with the first two
	 * parts holds a credential */
	if (sig != NULL) {
		sodium_memzero(sig, siglen);
		free(sig);
	}
	if (r != PJ_OK)
		pj_jws_clear(out);
	return r;
}
