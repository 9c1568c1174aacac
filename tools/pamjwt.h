/* pamjwt.h - the subcommands of the pamjwt tool */
#ifndef PAMJWT_H
#define PAMJWT_H

/* Each returns the process exit status.  argv[0] is the subcommand name. */
int cmd_keygen(int argc, char **argv);
int cmd_mint(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_askpass(int argc, char **argv);

/* Pieces askpass hands out: small enough for every stock client (sudo takes
 * at most 511 bytes an answer). */
#define PAMJWT_PIECE_MAX 500

#endif
