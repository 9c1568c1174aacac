/* curve.h - the EC curves pam_jwt accepts, and every fact about them in one
 * table: the JWK name, the OpenSSL group, the DER OID, the coordinate and
 * signature sizes, and the one JWS algorithm each curve serves (RFC 7518
 * 3.4: ES256 only on P-256, and so on).  Every file that needs such a fact
 * asks here. */
#ifndef PJ_CURVE_H
#define PJ_CURVE_H

#include <stddef.h>

struct pj_curve {
	const char *crv;            /* JWK "crv" and NIST name: "P-256" */
	const char *group;          /* OpenSSL group name: "prime256v1" */
	const unsigned char *oid;   /* namedCurve OID contents (RFC 5480) */
	size_t oid_len;
	size_t coord_bytes;         /* one coordinate, one field element */
	size_t sig_bytes;           /* a JWS signature: r || s (RFC 7518 3.4) */
	unsigned int alg;           /* the one enum pj_alg bit it serves */
	const unsigned char *order; /* the group order n, big-endian, of
	                             * coord_bytes bytes: r and s of a signature
	                             * must be in [1, n-1] (lib/sig.c) */
	unsigned int bits;          /* 256, 384, 521: Nettle's secp_<bits>r1 */
};

/* For messages: the curves accepted, in words. */
#define PJ_CURVE_NAMES "P-256, P-384, P-521"
/* The largest coordinate (P-521), and uncompressed point (0x04 || x || y). */
#define PJ_CURVE_COORD_MAX 66
#define PJ_CURVE_POINT_MAX (1 + 2 * PJ_CURVE_COORD_MAX)

/* NULL when pam_jwt does not accept the curve. */
/* By JWK "crv", exact: "P-256". */
const struct pj_curve *pj_curve_by_crv(const char *crv);
/* By OpenSSL group name ("prime256v1") or NIST name ("P-256"). */
const struct pj_curve *pj_curve_by_group(const char *group);
/* By the contents of a namedCurve OBJECT IDENTIFIER. */
const struct pj_curve *pj_curve_by_oid(const unsigned char *oid, size_t len);
/* By JWS algorithm: PJ_ALG_ES256, ES384, ES512. */
const struct pj_curve *pj_curve_by_alg(unsigned int alg);

#endif
