/* test_redis.c - lib/redis.c without a server: the replay_cache URL
 * grammar, key names (known answers from Python's hashlib.blake2b), and a
 * server that is not there (PJ_E_STORE, bounded).  The exchange with a
 * real redis-server is tests/fleet (make check-fleet). */
#include "unit.h"
#include "lib/redis.h"

#include <string.h>

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

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(urls_accepted),
		cmocka_unit_test(urls_refused),
		cmocka_unit_test(is_url),
		cmocka_unit_test(key_names),
		cmocka_unit_test(nobody_listening),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
