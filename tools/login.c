/* login.c - `pamjwt login`, `pamjwt logout`, `pamjwt ssh`: the user signs
 * in at the OpenID Provider and ssh and sudo take the token from the cache
 * through `pamjwt askpass`.  The flows are in tools/login_flow.c, the cache
 * in tools/cache.c.
 *
 *   pamjwt login [--issuer URL] [--client-id ID] [--ca-file FILE]
 *       [--scope S] [--token id|access] [--audience A] [--resource R]
 *       [--browser | --device] [--open] [--no-qr] [--wait SECONDS]
 *       [--config FILE] [--force] [--exec CMD [ARGS ...]]
 *   pamjwt logout [same selection options] [--all]
 *   pamjwt ssh [same selection options] HOST [ssh arguments]
 *
 * Configuration: /etc/pamjwt/login.conf, then ~/.config/pamjwt/login.conf
 * ($XDG_CONFIG_HOME), then the options; key = value lines, # comments.
 */
#include "pamjwt.h"
#include "login.h"

#include "lib/err.h"
#include "lib/file.h"
#include "lib/text.h"
#include "lib/verify.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERRLEN 512
#define KEY_MAX 32
#define VALUE_MAX 2048

void
pjt_login_conf_init(struct pjt_login_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->wait = PJT_LOGIN_WAIT_DEFAULT;
	c->kind = PJT_TOKEN_ID;
}

void
pjt_login_conf_free(struct pjt_login_conf *c)
{
	free(c->issuer);
	free(c->client_id);
	free(c->ca_file);
	free(c->scope);
	free(c->audience);
	free(c->resource);
	memset(c, 0, sizeof(*c));
}

static int
set_str(char **dst, const char *v)
{
	char *d = strdup(v);

	if (d == NULL)
		return -1;
	free(*dst);
	*dst = d;
	return 0;
}

int
pjt_login_conf_set(struct pjt_login_conf *c, const char *key,
    const char *value, char *err, size_t errlen)
{
	long long n;

	if (value == NULL || value[0] == '\0' || strlen(value) > VALUE_MAX ||
	    pj_has_ctl(value)) {
		(void)snprintf(err, errlen, "%s: an empty, too long or unprintable value",
		    key);
		return -1;
	}
	if (strcmp(key, "issuer") == 0)
		return set_str(&c->issuer, value);
	if (strcmp(key, "client_id") == 0)
		return set_str(&c->client_id, value);
	if (strcmp(key, "ca_file") == 0)
		return set_str(&c->ca_file, value);
	if (strcmp(key, "scope") == 0)
		return set_str(&c->scope, value);
	if (strcmp(key, "audience") == 0)
		return set_str(&c->audience, value);
	if (strcmp(key, "resource") == 0)
		return set_str(&c->resource, value);
	if (strcmp(key, "token") == 0) {
		if (strcmp(value, "id") == 0)
			c->kind = PJT_TOKEN_ID;
		else if (strcmp(value, "access") == 0)
			c->kind = PJT_TOKEN_ACCESS;
		else
			goto bad;
		return 0;
	}
	if (strcmp(key, "flow") == 0) {
		if (strcmp(value, "device") == 0)
			c->flow_browser = 0;
		else if (strcmp(value, "browser") == 0)
			c->flow_browser = 1;
		else
			goto bad;
		return 0;
	}
	if (strcmp(key, "wait") == 0) {
		if (pj_parse_ll(value, 1, PJT_LOGIN_WAIT_MAX, &n) != PJ_OK)
			goto bad;
		c->wait = n;
		return 0;
	}
	(void)snprintf(err, errlen, "unknown key '%.*s'", KEY_MAX, key);
	return -1;
bad:
	(void)snprintf(err, errlen, "%s: invalid value", key);
	return -1;
}

