/* test_hdrcache.c - JWS headers kept by their exact bytes (lib/hdrcache.c,
 * through pj_jws_peek_header as the module calls it): a kept header gives
 * exactly what a fresh parse gives, a header that failed a check is never
 * kept, one byte of difference is another header, the shape and length of
 * every token are still checked, and the cache stays bounded. */
#include "unit.h"

#include "lib/alg.h"
#include "lib/b64url.h"
#include "lib/hdrcache.h"
#include "lib/jws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "HEADER.e30.c2ln" for the header JSON text h, into out */
static void
token(const char *h, char *out, size_t cap)
{
	char *seg = pj_b64url_encode_alloc((const unsigned char *)h, strlen(h));

	assert_non_null(seg);
	assert_true((size_t)snprintf(out, cap, "%s.e30.c2ln", seg) < cap);
	free(seg);
}

static int
peek(const char *tok, struct pj_jws *j)
{
	char reason[256] = "";

	return pj_jws_peek_header(tok, strlen(tok), j, reason, sizeof(reason));
}

static size_t
seglen(const char *tok)
{
	return (size_t)(strchr(tok, '.') - tok);
}

static void
kept_equals_fresh(void **state)
{
	struct pj_jws a, b, c;
	char tok[512];

	(void)state;
	pj_hdrcache_clear();
	token("{\"alg\":\"ES256\",\"kid\":\"k1\",\"typ\":\"JWT\"}", tok, sizeof(tok));
	memset(&c, 0, sizeof(c));
	assert_int_equal(pj_hdrcache_get(tok, seglen(tok), &c), 0);
	assert_err(peek(tok, &a), PJ_OK);          /* parsed, then kept */
	assert_int_equal(pj_hdrcache_get(tok, seglen(tok), &c), 1);
	pj_jws_clear(&c);
	assert_err(peek(tok, &b), PJ_OK);          /* from the cache */
	assert_int_equal(b.alg, PJ_ALG_ES256);
	assert_int_equal(a.alg, b.alg);
	assert_string_equal(b.kid, "k1");
	assert_string_equal(b.typ, "JWT");
	assert_int_equal(a.parsed, 1);
	assert_int_equal(b.parsed, 1);
	assert_non_null(a.header);                 /* parsed here */
	assert_null(b.header);                     /* kept: copies only */
	assert_non_null(b.kept);
	assert_null(b.payload);
	pj_jws_clear(&a);
	pj_hdrcache_clear();                       /* b's copies remain */
	assert_string_equal(b.kid, "k1");
	assert_string_equal(b.typ, "JWT");
	pj_jws_clear(&b);
	/* no kid, no typ: NULL from the cache as from a parse */
	token("{\"alg\":\"EdDSA\"}", tok, sizeof(tok));
	assert_err(peek(tok, &a), PJ_OK);
	assert_err(peek(tok, &b), PJ_OK);
	assert_null(b.header);
	assert_null(a.kid);
	assert_null(b.kid);
	assert_null(b.typ);
	assert_int_equal(b.alg, PJ_ALG_EDDSA);
	pj_jws_clear(&a);
	pj_jws_clear(&b);
}

static void
refused_never_kept(void **state)
{
	struct pj_jws j;
	char tok[512];
	static const char *const bad[] = {
		"{\"alg\":\"HS256\",\"crit\":[\"x\"]}",
		"{\"alg\":\"none\"}",
		"{\"alg\":\"hs256\"}",
		"{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
		"{\"alg\":\"HS256\",\"kid\":\"\"}",
		"{\"alg\":\"HS256\",\"cty\":\"JWT\"}",
		"{\"alg\":\"HS256\",\"enc\":\"A128GCM\"}",
		"[\"alg\",\"HS256\"]",
	};
	size_t i;

	(void)state;
	pj_hdrcache_clear();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		token(bad[i], tok, sizeof(tok));
		memset(&j, 0, sizeof(j));
		assert_int_not_equal(peek(tok, &j), PJ_OK);
		assert_null(j.header);
		assert_int_equal(j.parsed, 0);
		/* refused the second time too, and still not kept */
		assert_int_not_equal(peek(tok, &j), PJ_OK);
		assert_int_equal(pj_hdrcache_get(tok, seglen(tok), &j), 0);
	}
}

