/* textcache.c - the text of small public files (the configuration file,
 * the user map), kept while the file is provably the same.
 *
 * A deliberate exception to "no mutable static state" (STYLE.md 5), as
 * lib/keycache.c, for the same reason: a long-lived host (sshd, a PAM
 * server) read and checked these files at every authentication (open,
 * fstat, read, close: four system calls, about 1 us each on a VM).
 * pj_textcache_read first sees the file without opening it (lstat and
 * pj_file_peek_stat: every check of a fresh read, and whether this process
 * may read it now) and asks the slots; only when the identity is equal (device, inode, size,
 * times to the nanosecond, owner, group, mode) is the kept text used, and
 * it is parsed as if just read.  A file whose newest time is younger than
 * PJ_FILE_SETTLE_S is never kept (file.h).  The text is not secret (a
 * configuration file is PJ_FILE_PUBLIC; secrets live in their own files),
 * but it is wiped when dropped all the same.
 *
 * Thread-safe: the slots are read and written only under textcache_lock,
 * and every caller gets its own copy.  Fork-safe: the lock is only tried
 * (busy, or copied held by fork(), means reading the file). */
#include "textcache.h"

#include "err.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEXTCACHE_SLOTS 4

struct slot {
	char *path;               /* NULL: empty */
	struct pj_file_id id;
	char *text;
	size_t len;
	uint64_t used;            /* never wraps, on 32-bit too */
};

static struct slot textcache[TEXTCACHE_SLOTS];
static uint64_t textcache_tick;
static pthread_mutex_t textcache_lock = PTHREAD_MUTEX_INITIALIZER;

static void
slot_free(struct slot *s)
{
	free(s->path);
	if (s->text != NULL) {
		sodium_memzero(s->text, s->len);
		free(s->text);
	}
	memset(s, 0, sizeof(*s));
}

int
pj_textcache_get(const char *path, const struct pj_file_id *id, char **out,
    size_t *outlen)
{
	char *copy = NULL;
	size_t i, len = 0;
	int hit = 0;

	*out = NULL;
	*outlen = 0;
	if (path == NULL || pthread_mutex_trylock(&textcache_lock) != 0)
		return 0;
	for (i = 0; i < TEXTCACHE_SLOTS && !hit; i++) {
		struct slot *s = &textcache[i];

		/* asked with what pj_file_peek saw: only a text read from a
		 * local file system counts (file.h, pj_file_id.local) */
		if (s->path == NULL || strcmp(s->path, path) != 0 ||
		    !pj_file_id_equal(&s->id, id) || !s->id.local)
			continue;
		copy = malloc(s->len + 1);
		if (copy != NULL) {
			memcpy(copy, s->text, s->len + 1);
			len = s->len;
			s->used = ++textcache_tick;
			hit = 1;
		}
		break;
	}
	(void)pthread_mutex_unlock(&textcache_lock);
	if (hit) {
		*out = copy; /* transferred */
		*outlen = len;
	}
	return hit;
}

void
pj_textcache_put(const char *path, const struct pj_file_id *id,
    const char *text, size_t len)
{
	struct slot fresh, old;
	size_t i, victim = 0;

	memset(&fresh, 0, sizeof(fresh));
	memset(&old, 0, sizeof(old));
	/* only what pj_textcache_get could serve: from a local file
	 * system, settled, and the whole of the file identity describes */
	if (path == NULL || text == NULL || len > PJ_TEXTCACHE_MAX ||
	    !id->local || (long long)len != id->size ||
	    !pj_file_id_settled(id))
		return;
	fresh.path = strdup(path);
	fresh.text = malloc(len + 1);
	if (fresh.path == NULL || fresh.text == NULL)
		goto out;
	memcpy(fresh.text, text, len);
	fresh.text[len] = '\0';
	fresh.len = len;
	fresh.id = *id;
	if (pthread_mutex_trylock(&textcache_lock) != 0)
		goto out;
	/* the path's own slot if it has one (an older version of the
	 * file), else an empty one, else the least recently used */
	for (i = 0; i < TEXTCACHE_SLOTS; i++)
		if (textcache[i].path != NULL &&
		    strcmp(textcache[i].path, path) == 0)
			break;
	if (i < TEXTCACHE_SLOTS) {
		victim = i;
	} else {
		for (i = 0; i < TEXTCACHE_SLOTS; i++) {
			if (textcache[i].path == NULL) {
				victim = i;
				break;
			}
			if (textcache[i].used < textcache[victim].used)
				victim = i;
		}
	}
	old = textcache[victim];  /* freed below, outside the lock */
	fresh.used = ++textcache_tick;
	textcache[victim] = fresh; /* transferred */
	memset(&fresh, 0, sizeof(fresh));
	(void)pthread_mutex_unlock(&textcache_lock);
out:
	slot_free(&old);
	slot_free(&fresh);
}

void
pj_textcache_clear(void)
{
	struct slot gone[TEXTCACHE_SLOTS];
	size_t i;

	if (pthread_mutex_lock(&textcache_lock) != 0)
		return;
	memcpy(gone, textcache, sizeof(gone));
	memset(textcache, 0, sizeof(textcache));
	(void)pthread_mutex_unlock(&textcache_lock);
	for (i = 0; i < TEXTCACHE_SLOTS; i++)
		slot_free(&gone[i]);
}

int
pj_textcache_read(const char *path, enum pj_file_kind kind, size_t maxlen,
    int err_code, int may_be_absent, char **out, size_t *outlen,
    char *reason, size_t rlen)
{
	struct pj_file_id id;
	struct stat st;
	int fd = -1, r;

	*out = NULL;
	*outlen = 0;
	if (lstat(path, &st) != 0) {
		if (may_be_absent && errno == ENOENT)
			return PJ_OK;
		/* anything else: the open below gives the reason */
	} else if (pj_file_peek_stat(path, &st, kind, maxlen, &id) == PJ_OK &&
	    pj_textcache_get(path, &id, out, outlen)) {
		return PJ_OK;
	}
	r = pj_file_open(path, kind, maxlen, err_code, &fd, &id, reason, rlen);
	if (r != PJ_OK)
		goto out;
	r = pj_file_read_open(fd, path, &id, err_code, out, outlen, reason,
	    rlen);
	if (r != PJ_OK)
		goto out;
	id.local = pj_file_fd_local(fd);
	pj_textcache_put(path, &id, *out, *outlen);
out:
	if (fd >= 0)
		(void)close(fd);
	return r;
}
