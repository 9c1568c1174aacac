/* hog.c - open libhogweed when a key first needs it (see hog.h: a
 * lock-free, fork-safe publication). */
#define PJ_HOG_NO_REDIRECT
#include "hog.h"
#include "err.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

struct pj_hog_table pj_hog;
int pj_hog_ready;

int
pj_hog_loaded(void)
{
	return __atomic_load_n(&pj_hog_ready, __ATOMIC_ACQUIRE);
}

int
pj_hog_load(char *reason, size_t rlen)
{
	struct pj_hog_table t;
	const char *missing = NULL;
	void *h = NULL;
	int r = PJ_E_KEY;

	if (pj_hog_loaded())
		return PJ_OK;
	memset(&t, 0, sizeof(t));
	/* The same search as a DT_NEEDED entry; never closed once published
	 * (the module itself is -z nodelete); RTLD_NODELETE makes the dlclose
	 * of a loader that lost the race a mere reference count. */
	h = dlopen(PJ_HOG_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (h == NULL) {
		const char *e = dlerror();

		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "cannot load %s, needed for RSA, EC and HS384 keys: %.200s",
		    PJ_HOG_SONAME, e ? e : "unknown error");
		goto out;
	}
	/* f names a member: it cannot be parenthesised */
#define PJ_HOG_SYM(f) \
	if (missing == NULL && \
	    (t.f = (__typeof__(f) *)dlsym(h, #f)) == NULL) /* NOLINT(bugprone-macro-parentheses) */ \
		missing = #f;
	PJ_HOG_FUNCS(PJ_HOG_SYM)
#undef PJ_HOG_SYM
	if (missing != NULL) {
		r = pj_reason(PJ_E_KEY, reason, rlen, "%s has no %s",
		    PJ_HOG_SONAME, missing);
		goto out;
	}
	if (pj_hog_loaded()) { /* another thread was quicker */
		r = PJ_OK;
		goto out;
	}
#define PJ_HOG_PUT(f) __atomic_store_n(&pj_hog.f, t.f, __ATOMIC_RELAXED); /* NOLINT(bugprone-macro-parentheses) */
	PJ_HOG_FUNCS(PJ_HOG_PUT)
#undef PJ_HOG_PUT
	__atomic_store_n(&pj_hog_ready, 1, __ATOMIC_RELEASE);
	h = NULL; /* kept open */
	r = PJ_OK;
out:
	if (h != NULL)
		(void)dlclose(h);
	return r;
}

/* A member, in this file that does not redirect the calls */
#define FN(f) (__atomic_load_n(&pj_hog.f, __ATOMIC_RELAXED)) /* NOLINT(bugprone-macro-parentheses) */

void
pj_hog_mpz(mpz_t z, const unsigned char *b, size_t len)
{
	FN(__gmpz_init)(z);
	FN(__gmpz_import)(z, len, 1, 1, 1, 0, b);
}

void
pj_hog_pubkey_free(struct pj_pubkey *p)
{
	if (p == NULL)
		return;
	if (p->is_ec)
		FN(nettle_ecc_point_clear)(&p->ec);
	else
		FN(nettle_rsa_public_key_clear)(&p->rsa);
	free(p);
}
