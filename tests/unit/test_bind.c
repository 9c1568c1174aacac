/* test_bind.c - keys bound to issuers (lib/bind.c) and the [issuer URL]
 * sections of the config file (lib/options.c) that build the bindings. */
#include "unit.h"
#include "count_open.h"

#include "lib/b64url.h"
#include "lib/bind.h"
#include "lib/options.h"
#include "lib/textcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define A "https://a.example/realms/x"
#define B "https://b.example/"

/* An (unsigned) compact JWS with this payload text. */
static char *
tok(const char *payload)
{
	char *h = pj_b64url_encode_alloc((const unsigned char *)
	    "{\"alg\":\"RS256\",\"kid\":\"k1\"}", 27);
	char *p = pj_b64url_encode_alloc((const unsigned char *)payload,
	    strlen(payload));
	char *t = malloc(strlen(h) + strlen(p) + 8);

	assert_non_null(h);
	assert_non_null(p);
	assert_non_null(t);
	sprintf(t, "%s.%s.c2ln", h, p);
	free(h);
	free(p);
	return t;
}

static int
peek(const char *payload, char *iss, size_t isslen)
{
	char *t = tok(payload);
	int r = pj_token_peek_iss(t, strlen(t), iss, isslen);

	free(t);
	return r;
}

static void
peek_iss(void **state)
{
	char iss[64];

	(void)state;
	assert_int_equal(peek("{\"iss\":\"" A "\",\"sub\":\"a\"}", iss,
	    sizeof(iss)), 1);
	assert_string_equal(iss, A);
	/* no iss, not a string, not an object, duplicates, NUL: none */
	assert_int_equal(peek("{\"sub\":\"a\"}", iss, sizeof(iss)), 0);
	assert_int_equal(peek("{\"iss\":7}", iss, sizeof(iss)), 0);
	assert_int_equal(peek("[\"iss\"]", iss, sizeof(iss)), 0);
	assert_int_equal(peek("{\"iss\":\"a\",\"iss\":\"b\"}", iss,
	    sizeof(iss)), 0);
	assert_int_equal(peek("{\"iss\":\"a\\u0000b\"}", iss, sizeof(iss)), 0);
	/* too long for the buffer: none, never cut */
	assert_int_equal(peek("{\"iss\":\"" A "\"}", iss, 8), 0);
	/* not a token at all */
	assert_int_equal(pj_token_peek_iss("password", 8, iss, sizeof(iss)), 0);
	assert_int_equal(pj_token_peek_iss("a.b", 3, iss, sizeof(iss)), 0);
	assert_int_equal(pj_token_peek_iss("e30.!!!.c2ln", 12, iss,
	    sizeof(iss)), 0);
}

static const char conf_two[] =
	"audience = global-aud\n"
	"user_claim = email\n"
	/* the service's section first in the file: it still applies last */
	"[service sshd]\n"
	"audience = sshd-aud\n"
	"[issuer " A "]\n"
	"jwks_file = /k/a.jwks\n"
	"audience = a-aud\n"
	"user_claim = preferred_username\n"
	"[issuer " B "]\n"
	"secret_file = /k/b.secret\n";

static void
parse_sections(void **state)
{
	struct pj_options o;
	char reason[256] = "";

	(void)state;
	/* without a binding: sections named, none applied */
	pj_options_init(&o);
	assert_err(pj_options_parse_config(&o, conf_two, strlen(conf_two), "t",
	    "login", reason, sizeof(reason)), PJ_OK);
	assert_int_equal(o.issuer_sections.n, 2);
	assert_string_equal(o.issuer_sections.v[0], A);
	assert_string_equal(o.issuer_sections.v[1], B);
	assert_null(o.jwks_file);
	assert_string_equal(o.audience.v[0], "global-aud");
	pj_options_free(&o);
	/* bound to A, service sshd: A's keys, sshd's audience */
	pj_options_init(&o);
	o.bind_issuer = strdup(A);
	assert_err(pj_options_parse_config(&o, conf_two, strlen(conf_two), "t",
	    "sshd", reason, sizeof(reason)), PJ_OK);
	assert_string_equal(o.jwks_file, "/k/a.jwks");
	assert_null(o.secret_file);
	assert_int_equal(o.key_source_level, PJ_LEVEL_ISSUER);
	assert_string_equal(o.audience.v[0], "sshd-aud");
	assert_string_equal(o.user_claim, "preferred_username");
	pj_options_free(&o);
}

