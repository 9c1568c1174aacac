/* hiredis_dl.c - open libhiredis when Redis is first used (see
 * hiredis_dl.h): the same lock-free, fork-safe publication as lib/hog.c. */
#define PJ_HIREDIS_NO_REDIRECT
#include "hiredis_dl.h"
#include "err.h"

#include <dlfcn.h>
#include <string.h>

struct pj_hiredis_table pj_hiredis;
int pj_hiredis_ready;

int
pj_hiredis_loaded(void)
{
	return __atomic_load_n(&pj_hiredis_ready, __ATOMIC_ACQUIRE);
}

int
pj_hiredis_load(char *reason, size_t rlen)
{
	struct pj_hiredis_table t;
	const char *missing = NULL;
	void *h = NULL;
	int r = PJ_E_STORE;

	if (pj_hiredis_loaded())
		return PJ_OK;
	memset(&t, 0, sizeof(t));
	/* The same search as a DT_NEEDED entry; never closed once published
	 * (the module itself is -z nodelete); RTLD_NODELETE makes the dlclose
	 * of a loader that lost the race a mere reference count. */
	h = dlopen(PJ_HIREDIS_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (h == NULL) {
		const char *e = dlerror();

		r = pj_reason(PJ_E_STORE, reason, rlen,
		    "cannot load %s, needed for a Redis store or revocation "
		    "source: %.200s", PJ_HIREDIS_SONAME, e ? e : "unknown error");
		goto out;
	}
	/* f names a member: it cannot be parenthesised */
#define PJ_HIREDIS_SYM(f) \
	if (missing == NULL && \
	    (t.f = (__typeof__(f) *)dlsym(h, #f)) == NULL) /* NOLINT(bugprone-macro-parentheses) */ \
		missing = #f;
	PJ_HIREDIS_FUNCS(PJ_HIREDIS_SYM)
#undef PJ_HIREDIS_SYM
	if (missing != NULL) {
		r = pj_reason(PJ_E_STORE, reason, rlen, "%s has no %s",
		    PJ_HIREDIS_SONAME, missing);
		goto out;
	}
	if (pj_hiredis_loaded()) { /* another thread was quicker */
		r = PJ_OK;
		goto out;
	}
#define PJ_HIREDIS_PUT(f) __atomic_store_n(&pj_hiredis.f, t.f, __ATOMIC_RELAXED); /* NOLINT(bugprone-macro-parentheses) */
	PJ_HIREDIS_FUNCS(PJ_HIREDIS_PUT)
#undef PJ_HIREDIS_PUT
	__atomic_store_n(&pj_hiredis_ready, 1, __ATOMIC_RELEASE);
	h = NULL; /* kept open */
	r = PJ_OK;
out:
	if (h != NULL)
		(void)dlclose(h);
	return r;
}
