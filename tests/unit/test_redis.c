/* test_redis.c - lib/redis.c without a server: the replay_cache URL
 * grammar, key names (known answers from Python's hashlib.blake2b), and a
 * server that is not there (PJ_E_STORE, bounded), and libhiredis opened
 * only when a connection is (lib/hiredis_dl.c: dlopen is wrapped here, to
 * count its calls and to play a host without the library).  The exchange
 * with a real redis-server is tests/fleet (make check-fleet). */
#include "unit.h"
#include "lib/options.h"
#include "lib/redis.h"
#define PJ_HIREDIS_NO_REDIRECT
#include "lib/hiredis_dl.h"

#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void *__real_dlopen(const char *, int);
void *__wrap_dlopen(const char *file, int mode);

static int dlopen_calls;   /* __atomic: dlopen of libhiredis */
static int dlopen_fail;
static int dlopen_hold;    /* __atomic: callers wait inside while it is 1 */
static int dlopen_held;    /* __atomic: callers waiting inside */

void *
__wrap_dlopen(const char *file, int mode)
{
	struct timespec ms = { 0, 1000000L };

	if (file == NULL || strstr(file, "libhiredis") == NULL)
		return __real_dlopen(file, mode);
	__atomic_add_fetch(&dlopen_calls, 1, __ATOMIC_SEQ_CST);
	if (dlopen_fail)
		return NULL;
	if (__atomic_load_n(&dlopen_hold, __ATOMIC_SEQ_CST)) {
		__atomic_add_fetch(&dlopen_held, 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&dlopen_hold, __ATOMIC_SEQ_CST))
			(void)nanosleep(&ms, NULL);
	}
	return __real_dlopen(file, mode);
}

/* Every member of the table is the real function: complete, not torn. */
static int
table_complete(void)
{
	int bad = 0;

	/* f names a member and a function: it cannot be parenthesised */
#define CHECK_MEMBER(f) \
	if (__atomic_load_n(&pj_hiredis.f, __ATOMIC_RELAXED) != &f) /* NOLINT(bugprone-macro-parentheses) */ \
		bad++;
	PJ_HIREDIS_FUNCS(CHECK_MEMBER)
#undef CHECK_MEMBER
	return bad == 0;
}

/* back to the state of a process that has never opened it */
static void
forget(void)
{
	memset(&pj_hiredis, 0, sizeof(pj_hiredis));
	__atomic_store_n(&pj_hiredis_ready, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&dlopen_calls, 0, __ATOMIC_SEQ_CST);
	dlopen_fail = 0;
}

