/* test_alg.c - algorithm names: exact, case-sensitive, never "none" */
#include "unit.h"

#include "lib/alg.h"

#include <string.h>

static const struct {
	const char *name;
	unsigned int bit;
	size_t hash;
} table[] = {
	{ "HS256", PJ_ALG_HS256, 32 }, { "HS384", PJ_ALG_HS384, 48 },
	{ "HS512", PJ_ALG_HS512, 64 }, { "RS256", PJ_ALG_RS256, 32 },
	{ "RS384", PJ_ALG_RS384, 48 }, { "RS512", PJ_ALG_RS512, 64 },
	{ "PS256", PJ_ALG_PS256, 32 }, { "PS384", PJ_ALG_PS384, 48 },
	{ "PS512", PJ_ALG_PS512, 64 }, { "ES256", PJ_ALG_ES256, 32 },
	{ "ES384", PJ_ALG_ES384, 48 }, { "ES512", PJ_ALG_ES512, 64 },
	{ "EdDSA", PJ_ALG_EDDSA, 0 },
};

static void
names_round_trip(void **state)
{
	size_t i;
	unsigned int all = 0;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		assert_int_equal(pj_alg_from_name(table[i].name,
		    strlen(table[i].name)), table[i].bit);
		assert_string_equal(pj_alg_name(table[i].bit), table[i].name);
		assert_int_equal(pj_alg_hash_len(table[i].bit), table[i].hash);
		assert_int_equal(all & table[i].bit, 0);
		all |= table[i].bit;
	}
	assert_int_equal(all, PJ_ALG_ALL);
	assert_int_equal(PJ_ALG_HMAC | PJ_ALG_RSA | PJ_ALG_EC | PJ_ALG_EDDSA,
	    PJ_ALG_ALL);
}

static void
refused_names(void **state)
{
	static const char *const bad[] = { "none", "None", "NONE", "nOnE", "",
	    "hs256", "Hs256", "HS256 ", " HS256", "HS2560", "HS25", "eddsa",
	    "EDDSA", "Ed25519", "ES256K", "ES521", "RS1", "HS1", "A256GCM",
	    "RSA1_5", "dir" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pj_alg_from_name(bad[i], strlen(bad[i])) != 0)
			fail_msg("'%s' was accepted as an algorithm", bad[i]);
	/* length is what counts, not a NUL: "HS256\0x" is not HS256 */
	assert_int_equal(pj_alg_from_name("HS256\0x", 7), 0);
	assert_int_equal(pj_alg_from_name("HS256x", 5), PJ_ALG_HS256);
}

static void
odd_bits(void **state)
{
	(void)state;
	assert_string_equal(pj_alg_name(0), "?");
	assert_string_equal(pj_alg_name(PJ_ALG_HS256 | PJ_ALG_RS256), "?");
	assert_string_equal(pj_alg_name(1u << 13), "?");
	assert_int_equal(pj_alg_hash_len(0), 0);
	assert_int_equal(pj_alg_hash_len(PJ_ALG_ALL), 0);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_round_trip),
		cmocka_unit_test(refused_names),
		cmocka_unit_test(odd_bits),
	};

	(void)argc;
	(void)argv;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
