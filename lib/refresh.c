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
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory of path, opened without following a link there, checked:
 * owned by root or by us, writable by nobody else (whoever can write it can
 * put a link or a file of theirs in the request's place).  The descriptor,
 * or -1 with the reason; *base is the file's name in it. */
static int
open_parent(const char *path, const char **base, char *reason, size_t rlen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;
	size_t n;
	int dfd;

	if (slash == NULL || slash[1] == '\0') {
		(void)pj_reason(PJ_E_CONFIG, reason, rlen,
		    "refresh_request %s is not an absolute file name", path);
		return -1;
	}
	n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof(dir)) {
		(void)pj_reason(PJ_E_CONFIG, reason, rlen,
		    "refresh_request %s: name too long", path);
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	*base = slash + 1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		(void)pj_reason(PJ_E_CONFIG, reason, rlen,
		    "refresh_request %s: %s: %s%s", path, dir, strerror(errno),
		    errno == ENOENT ? " (its directory is missing: is "
		    "pam_jwt-jwks-refresh.path enabled?)" : errno == ELOOP ||
		    errno == ENOTDIR ? " (a symbolic link is not followed)" : "");
		return -1;
	}
	if (fstat(dfd, &st) != 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		(void)pj_reason(PJ_E_CONFIG, reason, rlen,
		    "refresh_request %s: its directory %s is not owned by root "
		    "or writable by others (no refresh requested)", path, dir);
		(void)close(dfd);
		return -1;
	}
	return dfd;
}

/* Touch path unless its mtime is less than interval seconds before now. */
static int
touch(const char *path, long long interval, long long now,
    enum pj_refresh_state *state, char *reason, size_t rlen)
{
	struct stat st;
	const char *base = NULL;
	int dfd, fd = -1, r = PJ_E_CONFIG;

	dfd = open_parent(path, &base, reason, rlen);
	if (dfd < 0)
		return PJ_E_CONFIG;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISREG(st.st_mode)) {
			r = pj_reason(PJ_E_CONFIG, reason, rlen,
			    "refresh_request %s is not a regular file", path);
			goto out;
		}
		/* a time in the future (clock set back) does not hold
		 * requests off for ever */
		if ((long long)st.st_mtime <= now &&
		    now - (long long)st.st_mtime < interval) {
			*state = PJ_REFRESH_RECENT;
			r = PJ_OK;
			goto out;
		}
	}
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK, 0644);
	if (fd < 0) {
		r = pj_reason(PJ_E_CONFIG, reason, rlen,
		    "refresh_request %s: %s", path, strerror(errno));
		goto out;
	}
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
	if (fd >= 0)
		(void)close(fd);
	(void)close(dfd);
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
	char iss[PJ_ISS_MAX], dummy[8] = "";
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