static void
urls_accepted(void **state)
{
	struct pj_redis_url u;
	char reason[256] = "";

	(void)state;
	assert_int_equal(pj_redis_parse_url("redis://127.0.0.1:6380/3", &u,
	    reason, sizeof(reason)), PJ_OK);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 6380);
	assert_int_equal(u.db, 3);
	assert_int_equal(u.unix_socket, 0);
	assert_int_equal(pj_redis_parse_url("redis://redis.example.com", &u,
	    reason, sizeof(reason)), PJ_OK);
	assert_string_equal(u.host, "redis.example.com");
	assert_int_equal(u.port, 6379);
	assert_int_equal(u.db, 0);
	assert_int_equal(pj_redis_parse_url("redis://[::1]:7000/0", &u, reason,
	    sizeof(reason)), PJ_OK);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 7000);
	assert_int_equal(pj_redis_parse_url("redis+unix:///run/redis.sock?db=2",
	    &u, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(u.unix_socket, 1);
	assert_string_equal(u.path, "/run/redis.sock");
	assert_int_equal(u.db, 2);
	assert_int_equal(pj_redis_parse_url("redis+unix:///run/redis.sock", &u,
	    reason, sizeof(reason)), PJ_OK);
	assert_int_equal(u.db, 0);
}

static void
urls_refused(void **state)
{
	static const char *const bad[] = {
		"redis://", "redis://:6379", "redis://h:", "redis://h:0",
		"redis://h:65536", "redis://h:12x", "redis://h/65536",
		"redis://h/-1", "redis://h/1/2", "redis://h:1/", "redis://h x",
		"redis://user:pw@h:6379", "redis://h:6379?x=1", "redis://h#f",
		"redis://[::1", "redis+unix://", "redis+unix://relative",
		"redis+unix:///s?db=", "redis+unix:///s?db=x", "redis+unix:///s?x=1",
		"rediss://h:6379", "http://h",
	};
	struct pj_redis_url u;
	char reason[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reason[0] = '\0';
		if (pj_redis_parse_url(bad[i], &u, reason, sizeof(reason)) !=
		    PJ_E_CONFIG)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(reason[0] != '\0');
	}
	reason[0] = '\0';
	assert_int_equal(pj_redis_parse_url("redis://u:secretpw@h", &u, reason,
	    sizeof(reason)), PJ_E_CONFIG);
	assert_null(strstr(reason, "secretpw"));
	assert_non_null(strstr(reason, "redis_auth_file"));
}

static void
host_kinds(void **state)
{
	static const char *const loop[] = { "127.0.0.1", "127.1.2.3", "::1",
		"localhost", "::ffff:127.0.0.1" };
	static const char *const remote[] = { "10.0.0.5", "128.0.0.1", "::2",
		"2001:db8::1", "0.0.0.0" };
	static const char *const names[] = { "redis.example.com", "h",
		"localhost.", "LOCALHOST", "127.0.0.1.nip.io" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(loop) / sizeof(loop[0]); i++)
		if (pj_redis_host_kind(loop[i]) != PJ_REDIS_HOST_LOOPBACK)
			fail_msg("%s not loopback", loop[i]);
	for (i = 0; i < sizeof(remote) / sizeof(remote[0]); i++)
		if (pj_redis_host_kind(remote[i]) != PJ_REDIS_HOST_REMOTE)
			fail_msg("%s not remote", remote[i]);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (pj_redis_host_kind(names[i]) != PJ_REDIS_HOST_NAME)
			fail_msg("%s not a name", names[i]);
}

static void
is_url(void **state)
{
	(void)state;
	assert_true(pj_redis_is_url("redis://h"));
	assert_true(pj_redis_is_url("redis+unix:///s"));
	assert_false(pj_redis_is_url("/var/lib/pam_jwt/replay"));
	assert_false(pj_redis_is_url("rediss://h"));
	assert_false(pj_redis_is_url(NULL));
}

static void
key_names(void **state)
{
	char k[PJ_REDIS_KEY_MAX + 1], k2[PJ_REDIS_KEY_MAX + 1];

	(void)state;
	/* hashlib.blake2b(b'u\x01' + struct.pack('<Q', 9) + b'https://i' +
	 * b'j1', digest_size=32) */
	pj_redis_key(NULL, PJ_REDIS_USE, "https://i", 9, "j1", 2, k);
	assert_string_equal(k, "pam_jwt:u:2b723f52bbc90fa6d2f6cbc39424a36721dd0f"
	    "954d53d5c35e3a7a20dca4d5b5");
	pj_redis_key("pam_jwt:", PJ_REDIS_REV_KID, "kid1", 4, NULL, 0, k);
	assert_string_equal(k, "pam_jwt:k:cb082f7a6fb87e026ec36ba9acf49a3643ddbc"
	    "a4c32bb72a7699d366bbda092d");
	/* no iss: tagged apart */
	pj_redis_key(NULL, PJ_REDIS_USE, NULL, 0, "j1", 2, k);
	assert_string_equal(k, "pam_jwt:u:4935567ba9f15ceb508a0359b1c041b1186d35"
	    "c05f4e71dea0d76e4e8c3864b1");
	pj_redis_key(NULL, PJ_REDIS_USE, "", 0, "j1", 2, k2);
	assert_string_not_equal(k, k2);
	/* no shifting between iss and jti */
	pj_redis_key(NULL, PJ_REDIS_USE, "ab", 2, "c", 1, k);
	pj_redis_key(NULL, PJ_REDIS_USE, "a", 1, "bc", 2, k2);
	assert_string_not_equal(k, k2);
	/* kinds apart */
	pj_redis_key(NULL, PJ_REDIS_REV_JTI, "ab", 2, "c", 1, k2);
	assert_string_not_equal(k + 10, k2 + 10);
	/* a hostile value stays out of the name */
	pj_redis_key("p:", PJ_REDIS_REV_SUB, "i", 1, "a b\r\n*3", 7, k);
	assert_int_equal(strlen(k), 2 + 2 + 64);
	assert_int_equal(strspn(k + 4, "0123456789abcdef"), 64);
}

static void
nobody_listening(void **state)
{
	struct pj_redis_conf cf = { "redis+unix:///nonexistent/redis.sock", NULL,
		NULL, 300 };
	struct pj_redis *r = (struct pj_redis *)1;
	char reason[256] = "";

	(void)state;
	assert_int_equal(pj_redis_open(&cf, &r, reason, sizeof(reason)),
	    PJ_E_STORE);
	assert_null(r);
	assert_non_null(strstr(reason, "cannot connect"));
	pj_redis_close(NULL);
}

/* A host without libhiredis: no connection, PJ_E_STORE with the reason
 * (never success); the next call tries again, and once opened the library
 * is kept. */
static void
hiredis_on_demand(void **state)
{
	struct pj_redis_conf tcp = { "redis://127.0.0.1:1", NULL, NULL, 300 };
	struct pj_redis_conf sock = { "redis+unix:///nonexistent/redis.sock",
		NULL, NULL, 300 };
	struct pj_redis *r = (struct pj_redis *)1;
	char reason[256] = "";

	(void)state;
	forget();
	/* a configuration error is one whether or not the library loads */
	dlopen_fail = 1;
	assert_int_equal(pj_redis_open(&(struct pj_redis_conf){ "redis://h", NULL,
	    NULL, 300 }, &r, reason, sizeof(reason)), PJ_E_CONFIG);
	assert_int_equal(dlopen_calls, 0);
	reason[0] = '\0'; /* the first reason wins: a new one each time */
	assert_err(pj_redis_open(&tcp, &r, reason, sizeof(reason)), PJ_E_STORE);
	assert_null(r);
	assert_non_null(strstr(reason, "replay_cache redis://127.0.0.1:1: "
	    "cannot load libhiredis.so.0.14, needed for a Redis store"));
	assert_int_equal(pj_hiredis_loaded(), 0);
	assert_int_equal(dlopen_calls, 1);
	dlopen_fail = 0;
	r = (struct pj_redis *)1;
	reason[0] = '\0';
	assert_err(pj_redis_open(&sock, &r, reason, sizeof(reason)), PJ_E_STORE);
	assert_null(r);
	assert_non_null(strstr(reason, "cannot connect"));
	assert_int_equal(pj_hiredis_loaded(), 1);
	assert_true(table_complete());
	assert_int_equal(dlopen_calls, 2);
	assert_err(pj_redis_open(&sock, &r, reason, sizeof(reason)), PJ_E_STORE);
	assert_err(pj_hiredis_load(NULL, 0), PJ_OK);
	assert_int_equal(dlopen_calls, 2);
}

static void *
loader(void *arg)
{
	char reason[256] = "";

	*(int *)arg = pj_hiredis_load(reason, sizeof(reason));
	return NULL;
}

/* Threads that all find the table empty and load at once: every one gets
 * PJ_OK and a complete table. */
static void
hiredis_threads(void **state)
{
	struct timespec ms = { 0, 1000000L };
	pthread_t t[8];
	int res[8], i, waits;

	(void)state;
	forget();
	__atomic_store_n(&dlopen_held, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dlopen_hold, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 8; i++) {
		res[i] = -1;
		assert_int_equal(pthread_create(&t[i], NULL, loader, &res[i]), 0);
	}
	for (waits = 0; waits < 20000 &&
	    __atomic_load_n(&dlopen_held, __ATOMIC_SEQ_CST) < 8; waits++)
		(void)nanosleep(&ms, NULL);
	assert_int_equal(__atomic_load_n(&dlopen_held, __ATOMIC_SEQ_CST), 8);
	assert_int_equal(pj_hiredis_loaded(), 0);
	__atomic_store_n(&dlopen_hold, 0, __ATOMIC_SEQ_CST);
	for (i = 0; i < 8; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_err(res[i], PJ_OK);
	}
	assert_int_equal(pj_hiredis_loaded(), 1);
	assert_true(table_complete());
	assert_int_equal(dlopen_calls, 8);
}

/* The options: a Redis replay_cache, its companions, and the combinations
 * that are configuration errors. */
static char config_arg[64];

/* With config= an empty file of our own: the machine's
 * /etc/security/pam_jwt.conf (if any) plays no part. */
static int
load(const char *const *args, int n, struct pj_options *o, char *reason,
    size_t rlen)
{
	const char *argv[8];
	int i;

	argv[0] = config_arg;
	for (i = 0; i < n && i < 7; i++)
		argv[i + 1] = args[i];
	reason[0] = '\0';
	return pj_options_load(o, n + 1, argv, "sshd", reason, rlen);
}

static void
options(void **state)
{
	static const char *good[] = { "secret_file=/s",
		"replay_cache=redis://10.0.0.5:6380/2", "redis_auth_file=/a",
		"redis_prefix=fleet:", "redis_timeout=250",
		"revoked_file=/etc/security/pam_jwt.revoked",
		"redis_insecure_network" };
	static const char *const bad[][3] = {
		{ "secret_file=/s", "redis_auth_file=/a", NULL },
		{ "secret_file=/s", "redis_prefix=x:", NULL },
		{ "secret_file=/s", "replay_cache=redis://127.0.0.1:1", "redis_timeout=0" },
		{ "secret_file=/s", "replay_cache=redis://127.0.0.1:1",
		  "redis_timeout=60001" },
		{ "secret_file=/s", "replay_cache=redis://h:99999", NULL },
		{ "secret_file=/s", "replay_cache=relative/dir", NULL },
		{ "secret_file=/s", "revoked_file=relative", NULL },
		{ "secret_file=/s", "replay_cache=redis://127.0.0.1:1",
		  "redis_prefix=a b" },
		/* issue 18 F4: no TLS, so a loopback address (or a local TLS
		 * tunnel on one) unless redis_insecure_network says otherwise */
		{ "secret_file=/s", "replay_cache=redis://10.0.0.5:6380/2", NULL },
		{ "secret_file=/s", "replay_cache=redis://[2001:db8::1]", NULL },
		{ "secret_file=/s", "redis_insecure_network", NULL },
		/* issue 18 F5: no name lookup at login, even when allowed */
		{ "secret_file=/s", "replay_cache=redis://redis.example.com",
		  "redis_insecure_network" },
		{ "secret_file=/s", "replay_cache=redis://h:1", NULL },
	};
	struct pj_options o;
	char reason[256];
	size_t i;
	int n;

	char dir[] = "/tmp/pj-redis-XXXXXX";
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(config_arg, sizeof(config_arg), "config=%s/c", dir);
	f = fopen(config_arg + 7, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(chmod(config_arg + 7, 0644), 0);
	assert_int_equal(load(good, 7, &o, reason, sizeof(reason)), PJ_OK);
	assert_string_equal(o.replay_cache, "redis://10.0.0.5:6380/2");
	assert_int_equal(o.redis_insecure_network, 1);
	assert_string_equal(o.redis_auth_file, "/a");
	assert_string_equal(o.redis_prefix, "fleet:");
	assert_int_equal(o.redis_timeout, 250);
	assert_string_equal(o.revoked_file,
	    "/etc/security/pam_jwt.revoked");
	pj_options_free(&o);
	/* defaults */
	assert_int_equal(load(good, 1, &o, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(o.redis_timeout, PJ_REDIS_DEFAULT_TIMEOUT_MS);
	assert_null(o.redis_auth_file);
	assert_null(o.redis_prefix);
	assert_null(o.revoked_file);
	pj_options_free(&o);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = bad[i][2] != NULL ? 3 : 2;
		if (load(bad[i], n, &o, reason, sizeof(reason)) != PJ_E_CONFIG)
			fail_msg("case %zu accepted", i);
		assert_true(reason[0] != '\0');
		pj_options_free(&o);
	}
	unlink(config_arg + 7);
	rmdir(dir);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(urls_accepted),
		cmocka_unit_test(urls_refused),
		cmocka_unit_test(host_kinds),
		cmocka_unit_test(is_url),
		cmocka_unit_test(key_names),
		cmocka_unit_test(nobody_listening),
		cmocka_unit_test(hiredis_on_demand),
		cmocka_unit_test(hiredis_threads),
		cmocka_unit_test(options),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
