/* test_hog.c - libhogweed is opened only when a key needs it (lib/hog.c):
 * never for HMAC-SHA-256/512 or Ed25519 keys, once for RSA, EC and HS384,
 * with a clear reason when it cannot be opened, again at the next try; many
 * threads asking at the same moment all get the complete table; and a child
 * forked while another thread is in the middle of a load loads by itself
 * instead of hanging.
 *
 * Linked with -Wl,--wrap=dlopen: the wrapper counts the calls, can fail
 * them, and can hold the caller inside the load.  The tests run in order and
 * share the process state. */
#include "unit.h"

#include "lib/alg.h"
#include "lib/jwk.h"
#define PJ_HOG_NO_REDIRECT
#include "lib/hog.h"
#include "lib/sig.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

void *__real_dlopen(const char *, int);
void *__wrap_dlopen(const char *file, int mode);

static int dlopen_calls;   /* __atomic */
static int dlopen_fail;
static int dlopen_hold;    /* __atomic: callers wait inside while it is 1 */
static int dlopen_held;    /* __atomic: a caller is waiting inside */

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

void *
__wrap_dlopen(const char *file, int mode)
{
	__atomic_add_fetch(&dlopen_calls, 1, __ATOMIC_SEQ_CST);
	if (dlopen_fail)
		return NULL;
	while (__atomic_load_n(&dlopen_hold, __ATOMIC_SEQ_CST)) {
		__atomic_store_n(&dlopen_held, 1, __ATOMIC_SEQ_CST);
		nap_ms(1);
	}
	return __real_dlopen(file, mode);
}

/* Every member of the table is the real function: complete, not torn. */
static int
table_complete(void)
{
	int bad = 0;

	/* f names a member and a function: it cannot be parenthesised */
#define CHECK_MEMBER(f) \
	if (__atomic_load_n(&pj_hog.f, __ATOMIC_RELAXED) != &f) /* NOLINT(bugprone-macro-parentheses) */ \
		bad++;
	PJ_HOG_FUNCS(CHECK_MEMBER)
#undef CHECK_MEMBER
	return bad == 0;
}

