/* keyset.c - the configured key set: read from the option's files
 * (secret_file, public_key_file, jwks_file, with the file checks of
 * lib/file.c), and the choice of the one key for a token (find, select).
 * Above key.c (one key) and jwk.c (JWK text to keys). */
#include "keyset.h"
#include "alg.h"
#include "err.h"
#include "file.h"
#include "jwk.h"
#include "key.h"
#include "keycache.h"
#include "logval.h"
#include "options.h"
#include "text.h"

#include <sodium.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* as PJ_REASON_MAX (verify.h), which this file does not include */
#define PJ_REASON_MAX_KEYSET 256

#include "hog.h" /* pj_hog_load */

/* Build the one key of a secret or PEM file's text. */
static int
secret_key(char *buf, size_t len, struct pj_key *k, char *reason, size_t rlen)
{
	/* one final newline is not part of the secret */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	return pj_key_from_secret((unsigned char *)buf, len, k, reason, rlen);
}

static int
pem_key(char *buf, size_t len, struct pj_key *k, char *reason, size_t rlen)
{
	return pj_key_from_pem(buf, len, k, reason, rlen);
}

/* A file holding one key (secret_file, public_key_file), open and checked
 * (pj_file_open): read it, build the key, add it to ks. */
static int
load_one(const char *path, int fd, const struct pj_file_id *id,
    int (*build)(char *, size_t, struct pj_key *, char *, size_t),
    struct pj_keyset *ks, char *reason, size_t rlen)
{
	struct pj_key k;
	char *buf = NULL;
	size_t len = 0;
	int r;

	memset(&k, 0, sizeof(k));
	r = pj_file_read_open(fd, path, id, PJ_E_KEY, &buf, &len, reason, rlen);
	if (r != PJ_OK)
		goto out;
	r = build(buf, len, &k, reason, rlen);
	if (r != PJ_OK) {
		if (r == PJ_E_KEY)
			pj_reason_prefix(reason, rlen, "%s", path);
		goto out;
	}
	r = pj_keyset_add(ks, &k);
out:
	pj_key_clear(&k);
	pj_file_free(buf, len);
	return r;
}

static int
load_jwks(const char *path, int fd, const struct pj_file_id *id,
    int (*unused)(char *, size_t, struct pj_key *, char *, size_t),
    struct pj_keyset *ks, char *reason, size_t rlen)
{
	char *buf = NULL;
	size_t len = 0, first = ks->n, i;
	unsigned int mode = id->mode & 07777;
	int r;

	(void)unused; /* the set's keys are built by pj_jwks_parse */
	r = pj_file_read_open(fd, path, id, PJ_E_KEY, &buf, &len, reason, rlen);
	if (r != PJ_OK)
		goto out;
	r = pj_jwks_parse(buf, len, ks, reason, rlen);
	/* an oct key is a secret: the set must then be private like one */
	for (i = first; r == PJ_OK && i < ks->n; i++)
		if (ks->keys[i].type == PJ_KEY_HMAC && (mode & 077) != 0)
			r = pj_reason(PJ_E_KEY, reason, rlen,
			    "holds an HMAC secret (kty oct) but its mode %04o lets "
			    "group or others read it", mode);
	if (r == PJ_E_KEY)
		pj_reason_prefix(reason, rlen, "%s", path);
out:
	pj_file_free(buf, len);
	return r;
}

/* Make a set just read fit to keep and share: every pending key built now
 * (no authentication may change a shared key).  PJ_OK, or the reason not
 * to keep the set (a key that cannot be built, libhogweed missing, no
 * memory): then it stays this authentication's own, and a key that failed
 * is left exactly as it was, pending, so that choosing it gives the reason
 * that building it then gives, as without the cache.  A set with a key
 * that cannot be built is never kept: a failure that was only transient
 * (memory) must not stick to the key for as long as the file stays. */
