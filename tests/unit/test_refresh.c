/* test_refresh.c - the refresh request of a token whose kid the set lacks
 * (lib/refresh.c): when it is left, the rate limit, and the files it
 * refuses. */
#include "unit.h"

#include "lib/b64url.h"
#include "lib/options.h"
#include "lib/refresh.h"
#include "lib/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#define ISS "https://idp.example"

static char *
tok(const char *kid, const char *iss)
{
	char head[128], body[128], *h, *p, *t;

	snprintf(head, sizeof(head), "{\"alg\":\"RS256\",\"kid\":\"%s\"}", kid);
	snprintf(body, sizeof(body), "{\"iss\":\"%s\",\"sub\":\"a\"}", iss);
	h = pj_b64url_encode_alloc((const unsigned char *)head, strlen(head));
	p = pj_b64url_encode_alloc((const unsigned char *)body, strlen(body));
	t = malloc(strlen(h) + strlen(p) + 8);
	assert_non_null(t);
	sprintf(t, "%s.%s.c2ln", h, p);
	free(h);
	free(p);
	return t;
}

struct fx {
	char *dir;
	char req[4200];
	struct pj_options o;
};

/* the fixture set (kids rsa1, ec256, ec384, ec521, ed1), absolute */
static char jwks[4200];

static void
setup(struct fx *f)
{
	char reason[256] = "", *abs = realpath(fx_path("jwks.json"), NULL);

	assert_non_null(abs);
	snprintf(jwks, sizeof(jwks), "%s", abs);
	free(abs);

	f->dir = tmpdir_new();
	snprintf(f->req, sizeof(f->req), "%s", tpath(f->dir, "refresh-request"));
	pj_options_init(&f->o);
	assert_err(pj_options_set(&f->o, PJ_LEVEL_FILE, "jwks_file", jwks,
	    reason, sizeof(reason)), PJ_OK);
	assert_err(pj_options_set(&f->o, PJ_LEVEL_FILE, "issuer", ISS, reason,
	    sizeof(reason)), PJ_OK);
	assert_err(pj_options_set(&f->o, PJ_LEVEL_FILE, "refresh_request",
	    f->req, reason, sizeof(reason)), PJ_OK);
}

static void
teardown(struct fx *f)
{
	pj_options_free(&f->o);
	tmpdir_rm(f->dir);
}

static int
ask(struct fx *f, int err, const char *kid, const char *iss, long long now,
    enum pj_refresh_state *st)
{
	struct pj_result res;
	char reason[256] = "", *t = tok(kid, iss);
	int r;

	memset(&res, 0, sizeof(res));
	res.err = err;
	snprintf(res.kid, sizeof(res.kid), "%s", kid);
	r = pj_refresh_maybe(&f->o, t, strlen(t), &res, now, st, reason,
	    sizeof(reason));
	free(t);
	return r;
}

