/* fsprobe.so - an LD_PRELOAD shim for the replay tests
 * (tests/replay/run.py): it widens race windows in the store and counts the
 * directory entries the module reads.
 *
 * PJ_SLOWFS_US=N: every call that creates or removes a store entry -
 * openat() with O_CREAT, unlinkat(), linkat() - on a name that looks like a
 * record (64 hex characters) or the ".lock" file first sleeps a random
 * 0..N microseconds.  A store that is atomic (O_EXCL creation, the
 * replacement under flock) gives exactly one winner however long these
 * calls take; a check-then-create or an unlocked replacement loses its race
 * almost every time once the window is milliseconds wide instead of
 * microseconds.
 *
 * PJ_READDIR_COUNT=FILE: every readdir() that returns an entry is counted,
 * and at exit the process appends "readdir N\n" to FILE: the number of
 * directory entries looked at, i.e. the work pruning did.
 *
 * Without either variable it only passes calls on.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static long max_us = -1;
static unsigned int seed;

static int
store_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	if (strcmp(name, ".lock") == 0)
		return 1;
	if (strlen(name) != 64)
		return 0;
	for (i = 0; i < 64; i++)
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return 0;
	return 1;
}

static void
maybe_sleep(const char *name)
{
	struct timespec ts;
	const char *e;
	long us;

	if (max_us < 0) {
		e = getenv("PJ_SLOWFS_US");
		max_us = e ? atol(e) : 0;
		seed = (unsigned int)getpid() ^ (unsigned int)time(NULL);
	}
	if (max_us <= 0 || !store_name(name))
		return;
	us = (long)(rand_r(&seed) % (max_us + 1));
	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	nanosleep(&ts, NULL);
}

static const char *
base(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

int
openat(int dfd, const char *path, int flags, ...)
{
	static int (*real)(int, const char *, int, ...);
	mode_t mode = 0;
	va_list ap;

	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
		maybe_sleep(base(path));
	}
	if (real == NULL)
		real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT,
		    "openat");
	return real(dfd, path, flags, mode);
}

int openat64(int dfd, const char *path, int flags, ...)
    __attribute__((alias("openat")));

int
unlinkat(int dfd, const char *path, int flags)
{
	static int (*real)(int, const char *, int);

	maybe_sleep(base(path));
	if (real == NULL)
		real = (int (*)(int, const char *, int))dlsym(RTLD_NEXT,
		    "unlinkat");
	return real(dfd, path, flags);
}

int
linkat(int ofd, const char *old, int nfd, const char *new, int flags)
{
	static int (*real)(int, const char *, int, const char *, int);

	maybe_sleep(base(new));
	if (real == NULL)
		real = (int (*)(int, const char *, int, const char *, int))
		    dlsym(RTLD_NEXT, "linkat");
	return real(ofd, old, nfd, new, flags);
}

static unsigned long entries;

struct dirent *
readdir(DIR *d)
{
	static struct dirent *(*real)(DIR *);
	struct dirent *de;

	if (real == NULL)
		real = (struct dirent *(*)(DIR *))dlsym(RTLD_NEXT, "readdir");
	de = real(d);
	if (de != NULL)
		entries++;
	return de;
}

__attribute__((destructor)) static void
report(void)
{
	const char *path = getenv("PJ_READDIR_COUNT");
	FILE *f;

	if (path == NULL || (f = fopen(path, "a")) == NULL)
		return;
	fprintf(f, "readdir %lu\n", entries);
	fclose(f);
}
