/* hdrcache.h - JWS headers already parsed, by their exact bytes
 * (lib/hdrcache.c).  lib/jws.c asks it before it decodes and parses a
 * header, and fills it after a header passed every check. */
#ifndef PJ_HDRCACHE_H
#define PJ_HDRCACHE_H

#include <stddef.h>

struct pj_jws;

/* Header segments longer than this (base64url characters) are never kept:
 * the headers of real issuers are well under it. */
#define PJ_HDRCACHE_SEG_MAX 512

/* 1 when the header segment seg[0..len) was kept: out->parsed is set,
 * out->alg, kid and typ are what the checks of its first parse found (kid
 * and typ copied into out->kept, freed by pj_jws_clear) and out->header is
 * NULL; 0 otherwise (out untouched). */
int pj_hdrcache_get(const char *seg, size_t len, struct pj_jws *out);

/* Keep the parse in out of exactly the bytes seg[0..len), which passed
 * every header check.  Best effort: nothing kept on no memory, a busy
 * lock, or a segment longer than PJ_HDRCACHE_SEG_MAX. */
void pj_hdrcache_put(const char *seg, size_t len, const struct pj_jws *parsed);

/* Drop every kept header.  Tests only: it waits for the lock (get and put
 * only try it), so never call it in a child after fork(). */
void pj_hdrcache_clear(void);

#endif
