/* fuzz_bind.c - the unverified look at a token's iss that chooses an
 * [issuer URL] section and decides on a refresh request (lib/bind.c,
 * pj_token_peek_iss).
 *
 * Input: a token as typed.  Byte 0 sets the capacity given for iss. */
#include "fuzz_common.h"
#include "lib/bind.h"
#include "lib/jws.h"

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char iss[300];
	size_t cap;
	int found;

	if (size < 1 || size > PJ_TOKEN_MAX + 2)
		return 0;
	cap = (size_t)data[0] + 1;  /* 1 .. 256 */
	memset(iss, 'X', sizeof(iss));
	found = pj_token_peek_iss((const char *)data + 1, size - 1, iss, cap);
	FUZZ_ASSERT(found == 0 || found == 1);
	/* nothing written past the capacity */
	FUZZ_ASSERT(iss[cap] == 'X');
	if (found) {
		FUZZ_ASSERT(pj_jws_shaped((const char *)data + 1, size - 1));
		FUZZ_ASSERT(memchr(iss, '\0', cap) != NULL);
	}
	return 0;
}
