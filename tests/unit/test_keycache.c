/* test_keycache.c - the key sets kept while their files are provably the
 * same (lib/keycache.c, through pj_keyset_load as the module calls it):
 * kept only once settled, given again only while every file is unchanged
 * (identity, size, times to the nanosecond, owner, mode), every file check
 * still applied on every load, a changed, chmod'ed or replaced file read
 * afresh, a set with a key that cannot be built never kept, and the whole
 * decision (pj_verify) the same with and without the cache. */
#include "unit.h"

#include "lib/alg.h"
#include "lib/keycache.h"
#include "lib/options.h"
#include "lib/verify.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SECRET_A "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/"
#define SECRET_B "ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkjihgfedcba9876543210-_"

struct ctx {
	char *dir;
	char secret[4096], pem[4096], jwks[4096];
	struct pj_options o;
};

/* Set a file's times back by `ago` seconds, both to the same instant. */
static void
age(const char *path, long ago)
{
	struct timespec ts[2];

	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts[0]), 0);
	ts[0].tv_sec -= ago;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* ctime is the kernel's: the cache settles only once it is old too */
static void
wait_settled(void)
{
	struct timespec ts = { PJ_FILE_SETTLE_S, 200 * 1000 * 1000 };

	(void)nanosleep(&ts, NULL);
}

static void
copy_fixture(const char *name, const char *to, mode_t mode)
{
	size_t len = 0;
	char *text = fx_slurp(name, &len);

	write_file(to, text, len, mode, 0, 0);
	free(text);
}

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	c->dir = tmpdir_new();
	(void)snprintf(c->secret, sizeof(c->secret), "%s", tpath(c->dir, "secret"));
	(void)snprintf(c->pem, sizeof(c->pem), "%s", tpath(c->dir, "rsa.pem"));
	(void)snprintf(c->jwks, sizeof(c->jwks), "%s", tpath(c->dir, "jwks.json"));
	write_str(c->secret, SECRET_A, 0600);
	copy_fixture("rsa2048.pub.pem", c->pem, 0644);
	copy_fixture("jwks.json", c->jwks, 0644);
	age(c->secret, 60);
	age(c->pem, 60);
	age(c->jwks, 60);
	pj_options_init(&c->o);
	c->o.secret_file = strdup(c->secret);
	c->o.public_key_file = strdup(c->pem);
	c->o.jwks_file = strdup(c->jwks);
	c->o.user_claim = strdup("sub");
	{
		char reason[256] = "";

		if (pj_options_set(&c->o, PJ_LEVEL_ARG, "audience", "pam", reason,
		    sizeof(reason)) != PJ_OK ||
		    pj_options_set(&c->o, PJ_LEVEL_ARG, "issuer",
		    "https://issuer.example", reason, sizeof(reason)) != PJ_OK)
			return -1;
	}
	pj_keycache_clear();
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	pj_keycache_clear();
	pj_options_free(&c->o);
	tmpdir_rm(c->dir);
	free(c);
	return 0;
}

static void
load(struct ctx *c, struct pj_keyset *ks)
{
	char reason[256] = "";

	memset(ks, 0, sizeof(*ks));
	if (pj_keyset_load(&c->o, ks, reason, sizeof(reason)) != PJ_OK)
		fail_msg("pj_keyset_load: %s", reason);
}

static const struct pj_key *
hmac_key(const struct pj_keyset *ks)
{
	size_t i;

	for (i = 0; i < ks->n; i++)
		if (ks->keys[i].type == PJ_KEY_HMAC)
			return &ks->keys[i];
	fail_msg("no HMAC key in the set");
	return NULL;
}

static void
kept_while_unchanged(void **state)
{
	struct ctx *c = *state;
	struct pj_keyset a, b, d;
	const struct pj_key *k = NULL;
	char reason[256] = "";

	wait_settled();
	load(c, &a);
	assert_non_null(a.shared);
	/* secret file, PEM file, and the set's 5 keys */
	assert_int_equal(a.n, 7);
	load(c, &b);
	assert_ptr_equal(a.keys, b.keys);
	assert_ptr_equal(a.shared, b.shared);
	/* its secret in sodium_malloc'd memory, intact */
	assert_int_equal(hmac_key(&b)->secret_guarded, 1);
	assert_memory_equal(hmac_key(&b)->secret, SECRET_A, 64);
	/* a kept set is complete: RSA and EC keys built, none pending */
	assert_err(pj_keyset_select(&b, PJ_ALG_RS256, "rsa1", &k, reason,
	    sizeof(reason)), PJ_OK);
	assert_null(k->pending);
	assert_non_null(k->pkey);
	/* references are counted: the cache's survives both */
	pj_keyset_free(&a);
	pj_keyset_free(&b);
	load(c, &d);
	assert_non_null(d.shared);
	pj_keyset_free(&d);
	/* emptied: read afresh */
	load(c, &a);
	pj_keycache_clear();
	load(c, &b);
	assert_ptr_not_equal(a.keys, b.keys);
	pj_keyset_free(&a);
	pj_keyset_free(&b);
}

