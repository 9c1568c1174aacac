/* alg.h - the JWS algorithms pam_jwt knows, as bits */
#ifndef PJ_ALG_H
#define PJ_ALG_H

#include <stddef.h>

enum pj_alg {
	PJ_ALG_HS256 = 1u << 0,
	PJ_ALG_HS384 = 1u << 1,
	PJ_ALG_HS512 = 1u << 2,
	PJ_ALG_RS256 = 1u << 3,
	PJ_ALG_RS384 = 1u << 4,
	PJ_ALG_RS512 = 1u << 5,
	PJ_ALG_PS256 = 1u << 6,
	PJ_ALG_PS384 = 1u << 7,
	PJ_ALG_PS512 = 1u << 8,
	PJ_ALG_ES256 = 1u << 9,
	PJ_ALG_ES384 = 1u << 10,
	PJ_ALG_ES512 = 1u << 11,
	PJ_ALG_EDDSA = 1u << 12,
};

#define PJ_ALG_HMAC ((unsigned int)(PJ_ALG_HS256 | PJ_ALG_HS384 | PJ_ALG_HS512))
#define PJ_ALG_RSA ((unsigned int)(PJ_ALG_RS256 | PJ_ALG_RS384 | PJ_ALG_RS512 | \
    PJ_ALG_PS256 | PJ_ALG_PS384 | PJ_ALG_PS512))
#define PJ_ALG_ALL ((1u << 13) - 1u)
#define PJ_ALG_EC ((unsigned int)(PJ_ALG_ES256 | PJ_ALG_ES384 | PJ_ALG_ES512))

/* Exact, case-sensitive name to bit; 0 if unknown (including "none"). */
unsigned int pj_alg_from_name(const char *name, size_t len);
/* Bit to name; "?" for anything but one known bit. */
const char *pj_alg_name(unsigned int alg);
/* Digest size in bytes of the hash behind alg (32, 48, 64), 0 if none. */
size_t pj_alg_hash_len(unsigned int alg);

#endif
