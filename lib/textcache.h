/* textcache.h - the text of small public files (the configuration file,
 * the user map), kept in the process for as long as the file is provably
 * the same (lib/textcache.c).  pj_textcache_read reads through it. */
#ifndef PJ_TEXTCACHE_H
#define PJ_TEXTCACHE_H

#include "file.h"

#include <stddef.h>

/* The largest text kept (PJ_CONFIG_MAX; a larger user map is read at
 * every authentication). */
#define PJ_TEXTCACHE_MAX (64 * 1024)

/* 1 and *out a new copy of the text kept for path, read from the file whose
 * identity was id (every field equal: pj_file_id_equal) on a local file
 * system (its id.local when kept), *outlen its length; 0 otherwise (*out
 * NULL).  id is what pj_file_peek saw.  The copy is the caller's: free with
 * pj_file_free. */
int pj_textcache_get(const char *path, const struct pj_file_id *id,
    char **out, size_t *outlen);

/* Keep a copy of text, just read from path whose identity is id (id->local
 * from pj_file_fd_local on the file read), if the file is on a local file
 * system, has settled (pj_file_id_settled), len is its size and len <=
 * PJ_TEXTCACHE_MAX.  Best effort:
 * on any failure (no memory, the lock busy) nothing is kept. */
void pj_textcache_put(const char *path, const struct pj_file_id *id,
    const char *text, size_t len);

/* The text of path, as pj_file_open and pj_file_read_open give it (kind,
 * maxlen, err_code: the same checks, the same reasons), or a copy of the
 * text kept from an earlier read when the file, seen without opening it
 * (lstat, then pj_file_peek_stat), passes every check of a fresh read and
 * is the same file (pj_textcache_get).  A text just read is offered to
 * pj_textcache_put.  With may_be_absent, a path that does not exist
 * (ENOENT at lstat) is PJ_OK with *out NULL.  *out is the caller's: free
 * with pj_file_free.  lib/options.c (the configuration file) and lib/user.c
 * (the user map) read through it. */
int pj_textcache_read(const char *path, enum pj_file_kind kind, size_t maxlen,
    int err_code, int may_be_absent, char **out, size_t *outlen,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

/* Drop every kept text.  Tests. */
void pj_textcache_clear(void);

#endif
