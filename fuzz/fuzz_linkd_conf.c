/* fuzz_linkd_conf.c - pamjwt-linkd's config file (lf_conf_parse).
 *
 * Input: the file's text. */
#include "fuzz_common.h"
#include "tools/linkd/linkd.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct lf_conf c;
	char reason[256] = "", *text;
	size_t i;

	if (size > LF_CONF_MAX)
		return 0;
	text = fuzz_strndup(data, size);
	if (lf_conf_parse(text, size, "/fuzz.conf", &c, reason,
	    sizeof(reason)) == PJ_OK) {
		/* what the service relies on once it starts */
		FUZZ_ASSERT(c.base_url && c.directory && c.host && c.key_file &&
		    c.smtp_url && c.mail_from && c.listen_addr && c.alg &&
		    c.issuer && c.mail_subject);
		FUZZ_ASSERT(lf_addr_valid(c.mail_from));
		FUZZ_ASSERT(c.nkinds >= 1 && c.nkinds <= LF_KIND_MAX);
		for (i = 0; i < c.nkinds; i++)
			FUZZ_ASSERT(lf_conf_kind(&c, c.kinds[i].name) == &c.kinds[i]);
		lf_conf_free(&c);
	}
	FUZZ_ASSERT(strlen(reason) < sizeof(reason));
	free(text);
	return 0;
}
