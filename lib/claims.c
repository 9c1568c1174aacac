/* claims.c - JWT claims */
#include "claims.h"
#include "err.h"
#include "logval.h"
#include "options.h"

#include <limits.h>
#include <math.h>
#include <string.h>
#include <strings.h>

int
pj_claims_parse(const unsigned char *payload, size_t len, json_t **out,
    char *reason, size_t rlen)
{
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	j = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL && json_error_code(&jerr) == json_error_out_of_memory)
		return PJ_E_NOMEM; /* not the token's fault */
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return pj_reason(PJ_E_MALFORMED, reason, rlen,
		    "payload is not a JSON object without duplicate members");
	}
	*out = j; /* transferred */
	return PJ_OK;
}

int
pj_claims_numeric(json_t *v, long long *out)
{
	double d;

	if (json_is_integer(v)) {
		*out = (long long)json_integer_value(v);
		return 0;
	}
	if (!json_is_real(v))
		return -1;
	d = json_real_value(v);
	if (isnan(d))
		return -1;
	if (d >= 9.2e18) {
		*out = LLONG_MAX;
	} else if (d <= -9.2e18) {
		*out = LLONG_MIN;
	} else {
		/* rounded down without libm's floor(): the module does not link
		 * -lm, and only some compilers inline floor */
		*out = (long long)d;
		if ((double)*out > d)
			(*out)--;
	}
	return 0;
}

/* A numeric claim: absent (0, *present = 0), a number (0), else -1. */
static int
numeric_claim(json_t *claims, const char *name, long long *out, int *present)
{
	json_t *v = json_object_get(claims, name);

	*present = v != NULL;
	if (v == NULL)
		return 0;
	return pj_claims_numeric(v, out);
}

static int
str_in(const struct pj_strlist *l, json_t *v)
{
	return json_is_string(v) &&
	    strlen(json_string_value(v)) == json_string_length(v) &&
	    pj_strlist_has(l, json_string_value(v));
}

static int
check_audience(const struct pj_options *o, json_t *claims, char *reason,
    size_t rlen)
{
	json_t *aud = json_object_get(claims, "aud"), *item;
	size_t i;

	if (aud == NULL) {
		if (o->audience.n > 0)
			return pj_reason(PJ_E_AUDIENCE, reason, rlen,
			    "token has no 'aud' but an audience is required");
		return PJ_OK;
	}
	if (!json_is_string(aud) && !json_is_array(aud))
		return pj_reason(PJ_E_AUDIENCE, reason, rlen,
		    "'aud' is neither a string nor an array");
	if (json_is_array(aud))
		json_array_foreach(aud, i, item)
			if (!json_is_string(item))
				return pj_reason(PJ_E_AUDIENCE, reason, rlen,
				    "'aud' array holds a non-string");
	if (o->audience.n == 0)
		return pj_reason(PJ_E_AUDIENCE, reason, rlen,
		    "token carries 'aud' but no audience is configured");
	if (json_is_string(aud)) {
		if (str_in(&o->audience, aud))
			return PJ_OK;
	} else {
		json_array_foreach(aud, i, item)
			if (str_in(&o->audience, item))
				return PJ_OK;
	}
	return pj_reason(PJ_E_AUDIENCE, reason, rlen,
	    "'aud' names none of the configured audiences");
}

static int
word_in(const char *words, const char *w)
{
	size_t wl = strlen(w), n;
	const char *p = words;

	if (wl == 0)
		return 0;
	while (*p) {
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n == wl && memcmp(p, w, wl) == 0)
			return 1;
		p += n;
	}
	return 0;
}

int
pj_claims_require(json_t *claims, const char *spec)
{
	const char *eq = strchr(spec, '='), *value;
	char name[256];
	size_t nl, i;
	json_t *v, *item;

	if (eq == NULL || (nl = (size_t)(eq - spec)) == 0 || nl >= sizeof(name))
		return 0;
	memcpy(name, spec, nl);
	name[nl] = '\0';
	value = eq + 1;
	v = json_object_get(claims, name);
	if (json_is_string(v)) {
		if (strlen(json_string_value(v)) != json_string_length(v))
			return 0;
		if (strcmp(name, "scope") == 0 || strcmp(name, "scp") == 0)
			return word_in(json_string_value(v), value);
		return strcmp(json_string_value(v), value) == 0;
	}
	if (json_is_array(v)) {
		json_array_foreach(v, i, item)
			if (json_is_string(item) &&
			    strlen(json_string_value(item)) == json_string_length(item) &&
			    strcmp(json_string_value(item), value) == 0)
				return 1;
	}
	return 0;
}

