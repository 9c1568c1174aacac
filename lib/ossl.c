/* ossl.c - open libcrypto when a key first needs it (see ossl.h) */
#define PJ_OSSL_NO_REDIRECT
#include "ossl.h"
#include "err.h"

#include <dlfcn.h>
#include <pthread.h>

struct pj_ossl_table pj_ossl;

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
/* 1 once pj_ossl is full; read and written with __atomic.  Not static only
 * so that tests/fault/fault.c can return its warmed-up parent process to the
 * state of a host that has never opened it. */
int pj_ossl_ready;

int
pj_ossl_loaded(void)
{
	return __atomic_load_n(&pj_ossl_ready, __ATOMIC_ACQUIRE);
}

int
pj_ossl_load(char *reason, size_t rlen)
{
	struct pj_ossl_table t = { 0 };
	const char *missing = NULL;
	void *h;
	int r = PJ_OK;

	if (pj_ossl_loaded())
		return PJ_OK;
	if (pthread_mutex_lock(&load_lock) != 0)
		return pj_reason(PJ_E_INTERNAL, reason, rlen, "cannot lock");
	if (pj_ossl_loaded())
		goto out;
	/* The same search as a DT_NEEDED entry (no RUNPATH; LD_LIBRARY_PATH is
	 * ignored for setuid callers).  Never closed: OpenSSL registers exit
	 * handlers, and the module itself is never unloaded (-z nodelete). */
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
	pj_ossl = t;
	__atomic_store_n(&pj_ossl_ready, 1, __ATOMIC_RELEASE);
out:
	(void)pthread_mutex_unlock(&load_lock);
	return r;
}
