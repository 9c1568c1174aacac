/* libjwt_check - the differential column of the attack suite: does
 * libjwt 1.10.2's jwt_decode accept this token with this key?
 *
 *   libjwt_check TOKENFILE [KEYFILE]
 *
 * Prints ACCEPTS or REJECTS.  Without KEYFILE the key is NULL (what a naive
 * caller passes for "alg none").  Only jwt_decode's verdict on the signature
 * layer is asked; libjwt 1.10 checks no claims there. */
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0) {
		if (f != NULL)
			fclose(f);
		return NULL;
	}
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

int
main(int argc, char **argv)
{
	unsigned char *tok, *key = NULL;
	size_t tlen = 0, klen = 0;
	jwt_t *jwt = NULL;
	int r;

	if (argc < 2) {
		fprintf(stderr, "usage: libjwt_check TOKENFILE [KEYFILE]\n");
		return 2;
	}
	tok = slurp(argv[1], &tlen);
	if (tok == NULL || (argc > 2 && (key = slurp(argv[2], &klen)) == NULL)) {
		fprintf(stderr, "libjwt_check: cannot read input\n");
		return 2;
	}
	r = jwt_decode(&jwt, (const char *)tok, key, (int)klen);
	printf("%s\n", r == 0 ? "ACCEPTS" : "REJECTS");
	jwt_free(jwt);
	free(tok);
	free(key);
	return 0;
}
