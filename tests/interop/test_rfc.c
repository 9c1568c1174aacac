/* test_rfc.c - the examples of the JOSE RFCs at the signature layer.
 *
 *   test_rfc
 *
 * Each published example token is verified with the published key, built by
 * pj_jwk_to_key from the published JWK (allow_private = 1 where the RFC gives
 * the private JWK, as it does for all of these) and checked by
 * pj_jws_verify; the decoded payload must be the published one, and the
 * token with one signature character changed must be refused.
 *
 *   RFC 7515 A.1  HS256  (its token is also RFC 7519 section 3.1's example JWT)
 *   RFC 7515 A.2  RS256
 *   RFC 7515 A.3  ES256
 *   RFC 7515 A.4  ES512  (P-521; payload "Payload", not JSON)
 *   RFC 8037 A.4  EdDSA  (Ed25519, the RFC 8032 test 1 key)
 *   RFC 7519 3.1  the claims: exp 1300819380 is long past, so
 *                 pj_claims_check at the current time says PJ_E_EXPIRED
 *                 (and accepts them at a time before exp).
 *
 * The values are the RFCs' own, with their display line breaks removed.
 * Before they went in here they were checked with python3-cryptography,
 * an implementation independent of ours: every signature verifies, RSA p*q
 * is n, each EC/Ed25519 "d" gives the published public key, and the RFC's
 * octet listings of the signing inputs and signatures agree.
 *
 * Prints one "ok"/"FAIL" line per example and "rfc: N passed, M failed";
 * exit status 1 if anything failed.
 */
#include "lib/alg.h"
#include "lib/claims.h"
#include "lib/err.h"
#include "lib/jwk.h"
#include "lib/jws.h"
#include "lib/key.h"
#include "lib/options.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MEMBERS_MAX 24

struct example {
	const char *name;
	unsigned int alg;
	/* the JWK: name, value pairs, NULL-terminated */
	const char *jwk[MEMBERS_MAX];
	const char *jws;
	const char *payload;      /* the decoded payload */
};

/* RFC 7515 A.1, A.2 and A.3 share this payload (and RFC 7519 3.1). */
#define JOE_PAYLOAD_B64 \
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt" \
	"cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
#define JOE_PAYLOAD \
	"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n " \
	"\"http://example.com/is_root\":true}"

/* RFC 7515 A.1.1: the HS256 example, also RFC 7519 section 3.1's JWT */
#define RFC7515_A1_JWS \
	"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9" \
	"." JOE_PAYLOAD_B64 \
	".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
#define RFC7515_A1_K \
	"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75" \
	"aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"

