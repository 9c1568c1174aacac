/* rsa.h - which RSA public keys pam_jwt accepts: one check on the raw
 * numbers, whatever the key came from (a PEM file, a JWK, keygen, a
 * signer's private key), so that the rule and its words exist once.
 * Plain arithmetic: no libcrypto. */
#ifndef PJ_RSA_H
#define PJ_RSA_H

#include <stddef.h>

#define PJ_RSA_MIN_BITS 2048
#define PJ_RSA_MAX_BITS 16384
#define PJ_RSA_E_MAX_BITS 64

/* The modulus n and public exponent e, unsigned big-endian (leading zero
 * octets allowed): PJ_OK, or PJ_E_KEY with the one reason
 *   "RSA key of N bits (2048 to 16384 are accepted)"
 *   "RSA public exponent is unsafe (must be odd, 3 or more, at most 64 bits)"
 *   "RSA modulus has the ROCA fingerprint (CVE-2017-15361): the key is
 *    breakable, replace it". */
int pj_rsa_check(const unsigned char *n, size_t nlen, const unsigned char *e,
    size_t elen, char *reason, size_t rlen) __attribute__((warn_unused_result));

/* The bits of an unsigned big-endian integer (leading zeros allowed). */
size_t pj_rsa_bits(const unsigned char *p, size_t len);

/* 1 if an RSA modulus (big-endian bytes) carries the ROCA fingerprint
 * (CVE-2017-15361). */
int pj_rsa_roca(const unsigned char *n, size_t len);

#endif
