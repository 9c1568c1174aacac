/* pamjwt.h - the subcommands of the pamjwt tool, and what they share */
#ifndef PAMJWT_H
#define PAMJWT_H

#include <stddef.h>

/* Each returns the process exit status.  argv[0] is the subcommand name. */
int cmd_keygen(int argc, char **argv);
int cmd_mint(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_askpass(int argc, char **argv);
int cmd_jwks_fetch(int argc, char **argv);
int cmd_revoke(int argc, char **argv);
int cmd_unrevoke(int argc, char **argv);

/* Pieces askpass hands out: small enough for every stock client (sudo takes
 * at most 511 bytes an answer). */
#define PAMJWT_PIECE_MAX 500

/* Exit statuses of keygen and mint (verify has its own, see verify.c). */
#define PAMJWT_EXIT_OK 0
#define PAMJWT_EXIT_FAIL 1
#define PAMJWT_EXIT_USAGE 2

/* Strict command-line parsing: long options only ("--name VALUE" or
 * "--name=VALUE"), exact names (no abbreviations), "-h" for "--help", "--"
 * ends the options; "-" alone is an operand. */
enum pjt_arg { PJT_NOARG, PJT_ARG, PJT_OPTARG };

struct pjt_opt {
	const char *name;   /* without the leading "--" */
	enum pjt_arg arg;
	int id;             /* > 0 */
};

struct pjt_args {
	int argc;
	char **argv;
	int i;              /* next word */
	int operands_only;  /* after "--" */
	const char *cmd;    /* "mint", for messages */
};

#define PJT_END (-1)
#define PJT_ERROR (-2)
#define PJT_OPERAND 0

void pjt_args_init(struct pjt_args *a, int argc, char **argv, const char *cmd);

/* The next item: an option id with *val (NULL for PJT_NOARG, or for
 * PJT_OPTARG without a value), PJT_OPERAND with *val the word, PJT_END, or
 * PJT_ERROR after a message on stderr.  opts ends with a zero id.
 * A PJT_OPTARG value is "--name=VALUE", or the next word when it does not
 * begin with '-'. */
int pjt_next(struct pjt_args *a, const struct pjt_opt *opts, const char **val);

/* "pamjwt CMD: " + message + "\n" on stderr. */
void pjt_err(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* p as an absolute path (a new string): made absolute against the current
 * directory, never resolved through symbolic links.  NULL on failure. */
char *pjt_abs_path(const char *p);

/* Create path (which must not exist, a symbolic link included) with exactly
 * mode and write data.  Returns 0, or -1 with errno set; on failure after
 * creating the file it is removed again. */
int pjt_write_new(const char *path, const void *data, size_t len,
    unsigned int mode);

/* Write all of data to fd (again after EINTR).  0, or -1 with errno set. */
int pjt_write_all(int fd, const void *data, size_t len);

/* fsync the directory that holds path (after a rename into it, so that the
 * new name survives a crash).  0, or -1 with errno set. */
int pjt_fsync_dir_of(const char *path);

#endif
