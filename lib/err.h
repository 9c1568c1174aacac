/* err.h - pam_jwt error codes: negative values, 0 is success.
 *
 * Every lib/ function returns one of these.  The class of a code decides the
 * PAM result (see pj_err_class); the words for the log come from pj_strerror
 * plus the detail a function wrote into the caller's reason buffer.
 */
#ifndef PJ_ERR_H
#define PJ_ERR_H

#include <stddef.h>

enum pj_err {
	PJ_OK = 0,
	/* input is not shaped like a compact JWS: PAM_IGNORE */
	PJ_E_NOT_JWS = -1,
	/* rejections: PAM_AUTH_ERR */
	PJ_E_TOO_LONG = -10,
	PJ_E_MALFORMED = -11,   /* bad base64url, JSON, structure */
	PJ_E_ALG = -12,         /* algorithm missing, unknown, none or not allowed */
	PJ_E_HEADER = -13,      /* crit, enc, b64, bad kid/typ member */
	PJ_E_NO_KEY = -14,      /* no configured key fits the token (kid, alg) */
	PJ_E_SIGNATURE = -15,   /* signature does not verify */
	PJ_E_EXPIRED = -16,
	PJ_E_NOT_YET = -17,     /* nbf in the future, or iat in the future */
	PJ_E_CLAIM = -18,       /* a claim is missing, of the wrong type or wrong */
	PJ_E_ISSUER = -19,
	PJ_E_AUDIENCE = -20,
	PJ_E_LIFETIME = -21,    /* max_ttl, max_age */
	PJ_E_TYP = -22,
	PJ_E_REPLAY = -23,
	PJ_E_USER = -24,        /* user claim missing/invalid, unmapped, other user */
	PJ_E_ACCOUNT = -25,     /* account refused: root, system uid */
	PJ_E_REVOKED = -26,     /* listed in revoked_file or the Redis store */
	/* PAM_USER_UNKNOWN */
	PJ_E_USER_UNKNOWN = -40,
	/* PAM_AUTHINFO_UNAVAIL */
	PJ_E_KEY = -50,         /* key material missing, unreadable, unsafe, malformed, weak */
	PJ_E_STORE = -51,       /* replay store unusable */
	/* PAM_SERVICE_ERR */
	PJ_E_CONFIG = -60,
	/* PAM_BUF_ERR / PAM_SYSTEM_ERR */
	PJ_E_NOMEM = -70,
	PJ_E_INTERNAL = -71,
};

enum pj_class {
	PJ_CLASS_OK,
	PJ_CLASS_IGNORE,
	PJ_CLASS_REJECT,
	PJ_CLASS_USER_UNKNOWN,
	PJ_CLASS_UNAVAIL,
	PJ_CLASS_CONFIG,
	PJ_CLASS_NOMEM,
	PJ_CLASS_INTERNAL,
};

enum pj_class pj_err_class(int err);

/* The PAM result of a class (PAM_SUCCESS, PAM_IGNORE, ...) and its name
 * ("PAM_SUCCESS"): the one table the module and `pamjwt verify` share. */
int pj_class_pam(enum pj_class c);
const char *pj_class_pam_name(enum pj_class c);
const char *pj_strerror(int err);

/* Write a formatted reason into buf (capacity len) unless buf is NULL or
 * already holds one (the first, most specific reason wins).  Returns err so a
 * function can "return pj_reason(...)" or "r = pj_reason(...)". */
int pj_reason(int err, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