static void
recent_files_are_not_kept(void **state)
{
	struct ctx *c = *state;
	struct pj_keyset a, b;

	/* written just now: could change again within one timestamp tick */
	write_str(c->secret, SECRET_A, 0600);
	load(c, &a);
	load(c, &b);
	assert_ptr_not_equal(a.keys, b.keys);
	assert_int_equal(hmac_key(&a)->secret_guarded, 0);
	pj_keyset_free(&a);
	pj_keyset_free(&b);
	/* a file whose mtime was set back is still recent by its ctime */
	age(c->secret, 3600);
	load(c, &a);
	load(c, &b);
	assert_ptr_not_equal(a.keys, b.keys);
	pj_keyset_free(&a);
	pj_keyset_free(&b);
}

static void
a_changed_file_is_read_again(void **state)
{
	struct ctx *c = *state;
	struct pj_keyset a, b;
	struct stat st;
	struct timespec ts[2];

	wait_settled();
	load(c, &a);
	assert_memory_equal(hmac_key(&a)->secret, SECRET_A, 64);
	/* same size, same mtime put back: only ctime tells, and does */
	assert_int_equal(stat(c->secret, &st), 0);
	write_str(c->secret, SECRET_B, 0600);
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, c->secret, ts, 0), 0);
	load(c, &b);
	assert_ptr_not_equal(a.keys, b.keys);
	assert_memory_equal(hmac_key(&b)->secret, SECRET_B, 64);
	/* the old set stays whole for whoever still holds it */
	assert_memory_equal(hmac_key(&a)->secret, SECRET_A, 64);
	pj_keyset_free(&a);
	pj_keyset_free(&b);
}

static void
a_replaced_file_is_read_again(void **state)
{
	struct ctx *c = *state;
	struct pj_keyset a, b;
	const char *tmp = tpath(c->dir, "secret.new");

	wait_settled();
	load(c, &a);
	write_str(tmp, SECRET_B, 0600);
	age(tmp, 60);
	assert_int_equal(rename(tmp, c->secret), 0);
	load(c, &b);
	assert_memory_equal(hmac_key(&b)->secret, SECRET_B, 64);
	pj_keyset_free(&a);
	pj_keyset_free(&b);
}

static void
every_check_still_applies(void **state)
{
	struct ctx *c = *state;
	struct pj_keyset a, b;
	char reason[256] = "";

	wait_settled();
	load(c, &a);
	/* a kept secret whose file became group-readable is refused */
	assert_int_equal(chmod(c->secret, 0640), 0);
	memset(&b, 0, sizeof(b));
	assert_err(pj_keyset_load(&c->o, &b, reason, sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "unsafe permissions 0640"));
	assert_null(b.keys);
	assert_int_equal(chmod(c->secret, 0600), 0);
	/* a kept public key whose file is gone is refused */
	assert_int_equal(rename(c->pem, tpath(c->dir, "moved")), 0);
	reason[0] = '\0';
	assert_err(pj_keyset_load(&c->o, &b, reason, sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "cannot open"));
	/* and a symbolic link in its place */
	assert_int_equal(symlink(tpath(c->dir, "moved"), c->pem), 0);
	reason[0] = '\0';
	assert_err(pj_keyset_load(&c->o, &b, reason, sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "symbolic link"));
	pj_keyset_free(&a);
}

/* The kept set is used without opening the files (pj_file_peek), so what
 * open would refuse must refuse it too: a process that may no longer read a
 * file whose identity is unchanged (here a child that dropped root; the
 * secret is root's, mode 0600) reads it afresh and is refused as a fresh
 * read is.  Needs root. */
static void
unreadable_now_is_not_used(void **state)
{
	struct ctx *c = *state;
	struct pj_keyset a;
	pid_t pid;
	int status = 0;

	if (geteuid() != 0) {
		print_message("unreadable_now_is_not_used: skipped, needs root\n");
		skip();
	}
	/* others may search the directory: the child can see the files */
	assert_int_equal(chmod(c->dir, 0711), 0);
	wait_settled();
	load(c, &a);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pj_keyset b;
		char reason[256] = "";
		int code = 0;

		/* still root: the kept set itself */
		memset(&b, 0, sizeof(b));
		if (pj_keyset_load(&c->o, &b, reason, sizeof(reason)) != PJ_OK ||
		    b.shared != a.shared)
			code |= 1;
		pj_keyset_free(&b);
		struct stat st;

		if (setresgid(65534, 65534, 65534) != 0 ||
		    setresuid(65534, 65534, 65534) != 0)
			_exit(8);
		/* the child sees the files (the peek's fstatat passes), so
		 * the refusal below can only come from the read permission */
		if (lstat(c->secret, &st) != 0)
			_exit(9);
		memset(&b, 0, sizeof(b));
		if (pj_keyset_load(&c->o, &b, reason, sizeof(reason)) != PJ_E_KEY ||
		    strstr(reason, "cannot open") == NULL || b.keys != NULL)
			code |= 2;
		_exit(code);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	pj_keyset_free(&a);
}