static int
keyset_settle(struct pj_keyset *ks)
{
	char why[PJ_REASON_MAX_KEYSET] = "";
	struct pj_key *k;
	unsigned int algs;
	size_t i;
	int r;

	for (i = 0; i < ks->n; i++) {
		k = &ks->keys[i];
		if (k->pending == NULL)
			continue;
		algs = k->algs;
		r = pj_jwk_ready(k, why, sizeof(why));
		sodium_memzero(why, sizeof(why));
		if (r != PJ_OK) {
			k->algs = algs; /* pj_jwk_ready dropped it on PJ_E_KEY */
			return r;
		}
	}
	return pj_keyset_share(ks);
}

int
pj_keyset_load(const struct pj_options *o, struct pj_keyset *ks, char *reason,
    size_t rlen)
{
	static const struct {
		enum pj_file_kind kind;
		size_t max;
		int (*build)(char *, size_t, struct pj_key *, char *, size_t);
		int (*load)(const char *, int, const struct pj_file_id *,
		    int (*)(char *, size_t, struct pj_key *, char *, size_t),
		    struct pj_keyset *, char *, size_t);
	} how[PJ_KEYCACHE_SOURCES] = {
		{ PJ_FILE_SECRET, PJ_SECRET_MAX, secret_key, load_one },
		{ PJ_FILE_PUBLIC, PJ_PEM_MAX, pem_key, load_one },
		{ PJ_FILE_PUBLIC, PJ_JWKS_MAX, NULL, load_jwks },
	};
	struct pj_keycache_src src[PJ_KEYCACHE_SOURCES];
	char open_why[PJ_REASON_MAX_KEYSET] = "";
	int fd[PJ_KEYCACHE_SOURCES] = { -1, -1, -1 };
	size_t i, failed = PJ_KEYCACHE_SOURCES;
	int r = PJ_OK, open_r = PJ_OK, sources = 0;

	memset(ks, 0, sizeof(*ks));
	memset(src, 0, sizeof(src));
	src[0].path = o->secret_file;
	src[1].path = o->public_key_file;
	src[2].path = o->jwks_file;
	/* the kept set, when every file, seen without opening it, passes the
	 * checks of a fresh read, may be read by this process now and is the
	 * one kept (pj_file_peek): no file is opened.  On any other answer
	 * every file is opened and checked below, which gives the reason. */
	for (i = 0; i < PJ_KEYCACHE_SOURCES; i++) {
		if (src[i].path == NULL)
			continue;
		sources++;
		if (pj_file_peek(src[i].path, how[i].kind, how[i].max,
		    &src[i].id) != PJ_OK)
			break;
	}
	if (sources > 0 && i == PJ_KEYCACHE_SOURCES &&
	    pj_keycache_get(src, 1, ks))
		goto out;
	sources = 0;
	for (i = 0; i < PJ_KEYCACHE_SOURCES; i++)
		memset(&src[i].id, 0, sizeof(src[i].id));
	/* open and check each in order, up to the first that fails: its
	 * reason comes after those of the files before it, as when each was
	 * read and built in turn */
	for (i = 0; i < PJ_KEYCACHE_SOURCES; i++) {
		if (src[i].path == NULL)
			continue;
		sources++;
		open_r = pj_file_open(src[i].path, how[i].kind, how[i].max,
		    PJ_E_KEY, &fd[i], &src[i].id, open_why, sizeof(open_why));
		if (open_r != PJ_OK) {
			failed = i;
			break;
		}
	}
	if (sources == 0) {
		r = pj_reason(PJ_E_KEY, reason, rlen, "no key configured");
		goto out;
	}
	if (failed == PJ_KEYCACHE_SOURCES && pj_keycache_get(src, 0, ks))
		goto out; /* every file the same as when its keys were kept */
	for (i = 0; i < failed && r == PJ_OK; i++)
		if (src[i].path != NULL)
			r = how[i].load(src[i].path, fd[i], &src[i].id,
			    how[i].build, ks, reason, rlen);
	if (r != PJ_OK)
		goto out;
	if (failed != PJ_KEYCACHE_SOURCES) {
		r = pj_reason(open_r, reason, rlen, "%s", open_why);
		goto out;
	}
	if (ks->n == 0) {
		r = pj_reason(PJ_E_KEY, reason, rlen, "no key configured");
		goto out;
	}
	/* kept only once every file has settled (file.h); until then the set
	 * stays this authentication's own, its keys built as they are chosen */
	for (i = 0; i < PJ_KEYCACHE_SOURCES; i++)
		if (src[i].path != NULL && !pj_file_id_settled(&src[i].id))
			goto out;
	if (keyset_settle(ks) == PJ_OK) {
		for (i = 0; i < PJ_KEYCACHE_SOURCES; i++)
			if (src[i].path != NULL)
				src[i].id.local = pj_file_fd_local(fd[i]);
		pj_keycache_put(src, ks);
	}
out:
	for (i = 0; i < PJ_KEYCACHE_SOURCES; i++)
		if (fd[i] >= 0)
			(void)close(fd[i]);
	sodium_memzero(open_why, sizeof(open_why));
	if (r != PJ_OK)
		pj_keyset_free(ks);
	return r;
}

