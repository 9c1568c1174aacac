/* b64url.c - strict base64url */
#include "b64url.h"
#include "err.h"

#include <sodium.h>
#include <stdlib.h>

static const char enc_tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* the value of each base64url character; -1 for every other byte */
static const signed char dec_tab[] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, 63,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};
/* unsized above: a row left out would otherwise decode as 'A' (zero) */
_Static_assert(sizeof(dec_tab) == 256, "one entry per byte value");

static int
dec_val(int c)
{
	if (c < 0 || c > 255)
		return -1;
	return dec_tab[c];
}

int
pj_b64url_char(int c)
{
	return dec_val(c) >= 0;
}

size_t
pj_b64url_span(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && dec_tab[(unsigned char)s[i]] >= 0; i++)
		;
	return i;
}

int
pj_b64url_decode(const char *in, size_t inlen, unsigned char *out,
    size_t outcap, size_t *outlen)
{
	size_t i, o = 0, rem = inlen % 4, need;
	unsigned int acc = 0;
	int v;

	*outlen = 0;
	if (rem == 1)
		return PJ_E_MALFORMED;
	need = inlen / 4 * 3 + (rem ? rem - 1 : 0);
	if (need > outcap)
		return PJ_E_MALFORMED;
	for (i = 0; i < inlen; i++) {
		v = dec_val((unsigned char)in[i]);
		if (v < 0)
			return PJ_E_MALFORMED;
		acc = (acc << 6) | (unsigned int)v;
		if (i % 4 == 3) {
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	if (rem == 2) {
		/* 12 bits, 8 used: the low 4 must be zero */
		if (acc & 0x0fu)
			return PJ_E_MALFORMED;
		out[o++] = (unsigned char)(acc >> 4);
	} else if (rem == 3) {
		/* 18 bits, 16 used: the low 2 must be zero */
		if (acc & 0x03u)
			return PJ_E_MALFORMED;
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
	}
	*outlen = o;
	return PJ_OK;
}

int
pj_b64url_decode_alloc(const char *in, size_t inlen, unsigned char **out,
    size_t *outlen)
{
	unsigned char *buf;
	size_t cap = PJ_B64URL_DECODED_MAX(inlen) + 1;
	int r;

	*out = NULL;
	*outlen = 0;
	buf = malloc(cap);
	if (buf == NULL)
		return PJ_E_NOMEM;
	r = pj_b64url_decode(in, inlen, buf, cap - 1, outlen);
	if (r != PJ_OK) {
		/* part of a malformed secret or signature may be in it */
		sodium_memzero(buf, cap);
		free(buf);
		return r;
	}
	buf[*outlen] = '\0';
	*out = buf; /* transferred */
	return PJ_OK;
}

void
pj_b64url_encode(const unsigned char *in, size_t len, char *out)
{
	size_t i, o = 0;
	unsigned int acc;

	for (i = 0; i + 3 <= len; i += 3) {
		acc = ((unsigned int)in[i] << 16) | ((unsigned int)in[i + 1] << 8) |
		    in[i + 2];
		out[o++] = enc_tab[(acc >> 18) & 63];
		out[o++] = enc_tab[(acc >> 12) & 63];
		out[o++] = enc_tab[(acc >> 6) & 63];
		out[o++] = enc_tab[acc & 63];
	}
	if (len - i == 1) {
		acc = (unsigned int)in[i] << 16;
		out[o++] = enc_tab[(acc >> 18) & 63];
		out[o++] = enc_tab[(acc >> 12) & 63];
	} else if (len - i == 2) {
		acc = ((unsigned int)in[i] << 16) | ((unsigned int)in[i + 1] << 8);
		out[o++] = enc_tab[(acc >> 18) & 63];
		out[o++] = enc_tab[(acc >> 12) & 63];
		out[o++] = enc_tab[(acc >> 6) & 63];
	}
	out[o] = '\0';
}

char *
pj_b64url_encode_alloc(const unsigned char *in, size_t len)
{
	char *out = malloc(PJ_B64URL_ENCODED_LEN(len) + 1);

	if (out != NULL)
		pj_b64url_encode(in, len, out);
	return out;
}
