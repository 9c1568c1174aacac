/* no_hiredis.c - LD_PRELOAD'ed by the fleet cases that play a host where
 * libhiredis.so.0.14 cannot be loaded: dlopen of it fails (as dlopen does,
 * with a reason for dlerror), every other dlopen (libpam loading modules,
 * the module opening libhogweed) goes through.  Never installed. */
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

void *
dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);

	if (real == NULL)
		real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	if (file != NULL && strstr(file, "libhiredis") != NULL) {
		/* a name that cannot exist: dlerror() then says why, as on a
		 * host without the package */
		return real != NULL ?
		    real("/nonexistent/libhiredis.so.0.14", mode) : NULL;
	}
	return real != NULL ? real(file, mode) : NULL;
}
