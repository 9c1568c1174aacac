/* pam_jwt.c - the PAM entry points: read options, get the token, call lib/,
 * answer PAM, log one line. */
#define PAM_SM_AUTH

#include "lib/err.h"
#include "lib/jws.h"
#include "lib/key.h"
#include "lib/options.h"
#include "lib/prompt.h"
#include "lib/refresh.h"
#include "lib/verify.h"

#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#define PART_PROMPT_MAX 64
#define PART_MAX 64 /* 16 KiB in pieces of 500 needs 33 */
/* Where stock clients cut one answer without a word (pam_jwt(8), LONG
 * TOKENS): the OpenSSH client, a terminal line. */
#define SSH_ANSWER_MAX 1023
#define TTY_LINE_MAX 4095

static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

/* Ask with prompt; *out is the answer (caller wipes), or NULL. */
static int
ask(pam_handle_t *pamh, const char *prompt, char **out)
{
	char *resp = NULL;
	int r;

	*out = NULL;
	r = pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp, "%s", prompt);
	if (r != PAM_SUCCESS) {
		wipe_free(resp);
		return r;
	}
	if (resp == NULL)
		return PAM_CONV_ERR;
	*out = resp; /* transferred */
	return PAM_SUCCESS;
}

/* Append piece (trimmed) to *buf. */
static int
append(char **buf, size_t *len, const char *piece)
{
	const char *p = piece;
	size_t n = strlen(piece);
	char *nb;

	pj_trim(&p, &n);
	nb = malloc(*len + n + 1);
	if (nb == NULL)
		return PAM_BUF_ERR;
	memcpy(nb, *buf, *len);
	memcpy(nb + *len, p, n);
	nb[*len + n] = '\0';
	sodium_memzero(*buf, *len);
	free(*buf);
	*buf = nb;
	*len += n;
	return PAM_SUCCESS;
}

/* 1 if piece (untrimmed) equals the first tlen bytes of tok. */
static int
same_answer(const char *piece, const char *tok, size_t tlen)
{
	const char *p = piece;
	size_t n = strlen(piece);

	pj_trim(&p, &n);
	return n == tlen && memcmp(p, tok, n) == 0;
}

/* The module asks itself: one prompt, then "Token (part N): " while the
 * answer is a visibly unfinished token (pam_jwt(8), LONG TOKENS).  *parts:
 * how many answers were joined; *repeated: the client answered a part
 * prompt with the first answer again (sshd's password method does). */
static int
read_token(pam_handle_t *pamh, const struct pj_options *o,
    const struct pj_keyset *ks, char **out, int *parts, int *repeated,
    struct pj_jws *peek)
{
	char *tok = NULL, *piece = NULL, prompt[PART_PROMPT_MAX];
	const char *t;
	size_t len, tl, first_len;
	int r, part;

	*out = NULL;
	*parts = 1;
	*repeated = 0;
	r = ask(pamh, o->prompt, &piece);
	if (r != PAM_SUCCESS)
		goto out;
	tok = strdup("");
	len = 0;
	if (tok == NULL) {
		r = PAM_BUF_ERR;
		goto out;
	}
	r = append(&tok, &len, piece);
	wipe_free(piece);
	piece = NULL;
	if (r != PAM_SUCCESS)
		goto out;
	first_len = len;
	for (part = 2; len <= PJ_TOKEN_MAX && part <= PART_MAX; part++) {
		t = tok;
		tl = len;
		/* judged whole: its parsed header is kept for the decision
		 * (cut_note), the token not changed after this */
		if (!pj_token_unfinished_peek(t, tl, ks, peek))
			break;
		if (part == 2 && (first_len == SSH_ANSWER_MAX ||
		    first_len == TTY_LINE_MAX))
			/* a person who pasted a long token whole, and saw it
			 * cut where the client cuts, is told why it asks again
			 * (not askpass or sudo -A: sudo prints this on stdout) */
			(void)pam_info(pamh, "The token was cut at %zu characters "
			    "(the most %s sends in one answer).  Paste the rest at "
			    "the next prompts, at most 500 characters each time; "
			    "an empty answer ends.", first_len,
			    first_len == SSH_ANSWER_MAX ? "the ssh client" :
			    "a terminal line");
		(void)snprintf(prompt, sizeof(prompt), "Token (part %d): ", part);
		r = ask(pamh, prompt, &piece);
		if (r != PAM_SUCCESS)
			goto out;
		if (piece[0] == '\0')
			break; /* an empty answer ends it */
		if (same_answer(piece, tok, first_len)) {
			*repeated = 1;
			break;
		}
		r = append(&tok, &len, piece);
		wipe_free(piece);
		piece = NULL;
		if (r != PAM_SUCCESS)
			goto out;
		*parts = part;
	}
	*out = tok; /* transferred */
	tok = NULL;
	r = PAM_SUCCESS;
out:
	wipe_free(piece);
	wipe_free(tok);
	return r;
}

