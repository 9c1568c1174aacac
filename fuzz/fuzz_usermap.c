/* fuzz_usermap.c - the user map (pj_user_map_apply) and its glob.
 *
 * Input: the first line is the claim value, the rest the map file text. */
#include "fuzz_common.h"
#include "lib/user.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *nl;
	char *value, *text, *out = NULL, *pat;
	char reason[256] = "";
	size_t vlen;
	int r;

	if (size > PJ_USER_MAP_MAX)
		return 0;
	nl = memchr(data, '\n', size);
	if (nl == NULL)
		return 0;
	vlen = (size_t)(nl - (const char *)data);
	value = fuzz_strndup(data, vlen);
	text = fuzz_strndup((const unsigned char *)nl + 1, size - vlen - 1);
	r = pj_user_map_apply(text, size - vlen - 1, "/fuzz.map", value, &out,
	    reason, sizeof(reason));
	FUZZ_ASSERT(strlen(reason) < sizeof(reason));
	if (r != PJ_OK)
		FUZZ_ASSERT(out == NULL);
	if (out != NULL) {
		/* a mapped name is the value, its part before '@', or a valid
		 * literal name from the map */
		FUZZ_ASSERT(strcmp(out, value) == 0 ||
		    strncmp(out, value, strlen(out)) == 0 ||
		    pj_user_name_valid(out));
		(void)pj_user_name_valid(out);
		free(out);
	}
	/* the glob alone: the value against itself as a pattern, and the
	 * first map line as a pattern */
	if (strchr(value, '*') == NULL && strchr(value, '?') == NULL)
		FUZZ_ASSERT(pj_user_glob(value, value) == 1);
	pat = fuzz_strndup((const unsigned char *)text,
	    strcspn(text, "\n"));
	(void)pj_user_glob(pat, value);
	free(pat);
	free(text);
	free(value);
	return 0;
}
