/* unit.h - shared helpers for the cmocka unit tests of lib/.
 *
 * Every test program is run as   test_NAME FIXTURE_DIR
 * where FIXTURE_DIR was written by tests/unit/fixtures.py (keys, tokens made
 * by PyJWT, passwd/group for nss_wrapper).  The tests never sign anything:
 * signed input comes from that independent implementation.
 */
#ifndef PJ_UNIT_H
#define PJ_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include "lib/err.h"
#include "lib/key.h"

/* Read the manifest of FIXTURE_DIR (argv[1]); exits 2 when missing.
 * (Every program linked with unit.c runs only the cmocka tests whose names
 * match PJ_UNIT_FILTER, * and ?, when it is set: make's ONLY, through
 * tests/unit/run.sh.) */
void fx_init(int argc, char **argv);
/* The fixed clock the fixture tokens were made for. */
long long fx_now(void);
/* A token from the manifest; fails the running test if there is none. */
const char *fx_tok(const char *name);
/* FIXTURE_DIR/name in one of a few rotating static buffers. */
const char *fx_path(const char *name);
/* A fixture file's contents (NUL-terminated, caller frees). */
char *fx_slurp(const char *name, size_t *len);

/* A PEM public key fixture through pj_key_from_pem (*k zeroed first). */
int fx_pem_key(const char *name, struct pj_key *k, char *reason, size_t rlen);
/* Append a key built the way the module builds it; asserts success. */
void fx_add_secret(struct pj_keyset *ks);
void fx_add_pem(struct pj_keyset *ks, const char *name);
void fx_add_jwk(struct pj_keyset *ks, const char *name);

/* Temporary directories (mode 0700, under $TMPDIR or /tmp) and files. */
char *tmpdir_new(void);
void tmpdir_rm(char *dir);             /* recursive, frees dir */
/* dir/name into a static rotating buffer */
const char *tpath(const char *dir, const char *name);
void write_file(const char *path, const void *data, size_t len, mode_t mode,
    uid_t uid, gid_t gid);
#define write_str(p, s, mode) write_file((p), (s), strlen(s), (mode), 0, 0)
/* Set the file's times a minute back and wait until its ctime (the
 * kernel's) is PJ_FILE_SETTLE_S old: the caches keep it from now on. */
void age_and_settle(const char *path);
/* 1 if the file lives on a file system whose kept reads the caches use
 * (pj_file_fd_local); a test of them skips where it is not. */
int on_local_fs(const char *path);

/* Assert a result code with its words on failure. */
#define assert_err(got, want) \
	assert_err_((got), (want), #got, __FILE__, __LINE__)
void assert_err_(int got, int want, const char *expr, const char *file,
    int line);
/* Assert the error class (REJECT etc.). */
#define assert_class(got, cls) \
	assert_class_((got), (cls), #got, __FILE__, __LINE__)
void assert_class_(int got, enum pj_class cls, const char *expr,
    const char *file, int line);

#endif
