/* keycache.c - the key sets read from files, kept while the files are
 * provably the same.
 *
 * A deliberate exception to "no mutable static state" (STYLE.md 5;
 * NOTES-design.md, "The key cache", has the measurements).  Reading and
 * building the keys was most of the module's own work in a long-lived host
 * (sshd, a PAM server): the files' text, the PEM/JWK parse, the Nettle key.
 *
 * What is kept: per configuration (the three paths), the identity of each
 * file (pj_file_id: device, inode, size, mtime and ctime to the
 * nanosecond, owner, group, mode) and the keys built from it, as a shared
 * read-only set (key.h: pj_keyset_share).  Every authentication still
 * checks every file with exactly the checks of a fresh read, without
 * opening it: fstatat without following links, and faccessat for whether
 * open would be allowed to read it now (lib/file.c pj_file_peek, by
 * lib/keyset.c, before asking here); only when every identity is equal is
 * the kept set used.  Otherwise every file is opened and read as without
 * a cache, and that read gives any reason.  A file whose newest time is
 * younger than PJ_FILE_SETTLE_S is never kept: two writes within one
 * timestamp tick could leave size and times equal.  Any write, chmod,
 * chown, or a file renamed over it, changes ctime or the inode.
 *
 * Thread-safe: the slots are read and written only under keycache_lock; a
 * kept set's keys are never changed (no pending key, pj_keyset_select
 * writes nothing; a set with a key that cannot be built is never kept),
 * and each user holds a counted reference, so a set
 * replaced while in use is freed by its last user.  Fork-safe: the lock is
 * only tried (busy, or copied held by fork(), means reading the files as
 * if nothing were kept).  Secrets: a kept set's HMAC keys live in
 * sodium_malloc'd, read-only memory (key.c), wiped when its
 * last reference goes (pj_key_clear), and at unload or exit the
 * destructor below wipes what is still kept.  ThreadSanitizer: make
 * check-tsan (tests/tsan/keycache_threads.c). */
#include "keycache.h"
#include "err.h"
#include "key.h"

#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KEYCACHE_SLOTS 4

struct slot {
	char *path[PJ_KEYCACHE_SOURCES];
	struct pj_file_id id[PJ_KEYCACHE_SOURCES];
	struct pj_keyset ks;        /* shared; the cache's own reference */
	uint64_t used;          /* never wraps, on 32-bit too */
};

static struct slot keycache[KEYCACHE_SLOTS];
static uint64_t keycache_tick;
static pthread_mutex_t keycache_lock = PTHREAD_MUTEX_INITIALIZER;

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Under the lock. */
static int
slot_matches(const struct slot *s,
    const struct pj_keycache_src src[PJ_KEYCACHE_SOURCES], int peeked)
{
	size_t i;

	if (s->ks.shared == NULL)
		return 0;
	for (i = 0; i < PJ_KEYCACHE_SOURCES; i++) {
		if (!str_eq(s->path[i], src[i].path))
			return 0;
		if (src[i].path != NULL && !pj_file_id_equal(&s->id[i], &src[i].id))
			return 0;
		/* seen without opening: only files on a local file system,
		 * whose stat answers cannot come from a client's cache */
		if (src[i].path != NULL && peeked && !s->id[i].local)
			return 0;
	}
	return 1;
}

static void
slot_free(struct slot *s)
{
	size_t i;

	for (i = 0; i < PJ_KEYCACHE_SOURCES; i++)
		free(s->path[i]);
	pj_keyset_free(&s->ks);
	memset(s, 0, sizeof(*s));
}

int
pj_keycache_get(const struct pj_keycache_src src[PJ_KEYCACHE_SOURCES],
    int peeked, struct pj_keyset *ks)
{
	size_t i;
	int hit = 0;

	if (pthread_mutex_trylock(&keycache_lock) != 0)
		return 0;
	for (i = 0; i < KEYCACHE_SLOTS && !hit; i++)
		if (slot_matches(&keycache[i], src, peeked)) {
			keycache[i].used = ++keycache_tick;
			pj_keyset_view(&keycache[i].ks, ks);
			hit = 1;
		}
	(void)pthread_mutex_unlock(&keycache_lock);
	return hit;
}

void
pj_keycache_put(const struct pj_keycache_src src[PJ_KEYCACHE_SOURCES],
    const struct pj_keyset *ks)
{
	struct slot fresh, old;
	size_t i, victim = 0;

	memset(&fresh, 0, sizeof(fresh));
	memset(&old, 0, sizeof(old));
	if (ks->shared == NULL)
		return;
	for (i = 0; i < PJ_KEYCACHE_SOURCES; i++) {
		if (src[i].path == NULL)
			continue;
		if (!pj_file_id_settled(&src[i].id))
			goto out;
		if ((fresh.path[i] = strdup(src[i].path)) == NULL)
			goto out;
		fresh.id[i] = src[i].id;
	}
	if (pthread_mutex_trylock(&keycache_lock) != 0)
		goto out;
	for (i = 0; i < KEYCACHE_SLOTS; i++)
		if (slot_matches(&keycache[i], src, 0))
			break; /* another thread kept the same meanwhile */
	if (i == KEYCACHE_SLOTS) {
		for (i = 0; i < KEYCACHE_SLOTS; i++) {
			if (keycache[i].ks.shared == NULL) {
				victim = i;
				break;
			}
			if (keycache[i].used < keycache[victim].used)
				victim = i;
		}
		old = keycache[victim];  /* freed below, outside the lock */
		pj_keyset_view(ks, &fresh.ks);
		fresh.used = ++keycache_tick;
		keycache[victim] = fresh; /* transferred */
		memset(&fresh, 0, sizeof(fresh));
	}
	(void)pthread_mutex_unlock(&keycache_lock);
out:
	slot_free(&old);
	slot_free(&fresh);
}

void
pj_keycache_clear(void)
{
	struct slot gone[KEYCACHE_SLOTS];
	size_t i;

	if (pthread_mutex_lock(&keycache_lock) != 0)
		return;
	memcpy(gone, keycache, sizeof(gone));
	memset(keycache, 0, sizeof(keycache));
	(void)pthread_mutex_unlock(&keycache_lock);
	for (i = 0; i < KEYCACHE_SLOTS; i++)
		slot_free(&gone[i]);
}

/* At unload (the module is -z nodelete: at exit) or exit: wipe the kept
 * secrets.  Only wiped, not freed: nothing else needs freeing at exit, and
 * a library's own exit handler may have run already.  A thread still verifying with a wiped secret fails
 * (closed).  The lock is only tried: a thread killed holding it (exit from
 * another thread) must not hang the exit. */
__attribute__((destructor)) static void
keycache_fini(void)
{
	size_t i, j;
	struct pj_key *k;

	if (pthread_mutex_trylock(&keycache_lock) != 0)
		return;
	for (i = 0; i < KEYCACHE_SLOTS; i++)
		for (j = 0; j < keycache[i].ks.n; j++) {
			k = &keycache[i].ks.keys[j];
			if (k->secret != NULL && k->secret_guarded &&
			    sodium_mprotect_readwrite(k->secret) == 0)
				sodium_memzero(k->secret, k->secret_len);
			else if (k->secret != NULL && !k->secret_guarded)
				sodium_memzero(k->secret, k->secret_len);
		}
	(void)pthread_mutex_unlock(&keycache_lock);
}