int
pjt_login_conf_parse(struct pjt_login_conf *c, const char *text, size_t len,
    const char *name, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *line, *eq, *k, *v;
	char key[KEY_MAX + 1], value[VALUE_MAX + 1], why[ERRLEN];
	size_t n, kn, vn;
	unsigned int lineno = 0;

	while (pj_next_line(&p, end, &line, &n)) {
		lineno++;
		if (n == 0 || line[0] == '#')
			continue;
		eq = memchr(line, '=', n);
		if (eq == NULL) {
			(void)snprintf(err, errlen, "%s:%u: not key = value", name, lineno);
			return -1;
		}
		k = line;
		kn = (size_t)(eq - line);
		v = eq + 1;
		vn = n - kn - 1;
		pj_strip_blank(&k, &kn);
		pj_strip_blank(&v, &vn);
		if (kn == 0 || kn > KEY_MAX || vn > VALUE_MAX) {
			(void)snprintf(err, errlen, "%s:%u: key or value too long or empty",
			    name, lineno);
			return -1;
		}
		memcpy(key, k, kn);
		key[kn] = '\0';
		memcpy(value, v, vn);
		value[vn] = '\0';
		if (pjt_login_conf_set(c, key, value, why, sizeof(why)) != 0) {
			(void)snprintf(err, errlen, "%s:%u: %s", name, lineno, why);
			return -1;
		}
	}
	return 0;
}

static int
load_file(struct pjt_login_conf *c, const char *path, int must, char *err,
    size_t errlen)
{
	char reason[PJ_REASON_MAX] = "";
	char *buf = NULL;
	size_t len = 0;
	int e, r;

	if (!must && access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	e = pj_file_read(path, PJ_FILE_PUBLIC, PJT_LOGIN_CONF_MAX, PJ_E_CONFIG,
	    &buf, &len, NULL, reason, sizeof(reason));
	if (e != PJ_OK) {
		(void)snprintf(err, errlen, "%s: %s", path, reason);
		return -1;
	}
	r = pjt_login_conf_parse(c, buf, len, path, err, errlen);
	pj_file_free(buf, len);
	return r;
}

int
pjt_login_conf_load(struct pjt_login_conf *c, const char *user_file,
    char *err, size_t errlen)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
	char path[PATH_MAX];
	int n;

	if (load_file(c, PJT_LOGIN_SYSTEM_CONF, 0, err, errlen) != 0)
		return -1;
	if (user_file != NULL && user_file[0] != '\0')
		return load_file(c, user_file, 1, err, errlen);
	if (x != NULL && x[0] == '/')
		n = snprintf(path, sizeof(path), "%s/" PJT_LOGIN_USER_CONF, x);
	else if (h != NULL && h[0] == '/')
		n = snprintf(path, sizeof(path), "%s/.config/" PJT_LOGIN_USER_CONF,
		    h);
	else
		return 0;
	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	return load_file(c, path, 0, err, errlen);
}

static const struct {
	const char *env, *key;
} env_keys[] = {
	{ "PAMJWT_ISSUER", "issuer" },
	{ "PAMJWT_CLIENT_ID", "client_id" },
	{ "PAMJWT_CA_FILE", "ca_file" },
	{ "PAMJWT_TOKEN_KIND", "token" },
	{ "PAMJWT_AUDIENCE", "audience" },
	{ "PAMJWT_RESOURCE", "resource" },
};

int
pjt_login_conf_env(struct pjt_login_conf *c, char *err, size_t errlen)
{
	char why[ERRLEN];
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(env_keys) / sizeof(env_keys[0]); i++) {
		v = getenv(env_keys[i].env);
		if (v == NULL || v[0] == '\0')
			continue;
		if (pjt_login_conf_set(c, env_keys[i].key, v, why,
		    sizeof(why)) != 0) {
			(void)snprintf(err, errlen, "%s: %s", env_keys[i].env, why);
			return -1;
		}
	}
	return 0;
}

int
pjt_login_conf_check(const struct pjt_login_conf *c, char *err,
    size_t errlen)
{
	if (c->issuer == NULL || c->client_id == NULL) {
		(void)snprintf(err, errlen, "no issuer or client id: give --issuer and "
		    "--client-id, or put issuer = and client_id = into "
		    "~/.config/pamjwt/login.conf or " PJT_LOGIN_SYSTEM_CONF);
		return -1;
	}
	if (c->kind == PJT_TOKEN_ACCESS && c->audience == NULL) {
		(void)snprintf(err, errlen, "token = access needs the hosts' audience "
		    "(--audience, audience =)");
		return -1;
	}
	return 0;
}

const char *
pjt_login_expected_aud(const struct pjt_login_conf *c)
{
	return c->audience != NULL ? c->audience : c->client_id;
}

/* ------------------------------------------------------------------ */

