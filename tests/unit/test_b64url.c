/* test_b64url.c - strict base64url: one spelling per byte string */
#include "unit.h"

#include "lib/b64url.h"

#include <stdlib.h>
#include <string.h>

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* RFC 4648 section 10 vectors, padding removed. */
static const struct {
	const char *plain, *enc;
} rfc[] = {
	{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
};

static void
known_answers(void **state)
{
	unsigned char out[16];
	char enc[16];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		size_t pl = strlen(rfc[i].plain);

		pj_b64url_encode((const unsigned char *)rfc[i].plain, pl, enc);
		assert_string_equal(enc, rfc[i].enc);
		assert_int_equal(PJ_B64URL_ENCODED_LEN(pl), strlen(rfc[i].enc));
		assert_int_equal(pj_b64url_decode(rfc[i].enc, strlen(rfc[i].enc),
		    out, sizeof(out), &n), PJ_OK);
		assert_int_equal(n, pl);
		assert_memory_equal(out, rfc[i].plain, pl);
	}
	/* the two characters that differ from standard base64 */
	assert_int_equal(pj_b64url_decode("-_-_", 4, out, sizeof(out), &n), PJ_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(out, "\xfb\xff\xbf", 3);
	pj_b64url_encode((const unsigned char *)"\xfb\xff\xbf", 3, enc);
	assert_string_equal(enc, "-_-_");
}

static void
alphabet_membership(void **state)
{
	int c;

	(void)state;
	for (c = -1; c < 256; c++) {
		int want = c >= 0 && c != 0 && strchr(alphabet, c) != NULL;

		if (pj_b64url_char(c) != want)
			fail_msg("pj_b64url_char(%d) = %d", c, pj_b64url_char(c));
	}
}

static void
round_trip_all_lengths(void **state)
{
	unsigned char in[200] = { 0 }, out[200];
	char enc[300];
	size_t len, n;
	unsigned int seed = 12345;

	(void)state;
	for (len = 0; len < sizeof(in); len++) {
		size_t i;

		for (i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			in[i] = (unsigned char)(seed >> 16);
		}
		pj_b64url_encode(in, len, enc);
		assert_int_equal(strlen(enc), PJ_B64URL_ENCODED_LEN(len));
		assert_true(PJ_B64URL_DECODED_MAX(strlen(enc)) >= len);
		assert_int_equal(pj_b64url_decode(enc, strlen(enc), out, len, &n),
		    PJ_OK);
		assert_int_equal(n, len);
		assert_memory_equal(in, out, len);
	}
}

static void
refuses_padding_and_strays(void **state)
{
	static const char *const bad[] = {
		"Zg==", "Zm8=", "Zg=", "Zm9v=", "Zm9v====",     /* padding */
		"Zm+v", "Zm/v", "Zm9v+", "Z/8",                 /* standard b64 */
		"Zm9v ", " Zm9v", "Zm 9v", "Zm9\nv", "Zm9v\n",  /* white space */
		"Zm9v.", "Zm9\x80", "Zm9\xff", "Z\x01", "*Zm9",
		"Z", "Zm9vY", "ZZZZZ",                          /* 1 mod 4 */
	};
	unsigned char out[64];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 77;
		if (pj_b64url_decode(bad[i], strlen(bad[i]), out, sizeof(out),
		    &n) != PJ_E_MALFORMED)
			fail_msg("'%s' was accepted", bad[i]);
		assert_int_equal(n, 0);
	}
	/* an embedded NUL is a stray byte too (length, not strlen, counts) */
	assert_int_equal(pj_b64url_decode("Zm\0v", 4, out, sizeof(out), &n),
	    PJ_E_MALFORMED);
}

/* Unused trailing bits must be zero: for every 2- and 3-character tail, only
 * the canonical spelling of the decoded bytes is accepted. */
