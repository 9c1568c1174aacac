/* test_replay.c - single use: the (iss, jti) store */
#include "unit.h"

#include "lib/options.h"
#include "lib/replay.h"

#include <dirent.h>
#include <ftw.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOW 1700000000LL

struct ctx {
	char *dir;
	char store[4200];
	struct pj_options o;
};

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	c->dir = tmpdir_new();
	snprintf(c->store, sizeof(c->store), "%s/replay", c->dir);
	pj_options_init(&c->o);
	c->o.replay_cache = strdup(c->store);
	c->o.single_use = 1;
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	pj_options_free(&c->o);
	tmpdir_rm(c->dir);
	free(c);
	return 0;
}

static int
record_at(struct ctx *c, json_t *claims, long long now)
{
	char reason[256] = "";
	int r = pj_replay_record(&c->o, claims, now, reason, sizeof(reason));

	if (r != PJ_OK && reason[0] == '\0')
		fail_msg("rejection %d without a reason", r);
	return r;
}

static int
record(struct ctx *c, const char *json)
{
	json_t *j = json_loads(json, 0, NULL);
	int r;

	if (j == NULL)
		fail_msg("bad test JSON %s", json);
	r = record_at(c, j, NOW);
	json_decref(j);
	return r;
}

static void
once_then_replay(void **state)
{
	struct ctx *c = *state;
	struct stat st;

	assert_int_equal(stat(c->store, &st), -1);
	assert_err(record(c, "{\"jti\":\"a\",\"exp\":1700003600}"), PJ_OK);
	/* created private */
	assert_int_equal(stat(c->store, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, 0);
	assert_err(record(c, "{\"jti\":\"a\",\"exp\":1700003600}"), PJ_E_REPLAY);
	/* the exp of the replay does not matter */
	assert_err(record(c, "{\"jti\":\"a\",\"exp\":1700009999}"), PJ_E_REPLAY);
	assert_err(record(c, "{\"jti\":\"b\",\"exp\":1700003600}"), PJ_OK);
	/* scoped by issuer: the same jti from another issuer is another token */
	assert_err(record(c, "{\"jti\":\"a\",\"iss\":\"i1\",\"exp\":1700003600}"),
	    PJ_OK);
	assert_err(record(c, "{\"jti\":\"a\",\"iss\":\"i2\",\"exp\":1700003600}"),
	    PJ_OK);
	assert_err(record(c, "{\"jti\":\"a\",\"iss\":\"i1\",\"exp\":1700003600}"),
	    PJ_E_REPLAY);
	assert_err(record(c, "{\"jti\":\"a\",\"iss\":\"\",\"exp\":1700003600}"),
	    PJ_OK);
	/* the (iss, jti) split cannot be shifted: ("i1a", "") vs ("i1", "a") */
	assert_err(record(c, "{\"jti\":\"1a\",\"iss\":\"i\",\"exp\":1700003600}"),
	    PJ_OK);
	/* case matters */
	assert_err(record(c, "{\"jti\":\"A\",\"exp\":1700003600}"), PJ_OK);
}

static void
jti_and_exp_required(void **state)
{
	struct ctx *c = *state;
	json_t *j;
	char *big;

	assert_err(record(c, "{\"exp\":1700003600}"), PJ_E_CLAIM);
	assert_err(record(c, "{\"jti\":5,\"exp\":1700003600}"), PJ_E_CLAIM);
	assert_err(record(c, "{\"jti\":\"\",\"exp\":1700003600}"), PJ_E_CLAIM);
	assert_err(record(c, "{\"jti\":[\"a\"],\"exp\":1700003600}"), PJ_E_CLAIM);
	assert_err(record(c, "{\"jti\":null,\"exp\":1700003600}"), PJ_E_CLAIM);
	assert_err(record(c, "{\"jti\":\"x\"}"), PJ_E_CLAIM);
	assert_err(record(c, "{\"jti\":\"x\",\"exp\":\"1700003600\"}"), PJ_E_CLAIM);
	j = json_pack("{s:o,s:I}", "jti", json_stringn("a\0b", 3), "exp",
	    (json_int_t)1700003600);
	assert_err(record_at(c, j, NOW), PJ_E_CLAIM);
	json_decref(j);
	/* 1024 bytes is fine, 1025 and 10 KiB are not */
	big = malloc(10241);
	assert_non_null(big);
	memset(big, 'j', 10240);
	big[1024] = '\0';
	j = json_pack("{s:s,s:I}", "jti", big, "exp", (json_int_t)1700003600);
	assert_err(record_at(c, j, NOW), PJ_OK);
	assert_err(record_at(c, j, NOW), PJ_E_REPLAY);
	json_decref(j);
	big[1024] = 'j';
	big[1025] = '\0';
	j = json_pack("{s:s,s:I}", "jti", big, "exp", (json_int_t)1700003600);
	assert_err(record_at(c, j, NOW), PJ_E_CLAIM);
	json_decref(j);
	big[1025] = 'j';
	big[10240] = '\0';
	j = json_pack("{s:s,s:I}", "jti", big, "exp", (json_int_t)1700003600);
	assert_err(record_at(c, j, NOW), PJ_E_CLAIM);
	json_decref(j);
	free(big);
}

/* Every path under root: the store itself, r/, x/, x/BUCKET, .lock and
 * 64-hex record names.  Anything else (or outside the store) is a bug. */
static const char *walk_store;
static size_t walk_bad, walk_records;

static int
walk_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel = p + strlen(walk_store);
	const char *base = p + ftw->base;
	size_t i;

	(void)st;
	(void)flag;
	if (strncmp(p, walk_store, strlen(walk_store)) != 0) {
		print_error("outside the store: %s\n", p);
		walk_bad++;
		return 0;
	}
	if (ftw->level == 0 || strcmp(rel, "/r") == 0 || strcmp(rel, "/x") == 0 ||
	    strcmp(rel, "/.lock") == 0 || strcmp(rel, "/.cursor") == 0)
		return 0;
	if (strncmp(rel, "/x/", 3) == 0 && ftw->level == 2) {
		for (i = 0; base[i]; i++)
			if (base[i] < '0' || base[i] > '9')
				goto bad;
		return 0;
	}
	if (strlen(base) != 64)
		goto bad;
	for (i = 0; i < 64; i++)
		if (!((base[i] >= '0' && base[i] <= '9') ||
		    (base[i] >= 'a' && base[i] <= 'f')))
			goto bad;
	if (strncmp(rel, "/r/", 3) == 0)
		walk_records++;
	return 0;
bad:
	print_error("unexpected entry in the store: %s\n", p);
	walk_bad++;
	return 0;
}

