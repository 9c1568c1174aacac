/* count_open.c - the module's open(2), counted for one path (see
 * count_open.h). */
#include "count_open.h"

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/types.h>

const char *counted_path;
int counted_opens;

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);

int
__wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (counted_path != NULL && strcmp(path, counted_path) == 0)
		counted_opens++;
	return __real_open(path, flags, mode);
}
