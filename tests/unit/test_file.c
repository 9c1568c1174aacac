/* test_file.c - pj_file_read: only a safe regular file is read, whole.
 * fstat is wrapped (tests/unit.mk) so that a test can make the file seem
 * to change size between fstat and read. */
#include "unit.h"

#include "lib/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct ctx {
	char *dir;
};

/* added to the size the next fstat reports, then reset */
static long long fstat_size_delta;

int __real_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st);

int
__wrap_fstat(int fd, struct stat *st)
{
	int r = __real_fstat(fd, st);

	if (r == 0 && fstat_size_delta != 0) {
		st->st_size += fstat_size_delta;
		fstat_size_delta = 0;
	}
	return r;
}

/* A file that is not, when read, the size fstat gave is refused, never
 * read in part: it shrank (a rewrite in place) or grew meanwhile. */
static void
changed_while_read(void **state)
{
	struct ctx *c = *state;
	const char *p = tpath(c->dir, "conf");
	char *out = NULL, reason[256] = "";
	size_t len = 0;

	write_str(p, "audience = sshd\n", 0644);
	fstat_size_delta = 5; /* fstat saw 5 more bytes than are there */
	assert_err(pj_file_read(p, PJ_FILE_PUBLIC, 4096, PJ_E_CONFIG, &out, &len,
	    NULL, reason, sizeof(reason)), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "changed size while reading"));
	assert_null(out);
	fstat_size_delta = -3; /* and 3 fewer */
	assert_err(pj_file_read(p, PJ_FILE_PUBLIC, 4096, PJ_E_CONFIG, &out, &len,
	    NULL, reason, sizeof(reason)), PJ_E_CONFIG);
	assert_non_null(strstr(reason, "changed size while reading"));
	assert_null(out);
	/* as it is: read whole */
	assert_err(pj_file_read(p, PJ_FILE_PUBLIC, 4096, PJ_E_CONFIG, &out, &len,
	    NULL, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(len, strlen("audience = sshd\n"));
	pj_file_free(out, len);
}

static int
setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	c->dir = tmpdir_new();
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	struct ctx *c = *state;

	tmpdir_rm(c->dir);
	free(c);
	return 0;
}