enum {
	O_ISSUER = 1, O_CLIENT_ID, O_CA_FILE, O_SCOPE, O_TOKEN, O_AUDIENCE,
	O_RESOURCE, O_BROWSER, O_DEVICE, O_OPEN, O_NO_QR, O_WAIT, O_CONFIG,
	O_FORCE, O_EXEC, O_ALL, O_HELP,
};

static const struct pjt_opt opts[] = {
	{ "issuer", PJT_ARG, O_ISSUER },
	{ "client-id", PJT_ARG, O_CLIENT_ID },
	{ "ca-file", PJT_ARG, O_CA_FILE },
	{ "scope", PJT_ARG, O_SCOPE },
	{ "token", PJT_ARG, O_TOKEN },
	{ "audience", PJT_ARG, O_AUDIENCE },
	{ "resource", PJT_ARG, O_RESOURCE },
	{ "browser", PJT_NOARG, O_BROWSER },
	{ "device", PJT_NOARG, O_DEVICE },
	{ "open", PJT_NOARG, O_OPEN },
	{ "no-qr", PJT_NOARG, O_NO_QR },
	{ "wait", PJT_ARG, O_WAIT },
	{ "config", PJT_ARG, O_CONFIG },
	{ "force", PJT_NOARG, O_FORCE },
	{ "exec", PJT_NOARG, O_EXEC },
	{ "all", PJT_NOARG, O_ALL },
	{ "help", PJT_NOARG, O_HELP },
	{ NULL, PJT_NOARG, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pamjwt login [OPTIONS] [--exec CMD [ARGS ...]]\n"
	    "       pamjwt logout [OPTIONS] [--all]\n"
	    "       pamjwt ssh [OPTIONS] HOST [SSH ARGUMENTS ...]\n"
	    "\n"
	    "Sign in at your OpenID Provider and keep the token for pamjwt askpass\n"
	    "(ssh, sudo).  Settings from " PJT_LOGIN_SYSTEM_CONF ", then\n"
	    "~/.config/pamjwt/login.conf, then these options:\n"
	    "  --issuer URL        the provider (https)\n"
	    "  --client-id ID      its client for pam_jwt logins (a dedicated one)\n"
	    "  --ca-file FILE      CA certificates for the provider's TLS\n"
	    "  --scope S           default \"openid\"\n"
	    "  --token id|access   the ID token (aud = client id, default) or a JWT\n"
	    "                      access token for --audience\n"
	    "  --audience A        the audience the hosts expect\n"
	    "  --resource R        the resource indicator (default: the audience)\n"
	    "  --device            Device Authorization Grant (default): a code to\n"
	    "                      enter on any device, with a QR code at a terminal\n"
	    "  --browser           authorization code with PKCE, redirect to 127.0.0.1\n"
	    "  --open              run xdg-open on the sign-in URL\n"
	    "  --no-qr             no QR code\n"
	    "  --wait SECONDS      how long to wait for you (default %d)\n"
	    "  --config FILE       instead of ~/.config/pamjwt/login.conf\n"
	    "  --force             sign in again even with a valid cached token\n"
	    "  --exec CMD ...      then run CMD with SSH_ASKPASS and SUDO_ASKPASS set\n"
	    "  --all               logout: every cached token\n"
	    "Exit status: 0 ok, 1 failed, 2 usage or configuration error.\n",
	    PJT_LOGIN_WAIT_DEFAULT);
}

struct cli {
	struct pjt_login_conf c;
	const char *config;
	int force, all, exec_at, host_at;
};

/* Parse options up to the first operand (ssh: HOST) or --exec.  0 ok, 1
 * help printed, 2 error. */
