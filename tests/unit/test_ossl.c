/* test_ossl.c - libcrypto is opened only when a key needs it (lib/ossl.c):
 * never for HMAC-SHA-256/512 or Ed25519 keys, once for RSA, EC and HS384,
 * with a clear reason when it cannot be opened, again at the next try, and
 * once when many threads ask at the same moment.
 *
 * Linked with -Wl,--wrap=dlopen: the wrapper counts the calls and can fail
 * them.  The tests run in order and share the process state. */
#include "unit.h"

#include "lib/alg.h"
#include "lib/jwk.h"
#define PJ_OSSL_NO_REDIRECT
#include "lib/ossl.h"
#include "lib/sig.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void *__real_dlopen(const char *, int);
void *__wrap_dlopen(const char *file, int mode);

static int dlopen_calls;   /* __atomic */
static int dlopen_fail;

void *
__wrap_dlopen(const char *file, int mode)
{
	__atomic_add_fetch(&dlopen_calls, 1, __ATOMIC_SEQ_CST);
	if (dlopen_fail)
		return NULL;
	return __real_dlopen(file, mode);
}

static const unsigned char secret[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";

/* back to the state of a process that has never opened it */
static void
forget(void)
{
	memset(&pj_ossl, 0, sizeof(pj_ossl));
	__atomic_store_n(&pj_ossl_ready, 0, __ATOMIC_RELEASE);
	dlopen_calls = 0;
}


static void
sodium_keys_do_not_open_it(void **state)
{
	unsigned char mac[PJ_HMAC_MAX];
	size_t maclen = 0;
	struct pj_key k;
	char reason[256] = "";

	(void)state;
	forget();
	assert_err(fx_pem_key("ed25519.pub.pem", &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.type, PJ_KEY_ED25519);
	pj_key_clear(&k);
	memset(&k, 0, sizeof(k));
	assert_err(pj_key_from_secret(secret, 64, &k, reason, sizeof(reason)),
	    PJ_OK);
	pj_key_clear(&k);
	assert_err(pj_hmac(PJ_ALG_HS256, secret, 64, secret, 10, mac, &maclen),
	    PJ_OK);
	assert_err(pj_hmac(PJ_ALG_HS512, secret, 64, secret, 10, mac, &maclen),
	    PJ_OK);
	assert_int_equal(dlopen_calls, 0);
	assert_int_equal(pj_ossl_loaded(), 0);
	/* HS384 does (libsodium has no SHA-384) */
	assert_err(pj_hmac(PJ_ALG_HS384, secret, 64, secret, 10, mac, &maclen),
	    PJ_OK);
	assert_int_equal(maclen, 48);
	assert_int_equal(dlopen_calls, 1);
	assert_int_equal(pj_ossl_loaded(), 1);
}

static void
cannot_open_then_can(void **state)
{
	unsigned char mac[PJ_HMAC_MAX];
	size_t maclen = 0, i, len = 0;
	struct pj_key k;
	struct pj_keyset ks = { 0 };
	const struct pj_key *sel = NULL;
	char reason[256] = "", *text;
	const char *rsa = NULL, *ed = NULL;

	(void)state;
	forget();
	dlopen_fail = 1;
	/* RSA and EC keys: unusable, and the reason says why */
	assert_err(fx_pem_key("rsa2048.pub.pem", &k, reason, sizeof(reason)),
	    PJ_E_KEY);
	assert_non_null(strstr(reason, "cannot load libcrypto.so.3"));
	pj_key_clear(&k);
	reason[0] = '\0';
	assert_err(fx_pem_key("ec256.pub.pem", &k, reason, sizeof(reason)),
	    PJ_E_KEY);
	assert_non_null(strstr(reason, "cannot load libcrypto.so.3"));
	pj_key_clear(&k);
	/* HS384 fails as "no key material", not as a bad signature */
	assert_err(pj_hmac(PJ_ALG_HS384, secret, 64, secret, 10, mac, &maclen),
	    PJ_E_KEY);
	memset(&k, 0, sizeof(k));
	assert_err(pj_key_from_secret(secret, 64, &k, reason, sizeof(reason)),
	    PJ_OK);
	assert_err(pj_keyset_add(&ks, &k), PJ_OK);
	reason[0] = '\0';
	assert_err(pj_keyset_select(&ks, PJ_ALG_HS384, NULL, &sel, reason,
	    sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "cannot load libcrypto.so.3"));
	assert_err(pj_keyset_select(&ks, PJ_ALG_HS256, NULL, &sel, reason,
	    sizeof(reason)), PJ_OK);
	pj_keyset_free(&ks);
	/* a JWK Set is read without it (ROCA is plain arithmetic); choosing an
	 * RSA or EC key says what is missing, and leaves the key usable for
	 * the next try; Ed25519 keys verify meanwhile */
	pj_jwks_cache_clear();
	i = (size_t)dlopen_calls;
	text = fx_slurp("jwks.json", &len);
	assert_err(pj_jwks_parse(text, len, &ks, reason, sizeof(reason)), PJ_OK);
	free(text);
	assert_int_equal((size_t)dlopen_calls, i);
	reason[0] = '\0';
	assert_err(pj_keyset_select(&ks, PJ_ALG_RS256, "rsa1", &sel, reason,
	    sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "cannot load libcrypto.so.3"));
	reason[0] = '\0';
	assert_err(pj_keyset_select(&ks, PJ_ALG_ES256, "ec256", &sel, reason,
	    sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "cannot load libcrypto.so.3"));
	assert_err(pj_keyset_select(&ks, PJ_ALG_EDDSA, "ed1", &sel, reason,
	    sizeof(reason)), PJ_OK);
	for (i = 0; i < ks.n; i++) {
		if (strcmp(ks.keys[i].kid, "rsa1") == 0 &&
		    (ks.keys[i].algs & PJ_ALG_RS256))
			rsa = "still usable";
		if (strcmp(ks.keys[i].kid, "ed1") == 0 &&
		    ks.keys[i].algs == PJ_ALG_EDDSA)
			ed = "usable";
	}
	assert_non_null(rsa);
	assert_non_null(ed);
	assert_int_equal(pj_ossl_loaded(), 0);
	/* the next try, with libcrypto there, builds it */
	dlopen_fail = 0;
	assert_err(pj_keyset_select(&ks, PJ_ALG_RS256, "rsa1", &sel, reason,
	    sizeof(reason)), PJ_OK);
	assert_non_null(sel->pkey);
	pj_keyset_free(&ks);
	forget();
	dlopen_fail = 1;
	/* a failure is not remembered: the next key opens it */
	dlopen_fail = 0;
	reason[0] = '\0';
	i = (size_t)dlopen_calls;
	assert_err(fx_pem_key("rsa2048.pub.pem", &k, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(k.type, PJ_KEY_RSA);
	pj_key_clear(&k);
	assert_int_equal(pj_ossl_loaded(), 1);
	assert_int_equal((size_t)dlopen_calls, i + 1);
	/* and keeps it */
	assert_err(fx_pem_key("ec256.pub.pem", &k, reason, sizeof(reason)), PJ_OK);
	pj_key_clear(&k);
	assert_int_equal((size_t)dlopen_calls, i + 1);
}

#define THREADS 16
static pthread_barrier_t barrier;

static void *
load_thread(void *arg)
{
	char reason[128] = "";

	(void)pthread_barrier_wait(&barrier);
	*(int *)arg = pj_ossl_load(reason, sizeof(reason));
	return NULL;
}

static void
threads_open_it_once(void **state)
{
	pthread_t t[THREADS];
	int res[THREADS], i;

	(void)state;
	forget();
	assert_int_equal(pthread_barrier_init(&barrier, NULL, THREADS), 0);
	for (i = 0; i < THREADS; i++) {
		res[i] = -1;
		assert_int_equal(pthread_create(&t[i], NULL, load_thread, &res[i]),
		    0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_err(res[i], PJ_OK);
	}
	(void)pthread_barrier_destroy(&barrier);
	assert_int_equal(dlopen_calls, 1);
	assert_int_equal(pj_ossl_loaded(), 1);
	assert_non_null(pj_ossl.EVP_DigestVerify);
	assert_ptr_equal(pj_ossl.EVP_DigestVerify, &EVP_DigestVerify);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sodium_keys_do_not_open_it),
		cmocka_unit_test(cannot_open_then_can),
		cmocka_unit_test(threads_open_it_once),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
