/* bind.c - the [issuer URL] section that decides for a token (bind.h) */
#include "bind.h"
#include "b64url.h"
#include "err.h"
#include "jws.h"
#include "options.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

int
pj_token_peek_iss(const char *tok, size_t len, char *iss, size_t isslen)
{
	const char *d1, *d2;
	unsigned char *payload = NULL;
	size_t plen = 0;
	json_t *j = NULL, *v;
	int found = 0;

	if (isslen == 0 || len > PJ_TOKEN_MAX || !pj_jws_shaped(tok, len))
		return 0;
	iss[0] = '\0';
	d1 = memchr(tok, '.', len);
	d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - tok)) : NULL;
	if (d2 == NULL)
		return 0;
	if (pj_b64url_decode_alloc(d1 + 1, (size_t)(d2 - d1 - 1), &payload,
	    &plen) != PJ_OK)
		return 0;
	j = json_loadb((const char *)payload, plen, JSON_REJECT_DUPLICATES, NULL);
	v = json_is_object(j) ? json_object_get(j, "iss") : NULL;
	if (json_is_string(v) && json_string_length(v) < isslen &&
	    strlen(json_string_value(v)) == json_string_length(v)) {
		memcpy(iss, json_string_value(v), json_string_length(v) + 1);
		found = 1;
	}
	json_decref(j);
	free(payload);
	return found;
}

int
pj_bind_choose(const struct pj_options *o, const char *tok, size_t len,
    const struct pj_options **out, char *reason, size_t rlen)
{
	char iss[PJ_ISS_MAX];
	size_t i;

	*out = o;
	if (o->nbind == 0)
		return PJ_OK;
	if (pj_token_peek_iss(tok, len, iss, sizeof(iss)))
		for (i = 0; i < o->nbind; i++)
			if (strcmp(o->bind[i].issuer, iss) == 0) {
				*out = o->bind[i].o;
				return PJ_OK;
			}
	if (o->secret_file != NULL || o->public_key_file != NULL ||
	    o->jwks_file != NULL)
		return PJ_OK;
	*out = NULL;
	/* the token's iss is unverified: not repeated here */
	return pj_reason(PJ_E_ISSUER, reason, rlen,
	    "the token's issuer has no [issuer] section and no global key "
	    "source is configured");
}