static void
requested_once_per_interval(void **state)
{
	struct fx f;
	enum pj_refresh_state st;
	struct stat sb;
	long long now = (long long)time(NULL);
	struct timespec old[2] = { { 0, 0 }, { 0, 0 } };

	(void)state;
	setup(&f);
	assert_err(ask(&f, PJ_E_NO_KEY, "new-kid", ISS, now, &st), PJ_OK);
	assert_int_equal(st, PJ_REFRESH_REQUESTED);
	assert_int_equal(stat(f.req, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_size, 0);
	/* within refresh_interval (60 s): not again */
	assert_err(ask(&f, PJ_E_NO_KEY, "other-new", ISS, now + 30, &st), PJ_OK);
	assert_int_equal(st, PJ_REFRESH_RECENT);
	/* a new key type the set has none of is refused as PJ_E_ALG */
	old[0].tv_sec = old[1].tv_sec = (time_t)(now - 120);
	assert_int_equal(utimensat(AT_FDCWD, f.req, old, 0), 0);
	assert_err(ask(&f, PJ_E_ALG, "new-type", ISS, now, &st), PJ_OK);
	assert_int_equal(st, PJ_REFRESH_REQUESTED);
	/* a file time in the future (clock set back) does not block */
	old[0].tv_sec = old[1].tv_sec = (time_t)(now + 3600);
	assert_int_equal(utimensat(AT_FDCWD, f.req, old, 0), 0);
	assert_err(ask(&f, PJ_E_NO_KEY, "new-kid", ISS, now, &st), PJ_OK);
	assert_int_equal(st, PJ_REFRESH_REQUESTED);
	teardown(&f);
}

static void
not_requested(void **state)
{
	struct fx f;
	enum pj_refresh_state st;
	long long now = (long long)time(NULL);
	char reason[256] = "";

	(void)state;
	setup(&f);
	/* another rejection */
	assert_err(ask(&f, PJ_E_SIGNATURE, "new-kid", ISS, now, &st), PJ_OK);
	assert_int_equal(st, PJ_REFRESH_NONE);
	/* a foreign issuer's token */
	assert_err(ask(&f, PJ_E_NO_KEY, "new-kid", "https://evil.example", now,
	    &st), PJ_OK);
	assert_int_equal(st, PJ_REFRESH_NONE);
	/* a kid the set holds (another algorithm than its key's) */
	assert_err(ask(&f, PJ_E_ALG, "rsa1", ISS, now, &st), PJ_OK);
	assert_int_equal(st, PJ_REFRESH_NONE);
	assert_int_equal(access(f.req, F_OK), -1);
	pj_options_free(&f.o);
	/* refresh_request not set */
	pj_options_init(&f.o);
	assert_err(pj_options_set(&f.o, PJ_LEVEL_FILE, "jwks_file", jwks,
	    reason, sizeof(reason)), PJ_OK);
	assert_err(pj_options_set(&f.o, PJ_LEVEL_FILE, "issuer", ISS, reason,
	    sizeof(reason)), PJ_OK);
	assert_err(ask(&f, PJ_E_NO_KEY, "new-kid", ISS, now, &st), PJ_OK);
	assert_int_equal(st, PJ_REFRESH_NONE);
	assert_int_equal(access(f.req, F_OK), -1);
	teardown(&f);
}

static void
unusable_request_file(void **state)
{
	struct fx f;
	enum pj_refresh_state st;
	long long now = (long long)time(NULL);
	char reason[256] = "", *t;
	struct pj_result res;

	(void)state;
	setup(&f);
	/* a directory in its place */
	assert_int_equal(mkdir(f.req, 0755), 0);
	assert_err(ask(&f, PJ_E_NO_KEY, "new-kid", ISS, now, &st), PJ_E_CONFIG);
	assert_int_equal(st, PJ_REFRESH_NONE);
	assert_int_equal(rmdir(f.req), 0);
	/* a symbolic link is not followed */
	assert_int_equal(symlink(tpath(f.dir, "elsewhere"), f.req), 0);
	assert_err(ask(&f, PJ_E_NO_KEY, "new-kid", ISS, now, &st), PJ_E_CONFIG);
	assert_int_equal(access(tpath(f.dir, "elsewhere"), F_OK), -1);
	assert_int_equal(unlink(f.req), 0);
	/* its directory missing: the reason names the unit */
	free(f.o.refresh_request);
	f.o.refresh_request = strdup(tpath(f.dir, "missing/refresh-request"));
	memset(&res, 0, sizeof(res));
	res.err = PJ_E_NO_KEY;
	snprintf(res.kid, sizeof(res.kid), "new-kid");
	t = tok("new-kid", ISS);
	assert_err(pj_refresh_maybe(&f.o, t, strlen(t), &res, now, &st, reason,
	    sizeof(reason)), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "pam_jwt-jwks-refresh.path"));
	free(t);
	teardown(&f);
}

/* The directory of the request file: a link there is not followed, and a
 * directory others can write is refused (they could put their own link or
 * file in the request's place); nothing is created in either. */
static void
unsafe_parent(void **state)
{
	struct fx f;
	enum pj_refresh_state st;
	long long now = (long long)time(NULL);
	char real[4200], link[4200];

	(void)state;
	setup(&f);
	snprintf(real, sizeof(real), "%s", tpath(f.dir, "real"));
	snprintf(link, sizeof(link), "%s", tpath(f.dir, "link"));
	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, link), 0);
	/* the parent is a symbolic link */
	free(f.o.refresh_request);
	f.o.refresh_request = strdup(tpath(f.dir, "link/refresh-request"));
	st = PJ_REFRESH_NONE;
	assert_err(ask(&f, PJ_E_NO_KEY, "new-kid", ISS, now, &st), PJ_E_CONFIG);
	assert_int_equal(st, PJ_REFRESH_NONE);
	assert_int_equal(access(tpath(f.dir, "real/refresh-request"), F_OK), -1);
	/* the parent is writable by the group, then by others */
	free(f.o.refresh_request);
	f.o.refresh_request = strdup(tpath(f.dir, "real/refresh-request"));
	assert_int_equal(chmod(real, 0775), 0);
	assert_err(ask(&f, PJ_E_NO_KEY, "new-kid", ISS, now, &st), PJ_E_CONFIG);
	assert_int_equal(chmod(real, 0757), 0);
	assert_err(ask(&f, PJ_E_NO_KEY, "new-kid", ISS, now, &st), PJ_E_CONFIG);
	assert_int_equal(st, PJ_REFRESH_NONE);
	assert_int_equal(access(tpath(f.dir, "real/refresh-request"), F_OK), -1);
	/* the same directory made safe: the request is made */
	assert_int_equal(chmod(real, 0755), 0);
	assert_err(ask(&f, PJ_E_NO_KEY, "new-kid", ISS, now, &st), PJ_OK);
	assert_int_equal(st, PJ_REFRESH_REQUESTED);
	assert_int_equal(access(tpath(f.dir, "real/refresh-request"), F_OK), 0);
	teardown(&f);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(requested_once_per_interval),
		cmocka_unit_test(not_requested),
		cmocka_unit_test(unusable_request_file),
		cmocka_unit_test(unsafe_parent),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
