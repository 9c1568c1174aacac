/* mint.c - `pamjwt mint`: print a signed token
 *
 *   pamjwt mint --key FILE --alg ALG --sub SUB [--iss I] [--aud A ...]
 *       [--ttl SECONDS] [--jti [VALUE]] [--kid K] [--typ T]
 *       [--claim NAME=VALUE ...] [--claim-json NAME=JSON ...]
 *
 * Header {"alg":ALG,"typ":"JWT"[,"kid":K]}; claims iss, sub, aud, iat = now,
 * exp = now + ttl, jti, then the --claim/--claim-json ones in order.
 * --claim values are always strings (no guessing of types: "123", "true"
 * and "[1]" stay strings); --claim-json takes a JSON value.
 */
#include "pamjwt.h"

#include "lib/alg.h"
#include "lib/b64url.h"
#include "lib/err.h"
#include "lib/jws.h"
#include "lib/options.h"
#include "lib/text.h"
#include "sign.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CMD "mint"
#define DEFAULT_TTL 300
#define TTL_MAX (10LL * 366 * 86400)   /* the module's max_ttl limit */
#define JTI_RANDOM_BYTES 16
#define KID_MAX 256                     /* what the module accepts */
#define CLAIM_NAME_MAX 256
#define REASON_MAX 256

enum {
	O_KEY = 1, O_ALG, O_SUB, O_ISS, O_AUD, O_TTL, O_JTI, O_KID, O_TYP,
	O_CLAIM, O_CLAIM_JSON, O_HELP,
};

static const struct pjt_opt opts[] = {
	{ "key", PJT_ARG, O_KEY },
	{ "alg", PJT_ARG, O_ALG },
	{ "sub", PJT_ARG, O_SUB },
	{ "iss", PJT_ARG, O_ISS },
	{ "aud", PJT_ARG, O_AUD },
	{ "ttl", PJT_ARG, O_TTL },
	{ "jti", PJT_OPTARG, O_JTI },
	{ "kid", PJT_ARG, O_KID },
	{ "typ", PJT_ARG, O_TYP },
	{ "claim", PJT_ARG, O_CLAIM },
	{ "claim-json", PJT_ARG, O_CLAIM_JSON },
	{ "help", PJT_NOARG, O_HELP },
	{ NULL, PJT_NOARG, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pamjwt mint --key FILE --alg ALG --sub SUB [--iss ISSUER]\n"
	    "           [--aud AUDIENCE ...] [--ttl SECONDS] [--jti [VALUE]] [--kid KID]\n"
	    "           [--typ TYP] [--claim NAME=VALUE ...] [--claim-json NAME=JSON ...]\n"
	    "\n"
	    "Print a signed JSON Web Token and a newline.\n"
	    "\n"
	    "  --key FILE       HS*: the secret file (its bytes, one trailing newline\n"
	    "                   removed); others: the PEM private key (PREFIX.key).\n"
	    "                   Must not be readable by group or others.\n"
	    "  --alg ALG        HS256 HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512\n"
	    "                   ES256 ES384 ES512 EdDSA (never none)\n"
	    "  --sub SUB        the subject: who the token is for\n"
	    "  --iss ISSUER     the iss claim\n"
	    "  --aud AUDIENCE   the aud claim; give it twice or more for an array\n"
	    "  --ttl SECONDS    exp = now + SECONDS (default %d)\n"
	    "  --jti [VALUE]    a token id (needed by single_use); without a value a\n"
	    "                   random 128-bit one\n"
	    "  --kid KID        the header's kid (for a jwks_file with several keys)\n"
	    "  --typ TYP        the header's typ (default JWT)\n"
	    "  --claim NAME=VALUE       an extra claim, always a string\n"
	    "  --claim-json NAME=JSON   an extra claim with a JSON value: a number,\n"
	    "                   true/false, null, an array, an object or a \"string\"\n"
	    "\n"
	    "Exit status: 0 printed, 1 failed (key unusable), 2 usage error.\n",
	    DEFAULT_TTL);
}

/* A JSON string of s, or NULL (with a message) if s is not UTF-8. */
static json_t *
str_or_complain(const char *what, const char *s)
{
	json_t *v = json_string(s);

	if (v == NULL)
		pjt_err(CMD, "%s is not valid UTF-8", what);
	return v;
}

