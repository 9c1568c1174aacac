/* keycache.h - the key sets read from files, kept in the process for as
 * long as every file they came from is provably the same (lib/keycache.c).
 * lib/keyset.c asks it before it reads and builds, and fills it after. */
#ifndef PJ_KEYCACHE_H
#define PJ_KEYCACHE_H

#include "file.h"

struct pj_keyset;

/* The key sources of one configuration, in the order pj_keyset_load reads
 * them (secret_file, public_key_file, jwks_file); path NULL when not
 * configured.  id: what pj_file_open (or pj_file_peek) found just now,
 * every check passed; for pj_keycache_put, id.local from pj_file_fd_local. */
#define PJ_KEYCACHE_SOURCES 3
struct pj_keycache_src {
	const char *path;
	struct pj_file_id id;
};

/* 1 and *ks (empty) a view of the kept set (pj_keyset_view) when one was
 * kept for exactly these paths and every file is unchanged; 0 otherwise
 * (ks untouched).  peeked: the identities come from pj_file_peek (the
 * files not opened), which counts only against files kept from a local
 * file system (pj_file_id.local). */
int pj_keycache_get(const struct pj_keycache_src src[PJ_KEYCACHE_SOURCES],
    int peeked, struct pj_keyset *ks);

/* Keep the set just read from these files, if every one has settled
 * (pj_file_id_settled).  ks must be shared already (pj_keyset_share) and
 * hold no pending key; it stays the caller's view.  Best effort: on any
 * failure (no memory, the lock busy) nothing is kept. */
void pj_keycache_put(const struct pj_keycache_src src[PJ_KEYCACHE_SOURCES],
    const struct pj_keyset *ks);

/* Drop every kept set (its keys go, wiped, with their last user).  Tests,
 * and the unload destructor's counterpart. */
void pj_keycache_clear(void);

#endif