static const struct example examples[] = {
	{
		"RFC 7515 A.1 HS256", PJ_ALG_HS256,
		{ "kty", "oct", "k", RFC7515_A1_K, NULL },
		RFC7515_A1_JWS, JOE_PAYLOAD,
	},
	{
		"RFC 7515 A.2 RS256", PJ_ALG_RS256,
		{
			"kty", "RSA",
			"n", "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddx"
			    "HmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMs"
			    "D1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSH"
			    "SXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdV"
			    "MTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8"
			    "NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ",
			"e", "AQAB",
			"d", "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97I"
			    "jlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0"
			    "BkTGoVEn2bKVRUCgu-GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn"
			    "439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_0ZHHzQlBjudU2QvXt4ehNYT"
			    "CBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLh"
			    "BOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ",
			"p", "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdi"
			    "YrqBdss1l58BQ3KhooKeQTa9AB0Hw_Py5PJdTJNPY8cQn7ouZ2KKDcmnPG"
			    "BY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc",
			"q", "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxa"
			    "ewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA"
			    "-njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc",
			"dp", "BwKfV3Akq5_MFZDFZCnW-wzl-CCo83WoZvnLQwCTeDv8uzluRSnm71I3Q"
			    "CLdhrqE2e9YkxvuxdBfpT_PI7Yz-FOKnu1R6HsJeDCjn12Sk3vmAktV2zb"
			    "34MCdy7cpdTh_YVr7tss2u6vneTwrA86rZtu5Mbr1C1XsmvkxHQAdYo0",
			"dq", "h_96-mK1R_7glhsum81dZxjTnYynPbZpHziZjeeHcXYsXaaMwkOlODsWa"
			    "7I9xXDoRwbKgB719rrmI2oKr6N3Do9U0ajaHF-NKJnwgjMd2w9cjz3_-ky"
			    "NlxAr2v4IKhGNpmM5iIgOS1VZnOZ68m6_pbLBSp3nssTdlqvd0tIiTHU",
			"qi", "IYd7DHOhrWvxkwPQsRM2tOgrjbcrfvtQJipd-DlcxyVuuM9sQLdgjVk2o"
			    "y26F0EmpScGLq2MowX7fhd_QJQ3ydy5cY7YIBi87w93IKLEdfnbJtoOPLU"
			    "W0ITrJReOgo1cq9SbsxYawBgfp_gh6A5603k2-ZQwVK0JKSHuLFkuQ3U",
			NULL,
		},
		"eyJhbGciOiJSUzI1NiJ9"
		"." JOE_PAYLOAD_B64 "."
		"cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7"
		"AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4"
		"BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K"
		"0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
		"hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrB"
		"p0igcN_IoypGlUPQGe77Rw",
		JOE_PAYLOAD,
	},
	{
		"RFC 7515 A.3 ES256", PJ_ALG_ES256,
		{
			"kty", "EC", "crv", "P-256",
			"x", "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
			"y", "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
			"d", "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
			NULL,
		},
		"eyJhbGciOiJFUzI1NiJ9"
		"." JOE_PAYLOAD_B64 "."
		"DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
		"pmWQxfKTUJqPP3-Kg6NU1Q",
		JOE_PAYLOAD,
	},
	{
		"RFC 7515 A.4 ES512", PJ_ALG_ES512,
		{
			"kty", "EC", "crv", "P-521",
			"x", "AekpBQ8ST8a8VcfVOTNl353vSrDCLLJXmPk06wTjxrrjcBpXp5EOnYG_"
			    "NjFZ6OvLFV1jSfS9tsz4qUxcWceqwQGk",
			"y", "ADSmRA43Z1DSNx_RvcLI87cdL07l6jQyyBXMoxVg_l2Th-x3S1WDhjDl"
			    "y79ajL4Kkd0AZMaZmh9ubmf63e3kyMj2",
			"d", "AY5pb7A0UFiB3RELSD64fTLOSV_jazdF7fLYyuTw8lOfRhWg6Y6rUrPA"
			    "xerEzgdRhajnu0ferB0d53vM9mE15j2C",
			NULL,
		},
		"eyJhbGciOiJFUzUxMiJ9"
		".UGF5bG9hZA."
		"AdwMgeerwtHoh-l192l60hp9wAHZFVJbLfD_UxMi70cwnZOYaRI1bKPWROc-mZZq"
		"wqT2SI-KGDKB34XO0aw_7XdtAG8GaSwFKdCAPZgoXD2YBJZCPEX3xKpRwcdOO8Kp"
		"EHwJjyqOgzDO7iKvU8vcnwNrmxYbSW9ERBXukOXolLzeO_Jn",
		"Payload",
	},
	{
		/* RFC 8037 A.1 private key: RFC 8032 7.1 test 1,
		 * pk d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a */
		"RFC 8037 A.4 EdDSA", PJ_ALG_EDDSA,
		{
			"kty", "OKP", "crv", "Ed25519",
			"d", "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
			"x", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
			NULL,
		},
		"eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc."
		"hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5B"
		"hVsPt9g7sVvpAr_MuM0KAg",
		"Example of Ed25519 signing",
	},
};

static int passed, failed;

static void
result(int ok, const char *name, const char *detail)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("%-4s %s%s%s\n", ok ? "ok" : "FAIL", name, detail[0] ? ": " : "",
	    detail);
}

/* The example's key as a one-key set; PJ_OK or the error (reason set). */
static int
load_key(const struct example *ex, struct pj_keyset *ks, char *reason,
    size_t rlen)
{
	struct pj_key k;
	json_t *jwk = json_object();
	size_t i;
	int r = PJ_E_NOMEM;

	memset(&k, 0, sizeof(k));
	if (jwk == NULL)
		goto out;
	for (i = 0; ex->jwk[i] != NULL; i += 2)
		if (json_object_set_new(jwk, ex->jwk[i],
		    json_string(ex->jwk[i + 1])) != 0)
			goto out;
	r = pj_jwk_to_key(jwk, 1, &k, reason, rlen);
	if (r != PJ_OK)
		goto out;
	if ((k.algs & ex->alg) == 0) {
		r = pj_reason(PJ_E_KEY, reason, rlen, "key does not allow %s (%s)",
		    pj_alg_name(ex->alg), k.note ? k.note : "no note");
		goto out;
	}
	r = pj_keyset_add(ks, &k);
out:
	pj_key_clear(&k);
	json_decref(jwk);
	return r;
}

/* Verify the example; with payload != NULL the payload must match. */
static int
verify(const char *tok, const struct pj_keyset *ks, const struct example *ex,
    struct pj_jws *jws, char *reason, size_t rlen)
{
	int r;