/* PAM_RHOST in the log: a host name has at most 253 bytes */
#define LOG_RHOST_MAX 255

/* cut: the answers ended while the token still looked unfinished */
static void
log_result(pam_handle_t *pamh, const struct pj_options *o,
    const struct pj_result *res, const char *pam_user, const char *cut)
{
	char reason[PJ_REASON_MAX], user[PJ_LOGVAL_SIZE(PJ_LOG_USER_MAX)];
	char rhost[sizeof(" rhost=") + PJ_LOGVAL_SIZE(LOG_RHOST_MAX)];
	const void *item = NULL;
	enum pj_class c = pj_err_class(res->err);
	int prio;

	pj_sanitize(reason, sizeof(reason), res->reason);
	pj_logstr(user, sizeof(user), res->user ? res->user : pam_user,
	    PJ_LOG_USER_MAX);
	/* the client's address, for the reader and for fail2ban (only when
	 * the application set one: sshd does, su and sudo do not) */
	rhost[0] = '\0';
	if (pam_get_item(pamh, PAM_RHOST, &item) == PAM_SUCCESS &&
	    item != NULL && ((const char *)item)[0] != '\0') {
		memcpy(rhost, " rhost=", sizeof(" rhost="));
		pj_logstr(rhost + sizeof(" rhost=") - 1,
		    sizeof(rhost) - (sizeof(" rhost=") - 1), item, LOG_RHOST_MAX);
	}
	switch (c) {
	case PJ_CLASS_OK:
		pam_syslog(pamh, LOG_INFO,
		    "accepted: user=%s%s sub=%s iss=%s jti=%s kid=%s alg=%s", user,
		    rhost, res->sub, res->iss, res->jti, res->kid, res->alg);
		return;
	case PJ_CLASS_IGNORE:
		prio = o->debug ? LOG_INFO : LOG_DEBUG;
		pam_syslog(pamh, prio, "ignored: %s", "input is not a token");
		return;
	case PJ_CLASS_REJECT:
	case PJ_CLASS_USER_UNKNOWN:
		prio = LOG_NOTICE;
		break;
	default:
		prio = LOG_ERR;
		break;
	}
	pam_syslog(pamh, prio,
	    "rejected: %s: %s%s; user=%s%s sub=%s iss=%s jti=%s kid=%s alg=%s%s",
	    pj_strerror(res->err), reason, cut, user, rhost, res->sub, res->iss,
	    res->jti, res->kid, res->alg,
	    res->verified ? "" : " (claims unverified)");
}

/* With debug: say which keys of a JWK Set are skipped, and why. */
static void
log_key_notes(pam_handle_t *pamh, const struct pj_keyset *ks)
{
	char kid[PJ_LOGVAL_SIZE(PJ_LOG_KID_MAX)], note[160];
	size_t i;

	for (i = 0; i < ks->n; i++) {
		if (ks->keys[i].algs != 0)
			continue;
		pj_logstr(kid, sizeof(kid), ks->keys[i].kid ? ks->keys[i].kid : "-",
		    PJ_LOG_KID_MAX);
		pj_sanitize(note, sizeof(note), ks->keys[i].note);
		pam_syslog(pamh, LOG_DEBUG, "key %zu (kid %s) is unusable: %s", i, kid,
		    note);
	}
}

/* Before the token: libsodium, the options for this service, PAM_USER
 * (*pam_user NULL when unset).  An unreadable item fails closed: read as
 * "unset", PAM_SERVICE would drop the [service] section, PAM_USER the
 * check of the account. */