static void
parse_errors(void **state)
{
	static const char *const bad[] = {
		"[issuer " A "]\nissuer = " B "\n",          /* its URL is its issuer */
		"[issuer " A "]\njwks_file = /a\n[issuer " A "]\njwks_file = /b\n",
		"[issuer]\n",
		"[issuer  ]\n",
		"[issuer a b]\n",
		"[issuers " A "]\n",
		"[issuer " A "]\nbogus = 1\n",
	};
	struct pj_options o;
	char reason[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reason[0] = '\0';
		pj_options_init(&o);
		assert_err(pj_options_parse_config(&o, bad[i], strlen(bad[i]), "t",
		    NULL, reason, sizeof(reason)), PJ_E_CONFIG);
		assert_true(reason[0] != '\0');
		pj_options_free(&o);
	}
}

/* An [issuer URL] no token's iss can match (pj_bind_choose peeks the iss
 * into PJ_ISS_MAX bytes): refused when the file is read; one byte less is
 * a section like any other. */
static void
parse_long_issuer(void **state)
{
	struct pj_options o;
	char reason[256], text[PJ_ISS_MAX + 64];
	size_t n;

	(void)state;
	for (n = PJ_ISS_MAX - 1; n <= PJ_ISS_MAX; n++) {
		memcpy(text, "[issuer ", 8);
		memcpy(text + 8, "https://a.example/", 18);
		memset(text + 26, 'x', n - 18);
		memcpy(text + 8 + n, "]\njwks_file = /k/a\n", 20);
		reason[0] = '\0';
		pj_options_init(&o);
		assert_err(pj_options_parse_config(&o, text, strlen(text), "t",
		    NULL, reason, sizeof(reason)),
		    n < PJ_ISS_MAX ? PJ_OK : PJ_E_CONFIG);
		if (n == PJ_ISS_MAX)
			assert_non_null(strstr(reason, "at most 1023"));
		else
			assert_int_equal(strlen(o.issuer_sections.v[0]), n);
		pj_options_free(&o);
	}
}

static int
load_text(const char *text, const char *service, struct pj_options *o,
    char *reason, size_t rlen)
{
	char *dir = tmpdir_new();
	char arg[4200];
	const char *argv[1];
	int r;

	snprintf(arg, sizeof(arg), "config=%s", tpath(dir, "c.conf"));
	write_str(arg + 7, text, 0644);
	argv[0] = arg;
	r = pj_options_load(o, 1, argv, service, reason, rlen);
	tmpdir_rm(dir);
	return r;
}

/* The module's fstatfs(2): with pretend_remote, every file system is NFS's
 * (tests/unit.mk links this test with --wrap=fstatfs). */
int __real_fstatfs(int fd, struct statfs *buf);
int __wrap_fstatfs(int fd, struct statfs *buf);
static int pretend_remote;

int
__wrap_fstatfs(int fd, struct statfs *buf)
{
	int r = __real_fstatfs(fd, buf);

	if (r == 0 && pretend_remote)
		buf->f_type = 0x6969; /* NFS_SUPER_MAGIC */
	return r;
}

/* Load options from the file at path (config=path): the result, and how
 * many times the module opened the file. */
static int
load_counted(const char *path, const char *service, struct pj_options *o,
    char *reason, size_t rlen, int *opens)
{
	char arg[4200];
	const char *argv[1];
	int r;

	snprintf(arg, sizeof(arg), "config=%s", path);
	argv[0] = arg;
	reason[0] = '\0';
	counted_path = path;
	counted_opens = 0;
	r = pj_options_load(o, 1, argv, service, reason, rlen);
	counted_path = NULL;
	*opens = counted_opens;
	return r;
}

/* The whole and every [issuer] section come from one read of the file:
 * they agree even while it is being replaced, and two sections cost one
 * read, not three. */
static void
config_read_once(void **state)
{
	struct pj_options o;
	char *dir = tmpdir_new();
	char reason[256] = "";
	const char *path = tpath(dir, "c.conf");
	int opens = -1;

	(void)state;
	write_str(path, conf_two, 0644);
	assert_err(load_counted(path, "sshd", &o, reason, sizeof(reason),
	    &opens), PJ_OK);
	assert_int_equal(o.nbind, 2);
	assert_int_equal(opens, 1);
	pj_options_free(&o);
	tmpdir_rm(dir);
}

/* load_counted for "sshd", which must succeed: how many times the module
 * opened the file. */