	reason[0] = '\0';
	r = pj_jws_verify(tok, strlen(tok), ks, 0, jws, reason, rlen);
	if (r != PJ_OK)
		return r;
	if (jws->alg != ex->alg) {
		(void)snprintf(reason, rlen, "verified as %s, not %s",
		    pj_alg_name(jws->alg), pj_alg_name(ex->alg));
		return PJ_E_INTERNAL;
	}
	if (jws->payload_len != strlen(ex->payload) ||
	    memcmp(jws->payload, ex->payload, jws->payload_len) != 0) {
		(void)snprintf(reason, rlen, "payload differs from the RFC's");
		return PJ_E_INTERNAL;
	}
	return PJ_OK;
}

/* The token with one signature character changed (not the last one, whose
 * low bits may be padding). */
static char *
tampered(const char *tok)
{
	char *t = strdup(tok), *sig;

	if (t == NULL)
		return NULL;
	sig = strrchr(t, '.') + 1;
	sig[strlen(sig) / 2] = sig[strlen(sig) / 2] == 'A' ? 'B' : 'A';
	return t;
}

static void
run_example(const struct example *ex)
{
	struct pj_keyset ks = { 0 };
	struct pj_jws jws;
	char reason[256] = "", detail[400], *bad = NULL;
	int r;

	memset(&jws, 0, sizeof(jws));
	r = load_key(ex, &ks, reason, sizeof(reason));
	if (r != PJ_OK) {
		(void)snprintf(detail, sizeof(detail), "JWK refused: %s: %s",
		    pj_strerror(r), reason);
		result(0, ex->name, detail);
		goto out;
	}
	r = verify(ex->jws, &ks, ex, &jws, reason, sizeof(reason));
	pj_jws_clear(&jws);
	if (r != PJ_OK) {
		(void)snprintf(detail, sizeof(detail), "%s: %s", pj_strerror(r),
		    reason);
		result(0, ex->name, detail);
		goto out;
	}
	bad = tampered(ex->jws);
	r = bad == NULL ? PJ_E_NOMEM :
	    verify(bad, &ks, ex, &jws, reason, sizeof(reason));
	pj_jws_clear(&jws);
	if (r != PJ_E_SIGNATURE) {
		(void)snprintf(detail, sizeof(detail),
		    "verifies; with one signature character changed: %s, "
		    "expected %s", r == PJ_OK ? "accepted" : pj_strerror(r),
		    pj_strerror(PJ_E_SIGNATURE));
		result(0, ex->name, detail);
		goto out;
	}
	result(1, ex->name, "verifies; refused with one signature character "
	    "changed");
out:
	free(bad);
	pj_keyset_free(&ks);
}

/* RFC 7519 3.1: the example JWT's signature verifies, its claims are
 * expired now and fine before their exp. */
static void
run_rfc7519(void)
{
	const struct example *ex = &examples[0];
	const char *name = "RFC 7519 3.1 HS256 JWT";
	struct pj_keyset ks = { 0 };
	struct pj_options o;
	struct pj_jws jws;
	json_t *claims = NULL;
	char reason[256] = "", detail[400];
	int r;

	memset(&jws, 0, sizeof(jws));
	pj_options_init(&o);
	r = load_key(ex, &ks, reason, sizeof(reason));
	if (r == PJ_OK)
		r = verify(RFC7515_A1_JWS, &ks, ex, &jws, reason, sizeof(reason));
	if (r != PJ_OK) {
		(void)snprintf(detail, sizeof(detail), "signature: %s: %s",
		    pj_strerror(r), reason);
		result(0, name, detail);
		goto out;
	}
	r = pj_claims_parse(jws.payload, jws.payload_len, &claims, reason,
	    sizeof(reason));
	if (r != PJ_OK) {
		(void)snprintf(detail, sizeof(detail), "claims: %s: %s",
		    pj_strerror(r), reason);
		result(0, name, detail);
		goto out;
	}
	reason[0] = '\0';
	r = pj_claims_check(&o, claims, jws.typ, (long long)time(NULL), reason,
	    sizeof(reason));
	if (r != PJ_E_EXPIRED) {
		(void)snprintf(detail, sizeof(detail),
		    "claims now: %s (%s), expected %s", pj_strerror(r), reason,
		    pj_strerror(PJ_E_EXPIRED));
		result(0, name, detail);
		goto out;
	}
	reason[0] = '\0';
	r = pj_claims_check(&o, claims, jws.typ, 1300819380LL - 3600, reason,
	    sizeof(reason));
	if (r != PJ_OK) {
		(void)snprintf(detail, sizeof(detail),
		    "claims an hour before exp: %s (%s), expected them accepted",
		    pj_strerror(r), reason);
		result(0, name, detail);
		goto out;
	}
	result(1, name, "signature verifies; claims expired now "
	    "(PJ_E_EXPIRED), accepted an hour before exp 1300819380");
out:
	json_decref(claims);
	pj_jws_clear(&jws);
	pj_options_free(&o);
	pj_keyset_free(&ks);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(examples) / sizeof(examples[0]); i++)
		run_example(&examples[i]);
	run_rfc7519();
	printf("rfc: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
