/* test_revoke.c - lib/revoke.c: the revocation file grammar (known
 * answers, every malformed shape refused with the line named), matching
 * (jti, subject before a time, kid, expiry), formatting round trips, and
 * the file check through pj_revoke_check. */
#include "unit.h"
#include "lib/options.h"
#include "lib/revoke.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct got {
	struct pj_revoke_entry e[8];
	char a[8][64], b[8][64];
	int n;
};

static int
collect(void *ctx, const struct pj_revoke_entry *e)
{
	struct got *g = ctx;

	assert_true(g->n < 8);
	g->e[g->n] = *e;
	assert_true(e->alen < 64 && e->blen < 64);
	memcpy(g->a[g->n], e->a, e->alen);
	if (e->b != NULL)
		memcpy(g->b[g->n], e->b, e->blen);
	g->e[g->n].a = g->a[g->n];
	g->e[g->n].b = e->b ? g->b[g->n] : NULL;
	g->n++;
	return PJ_OK;
}

static int
parse(const char *text, struct got *g, char *reason, size_t rlen)
{
	memset(g, 0, sizeof(*g));
	reason[0] = '\0';
	return pj_revoke_parse(text, strlen(text), "/r", PJ_E_KEY, collect, g,
	    reason, rlen);
}

static void
known_answers(void **state)
{
	struct got g;
	char reason[256];

	(void)state;
	assert_int_equal(parse("# c\n\njti 100 https://i j%20%25x\n"
	    "sub 0 https://i alice 1700000000\nkid 5 k%00\n", &g, reason,
	    sizeof(reason)), PJ_OK);
	assert_int_equal(g.n, 3);
	assert_int_equal(g.e[0].type, PJ_REVOKE_JTI);
	assert_int_equal(g.e[0].until, 100);
	assert_int_equal(g.e[0].alen, 9);
	assert_memory_equal(g.e[0].a, "https://i", 9);
	assert_int_equal(g.e[0].blen, 4);
	assert_memory_equal(g.e[0].b, "j %x", 4);
	assert_int_equal(g.e[0].line, 3);
	assert_int_equal(g.e[1].type, PJ_REVOKE_SUB);
	assert_int_equal(g.e[1].before, 1700000000);
	assert_int_equal(g.e[2].type, PJ_REVOKE_KID);
	assert_int_equal(g.e[2].alen, 2);
	assert_memory_equal(g.e[2].a, "k\0", 2);
	assert_null(g.e[2].b);
	assert_int_equal(parse("", &g, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(g.n, 0);
}

static void
malformed(void **state)
{
	static const struct {
		const char *text;
		unsigned int line;
	} bad[] = {
		{ "jti 0 i j", 1 },             /* no final newline */
		{ "# ok\njti 0 i", 2 },
		{ "jti 0 i\n", 1 },             /* too few fields */
		{ "jti 0 i j k\n", 1 },         /* too many */
		{ "sub 0 i s\n", 1 },
		{ "sub 0 i s 1 2\n", 1 },
		{ "kid 0\n", 1 },
		{ "kid 0 a b\n", 1 },
		{ "kid  0 a\n", 1 },            /* two spaces */
		{ "kid 0 a \n", 1 },            /* trailing space */
		{ " kid 0 a\n", 1 },
		{ "kid\t0\ta\n", 1 },
		{ "kid 0 a\r\n", 1 },
		{ "KID 0 a\n", 1 },
		{ "xyz 0 a\n", 1 },
		{ "kid -1 a\n", 1 },
		{ "kid +1 a\n", 1 },
		{ "kid 1x a\n", 1 },
		{ "kid 99999999999999999999 a\n", 1 },
		{ "kid 0 a%\n", 1 },
		{ "kid 0 a%4\n", 1 },
		{ "kid 0 a%zz\n", 1 },
		{ "kid 0 caf\xc3\xa9\n", 1 },
		{ "sub 0 i s never\n", 1 },
		{ "\n\n\nkid 0 a\nkid 0\n", 5 },
	};
	struct got g;
	char reason[256], want[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (parse(bad[i].text, &g, reason, sizeof(reason)) != PJ_E_KEY)
			fail_msg("case %zu accepted", i);
		snprintf(want, sizeof(want), "/r:%u: ", bad[i].line);
		if (strncmp(reason, want, strlen(want)) != 0)
			fail_msg("case %zu: reason '%s' lacks '%s'", i, reason, want);
	}
	{
		/* a line of the maximum length is refused, not cut */
		char *big = malloc(PJ_REVOKE_LINE_MAX + 16);

		memset(big, 'a', PJ_REVOKE_LINE_MAX + 8);
		memcpy(big, "kid 0 ", 6);
		big[PJ_REVOKE_LINE_MAX + 8] = '\n';
		big[PJ_REVOKE_LINE_MAX + 9] = '\0';
		assert_int_equal(parse(big, &g, reason, sizeof(reason)), PJ_E_KEY);
		free(big);
	}
}

static void
matching(void **state)
{
	struct pj_revoke_entry e = { PJ_REVOKE_JTI, 0, "iss", 3, "j1", 2, 0, 1 };
	struct pj_revoke_token t = { "iss", "j1", "alice", NULL, 3, 2, 5, 0, 0,
		0, NULL, 0, 0, 0 };

	(void)state;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 1);
	/* a lapsed entry still revokes a token without exp, or one whose exp
	 * (with the largest leeway) comes after UNTIL (issue 18 F2) */
	e.until = 99;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 1); /* no exp */
	t.has_exp = 1;
	t.exp = 99 - PJ_LEEWAY_MAX + 1;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 1);
	t.exp = 3LL * 366 * 86400;    /* a token of three years */
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 1);
	/* ... and is skipped only when no host could accept the token */
	t.exp = 99 - PJ_LEEWAY_MAX;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 0);
	e.until = 100;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 1); /* not lapsed */
	t.has_exp = 0;
	t.exp = 0;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 1);
	t.iss = "isx";
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 0);
	t.iss = NULL;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 0);
	t.iss = "iss";
	t.jti_len = 1; /* "j" */
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 0);
	/* subject before a time */
	e.type = PJ_REVOKE_SUB;
	e.b = "alice";
	e.blen = 5;
	e.before = 1000;
	e.until = 0;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 1); /* no iat */
	t.has_iat = 1;
	t.iat = 999;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 1);
	t.iat = 1000;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 0);
	t.sub = "bob";
	t.sub_len = 3;
	t.iat = 1;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 0);
	/* kid */
	e.type = PJ_REVOKE_KID;
	e.a = "k1";
	e.alen = 2;
	e.b = NULL;
	e.blen = 0;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 0);
	t.kid = "k1";
	t.kid_len = 2;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 1);
	/* the key that verified counts, whatever the header says (issue 18
	 * F1: a token without kid verified by the revoked key) */
	t.kid = NULL;
	t.kid_len = 0;
	t.key_kid = "k1";
	t.key_kid_len = 2;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 1);
	t.kid = "other";
	t.kid_len = 5;
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 1);
	t.key_kid = "k2";
	assert_int_equal(pj_revoke_matches(&e, &t, 100), 0);
}

