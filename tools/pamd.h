/* pamd.h - the pam_jwt.so line of a PAM service file, for
 * `pamjwt verify --pamd`: the module arguments a service really passes. */
#ifndef PAMJWT_PAMD_H
#define PAMJWT_PAMD_H

#include <stddef.h>

#define PJT_PAMD_FILE_MAX (64 * 1024)
#define PJT_PAMD_DEPTH_MAX 8     /* nested @include / include / substack */
#define PJT_PAMD_ARGS_MAX 64
#define PJT_PAMD_LINE_MAX 4096

struct pjt_pamd {
	char *file;                 /* the file holding the line */
	unsigned int line;          /* its number there (the first, if joined) */
	char *text;                 /* the line, white space folded */
	char *argv[PJT_PAMD_ARGS_MAX]; /* its module arguments */
	int argc;
	unsigned int more;          /* further auth lines of pam_jwt.so */
};

/* Read the service file path (a regular file of at most 64 KiB) and find the
 * first `auth` (or `-auth`) line whose module is pam_jwt.so, following
 * `@include FILE` and `auth include|substack FILE` (FILE relative to the
 * directory of path).  Returns 0 and fills *out (free with
 * pjt_pamd_clear), 1 if there is no such line, -1 on an error described
 * in err. */
int pjt_pamd_find(const char *path, struct pjt_pamd *out, char *err,
    size_t errlen);

/* The same on a file's text already read; name is the file's name (for
 * messages and *out), dir the directory includes are read from (NULL: an
 * include is an error, as in the fuzz target). */
int pjt_pamd_parse(const char *text, size_t len, const char *name,
    const char *dir, int depth, struct pjt_pamd *out, char *err,
    size_t errlen);

void pjt_pamd_clear(struct pjt_pamd *p);

#endif
