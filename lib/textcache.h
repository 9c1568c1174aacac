/* textcache.h - configuration files' text, kept in the process for as long
 * as the file is provably the same (lib/textcache.c).  lib/options.c asks
 * it before it reads the configuration file, and fills it after. */
#ifndef PJ_TEXTCACHE_H
#define PJ_TEXTCACHE_H

#include "file.h"

#include <stddef.h>

/* The largest text kept (PJ_CONFIG_MAX, the largest file read). */
#define PJ_TEXTCACHE_MAX (64 * 1024)

/* 1 and *out a new copy of the text kept for path, read from the file whose
 * identity was id (every field equal: pj_file_id_equal) on a local file
 * system (its id.local when kept), *outlen its length; 0 otherwise (*out
 * NULL).  id is what pj_file_peek saw.  The copy is the caller's: free with
 * pj_file_free. */
int pj_textcache_get(const char *path, const struct pj_file_id *id,
    char **out, size_t *outlen);

/* Keep a copy of text, just read from path whose identity is id (id->local
 * from pj_file_fd_local on the file read), if the file has settled (pj_file_id_settled) and len <= PJ_TEXTCACHE_MAX.  Best effort:
 * on any failure (no memory, the lock busy) nothing is kept. */
void pj_textcache_put(const char *path, const struct pj_file_id *id,
    const char *text, size_t len);

/* Drop every kept text.  Tests. */
void pj_textcache_clear(void);

#endif
