/* freed.c - no secret is left in memory that is given back.
 *
 *   freed
 *
 * Linked with -Wl,--wrap=free,--wrap=realloc over lib/ (tests/fault.mk),
 * and jansson's allocator set to ours (json_set_alloc_funcs: this process
 * is the test, not sshd), so that every block lib/ or jansson frees
 * during an authentication is read just before it goes back to malloc.
 * Two full authentications through pj_verify (keys loaded from the files,
 * as the module does):
 *   jwks    a JWK Set (mode 0600) with an oct key (kid "oct1") beside an
 *           EC key, and an HS256 token with kid "oct1";
 *   secret  a secret_file, and an HS256 token without kid.
 * Each must succeed, and no freed block may hold 16 bytes in a row of the
 * secret (raw), of its base64url text (the JWK "k"), or of the token's
 * signature (raw).  Prints "freed: N passed, M failed".
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <malloc.h>
#include <pwd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/err.h"
#include "lib/jwk.h"
#include "lib/options.h"
#include "lib/verify.h"

#define WINDOW 16
#define NEEDLES 3

void __real_free(void *);
void *__real_realloc(void *, size_t);

static struct {
	const char *what;
	unsigned char buf[128];
	size_t len;
} needle[NEEDLES];
static int watching;
static long found;
static char found_what[256];

/* Does the block hold WINDOW bytes in a row of any needle? */
static void
scan(const void *p, const char *who)
{
	size_t size, i, off;

	if (p == NULL || !watching)
		return;
	size = malloc_usable_size((void *)p);
	for (i = 0; i < NEEDLES; i++)
		for (off = 0; off + WINDOW <= needle[i].len; off++)
			if (memmem(p, size, needle[i].buf + off, WINDOW) != NULL) {
				if (found++ == 0)
					(void)snprintf(found_what, sizeof(found_what),
					    "%s freed a block of %zu bytes holding %s",
					    who, size, needle[i].what);
				else if (getenv("FREED_VERBOSE") != NULL)
					fprintf(stderr, "freed: also %s, %zu bytes, %s\n",
					    who, size, needle[i].what);
				return;
			}
}

void
__wrap_free(void *p)
{
	scan(p, "lib/");
	__real_free(p);
}

/* realloc may move the block and give the old one back unwiped */
void *
__wrap_realloc(void *p, size_t n)
{
	scan(p, "lib/ (realloc)");
	return __real_realloc(p, n);
}

static void *
json_alloc(size_t n)
{
	return malloc(n);
}

static void
json_free(void *p)
{
	scan(p, "jansson");
	__real_free(p);
}

/* The account database: tests/support/fake_passwd.c (alice is 1001). */

static void
write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd) != 0) {
		fprintf(stderr, "freed: %s: %s\n", path, strerror(errno));
		exit(2);
	}
}

static void
b64url(const unsigned char *bin, size_t len, char *out, size_t outlen)
{
	if (sodium_bin2base64(out, outlen, bin, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == NULL)
		abort();
}

/* An HS256 token for alice, signed with secret; its raw signature in sig. */
static char *
make_token(const unsigned char *secret, size_t slen, const char *kid,
    unsigned char sig[crypto_auth_hmacsha256_BYTES])
{
	crypto_auth_hmacsha256_state st;
	char header[128], payload[256], h64[256], p64[512], s64[64], *tok;
	long long now = (long long)time(NULL);

	(void)snprintf(header, sizeof(header),
	    "{\"alg\":\"HS256\",\"typ\":\"JWT\"%s%s%s}", kid ? ",\"kid\":\"" : "",
	    kid ? kid : "", kid ? "\"" : "");
	(void)snprintf(payload, sizeof(payload),
	    "{\"sub\":\"alice\",\"iat\":%lld,\"exp\":%lld}", now - 5, now + 600);
	b64url((const unsigned char *)header, strlen(header), h64, sizeof(h64));
	b64url((const unsigned char *)payload, strlen(payload), p64, sizeof(p64));
	if (asprintf(&tok, "%s.%s", h64, p64) < 0)
		abort();
	crypto_auth_hmacsha256_init(&st, secret, slen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)tok,
	    strlen(tok));
	crypto_auth_hmacsha256_final(&st, sig);
	b64url(sig, crypto_auth_hmacsha256_BYTES, s64, sizeof(s64));
	free(tok);
	if (asprintf(&tok, "%s.%s.%s", h64, p64, s64) < 0)
		abort();
	return tok;
}

