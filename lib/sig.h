/* sig.h - the signature primitives behind JWS (RFC 7518 section 3, RFC 8037) */
#ifndef PJ_SIG_H
#define PJ_SIG_H

#include <stddef.h>
#include <openssl/evp.h>

struct pj_key;

/* Verify sig over msg with key k for alg (one enum pj_alg bit).  The caller
 * has already checked that k->algs allows alg.  Returns PJ_OK only when the
 * signature verifies; PJ_E_SIGNATURE when it does not (wrong length
 * included); PJ_E_NOMEM, PJ_E_KEY (no libcrypto for HS384) or
 * PJ_E_INTERNAL when it could not be checked. */
int pj_sig_verify(const struct pj_key *k, unsigned int alg,
    const unsigned char *msg, size_t msglen, const unsigned char *sig,
    size_t siglen) __attribute__((warn_unused_result));

/* The digest behind alg (SHA-256/384/512), NULL for EdDSA or unknown. */
const EVP_MD *pj_sig_md(unsigned int alg);

/* RSASSA-PKCS1-v1_5 or RSASSA-PSS (MGF1 with the same hash, salt as long as
 * it, RFC 7518 3.5) on a DigestSign/Verify context for an RS or PS alg;
 * nothing for other algs.  0 or -1. */
int pj_sig_rsa_padding(EVP_PKEY_CTX *pctx, unsigned int alg, const EVP_MD *md);

#define PJ_HMAC_MAX 64

/* HMAC (RFC 2104) for alg PJ_ALG_HS256/384/512 into out (PJ_HMAC_MAX
 * bytes); *outlen is the MAC size.  PJ_OK or a negative error. */
int pj_hmac(unsigned int alg, const unsigned char *key, size_t keylen,
    const unsigned char *msg, size_t msglen, unsigned char *out,
    size_t *outlen) __attribute__((warn_unused_result));

#endif
