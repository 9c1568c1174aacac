/* test_mutation.c - for one valid PyJWT token of each algorithm, flip every
 * bit of every byte and cut it at every length: no mutant may verify.
 * (Our base64url decoder insists on canonical trailing bits, so even a flip
 * in the unused low bits of a final character must be rejected.) */
#include "unit.h"

#include "lib/jws.h"

#include <stdlib.h>
#include <string.h>

static const char *const algs[] = { "HS256", "HS384", "HS512", "RS256",
	"RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
	"EdDSA" };

static void
keyset_for(const char *alg, struct pj_keyset *ks)
{
	memset(ks, 0, sizeof(*ks));
	if (alg[0] == 'H')
		fx_add_secret(ks);
	else if (alg[0] == 'R' || alg[0] == 'P')
		fx_add_pem(ks, "rsa2048.pub.pem");
	else if (strcmp(alg, "ES256") == 0)
		fx_add_pem(ks, "ec256.pub.pem");
	else if (strcmp(alg, "ES384") == 0)
		fx_add_pem(ks, "ec384.pub.pem");
	else if (strcmp(alg, "ES512") == 0)
		fx_add_pem(ks, "ec521.pub.pem");
	else
		fx_add_pem(ks, "ed25519.pub.pem");
}

struct tally {
	size_t mutants, not_jws, rejected;
};

static void
one(const char *alg, const char *what, size_t at, const char *tok, size_t len,
    const struct pj_keyset *ks, struct tally *t)
{
	struct pj_jws j;
	char reason[256] = "";
	int r;

	t->mutants++;
	r = pj_jws_verify(tok, len, ks, 0, &j, reason, sizeof(reason));
	if (r == PJ_OK) {
		pj_jws_clear(&j);
		fail_msg("%s: %s at %zu verified: %.*s", alg, what, at, (int)len, tok);
	}
	switch (pj_err_class(r)) {
	case PJ_CLASS_IGNORE:
		t->not_jws++;
		break;
	case PJ_CLASS_REJECT:
		t->rejected++;
		break;
	default:
		fail_msg("%s: %s at %zu: %d (%s: %s), not a rejection", alg, what,
		    at, r, pj_strerror(r), reason);
	}
}

static void
mutate(void **state)
{
	const char *alg = *state;
	struct pj_keyset ks;
	struct tally t = { 0, 0, 0 };
	struct pj_jws j;
	char name[32], reason[256] = "";
	const char *tok;
	char *m;
	size_t len, i;
	int bit;

	snprintf(name, sizeof(name), "tok.%s", alg);
	tok = fx_tok(name);
	len = strlen(tok);
	keyset_for(alg, &ks);
	/* the token itself verifies, or the loop proves nothing */
	if (pj_jws_verify(tok, len, &ks, 0, &j, reason, sizeof(reason)) != PJ_OK)
		fail_msg("%s: the unmutated token does not verify: %s", alg, reason);
	pj_jws_clear(&j);
	m = malloc(len);
	assert_non_null(m);
	memcpy(m, tok, len);
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			m[i] ^= (char)(1 << bit);
			one(alg, "bit flip", i * 8 + (size_t)bit, m, len, &ks, &t);
			m[i] ^= (char)(1 << bit);
		}
	assert_memory_equal(m, tok, len);
	/* every truncation, in a buffer of exactly that size (ASan sees any
	 * read past the end) */
	for (i = 0; i < len; i++) {
		char *cut = malloc(i ? i : 1);

		assert_non_null(cut);
		memcpy(cut, tok, i);
		one(alg, "truncation", i, cut, i, &ks, &t);
		free(cut);
	}
	assert_int_equal(t.mutants, len * 9);
	assert_int_equal(t.mutants, t.not_jws + t.rejected);
	print_message("%-5s token of %4zu bytes: %5zu mutants (%zu bit flips, "
	    "%zu truncations), all rejected (%zu not a JWS, %zu refused)\n", alg,
	    len, t.mutants, len * 8, len, t.not_jws, t.rejected);
	free(m);
	pj_keyset_free(&ks);
}

int
main(int argc, char **argv)
{
	struct CMUnitTest tests[sizeof(algs) / sizeof(algs[0])];
	size_t i;

	fx_init(argc, argv);
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = algs[i];
		tests[i].test_func = mutate;
		tests[i].initial_state = (void *)algs[i];
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
