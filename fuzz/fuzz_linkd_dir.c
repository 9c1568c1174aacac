/* fuzz_linkd_dir.c - pamjwt-linkd's directory file: lf_dir_check on the
 * text, then lf_dir_lookup of the first line (an account name or an
 * address, as typed into the form).
 *
 * Input: the first line is what was typed, the rest the directory file. */
#include "fuzz_common.h"
#include "lib/user.h"
#include "tools/linkd/linkd.h"

#include <strings.h>

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char account[LF_ACCOUNT_MAX + 1], addr[LF_ADDR_MAX + 1];
	char reason[256] = "", *who, *text;
	const unsigned char *nl;
	size_t wlen;
	int found;

	if (size > LF_DIR_MAX)
		return 0;
	nl = memchr(data, '\n', size);
	if (nl == NULL)
		return 0;
	wlen = (size_t)(nl - data);
	who = fuzz_strndup(data, wlen);
	text = fuzz_strndup(nl + 1, size - wlen - 1);
	if (lf_dir_check(text, size - wlen - 1, "/fuzz.dir", reason,
	    sizeof(reason)) == PJ_OK) {
		found = lf_dir_lookup(text, size - wlen - 1, who, account, addr);
		if (found) {
			/* an account the module accepts, at an address that can
			 * go into a header and an SMTP command unchanged */
			FUZZ_ASSERT(pj_user_name_valid(account));
			FUZZ_ASSERT(lf_addr_valid(addr));
			if (strchr(who, '@') == NULL)
				FUZZ_ASSERT(strcmp(account, who) == 0);
			else    /* never an address other than the one typed */
				FUZZ_ASSERT(strcasecmp(addr, who) == 0);
		} else
			FUZZ_ASSERT(account[0] == '\0' && addr[0] == '\0');
	}
	FUZZ_ASSERT(strlen(reason) < sizeof(reason));
	(void)lf_addr_valid(who);
	free(who);
	free(text);
	return 0;
}