static int
typ_matches(const char *want, const char *have)
{
	if (strncasecmp(have, "application/", 12) == 0)
		have += 12;
	if (strncasecmp(want, "application/", 12) == 0)
		want += 12;
	return strcasecmp(want, have) == 0;
}

int
pj_claims_check(const struct pj_options *o, json_t *claims, const char *typ,
    long long now, char *reason, size_t rlen)
{
	long long exp = 0, nbf = 0, iat = 0, base, span;
	int has_exp, has_nbf, has_iat;
	json_t *iss;
	size_t i;

	if (o->typ != NULL && (typ == NULL || !typ_matches(o->typ, typ))) {
		char v[PJ_LOGVAL_SIZE(32)];

		pj_logstr(v, sizeof(v), typ, 32);
		return pj_reason(PJ_E_TYP, reason, rlen,
		    "header typ is %s%s%s, '%s' is required", typ ? "'" : "",
		    typ ? v : "missing", typ ? "'" : "", o->typ);
	}
	if (numeric_claim(claims, "exp", &exp, &has_exp) != 0)
		return pj_reason(PJ_E_CLAIM, reason, rlen, "'exp' is not a number");
	if (!has_exp)
		return pj_reason(PJ_E_CLAIM, reason, rlen, "token has no 'exp'");
	if (numeric_claim(claims, "nbf", &nbf, &has_nbf) != 0)
		return pj_reason(PJ_E_CLAIM, reason, rlen, "'nbf' is not a number");
	if (numeric_claim(claims, "iat", &iat, &has_iat) != 0)
		return pj_reason(PJ_E_CLAIM, reason, rlen, "'iat' is not a number");
	/* now and leeway are small: now - leeway and now + leeway cannot overflow */
	if (exp <= now - o->leeway) {
		if (__builtin_sub_overflow(now, exp, &span))
			span = LLONG_MAX;
		return pj_reason(PJ_E_EXPIRED, reason, rlen,
		    "expired %lld s ago (leeway %lld s)", span, o->leeway);
	}
	if (has_nbf && nbf > now + o->leeway)
		return pj_reason(PJ_E_NOT_YET, reason, rlen,
		    "not valid before %lld (now %lld, leeway %lld s)", nbf, now,
		    o->leeway);
	if (has_iat && iat > now + o->leeway)
		return pj_reason(PJ_E_NOT_YET, reason, rlen,
		    "issued in the future (iat %lld, now %lld)", iat, now);
	if (o->max_ttl >= 0) {
		base = has_iat ? iat : now;
		if (__builtin_sub_overflow(exp, base, &span) || span > o->max_ttl)
			return pj_reason(PJ_E_LIFETIME, reason, rlen,
			    "lifetime longer than max_ttl %lld s", o->max_ttl);
	}
	if (o->max_age >= 0) {
		if (!has_iat)
			return pj_reason(PJ_E_LIFETIME, reason, rlen,
			    "token has no 'iat' but max_age is set");
		if (__builtin_sub_overflow(now, iat, &span) || span > o->max_age)
			return pj_reason(PJ_E_LIFETIME, reason, rlen,
			    "issued more than max_age %lld s ago", o->max_age);
	}
	iss = json_object_get(claims, "iss");
	if (iss != NULL && !json_is_string(iss))
		return pj_reason(PJ_E_ISSUER, reason, rlen, "'iss' is not a string");
	if (o->issuer.n > 0 && !str_in(&o->issuer, iss))
		return pj_reason(PJ_E_ISSUER, reason, rlen,
		    iss ? "'iss' is not a configured issuer" : "token has no 'iss'");
	{
		int r = check_audience(o, claims, reason, rlen);

		if (r != PJ_OK)
			return r;
	}
	for (i = 0; i < o->require_claim.n; i++)
		if (!pj_claims_require(claims, o->require_claim.v[i]))
			return pj_reason(PJ_E_CLAIM, reason, rlen,
			    "required claim %.128s not satisfied",
			    o->require_claim.v[i]);
	/* require_true: the JSON value true itself (email_verified); the
	 * string "true" is not it */
	for (i = 0; i < o->require_true.n; i++)
		if (!json_is_true(json_object_get(claims, o->require_true.v[i])))
			return pj_reason(PJ_E_CLAIM, reason, rlen,
			    "claim %.128s is not true", o->require_true.v[i]);
	return PJ_OK;
}
