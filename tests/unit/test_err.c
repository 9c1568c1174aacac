/* test_err.c - every error code has a class (deciding the PAM result) and
 * words; pj_reason keeps the first, most specific reason. */
#include "unit.h"

#include <string.h>

static const struct {
	int err;
	enum pj_class cls;
	const char *words;   /* a fragment the words must contain */
} codes[] = {
	{ PJ_OK, PJ_CLASS_OK, "success" },
	{ PJ_E_NOT_JWS, PJ_CLASS_IGNORE, "not a compact JWS" },
	{ PJ_E_TOO_LONG, PJ_CLASS_REJECT, "too long" },
	{ PJ_E_MALFORMED, PJ_CLASS_REJECT, "malformed" },
	{ PJ_E_ALG, PJ_CLASS_REJECT, "algorithm" },
	{ PJ_E_HEADER, PJ_CLASS_REJECT, "header" },
	{ PJ_E_NO_KEY, PJ_CLASS_REJECT, "key" },
	{ PJ_E_SIGNATURE, PJ_CLASS_REJECT, "signature" },
	{ PJ_E_EXPIRED, PJ_CLASS_REJECT, "expired" },
	{ PJ_E_NOT_YET, PJ_CLASS_REJECT, "not yet" },
	{ PJ_E_CLAIM, PJ_CLASS_REJECT, "claim" },
	{ PJ_E_ISSUER, PJ_CLASS_REJECT, "issuer" },
	{ PJ_E_AUDIENCE, PJ_CLASS_REJECT, "audience" },
	{ PJ_E_LIFETIME, PJ_CLASS_REJECT, "lifetime" },
	{ PJ_E_TYP, PJ_CLASS_REJECT, "typ" },
	{ PJ_E_REPLAY, PJ_CLASS_REJECT, "already used" },
	{ PJ_E_USER, PJ_CLASS_REJECT, "user" },
	{ PJ_E_ACCOUNT, PJ_CLASS_REJECT, "account" },
	{ PJ_E_REVOKED, PJ_CLASS_REJECT, "revoked" },
	{ PJ_E_USER_UNKNOWN, PJ_CLASS_USER_UNKNOWN, "unknown user" },
	{ PJ_E_KEY, PJ_CLASS_UNAVAIL, "key" },
	{ PJ_E_STORE, PJ_CLASS_UNAVAIL, "replay store" },
	{ PJ_E_CONFIG, PJ_CLASS_CONFIG, "configuration" },
	{ PJ_E_NOMEM, PJ_CLASS_NOMEM, "memory" },
	{ PJ_E_INTERNAL, PJ_CLASS_INTERNAL, "internal" },
};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

static void
every_code_has_class_and_words(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < NCODES; i++) {
		const char *w = pj_strerror(codes[i].err);

		assert_non_null(w);
		if (pj_err_class(codes[i].err) != codes[i].cls)
			fail_msg("code %d: class %d, expected %d", codes[i].err,
			    (int)pj_err_class(codes[i].err), (int)codes[i].cls);
		if (strstr(w, codes[i].words) == NULL)
			fail_msg("code %d: words '%s' lack '%s'", codes[i].err, w,
			    codes[i].words);
		/* only INTERNAL may use the fallback words */
		if (codes[i].err != PJ_E_INTERNAL)
			assert_string_not_equal(w, "internal error");
		/* words are distinct, so a log line tells codes apart */
		for (j = 0; j < i; j++)
			assert_string_not_equal(w, pj_strerror(codes[j].err));
	}
}

static void
unknown_codes_are_internal(void **state)
{
	static const int odd[] = { 1, 5, -2, -9, -27, -39, -41, -49, -52, -59,
	    -61, -69, -72, -1000, 2147483647, -2147483647 - 1 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		assert_int_equal(pj_err_class(odd[i]), PJ_CLASS_INTERNAL);
		assert_string_equal(pj_strerror(odd[i]), "internal error");
	}
}

/* Every value between the first and last code is either listed above or
 * internal: a new code cannot be added without a class by accident. */
static void
no_gaps_in_rejections(void **state)
{
	int e;

	(void)state;
	for (e = PJ_E_TOO_LONG; e >= PJ_E_REVOKED; e--)
		assert_int_equal(pj_err_class(e), PJ_CLASS_REJECT);
	assert_int_equal(pj_err_class(PJ_E_TOO_LONG + 1), PJ_CLASS_INTERNAL);
	assert_int_equal(pj_err_class(PJ_E_REVOKED - 1), PJ_CLASS_INTERNAL);
}

static void
reason_first_wins(void **state)
{
	char buf[32] = "";

	(void)state;
	assert_int_equal(pj_reason(PJ_E_CLAIM, buf, sizeof(buf), "first %d", 1),
	    PJ_E_CLAIM);
	assert_string_equal(buf, "first 1");
	assert_int_equal(pj_reason(PJ_E_ALG, buf, sizeof(buf), "second"), PJ_E_ALG);
	assert_string_equal(buf, "first 1");
}

static void
reason_null_and_truncation(void **state)
{
	char buf[8] = "";
	char zero[1] = { 'x' };

	(void)state;
	assert_int_equal(pj_reason(PJ_E_KEY, NULL, 100, "x"), PJ_E_KEY);
	assert_int_equal(pj_reason(PJ_E_KEY, zero, 0, "abc"), PJ_E_KEY);
	assert_int_equal(zero[0], 'x');       /* len 0: untouched */
	assert_int_equal(pj_reason(PJ_OK, buf, sizeof(buf), "%s",
	    "a long reason that does not fit"), PJ_OK);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, "a long ", 7);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_code_has_class_and_words),
		cmocka_unit_test(unknown_codes_are_internal),
		cmocka_unit_test(no_gaps_in_rejections),
		cmocka_unit_test(reason_first_wins),
		cmocka_unit_test(reason_null_and_truncation),
	};

	(void)argc;
	(void)argv;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
