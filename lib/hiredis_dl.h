/* hiredis_dl.h - Debian's hiredis (libhiredis.so.0.14), loaded the first
 * time a Redis replay_cache or revocation source is used (lib/redis.c).
 *
 * Why dlopen and not a DT_NEEDED entry: only a configuration with
 * replay_cache = redis://... (or redis+unix://) talks to Redis, yet every
 * sshd, sudo or login process that loads pam_jwt.so would otherwise pay for
 * mapping and relocating libhiredis (issue 14: the fresh-process cost).
 *
 * The same lock-free table as lib/hog.h, for the same reasons (thread-safe
 * and fork-safe without a lock; a failed load is tried again at the next
 * call): each loader fills a table of its own, publishes it member by member
 * with atomic stores and sets pj_hiredis_ready last (release).  lib/redis.c
 * includes this header last; the macros at the end send each hiredis call
 * through the table.  pam_jwt.so is linked with --no-undefined and without
 * -lhiredis, so a call that bypasses the table does not link.  hiredis's
 * own header still gives the types (redisContext, redisReply) and the
 * REDIS_* constants: the soname names the ABI they describe. */
#ifndef PJ_HIREDIS_DL_H
#define PJ_HIREDIS_DL_H

#include <stddef.h>
#include <hiredis/hiredis.h>

#define PJ_HIREDIS_SONAME "libhiredis.so.0.14"

/* The soname and the header must describe one ABI: hiredis 1.x changed
 * redisContext and redisReply, and its library has another soname.  A
 * build against other headers stops here instead of reading 0.14's
 * structures with another layout. */
#if !defined(HIREDIS_MAJOR) || HIREDIS_MAJOR != 0 || HIREDIS_MINOR != 14
/* (cppcheck reads no system header: it has no HIREDIS_* to compare) */
/* cppcheck-suppress preprocessorErrorDirective */
#error "PJ_HIREDIS_SONAME names hiredis 0.14's ABI: build with libhiredis-dev 0.14"
#endif

/* Every hiredis function that lib/ calls (unversioned symbols). */
#define PJ_HIREDIS_FUNCS(X) \
	X(redisConnectWithTimeout) X(redisConnectUnixWithTimeout) \
	X(redisFree) X(redisSetTimeout) X(redisAppendCommandArgv) \
	X(redisBufferWrite) X(redisBufferRead) X(redisGetReplyFromReader) \
	X(redisFormatCommandArgv) X(redisFreeCommand) X(freeReplyObject)

struct pj_hiredis_table {
/* f names a member here: it cannot be parenthesised */
#define PJ_HIREDIS_MEMBER(f) __typeof__(f) *f; /* NOLINT(bugprone-macro-parentheses) */
	PJ_HIREDIS_FUNCS(PJ_HIREDIS_MEMBER)
#undef PJ_HIREDIS_MEMBER
};

/* Members are read and written only with __atomic builtins.  Not static
 * only so that tests can swap a member for a stub, or return the table to
 * the state of a process that has never opened it (zero both). */
extern struct pj_hiredis_table pj_hiredis;
extern int pj_hiredis_ready; /* use pj_hiredis_loaded() */

/* Open libhiredis and fill the table, once per process (a failure is tried
 * again at the next call); no lock.  PJ_OK, or PJ_E_STORE with the reason:
 * without it no Redis store or revocation source can be used, and the
 * caller fails closed. */
int pj_hiredis_load(char *reason, size_t rlen) __attribute__((warn_unused_result));

/* 1 once the table is filled. */
int pj_hiredis_loaded(void);

#ifndef PJ_HIREDIS_NO_REDIRECT
/* f names a member: it cannot be parenthesised */
#define PJ_HIREDIS_CALL(f) (__atomic_load_n(&pj_hiredis.f, __ATOMIC_RELAXED)) /* NOLINT(bugprone-macro-parentheses) */
#define redisConnectWithTimeout PJ_HIREDIS_CALL(redisConnectWithTimeout)
#define redisConnectUnixWithTimeout PJ_HIREDIS_CALL(redisConnectUnixWithTimeout)
#define redisFree PJ_HIREDIS_CALL(redisFree)
#define redisSetTimeout PJ_HIREDIS_CALL(redisSetTimeout)
#define redisAppendCommandArgv PJ_HIREDIS_CALL(redisAppendCommandArgv)
#define redisBufferWrite PJ_HIREDIS_CALL(redisBufferWrite)
#define redisBufferRead PJ_HIREDIS_CALL(redisBufferRead)
#define redisGetReplyFromReader PJ_HIREDIS_CALL(redisGetReplyFromReader)
#define redisFormatCommandArgv PJ_HIREDIS_CALL(redisFormatCommandArgv)
#define redisFreeCommand PJ_HIREDIS_CALL(redisFreeCommand)
#define freeReplyObject PJ_HIREDIS_CALL(freeReplyObject)
#endif

#endif
