/* mint.c - the token a link gives: signed by the signer of `pamjwt mint`
 * (tools/sign.c), so it is checked against its own public half before it
 * is handed out, and a key the module would refuse cannot mint.
 *
 * Claims: iss, sub = the account, aud, iat = now, exp = now + token_ttl,
 * jti = 128 random bits (base64url), scope when the kind has one.
 */
#include "linkd.h"

#include "lib/alg.h"
#include "lib/b64url.h"
#include "lib/err.h"
#include "tools/sign.h"

#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define JTI_BYTES 16

int
lf_minter_load(const struct lf_conf *c, struct lf_minter *m, char *reason,
    size_t rlen)
{
	int r;

	memset(m, 0, sizeof(*m));
	m->alg = pj_alg_from_name(c->alg, strlen(c->alg));
	if (m->alg == 0)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "alg '%.32s' is not one pam_jwt accepts", c->alg);
	m->signer = calloc(1, sizeof(*m->signer));
	if (m->signer == NULL)
		return PJ_E_NOMEM;
	r = pj_signer_load(c->key_file, m->alg, m->signer, reason, rlen);
	if (r != PJ_OK)
		lf_minter_free(m);
	return r;
}

void
lf_minter_free(struct lf_minter *m)
{
	if (m == NULL)
		return;
	if (m->signer != NULL) {
		pj_signer_clear(m->signer);
		free(m->signer);
	}
	memset(m, 0, sizeof(*m));
}

int
lf_mint(const struct lf_conf *c, const struct lf_minter *m,
    const struct lf_kind *k, const char *account, time_t now, char **tok,
    char jti_out[LF_ID_LEN + 1], char *reason, size_t rlen)
{
	unsigned char raw[JTI_BYTES];
	char jti[PJ_B64URL_ENCODED_LEN(JTI_BYTES) + 1];
	const char *aud = k->audience ? k->audience :
	    c->audience ? c->audience : c->host;
	long long ttl = k->token_ttl ? k->token_ttl : c->token_ttl;
	json_t *hdr = NULL, *claims = NULL;
	int r = PJ_E_NOMEM;

	*tok = NULL;
	randombytes_buf(raw, sizeof(raw));
	pj_b64url_encode(raw, sizeof(raw), jti);
	hdr = json_pack("{s:s, s:s}", "alg", pj_alg_name(m->alg), "typ", "JWT");
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss", c->issuer,
	    "sub", account, "aud", aud, "iat", (json_int_t)now,
	    "exp", (json_int_t)(now + ttl), "jti", jti);
	if (hdr == NULL || claims == NULL)
		goto out;
	if (c->kid != NULL &&
	    json_object_set_new(hdr, "kid", json_string(c->kid)) != 0)
		goto out;
	if (k->scope != NULL &&
	    json_object_set_new(claims, "scope", json_string(k->scope)) != 0)
		goto out;
	r = pj_sign_jws(m->signer, m->alg, hdr, claims, tok, reason, rlen);
	if (r == PJ_OK && jti_out != NULL)
		memcpy(jti_out, jti, sizeof(jti));
out:
	json_decref(hdr);
	json_decref(claims);
	return r;
}
