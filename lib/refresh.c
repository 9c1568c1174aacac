/* refresh.c - the refresh request of an unknown kid (refresh.h) */
#include "refresh.h"
#include "bind.h"
#include "err.h"
#include "jws.h"
#include "key.h"
#include "options.h"
#include "text.h"
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ISS_MAX 1024

/* Touch path unless its mtime is less than interval seconds before now. */
static int
touch(const char *path, long long interval, long long now,
    enum pj_refresh_state *state, char *reason, size_t rlen)
{
	struct stat st;
	int fd, r = PJ_E_INTERNAL;

	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return pj_reason(PJ_E_CONFIG, reason, rlen,
			    "refresh_request %s is not a regular file", path);
		/* a time in the future (clock set back) does not hold
		 * requests off for ever */
		if ((long long)st.st_mtime <= now &&
		    now - (long long)st.st_mtime < interval) {
			*state = PJ_REFRESH_RECENT;
			return PJ_OK;
		}
	}
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK, 0644);
	if (fd < 0)
		return pj_reason(PJ_E_CONFIG, reason, rlen,
		    "refresh_request %s: %s%s", path, strerror(errno),
		    errno == ENOENT ? " (its directory is missing: is "
		    "pam_jwt-jwks-refresh.path enabled?)" : "");
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid())) {
		r = pj_reason(PJ_E_CONFIG, reason, rlen,
		    "refresh_request %s is not a regular file of root", path);
		goto out;
	}
	/* the new time is the request (and closing a file opened for
	 * writing is what a PathChanged= unit waits for) */
	if (futimens(fd, NULL) != 0) {
		r = pj_reason(PJ_E_CONFIG, reason, rlen,
		    "refresh_request %s: %s", path, strerror(errno));
		goto out;
	}
	*state = PJ_REFRESH_REQUESTED;
	r = PJ_OK;
out:
	(void)close(fd);
	return r;
}

int
pj_refresh_maybe(const struct pj_options *o, const char *tok, size_t len,
    const struct pj_result *res, long long now, enum pj_refresh_state *state,
    char *reason, size_t rlen)
{
	const struct pj_options *c = NULL;
	struct pj_keyset ks;
	struct pj_jws peek;
	char iss[ISS_MAX], dummy[8] = "";
	size_t i;
	int r = PJ_OK, known = 0;

	*state = PJ_REFRESH_NONE;
	memset(&ks, 0, sizeof(ks));
	memset(&peek, 0, sizeof(peek));
	/* no key for the token's kid and alg (a new kid, or a new key type
	 * the set had none of): the set may be out of date */
	if (res->err != PJ_E_NO_KEY && res->err != PJ_E_ALG)
		return PJ_OK;
	if (pj_bind_choose(o, tok, len, &c, NULL, 0) != PJ_OK || c == NULL)
		return PJ_OK;
	if (c->refresh_request == NULL || c->jwks_file == NULL)
		return PJ_OK;
	/* only a configured issuer's tokens ask (the claim is unverified:
	 * this only spares the provider the requests of foreign tokens) */
	if (!pj_token_peek_iss(tok, len, iss, sizeof(iss)) ||
	    !pj_strlist_has(&c->issuer, iss))
		return PJ_OK;
	if (pj_jws_peek_header(tok, len, &peek, dummy, sizeof(dummy)) != PJ_OK ||
	    peek.kid == NULL)
		goto out;
	/* a kid the set holds (a known key, another alg): nothing new */
	if (pj_keyset_load(c, &ks, NULL, 0) == PJ_OK)
		for (i = 0; i < ks.n; i++)
			if (ks.keys[i].kid != NULL &&
			    strcmp(ks.keys[i].kid, peek.kid) == 0)
				known = 1;
	if (!known)
		r = touch(c->refresh_request, c->refresh_interval, now, state,
		    reason, rlen);
out:
	pj_keyset_free(&ks);
	pj_jws_clear(&peek);
	return r;
}
