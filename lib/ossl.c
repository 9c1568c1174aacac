/* ossl.c - open libcrypto when a key first needs it (see ossl.h).
 *
 * The table below is process-wide mutable state, a deliberate exception
 * to "no mutable static state" (README, Security design): thread-safe and
 * fork-safe without a lock.  Each loader
 * fills a table of its own, then publishes it member by member with atomic
 * stores and sets pj_ossl_ready last; racing loaders store the same
 * addresses.  Nothing is held between two calls, so a child forked while
 * another thread was loading loads again by itself instead of waiting for
 * a thread that does not exist in it (ossl.h says why in full). */
#define PJ_OSSL_NO_REDIRECT
#include "ossl.h"
#include "err.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Every member read and written with __atomic; complete once pj_ossl_ready
 * is 1. */
struct pj_ossl_table pj_ossl;
/* 1 once pj_ossl is full; read and written with __atomic.  Not static only
 * so that tests/fault/fault.c can return its warmed-up parent process to the
 * state of a host that has never opened it. */
int pj_ossl_ready;

int
pj_ossl_loaded(void)
{
	return __atomic_load_n(&pj_ossl_ready, __ATOMIC_ACQUIRE);
}

/* Empty this thread's error queue (the table is published). */
static void
clear_errors(void)
{
	__atomic_load_n(&pj_ossl.ERR_clear_error, __ATOMIC_RELAXED)();
}

int
pj_ossl_load(char *reason, size_t rlen)
{
	struct pj_ossl_table t;
	const char *missing = NULL;
	void *h = NULL;
	int r = PJ_E_KEY;

	if (pj_ossl_loaded()) {
		clear_errors();
		return PJ_OK;
	}
	memset(&t, 0, sizeof(t));
	/* The same search as a DT_NEEDED entry (no RUNPATH; LD_LIBRARY_PATH is
	 * ignored for setuid callers).  The handle of the loader that publishes
	 * is never closed: OpenSSL registers exit handlers, and the module
	 * itself is never unloaded (-z nodelete).  RTLD_NODELETE makes the
	 * dlclose of a loader that finds the table already published a mere
	 * reference count. */
	h = dlopen(PJ_OSSL_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (h == NULL) {
		const char *e = dlerror();

		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "cannot load %s, needed for RSA, EC and HS384 keys: %.200s",
		    PJ_OSSL_SONAME, e ? e : "unknown error");
		goto out;
	}
	/* f names a member: it cannot be parenthesised */
#define PJ_OSSL_SYM(f) \
	if (missing == NULL && \
	    (t.f = (__typeof__(f) *)dlsym(h, #f)) == NULL) /* NOLINT(bugprone-macro-parentheses) */ \
		missing = #f;
	PJ_OSSL_FUNCS(PJ_OSSL_SYM)
#undef PJ_OSSL_SYM
	if (missing != NULL) {
		r = pj_reason(PJ_E_KEY, reason, rlen, "%s has no %s",
		    PJ_OSSL_SONAME, missing);
		goto out;
	}
	if (pj_ossl_loaded()) { /* another thread was quicker */
		r = PJ_OK;
		goto out;
	}
	/* every member before the flag; a racing loader stores the same */
#define PJ_OSSL_PUT(f) __atomic_store_n(&pj_ossl.f, t.f, __ATOMIC_RELAXED); /* NOLINT(bugprone-macro-parentheses) */
	PJ_OSSL_FUNCS(PJ_OSSL_PUT)
#undef PJ_OSSL_PUT
	__atomic_store_n(&pj_ossl_ready, 1, __ATOMIC_RELEASE);
	h = NULL; /* kept open */
	clear_errors();
	r = PJ_OK;
out:
	if (h != NULL)
		(void)dlclose(h);
	return r;
}

/* A member, in this file that does not redirect the calls */
#define FN(f) (__atomic_load_n(&pj_ossl.f, __ATOMIC_RELAXED)) /* NOLINT(bugprone-macro-parentheses) */

int
pj_ossl_fail(int err, char *reason, size_t rlen, const char *call,
    const char *fmt, ...)
{
	char doing[128], detail[160];
	const char *words;
	unsigned long e, first = 0;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(doing, sizeof(doing), fmt, ap);
	va_end(ap);
	/* the first queued error is the cause, the later ones the callers that
	 * passed it on; an allocation failure anywhere makes it out of memory */
	while (pj_ossl_loaded() && (e = FN(ERR_get_error)()) != 0) {
		if (first == 0)
			first = e;
		if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
			err = PJ_E_NOMEM;
	}
	words = first != 0 ? FN(ERR_reason_error_string)(first) : NULL;
	if (first == 0)
		(void)snprintf(detail, sizeof(detail), " (no error queued)");
	else if (words == NULL)
		(void)snprintf(detail, sizeof(detail), ": error %#lx", first);
	else
		(void)snprintf(detail, sizeof(detail), ": %.120s", words);
	return pj_reason(err, reason, rlen, "libcrypto: %s failed %s%s", call,
	    doing, detail);
}
