/* fuzz_linkd_form.c - pamjwt-linkd's request parsing: form bodies
 * (lf_form_parse, percent-decoding by libmicrohttpd), link ids
 * (lf_id_valid) and the HTML escaping every shown value goes through.
 *
 * Input: the body of a POST, as a client sends it. */
#include "fuzz_common.h"
#include "lib/text.h"
#include "tools/linkd/linkd.h"

static void
check_escaped(const char *v)
{
	struct lf_buf b;
	const char *p;

	lf_buf_init(&b, 64 * 1024);
	lf_buf_html(&b, v);
	FUZZ_ASSERT(!b.failed);
	/* nothing that could end a text or an attribute, or start a tag */
	FUZZ_ASSERT(strpbrk(b.s ? b.s : "", "<>\"'") == NULL);
	for (p = b.s ? b.s : ""; (p = strchr(p, '&')) != NULL; p++)
		FUZZ_ASSERT(strncmp(p, "&amp;", 5) == 0 || strncmp(p, "&lt;", 4) == 0 ||
		    strncmp(p, "&gt;", 4) == 0 || strncmp(p, "&quot;", 6) == 0 ||
		    strncmp(p, "&#", 2) == 0);
	for (p = b.s ? b.s : ""; *p; p++)
		FUZZ_ASSERT((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
	lf_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct lf_form f;
	char *s;
	size_t i;

	if (size > 2 * LF_FORM_BODY_MAX)
		return 0;
	s = fuzz_strndup(data, size);
	if (lf_form_parse(s, size, &f) == 0) {
		FUZZ_ASSERT(size <= LF_FORM_BODY_MAX);
		FUZZ_ASSERT(f.n <= LF_FORM_FIELDS);
		for (i = 0; i < f.n; i++) {
			FUZZ_ASSERT(f.name[i] != NULL && f.value[i] != NULL);
			FUZZ_ASSERT(strlen(f.value[i]) <= LF_FORM_VALUE_MAX);
			FUZZ_ASSERT(!pj_has_ctl(f.value[i]));
			FUZZ_ASSERT(lf_form_get(&f, f.name[i]) == f.value[i]);
			check_escaped(f.value[i]);
			(void)lf_id_valid(f.value[i]);
		}
		lf_form_free(&f);
	} else
		FUZZ_ASSERT(f.n == 0);
	check_escaped(s);
	if (lf_id_valid(s))
		FUZZ_ASSERT(strlen(s) == LF_ID_LEN);
	free(s);
	return 0;
}