/* Read and expect err; the reason must mention want (if not NULL). */
static void
expect(const char *path, enum pj_file_kind kind, size_t maxlen, int err,
    const char *want)
{
	char reason[512] = "";
	char *buf = (char *)"sentinel";
	size_t len = 99;
	unsigned int mode = 0;
	int r;

	r = pj_file_read(path, kind, maxlen, err == PJ_OK ? PJ_E_KEY : err, &buf,
	    &len, &mode, reason, sizeof(reason));
	if (r != err)
		fail_msg("%s: got %d (%s: %s), expected %d", path, r, pj_strerror(r),
		    reason, err);
	if (err != PJ_OK) {
		assert_null(buf);
		assert_int_equal(len, 0);
		if (want != NULL && strstr(reason, want) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", path, reason, want);
	} else {
		assert_non_null(buf);
		pj_file_free(buf, len);
	}
}

static void
good_files(void **state)
{
	struct ctx *c = *state;
	const char *p = tpath(c->dir, "good");
	char reason[256] = "";
	char *buf = NULL;
	size_t len = 0;
	unsigned int mode = 0;

	write_str(p, "hello\nworld\n", 0644);
	assert_err(pj_file_read(p, PJ_FILE_PUBLIC, 100, PJ_E_CONFIG, &buf, &len,
	    &mode, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(len, 12);
	assert_string_equal(buf, "hello\nworld\n");
	assert_int_equal(mode, 0644);
	pj_file_free(buf, len);
	/* a public file may be read-only for everyone, or 0600 */
	write_str(p, "x", 0400);
	expect(p, PJ_FILE_PUBLIC, 10, PJ_OK, NULL);
	write_str(p, "x", 0600);
	expect(p, PJ_FILE_PUBLIC, 10, PJ_OK, NULL);
	/* a secret: 0600 or 0400, owned by root (we are root) */
	expect(p, PJ_FILE_SECRET, 10, PJ_OK, NULL);
	write_str(p, "x", 0400);
	expect(p, PJ_FILE_SECRET, 10, PJ_OK, NULL);
	/* empty file; exactly maxlen bytes; mode may be NULL */
	write_str(p, "", 0644);
	buf = NULL;
	assert_err(pj_file_read(p, PJ_FILE_PUBLIC, 0, PJ_E_CONFIG, &buf, &len,
	    NULL, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	pj_file_free(buf, len);
	write_str(p, "0123456789", 0644);
	expect(p, PJ_FILE_PUBLIC, 10, PJ_OK, NULL);
	/* NUL bytes are kept (the parsers decide); length is exact */
	write_file(p, "a\0b", 3, 0644, 0, 0);
	buf = NULL;
	assert_err(pj_file_read(p, PJ_FILE_PUBLIC, 10, PJ_E_CONFIG, &buf, &len,
	    NULL, reason, sizeof(reason)), PJ_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(buf, "a\0b", 4);
	pj_file_free(buf, len);
	pj_file_free(NULL, 0);
}

static void
symlinks_refused(void **state)
{
	struct ctx *c = *state;
	const char *target = tpath(c->dir, "target");
	const char *link = tpath(c->dir, "link");

	write_str(target, "data", 0644);
	assert_int_equal(symlink(target, link), 0);
	expect(link, PJ_FILE_PUBLIC, 100, PJ_E_CONFIG, "symbolic link");
	expect(link, PJ_FILE_SECRET, 100, PJ_E_KEY, "symbolic link");
	/* a dangling link too */
	unlink(target);
	expect(link, PJ_FILE_PUBLIC, 100, PJ_E_KEY, "symbolic link");
}

static void
owner_must_be_root_or_us(void **state)
{
	struct ctx *c = *state;
	const char *p = tpath(c->dir, "owned");

	assert_int_equal(geteuid(), 0);    /* the tests run as root */
	write_file(p, "data", 4, 0644, 1234, 0);
	expect(p, PJ_FILE_PUBLIC, 100, PJ_E_CONFIG, "owner uid 1234");
	write_file(p, "data", 4, 0600, 1234, 1234);
	expect(p, PJ_FILE_SECRET, 100, PJ_E_KEY, "owner");
	/* group ownership alone does not matter */
	write_file(p, "data", 4, 0644, 0, 1234);
	expect(p, PJ_FILE_PUBLIC, 100, PJ_OK, NULL);
}

static void
permissions(void **state)
{
	static const struct {
		mode_t mode;
		int pub_ok, sec_ok;
	} modes[] = {
		{ 0600, 1, 1 }, { 0400, 1, 1 }, { 0644, 1, 0 }, { 0640, 1, 0 },
		{ 0604, 1, 0 }, { 0660, 0, 0 }, { 0606, 0, 0 }, { 0620, 0, 0 },
		{ 0602, 0, 0 }, { 0666, 0, 0 }, { 0610, 1, 0 }, { 0601, 1, 0 },
		{ 0700, 1, 1 }, { 0755, 1, 0 }, { 0777, 0, 0 }, { 04600, 1, 1 },
		{ 0000, 1, 1 },
	};
	struct ctx *c = *state;
	const char *p = tpath(c->dir, "perm");
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		write_str(p, "data", modes[i].mode);
		expect(p, PJ_FILE_PUBLIC, 100,
		    modes[i].pub_ok ? PJ_OK : PJ_E_CONFIG, "unsafe permissions");
		expect(p, PJ_FILE_SECRET, 100, modes[i].sec_ok ? PJ_OK : PJ_E_KEY,
		    "unsafe permissions");
	}
}

static void
size_limit(void **state)
{
	struct ctx *c = *state;
	const char *p = tpath(c->dir, "big");

	write_str(p, "0123456789a", 0644);
	expect(p, PJ_FILE_PUBLIC, 10, PJ_E_CONFIG, "larger than 10 bytes");
	expect(p, PJ_FILE_PUBLIC, 11, PJ_OK, NULL);
	/* a sparse 2 GiB file is refused by its size, not read */
	{
		int fd = open(p, O_WRONLY | O_TRUNC);

		assert_true(fd >= 0);
		assert_int_equal(ftruncate(fd, 2147483648LL), 0);
		close(fd);
	}
	expect(p, PJ_FILE_PUBLIC, 1024 * 1024, PJ_E_KEY, "larger than");
}

static void
not_regular_files(void **state)
{
	struct ctx *c = *state;
	const char *fifo = tpath(c->dir, "fifo");
	const char *sub = tpath(c->dir, "subdir");

	assert_int_equal(mkfifo(fifo, 0600), 0);
	/* O_NONBLOCK: opening a FIFO without a writer must not hang */
	expect(fifo, PJ_FILE_PUBLIC, 100, PJ_E_CONFIG, "not a regular file");
	expect(fifo, PJ_FILE_SECRET, 100, PJ_E_KEY, "not a regular file");
	assert_int_equal(mkdir(sub, 0700), 0);
	expect(sub, PJ_FILE_PUBLIC, 100, PJ_E_CONFIG, "not a regular file");
	expect("/dev/null", PJ_FILE_PUBLIC, 100, PJ_E_KEY, "not a regular file");
	expect("/dev/zero", PJ_FILE_SECRET, 100, PJ_E_KEY, "not a regular file");
}

static void
bad_paths(void **state)
{
	struct ctx *c = *state;

	expect("relative/file", PJ_FILE_PUBLIC, 100, PJ_E_CONFIG, "absolute");
	expect("", PJ_FILE_PUBLIC, 100, PJ_E_CONFIG, "absolute");
	expect(NULL, PJ_FILE_PUBLIC, 100, PJ_E_KEY, "absolute");
	expect(tpath(c->dir, "missing"), PJ_FILE_PUBLIC, 100, PJ_E_KEY,
	    "cannot open");
}

static void
reason_may_be_null(void **state)
{
	struct ctx *c = *state;
	char *buf = NULL;
	size_t len = 0;

	assert_err(pj_file_read(tpath(c->dir, "missing"), PJ_FILE_PUBLIC, 10,
	    PJ_E_KEY, &buf, &len, NULL, NULL, 0), PJ_E_KEY);
	assert_null(buf);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(good_files, setup, teardown),
		cmocka_unit_test_setup_teardown(symlinks_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(owner_must_be_root_or_us, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(size_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(not_regular_files, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(reason_may_be_null, setup, teardown),
		cmocka_unit_test_setup_teardown(changed_while_read, setup, teardown),
	};

	fx_init(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