static int
setup(pam_handle_t *pamh, int argc, const char **argv, struct pj_options *o,
    const char **pam_user)
{
	const void *item = NULL;
	char reason[PJ_REASON_MAX] = "", safe[PJ_REASON_MAX];
	int r;

	*pam_user = NULL;
	if (sodium_init() < 0) {
		pam_syslog(pamh, LOG_ERR, "libsodium cannot be initialised");
		return PAM_SYSTEM_ERR;
	}
	if (pam_get_item(pamh, PAM_SERVICE, &item) != PAM_SUCCESS) {
		pam_syslog(pamh, LOG_ERR, "cannot read PAM_SERVICE");
		return PAM_SYSTEM_ERR;
	}
	r = pj_options_load(o, argc, argv, item, reason, sizeof(reason));
	if (r != PJ_OK) {
		pj_sanitize(safe, sizeof(safe), reason[0] ? reason : pj_strerror(r));
		pam_syslog(pamh, LOG_ERR, "configuration error: %s", safe);
		return r == PJ_E_NOMEM ? PAM_BUF_ERR : PAM_SERVICE_ERR;
	}
	item = NULL;
	if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS) {
		pam_syslog(pamh, LOG_ERR, "cannot read PAM_USER");
		return PAM_SYSTEM_ERR;
	}
	if (item != NULL && ((const char *)item)[0] != '\0')
		*pam_user = item;
	return PAM_SUCCESS;
}

/* What the module got as the token, and how. */
struct answer {
	char *tok;               /* as read (wiped on free) */
	struct pj_keyset ks;     /* loaded before asking, if have_ks */
	int have_ks;
	int parts;               /* answers joined (0: from PAM_AUTHTOK) */
	int repeated;            /* a part prompt answered with the first answer */
	struct pj_jws peek;      /* header of tok as read, if judged whole */
};

/* The token: from an earlier module (use_first_pass, try_first_pass), or
 * asked for, in parts if it is long; what was typed then goes to
 * PAM_AUTHTOK for later modules. */
static int
get_token(pam_handle_t *pamh, const struct pj_options *o, struct answer *a)
{
	const void *item = NULL;
	char reason[PJ_REASON_MAX] = "";
	int r;

	if (o->use_first_pass || o->try_first_pass) {
		if (pam_get_item(pamh, PAM_AUTHTOK, &item) == PAM_SUCCESS &&
		    item != NULL && (a->tok = strdup(item)) == NULL)
			return PAM_BUF_ERR;
		if (a->tok == NULL && o->use_first_pass) {
			pam_syslog(pamh, LOG_NOTICE,
			    "rejected: use_first_pass, but no earlier module read a token");
			return PAM_AUTH_ERR;
		}
		if (a->tok != NULL)
			return PAM_SUCCESS;
	}
	/* keys first, so the continuation prompt knows signature sizes */
	a->have_ks = pj_keyset_load(o, &a->ks, reason, sizeof(reason)) == PJ_OK;
	sodium_memzero(reason, sizeof(reason));
	if (a->have_ks && o->debug)
		log_key_notes(pamh, &a->ks);
	r = read_token(pamh, o, a->have_ks ? &a->ks : NULL, &a->tok, &a->parts,
	    &a->repeated, &a->peek);
	if (r != PAM_SUCCESS) {
		pam_syslog(pamh, LOG_NOTICE,
		    "conversation failed (%s): the client refused or cut the "
		    "answer; sudo refuses answers of 512 bytes or more: enter a "
		    "long token in parts of at most 500 characters (pamjwt askpass "
		    "does this)", pam_strerror(pamh, r));
		return r;
	}
	/* later modules (try_first_pass) get what was typed */
	(void)pam_set_item(pamh, PAM_AUTHTOK, a->tok);
	return PAM_SUCCESS;
}

/* The note for the log when the module asked for parts and the answers
 * ended before the token was whole ("" otherwise). */
static void
cut_note(char *cut, size_t len, struct answer *a, const char *t,
    size_t tl, struct pj_jws *peek)
{
	cut[0] = '\0';
	if (a->peek.parsed && !a->repeated && t == a->tok &&
	    tl == strlen(a->tok)) {
		/* nothing trimmed: the bytes read_token judged whole, with
		 * the same keys; their header is parsed already */
		*peek = a->peek;
		memset(&a->peek, 0, sizeof(a->peek));
		return;
	}
	if (a->repeated)
		(void)snprintf(cut, len, " (the client answered \"Token "
		    "(part 2)\" with the first answer again, as sshd's password "
		    "method does: use keyboard-interactive for long tokens)");
	else if (a->parts > 0 && pj_token_unfinished_peek(t, tl,
	    a->have_ks ? &a->ks : NULL, peek))
		(void)snprintf(cut, len, " (the answers ended after %d "
		    "part%s, %zu characters, before the token was whole: cut by "
		    "the client or the askpass?)", a->parts,
		    a->parts == 1 ? "" : "s", tl);
}