/* The errors come in the order of the files, as without the cache: a bad
 * secret before a missing JWK Set. */
static void
errors_in_file_order(void **state)
{
	struct ctx *c = *state;
	struct pj_keyset ks;
	char reason[256] = "";

	write_str(c->secret, "short", 0600);
	assert_int_equal(unlink(c->jwks), 0);
	memset(&ks, 0, sizeof(ks));
	assert_err(pj_keyset_load(&c->o, &ks, reason, sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "secret is 5 bytes"));
	write_str(c->secret, SECRET_A, 0600);
	reason[0] = '\0';
	assert_err(pj_keyset_load(&c->o, &ks, reason, sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "jwks.json: cannot open"));
}

/* A set's EC key that is no point on its curve: read lazily it is refused
 * when a token chooses it, with the reason; such a set is never kept (a
 * transient failure must not stick), and the refusal stays the same. */
static void
unbuildable_key_refused_every_time(void **state)
{
	struct ctx *c = *state;
	struct pj_keyset a, b;
	const struct pj_key *k = NULL;
	char reason[256] = "", first[256] = "";
	static const char bad[] = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\","
	    "\"kid\":\"bad\",\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\","
	    "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"},"
	    "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\","
	    "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}]}";

	free(c->o.secret_file);
	free(c->o.public_key_file);
	c->o.secret_file = c->o.public_key_file = NULL;
	write_str(c->jwks, bad, 0644);
	/* recent: not kept, the lazy path */
	load(c, &a);
	assert_null(a.shared);
	assert_err(pj_keyset_select(&a, PJ_ALG_ES256, "bad", &k, first,
	    sizeof(first)), PJ_E_KEY);
	assert_non_null(strstr(first, "not a point"));
	pj_keyset_free(&a);
	/* settled: still not kept, and the same words every time */
	age(c->jwks, 60);
	wait_settled();
	load(c, &a);
	assert_null(a.shared);
	load(c, &b);
	assert_ptr_not_equal(a.keys, b.keys);
	assert_err(pj_keyset_select(&a, PJ_ALG_ES256, "bad", &k, reason,
	    sizeof(reason)), PJ_E_KEY);
	assert_string_equal(reason, first);
	reason[0] = '\0';
	assert_err(pj_keyset_select(&b, PJ_ALG_ES256, "bad", &k, reason,
	    sizeof(reason)), PJ_E_KEY);
	assert_string_equal(reason, first);
	assert_err(pj_keyset_select(&b, PJ_ALG_EDDSA, "ed", &k, reason,
	    sizeof(reason)), PJ_OK);
	pj_keyset_free(&a);
	pj_keyset_free(&b);
}

/* The whole decision through pj_verify (keys from the files, as the module
 * does), the same from a kept set as from a fresh read. */
static void
verify_the_same_from_the_cache(void **state)
{
	struct ctx *c = *state;
	static const char *const names[] = {
		"kid.RS256", "kid.PS256", "kid.ES256", "kid.ES384", "kid.ES512",
		"kid.EdDSA",
	};
	struct pj_result res;
	struct pj_keyset seen;
	size_t i, round;

	free(c->o.secret_file);
	c->o.secret_file = NULL;
	wait_settled();
	load(c, &seen);
	assert_non_null(seen.shared);
	for (round = 0; round < 2; round++) {
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			const char *t = fx_tok(names[i]);

			if (pj_verify(&c->o, NULL, t, strlen(t), NULL, fx_now() + 10,
			    &res) != PJ_OK)
				fail_msg("%s (round %zu): %s", names[i], round,
				    res.reason);
			pj_result_clear(&res);
		}
		pj_keycache_clear();
		/* round 1 reads afresh and keeps again */
	}
	pj_keyset_free(&seen);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(kept_while_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(recent_files_are_not_kept, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(a_changed_file_is_read_again, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(a_replaced_file_is_read_again, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(every_check_still_applies, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(unreadable_now_is_not_used, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(errors_in_file_order, setup, teardown),
		cmocka_unit_test_setup_teardown(unbuildable_key_refused_every_time,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(verify_the_same_from_the_cache, setup,
		    teardown),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