static size_t
check_store(struct ctx *c)
{
	walk_store = c->store;
	walk_bad = walk_records = 0;
	assert_int_equal(nftw(c->store, walk_one, 16, FTW_PHYS), 0);
	assert_int_equal(walk_bad, 0);
	return walk_records;
}

static void
hostile_jti_stays_inside(void **state)
{
	static const char *const hostile[] = { "../x", "../../../../tmp/evil",
	    "/etc/passwd", "x/../../y", ".", "..", ".lock", "r", "x",
	    "%2e%2e%2f", "a\nb", "-rf", "*", "\\..\\x" };
	struct ctx *c = *state;
	DIR *d;
	struct dirent *de;
	size_t i, entries = 0;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		json_t *j = json_pack("{s:s,s:s,s:I}", "jti", hostile[i], "iss",
		    hostile[i], "exp", (json_int_t)1700003600);

		assert_err(record_at(c, j, NOW), PJ_OK);
		assert_err(record_at(c, j, NOW), PJ_E_REPLAY);
		json_decref(j);
	}
	assert_int_equal(check_store(c), sizeof(hostile) / sizeof(hostile[0]));
	/* the temporary directory holds the store and nothing else */
	d = opendir(c->dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		assert_string_equal(de->d_name, "replay");
		entries++;
	}
	closedir(d);
	assert_int_equal(entries, 1);
}

