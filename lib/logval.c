/* logval.c - values from a token or a client, written into log lines */
#include "logval.h"

#include <string.h>

static int
is_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr(PJ_LOGVAL_SAFE, c));
}

void
pj_logval(char *dst, size_t dstlen, const char *src, size_t srclen,
    size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0, n;

	if (dstlen == 0)
		return;
	dst[0] = '\0';
	if (src == NULL)
		return;
	n = srclen < max ? srclen : max;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];

		if (is_safe(c)) {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstlen)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		}
	}
	if (i < srclen && o + sizeof(PJ_LOGVAL_CUT) <= dstlen) {
		memcpy(dst + o, PJ_LOGVAL_CUT, sizeof(PJ_LOGVAL_CUT) - 1);
		o += sizeof(PJ_LOGVAL_CUT) - 1;
	}
	dst[o] = '\0';
}

void
pj_logstr(char *dst, size_t dstlen, const char *src, size_t max)
{
	pj_logval(dst, dstlen, src, src ? strlen(src) : 0, max);
}

const char *
pj_logshow(char *dst, size_t dstlen, const char *src, size_t max)
{
	pj_logstr(dst, dstlen, src, max);
	return dst;
}

void
pj_sanitize(char *dst, size_t dstlen, const char *src)
{
	size_t i, o = 0, n;

	if (dstlen == 0)
		return;
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	n = strlen(src);
	for (i = 0; i < n && o + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	dst[o] = '\0';
	if (i < n && dstlen >= 4) {
		dst[dstlen - 4] = '.';
		dst[dstlen - 3] = '.';
		dst[dstlen - 2] = '.';
		dst[dstlen - 1] = '\0';
	}
}
