/* fuzz_pamd.c - the pam.d reader of `pamjwt verify --pamd` (tools/pamd.c).
 *
 * Input: a PAM service file's text.  Includes are not followed (no
 * directory): they must come back as an error, never be read. */
#include "fuzz_common.h"
#include "tools/pamd.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct pjt_pamd p;
	char err[512] = "";
	int r, i;

	if (size > PJT_PAMD_FILE_MAX)
		return 0;
	memset(&p, 0, sizeof(p));
	r = pjt_pamd_parse((const char *)data, size, "/fuzz/pam.d", NULL, 0, &p,
	    err, sizeof(err));
	FUZZ_ASSERT(r == -1 || r == 0 || r == 1);
	FUZZ_ASSERT(strlen(err) < sizeof(err));
	if (r == 0) {
		FUZZ_ASSERT(p.file != NULL && p.text != NULL && p.line >= 1);
		FUZZ_ASSERT(p.argc >= 0 && p.argc <= PJT_PAMD_ARGS_MAX);
		FUZZ_ASSERT(strstr(p.text, "pam_jwt.so") != NULL);
		for (i = 0; i < p.argc; i++)
			FUZZ_ASSERT(p.argv[i] != NULL);
	}
	if (r == 1)
		FUZZ_ASSERT(p.file == NULL);
	pjt_pamd_clear(&p);
	return 0;
}