static void
store_created_with_parent(void **state)
{
	struct ctx *c = *state;
	struct stat st;
	char p[4300];

	snprintf(p, sizeof(p), "%s/parent/replay", c->dir);
	free(c->o.replay_cache);
	c->o.replay_cache = strdup(p);
	assert_err(record(c, "{\"jti\":\"a\",\"exp\":1700003600}"), PJ_OK);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(p, sizeof(p), "%s/parent", c->dir);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 077, 0);
	/* two levels missing: not created, fail closed */
	snprintf(p, sizeof(p), "%s/a/b/replay", c->dir);
	free(c->o.replay_cache);
	c->o.replay_cache = strdup(p);
	assert_err(record(c, "{\"jti\":\"a\",\"exp\":1700003600}"), PJ_E_STORE);
}

static void
unsafe_store(void **state)
{
	struct ctx *c = *state;
	char real[4300];
	int i;
	static const mode_t modes[] = { 0755, 0750, 0705, 0770, 0777, 0701 };

	assert_int_equal(mkdir(c->store, 0700), 0);
	assert_err(record(c, "{\"jti\":\"a\",\"exp\":1700003600}"), PJ_OK);
	for (i = 0; i < 6; i++) {
		assert_int_equal(chmod(c->store, modes[i]), 0);
		assert_err(record(c, "{\"jti\":\"b\",\"exp\":1700003600}"),
		    PJ_E_STORE);
	}
	assert_int_equal(chmod(c->store, 0700), 0);
	assert_int_equal(chown(c->store, 1234, 1234), 0);
	assert_err(record(c, "{\"jti\":\"b\",\"exp\":1700003600}"), PJ_E_STORE);
	assert_int_equal(chown(c->store, 0, 0), 0);
	/* a sub-directory made unsafe */
	snprintf(real, sizeof(real), "%s/r", c->store);
	assert_int_equal(chmod(real, 0755), 0);
	assert_err(record(c, "{\"jti\":\"b\",\"exp\":1700003600}"), PJ_E_STORE);
	assert_int_equal(chmod(real, 0700), 0);
	assert_err(record(c, "{\"jti\":\"b\",\"exp\":1700003600}"), PJ_OK);
	/* the store as a symlink to a good directory, or a file */
	snprintf(real, sizeof(real), "%s/real", c->dir);
	assert_int_equal(rename(c->store, real), 0);
	assert_int_equal(symlink(real, c->store), 0);
	assert_err(record(c, "{\"jti\":\"c\",\"exp\":1700003600}"), PJ_E_STORE);
	assert_int_equal(unlink(c->store), 0);
	write_str(c->store, "", 0600);
	assert_err(record(c, "{\"jti\":\"c\",\"exp\":1700003600}"), PJ_E_STORE);
	/* and a relative or missing-parent path is refused, not created here */
	free(c->o.replay_cache);
	c->o.replay_cache = strdup("/proc/pj-unit-no-such/replay");
	assert_err(record(c, "{\"jti\":\"c\",\"exp\":1700003600}"), PJ_E_STORE);
}

static void
expired_records_are_replaced(void **state)
{
	struct ctx *c = *state;
	json_t *j = json_pack("{s:s,s:I}", "jti", "e", "exp",
	    (json_int_t)(NOW - PJ_LEEWAY_MAX - 1000));

	c->o.leeway = 60;
	/* exp long past: kept at least until now */
	assert_err(record_at(c, j, NOW), PJ_OK);
	assert_err(record_at(c, j, NOW), PJ_E_REPLAY);
	assert_err(record_at(c, j, NOW + 1), PJ_OK);
	assert_err(record_at(c, j, NOW + 1), PJ_E_REPLAY);
	json_decref(j);
	/* kept until exp + the largest leeway any configuration may set,
	 * whatever this one's leeway, replaced after */
	j = json_pack("{s:s,s:I}", "jti", "f", "exp", (json_int_t)(NOW + 100));
	assert_err(record_at(c, j, NOW), PJ_OK);
	assert_err(record_at(c, j, NOW + 160), PJ_E_REPLAY);
	assert_err(record_at(c, j, NOW + 100 + PJ_LEEWAY_MAX), PJ_E_REPLAY);
	assert_err(record_at(c, j, NOW + 101 + PJ_LEEWAY_MAX), PJ_OK);
	json_decref(j);
	/* issue 11.2: sshd (leeway 0) and sudo (leeway 60) share the store; the
	 * record sshd makes must outlive every leeway, not only sshd's */
	j = json_pack("{s:s,s:I}", "jti", "mixed", "exp", (json_int_t)(NOW + 3));
	c->o.leeway = 0;
	assert_err(record_at(c, j, NOW), PJ_OK);
	c->o.leeway = 60;
	assert_err(record_at(c, j, NOW), PJ_E_REPLAY);
	assert_err(record_at(c, j, NOW + 4), PJ_E_REPLAY);
	assert_err(record_at(c, j, NOW + 3 + 60), PJ_E_REPLAY);
	c->o.leeway = PJ_LEEWAY_MAX;
	assert_err(record_at(c, j, NOW + 3 + PJ_LEEWAY_MAX), PJ_E_REPLAY);
	json_decref(j);
	/* a far future exp (even 1e300) is kept */
	j = json_loads("{\"jti\":\"g\",\"exp\":1e300}", 0, NULL);
	assert_err(record_at(c, j, NOW), PJ_OK);
	assert_err(record_at(c, j, NOW + 100000000LL), PJ_E_REPLAY);
	json_decref(j);
	check_store(c);
}

