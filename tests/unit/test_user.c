/* test_user.c - names, globs, the user map, and pj_user_resolve against
 * accounts from nss_wrapper (root 0, sysuser 2, alice 1001, bob 1002,
 * Alice 1003).  getpwnam_r is wrapped (-Wl,--wrap) so a test can also play
 * an NSS module that matches names case-insensitively, one that wants a
 * bigger buffer, and one that fails; open is wrapped to count the reads of
 * the user map. */
#include "unit.h"
#include "count_open.h"

#include "lib/options.h"
#include "lib/textcache.h"
#include "lib/user.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum nss_mode { NSS_PASS, NSS_LOOSE, NSS_ERANGE, NSS_EIO };
static enum nss_mode nss_mode;
static size_t nss_calls;

int __real_getpwnam_r(const char *, struct passwd *, char *, size_t,
    struct passwd **);
int __wrap_getpwnam_r(const char *, struct passwd *, char *, size_t,
    struct passwd **);

int
__wrap_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
    struct passwd **res)
{
	char low[256];
	size_t i;

	nss_calls++;
	switch (nss_mode) {
	case NSS_PASS:
		break;
	case NSS_LOOSE:
		for (i = 0; name[i] != '\0' && i + 1 < sizeof(low); i++)
			low[i] = (char)tolower((unsigned char)name[i]);
		low[i] = '\0';
		return __real_getpwnam_r(low, pw, buf, len, res);
	case NSS_ERANGE:
		if (len < 64 * 1024) {
			*res = NULL;
			return ERANGE;
		}
		break;
	case NSS_EIO:
		*res = NULL;
		return EIO;
	}
	return __real_getpwnam_r(name, pw, buf, len, res);
}

static void
nss_wrapper_is_active(void **state)
{
	struct passwd *pw;

	(void)state;
	pw = getpwnam("alice");
	if (pw == NULL || pw->pw_uid != 1001)
		fail_msg("nss_wrapper is not active: run with LD_PRELOAD="
		    "libnss_wrapper.so NSS_WRAPPER_PASSWD=FIXTURES/passwd "
		    "NSS_WRAPPER_GROUP=FIXTURES/group (tests/unit/run.sh does)");
	pw = getpwnam("Alice");
	assert_non_null(pw);
	assert_int_equal(pw->pw_uid, 1003);
	assert_null(getpwnam("ALICE"));
	pw = getpwnam("sysuser");
	assert_non_null(pw);
	assert_int_equal(pw->pw_uid, 2);
}

