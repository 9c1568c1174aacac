/* revoke.h - revocation before expiry (pam_jwt.conf(5), Revocation): the
 * revocation file, its strict parser, and the check the module runs at
 * every login (against the file, and against Redis when replay_cache names
 * one). */
#ifndef PJ_REVOKE_H
#define PJ_REVOKE_H

#include <stddef.h>
#include <jansson.h>

struct pj_options;

#define PJ_REVOKE_FILE_MAX (8 * 1024 * 1024)
#define PJ_REVOKE_LINE_MAX 8192

enum pj_revoke_type {
	PJ_REVOKE_JTI,   /* "jti UNTIL ISS JTI": one token */
	PJ_REVOKE_SUB,   /* "sub UNTIL ISS SUB BEFORE": iat < BEFORE (or no iat) */
	PJ_REVOKE_KID,   /* "kid UNTIL KID": every token naming that key */
};

/* One entry.  a is ISS (jti, sub) or KID; b is JTI or SUB (NULL for kid).
 * Values are bytes (may hold any byte, NUL too): use the lengths.  until
 * is when the entry stops mattering (seconds since the epoch; 0 never):
 * see pj_revoke_matches for what the module makes of it. */
struct pj_revoke_entry {
	enum pj_revoke_type type;
	long long until;
	const char *a;
	size_t alen;
	const char *b;
	size_t blen;
	long long before;       /* sub only */
	unsigned int line;      /* where it was read (1-based) */
};

/* What a token offers to match against. */
struct pj_revoke_token {
	const char *iss, *jti, *sub, *kid;  /* NULL when absent */
	size_t iss_len, jti_len, sub_len, kid_len;
	long long iat;
	int has_iat;
	/* the kid of the key that verified the signature (NULL: a key
	 * without kid); a kid entry matches it as well as the header's kid,
	 * since a token without kid may be verified by a keyed key */
	const char *key_kid;
	size_t key_kid_len;
	long long exp;
	int has_exp;
};

/* Parse the whole text (len bytes); for each entry call cb(ctx, e) (e's
 * values valid during the call only); a non-zero cb result stops and is
 * returned.  The text must be whole: every line ends with "\n"; blank
 * lines and lines beginning with "#" are skipped.  PJ_OK, or err_code with
 * "NAME:LINE: ..." in reason for anything malformed; PJ_E_NOMEM. */
int pj_revoke_parse(const char *text, size_t len, const char *name,
    int err_code, int (*cb)(void *ctx, const struct pj_revoke_entry *e),
    void *ctx, char *reason, size_t rlen) __attribute__((warn_unused_result));

/* 1 if e revokes t, else 0.  An entry whose UNTIL has passed at now still
 * revokes, unless t has an exp with exp + PJ_LEEWAY_MAX <= UNTIL (then no
 * host can accept t anyway): a lapsed entry never lets a token in again,
 * whatever lifetime the issuer gave it. */
int pj_revoke_matches(const struct pj_revoke_entry *e,
    const struct pj_revoke_token *t, long long now);

/* e as one line with its "\n" (a new string): values percent-encoded.
 * PJ_OK, or PJ_E_NOMEM. */
int pj_revoke_format(const struct pj_revoke_entry *e, char **line)
    __attribute__((warn_unused_result));

/* The token's facts from verified claims, the header's kid and the kid of
 * the key that verified it (each may be NULL).  Pointers borrow from
 * claims and the arguments. */
void pj_revoke_token_from(json_t *claims, const char *kid,
    const char *key_kid, struct pj_revoke_token *t);

/* The module's check: revoked_file (if set), then Redis (if replay_cache
 * is a Redis URL).  With either, a token without iss is refused
 * (PJ_E_CLAIM): its jti and sub could not be revoked.  kid is the
 * header's, key_kid that of the key that verified the signature
 * (pj_jws.key_kid); a kid entry naming either revokes.  PJ_OK (not
 * revoked), PJ_E_REVOKED, PJ_E_CLAIM, PJ_E_KEY (file missing, unsafe or
 * malformed), PJ_E_STORE (Redis unusable). */
int pj_revoke_check(const struct pj_options *o, json_t *claims,
    const char *kid, const char *key_kid, long long now, char *reason,
    size_t rlen)
    __attribute__((warn_unused_result));

#endif