static int
load_ok(const char *path)
{
	struct pj_options o;
	char reason[256];
	int opens = -1;

	assert_err(load_counted(path, "sshd", &o, reason, sizeof(reason),
	    &opens), PJ_OK);
	pj_options_free(&o);
	return opens;
}

/* The configuration text kept between authentications (lib/textcache.c):
 * used only while the file is provably the same and every check of a
 * fresh read passes; a changed, chmod'ed, replaced or unreadable file is
 * read (or refused) afresh. */
static void
config_text_kept(void **state)
{
	struct pj_options o;
	char *dir = tmpdir_new();
	char path[4096], reason[256] = "";
	int opens = -1;
	pid_t pid;
	int status = 0;

	(void)state;
	pj_textcache_clear();
	snprintf(path, sizeof(path), "%s", tpath(dir, "c.conf"));
	write_str(path, conf_two, 0644);
	if (!on_local_fs(path)) {
		/* kept texts are used only from local file systems */
		print_message("config_text_kept: skipped, %s is not on a "
		    "local file system\n", dir);
		tmpdir_rm(dir);
		skip();
	}
	/* on a file system that is not local (NFS here, pretended), stat may
	 * answer from a client's cache: a text read there is never used
	 * without opening the file */
	pretend_remote = 1;
	age_and_settle(path);
	(void)load_ok(path);
	assert_int_equal(load_ok(path), 1);
	pretend_remote = 0;
	pj_textcache_clear();
	write_str(path, conf_two, 0644);
	/* a recent file is never kept: read at every load */
	(void)load_ok(path);
	assert_int_equal(load_ok(path), 1);
	/* settled: read once more, then kept */
	age_and_settle(path);
	assert_int_equal(load_ok(path), 1);
	assert_err(load_counted(path, "sshd", &o, reason, sizeof(reason),
	    &opens), PJ_OK);
	assert_int_equal(opens, 0);
	assert_int_equal(o.nbind, 2);
	assert_string_equal(o.audience.v[0], "sshd-aud");
	pj_options_free(&o);
	/* changed: the new text at once */
	write_str(path, "audience = changed\njwks_file = /k/x.jwks\n", 0644);
	assert_err(load_counted(path, "sshd", &o, reason, sizeof(reason),
	    &opens), PJ_OK);
	assert_int_equal(opens, 1);
	assert_int_equal(o.nbind, 0);
	assert_string_equal(o.audience.v[0], "changed");
	pj_options_free(&o);
	/* kept again, then made group-writable: refused as a fresh read is */
	age_and_settle(path);
	(void)load_ok(path);
	assert_int_equal(chmod(path, 0664), 0);
	assert_err(load_counted(path, "sshd", &o, reason, sizeof(reason),
	    &opens), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "unsafe permissions 0664"));
	pj_options_free(&o);
	/* a symbolic link in its place, to the same text */
	assert_int_equal(chmod(path, 0644), 0);
	age_and_settle(path);
	(void)load_ok(path);
	assert_int_equal(rename(path, tpath(dir, "moved")), 0);
	assert_int_equal(symlink(tpath(dir, "moved"), path), 0);
	assert_err(load_counted(path, "sshd", &o, reason, sizeof(reason),
	    &opens), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "symbolic link"));
	pj_options_free(&o);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rename(tpath(dir, "moved"), path), 0);
	/* a child that dropped root may not read a 0600 file of root's whose
	 * identity is unchanged: refused, not served from the kept text */
	if (geteuid() != 0) {
		print_message("config_text_kept: unreadable case skipped, "
		    "needs root\n");
		goto done;
	}
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(chmod(dir, 0711), 0);
	age_and_settle(path);
	(void)load_ok(path);
	assert_int_equal(load_ok(path), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int code = 0;

		struct stat st;

		if (setresgid(65534, 65534, 65534) != 0 ||
		    setresuid(65534, 65534, 65534) != 0)
			_exit(8);
		/* the child sees the file (the peek's lstat passes), so the
		 * refusal below can only come from the read permission */
		if (lstat(path, &st) != 0)
			_exit(9);
		if (load_counted(path, "sshd", &o, reason, sizeof(reason),
		    &opens) != PJ_E_CONFIG || strstr(reason, "cannot open") ==
		    NULL)
			code |= 1;
		pj_options_free(&o);
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
done:
	pj_textcache_clear();
	tmpdir_rm(dir);
}

