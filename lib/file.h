/* file.h - reading configuration, key and secret files safely */
#ifndef PJ_FILE_H
#define PJ_FILE_H

#include <stddef.h>

/* How strict the permission check is. */
enum pj_file_kind {
	PJ_FILE_PUBLIC,  /* config, public key, JWK Set, user map: not group/other-writable */
	PJ_FILE_SECRET,  /* HMAC secret: also not group/other-readable */
};

/* Read a whole regular file into a new NUL-terminated buffer.
 * Opened O_NOFOLLOW|O_CLOEXEC|O_NONBLOCK, then fstat-checked: a regular file
 * owned by root or the effective uid, not writable by group or others (and
 * for secrets not readable by them either), at most maxlen bytes.
 * Returns PJ_OK, or err_code (PJ_E_KEY or PJ_E_CONFIG, chosen by the caller)
 * with the detail in reason; PJ_E_NOMEM on allocation failure.
 * mode (may be NULL) receives the file's permission bits.
 * The buffer is the caller's: free with pj_file_free (wipes it). */
int pj_file_read(const char *path, enum pj_file_kind kind, size_t maxlen,
    int err_code, char **out, size_t *outlen, unsigned int *mode,
    char *reason, size_t rlen) __attribute__((warn_unused_result));

/* Wipe and free a buffer from pj_file_read.  Accepts NULL. */
void pj_file_free(char *buf, size_t len);

#endif