/* The decision on the trimmed token t (its header parsed once, by
 * cut_note, when it could be), and what success does to PAM_AUTHTOK and
 * PAM_USER. */
static int
decide(pam_handle_t *pamh, const struct pj_options *o, const struct answer *a,
    const char *t, size_t tl, struct pj_jws *peek, const char *pam_user,
    const char *cut, struct pj_result *res)
{
	int r;

	(void)pj_verify_peeked(o, a->have_ks ? &a->ks : NULL, t, tl, peek,
	    pam_user, (long long)time(NULL), res);
	/* asked for parts, never whole: a token cut short, not a password */
	if (cut[0] != '\0' && pj_err_class(res->err) == PJ_CLASS_IGNORE) {
		res->reason[0] = '\0';
		res->err = pj_reason(PJ_E_MALFORMED, res->reason,
		    sizeof(res->reason), "incomplete token");
	}
	r = pj_class_pam(pj_err_class(res->err));
	if (r == PAM_SUCCESS && pam_user == NULL &&
	    pam_set_item(pamh, PAM_USER, res->user) != PAM_SUCCESS) {
		res->err = pj_reason(PJ_E_INTERNAL, res->reason,
		    sizeof(res->reason), "cannot set PAM_USER");
		r = PAM_SYSTEM_ERR;
	}
	/* a verified token is a bearer credential, perhaps good for other
	 * hosts until it expires: later modules (pam_exec expose_authtok,
	 * pam_gnome_keyring, ...) do not get it unless keep_authtok says so.
	 * A password, or a token that failed, stays for pam_unix. */
	if (r == PAM_SUCCESS && !o->keep_authtok)
		(void)pam_set_item(pamh, PAM_AUTHTOK, NULL);
	return r;
}

/* A token whose kid the local JWK Set lacks: ask the host to fetch the set
 * again (lib/refresh.h), and say so in the rejection's line.  The login
 * answers now, from the file as it is. */
static void
refresh(pam_handle_t *pamh, const struct pj_options *o, const char *t,
    size_t tl, struct pj_result *res)
{
	enum pj_refresh_state st = PJ_REFRESH_NONE;
	char reason[PJ_REASON_MAX] = "", safe[PJ_REASON_MAX];
	const char *note = "";
	size_t n;

	if (pj_refresh_maybe(o, t, tl, res, (long long)time(NULL), &st, reason,
	    sizeof(reason)) != PJ_OK) {
		pj_sanitize(safe, sizeof(safe), reason);
		pam_syslog(pamh, LOG_WARNING, "cannot request a JWK Set refresh: %s",
		    safe);
		return;
	}
	if (st == PJ_REFRESH_REQUESTED)
		note = " (JWK Set refresh requested)";
	else if (st == PJ_REFRESH_RECENT)
		note = " (JWK Set refresh already requested)";
	n = strlen(res->reason);
	if (note[0] != '\0' && n + strlen(note) < sizeof(res->reason))
		memcpy(res->reason + n, note, strlen(note) + 1);
}

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	struct pj_options o;
	struct pj_result res;
	struct pj_jws peek;
	struct answer a;
	const char *pam_user = NULL, *t;
	char cut[192];
	size_t tl;
	int r;

	(void)flags;
	memset(&a, 0, sizeof(a));
	memset(&res, 0, sizeof(res));
	memset(&peek, 0, sizeof(peek));
	pj_options_init(&o);
	if ((r = setup(pamh, argc, argv, &o, &pam_user)) != PAM_SUCCESS)
		goto out;
	if ((r = get_token(pamh, &o, &a)) != PAM_SUCCESS)
		goto out;
	t = a.tok;
	tl = strlen(a.tok);
	pj_trim(&t, &tl);
	cut_note(cut, sizeof(cut), &a, t, tl, &peek);
	r = decide(pamh, &o, &a, t, tl, &peek, pam_user, cut, &res);
	refresh(pamh, &o, t, tl, &res);
	log_result(pamh, &o, &res, pam_user, cut);
out:
	pj_jws_clear(&peek);
	pj_jws_clear(&a.peek);
	pj_result_clear(&res);
	pj_keyset_free(&a.ks);
	wipe_free(a.tok);
	pj_options_free(&o);
	return r;
}

PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
