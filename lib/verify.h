/* verify.h - the whole decision, shared by the module and `pamjwt verify` */
#ifndef PJ_VERIFY_H
#define PJ_VERIFY_H

#include <stddef.h>
#include <jansson.h>

#include "logval.h"
#include "text.h"

struct pj_options;
struct pj_keyset;
struct pj_jws;

#define PJ_REASON_MAX 256
/* What sshd passes to PAM instead of the answer for an account it will not
 * log in (one that does not exist, or root without PermitRootLogin yes):
 * these bytes repeated to the answer's length (auth.c fake_password). */
#define PJ_SSHD_PLACEHOLDER "\b\n\r\177INCORRECT"

/* 1 if tok (len bytes, trimmed like any answer) is sshd's placeholder. */
int pj_sshd_placeholder(const char *tok, size_t len);
/* How many bytes of each identifying value the log shows (then "[cut]") */
#define PJ_LOG_KID_MAX 64
#define PJ_LOG_SUB_MAX 64
#define PJ_LOG_ISS_MAX 128
#define PJ_LOG_JTI_MAX 128
#define PJ_LOG_USER_MAX 64

struct pj_result {
	int err;                      /* PJ_OK or a negative enum pj_err */
	/* detail: our words; a value from the token or the client appears
	 * only escaped by pj_logval, and only once the signature verified */
	char reason[PJ_REASON_MAX];
	/* identifying values escaped by pj_logval for the log ("" when
	 * unknown); kid and alg come from the header, verified or not */
	char alg[8];
	char kid[PJ_LOGVAL_SIZE(PJ_LOG_KID_MAX)];
	char sub[PJ_LOGVAL_SIZE(PJ_LOG_SUB_MAX)];
	char iss[PJ_LOGVAL_SIZE(PJ_LOG_ISS_MAX)];
	char jti[PJ_LOGVAL_SIZE(PJ_LOG_JTI_MAX)];
	int verified;                 /* signature checked: sub/iss/jti are real */
	char *user;                   /* the mapped account on success */
	json_t *claims;               /* verified claims (for pamjwt), or NULL */
};

/* Everything after the token is read: length, shape, keys (ks may be NULL:
 * then loaded from the options' files), signature, claims, account
 * (pam_user may be NULL), and with single_use the replay record last.
 * now is the current time (seconds since the epoch). */
int pj_verify(const struct pj_options *o, const struct pj_keyset *ks,
    const char *token, size_t len, const char *pam_user, long long now,
    struct pj_result *res);

/* The same with the token's header already parsed by
 * pj_token_unfinished_peek on exactly these bytes (peeked may be NULL or
 * hold no header: then parsed here).  *peeked is consumed and left clear
 * whatever the result. */
int pj_verify_peeked(const struct pj_options *o, const struct pj_keyset *ks,
    const char *token, size_t len, struct pj_jws *peeked,
    const char *pam_user, long long now, struct pj_result *res);

void pj_result_clear(struct pj_result *res);

#endif
