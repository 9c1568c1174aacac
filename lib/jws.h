/* jws.h - strict compact JWS (RFC 7515): parse, pin the algorithm, verify */
#ifndef PJ_JWS_H
#define PJ_JWS_H

#include <stddef.h>
#include <jansson.h>

#define PJ_TOKEN_MAX (16 * 1024)

struct pj_keyset;

struct pj_jws {
	int parsed;               /* 1: the header passed every check */
	json_t *header;           /* the protected header as parsed here, or
	                           * NULL when it came from the header cache
	                           * (lib/hdrcache.h; then kid and typ point
	                           * into kept) */
	char *kept;               /* kid and typ, copied from the cache */
	unsigned char *payload;   /* decoded payload, NUL-terminated */
	size_t payload_len;
	unsigned int alg;         /* one enum pj_alg bit */
	const char *kid;          /* inside header or kept, or NULL */
	const char *typ;          /* inside header or kept, or NULL */
	/* after pj_jws_verify: the kid of the key that verified the
	 * signature (borrowed from the key set), or NULL for a key without
	 * kid.  Not the header's kid: a token without kid may be verified by
	 * a keyed key of the set (keyset.h), and revocation by kid must name
	 * the key, not what the token says. */
	const char *key_kid;
};

/* 1 if tok[0..len) is shaped like a compact JWS: exactly two dots, only
 * base64url characters, header and payload non-empty.  Anything else is not
 * a token at all (a password) and the module answers PAM_IGNORE. */
int pj_jws_shaped(const char *tok, size_t len);

/* Parse the header alone (for the continuation prompt and for logging):
 * fills out->parsed/alg/kid/typ (and header or kept) but not the payload.
 * No verification.  A header segment seen before is not parsed again
 * (lib/hdrcache.h): its result is the one kept from the first parse. */
int pj_jws_peek_header(const char *tok, size_t len, struct pj_jws *out,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

/* The whole signature layer.  allowed narrows the algorithms (0 = all).
 * The algorithm is pinned by the selected key before the signature is
 * checked; `none` is never accepted.  On PJ_OK out holds the verified
 * header and payload (the payload is not interpreted here). */
int pj_jws_verify(const char *tok, size_t len, const struct pj_keyset *ks,
    unsigned int allowed, struct pj_jws *out, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* The same for a token whose header was already parsed: out holds what
 * pj_jws_peek_header (or pj_token_unfinished_peek) gave for exactly these
 * bytes, and is consumed (cleared on failure) as pj_jws_verify's is.  The
 * header is then parsed once per authentication. */
int pj_jws_verify_peeked(const char *tok, size_t len,
    const struct pj_keyset *ks, unsigned int allowed, struct pj_jws *out,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

void pj_jws_clear(struct pj_jws *j);

#endif