static const unsigned char secret[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";

/* back to the state of a process that has never opened it */
static void
forget(void)
{
	memset(&pj_hog, 0, sizeof(pj_hog));
	__atomic_store_n(&pj_hog_ready, 0, __ATOMIC_RELEASE);
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
	assert_err(pj_hmac(PJ_ALG_HS256, secret, 64, secret, 10, mac, &maclen, NULL, 0),
	    PJ_OK);
	assert_err(pj_hmac(PJ_ALG_HS512, secret, 64, secret, 10, mac, &maclen, NULL, 0),
	    PJ_OK);
	assert_int_equal(dlopen_calls, 0);
	assert_int_equal(pj_hog_loaded(), 0);
	/* HS384 does (libsodium has no SHA-384) */
	assert_err(pj_hmac(PJ_ALG_HS384, secret, 64, secret, 10, mac, &maclen, NULL, 0),
	    PJ_OK);
	assert_int_equal(maclen, 48);
	assert_int_equal(dlopen_calls, 1);
	assert_int_equal(pj_hog_loaded(), 1);
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
	assert_non_null(strstr(reason, "cannot load libhogweed.so.6"));
	pj_key_clear(&k);
	reason[0] = '\0';
	assert_err(fx_pem_key("ec256.pub.pem", &k, reason, sizeof(reason)),
	    PJ_E_KEY);
	assert_non_null(strstr(reason, "cannot load libhogweed.so.6"));
	pj_key_clear(&k);
	/* HS384 fails as "no key material", not as a bad signature */
	assert_err(pj_hmac(PJ_ALG_HS384, secret, 64, secret, 10, mac, &maclen, NULL, 0),
	    PJ_E_KEY);
	memset(&k, 0, sizeof(k));
	assert_err(pj_key_from_secret(secret, 64, &k, reason, sizeof(reason)),
	    PJ_OK);
	assert_err(pj_keyset_add(&ks, &k), PJ_OK);
	reason[0] = '\0';
	assert_err(pj_keyset_select(&ks, PJ_ALG_HS384, NULL, &sel, reason,
	    sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "cannot load libhogweed.so.6"));
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
	assert_non_null(strstr(reason, "cannot load libhogweed.so.6"));
	reason[0] = '\0';
	assert_err(pj_keyset_select(&ks, PJ_ALG_ES256, "ec256", &sel, reason,
	    sizeof(reason)), PJ_E_KEY);
	assert_non_null(strstr(reason, "cannot load libhogweed.so.6"));
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
	assert_int_equal(pj_hog_loaded(), 0);
	/* the next try, with libhogweed there, builds it */
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
	assert_int_equal(pj_hog_loaded(), 1);
	assert_int_equal((size_t)dlopen_calls, i + 1);
	/* and keeps it */
	assert_err(fx_pem_key("ec256.pub.pem", &k, reason, sizeof(reason)), PJ_OK);
	pj_key_clear(&k);
	assert_int_equal((size_t)dlopen_calls, i + 1);
}

#define THREADS 16
static pthread_barrier_t barrier;

/* a thread's result: PJ_OK, and 1 if it saw the whole table right after */
struct load_res {
	int r, complete;
};

static void *
load_thread(void *arg)
{
	struct load_res *res = arg;
	char reason[128] = "";

	(void)pthread_barrier_wait(&barrier);
	res->r = pj_hog_load(reason, sizeof(reason));
	res->complete = table_complete();
	return NULL;
}

/* No lock: each thread that finds the table empty opens libhogweed and looks
 * its symbols up itself, so as many dlopen calls as threads raced (not one,
 * as under the mutex this replaced); what matters is that every thread,
 * the moment its load returns, sees the complete table. */
static void
threads_all_see_the_table(void **state)
{
	pthread_t t[THREADS];
	struct load_res res[THREADS];
	int i;

	(void)state;
	forget();
	assert_int_equal(pthread_barrier_init(&barrier, NULL, THREADS), 0);
	for (i = 0; i < THREADS; i++) {
		res[i].r = -1;
		res[i].complete = 0;
		assert_int_equal(pthread_create(&t[i], NULL, load_thread, &res[i]),
		    0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_err(res[i].r, PJ_OK);
		assert_true(res[i].complete);
	}
	(void)pthread_barrier_destroy(&barrier);
	assert_in_range(dlopen_calls, 1, THREADS);
	assert_int_equal(pj_hog_loaded(), 1);
	assert_true(table_complete());
	/* and once there, nobody opens it again */
	i = dlopen_calls;
	assert_err(pj_hog_load(NULL, 0), PJ_OK);
	assert_int_equal(dlopen_calls, i);
}

static void *
held_load_thread(void *arg)
{
	char reason[128] = "";

	*(int *)arg = pj_hog_load(reason, sizeof(reason));
	return NULL;
}

#define FORK_WAIT_MS 5000

/* A child forked while another thread is inside the load (here: held in
 * dlopen) must load by itself within a bounded time.  Under a mutex around
 * the load it waited forever for a thread that does not exist in it: sshd
 * or a threaded PAM host forking at that moment got a child that hung at its
 * first RSA/EC login. */
static void
fork_during_a_load(void **state)
{
	pthread_t t;
	pid_t pid, w = 0;
	int res = -1, status = 0, waited;

	(void)state;
	forget();
	__atomic_store_n(&dlopen_held, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dlopen_hold, 1, __ATOMIC_SEQ_CST);
	assert_int_equal(pthread_create(&t, NULL, held_load_thread, &res), 0);
	for (waited = 0; !__atomic_load_n(&dlopen_held, __ATOMIC_SEQ_CST) &&
	    waited < FORK_WAIT_MS; waited++)
		nap_ms(1);
	assert_true(__atomic_load_n(&dlopen_held, __ATOMIC_SEQ_CST));
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char reason[256] = "";
		int r;

		/* the holding thread is not in this process */
		__atomic_store_n(&dlopen_hold, 0, __ATOMIC_SEQ_CST);
		(void)alarm(FORK_WAIT_MS / 1000 * 2); /* backstop: the parent waits */
		r = pj_hog_load(reason, sizeof(reason));
		_exit(r == PJ_OK && pj_hog_loaded() && table_complete() ? 0 : 1);
	}
	for (waited = 0; waited < FORK_WAIT_MS; waited += 5) {
		w = waitpid(pid, &status, WNOHANG);
		if (w != 0)
			break;
		nap_ms(5);
	}
	if (w == 0) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &status, 0);
	}
	/* let the parent's loader go, whatever happened */
	__atomic_store_n(&dlopen_hold, 0, __ATOMIC_SEQ_CST);
	assert_int_equal(pthread_join(t, NULL), 0);
	if (w == 0)
		fail_msg("the child forked during a load hung in pj_hog_load "
		    "(killed after %d ms)", FORK_WAIT_MS);
	assert_int_equal(w, pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_err(res, PJ_OK);
	assert_int_equal(pj_hog_loaded(), 1);
	assert_true(table_complete());
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sodium_keys_do_not_open_it),
		cmocka_unit_test(cannot_open_then_can),
		cmocka_unit_test(threads_all_see_the_table),
		cmocka_unit_test(fork_during_a_load),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
