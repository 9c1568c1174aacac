/* err.c - error classes and words */
#include "err.h"

#include <security/_pam_types.h>

#include <stdarg.h>
#include <stdio.h>

enum pj_class
pj_err_class(int err)
{
	if (err == PJ_OK)
		return PJ_CLASS_OK;
	if (err == PJ_E_NOT_JWS)
		return PJ_CLASS_IGNORE;
	if (err <= PJ_E_TOO_LONG && err >= PJ_E_REVOKED)
		return PJ_CLASS_REJECT;
	if (err == PJ_E_USER_UNKNOWN)
		return PJ_CLASS_USER_UNKNOWN;
	if (err == PJ_E_KEY || err == PJ_E_STORE)
		return PJ_CLASS_UNAVAIL;
	if (err == PJ_E_CONFIG)
		return PJ_CLASS_CONFIG;
	if (err == PJ_E_NOMEM)
		return PJ_CLASS_NOMEM;
	return PJ_CLASS_INTERNAL;
}

const char *
pj_strerror(int err)
{
	switch (err) {
	case PJ_OK: return "success";
	case PJ_E_NOT_JWS: return "not a compact JWS";
	case PJ_E_TOO_LONG: return "token too long";
	case PJ_E_MALFORMED: return "malformed token";
	case PJ_E_ALG: return "algorithm not allowed";
	case PJ_E_HEADER: return "unacceptable header";
	case PJ_E_NO_KEY: return "no key for token";
	case PJ_E_SIGNATURE: return "bad signature";
	case PJ_E_EXPIRED: return "token expired";
	case PJ_E_NOT_YET: return "token not yet valid";
	case PJ_E_CLAIM: return "claim missing or wrong";
	case PJ_E_ISSUER: return "issuer not accepted";
	case PJ_E_AUDIENCE: return "audience not accepted";
	case PJ_E_LIFETIME: return "lifetime not accepted";
	case PJ_E_TYP: return "typ not accepted";
	case PJ_E_REPLAY: return "token already used";
	case PJ_E_USER: return "user not accepted";
	case PJ_E_ACCOUNT: return "account not allowed";
	case PJ_E_REVOKED: return "token revoked";
	case PJ_E_USER_UNKNOWN: return "unknown user";
	case PJ_E_KEY: return "key unavailable";
	case PJ_E_STORE: return "replay store unavailable";
	case PJ_E_CONFIG: return "configuration error";
	case PJ_E_NOMEM: return "out of memory";
	default: return "internal error";
	}
}

int
pj_reason(int err, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0 || buf[0] != '\0')
		return err;
	va_start(ap, fmt);
	(void)vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return err;
}

int
pj_class_pam(enum pj_class c)
{
	switch (c) {
	case PJ_CLASS_OK: return PAM_SUCCESS;
	case PJ_CLASS_IGNORE: return PAM_IGNORE;
	case PJ_CLASS_REJECT: return PAM_AUTH_ERR;
	case PJ_CLASS_USER_UNKNOWN: return PAM_USER_UNKNOWN;
	case PJ_CLASS_UNAVAIL: return PAM_AUTHINFO_UNAVAIL;
	case PJ_CLASS_CONFIG: return PAM_SERVICE_ERR;
	case PJ_CLASS_NOMEM: return PAM_BUF_ERR;
	case PJ_CLASS_INTERNAL: break;
	}
	return PAM_SYSTEM_ERR;
}

const char *
pj_class_pam_name(enum pj_class c)
{
	switch (c) {
	case PJ_CLASS_OK: return "PAM_SUCCESS";
	case PJ_CLASS_IGNORE: return "PAM_IGNORE";
	case PJ_CLASS_REJECT: return "PAM_AUTH_ERR";
	case PJ_CLASS_USER_UNKNOWN: return "PAM_USER_UNKNOWN";
	case PJ_CLASS_UNAVAIL: return "PAM_AUTHINFO_UNAVAIL";
	case PJ_CLASS_CONFIG: return "PAM_SERVICE_ERR";
	case PJ_CLASS_NOMEM: return "PAM_BUF_ERR";
	case PJ_CLASS_INTERNAL: break;
	}
	return "PAM_SYSTEM_ERR";
}
