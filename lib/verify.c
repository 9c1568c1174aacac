/* verify.c - the whole decision */
#include "verify.h"
#include "alg.h"
#include "b64url.h"
#include "bind.h"
#include "claims.h"
#include "err.h"
#include "jws.h"
#include "key.h"
#include "options.h"
#include "replay.h"
#include "revoke.h"
#include "user.h"
#include "logval.h"

#include <stdlib.h>
#include <string.h>


static void
note_str(char *dst, size_t dstlen, json_t *obj, const char *name, size_t max)
{
	json_t *v = json_object_get(obj, name);

	if (json_is_string(v))
		pj_logval(dst, dstlen, json_string_value(v), json_string_length(v),
		    max);
}

int
pj_sshd_placeholder(const char *tok, size_t len)
{
	static const char junk[] = PJ_SSHD_PLACEHOLDER;
	size_t i;

	/* trimming may have cut a final "\n" or "\n\r": any length counts */
	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (tok[i] != junk[i % (sizeof(junk) - 1)])
			return 0;
	return 1;
}

int
pj_verify(const struct pj_options *o, const struct pj_keyset *ks,
    const char *token, size_t len, const char *pam_user, long long now,
    struct pj_result *res)
{
	return pj_verify_peeked(o, ks, token, len, NULL, pam_user, now, res);
}

int
pj_verify_peeked(const struct pj_options *o, const struct pj_keyset *ks,
    const char *token, size_t len, struct pj_jws *peeked,
    const char *pam_user, long long now, struct pj_result *res)
{
	struct pj_keyset own;
	struct pj_jws jws;
	json_t *claims = NULL;
	char *reason = res->reason;
	size_t rlen = sizeof(res->reason);
	int r;

	memset(res, 0, sizeof(*res));
	memset(&own, 0, sizeof(own));
	memset(&jws, 0, sizeof(jws));
	if (pj_sshd_placeholder(token, len)) {
		/* sshd never passes what was typed for an account it will not
		 * log in: say so, rather than "input is not a token" */
		int known = pam_user ? pj_user_exists(pam_user) : -1;
		char shown[PJ_LOGVAL_SIZE(32)];

		pj_logstr(shown, sizeof(shown), pam_user, 32);
		if (known == 0)
			r = pj_reason(PJ_E_USER_UNKNOWN, reason, rlen,
			    "sshd passed its placeholder instead of the answer: "
			    "there is no account '%s' on this host", shown);
		else
			r = pj_reason(PJ_E_USER, reason, rlen,
			    "sshd passed its placeholder instead of the answer: it "
			    "will not log '%s' in with a password or token (root "
			    "with PermitRootLogin other than yes, or an account it "
			    "refuses)", shown);
		goto out;
	}
	if (len > PJ_TOKEN_MAX) {
		r = pj_reason(PJ_E_TOO_LONG, reason, rlen,
		    "token of %zu bytes (at most %d)", len, PJ_TOKEN_MAX);
		goto out;
	}
	/* a peeked header was parsed from these bytes after this same
	 * shape check (pj_jws_peek_header): not repeated */
	if ((peeked == NULL || !peeked->parsed) &&
	    !pj_jws_shaped(token, len)) {
		r = pj_reason(PJ_E_NOT_JWS, reason, rlen,
		    "input is not shaped like a compact JWS");
		goto out;
	}
	if (o->nbind > 0) {
		/* [issuer URL] sections: the token's iss chooses whose keys
		 * and rules decide (bind.h); the given keys are the global
		 * ones, never a section's */
		const struct pj_options *chosen = NULL;

		r = pj_bind_choose(o, token, len, &chosen, reason, rlen);
		if (r != PJ_OK)
			goto out;
		if (chosen != o) {
			o = chosen;
			ks = NULL;
		}
	}
	if (ks == NULL) {
		r = pj_keyset_load(o, &own, reason, rlen);
		if (r != PJ_OK)
			goto out;
		ks = &own;
	}
	if (peeked != NULL && peeked->parsed) {
		/* parsed once already (pj_token_unfinished_peek): the header
		 * fields logged for a bad token are this header's */
		jws = *peeked;
		memset(peeked, 0, sizeof(*peeked));
		pj_logstr(res->alg, sizeof(res->alg), pj_alg_name(jws.alg),
		    sizeof(res->alg) - 1);
		pj_logstr(res->kid, sizeof(res->kid), jws.kid, PJ_LOG_KID_MAX);
		r = pj_jws_verify_peeked(token, len, ks, o->algorithms, &jws,
		    reason, rlen);
		if (r != PJ_OK)
			goto out;
	} else
		r = pj_jws_verify(token, len, ks, o->algorithms, &jws, reason,
		    rlen);
	if (r != PJ_OK) {
		/* header fields are worth logging even for a bad token */
		struct pj_jws peek;
		char dummy[8] = "";

		if (pj_jws_peek_header(token, len, &peek, dummy, sizeof(dummy)) ==
		    PJ_OK) {
			pj_logstr(res->alg, sizeof(res->alg), pj_alg_name(peek.alg),
			    sizeof(res->alg) - 1);
			pj_logstr(res->kid, sizeof(res->kid), peek.kid,
			    PJ_LOG_KID_MAX);
			pj_jws_clear(&peek);
		}
		goto out;
	}
	pj_logstr(res->alg, sizeof(res->alg), pj_alg_name(jws.alg),
	    sizeof(res->alg) - 1);
	pj_logstr(res->kid, sizeof(res->kid), jws.kid, PJ_LOG_KID_MAX);
	res->verified = 1;
	r = pj_claims_parse(jws.payload, jws.payload_len, &claims, reason, rlen);
	if (r != PJ_OK)
		goto out;
	note_str(res->sub, sizeof(res->sub), claims, "sub", PJ_LOG_SUB_MAX);
	note_str(res->iss, sizeof(res->iss), claims, "iss", PJ_LOG_ISS_MAX);
	note_str(res->jti, sizeof(res->jti), claims, "jti", PJ_LOG_JTI_MAX);
	r = pj_claims_check(o, claims, jws.typ, now, reason, rlen);
	if (r != PJ_OK)
		goto out;
	r = pj_revoke_check(o, claims, jws.kid, jws.key_kid, now, reason,
	    rlen);
	if (r != PJ_OK)
		goto out;
	r = pj_user_resolve(o, claims, pam_user, &res->user, reason, rlen);
	if (r != PJ_OK)
		goto out;
	if (o->single_use) {
		r = pj_replay_record(o, claims, now, reason, rlen);
		if (r != PJ_OK)
			goto out;
	}
	r = PJ_OK;
out:
	if (r != PJ_OK) {
		free(res->user);
		res->user = NULL;
	}
	res->err = r;
	res->claims = claims; /* transferred */
	pj_jws_clear(&jws);
	pj_jws_clear(peeked);
	pj_keyset_free(&own);
	return r;
}

void
pj_result_clear(struct pj_result *res)
{
	if (res == NULL)
		return;
	free(res->user);
	json_decref(res->claims);
	memset(res, 0, sizeof(*res));
}