/* One --claim or --claim-json into claims.  Registered claims that have
 * their own option (or are times) are refused. */
static int
add_claim(json_t *claims, const char *spec, int as_json)
{
	static const char *const own[] = { "sub", "iss", "aud", "exp", "iat", "jti" };
	const char *eq = strchr(spec, '='), *opt = as_json ? "--claim-json" : "--claim";
	char name[CLAIM_NAME_MAX + 1];
	json_error_t jerr;
	json_t *v = NULL;
	size_t nl, i;
	int r = -1;

	if (eq == NULL || eq == spec) {
		pjt_err(CMD, "%s '%.64s' is not NAME=VALUE", opt, spec);
		goto out;
	}
	nl = (size_t)(eq - spec);
	if (nl > CLAIM_NAME_MAX) {
		pjt_err(CMD, "%s: claim name longer than %d bytes", opt,
		    CLAIM_NAME_MAX);
		goto out;
	}
	memcpy(name, spec, nl);
	name[nl] = '\0';
	if (pj_has_ctl(name)) {
		pjt_err(CMD, "%s: control character in the claim name", opt);
		goto out;
	}
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strcmp(name, own[i]) == 0) {
			pjt_err(CMD, "%s %s=...: %s is set by %s", opt, name, name,
			    strcmp(name, "exp") == 0 || strcmp(name, "iat") == 0 ?
			    "--ttl (iat is now, exp is now + ttl)" :
			    strcmp(name, "sub") == 0 ? "--sub" :
			    strcmp(name, "iss") == 0 ? "--iss" :
			    strcmp(name, "aud") == 0 ? "--aud (repeat it for an array)" :
			    "--jti");
			goto out;
		}
	if (!as_json && strcmp(name, "nbf") == 0) {
		pjt_err(CMD, "--claim nbf=...: nbf is a time (a number): use "
		    "--claim-json nbf=SECONDS-SINCE-1970");
		goto out;
	}
	if (json_object_get(claims, name) != NULL) {
		pjt_err(CMD, "claim '%s' given twice", name);
		goto out;
	}
	if (as_json) {
		v = json_loads(eq + 1, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
		    &jerr);
		if (v == NULL) {
			pjt_err(CMD, "--claim-json %s=...: not JSON (%s); for a string "
			    "use --claim, or quote it: %s='\"text\"'", name, jerr.text,
			    name);
			goto out;
		}
	} else {
		v = str_or_complain("--claim value", eq + 1);
		if (v == NULL)
			goto out;
	}
	if (json_object_set_new(claims, name, v) != 0) {
		v = NULL; /* json_object_set_new consumed it */
		pjt_err(CMD, "claim name '%s' is not valid UTF-8", name);
		goto out;
	}
	v = NULL; /* transferred */
	r = 0;
out:
	json_decref(v);
	return r;
}

struct mint_args {
	const char *key, *alg, *sub, *iss, *ttl, *jti, *kid, *typ;
	int jti_random;
	json_t *aud;     /* array of the --aud values */
	json_t *extra;   /* --claim / --claim-json, in order */
};

static int
set_once(const char **field, const char *val, const char *name)
{
	if (*field != NULL) {
		pjt_err(CMD, "option --%s given twice", name);
		return -1;
	}
	*field = val;
	return 0;
}

