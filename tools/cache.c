/* cache.c - the per-user token cache of `pamjwt login` and `askpass`.
 *
 * $XDG_CACHE_HOME/pamjwt (or ~/.cache/pamjwt), mode 0700, owned by the
 * user; one file per (issuer, client id, token kind, audience), named by a
 * hash of them, mode 0600, JSON:
 *   {"issuer": ..., "client_id": ..., "audience": ..., "kind": "id",
 *    "token": ..., "refresh_token": ..., "exp": N}
 * A directory or file that group or others can reach, that another user
 * owns, or that is a symbolic link is refused with a message saying how
 * to fix it: the token in it is a credential.
 */
#include "login.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_MAX_LEN 4096

static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && h[0] == '/')
		return h;
	pw = getpwuid(getuid());
	return pw != NULL && pw->pw_dir != NULL ? pw->pw_dir : NULL;
}

/* A directory of ours that nobody else can enter. */
static int
check_dir(const char *d, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(d, &st) != 0) {
		(void)snprintf(err, errlen, "cache directory %s: %s", d, strerror(errno));
		return -1;
	}
	if (S_ISLNK(st.st_mode) || !S_ISDIR(st.st_mode)) {
		(void)snprintf(err, errlen, "cache directory %s is not a directory (or "
		    "is a symbolic link); remove it (rm %s) and log in again", d, d);
		return -1;
	}
	if (st.st_uid != getuid()) {
		(void)snprintf(err, errlen, "cache directory %s belongs to uid %u, not "
		    "to you; remove it and log in again", d,
		    (unsigned int)st.st_uid);
		return -1;
	}
	if ((st.st_mode & 077) != 0) {
		(void)snprintf(err, errlen, "cache directory %s has mode %03o: others "
		    "could reach your token; fix it with: chmod 700 %s", d,
		    (unsigned int)(st.st_mode & 0777), d);
		return -1;
	}
	return 0;
}

int
pjt_cache_dir(char *buf, size_t len, int create, char *err, size_t errlen)
{
	const char *x = getenv("XDG_CACHE_HOME"), *h;
	char parent[PATH_MAX_LEN];
	int n;

	if (x != NULL && x[0] == '/') {
		n = snprintf(parent, sizeof(parent), "%s", x);
	} else {
		h = home_dir();
		if (h == NULL) {
			(void)snprintf(err, errlen, "no home directory: set HOME or "
			    "XDG_CACHE_HOME");
			return -1;
		}
		n = snprintf(parent, sizeof(parent), "%s/.cache", h);
	}
	if (n < 0 || (size_t)n >= sizeof(parent) ||
	    (size_t)snprintf(buf, len, "%s/pamjwt", parent) >= len) {
		(void)snprintf(err, errlen, "cache directory path too long");
		return -1;
	}
	if (create) {
		if (mkdir(parent, 0700) != 0 && errno != EEXIST) {
			(void)snprintf(err, errlen, "cannot create %s: %s", parent,
			    strerror(errno));
			return -1;
		}
		if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
			(void)snprintf(err, errlen, "cannot create %s: %s", buf,
			    strerror(errno));
			return -1;
		}
	}
	return check_dir(buf, err, errlen);
}

int
pjt_cache_path(const struct pjt_login_conf *c, int create, char *buf,
    size_t len, char *err, size_t errlen)
{
	char dir[PATH_MAX_LEN];
	unsigned char h[16];
	char hex[sizeof(h) * 2 + 1];
	crypto_generichash_state st;
	const char *kind = c->kind == PJT_TOKEN_ACCESS ? "access" : "id";
	const char *aud = pjt_login_expected_aud(c);

	if (pjt_cache_dir(dir, sizeof(dir), create, err, errlen) != 0)
		return -1;
	/* each value with its NUL: no two different tuples hash alike */
	if (crypto_generichash_init(&st, NULL, 0, sizeof(h)) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)c->issuer,
	    strlen(c->issuer) + 1) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)c->client_id,
	    strlen(c->client_id) + 1) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)kind,
	    strlen(kind) + 1) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)aud,
	    strlen(aud) + 1) != 0 ||
	    crypto_generichash_final(&st, h, sizeof(h)) != 0) {
		(void)snprintf(err, errlen, "hashing the cache name failed");
		return -1;
	}
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	if ((size_t)snprintf(buf, len, "%s/token-%s.json", dir, hex) >= len) {
		(void)snprintf(err, errlen, "cache file path too long");
		return -1;
	}
	return 0;
}

void
pjt_cache_entry_free(struct pjt_cache_entry *e)
{
	if (e == NULL)
		return;
	free(e->issuer);
	free(e->client_id);
	free(e->audience);
	free(e->kind);
	if (e->token != NULL) {
		sodium_memzero(e->token, strlen(e->token));
		free(e->token);
	}
	if (e->refresh_token != NULL) {
		sodium_memzero(e->refresh_token, strlen(e->refresh_token));
		free(e->refresh_token);
	}
	memset(e, 0, sizeof(*e));
}