static void
load_bindings(void **state)
{
	struct pj_options o;
	const struct pj_options *c;
	char reason[256] = "", *t;

	(void)state;
	assert_err(load_text(conf_two, "sshd", &o, reason, sizeof(reason)),
	    PJ_OK);
	assert_int_equal(o.nbind, 2);
	assert_string_equal(o.bind[0].issuer, A);
	/* each binding: its issuer alone, its key source alone */
	assert_int_equal(o.bind[0].o->issuer.n, 1);
	assert_string_equal(o.bind[0].o->issuer.v[0], A);
	assert_string_equal(o.bind[0].o->jwks_file, "/k/a.jwks");
	assert_null(o.bind[0].o->secret_file);
	assert_string_equal(o.bind[1].o->secret_file, "/k/b.secret");
	assert_null(o.bind[1].o->jwks_file);
	assert_int_equal(o.bind[1].o->nbind, 0);
	/* the token's iss chooses */
	t = tok("{\"iss\":\"" B "\"}");
	assert_err(pj_bind_choose(&o, t, strlen(t), &c, reason, sizeof(reason)),
	    PJ_OK);
	assert_ptr_equal(c, o.bind[1].o);
	free(t);
	/* another iss, no global key source: refused */
	t = tok("{\"iss\":\"https://c.example\"}");
	assert_err(pj_bind_choose(&o, t, strlen(t), &c, reason, sizeof(reason)),
	    PJ_E_ISSUER);
	assert_null(c);
	free(t);
	pj_options_free(&o);
}

static void
load_binding_errors(void **state)
{
	struct pj_options o;
	const struct pj_options *c;
	char reason[256] = "", *t;

	(void)state;
	/* a section without its own key source */
	assert_err(load_text("jwks_file = /k/g\nissuer = https://g.example\n"
	    "[issuer " A "]\naudience = x\n",
	    NULL, &o, reason, sizeof(reason)), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "must name its key source"));
	pj_options_free(&o);
	/* the service's section names a key source: the binding would go */
	reason[0] = '\0';
	assert_err(load_text("[issuer " A "]\njwks_file = /k/a\n"
	    "[service sshd]\nsecret_file = /k/s\n", "sshd", &o, reason,
	    sizeof(reason)), PJ_E_CONFIG);
	pj_options_free(&o);
	/* ... for that service only */
	assert_err(load_text("[issuer " A "]\njwks_file = /k/a\n"
	    "[service sshd]\nsecret_file = /k/s\n", "sudo", &o, reason,
	    sizeof(reason)), PJ_OK);
	pj_options_free(&o);
	/* global keys and a section without a global issuer: a token whose
	 * iss merely resembles A (a trailing slash, another case) would be
	 * judged by the global keys: refused */
	reason[0] = '\0';
	assert_err(load_text("secret_file = /k/g\n[issuer " A "]\n"
	    "jwks_file = /k/a\n", NULL, &o, reason, sizeof(reason)),
	    PJ_E_CONFIG);
	assert_non_null(strstr(reason, "need a global issuer"));
	pj_options_free(&o);
	/* global keys, a global issuer and a section: another iss falls back
	 * to the global options, whose issuer then decides */
	assert_err(load_text("secret_file = /k/g\nissuer = https://g.example\n"
	    "[issuer " A "]\njwks_file = /k/a\n", NULL, &o, reason,
	    sizeof(reason)), PJ_OK);
	t = tok("{\"iss\":\"https://c.example\"}");
	assert_err(pj_bind_choose(&o, t, strlen(t), &c, reason, sizeof(reason)),
	    PJ_OK);
	assert_ptr_equal(c, &o);
	free(t);
	pj_options_free(&o);
	/* no section: o itself, whatever the token */
	assert_err(load_text("secret_file = /k/g\n", NULL, &o, reason,
	    sizeof(reason)), PJ_OK);
	assert_int_equal(o.nbind, 0);
	assert_err(pj_bind_choose(&o, "x", 1, &c, reason, sizeof(reason)),
	    PJ_OK);
	assert_ptr_equal(c, &o);
	pj_options_free(&o);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(peek_iss),
		cmocka_unit_test(parse_sections),
		cmocka_unit_test(parse_errors),
		cmocka_unit_test(parse_long_issuer),
		cmocka_unit_test(load_bindings),
		cmocka_unit_test(config_read_once),
		cmocka_unit_test(config_text_kept),
		cmocka_unit_test(load_binding_errors),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
