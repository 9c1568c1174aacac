/* store.c - the links and the rate limits, in memory (pamjwt-linkd(8),
 * LINKS)
 *
 * A link is kept as the SHA-256 of its id, never the id: reading the
 * process's memory (a core dump) gives no usable link.  A restart forgets
 * every link, which fails safe (the person asks again).  Used links stay
 * until they expire, so that a second press says "used".  Both tables are
 * fixed in size: a flood cannot make the process grow.
 */
#include "linkd.h"

#include "lib/b64url.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
lf_store_init(struct lf_store *s, size_t maxlinks, size_t rate_slots,
    long long window)
{
	memset(s, 0, sizeof(*s));
	if (pthread_mutex_init(&s->lock, NULL) != 0)
		return -1;
	s->links = calloc(maxlinks, sizeof(*s->links));
	s->rates = calloc(rate_slots, sizeof(*s->rates));
	if (s->links == NULL || s->rates == NULL) {
		lf_store_free(s);
		return -1;
	}
	s->maxlinks = maxlinks;
	s->nrates = rate_slots;
	s->window = window;
	return 0;
}

void
lf_store_free(struct lf_store *s)
{
	if (s == NULL)
		return;
	if (s->links != NULL) {
		sodium_memzero(s->links, s->maxlinks * sizeof(*s->links));
		free(s->links);
	}
	free(s->rates);
	pthread_mutex_destroy(&s->lock);
	memset(s, 0, sizeof(*s));
}

int
lf_id_valid(const char *s)
{
	size_t i;

	for (i = 0; i < LF_ID_LEN; i++)
		if (s[i] == '\0' || !pj_b64url_char((unsigned char)s[i]))
			return 0;
	return s[LF_ID_LEN] == '\0';
}

void
lf_id_hash(const char *id, unsigned char hash[LF_HASH_BYTES])
{
	crypto_hash_sha256(hash, (const unsigned char *)id, strlen(id));
}

void
lf_id_new(char id[LF_ID_LEN + 1], unsigned char hash[LF_HASH_BYTES])
{
	unsigned char raw[LF_ID_BYTES];

	randombytes_buf(raw, sizeof(raw));
	pj_b64url_encode(raw, sizeof(raw), id);
	sodium_memzero(raw, sizeof(raw));
	lf_id_hash(id, hash);
}

/* Under the lock: drop expired links (compacting the table). */
static void
prune(struct lf_store *s, time_t now)
{
	size_t i, j = 0;

	for (i = 0; i < s->nlinks; i++) {
		if (s->links[i].expires <= now)
			continue;
		if (i != j)
			s->links[j] = s->links[i];
		j++;
	}
	if (j < s->nlinks)
		sodium_memzero(&s->links[j], (s->nlinks - j) * sizeof(*s->links));
	s->nlinks = j;
}

int
lf_store_add(struct lf_store *s, const unsigned char hash[LF_HASH_BYTES],
    const char *account, size_t kind, time_t now, long long ttl, int keep)
{
	struct lf_link *l, scratch;
	int r = -1;

	pthread_mutex_lock(&s->lock);
	if (s->nlinks == s->maxlinks)
		prune(s, now);
	if (s->nlinks == s->maxlinks)
		goto out;
	l = keep ? &s->links[s->nlinks++] : &scratch;
	memset(l, 0, sizeof(*l));
	memcpy(l->hash, hash, LF_HASH_BYTES);
	(void)snprintf(l->account, sizeof(l->account), "%s", account);
	l->kind = kind;
	l->created = now;
	l->expires = now + (time_t)ttl;
	if (!keep)
		sodium_memzero(&scratch, sizeof(scratch));
	r = 0;
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

/* Under the lock: the link with this hash, or NULL. */
static struct lf_link *
find(struct lf_store *s, const unsigned char hash[LF_HASH_BYTES])
{
	size_t i;

	for (i = 0; i < s->nlinks; i++)
		if (sodium_memcmp(s->links[i].hash, hash, LF_HASH_BYTES) == 0)
			return &s->links[i];
	return NULL;
}

static enum lf_link_state
state(const struct lf_link *l, time_t now)
{
	if (l == NULL)
		return LF_LINK_UNKNOWN;
	if (l->used != 0)
		return LF_LINK_USED;
	if (l->expires <= now)
		return LF_LINK_EXPIRED;
	return LF_LINK_VALID;
}

enum lf_link_state
lf_store_peek(struct lf_store *s, const unsigned char hash[LF_HASH_BYTES],
    time_t now, struct lf_link *out)
{
	enum lf_link_state st;
	struct lf_link *l;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	l = find(s, hash);
	st = state(l, now);
	if (l != NULL)
		*out = *l;
	pthread_mutex_unlock(&s->lock);
	return st;
}

enum lf_link_state
lf_store_take(struct lf_store *s, const unsigned char hash[LF_HASH_BYTES],
    time_t now, struct lf_link *out)
{
	enum lf_link_state st;
	struct lf_link *l;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&s->lock);
	l = find(s, hash);
	st = state(l, now);
	if (l != NULL)
		*out = *l;
	if (st == LF_LINK_VALID)
		l->used = now;
	pthread_mutex_unlock(&s->lock);
	return st;
}

void
lf_store_untake(struct lf_store *s, const unsigned char hash[LF_HASH_BYTES])
{
	struct lf_link *l;

	pthread_mutex_lock(&s->lock);
	l = find(s, hash);
	if (l != NULL)
		l->used = 0;
	pthread_mutex_unlock(&s->lock);
}

/* A table full of live windows refuses a new key instead of evicting one:
 * evicting would reset that key's counter (the slot whose window began
 * earliest is the one an attacker has just used up), so filling the table
 * with other inputs would give a victim's account a fresh allowance.  Full
 * means refuse until windows expire; the table is sized by rate_slots. */
int
lf_rate_allow(struct lf_store *s, const char *key, unsigned int limit,
    time_t now)
{
	unsigned char k[16];
	struct lf_rate *slot = NULL, *spare = NULL;
	size_t i;
	int ok;

	/* keyed by a hash only: the table holds no names or addresses */
	crypto_generichash(k, sizeof(k), (const unsigned char *)key,
	    strlen(key), NULL, 0);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->nrates; i++) {
		struct lf_rate *r = &s->rates[i];
		int live = r->count != 0 && now - r->start < s->window;

		if (r->count != 0 && memcmp(r->key, k, sizeof(k)) == 0) {
			slot = r;
			break;
		}
		if (!live && spare == NULL)
			spare = r;      /* free, or its window is over */
	}
	if (slot != NULL && now - slot->start >= s->window) {
		slot->start = now;
		slot->count = 0;
	}
	if (slot == NULL && spare == NULL) {
		pthread_mutex_unlock(&s->lock);
		return 0;       /* full of live windows: refuse */
	}
	if (slot == NULL) {
		slot = spare;
		memcpy(slot->key, k, sizeof(k));
		slot->start = now;
		slot->count = 0;
	}
	ok = slot->count < limit;
	if (ok)
		slot->count++;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

int
lf_rate_global(struct lf_store *s, unsigned int limit, int count, time_t now)
{
	int ok;

	pthread_mutex_lock(&s->lock);
	if (s->mail_count == 0 || now - s->mail_start >= s->window) {
		s->mail_start = now;
		s->mail_count = 0;
	}
	ok = s->mail_count < limit;
	if (ok && count)
		s->mail_count++;
	pthread_mutex_unlock(&s->lock);
	return ok;
}
