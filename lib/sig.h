/* sig.h - the signature primitives behind JWS (RFC 7518 section 3, RFC 8037) */
#ifndef PJ_SIG_H
#define PJ_SIG_H

#include <stddef.h>
#include <openssl/evp.h>

struct pj_key;

/* Verify sig over msg with key k for alg (one enum pj_alg bit).  The caller
 * has already checked that k->algs allows alg.  Returns PJ_OK only when the
 * signature verifies; PJ_E_SIGNATURE when it does not (wrong length
 * included; no reason: the caller words it); when it could not be checked,
 * with the reason naming what failed: PJ_E_KEY (no libcrypto), PJ_E_INTERNAL
 * (a libcrypto call failed: "libcrypto: EVP_DigestVerifyInit failed
 * verifying RS256: ..."), PJ_E_NOMEM (an allocation failed). */
int pj_sig_verify_reason(const struct pj_key *k, unsigned int alg,
    const unsigned char *msg, size_t msglen, const unsigned char *sig,
    size_t siglen, char *reason, size_t rlen)
	__attribute__((warn_unused_result));

/* The same without the words. */
int pj_sig_verify(const struct pj_key *k, unsigned int alg,
    const unsigned char *msg, size_t msglen, const unsigned char *sig,
    size_t siglen) __attribute__((warn_unused_result));

/* The digest behind alg (SHA-256/384/512), NULL for EdDSA or unknown. */
const EVP_MD *pj_sig_md(unsigned int alg);

/* RSASSA-PKCS1-v1_5 or RSASSA-PSS (MGF1 with the same hash, salt as long as
 * it, RFC 7518 3.5) on a DigestSign/Verify context for an RS or PS alg;
 * nothing for other algs.  PJ_OK, or PJ_E_INTERNAL naming the libcrypto
 * call that failed (libcrypto loaded: the caller holds a context). */
int pj_sig_rsa_padding(EVP_PKEY_CTX *pctx, unsigned int alg, const EVP_MD *md,
    char *reason, size_t rlen);

#define PJ_HMAC_MAX 64

/* HMAC (RFC 2104) for alg PJ_ALG_HS256/384/512 into out (PJ_HMAC_MAX
 * bytes); *outlen is the MAC size.  PJ_OK or a negative error with the
 * reason: PJ_E_KEY (no libcrypto for HS384), PJ_E_INTERNAL naming a
 * libcrypto call that failed, PJ_E_NOMEM. */
int pj_hmac(unsigned int alg, const unsigned char *key, size_t keylen,
    const unsigned char *msg, size_t msglen, unsigned char *out,
    size_t *outlen, char *reason, size_t rlen)
	__attribute__((warn_unused_result));

#endif
