/* fuzz_token.c - the token: signature layer, claims and the whole pj_verify
 * against a fixed key set of every key type.
 *
 * Input: byte 0 chooses the mode (byte % 3) and the options (byte / 3 % 4):
 *   mode 0: the rest is a compact token as typed (pj_verify, pj_jws_verify,
 *           pj_token_unfinished);
 *   mode 1: the rest is "HEADER\nPAYLOAD" (two JSON texts) that the harness
 *           signs like an issuer (fuzz_sign), then as mode 0 - this reaches
 *           the claims and user checks behind a valid signature;
 *   mode 2: the rest is a payload (pj_claims_parse, pj_claims_check).
 */
#include "fuzz_common.h"
#include "lib/claims.h"
#include "lib/hdrcache.h"
#include "lib/jws.h"
#include "lib/options.h"
#include "lib/user.h"
#include "lib/prompt.h"
#include "lib/verify.h"

#define NOW 1700000000LL
#define NOPT 4

static struct pj_keyset ks;
static struct pj_options opts[NOPT];

static void
set(struct pj_options *o, const char *k, const char *v)
{
	char reason[256] = "";

	if (pj_options_set(o, PJ_LEVEL_ARG, k, v, reason, sizeof(reason)) != PJ_OK) {
		fprintf(stderr, "fuzz options %s: %s\n", k, reason);
		abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_keyset(&ks);
	pj_options_init(&opts[0]);
	set(&opts[0], "issuer", "https://issuer.example");
	set(&opts[0], "audience", "sshd");
	set(&opts[0], "require_claim", "scope=login");
	pj_options_init(&opts[1]);
	set(&opts[1], "max_ttl", "3600");
	set(&opts[1], "max_age", "600");
	set(&opts[1], "typ", "JWT");
	set(&opts[1], "algorithms", "HS256,EdDSA,ES384");
	pj_options_init(&opts[2]);
	set(&opts[2], "audience", "x, sshd");
	set(&opts[2], "issuer", "a,https://issuer.example");
	set(&opts[2], "require_claim", "amr=mfa");
	set(&opts[2], "require_claim", "scope=sudo");
	set(&opts[2], "user_claim", "email");
	set(&opts[2], "typ", "application/at+jwt");
	pj_options_init(&opts[3]);
	set(&opts[3], "leeway", "0");
	set(&opts[3], "max_ttl", "1");
	set(&opts[3], "allow_root", NULL);
	set(&opts[3], "min_uid", "0");
	return 0;
}

/* Invariants of an accepted signature layer: exactly the strict spelling. */
static void
check_accepted(const char *tok, size_t len, const struct pj_jws *jws)
{
	const char *d1 = memchr(tok, '.', len);
	size_t hlen;
	char *again;

	FUZZ_ASSERT(d1 != NULL);
	FUZZ_ASSERT(jws->alg != 0 && pj_alg_name(jws->alg)[0] != '?');
	FUZZ_ASSERT(jws->parsed);
	FUZZ_ASSERT(jws->header == NULL || json_is_object(jws->header));
	hlen = (size_t)(d1 - tok);
	/* base64url has one accepted spelling: re-encoding the decoded header
	 * gives back the very characters that were signed */
	{
		unsigned char *h = NULL;
		size_t hd = 0;

		FUZZ_ASSERT(pj_b64url_decode_alloc(tok, hlen, &h, &hd) == PJ_OK);
		again = pj_b64url_encode_alloc(h, hd);
		FUZZ_ASSERT(again != NULL);
		FUZZ_ASSERT(strlen(again) == hlen && memcmp(again, tok, hlen) == 0);
		free(again);
		free(h);
	}
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The header cache (lib/hdrcache.c) gives what a fresh parse gives: the
 * first peek parses (the cache emptied), the second finds it kept. */
static void
check_hdrcache(const char *tok, size_t len)
{
	struct pj_jws a, b;
	char ra[PJ_REASON_MAX] = "", rb[PJ_REASON_MAX] = "";
	int x, y;

	pj_hdrcache_clear();
	x = pj_jws_peek_header(tok, len, &a, ra, sizeof(ra));
	y = pj_jws_peek_header(tok, len, &b, rb, sizeof(rb));
	FUZZ_ASSERT(x == y && strcmp(ra, rb) == 0);
	FUZZ_ASSERT(a.parsed == (x == PJ_OK) && b.parsed == (y == PJ_OK));
	if (x == PJ_OK) {
		FUZZ_ASSERT(a.header != NULL && a.alg == b.alg);
		FUZZ_ASSERT(same_str(a.kid, b.kid) && same_str(a.typ, b.typ));
	}
	pj_jws_clear(&a);
	pj_jws_clear(&b);
}

static void
run_token(const struct pj_options *o, const char *tok, size_t len)
{
	struct pj_result res;
	struct pj_jws jws;
	char reason[PJ_REASON_MAX] = "";
	int r;

	(void)pj_jws_shaped(tok, len);
	check_hdrcache(tok, len);
	(void)pj_token_unfinished(tok, len, &ks);
	(void)pj_token_unfinished(tok, len, NULL);
	r = pj_jws_verify(tok, len, &ks, o->algorithms, &jws, reason,
	    sizeof(reason));
	if (r == PJ_OK) {
		check_accepted(tok, len, &jws);
		pj_jws_clear(&jws);
	}
	memset(&res, 0, sizeof(res));
	r = pj_verify(o, &ks, tok, len, NULL, NOW, &res);
	FUZZ_ASSERT(r == res.err);
	FUZZ_ASSERT(strlen(res.reason) < sizeof(res.reason));
	if (r == PJ_OK) {
		FUZZ_ASSERT(res.verified && res.user != NULL);
		FUZZ_ASSERT(pj_user_name_valid(res.user));
	} else {
		FUZZ_ASSERT(res.user == NULL);
	}
	/* the module's path (header parsed once by the continuation check)
	 * decides exactly as pj_verify does */
	if (!o->single_use &&
	    pj_token_unfinished_peek(tok, len, &ks, &jws) == 0) {
		struct pj_result res2;

		memset(&res2, 0, sizeof(res2));
		r = pj_verify_peeked(o, &ks, tok, len, &jws, NULL, NOW, &res2);
		FUZZ_ASSERT(!jws.parsed && jws.header == NULL);
		FUZZ_ASSERT(r == res.err && res2.err == res.err);
		FUZZ_ASSERT(strcmp(res2.reason, res.reason) == 0);
		FUZZ_ASSERT(strcmp(res2.alg, res.alg) == 0);
		FUZZ_ASSERT(strcmp(res2.kid, res.kid) == 0);
		pj_result_clear(&res2);
	}
	pj_result_clear(&res);
	/* and with PAM_USER set */
	r = pj_verify(o, &ks, tok, len, "alice", NOW, &res);
	FUZZ_ASSERT(r != PJ_OK || strcmp(res.user, "alice") == 0);
	pj_result_clear(&res);
}

static void
run_claims(const unsigned char *p, size_t len)
{
	static const char *const specs[] = { "scope=login", "scp=sudo", "amr=mfa",
		"sub=alice", "x=", "=y", "a=b=c" };
	static const char *const typs[] = { NULL, "JWT", "at+jwt", "" };
	char reason[PJ_REASON_MAX] = "";
	json_t *claims = NULL;
	long long v;
	size_t i;

	if (pj_claims_parse(p, len, &claims, reason, sizeof(reason)) != PJ_OK) {
		FUZZ_ASSERT(claims == NULL);
		return;
	}
	FUZZ_ASSERT(json_is_object(claims));
	for (i = 0; i < NOPT; i++) {
		reason[0] = '\0';
		(void)pj_claims_check(&opts[i], claims, typs[i], NOW, reason,
		    sizeof(reason));
		reason[0] = '\0';
		(void)pj_claims_check(&opts[i], claims, typs[(i + 1) % 4],
		    NOW - 86400, reason, sizeof(reason));
	}
	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		(void)pj_claims_require(claims, specs[i]);
	(void)pj_claims_numeric(json_object_get(claims, "exp"), &v);
	(void)pj_claims_numeric(json_object_get(claims, "iat"), &v);
	json_decref(claims);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const struct pj_options *o;
	const char *rest, *nl;
	size_t rlen;
	char *tok;

	if (size < 1)
		return 0;
	o = &opts[(data[0] / 3) % NOPT];
	rest = (const char *)data + 1;
	rlen = size - 1;
	switch (data[0] % 3) {
	case 0:
		run_token(o, rest, rlen);
		break;
	case 1:
		if (rlen > 2 * PJ_TOKEN_MAX)
			return 0;
		nl = memchr(rest, '\n', rlen);
		if (nl == NULL)
			return 0;
		tok = fuzz_sign(rest, (size_t)(nl - rest), nl + 1,
		    rlen - (size_t)(nl + 1 - rest));
		run_token(o, tok, strlen(tok));
		free(tok);
		break;
	default:
		run_claims((const unsigned char *)rest, rlen);
		break;
	}
	return 0;
}