static int
parse(int argc, char **argv, const char *cmd, struct cli *cl)
{
	struct pjt_args a;
	const char *val;
	char err[ERRLEN];
	int id, r = 2;
	struct {
		const char *key;
		const char *val;
	} set[16];
	size_t nset = 0, i;

	memset(cl, 0, sizeof(*cl));
	pjt_login_conf_init(&cl->c);
	pjt_args_init(&a, argc, argv, cmd);
	while ((id = pjt_next(&a, opts, &val)) != PJT_END) {
		if (id == PJT_ERROR)
			return 2;
		if (id == PJT_OPERAND) {
			if (strcmp(cmd, "ssh") != 0) {
				pjt_err(cmd, "unexpected argument (see --help)");
				return 2;
			}
			cl->host_at = a.i - 1;
			break;
		}
		if (nset >= sizeof(set) / sizeof(set[0])) {
			pjt_err(cmd, "too many options");
			return 2;
		}
		switch (id) {
		case O_ISSUER: set[nset].key = "issuer"; set[nset++].val = val; break;
		case O_CLIENT_ID: set[nset].key = "client_id"; set[nset++].val = val; break;
		case O_CA_FILE: set[nset].key = "ca_file"; set[nset++].val = val; break;
		case O_SCOPE: set[nset].key = "scope"; set[nset++].val = val; break;
		case O_TOKEN: set[nset].key = "token"; set[nset++].val = val; break;
		case O_AUDIENCE: set[nset].key = "audience"; set[nset++].val = val; break;
		case O_RESOURCE: set[nset].key = "resource"; set[nset++].val = val; break;
		case O_WAIT: set[nset].key = "wait"; set[nset++].val = val; break;
		case O_BROWSER: set[nset].key = "flow"; set[nset++].val = "browser"; break;
		case O_DEVICE: set[nset].key = "flow"; set[nset++].val = "device"; break;
		case O_OPEN: cl->c.open_browser = 1; break;
		case O_NO_QR: cl->c.no_qr = 1; break;
		case O_CONFIG: cl->config = val; break;
		case O_FORCE: cl->force = 1; break;
		case O_ALL: cl->all = 1; break;
		case O_EXEC:
			if (strcmp(cmd, "login") != 0 || a.i >= argc) {
				pjt_err(cmd, "--exec needs a command (login only)");
				return 2;
			}
			cl->exec_at = a.i;
			goto done;
		case O_HELP:
			usage(stdout);
			return 1;
		default:
			return 2;
		}
	}
done:
	if (strcmp(cmd, "ssh") == 0 && cl->host_at == 0) {
		pjt_err(cmd, "which host? pamjwt ssh [OPTIONS] HOST [ssh args]");
		return 2;
	}
	if (pjt_login_conf_load(&cl->c, cl->config, err, sizeof(err)) != 0)
		goto fail;
	for (i = 0; i < nset; i++)
		if (pjt_login_conf_set(&cl->c, set[i].key, set[i].val, err,
		    sizeof(err)) != 0)
			goto fail;
	if (!cl->all && pjt_login_conf_check(&cl->c, err, sizeof(err)) != 0)
		goto fail;
	if (cl->c.scope == NULL && set_str(&cl->c.scope, "openid") != 0)
		goto fail;
	r = 0;
	return r;
fail:
	pjt_err(cmd, "%s", err);
	return r;
}

/* The askpass program beside this one (installed as a link to pamjwt). */
static int
askpass_path(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return -1;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash == NULL)
		return -1;
	*slash = '\0';
	if ((size_t)snprintf(buf, len, "%s/pamjwt-askpass", self) >= len ||
	    access(buf, X_OK) != 0)
		return -1;
	return 0;
}

/* Set what askpass needs and exec argv (never returns on success). */
static int
exec_with_askpass(const struct cli *cl, const char *cmd, char **argv)
{
	char ap[PATH_MAX];
	const char *kind = cl->c.kind == PJT_TOKEN_ACCESS ? "access" : "id";

	if (askpass_path(ap, sizeof(ap)) != 0) {
		pjt_err(cmd, "pamjwt-askpass is not installed beside pamjwt "
		    "(make install makes it)");
		return 1;
	}
	if (setenv("SSH_ASKPASS", ap, 1) != 0 ||
	    setenv("SSH_ASKPASS_REQUIRE", "force", 1) != 0 ||
	    setenv("SUDO_ASKPASS", ap, 1) != 0 ||
	    setenv("PAMJWT_ISSUER", cl->c.issuer, 1) != 0 ||
	    setenv("PAMJWT_CLIENT_ID", cl->c.client_id, 1) != 0 ||
	    setenv("PAMJWT_TOKEN_KIND", kind, 1) != 0 ||
	    setenv("PAMJWT_AUDIENCE", pjt_login_expected_aud(&cl->c), 1) != 0 ||
	    (cl->c.ca_file != NULL &&
	    setenv("PAMJWT_CA_FILE", cl->c.ca_file, 1) != 0) ||
	    (cl->c.resource != NULL &&
	    setenv("PAMJWT_RESOURCE", cl->c.resource, 1) != 0) ||
	    (cl->config != NULL &&
	    setenv("PAMJWT_LOGIN_CONF", cl->config, 1) != 0)) {
		pjt_err(cmd, "cannot set the environment");
		return 1;
	}
	/* askpass is the one to read the token: none in the environment */
	(void)unsetenv("PAMJWT_TOKEN");
	(void)unsetenv("PAMJWT_TOKEN_FILE");
	execvp(argv[0], argv);
	pjt_err(cmd, "cannot run %s: %s", argv[0], strerror(errno));
	return 1;
}