static void
format_round_trip(void **state)
{
	struct pj_revoke_entry e = { PJ_REVOKE_SUB, 42, "a b%", 4, "\n\x7f~", 3,
		7, 0 };
	struct got g;
	char *line = NULL, reason[256];

	(void)state;
	assert_int_equal(pj_revoke_format(&e, &line), PJ_OK);
	assert_string_equal(line, "sub 42 a%20b%25 %0A%7F~ 7\n");
	assert_int_equal(parse(line, &g, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.e[0].alen, 4);
	assert_memory_equal(g.e[0].a, "a b%", 4);
	assert_memory_equal(g.e[0].b, "\n\x7f~", 3);
	assert_int_equal(g.e[0].before, 7);
	free(line);
}

static void
check_file(void **state)
{
	struct pj_options o;
	char dir[] = "/tmp/pj-revoke-XXXXXX", path[64], reason[256] = "";
	json_t *claims;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/revoked", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("kid 0 leaked\njti 0 https://i used\n", f);
	fclose(f);
	chmod(path, 0644);
	pj_options_init(&o);
	o.revoked_file = path;
	o.replay_cache = "/nonexistent";
	claims = json_pack("{s:s, s:s, s:s, s:I}", "iss", "https://i", "jti", "j",
	    "sub", "alice", "iat", (json_int_t)5);
	assert_int_equal(pj_revoke_check(&o, claims, "fine", NULL, 10, reason,
	    sizeof(reason)), PJ_OK);
	assert_int_equal(pj_revoke_check(&o, claims, "leaked", NULL, 10, reason,
	    sizeof(reason)), PJ_E_REVOKED);
	assert_non_null(strstr(reason, "line 1"));
	/* no kid in the header, but verified by the revoked key */
	reason[0] = '\0';
	assert_int_equal(pj_revoke_check(&o, claims, NULL, "leaked", 10, reason,
	    sizeof(reason)), PJ_E_REVOKED);
	assert_non_null(strstr(reason, "line 1"));
	assert_int_equal(pj_revoke_check(&o, claims, NULL, "fine", 10, reason,
	    sizeof(reason)), PJ_OK);
	json_object_set_new(claims, "jti", json_string("used"));
	reason[0] = '\0';
	assert_int_equal(pj_revoke_check(&o, claims, NULL, NULL, 10, reason,
	    sizeof(reason)), PJ_E_REVOKED);
	assert_non_null(strstr(reason, "line 2"));
	/* a damaged line after the match still fails closed */
	f = fopen(path, "a");
	fputs("garbage\n", f);
	fclose(f);
	reason[0] = '\0';
	assert_int_equal(pj_revoke_check(&o, claims, NULL, NULL, 10, reason,
	    sizeof(reason)), PJ_E_KEY);
	/* group-writable, missing */
	f = fopen(path, "w");
	fclose(f);
	chmod(path, 0664);
	assert_int_equal(pj_revoke_check(&o, claims, NULL, NULL, 10, reason,
	    sizeof(reason)), PJ_E_KEY);
	unlink(path);
	assert_int_equal(pj_revoke_check(&o, claims, NULL, NULL, 10, reason,
	    sizeof(reason)), PJ_E_KEY);
	rmdir(dir);
	json_decref(claims);
}

/* Issue 18 F2: a subject revoked with the tool's old default (UNTIL = T +
 * 366 days + 86400): a three-year token of that subject issued before T
 * stays refused once UNTIL has passed, in revoked_file. */
static void
lapsed_entry(void **state)
{
	const long long t0 = 1700000000, year = 366LL * 86400;
	struct pj_options o;
	char dir[] = "/tmp/pj-revoke-XXXXXX", path[64], reason[256] = "";
	json_t *claims;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/revoked", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "sub %lld https://i alice %lld\n", t0 + year + 86400, t0);
	fclose(f);
	chmod(path, 0644);
	pj_options_init(&o);
	o.revoked_file = path;
	o.replay_cache = "/nonexistent";
	claims = json_pack("{s:s, s:s, s:I, s:I}", "iss", "https://i", "sub",
	    "alice", "iat", (json_int_t)(t0 - 10),
	    "exp", (json_int_t)(t0 + 3 * year));
	/* before UNTIL, and two years after it */
	assert_int_equal(pj_revoke_check(&o, claims, NULL, NULL, t0 + 10,
	    reason, sizeof(reason)), PJ_E_REVOKED);
	reason[0] = '\0';
	assert_int_equal(pj_revoke_check(&o, claims, NULL, NULL, t0 + 2 * year,
	    reason, sizeof(reason)), PJ_E_REVOKED);
	assert_non_null(strstr(reason, "line 1"));
	/* without exp too */
	json_object_del(claims, "exp");
	assert_int_equal(pj_revoke_check(&o, claims, NULL, NULL, t0 + 2 * year,
	    reason, sizeof(reason)), PJ_E_REVOKED);
	/* a token issued after T is not concerned */
	json_object_set_new(claims, "iat", json_integer(t0 + 1));
	assert_int_equal(pj_revoke_check(&o, claims, NULL, NULL, t0 + 2 * year,
	    reason, sizeof(reason)), PJ_OK);
	unlink(path);
	rmdir(dir);
	json_decref(claims);
}

/* Issue 18 F3: with revocation in force a token without iss is refused
 * (its jti and sub cannot be revoked); without, it is not concerned. */
static void
no_iss(void **state)
{
	struct pj_options o;
	char dir[] = "/tmp/pj-revoke-XXXXXX", path[64], reason[256] = "";
	json_t *claims;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/revoked", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	chmod(path, 0644);
	pj_options_init(&o);
	claims = json_pack("{s:s, s:s}", "jti", "j", "sub", "alice");
	assert_int_equal(pj_revoke_check(&o, claims, NULL, NULL, 10, reason,
	    sizeof(reason)), PJ_OK);
	o.revoked_file = path;
	assert_int_equal(pj_revoke_check(&o, claims, NULL, NULL, 10, reason,
	    sizeof(reason)), PJ_E_CLAIM);
	assert_non_null(strstr(reason, "no iss: revocation cannot be checked"));
	/* a Redis store checks revocations too (refused before connecting) */
	o.revoked_file = NULL;
	o.replay_cache = "redis://127.0.0.1:1";
	reason[0] = '\0';
	assert_int_equal(pj_revoke_check(&o, claims, NULL, NULL, 10, reason,
	    sizeof(reason)), PJ_E_CLAIM);
	assert_non_null(strstr(reason, "no iss"));
	o.replay_cache = NULL;
	o.revoked_file = path;
	json_object_set_new(claims, "iss", json_string("https://i"));
	assert_int_equal(pj_revoke_check(&o, claims, NULL, NULL, 10, reason,
	    sizeof(reason)), PJ_OK);
	unlink(path);
	rmdir(dir);
	json_decref(claims);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_answers),
		cmocka_unit_test(malformed),
		cmocka_unit_test(matching),
		cmocka_unit_test(format_round_trip),
		cmocka_unit_test(check_file),
		cmocka_unit_test(lapsed_entry),
		cmocka_unit_test(no_iss),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
