/* logval.h - values from a token or a client, written into log lines.
 *
 * A log line is read by people, fail2ban and SIEM rules as structure
 * ("accepted: user=... sub=..."), so a value that a token or a client chose
 * must never be able to look like structure: not a space, not '=', not ';',
 * not a quote, not a control byte.  pj_logval keeps a small safe set of
 * bytes as they are and writes every other byte as \xHH, which reads back
 * unambiguously (a '\' in the value is itself \x5c).  Ordinary names,
 * e-mail addresses, URLs without a query and base64url ids come out
 * unchanged.
 */
#ifndef PJ_LOGVAL_H
#define PJ_LOGVAL_H

#include <stddef.h>

/* The bytes kept as they are, besides [A-Za-z0-9]. */
#define PJ_LOGVAL_SAFE "-._~@:/+,"
/* Appended when the value was longer than the cap ('[' is never kept). */
#define PJ_LOGVAL_CUT "[cut]"
/* Room for the escaped form of a value capped at max bytes, with its NUL. */
#define PJ_LOGVAL_SIZE(max) (4 * (max) + sizeof(PJ_LOGVAL_CUT))

/* Write at most max bytes of src (srclen bytes, any content, NUL included)
 * escaped into dst, then PJ_LOGVAL_CUT if src was longer.  dst must hold
 * PJ_LOGVAL_SIZE(max) bytes; a smaller dstlen stops early, always at a
 * whole escape, and is always NUL-terminated.  src NULL writes "". */
void pj_logval(char *dst, size_t dstlen, const char *src, size_t srclen,
    size_t max);

/* The same for a NUL-terminated string. */
void pj_logstr(char *dst, size_t dstlen, const char *src, size_t max);

/* pj_logstr into dst, returning dst (for use inside a format's arguments). */
const char *pj_logshow(char *dst, size_t dstlen, const char *src, size_t max);

/* Our own text that may hold a value escaped by pj_logval (a reason): copy
 * it, control and non-ASCII bytes shown as '?', cut with "..." if too
 * long. */
void pj_sanitize(char *dst, size_t dstlen, const char *src);

#endif
