/* hdrcache.c - JWS headers already parsed, kept by their exact bytes.
 *
 * Like lib/keycache.c, a deliberate exception to "no mutable static
 * state" (NOTES-design.md, "The header cache", has the measurements).  In a
 * long-lived host the tokens of one issuer share one header (the same alg,
 * kid and typ give the same bytes), and parsing it with jansson was the
 * largest part of the module's own work once the keys were kept.
 *
 * What is kept: the header segment as sent (base64url text, at most
 * PJ_HDRCACHE_SEG_MAX characters) and what pj_jws_peek_header made of it
 * after every check passed: the algorithm, kid and typ.  Parsing is a
 * function of those bytes alone, so a kept entry is used only when the
 * segment is equal byte for byte, and the result is the one a fresh parse
 * gives.  A header that fails a check is never kept: it is parsed (and
 * refused) every time.  Nothing secret is kept: the header is public.
 * The shape of the whole token and its length are checked on every token
 * before the cache is asked (lib/jws.c).
 *
 * Thread-safe: the slots are read and written only under hdrcache_lock,
 * and a hit copies kid and typ out (into the caller's pj_jws, which frees
 * them): nothing of the cache is shared outside the lock.  (jansson's
 * objects are not shared either: json_decref reads the count unlocked
 * before its atomic decrement, a race ThreadSanitizer reports.)
 * Fork-safe: the lock is only tried, as in keycache.c.  Bounded:
 * HDRCACHE_SLOTS entries, least recently used replaced, so a stream of
 * different headers costs a parse each, as without the cache, and never
 * memory. */
#include "hdrcache.h"
#include "jws.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HDRCACHE_SLOTS 8

struct hslot {
	char *seg;                /* the header segment, as sent, then kid
	                           * and typ (one allocation); NULL: free */
	size_t len;
	unsigned int alg;
	const char *kid, *typ;    /* inside seg's allocation, or NULL */
	size_t kidlen, typlen;
	uint64_t used;          /* never wraps, on 32-bit too */
};

static struct hslot hdrcache[HDRCACHE_SLOTS];
static uint64_t hdrcache_tick;
static pthread_mutex_t hdrcache_lock = PTHREAD_MUTEX_INITIALIZER;

static void
hslot_free(struct hslot *s)
{
	free(s->seg);
	memset(s, 0, sizeof(*s));
}

/* Under the lock: kid and typ of s into a new allocation of out's. */
static int
copy_out(const struct hslot *s, struct pj_jws *out)
{
	char *kept = malloc(s->kidlen + 1 + s->typlen + 1);

	if (kept == NULL)
		return 0;
	memcpy(kept, s->kid != NULL ? s->kid : "", s->kidlen + 1);
	memcpy(kept + s->kidlen + 1, s->typ != NULL ? s->typ : "", s->typlen + 1);
	out->parsed = 1;
	out->header = NULL;
	out->kept = kept;
	out->alg = s->alg;
	out->kid = s->kid != NULL ? kept : NULL;
	out->typ = s->typ != NULL ? kept + s->kidlen + 1 : NULL;
	return 1;
}

int
pj_hdrcache_get(const char *seg, size_t len, struct pj_jws *out)
{
	struct hslot *s;
	size_t i;
	int hit = 0;

	if (len == 0 || len > PJ_HDRCACHE_SEG_MAX)
		return 0;
	if (pthread_mutex_trylock(&hdrcache_lock) != 0)
		return 0;
	for (i = 0; i < HDRCACHE_SLOTS; i++) {
		s = &hdrcache[i];
		if (s->seg == NULL || s->len != len ||
		    memcmp(s->seg, seg, len) != 0)
			continue;
		s->used = ++hdrcache_tick;
		hit = copy_out(s, out);
		break;
	}
	(void)pthread_mutex_unlock(&hdrcache_lock);
	return hit;
}

void
pj_hdrcache_put(const char *seg, size_t len, const struct pj_jws *parsed)
{
	struct hslot fresh, old;
	size_t i, victim = 0;

	memset(&fresh, 0, sizeof(fresh));
	memset(&old, 0, sizeof(old));
	if (len == 0 || len > PJ_HDRCACHE_SEG_MAX || !parsed->parsed ||
	    parsed->payload != NULL)
		return;
	fresh.kidlen = parsed->kid != NULL ? strlen(parsed->kid) : 0;
	fresh.typlen = parsed->typ != NULL ? strlen(parsed->typ) : 0;
	if (fresh.kidlen > PJ_HDRCACHE_SEG_MAX || fresh.typlen > PJ_HDRCACHE_SEG_MAX)
		return; /* cannot be, from a segment this short */
	if ((fresh.seg = malloc(len + fresh.kidlen + 1 + fresh.typlen + 1)) == NULL)
		return;
	memcpy(fresh.seg, seg, len);
	fresh.len = len;
	fresh.alg = parsed->alg;
	if (parsed->kid != NULL) {
		memcpy(fresh.seg + len, parsed->kid, fresh.kidlen + 1);
		fresh.kid = fresh.seg + len;
	}
	if (parsed->typ != NULL) {
		memcpy(fresh.seg + len + fresh.kidlen + 1, parsed->typ,
		    fresh.typlen + 1);
		fresh.typ = fresh.seg + len + fresh.kidlen + 1;
	}
	if (pthread_mutex_trylock(&hdrcache_lock) != 0)
		goto out;
	for (i = 0; i < HDRCACHE_SLOTS; i++)
		if (hdrcache[i].seg != NULL && hdrcache[i].len == len &&
		    memcmp(hdrcache[i].seg, seg, len) == 0)
			break; /* another thread kept the same meanwhile */
	if (i == HDRCACHE_SLOTS) {
		for (i = 0; i < HDRCACHE_SLOTS; i++) {
			if (hdrcache[i].seg == NULL) {
				victim = i;
				break;
			}
			if (hdrcache[i].used < hdrcache[victim].used)
				victim = i;
		}
		old = hdrcache[victim]; /* freed below, outside the lock */
		fresh.used = ++hdrcache_tick;
		hdrcache[victim] = fresh; /* transferred */
		memset(&fresh, 0, sizeof(fresh));
	}
	(void)pthread_mutex_unlock(&hdrcache_lock);
out:
	hslot_free(&old);
	hslot_free(&fresh);
}

void
pj_hdrcache_clear(void)
{
	struct hslot gone[HDRCACHE_SLOTS];
	size_t i;

	if (pthread_mutex_lock(&hdrcache_lock) != 0)
		return;
	memcpy(gone, hdrcache, sizeof(gone));
	memset(hdrcache, 0, sizeof(hdrcache));
	(void)pthread_mutex_unlock(&hdrcache_lock);
	for (i = 0; i < HDRCACHE_SLOTS; i++)
		hslot_free(&gone[i]);
}
