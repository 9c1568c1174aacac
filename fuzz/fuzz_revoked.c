/* fuzz_revoked.c - the revocation file parser (pj_revoke_parse, lib/revoke.c).
 *
 * Input: the file's text.  Every entry read must format back to a line
 * (pj_revoke_format) that parses to the same entry, and must match a token
 * made of its own values. */
#include "fuzz_common.h"
#include "lib/revoke.h"

struct seen {
	unsigned int n;
};

static int
same_entry(const struct pj_revoke_entry *x, const struct pj_revoke_entry *y)
{
	return x->type == y->type && x->until == y->until &&
	    x->alen == y->alen && memcmp(x->a, y->a, x->alen) == 0 &&
	    x->blen == y->blen && (x->blen == 0 ||
	    memcmp(x->b, y->b, x->blen) == 0) &&
	    (x->type != PJ_REVOKE_SUB || x->before == y->before);
}

static int
check_again(void *ctx, const struct pj_revoke_entry *e)
{
	const struct pj_revoke_entry *orig = ctx;

	FUZZ_ASSERT(same_entry(orig, e));
	return PJ_OK;
}

static int
each(void *ctx, const struct pj_revoke_entry *e)
{
	struct seen *s = ctx;
	struct pj_revoke_token t;
	char *line = NULL, reason[256] = "";
	int r;

	s->n++;
	FUZZ_ASSERT(e->alen > 0 && (e->type == PJ_REVOKE_KID || e->blen > 0));
	FUZZ_ASSERT(pj_revoke_format(e, &line) == PJ_OK);
	FUZZ_ASSERT(line[strlen(line) - 1] == '\n');
	r = pj_revoke_parse(line, strlen(line), "/again", PJ_E_KEY, check_again,
	    (void *)e, reason, sizeof(reason));
	FUZZ_ASSERT(r == PJ_OK);
	free(line);
	/* a token made of the entry's own values is revoked by it */
	memset(&t, 0, sizeof(t));
	if (e->type == PJ_REVOKE_KID) {
		t.kid = e->a;
		t.kid_len = e->alen;
	} else {
		t.iss = e->a;
		t.iss_len = e->alen;
		if (e->type == PJ_REVOKE_JTI) {
			t.jti = e->b;
			t.jti_len = e->blen;
		} else {
			t.sub = e->b;
			t.sub_len = e->blen;
		}
	}
	FUZZ_ASSERT(pj_revoke_matches(e, &t, 0) == 1);
	if (e->type == PJ_REVOKE_SUB) {
		t.has_iat = 1;
		t.iat = e->before;
		FUZZ_ASSERT(pj_revoke_matches(e, &t, 0) == 0);
	}
	return PJ_OK;
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct seen s = { 0 };
	char *text, reason[256] = "";
	int r;

	if (size > 65536)
		return 0;
	text = fuzz_strndup(data, size);
	r = pj_revoke_parse(text, size, "/fuzz.revoked", PJ_E_KEY, each, &s,
	    reason, sizeof(reason));
	FUZZ_ASSERT(r == PJ_OK || r == PJ_E_KEY);
	FUZZ_ASSERT(strlen(reason) < sizeof(reason));
	FUZZ_ASSERT(r == PJ_OK || reason[0] != '\0');
	free(text);
	return 0;
}