/* Parse argv into m; 0, 1 (--help printed) or -1 (usage error reported). */
static int
parse(int argc, char **argv, struct mint_args *m)
{
	struct pjt_args a;
	const char *val;
	json_t *s;
	int id;

	pjt_args_init(&a, argc, argv, CMD);
	while ((id = pjt_next(&a, opts, &val)) != PJT_END) {
		switch (id) {
		case PJT_ERROR:
			return -1;
		case PJT_OPERAND:
			pjt_err(CMD, "unexpected argument '%.64s' (see pamjwt mint "
			    "--help)", val);
			return -1;
		case O_HELP:
			usage(stdout);
			return 1;
		case O_KEY:
			if (set_once(&m->key, val, "key") != 0)
				return -1;
			break;
		case O_ALG:
			if (set_once(&m->alg, val, "alg") != 0)
				return -1;
			break;
		case O_SUB:
			if (set_once(&m->sub, val, "sub") != 0)
				return -1;
			break;
		case O_ISS:
			if (set_once(&m->iss, val, "iss") != 0)
				return -1;
			break;
		case O_TTL:
			if (set_once(&m->ttl, val, "ttl") != 0)
				return -1;
			break;
		case O_KID:
			if (set_once(&m->kid, val, "kid") != 0)
				return -1;
			break;
		case O_TYP:
			if (set_once(&m->typ, val, "typ") != 0)
				return -1;
			break;
		case O_JTI:
			if (m->jti != NULL || m->jti_random) {
				pjt_err(CMD, "option --jti given twice");
				return -1;
			}
			if (val == NULL)
				m->jti_random = 1;
			else
				m->jti = val;
			break;
		case O_AUD:
			if (val[0] == '\0') {
				pjt_err(CMD, "--aud needs a non-empty value");
				return -1;
			}
			if ((s = str_or_complain("--aud", val)) == NULL)
				return -1;
			if (json_array_append_new(m->aud, s) != 0)
				return -1;
			break;
		case O_CLAIM:
		case O_CLAIM_JSON:
			if (add_claim(m->extra, val, id == O_CLAIM_JSON) != 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	if (m->key == NULL || m->alg == NULL || m->sub == NULL) {
		pjt_err(CMD, "--key, --alg and --sub are required (see pamjwt mint "
		    "--help)");
		return -1;
	}
	return 0;
}

/* Header and claims from the arguments; -1 after a message. */
static int
build(const struct mint_args *m, unsigned int alg, long long ttl,
    json_t **hdr_out, json_t **claims_out)
{
	unsigned char raw[JTI_RANDOM_BYTES];
	char jti[PJ_B64URL_ENCODED_LEN(JTI_RANDOM_BYTES) + 1];
	json_t *hdr = NULL, *claims = NULL, *v;
	const char *name;
	long long now = (long long)time(NULL);
	int r = -1;

	*hdr_out = NULL;
	*claims_out = NULL;
	hdr = json_object();
	claims = json_object();
	if (hdr == NULL || claims == NULL)
		goto nomem;
	if (json_object_set_new(hdr, "alg", json_string(pj_alg_name(alg))) != 0)
		goto nomem;
	if ((v = str_or_complain("--typ", m->typ ? m->typ : "JWT")) == NULL)
		goto out;
	if (json_object_set_new(hdr, "typ", v) != 0)
		goto nomem;
	if (m->kid != NULL) {
		if ((v = str_or_complain("--kid", m->kid)) == NULL)
			goto out;
		if (json_object_set_new(hdr, "kid", v) != 0)
			goto nomem;
	}
	if (m->iss != NULL) {
		if ((v = str_or_complain("--iss", m->iss)) == NULL)
			goto out;
		if (json_object_set_new(claims, "iss", v) != 0)
			goto nomem;
	}
	if ((v = str_or_complain("--sub", m->sub)) == NULL)
		goto out;
	if (json_object_set_new(claims, "sub", v) != 0)
		goto nomem;
	if (json_array_size(m->aud) == 1) {
		if (json_object_set(claims, "aud", json_array_get(m->aud, 0)) != 0)
			goto nomem;
	} else if (json_array_size(m->aud) > 1) {
		if (json_object_set(claims, "aud", m->aud) != 0)
			goto nomem;
	}
	if (json_object_set_new(claims, "iat", json_integer(now)) != 0 ||
	    json_object_set_new(claims, "exp", json_integer(now + ttl)) != 0)
		goto nomem;
	if (m->jti_random) {
		randombytes_buf(raw, sizeof(raw));
		pj_b64url_encode(raw, sizeof(raw), jti);
		if (json_object_set_new(claims, "jti", json_string(jti)) != 0)
			goto nomem;
	} else if (m->jti != NULL) {
		if ((v = str_or_complain("--jti", m->jti)) == NULL)
			goto out;
		if (json_object_set_new(claims, "jti", v) != 0)
			goto nomem;
	}
	json_object_foreach(m->extra, name, v)
		if (json_object_set(claims, name, v) != 0)
			goto nomem;
	*hdr_out = hdr; /* transferred */
	hdr = NULL;
	*claims_out = claims; /* transferred */
	claims = NULL;
	r = 0;
	goto out;
nomem:
	pjt_err(CMD, "out of memory");
out:
	json_decref(hdr);
	json_decref(claims);
	return r;
}

int
cmd_mint(int argc, char **argv)
{
	struct mint_args m;
	struct pj_signer s;
	json_t *hdr = NULL, *claims = NULL;
	char reason[REASON_MAX] = "", *path = NULL, *tok = NULL;
	unsigned int alg = 0;
	long long ttl = DEFAULT_TTL;
	int r, rc = PAMJWT_EXIT_USAGE;

	memset(&m, 0, sizeof(m));
	memset(&s, 0, sizeof(s));
	m.aud = json_array();
	m.extra = json_object();
	if (m.aud == NULL || m.extra == NULL) {
		pjt_err(CMD, "out of memory");
		rc = PAMJWT_EXIT_FAIL;
		goto out;
	}
	r = parse(argc, argv, &m);
	if (r != 0) {
		rc = r > 0 ? PAMJWT_EXIT_OK : PAMJWT_EXIT_USAGE;
		goto out;
	}
	alg = pj_alg_from_name(m.alg, strlen(m.alg));
	if (alg == 0) {
		if (strcasecmp(m.alg, "none") == 0)
			pjt_err(CMD, "alg none makes unsigned tokens, which pam_jwt never "
			    "accepts: choose a signing algorithm");
		else
			pjt_err(CMD, "'%.32s' is not an algorithm pam_jwt accepts: HS256 "
			    "HS384 HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 "
			    "ES512 EdDSA", m.alg);
		goto out;
	}
	if (m.ttl != NULL && pj_parse_ll(m.ttl, 1, TTL_MAX, &ttl) != 0) {
		pjt_err(CMD, "--ttl '%.32s' is not a whole number of seconds from 1 "
		    "to %lld", m.ttl, TTL_MAX);
		goto out;
	}
	if (m.sub[0] == '\0') {
		pjt_err(CMD, "--sub needs a non-empty value");
		goto out;
	}
	if (m.iss != NULL && m.iss[0] == '\0') {
		pjt_err(CMD, "--iss needs a non-empty value");
		goto out;
	}
	if (m.jti != NULL && m.jti[0] == '\0') {
		pjt_err(CMD, "--jti VALUE must not be empty (--jti alone makes a "
		    "random one)");
		goto out;
	}
	if (m.typ != NULL && m.typ[0] == '\0') {
		pjt_err(CMD, "--typ needs a non-empty value");
		goto out;
	}
	if (m.kid != NULL && (m.kid[0] == '\0' || strlen(m.kid) > KID_MAX)) {
		pjt_err(CMD, "--kid must be 1 to %d bytes", KID_MAX);
		goto out;
	}
	if (build(&m, alg, ttl, &hdr, &claims) != 0)
		goto out;
	rc = PAMJWT_EXIT_FAIL;
	path = pjt_abs_path(m.key);
	if (path == NULL) {
		pjt_err(CMD, "--key %.64s: %s", m.key, strerror(errno));
		goto out;
	}
	r = pj_signer_load(path, alg, &s, reason, sizeof(reason));
	if (r != PJ_OK) {
		pjt_err(CMD, "%s: %s", pj_strerror(r), reason[0] ? reason : path);
		goto out;
	}
	r = pj_sign_jws(&s, alg, hdr, claims, &tok, reason, sizeof(reason));
	if (r != PJ_OK) {
		pjt_err(CMD, "%s: %s", pj_strerror(r), reason[0] ? reason :
		    "signing failed");
		goto out;
	}
	if (printf("%s\n", tok) < 0 || fflush(stdout) != 0) {
		pjt_err(CMD, "cannot write to standard output");
		goto out;
	}
	rc = PAMJWT_EXIT_OK;
out:
	if (tok != NULL) {
		sodium_memzero(tok, strlen(tok));
		free(tok);
	}
	pj_signer_clear(&s);
	free(path);
	json_decref(hdr);
	json_decref(claims);
	json_decref(m.aud);
	json_decref(m.extra);
	sodium_memzero(reason, sizeof(reason));
	return rc;
}
