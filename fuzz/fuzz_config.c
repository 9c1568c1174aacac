/* fuzz_config.c - the config file and the module arguments.
 *
 * Input: the first line names the PAM service ("" = none); the rest up to a
 * line "%%" is the config text (pj_options_parse_config); lines after it are
 * module arguments (pj_options_set at argument level, split at '=' as
 * pj_options_load does); then pj_options_check and pj_options_free.
 */
#include "fuzz_common.h"
#include "lib/options.h"

static void
apply_args(struct pj_options *o, const char *p, const char *end)
{
	char reason[256], key[64];
	const char *nl, *eq;
	char *arg;
	size_t n, kl;
	int r;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		arg = fuzz_strndup((const unsigned char *)p, n);
		p = nl ? nl + 1 : end;
		eq = strchr(arg, '=');
		kl = eq ? (size_t)(eq - arg) : strlen(arg);
		if (kl > 0 && kl < sizeof(key)) {
			memcpy(key, arg, kl);
			key[kl] = '\0';
			reason[0] = '\0';
			r = pj_options_set(o, PJ_LEVEL_ARG, key, eq ? eq + 1 : NULL,
			    reason, sizeof(reason));
			/* every refusal says why */
			FUZZ_ASSERT(r == PJ_OK || r == PJ_E_NOMEM || reason[0] != '\0');
		}
		free(arg);
	}
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct pj_options o;
	const char *text = (const char *)data, *end = text + size, *nl, *sep;
	char *service = NULL, *conf;
	char reason[256] = "";
	size_t clen;
	int r;

	if (size > PJ_CONFIG_MAX + 4096)
		return 0;
	nl = memchr(text, '\n', size);
	if (nl == NULL)
		return 0;
	if (nl > text)
		service = fuzz_strndup(data, (size_t)(nl - text));
	text = nl + 1;
	sep = memmem(text, (size_t)(end - text), "\n%%\n", 4);
	clen = sep ? (size_t)(sep + 1 - text) : (size_t)(end - text);
	/* exactly the bytes of a file, NUL-terminated as pj_file_read leaves it */
	conf = fuzz_strndup((const unsigned char *)text, clen);
	pj_options_init(&o);
	r = pj_options_parse_config(&o, conf, clen, "/fuzz.conf", service,
	    reason, sizeof(reason));
	FUZZ_ASSERT(r == PJ_OK || reason[0] != '\0' || r == PJ_E_NOMEM);
	FUZZ_ASSERT(strlen(reason) < sizeof(reason));
	if (r == PJ_OK && sep != NULL)
		apply_args(&o, sep + 4, end);
	reason[0] = '\0';
	(void)pj_options_check(&o, reason, sizeof(reason));
	/* a parsed struct holds only sane values */
	FUZZ_ASSERT(o.leeway >= 0 && o.leeway <= 86400);
	FUZZ_ASSERT(o.min_uid >= 0);
	FUZZ_ASSERT((o.algorithms & ~PJ_ALG_ALL) == 0);
	pj_options_free(&o);
	free(conf);
	free(service);
	return 0;
}
