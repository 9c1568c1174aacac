/* sig.h - the signature primitives behind JWS (RFC 7518 section 3, RFC 8037) */
#ifndef PJ_SIG_H
#define PJ_SIG_H

#include <stddef.h>

struct pj_key;

/* Verify sig over msg with key k for alg (one enum pj_alg bit).  The caller
 * has already checked that k->algs allows alg.  Returns PJ_OK only when the
 * signature verifies; PJ_E_SIGNATURE when it does not (wrong length
 * included; no reason: the caller words it); when it could not be checked,
 * with the reason naming what failed: PJ_E_KEY (no libhogweed),
 * PJ_E_INTERNAL (a key that was never built). */
int pj_sig_verify_reason(const struct pj_key *k, unsigned int alg,
    const unsigned char *msg, size_t msglen, const unsigned char *sig,
    size_t siglen, char *reason, size_t rlen)
	__attribute__((warn_unused_result));

/* The same without the words. */
int pj_sig_verify(const struct pj_key *k, unsigned int alg,
    const unsigned char *msg, size_t msglen, const unsigned char *sig,
    size_t siglen) __attribute__((warn_unused_result));

#define PJ_HMAC_MAX 64

/* HMAC (RFC 2104) for alg PJ_ALG_HS256/384/512 into out (PJ_HMAC_MAX
 * bytes); *outlen is the MAC size.  PJ_OK or a negative error with the
 * reason: PJ_E_KEY (no libhogweed for HS384). */
int pj_hmac(unsigned int alg, const unsigned char *key, size_t keylen,
    const unsigned char *msg, size_t msglen, unsigned char *out,
    size_t *outlen, char *reason, size_t rlen)
	__attribute__((warn_unused_result));

#endif
