/* user.h - from the verified token to the local account (pam_jwt.conf(5),
 * Accounts and USER MAP) */
#ifndef PJ_USER_H
#define PJ_USER_H

#include <stddef.h>
#include <jansson.h>

#define PJ_USER_NAME_MAX 32
#define PJ_USER_MAP_MAX (1024 * 1024)

struct pj_options;

/* 1 if s is a name pam_jwt accepts for a local account: 1 to 32 of
 * [A-Za-z0-9._-], not starting with '-' or '.', not all digits. */
int pj_user_name_valid(const char *s);

/* 1 if a local account of exactly this name exists, 0 if not, -1 if the
 * lookup failed. */
int pj_user_exists(const char *name);

/* Glob with '*' and '?' only (no classes, no escapes): 1 on match. */
int pj_user_glob(const char *pattern, const char *s);

/* Map value through the user_map text (already read).  *out is a new string
 * or NULL when no line matches (PJ_OK either way); malformed lines are
 * PJ_E_CONFIG naming name:line. */
int pj_user_map_apply(const char *text, size_t len, const char *name,
    const char *value, char **out, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

/* The whole step: user_claim -> (user_map) -> account checks -> PAM_USER.
 * pam_user may be NULL (unset).  *out_user is the account name (new
 * string) on PJ_OK. */
int pj_user_resolve(const struct pj_options *o, json_t *claims,
    const char *pam_user, char **out_user, char *reason, size_t rlen)
    __attribute__((warn_unused_result));

#endif
