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

/* What makes a file "provably the same" for the caches (lib/keycache.c):
 * its identity (device, inode), size, modification and change times to
 * the nanosecond, owner, group and mode.  A write changes mtime and ctime,
 * a chmod/chown/rename-over changes ctime or the inode; only the kernel
 * sets ctime (to the current time). */
struct pj_file_id {
	unsigned long long dev, ino;
	long long size, mtime_s, ctime_s;
	long mtime_ns, ctime_ns;
	unsigned long uid, gid;
	unsigned int mode;          /* st_mode, type bits included */
	/* Not part of the identity (pj_file_id_equal ignores it): 1 when the
	 * file was read from a local file system (pj_file_fd_local), whose
	 * stat answers come from the inode itself.  Only such files are used
	 * from a cache without opening them (pj_file_peek). */
	int local;
};

/* A file whose newest time (mtime or ctime) is less than this many seconds
 * old may still change within one timestamp tick without its times
 * changing: the caches never keep what they read from it. */
#define PJ_FILE_SETTLE_S 2

/* The steps of pj_file_read, for the caches: open and check (exactly the
 * checks and reasons of pj_file_read; *fd is the caller's to close, -1 on
 * failure), then read the open file whose identity pj_file_open gave. */
int pj_file_open(const char *path, enum pj_file_kind kind, size_t maxlen,
    int err_code, int *fd, struct pj_file_id *id, char *reason, size_t rlen)
    __attribute__((warn_unused_result));
int pj_file_read_open(int fd, const char *path, const struct pj_file_id *id,
    int err_code, char **out, size_t *outlen, char *reason, size_t rlen)
    __attribute__((warn_unused_result));
/* For the caches (lib/keyset.c, lib/textcache.c), before they open anything:
 * what a fresh pj_file_open would find, without opening the file.  fstatat
 * without following a symbolic link, exactly the checks of pj_file_open on
 * what it gives, and the faccessat2 system call (R_OK, AT_EACCESS; called
 * directly, so that no library emulation stands in for it where the kernel
 * lacks it): whether the kernel's permission check (mode bits, ACLs,
 * capabilities, and security modules that check at that point, such as
 * SELinux) would let this process read the file now.  Policies enforced
 * only when a file is opened (AppArmor, Landlock, fanotify) are not seen.
 * PJ_OK and *id filled (id->local 0), or an error and *id zeroed; no
 * reason: a caller whose peek fails opens the file as usual, and that
 * gives the reason.  A cache uses a peeked identity only against one kept
 * from a local file system (id->local): on NFS or FUSE, stat may answer
 * from a client's attribute cache, where open fetches them afresh. */
int pj_file_peek(const char *path, enum pj_file_kind kind, size_t maxlen,
    struct pj_file_id *id) __attribute__((warn_unused_result));
/* The same on what the caller's lstat (fstatat AT_SYMLINK_NOFOLLOW) of path
 * just gave. */
struct stat;
int pj_file_peek_stat(const char *path, const struct stat *st,
    enum pj_file_kind kind, size_t maxlen, struct pj_file_id *id)
    __attribute__((warn_unused_result));
/* 1 if the open file fd lives on a local file system (ext2/3/4, xfs,
 * btrfs, f2fs, zfs, tmpfs, ramfs, overlayfs, squashfs): its stat answers
 * are the inode's own.  0 for anything else or on error. */
int pj_file_fd_local(int fd);
void pj_file_id_of(const struct stat *st, struct pj_file_id *id);
/* 1 if a and b are the same file, unchanged. */
int pj_file_id_equal(const struct pj_file_id *a, const struct pj_file_id *b);
/* 1 if the file's newest time is PJ_FILE_SETTLE_S seconds old or more. */
int pj_file_id_settled(const struct pj_file_id *id);

/* Wipe and free a buffer from pj_file_read.  Accepts NULL. */
void pj_file_free(char *buf, size_t len);

#endif
