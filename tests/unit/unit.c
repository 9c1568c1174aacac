/* unit.c - shared helpers for the cmocka unit tests (see unit.h) */
#include "unit.h"

#include "lib/file.h"
#include "lib/jwk.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct fx_entry {
	char *name;
	char *value;
};

static char *fx_dir;
static struct fx_entry *fx_v;
static size_t fx_n;
static long long fx_clock;

/* tests/unit/run.sh passes make's ONLY on as a cmocka test-name pattern in
 * PJ_UNIT_FILTER.  Applied before main (unit.c is linked into every unit
 * program, also those that read no fixtures). */
static void __attribute__((constructor))
unit_filter(void)
{
	const char *only = getenv("PJ_UNIT_FILTER");

	if (only != NULL && only[0] != '\0')
		cmocka_set_test_filter(only);
}

void
fx_init(int argc, char **argv)
{
	FILE *f;
	char *line = NULL, *sp;
	size_t cap = 0;
	ssize_t n;
	char mpath[4096];

	if (argc < 2) {
		fprintf(stderr, "usage: %s FIXTURE_DIR (from tests/unit/fixtures.py)\n",
		    argv[0]);
		exit(2);
	}
	fx_dir = argv[1];
	snprintf(mpath, sizeof(mpath), "%s/manifest.txt", fx_dir);
	f = fopen(mpath, "r");
	if (f == NULL) {
		fprintf(stderr, "%s: %s: %s\n", argv[0], mpath, strerror(errno));
		exit(2);
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		sp = strchr(line, ' ');
		if (sp == NULL)
			continue;
		*sp = '\0';
		if (strcmp(line, "now") == 0) {
			fx_clock = strtoll(sp + 1, NULL, 10);
			continue;
		}
		fx_v = realloc(fx_v, (fx_n + 1) * sizeof(*fx_v));
		if (fx_v == NULL)
			abort();
		fx_v[fx_n].name = strdup(line);
		fx_v[fx_n].value = strdup(sp + 1);
		fx_n++;
	}
	free(line);
	fclose(f);
	if (fx_clock == 0 || fx_n == 0) {
		fprintf(stderr, "%s: %s is incomplete\n", argv[0], mpath);
		exit(2);
	}
}

/* Freed at exit so valgrind's leak check stays quiet about fixtures. */
static void __attribute__((destructor))
fx_fini(void)
{
	size_t i;

	for (i = 0; i < fx_n; i++) {
		free(fx_v[i].name);
		free(fx_v[i].value);
	}
	free(fx_v);
	fx_v = NULL;
	fx_n = 0;
}

long long
fx_now(void)
{
	return fx_clock;
}

const char *
fx_tok(const char *name)
{
	size_t i;

	for (i = 0; i < fx_n; i++)
		if (strcmp(fx_v[i].name, name) == 0)
			return fx_v[i].value;
	fail_msg("fixture token '%s' missing from the manifest", name);
	return NULL;
}

const char *
fx_path(const char *name)
{
	static char buf[8][4096];
	static unsigned int next;
	char *p = buf[next++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", fx_dir, name);
	return p;
}

const char *
tpath(const char *dir, const char *name)
{
	static char buf[8][4096];
	static unsigned int next;
	char *p = buf[next++ % 8];

	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

char *
fx_slurp(const char *name, size_t *len)
{
	FILE *f = fopen(fx_path(name), "rb");
	char *buf;
	long sz;

	if (f == NULL)
		fail_msg("cannot open fixture %s: %s", name, strerror(errno));
	fseek(f, 0, SEEK_END);
	sz = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)sz + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
	buf[sz] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)sz;
	return buf;
}

void
fx_add_secret(struct pj_keyset *ks)
{
	struct pj_key k;
	char reason[256] = "";
	size_t len;
	char *s = fx_slurp("hs.secret.raw", &len);
	int r;

	memset(&k, 0, sizeof(k));
	r = pj_key_from_secret((unsigned char *)s, len, &k, reason, sizeof(reason));
	free(s);
	if (r != PJ_OK)
		fail_msg("secret: %s (%s)", pj_strerror(r), reason);
	assert_int_equal(pj_keyset_add(ks, &k), PJ_OK);
}

int
fx_pem_key(const char *name, struct pj_key *k, char *reason, size_t rlen)
{
	size_t len;
	char *s = fx_slurp(name, &len);
	int r;

	memset(k, 0, sizeof(*k));
	r = pj_key_from_pem(s, len, k, reason, rlen);
	free(s);
	return r;
}

void
fx_add_pem(struct pj_keyset *ks, const char *name)
{
	struct pj_key k;
	char reason[256] = "";
	int r = fx_pem_key(name, &k, reason, sizeof(reason));

	if (r != PJ_OK)
		fail_msg("%s: %s (%s)", name, pj_strerror(r), reason);
	assert_int_equal(pj_keyset_add(ks, &k), PJ_OK);
}

void
fx_add_jwk(struct pj_keyset *ks, const char *name)
{
	struct pj_key k;
	char reason[256] = "";
	json_error_t jerr;
	json_t *j = json_load_file(fx_path(name), 0, &jerr);
	int r;

	if (j == NULL)
		fail_msg("%s: %s", name, jerr.text);
	r = pj_jwk_to_key(j, 0, &k, reason, sizeof(reason));
	json_decref(j);
	if (r != PJ_OK)
		fail_msg("%s: %s (%s)", name, pj_strerror(r), reason);
	assert_int_not_equal(k.algs, 0);
	assert_int_equal(pj_keyset_add(ks, &k), PJ_OK);
}

char *
tmpdir_new(void)
{
	const char *base = getenv("TMPDIR");
	char *t;

	if (base == NULL || base[0] != '/')
		base = "/tmp";
	if (asprintf(&t, "%s/pj-unit-XXXXXX", base) < 0)
		abort();
	if (mkdtemp(t) == NULL)
		fail_msg("mkdtemp %s: %s", t, strerror(errno));
	return t;
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(p);
	return unlink(p);
}

void
tmpdir_rm(char *dir)
{
	if (dir == NULL)
		return;
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

void
write_file(const char *path, const void *data, size_t len, mode_t mode,
    uid_t uid, gid_t gid)
{
	int fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		fail_msg("create %s: %s", path, strerror(errno));
	if (len > 0)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchown(fd, uid, gid), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

void
assert_err_(int got, int want, const char *expr, const char *file, int line)
{
	if (got != want) {
		print_error("%s:%d: %s is %d (%s), expected %d (%s)\n", file, line,
		    expr, got, pj_strerror(got), want, pj_strerror(want));
		_fail(file, line);
	}
}

void
assert_class_(int got, enum pj_class cls, const char *expr, const char *file,
    int line)
{
	if (pj_err_class(got) != cls) {
		print_error("%s:%d: %s is %d (%s) of class %d, expected class %d\n",
		    file, line, expr, got, pj_strerror(got), (int)pj_err_class(got),
		    (int)cls);
		_fail(file, line);
	}
}

void
age_and_settle(const char *path)
{
	struct timespec ts[2], nap = { PJ_FILE_SETTLE_S, 200 * 1000 * 1000 };

	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts[0]), 0);
	ts[0].tv_sec -= 60;
	ts[1] = ts[0];
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	(void)nanosleep(&nap, NULL); /* ctime is the kernel's */
}

int
on_local_fs(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), local;

	assert_true(fd >= 0);
	local = pj_file_fd_local(fd);
	(void)close(fd);
	return local;
}
