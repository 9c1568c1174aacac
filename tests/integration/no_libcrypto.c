/* no_libcrypto.c - LD_PRELOAD'ed by the integration cases that play a host
 * where libcrypto.so.3 cannot be loaded: dlopen of it fails, every other
 * dlopen (libpam loading modules) goes through.  Never installed. */
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

void *
dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);

	if (file != NULL && strstr(file, "libcrypto") != NULL)
		return NULL;
	if (real == NULL)
		real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	return real != NULL ? real(file, mode) : NULL;
}