static void
pruning_is_bounded(void **state)
{
	struct ctx *c = *state;
	size_t i, before, after, total = 100;
	char jti[32];

	c->o.leeway = 0;
	for (i = 0; i < total; i++) {
		json_t *j;

		snprintf(jti, sizeof(jti), "old-%zu", i);
		j = json_pack("{s:s,s:I}", "jti", jti, "exp",
		    (json_int_t)(NOW + (long long)i * 10));
		assert_err(record_at(c, j, NOW), PJ_OK);
		json_decref(j);
	}
	before = check_store(c);
	assert_int_equal(before, total);
	/* much later: every old record has expired; each call removes a few */
	for (i = 0; i < 20; i++) {
		json_t *j;

		snprintf(jti, sizeof(jti), "new-%zu", i);
		j = json_pack("{s:s,s:I}", "jti", jti, "exp",
		    (json_int_t)(NOW + 10000000LL));
		assert_err(record_at(c, j, NOW + 100000), PJ_OK);
		json_decref(j);
		after = check_store(c);
		/* at most 16 removed, never the record just made */
		assert_true(after + 16 >= before + 1);
		assert_true(after <= before + 1);
		before = after;
	}
	/* in the end only the 20 live records remain */
	assert_int_equal(before, 20);
}

static void
concurrent_same_token(void **state)
{
	struct ctx *c = *state;
	enum { N = 8 };
	pid_t pids[N];
	int go[2], i, ok = 0, replay = 0, other = 0;
	char b = 'x';

	assert_int_equal(pipe(go), 0);
	for (i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			json_t *j = json_pack("{s:s,s:s,s:I}", "jti", "race", "iss",
			    "https://issuer.example", "exp", (json_int_t)(NOW + 60));
			char reason[256] = "";
			int r;

			close(go[1]);
			if (read(go[0], &b, 1) < 0)  /* wait for the start (EOF) */
				_exit(3);
			r = pj_replay_record(&c->o, j, NOW, reason, sizeof(reason));
			json_decref(j);
			_exit(r == PJ_OK ? 0 : r == PJ_E_REPLAY ? 1 : 2);
		}
	}
	close(go[0]);
	close(go[1]);       /* EOF releases every child at once */
	for (i = 0; i < N; i++) {
		int st;

		assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
			replay++;
		else
			other++;
	}
	print_message("%d concurrent callers: %d accepted, %d replays\n", N, ok,
	    replay);
	assert_int_equal(other, 0);
	assert_int_equal(ok, 1);
	assert_int_equal(replay, N - 1);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(once_then_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(jti_and_exp_required, setup, teardown),
		cmocka_unit_test_setup_teardown(hostile_jti_stays_inside, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(store_created_with_parent, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(unsafe_store, setup, teardown),
		cmocka_unit_test_setup_teardown(expired_records_are_replaced, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(pruning_is_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_same_token, setup,
		    teardown),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