/* One authentication; 0 if it succeeded and left nothing behind. */
static int
run(const char *name, const char *key, const char *path,
    const unsigned char *secret, size_t slen, const char *kid)
{
	struct pj_options o;
	struct pj_result res;
	unsigned char sig[crypto_auth_hmacsha256_BYTES];
	char reason[256] = "", *tok;
	int r, bad = 0;

	tok = make_token(secret, slen, kid, sig);
	memcpy(needle[0].buf, secret, slen);
	needle[0].len = slen;
	needle[0].what = "the secret";
	b64url(secret, slen, (char *)needle[1].buf, sizeof(needle[1].buf));
	needle[1].len = strlen((char *)needle[1].buf);
	needle[1].what = "the secret's base64url text";
	memcpy(needle[2].buf, sig, sizeof(sig));
	needle[2].len = sizeof(sig);
	needle[2].what = "the token's signature";

	pj_options_init(&o);
	if (pj_options_set(&o, PJ_LEVEL_ARG, key, path, reason,
	    sizeof(reason)) != PJ_OK ||
	    pj_options_check(&o, reason, sizeof(reason)) != PJ_OK) {
		fprintf(stderr, "freed: %s: options: %s\n", name, reason);
		exit(2);
	}
	memset(&res, 0, sizeof(res));
	found = 0;
	watching = 1;
	r = pj_verify(&o, NULL, tok, strlen(tok), "alice", (long long)time(NULL),
	    &res);
	(void)snprintf(reason, sizeof(reason), "%s", res.reason);
	pj_result_clear(&res);
	pj_jwks_cache_clear();
	watching = 0;
	pj_options_free(&o);
	if (r != PJ_OK) {
		printf("freed: %s: FAIL: authentication failed: %s (%s)\n", name,
		    pj_strerror(r), reason);
		bad = 1;
	}
	if (found) {
		printf("freed: %s: FAIL: %s (%ld such blocks)\n", name, found_what,
		    found);
		bad = 1;
	}
	if (!bad)
		printf("freed: %s: ok\n", name);
	sodium_memzero(tok, strlen(tok));
	free(tok);
	return bad;
}

int
main(void)
{
	unsigned char s1[64], s2[48];
	char dir[] = "/tmp/pj-freed-XXXXXX", path[2][256], *jwks, k64[128];
	const char *ec = "{\"kty\":\"EC\",\"kid\":\"ec1\",\"crv\":\"P-256\","
	    "\"x\":\"Jk4xLYWWUZ7OFZOA52g_j84GtFphPVn-d3rMtDztHYQ\","
	    "\"y\":\"4bOO86XJlb_ms4SdSEAKXCd5GnKuqHe1hAVjeiC7AXQ\"}";
	int failed = 0, passed = 0;

	json_set_alloc_funcs(json_alloc, json_free);
	if (sodium_init() < 0 || mkdtemp(dir) == NULL)
		return 2;
	randombytes_buf(s1, sizeof(s1));
	randombytes_buf(s2, sizeof(s2));
	s1[sizeof(s1) - 1] = 'x'; /* a final newline would be dropped */
	b64url(s2, sizeof(s2), k64, sizeof(k64));
	if (asprintf(&jwks, "{\"keys\":[%s,{\"kty\":\"oct\",\"kid\":\"oct1\","
	    "\"alg\":\"HS256\",\"k\":\"%s\"}]}", ec, k64) < 0)
		return 2;
	(void)snprintf(path[0], sizeof(path[0]), "%s/jwks.json", dir);
	(void)snprintf(path[1], sizeof(path[1]), "%s/secret", dir);
	write_file(path[0], jwks, strlen(jwks));
	write_file(path[1], s1, sizeof(s1));
	sodium_memzero(jwks, strlen(jwks));
	free(jwks);

	if (run("jwks", "jwks_file", path[0], s2, sizeof(s2), "oct1"))
		failed++;
	else
		passed++;
	if (run("secret", "secret_file", path[1], s1, sizeof(s1), NULL))
		failed++;
	else
		passed++;
	(void)unlink(path[0]);
	(void)unlink(path[1]);
	(void)rmdir(dir);
	printf("freed: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
