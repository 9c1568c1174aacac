/* no_hogweed.c - LD_PRELOAD'ed by the integration cases that play a host
 * where libhogweed.so.6 cannot be loaded: dlopen of it fails, every other
 * dlopen (libpam loading modules) goes through.  Never installed. */
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

void *
dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);

	if (file != NULL && strstr(file, "libhogweed") != NULL)
		return NULL;
	if (real == NULL)
		real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	return real != NULL ? real(file, mode) : NULL;
}
