/* b64url.h - strict base64url (RFC 4648 section 5, no padding), as JWS uses it */
#ifndef PJ_B64URL_H
#define PJ_B64URL_H

#include <stddef.h>

/* Bytes needed to decode/encode len characters/bytes. */
#define PJ_B64URL_DECODED_MAX(len) ((len) / 4 * 3 + 2)
#define PJ_B64URL_ENCODED_LEN(len) (((len) / 3) * 4 + ((len) % 3 ? (len) % 3 + 1 : 0))

/* 1 if c is in the base64url alphabet. */
int pj_b64url_char(int c);

/* The number of leading characters of s[0..len) in the alphabet. */
size_t pj_b64url_span(const char *s, size_t len);

/* Decode exactly in[0..inlen) into out (capacity outcap).  Rejects padding,
 * any byte outside the alphabet, a length of 1 mod 4 and non-zero unused
 * trailing bits, so every byte string has exactly one accepted spelling.
 * Returns PJ_OK and sets *outlen, or PJ_E_MALFORMED. */
int pj_b64url_decode(const char *in, size_t inlen, unsigned char *out,
    size_t outcap, size_t *outlen) __attribute__((warn_unused_result));

/* Decode into a new buffer (NUL-terminated for convenience; *outlen excludes
 * the NUL).  Caller frees (and wipes, if secret). */
int pj_b64url_decode_alloc(const char *in, size_t inlen, unsigned char **out,
    size_t *outlen) __attribute__((warn_unused_result));

/* Encode; out must hold PJ_B64URL_ENCODED_LEN(len) + 1 bytes (NUL added). */
void pj_b64url_encode(const unsigned char *in, size_t len, char *out);

/* Encode into a new NUL-terminated string, or NULL on allocation failure. */
char *pj_b64url_encode_alloc(const unsigned char *in, size_t len);

#endif