static void
names(void **state)
{
	static const char *const good[] = { "alice", "a", "Alice", "a.b", "a_b",
	    "a-b", "_x", "x1", "1x", "0.5", "1-2", "A1_b.c-d",
	    "abcdefghijklmnopqrstuvwxyz012345" };
	static const char *const bad[] = { "", "-a", ".a", ".", "..", "a b",
	    "a@b", "a/b", "a:b", "a\xc3\xa4", "abcdefghijklmnopqrstuvwxyz0123456",
	    "123", "0", "a\n", "$", "a$", "a\t", "../root", "a,b", "a*", "~a" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!pj_user_name_valid(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pj_user_name_valid(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
}

static void
globs(void **state)
{
	static const struct {
		const char *p, *s;
		int m;
	} t[] = {
		{ "*", "", 1 }, { "*", "anything@x", 1 }, { "**", "x", 1 },
		{ "a*", "abc", 1 }, { "a*", "a", 1 }, { "a*", "ba", 0 },
		{ "*@example.com", "x@example.com", 1 },
		{ "*@example.com", "x@example.comm", 0 },
		{ "*@example.com", "x@Example.com", 0 },
		{ "?", "a", 1 }, { "?", "", 0 }, { "?", "ab", 0 },
		{ "a?c", "abc", 1 }, { "a?c", "ac", 0 },
		{ "a*b*c", "aXbYc", 1 }, { "a*b*c", "abc", 1 }, { "a*b*c", "acb", 0 },
		{ "*.*", "a.b", 1 }, { "*.*", "ab", 0 },
		{ "[abc]", "a", 0 }, { "[abc]", "[abc]", 1 },
		{ "\\*", "\\x", 1 }, { "\\*", "*", 0 },
		{ "A*", "abc", 0 }, { "", "", 1 }, { "", "a", 0 },
		{ "*a", "aaaa", 1 }, { "*ab", "aab", 1 }, { "*ab", "aba", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (pj_user_glob(t[i].p, t[i].s) != t[i].m)
			fail_msg("glob('%s', '%s') != %d", t[i].p, t[i].s, t[i].m);
}

static const char map_text[] =
    "# token value          local account\n"
    "\n"
    "alice@example.com      alice\r\n"
    "carol@example.com\tbob\n"
    "*@example.com          %u\n"
    "admin?                 root\n"
    "  *@other.example      %s  \n"
    "literal                Alice\n";

static int
map(const char *text, const char *value, char **out, char *reason, size_t rlen)
{
	reason[0] = '\0';
	return pj_user_map_apply(text, strlen(text), "map", value, out, reason,
	    rlen);
}

static void
user_map(void **state)
{
	static const struct {
		const char *value, *want;
	} t[] = {
		{ "alice@example.com", "alice" },
		{ "carol@example.com", "bob" },      /* first match wins */
		{ "dave@example.com", "dave" },
		{ "admin1", "root" }, { "admin12", NULL },
		{ "x@other.example", "x@other.example" },
		{ "literal", "Alice" }, { "nobody@nowhere", NULL },
	};
	char reason[256] = "";
	char *out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		out = (char *)"sentinel";
		assert_err(map(map_text, t[i].value, &out, reason, sizeof(reason)),
		    PJ_OK);
		if (t[i].want == NULL)
			assert_null(out);
		else if (out == NULL || strcmp(out, t[i].want) != 0)
			fail_msg("%s mapped to %s, expected %s", t[i].value,
			    out ? out : "(nothing)", t[i].want);
		free(out);
	}
	assert_err(map("", "x", &out, reason, sizeof(reason)), PJ_OK);
	assert_null(out);
	/* %u needs exactly one '@' with something before it: a value such as
	 * "a@b@example.com" must not become "a" */
	out = NULL;
	assert_err(map(map_text, "a@b@example.com", &out, reason, sizeof(reason)),
	    PJ_E_USER);
	assert_null(out);
	assert_err(map(map_text, "@example.com", &out, reason, sizeof(reason)),
	    PJ_E_USER);
	assert_null(out);
}

static void
user_map_malformed(void **state)
{
	static const struct {
		const char *text, *where;
	} bad[] = {
		{ "a alice\nonlypattern\n", "map:2:" },
		{ "\n\n# c\na b c\n", "map:4:" },
		{ "a bad@name\n", "map:1:" },
		{ "a 123\n", "map:1:" },
		{ "a -x\n", "map:1:" },
		{ "a\x01z alice\n", "map:1:" },
		{ "a %x\n", "map:1:" },
		{ "a %s%u\n", "map:1:" },
		{ "a abcdefghijklmnopqrstuvwxyz0123456\n", "map:1:" },
		/* a malformed line after the matching one still fails */
		{ "x alice\ny\n", "map:2:" },
	};
	char reason[256] = "";
	char *out;
	size_t i;
	char longpat[700];

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		out = (char *)"sentinel";
		if (map(bad[i].text, "x", &out, reason, sizeof(reason)) != PJ_E_CONFIG)
			fail_msg("map %zu accepted", i);
		assert_null(out);
		if (strncmp(reason, bad[i].where, strlen(bad[i].where)) != 0)
			fail_msg("map %zu: '%s' does not name %s", i, reason,
			    bad[i].where);
	}
	memset(longpat, 'p', 600);
	snprintf(longpat + 600, sizeof(longpat) - 600, " alice\n");
	assert_err(map(longpat, "x", &out, reason, sizeof(reason)), PJ_E_CONFIG);
	assert_err(pj_user_map_apply("a alice\n\0", 9, "map", "a", &out, reason,
	    sizeof(reason)), PJ_E_CONFIG);
	assert_null(out);
}

/* ---- pj_user_resolve ------------------------------------------------- */

static int
resolve(const struct pj_options *o, const char *claims_json,
    const char *pam_user, char **user)
{
	char reason[256] = "";
	json_t *c = json_loads(claims_json, 0, NULL);
	int r;

	assert_non_null(c);
	*user = (char *)"sentinel";
	r = pj_user_resolve(o, c, pam_user, user, reason, sizeof(reason));
	json_decref(c);
	if (r != PJ_OK) {
		assert_null(*user);
		if (reason[0] == '\0')
			fail_msg("rejection %d without a reason", r);
	}
	return r;
}

static void
expect_user(const struct pj_options *o, const char *claims, const char *pam,
    int want, const char *want_user)
{
	char *u;
	int r = resolve(o, claims, pam, &u);

	if (r != want)
		fail_msg("%s (PAM_USER %s): %d (%s), expected %d (%s)", claims,
		    pam ? pam : "unset", r, pj_strerror(r), want, pj_strerror(want));
	if (r == PJ_OK) {
		assert_string_equal(u, want_user);
		free(u);
	}
}

static void
resolve_accounts(void **state)
{
	struct pj_options o;
	char big[400];

	(void)state;
	pj_options_init(&o);
	nss_mode = NSS_PASS;
	expect_user(&o, "{\"sub\":\"alice\"}", NULL, PJ_OK, "alice");
	expect_user(&o, "{\"sub\":\"Alice\"}", NULL, PJ_OK, "Alice");
	expect_user(&o, "{\"sub\":\"ALICE\"}", NULL, PJ_E_USER_UNKNOWN, NULL);
	expect_user(&o, "{\"sub\":\"nobody-here\"}", NULL, PJ_E_USER_UNKNOWN, NULL);
	/* root needs allow_root; system accounts need min_uid */
	expect_user(&o, "{\"sub\":\"root\"}", NULL, PJ_E_ACCOUNT, NULL);
	expect_user(&o, "{\"sub\":\"sysuser\"}", NULL, PJ_E_ACCOUNT, NULL);
	o.allow_root = 1;
	expect_user(&o, "{\"sub\":\"root\"}", NULL, PJ_OK, "root");
	expect_user(&o, "{\"sub\":\"sysuser\"}", NULL, PJ_E_ACCOUNT, NULL);
	o.allow_root = 0;
	o.min_uid = 0;
	expect_user(&o, "{\"sub\":\"sysuser\"}", NULL, PJ_OK, "sysuser");
	expect_user(&o, "{\"sub\":\"root\"}", NULL, PJ_E_ACCOUNT, NULL);
	o.min_uid = 2;
	expect_user(&o, "{\"sub\":\"sysuser\"}", NULL, PJ_OK, "sysuser");
	o.min_uid = 3;
	expect_user(&o, "{\"sub\":\"sysuser\"}", NULL, PJ_E_ACCOUNT, NULL);
	o.min_uid = 1001;
	expect_user(&o, "{\"sub\":\"alice\"}", NULL, PJ_OK, "alice");
	o.min_uid = 1002;
	expect_user(&o, "{\"sub\":\"alice\"}", NULL, PJ_E_ACCOUNT, NULL);
	o.min_uid = 1000;
	/* names that are not names */
	expect_user(&o, "{\"sub\":\"alice smith\"}", NULL, PJ_E_USER, NULL);
	expect_user(&o, "{\"sub\":\"1001\"}", NULL, PJ_E_USER, NULL);
	expect_user(&o, "{\"sub\":\"\"}", NULL, PJ_E_USER, NULL);
	expect_user(&o, "{\"sub\":\"-alice\"}", NULL, PJ_E_USER, NULL);
	expect_user(&o, "{\"sub\":\"../alice\"}", NULL, PJ_E_USER, NULL);
	expect_user(&o, "{\"sub\":1001}", NULL, PJ_E_USER, NULL);
	expect_user(&o, "{\"sub\":[\"alice\"]}", NULL, PJ_E_USER, NULL);
	expect_user(&o, "{\"sub\":null}", NULL, PJ_E_USER, NULL);
	expect_user(&o, "{\"name\":\"alice\"}", NULL, PJ_E_USER, NULL);
	memset(big, 'a', 300);
	snprintf(big + 300, sizeof(big) - 300, "\"}");
	{
		char claims[420];

		snprintf(claims, sizeof(claims), "{\"sub\":\"%s", big);
		expect_user(&o, claims, NULL, PJ_E_USER, NULL);
	}
	{
		json_t *c = json_pack("{s:o}", "sub", json_stringn("alice\0x", 7));
		char reason[256] = "", *u = NULL;

		assert_err(pj_user_resolve(&o, c, NULL, &u, reason, sizeof(reason)),
		    PJ_E_USER);
		assert_null(u);
		json_decref(c);
	}
	/* PAM_USER already set */
	expect_user(&o, "{\"sub\":\"alice\"}", "alice", PJ_OK, "alice");
	expect_user(&o, "{\"sub\":\"alice\"}", "bob", PJ_E_USER, NULL);
	expect_user(&o, "{\"sub\":\"alice\"}", "Alice", PJ_E_USER, NULL);
	expect_user(&o, "{\"sub\":\"alice\"}", "alice ", PJ_E_USER, NULL);
	expect_user(&o, "{\"sub\":\"alice\"}", "", PJ_E_USER, NULL);
	/* another claim names the person */
	o.user_claim = strdup("preferred_username");
	expect_user(&o, "{\"sub\":\"bob\",\"preferred_username\":\"alice\"}", NULL,
	    PJ_OK, "alice");
	expect_user(&o, "{\"sub\":\"bob\"}", NULL, PJ_E_USER, NULL);
	pj_options_free(&o);
}

static void
resolve_loose_nss(void **state)
{
	struct pj_options o;

	(void)state;
	pj_options_init(&o);
	/* an NSS module that folds case finds "alice" for "ALICE": refused */
	nss_mode = NSS_LOOSE;
	expect_user(&o, "{\"sub\":\"ALICE\"}", NULL, PJ_E_USER, NULL);
	expect_user(&o, "{\"sub\":\"aLiCe\"}", "aLiCe", PJ_E_USER, NULL);
	expect_user(&o, "{\"sub\":\"alice\"}", NULL, PJ_OK, "alice");
	/* a module that wants a bigger buffer: retried, found */
	nss_mode = NSS_ERANGE;
	nss_calls = 0;
	expect_user(&o, "{\"sub\":\"alice\"}", NULL, PJ_OK, "alice");
	assert_true(nss_calls > 1);
	/* a module that fails: not "unknown user" but an internal error */
	nss_mode = NSS_EIO;
	expect_user(&o, "{\"sub\":\"alice\"}", NULL, PJ_E_INTERNAL, NULL);
	nss_mode = NSS_PASS;
	pj_options_free(&o);
}

static void
resolve_with_map_file(void **state)
{
	struct pj_options o;
	char *dir = tmpdir_new();
	const char *mp = tpath(dir, "user_map");

	(void)state;
	nss_mode = NSS_PASS;
	write_str(mp, "alice@example.com alice\n*@corp.example %u\n"
	    "boss@example.com root\nsys@example.com sysuser\n", 0644);
	pj_options_init(&o);
	o.user_claim = strdup("email");
	o.user_map = strdup(mp);
	expect_user(&o, "{\"email\":\"alice@example.com\"}", NULL, PJ_OK, "alice");
	expect_user(&o, "{\"email\":\"bob@corp.example\"}", "bob", PJ_OK, "bob");
	expect_user(&o, "{\"email\":\"bob@corp.example\"}", "alice", PJ_E_USER,
	    NULL);
	expect_user(&o, "{\"email\":\"eve@evil.example\"}", NULL, PJ_E_USER, NULL);
	expect_user(&o, "{\"email\":\"@corp.example\"}", NULL, PJ_E_USER, NULL);
	expect_user(&o, "{\"email\":\"zed@corp.example\"}", NULL,
	    PJ_E_USER_UNKNOWN, NULL);
	expect_user(&o, "{\"email\":\"boss@example.com\"}", NULL, PJ_E_ACCOUNT,
	    NULL);
	expect_user(&o, "{\"email\":\"sys@example.com\"}", NULL, PJ_E_ACCOUNT,
	    NULL);
	/* the value must be a valid local name without a map, not with one */
	expect_user(&o, "{\"email\":\"alice\"}", NULL, PJ_E_USER, NULL);
	/* the map file is read safely */
	write_str(mp, "alice@example.com alice\n", 0666);
	expect_user(&o, "{\"email\":\"alice@example.com\"}", NULL, PJ_E_CONFIG,
	    NULL);
	write_file(mp, "x alice\n", 8, 0644, 1234, 0);
	expect_user(&o, "{\"email\":\"x\"}", NULL, PJ_E_CONFIG, NULL);
	write_str(mp, "x alice\nbroken\n", 0644);
	expect_user(&o, "{\"email\":\"x\"}", NULL, PJ_E_CONFIG, NULL);
	unlink(mp);
	expect_user(&o, "{\"email\":\"x\"}", NULL, PJ_E_CONFIG, NULL);
	pj_options_free(&o);
	tmpdir_rm(dir);
}

/* expect_user, and how many times it opened the user map */
static int
opens_of(const struct pj_options *o, const char *claims, int want,
    const char *want_user)
{
	counted_path = o->user_map;
	counted_opens = 0;
	expect_user(o, claims, NULL, want, want_user);
	counted_path = NULL;
	return counted_opens;
}

/* The user map's text kept between logins (lib/textcache.c, as the
 * configuration file's): only once the file has settled, read again at
 * once when it changes, and refused as a fresh read refuses it. */
static void
map_file_kept(void **state)
{
	struct pj_options o;
	char *dir = tmpdir_new();
	const char *mp = tpath(dir, "user_map");
	const char *alice = "{\"email\":\"alice@example.com\"}";

	(void)state;
	nss_mode = NSS_PASS;
	pj_textcache_clear();
	write_str(mp, "alice@example.com alice\n", 0644);
	if (!on_local_fs(mp)) {
		print_message("map_file_kept: skipped, %s is not on a local "
		    "file system\n", dir);
		tmpdir_rm(dir);
		skip();
	}
	pj_options_init(&o);
	o.user_claim = strdup("email");
	o.user_map = strdup(mp);
	/* a recent file: read at every login */
	assert_int_equal(opens_of(&o, alice, PJ_OK, "alice"), 1);
	assert_int_equal(opens_of(&o, alice, PJ_OK, "alice"), 1);
	/* settled: read once more, then kept */
	age_and_settle(mp);
	assert_int_equal(opens_of(&o, alice, PJ_OK, "alice"), 1);
	assert_int_equal(opens_of(&o, alice, PJ_OK, "alice"), 0);
	assert_int_equal(opens_of(&o, alice, PJ_OK, "alice"), 0);
	/* changed in place, the same size: the new text at once */
	write_str(mp, "alice@example.com Alice\n", 0644);
	assert_int_equal(opens_of(&o, alice, PJ_OK, "Alice"), 1);
	/* replaced by another file (rename): the same */
	write_str(tpath(dir, "new"), "alice@example.com alice\n", 0644);
	age_and_settle(tpath(dir, "new"));
	assert_int_equal(rename(tpath(dir, "new"), mp), 0);
	assert_int_equal(opens_of(&o, alice, PJ_OK, "alice"), 1);
	/* (a rename sets the file's ctime: settled again only later) */
	age_and_settle(mp);
	assert_int_equal(opens_of(&o, alice, PJ_OK, "alice"), 1);
	assert_int_equal(opens_of(&o, alice, PJ_OK, "alice"), 0);
	/* kept, then made world-writable: refused as a fresh read is */
	assert_int_equal(chmod(mp, 0666), 0);
	(void)opens_of(&o, alice, PJ_E_CONFIG, NULL);
	assert_int_equal(chmod(mp, 0644), 0);
	age_and_settle(mp);
	assert_int_equal(opens_of(&o, alice, PJ_OK, "alice"), 1);
	assert_int_equal(opens_of(&o, alice, PJ_OK, "alice"), 0);
	/* gone: refused, not served from the kept text */
	assert_int_equal(unlink(mp), 0);
	(void)opens_of(&o, alice, PJ_E_CONFIG, NULL);
	pj_options_free(&o);
	pj_textcache_clear();
	tmpdir_rm(dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nss_wrapper_is_active),
		cmocka_unit_test(names),
		cmocka_unit_test(globs),
		cmocka_unit_test(user_map),
		cmocka_unit_test(user_map_malformed),
		cmocka_unit_test(resolve_accounts),
		cmocka_unit_test(resolve_loose_nss),
		cmocka_unit_test(resolve_with_map_file),
		cmocka_unit_test(map_file_kept),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