/* The chosen key, ready to verify alg: its Nettle key built if pending, and
 * libhogweed loaded for HS384 (libsodium has no SHA-384), with the reason
 * logged here rather than as a bad signature. */
static int
key_use(struct pj_key *k, unsigned int alg, char *reason, size_t rlen)
{
	int r;

	if ((r = pj_jwk_ready(k, reason, rlen)) != PJ_OK)
		return r;
	if (alg == PJ_ALG_HS384)
		return pj_hog_load(reason, rlen);
	return PJ_OK;
}

int
pj_keyset_find(const struct pj_keyset *ks, unsigned int alg, const char *kid,
    const struct pj_key **out, char *reason, size_t rlen)
{
	const struct pj_key *hit = NULL;
	char shown[PJ_LOGVAL_SIZE(64)];
	size_t i, fits = 0;

	*out = NULL;
	if (kid != NULL) {
		for (i = 0; i < ks->n; i++)
			if (ks->keys[i].kid != NULL &&
			    strcmp(ks->keys[i].kid, kid) == 0) {
				hit = &ks->keys[i];
				break;
			}
		if (hit != NULL) {
			/* a configured kid (the token's matched it), escaped all
			 * the same: the line is read as structure (logval.h) */
			pj_logstr(shown, sizeof(shown), hit->kid, 64);
			if (hit->algs == 0)
				return pj_reason(PJ_E_NO_KEY, reason, rlen,
				    "key '%s' is unusable: %s", shown,
				    hit->note ? hit->note : "no algorithm");
			if ((hit->algs & alg) == 0)
				return pj_reason(PJ_E_ALG, reason, rlen,
				    "key '%s' does not allow %s", shown,
				    pj_alg_name(alg));
			*out = hit;
			return PJ_OK;
		}
	}
	/* keys without kid (files), or any key when the token has no kid */
	for (i = 0; i < ks->n; i++) {
		if (kid != NULL && ks->keys[i].kid != NULL)
			continue;
		if (ks->keys[i].algs & alg) {
			fits++;
			hit = &ks->keys[i];
		}
	}
	if (fits == 0) {
		if (kid != NULL)
			/* the token's kid, unverified, is not quoted: the log
			 * line has it once, escaped, as kid= (pam_jwt.c) */
			return pj_reason(PJ_E_NO_KEY, reason, rlen,
			    "no key with the token's kid for %s", pj_alg_name(alg));
		return pj_reason(PJ_E_ALG, reason, rlen,
		    "no configured key verifies %s", pj_alg_name(alg));
	}
	if (fits > 1)
		return pj_reason(PJ_E_NO_KEY, reason, rlen,
		    "token has no kid and %zu keys fit %s", fits, pj_alg_name(alg));
	*out = hit;
	return PJ_OK;
}

int
pj_keyset_select(const struct pj_keyset *ks, unsigned int alg, const char *kid,
    const struct pj_key **out, char *reason, size_t rlen)
{
	const struct pj_key *hit = NULL;
	int r;

	*out = NULL;
	if ((r = pj_keyset_find(ks, alg, kid, &hit, reason, rlen)) != PJ_OK)
		return r;
	/* the set is const, its keys are not: building a pending key is a
	 * cache inside this authentication's own key set */
	if ((r = key_use((struct pj_key *)(uintptr_t)hit, alg, reason, rlen)) !=
	    PJ_OK)
		return r;
	*out = hit;
	return PJ_OK;
}