static int
get_str(json_t *o, const char *name, int required, char **out)
{
	json_t *v = json_object_get(o, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return required ? -1 : 0;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > PJT_CACHE_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return -1;
	*out = strdup(json_string_value(v));
	return *out != NULL ? 0 : -1;
}

int
pjt_cache_parse(const char *text, size_t len, struct pjt_cache_entry *e,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *o = NULL, *v;
	int r = -1;

	memset(e, 0, sizeof(*e));
	o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL || !json_is_object(o)) {
		(void)snprintf(err, errlen, "not a JSON object");
		goto out;
	}
	if (get_str(o, "issuer", 1, &e->issuer) != 0 ||
	    get_str(o, "client_id", 1, &e->client_id) != 0 ||
	    get_str(o, "audience", 1, &e->audience) != 0 ||
	    get_str(o, "kind", 1, &e->kind) != 0 ||
	    get_str(o, "token", 1, &e->token) != 0 ||
	    get_str(o, "refresh_token", 0, &e->refresh_token) != 0) {
		(void)snprintf(err, errlen, "a member is missing or not a string");
		goto out;
	}
	if (strcmp(e->kind, "id") != 0 && strcmp(e->kind, "access") != 0) {
		(void)snprintf(err, errlen, "kind is neither id nor access");
		goto out;
	}
	v = json_object_get(o, "exp");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		(void)snprintf(err, errlen, "exp is missing or not a number");
		goto out;
	}
	e->exp = (long long)json_integer_value(v);
	r = 0;
out:
	if (r != 0)
		pjt_cache_entry_free(e);
	json_decref(o);
	return r;
}

int
pjt_cache_read(const char *path, struct pjt_cache_entry *e, char *err,
    size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1, r = -1;

	memset(e, 0, sizeof(*e));
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
	    O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT) {
			r = 1;
		} else if (errno == ELOOP) {
			(void)snprintf(err, errlen, "cache file %s is a symbolic link: "
			    "refused; remove it (rm %s) and log in again", path,
			    path);
		} else {
			(void)snprintf(err, errlen, "cache file %s: %s", path,
			    strerror(errno));
		}
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		(void)snprintf(err, errlen, "cache file %s is not a regular file; "
		    "remove it and log in again", path);
		goto out;
	}
	if (st.st_uid != getuid()) {
		(void)snprintf(err, errlen, "cache file %s belongs to uid %u, not to "
		    "you: refused; remove it and log in again", path,
		    (unsigned int)st.st_uid);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		(void)snprintf(err, errlen, "cache file %s has mode %03o: others could "
		    "read your token, so it is not used; fix it with: chmod 600 "
		    "%s (and, as the token may have been seen, pamjwt logout and "
		    "log in again)", path, (unsigned int)(st.st_mode & 0777),
		    path);
		goto out;
	}
	if (st.st_size <= 0 || st.st_size > PJT_CACHE_MAX) {
		(void)snprintf(err, errlen, "cache file %s is empty or too large; "
		    "remove it and log in again", path);
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto out;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (pjt_cache_parse(buf, len, e, err, errlen) != 0) {
		char why[128];

		(void)snprintf(why, sizeof(why), "%s", err);
		(void)snprintf(err, errlen, "cache file %s is malformed (%s); remove it "
		    "and log in again", path, why);
		goto out;
	}
	r = 0;
out:
	if (buf != NULL) {
		sodium_memzero(buf, len);
		free(buf);
	}
	if (fd >= 0)
		(void)close(fd);
	return r;
}

int
pjt_cache_write(const char *path, const struct pjt_cache_entry *e,
    char *err, size_t errlen)
{
	char tmp[PATH_MAX_LEN];
	char *text = NULL;
	json_t *o = NULL;
	size_t len, off = 0;
	ssize_t n;
	int fd = -1, r = -1;

	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "issuer", e->issuer,
	    "client_id", e->client_id, "audience", e->audience, "kind", e->kind,
	    "token", e->token, "exp", (json_int_t)e->exp);
	if (o == NULL || (e->refresh_token != NULL &&
	    json_object_set_new(o, "refresh_token",
	    json_string(e->refresh_token)) != 0)) {
		(void)snprintf(err, errlen, "out of memory");
		goto out;
	}
	text = json_dumps(o, JSON_COMPACT);
	if (text == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		goto out;
	}
	len = strlen(text);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		(void)snprintf(err, errlen, "cache file path too long");
		goto out;
	}
	/* mkstemp creates 0600 whatever the umask */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		(void)snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) != 0)
		goto fail_io;
	while (off < len) {
		n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail_io;
		off += (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail_io;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail_io;
	r = 0;
	goto out;
fail_io:
	(void)snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	(void)unlink(tmp);
out:
	if (fd >= 0) {
		(void)close(fd);
		(void)unlink(tmp);
	}
	if (text != NULL) {
		sodium_memzero(text, strlen(text));
		free(text);
	}
	json_decref(o);
	return r;
}