int
cmd_login(int argc, char **argv)
{
	struct cli cl;
	char *tok = NULL;
	int r;

	r = parse(argc, argv, "login", &cl);
	if (r != 0) {
		r = r == 1 ? 0 : 2;
		goto out;
	}
	if (pjt_login_obtain(&cl.c, PJT_OBTAIN_LOGIN, cl.force,
	    PJT_LOGIN_RENEW_BEFORE, &tok) != 0) {
		r = 1;
		goto out;
	}
	sodium_memzero(tok, strlen(tok));
	free(tok);
	tok = NULL;
	if (cl.exec_at > 0) {
		r = exec_with_askpass(&cl, "login", argv + cl.exec_at);
		goto out;
	}
	r = 0;
out:
	pjt_login_conf_free(&cl.c);
	return r;
}

int
cmd_ssh(int argc, char **argv)
{
	struct cli cl;
	char *tok = NULL;
	char **nargv = NULL;
	int r, i, n;

	r = parse(argc, argv, "ssh", &cl);
	if (r != 0) {
		r = r == 1 ? 0 : 2;
		goto out;
	}
	if (pjt_login_obtain(&cl.c, PJT_OBTAIN_LOGIN, 0,
	    PJT_LOGIN_RENEW_BEFORE, &tok) != 0) {
		r = 1;
		goto out;
	}
	sodium_memzero(tok, strlen(tok));
	free(tok);
	n = argc - cl.host_at;
	nargv = calloc((size_t)n + 2, sizeof(*nargv));
	if (nargv == NULL) {
		r = 1;
		goto out;
	}
	nargv[0] = (char *)(uintptr_t)"ssh";
	for (i = 0; i < n; i++)
		nargv[i + 1] = argv[cl.host_at + i];
	r = exec_with_askpass(&cl, "ssh", nargv);
out:
	free(nargv);
	pjt_login_conf_free(&cl.c);
	return r;
}

int
cmd_logout(int argc, char **argv)
{
	struct cli cl;
	char path[PATH_MAX + 64], dir[PATH_MAX], err[ERRLEN];
	DIR *d = NULL;
	struct dirent *de;
	int r, removed = 0;

	r = parse(argc, argv, "logout", &cl);
	if (r != 0) {
		r = r == 1 ? 0 : 2;
		goto out;
	}
	r = 1;
	if (cl.all) {
		if (pjt_cache_dir(dir, sizeof(dir), 0, err, sizeof(err)) != 0) {
			if (errno == ENOENT) {
				r = 0;
				goto out;
			}
			pjt_err("logout", "%s", err);
			goto out;
		}
		d = opendir(dir);
		if (d == NULL)
			goto out;
		while ((de = readdir(d)) != NULL) {
			if (strncmp(de->d_name, "token-", 6) != 0)
				continue;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
			    de->d_name) < sizeof(path) && unlink(path) == 0)
				removed++;
		}
	} else {
		if (pjt_cache_path(&cl.c, 0, path, sizeof(path), err,
		    sizeof(err)) != 0) {
			pjt_err("logout", "%s", err);
			goto out;
		}
		if (unlink(path) == 0)
			removed++;
		else if (errno != ENOENT) {
			pjt_err("logout", "%s: %s", path, strerror(errno));
			goto out;
		}
	}
	fprintf(stderr, "pamjwt logout: %d cached token%s removed\n", removed,
	    removed == 1 ? "" : "s");
	r = 0;
out:
	if (d != NULL)
		closedir(d);
	pjt_login_conf_free(&cl.c);
	return r;
}