static void
one_byte_is_another_header(void **state)
{
	struct pj_jws a, b;
	char t1[512], t2[512];

	(void)state;
	pj_hdrcache_clear();
	token("{\"alg\":\"HS256\",\"kid\":\"k1\"}", t1, sizeof(t1));
	token("{\"alg\":\"HS256\",\"kid\":\"k2\"}", t2, sizeof(t2));
	assert_int_equal(seglen(t1), seglen(t2));
	assert_err(peek(t1, &a), PJ_OK);
	assert_err(peek(t2, &b), PJ_OK);
	assert_string_equal(a.kid, "k1");
	assert_string_equal(b.kid, "k2");
	pj_jws_clear(&a);
	pj_jws_clear(&b);
	/* a prefix of a kept segment is not that segment */
	memset(&a, 0, sizeof(a));
	assert_int_equal(pj_hdrcache_get(t1, seglen(t1) - 1, &a), 0);
	assert_null(a.header);
}

static void
every_token_still_checked(void **state)
{
	struct pj_jws j;
	char tok[512], bad[600];
	char *big;

	(void)state;
	pj_hdrcache_clear();
	token("{\"alg\":\"HS256\"}", tok, sizeof(tok));
	assert_err(peek(tok, &j), PJ_OK);
	pj_jws_clear(&j);
	/* the kept header, but the rest is not a token */
	(void)snprintf(bad, sizeof(bad), "%.*s.e3+0.c2ln", (int)seglen(tok), tok);
	assert_err(peek(bad, &j), PJ_E_NOT_JWS);
	(void)snprintf(bad, sizeof(bad), "%.*s..c2ln", (int)seglen(tok), tok);
	assert_err(peek(bad, &j), PJ_E_NOT_JWS);
	(void)snprintf(bad, sizeof(bad), "%s.x", tok);
	assert_err(peek(bad, &j), PJ_E_NOT_JWS);
	/* and too long is too long */
	big = malloc(PJ_TOKEN_MAX + 8);
	assert_non_null(big);
	memcpy(big, tok, strlen(tok));
	memset(big + strlen(tok), 'A', PJ_TOKEN_MAX + 8 - strlen(tok));
	assert_err(pj_jws_peek_header(big, PJ_TOKEN_MAX + 1, &j, bad,
	    sizeof(bad)), PJ_E_TOO_LONG);
	assert_null(j.header);
	free(big);
}

static void
bounded(void **state)
{
	struct pj_jws j;
	char tok[4096], h[3072], first[512];
	int i;

	(void)state;
	pj_hdrcache_clear();
	/* a header over PJ_HDRCACHE_SEG_MAX characters is parsed every time */
	memset(h, 0, sizeof(h));
	(void)snprintf(h, sizeof(h), "{\"alg\":\"HS256\",\"x\":\"%0*d\"}",
	    PJ_HDRCACHE_SEG_MAX, 7);
	token(h, tok, sizeof(tok));
	assert_true(seglen(tok) > PJ_HDRCACHE_SEG_MAX);
	assert_err(peek(tok, &j), PJ_OK);
	pj_jws_clear(&j);
	assert_int_equal(pj_hdrcache_get(tok, seglen(tok), &j), 0);
	/* many different headers: the least recently used goes */
	token("{\"alg\":\"HS256\",\"kid\":\"first\"}", first, sizeof(first));
	assert_err(peek(first, &j), PJ_OK);
	pj_jws_clear(&j);
	for (i = 0; i < 64; i++) {
		(void)snprintf(h, sizeof(h), "{\"alg\":\"HS256\",\"kid\":\"n%d\"}", i);
		token(h, tok, sizeof(tok));
		assert_err(peek(tok, &j), PJ_OK);
		(void)snprintf(h, sizeof(h), "n%d", i);
		assert_string_equal(j.kid, h);
		pj_jws_clear(&j);
	}
	assert_int_equal(pj_hdrcache_get(first, seglen(first), &j), 0);
	/* the last one is kept */
	assert_int_equal(pj_hdrcache_get(tok, seglen(tok), &j), 1);
	assert_string_equal(j.kid, "n63");
	pj_jws_clear(&j);
	pj_hdrcache_clear();
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kept_equals_fresh),
		cmocka_unit_test(refused_never_kept),
		cmocka_unit_test(one_byte_is_another_header),
		cmocka_unit_test(every_token_still_checked),
		cmocka_unit_test(bounded),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
