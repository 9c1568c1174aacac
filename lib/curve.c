/* curve.c - the table of accepted EC curves and its lookups (see curve.h) */
#include "curve.h"
#include "alg.h"

#include <string.h>

static const unsigned char OID_P256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
	0x01, 0x07 };                                            /* 1.2.840.10045.3.1.7 */
static const unsigned char OID_P384[] = { 0x2b, 0x81, 0x04, 0x00, 0x22 }; /* 1.3.132.0.34 */
static const unsigned char OID_P521[] = { 0x2b, 0x81, 0x04, 0x00, 0x23 }; /* 1.3.132.0.35 */

static const struct pj_curve curves[] = {
	{ "P-256", "prime256v1", OID_P256, sizeof(OID_P256), 32, 64, PJ_ALG_ES256 },
	{ "P-384", "secp384r1", OID_P384, sizeof(OID_P384), 48, 96, PJ_ALG_ES384 },
	{ "P-521", "secp521r1", OID_P521, sizeof(OID_P521), 66, 132, PJ_ALG_ES512 },
};

#define NCURVES (sizeof(curves) / sizeof(curves[0]))

const struct pj_curve *
pj_curve_by_crv(const char *crv)
{
	size_t i;

	for (i = 0; crv != NULL && i < NCURVES; i++)
		if (strcmp(crv, curves[i].crv) == 0)
			return &curves[i];
	return NULL;
}

const struct pj_curve *
pj_curve_by_group(const char *group)
{
	size_t i;

	for (i = 0; group != NULL && i < NCURVES; i++)
		if (strcmp(group, curves[i].group) == 0 ||
		    strcmp(group, curves[i].crv) == 0)
			return &curves[i];
	return NULL;
}

const struct pj_curve *
pj_curve_by_oid(const unsigned char *oid, size_t len)
{
	size_t i;

	for (i = 0; i < NCURVES; i++)
		if (len == curves[i].oid_len && memcmp(oid, curves[i].oid, len) == 0)
			return &curves[i];
	return NULL;
}

const struct pj_curve *
pj_curve_by_alg(unsigned int alg)
{
	size_t i;

	for (i = 0; i < NCURVES; i++)
		if (alg == curves[i].alg)
			return &curves[i];
	return NULL;
}