static void
non_canonical_trailing_bits(void **state)
{
	unsigned char out[8];
	char s[8], enc[8];
	size_t n, a, b, c, accepted = 0;

	(void)state;
	for (a = 0; a < 64; a++)
		for (b = 0; b < 64; b++) {
			s[0] = alphabet[a];
			s[1] = alphabet[b];
			s[2] = '\0';
			if (pj_b64url_decode(s, 2, out, sizeof(out), &n) == PJ_OK) {
				assert_int_equal(n, 1);
				pj_b64url_encode(out, 1, enc);
				assert_string_equal(enc, s);
				accepted++;
				assert_int_equal(b & 0x0f, 0);
			} else {
				assert_int_not_equal(b & 0x0f, 0);
			}
		}
	assert_int_equal(accepted, 256);
	accepted = 0;
	for (a = 0; a < 64; a += 7)
		for (b = 0; b < 64; b++)
			for (c = 0; c < 64; c++) {
				s[0] = alphabet[a];
				s[1] = alphabet[b];
				s[2] = alphabet[c];
				s[3] = '\0';
				if (pj_b64url_decode(s, 3, out, sizeof(out), &n) ==
				    PJ_OK) {
					assert_int_equal(n, 2);
					pj_b64url_encode(out, 2, enc);
					assert_string_equal(enc, s);
					assert_int_equal(c & 0x03, 0);
					accepted++;
				} else {
					assert_int_not_equal(c & 0x03, 0);
				}
			}
	assert_int_equal(accepted, 10 * 64 * 16);
	/* the classic example: "Zh" is a lenient spelling of "Zg" */
	assert_int_equal(pj_b64url_decode("Zh", 2, out, sizeof(out), &n),
	    PJ_E_MALFORMED);
	assert_int_equal(pj_b64url_decode("Zm9", 3, out, sizeof(out), &n),
	    PJ_E_MALFORMED);
	assert_int_equal(pj_b64url_decode("Zm8", 3, out, sizeof(out), &n), PJ_OK);
}

static void
capacity_is_respected(void **state)
{
	unsigned char out[8];
	size_t n;

	(void)state;
	memset(out, 0xaa, sizeof(out));
	/* 6 bytes do not fit into 5 */
	assert_int_equal(pj_b64url_decode("Zm9vYmFy", 8, out, 5, &n),
	    PJ_E_MALFORMED);
	assert_int_equal(out[5], 0xaa);
	assert_int_equal(pj_b64url_decode("Zm9vYmFy", 8, out, 6, &n), PJ_OK);
	assert_int_equal(n, 6);
	assert_int_equal(out[6], 0xaa);
	assert_int_equal(pj_b64url_decode("", 0, out, 0, &n), PJ_OK);
	assert_int_equal(n, 0);
}

static void
alloc_variants(void **state)
{
	unsigned char *out = NULL;
	char *enc;
	size_t n = 99;

	(void)state;
	assert_int_equal(pj_b64url_decode_alloc("Zm9vYg", 6, &out, &n), PJ_OK);
	assert_non_null(out);
	assert_int_equal(n, 4);
	assert_string_equal((char *)out, "foob");   /* NUL-terminated */
	free(out);
	out = (unsigned char *)"sentinel";
	assert_int_equal(pj_b64url_decode_alloc("Zm9vY", 5, &out, &n),
	    PJ_E_MALFORMED);
	assert_null(out);
	assert_int_equal(n, 0);
	assert_int_equal(pj_b64url_decode_alloc("", 0, &out, &n), PJ_OK);
	assert_int_equal(n, 0);
	assert_string_equal((char *)out, "");
	free(out);
	enc = pj_b64url_encode_alloc((const unsigned char *)"foobar", 6);
	assert_non_null(enc);
	assert_string_equal(enc, "Zm9vYmFy");
	free(enc);
	enc = pj_b64url_encode_alloc((const unsigned char *)"", 0);
	assert_non_null(enc);
	assert_string_equal(enc, "");
	free(enc);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_answers),
		cmocka_unit_test(alphabet_membership),
		cmocka_unit_test(round_trip_all_lengths),
		cmocka_unit_test(refuses_padding_and_strays),
		cmocka_unit_test(non_canonical_trailing_bits),
		cmocka_unit_test(capacity_is_respected),
		cmocka_unit_test(alloc_variants),
	};

	(void)argc;
	(void)argv;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
