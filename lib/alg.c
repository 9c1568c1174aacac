/* alg.c - algorithm names */
#include "alg.h"

#include <string.h>

static const struct {
	const char *name;
	unsigned int bit;
	size_t hash_len;
} algs[] = {
	{ "HS256", PJ_ALG_HS256, 32 }, { "HS384", PJ_ALG_HS384, 48 },
	{ "HS512", PJ_ALG_HS512, 64 }, { "RS256", PJ_ALG_RS256, 32 },
	{ "RS384", PJ_ALG_RS384, 48 }, { "RS512", PJ_ALG_RS512, 64 },
	{ "PS256", PJ_ALG_PS256, 32 }, { "PS384", PJ_ALG_PS384, 48 },
	{ "PS512", PJ_ALG_PS512, 64 }, { "ES256", PJ_ALG_ES256, 32 },
	{ "ES384", PJ_ALG_ES384, 48 }, { "ES512", PJ_ALG_ES512, 64 },
	{ "EdDSA", PJ_ALG_EDDSA, 0 },
};

unsigned int
pj_alg_from_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strlen(algs[i].name) == len && memcmp(algs[i].name, name, len) == 0)
			return algs[i].bit;
	return 0;
}

const char *
pj_alg_name(unsigned int alg)
{
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].bit == alg)
			return algs[i].name;
	return "?";
}

size_t
pj_alg_hash_len(unsigned int alg)
{
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (algs[i].bit == alg)
			return algs[i].hash_len;
	return 0;
}
