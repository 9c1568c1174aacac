/* spki.h - a strict DER reader for the SubjectPublicKeyInfo that pam_jwt
 * accepts (RFC 5280 4.1.2.7 with RFC 3279 RSA/EC and RFC 8410 Ed25519).
 *
 * OpenSSL 3's generic decoder costs 80-300 us per key, several times the
 * signature check; a key file is read at every authentication, so pam_jwt
 * reads these three shapes itself and builds the key from its numbers. */
#ifndef PJ_SPKI_H
#define PJ_SPKI_H

#include <stddef.h>

struct pj_curve;

enum pj_spki_type {
	PJ_SPKI_RSA = 1,
	PJ_SPKI_EC,
	PJ_SPKI_ED25519,
};

struct pj_spki {
	enum pj_spki_type type;
	const unsigned char *a;  /* RSA n (no leading zero) / EC point / Ed25519 key */
	size_t alen;
	const unsigned char *b;  /* RSA e (no leading zero), else NULL */
	size_t blen;
	const struct pj_curve *curve; /* EC: the named curve (curve.h) */
};

/* Parse der[0..len) completely (no trailing bytes, minimal lengths,
 * positive integers).  Pointers in out point into der.  PJ_OK, or
 * PJ_E_KEY with the reason (an unsupported algorithm or curve included). */
int pj_spki_parse(const unsigned char *der, size_t len, struct pj_spki *out,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

#endif
