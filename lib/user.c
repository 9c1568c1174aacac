/* user.c - mapping the token's person to a local account */
#include "user.h"
#include "err.h"
#include "file.h"
#include "logval.h"
#include "text.h"
#include "textcache.h"
#include "options.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PJ_CLAIM_VALUE_MAX 256

int
pj_user_name_valid(const char *s)
{
	size_t i, n = strlen(s);
	int digits = 1;

	if (n == 0 || n > PJ_USER_NAME_MAX || s[0] == '-' || s[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
		if (c < '0' || c > '9')
			digits = 0;
	}
	return !digits;
}

int
pj_user_glob(const char *p, const char *s)
{
	const char *star = NULL, *mark = NULL;

	while (*s) {
		if (*p == '?' || (*p != '*' && *p == *s)) {
			p++;
			s++;
		} else if (*p == '*') {
			star = p++;
			mark = s;
		} else if (star != NULL) {
			p = star + 1;
			s = ++mark;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

int
pj_user_map_apply(const char *text, size_t len, const char *name,
    const char *value, char **out, char *reason, size_t rlen)
{
	const char *p = text, *end = text + len, *line;
	char pat[512], local[128];
	size_t n, pl, ll, i;
	unsigned int lineno = 0;
	int matched = 0, r = PJ_OK;

	*out = NULL;
	if (memchr(text, '\0', len) != NULL)
		return pj_reason(PJ_E_CONFIG, reason, rlen, "%s: contains a NUL byte",
		    name);
	while (pj_next_line(&p, end, &line, &n)) {
		lineno++;
		if (n == 0 || line[0] == '#')
			continue;
		for (pl = 0; pl < n && !pj_is_blank(line[pl]); pl++)
			;
		for (i = pl; i < n && pj_is_blank(line[i]); i++)
			;
		ll = n - i;
		if (pl >= sizeof(pat) || ll == 0 || ll >= sizeof(local) ||
		    memchr(line + i, ' ', ll) != NULL ||
		    memchr(line + i, '\t', ll) != NULL) {
			r = pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: expected 'PATTERN LOCALUSER'", name, lineno);
			goto fail;
		}
		memcpy(pat, line, pl);
		pat[pl] = '\0';
		memcpy(local, line + i, ll);
		local[ll] = '\0';
		for (i = 0; i < pl; i++)
			if ((unsigned char)pat[i] < 0x20 || pat[i] == 0x7f) {
				r = pj_reason(PJ_E_CONFIG, reason, rlen,
				    "%s:%u: control character", name, lineno);
				goto fail;
			}
		if (strcmp(local, "%s") != 0 && strcmp(local, "%u") != 0 &&
		    !pj_user_name_valid(local)) {
			r = pj_reason(PJ_E_CONFIG, reason, rlen,
			    "%s:%u: '%.40s' is neither %%s, %%u nor a valid user name",
			    name, lineno, local);
			goto fail;
		}
		/* every line is checked, the first match wins */
		if (matched || !pj_user_glob(pat, value))
			continue;
		matched = 1;
		if (strcmp(local, "%s") == 0)
			*out = strdup(value);
		else if (strcmp(local, "%u") == 0) {
			/* exactly one '@': "a@evil@example.com" must not become "a" */
			const char *at = strchr(value, '@');

			if (at == NULL || at == value || strchr(at + 1, '@') != NULL)
				return pj_reason(PJ_E_USER, reason, rlen,
				    "%s:%u: %%u needs a value with exactly one '@' and "
				    "something before it", name, lineno);
			*out = strndup(value, (size_t)(at - value));
		}
		else
			*out = strdup(local);
		if (*out == NULL)
			return PJ_E_NOMEM;
	}
	return PJ_OK;
fail:
	/* a malformed line after the match: no result on error */
	free(*out);
	*out = NULL;
	return r;
}

static int
map_user(const struct pj_options *o, const char *value, char **out,
    char *reason, size_t rlen)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if (o->user_map == NULL) {
		*out = strdup(value);
		return *out ? PJ_OK : PJ_E_NOMEM;
	}
	/* kept between logins while the file is provably the same
	 * (lib/textcache.c), as the configuration file is */
	r = pj_textcache_read(o->user_map, PJ_FILE_PUBLIC, PJ_USER_MAP_MAX,
	    PJ_E_CONFIG, 0, &text, &len, reason, rlen);
	if (r != PJ_OK)
		goto out;
	r = pj_user_map_apply(text, len, o->user_map, value, out, reason, rlen);
	if (r == PJ_OK && *out == NULL) {
		char v[PJ_LOGVAL_SIZE(64)];

		pj_logstr(v, sizeof(v), value, 64);
		r = pj_reason(PJ_E_USER, reason, rlen,
		    "'%s' matches no line of the user map", v);
	}
out:
	pj_file_free(text, len);
	return r;
}

/* getpwnam_r with a buffer that grows to 1 MiB: *res NULL when there is no
 * such account or the lookup failed (*err then says which; 0, ENOENT,
 * ESRCH, EBADF and EPERM mean "no such account").  *buf is the caller's to
 * free.  PJ_OK, or PJ_E_NOMEM. */
static int
lookup(const char *name, struct passwd *pw, char **buf, struct passwd **res,
    int *err)
{
	size_t bufsz = 4096;

	*buf = NULL;
	*res = NULL;
	for (;;) {
		*buf = malloc(bufsz);
		if (*buf == NULL)
			return PJ_E_NOMEM;
		*err = getpwnam_r(name, pw, *buf, bufsz, res);
		if (*err != ERANGE || bufsz >= 1024 * 1024)
			return PJ_OK;
		free(*buf);
		*buf = NULL;
		bufsz *= 4;
	}
}

static int
no_such_account(int e)
{
	return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

int
pj_user_exists(const char *name)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL;
	int e = 0, r = -1;

	if (lookup(name, &pw, &buf, &res, &e) != PJ_OK)
		goto out;
	if (res != NULL)
		r = strcmp(res->pw_name, name) == 0;
	else if (no_such_account(e))
		r = 0;
out:
	free(buf);
	return r;
}

int
pj_user_resolve(const struct pj_options *o, json_t *claims,
    const char *pam_user, char **out_user, char *reason, size_t rlen)
{
	const char *claim = o->user_claim ? o->user_claim : "sub";
	json_t *v = json_object_get(claims, claim);
	struct passwd pw, *res = NULL;
	char *buf = NULL, *user = NULL;
	const char *value;
	int r, e = 0;

	*out_user = NULL;
	if (!json_is_string(v)) {
		r = pj_reason(PJ_E_USER, reason, rlen,
		    "user claim '%.32s' missing or not a string", claim);
		goto out;
	}
	value = json_string_value(v);
	if (strlen(value) != json_string_length(v) ||
	    json_string_length(v) > PJ_CLAIM_VALUE_MAX || value[0] == '\0') {
		r = pj_reason(PJ_E_USER, reason, rlen,
		    "user claim '%.32s' is empty, too long or holds NUL", claim);
		goto out;
	}
	r = map_user(o, value, &user, reason, rlen);
	if (r != PJ_OK)
		goto out;
	if (!pj_user_name_valid(user)) {
		char shown[PJ_LOGVAL_SIZE(64)];

		pj_logstr(shown, sizeof(shown), user, 64);
		r = pj_reason(PJ_E_USER, reason, rlen,
		    "'%s' is not a valid local user name", shown);
		goto out;
	}
	/* from here on user is a valid name: [A-Za-z0-9._-], safe to show */
	if ((r = lookup(user, &pw, &buf, &res, &e)) != PJ_OK)
		goto out;
	if (res == NULL) {
		if (!no_such_account(e))
			r = pj_reason(PJ_E_INTERNAL, reason, rlen,
			    "account lookup for '%s' failed: %s", user, strerror(e));
		else
			r = pj_reason(PJ_E_USER_UNKNOWN, reason, rlen,
			    "no local account '%s'", user);
		goto out;
	}
	/* NSS modules may match loosely (case): the name must be exact */
	if (strcmp(res->pw_name, user) != 0) {
		char shown[PJ_LOGVAL_SIZE(32)];

		pj_logstr(shown, sizeof(shown), res->pw_name, 32);
		r = pj_reason(PJ_E_USER, reason, rlen,
		    "account lookup for '%s' returned '%s'", user, shown);
		goto out;
	}
	if (res->pw_uid == 0 && !o->allow_root) {
		r = pj_reason(PJ_E_ACCOUNT, reason, rlen,
		    "'%s' has uid 0 and allow_root is off", user);
		goto out;
	}
	/* the overflow account (nobody) and (uid_t)-1/-2 are never people */
	if (res->pw_uid == 65534 || res->pw_uid >= (uid_t)-2) {
		r = pj_reason(PJ_E_ACCOUNT, reason, rlen,
		    "'%s' has uid %lu, the unprivileged overflow account", user,
		    (unsigned long)res->pw_uid);
		goto out;
	}
	if (res->pw_uid != 0 && (long long)res->pw_uid < o->min_uid) {
		r = pj_reason(PJ_E_ACCOUNT, reason, rlen,
		    "'%s' has uid %lu, below min_uid %lld", user,
		    (unsigned long)res->pw_uid, o->min_uid);
		goto out;
	}
	if (pam_user != NULL && strcmp(pam_user, user) != 0) {
		char shown[PJ_LOGVAL_SIZE(32)];

		pj_logstr(shown, sizeof(shown), pam_user, 32); /* the client's word */
		r = pj_reason(PJ_E_USER, reason, rlen,
		    "token is for '%s', not for the requested user '%s'", user, shown);
		goto out;
	}
	*out_user = user; /* transferred */
	user = NULL;
	r = PJ_OK;
out:
	free(buf);
	free(user);
	return r;
}
