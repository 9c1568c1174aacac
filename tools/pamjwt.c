/* pamjwt.c - the pam_jwt command-line tool: keygen, mint, verify, askpass,
 * revoke, unrevoke */
#include "pamjwt.h"
#include "login.h"

#include <libgen.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pamjwt COMMAND [ARGS]\n"
	    "  keygen  --alg ALG --out PREFIX     a new HMAC secret or key pair\n"
	    "  mint    --key FILE --alg ALG --sub SUB [...]   print a signed token\n"
	    "  verify  [--config FILE] [--service NAME] [--user USER] [key=value ...]\n"
	    "          [TOKEN | -]                run the module's validation\n"
	    "  askpass [PROMPT]                   askpass for SSH_ASKPASS / SUDO_ASKPASS\n"
	    "  jwks-fetch --issuer URL --out FILE [...]   an OpenID Provider's keys\n"
	    "  revoke  (--file FILE | --redis URL) (--iss I --jti J | --iss I --sub S\n"
	    "          [--before TIME] | --kid K)  revoke tokens before they expire\n"
	    "  unrevoke (--file FILE | --redis URL) ...  take a revocation back\n"
	    "  login   [--issuer URL --client-id ID] [...]   sign in at the provider\n"
	    "  logout  [--all]                    remove the cached token\n"
	    "  ssh     HOST [ssh args]            ssh with the cached token\n"
	    "`pamjwt COMMAND --help` tells more; see pamjwt(1).\n");
}

int
main(int argc, char **argv)
{
	const char *prog = argc > 0 ? argv[0] : "pamjwt";
	const char *base = strrchr(prog, '/');

	base = base ? base + 1 : prog;
	if (sodium_init() < 0) {
		fprintf(stderr, "pamjwt: libsodium cannot be initialised\n");
		return 2;
	}
	/* installed as pamjwt-askpass too: SSH_ASKPASS takes no arguments */
	if (strcmp(base, "pamjwt-askpass") == 0)
		return cmd_askpass(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "keygen") == 0)
		return cmd_keygen(argc - 1, argv + 1);
	if (strcmp(argv[1], "mint") == 0)
		return cmd_mint(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	if (strcmp(argv[1], "askpass") == 0)
		return cmd_askpass(argc - 1, argv + 1);
	if (strcmp(argv[1], "jwks-fetch") == 0)
		return cmd_jwks_fetch(argc - 1, argv + 1);
	if (strcmp(argv[1], "revoke") == 0)
		return cmd_revoke(argc - 1, argv + 1);
	if (strcmp(argv[1], "unrevoke") == 0)
		return cmd_unrevoke(argc - 1, argv + 1);
	if (strcmp(argv[1], "login") == 0)
		return cmd_login(argc - 1, argv + 1);
	if (strcmp(argv[1], "logout") == 0)
		return cmd_logout(argc - 1, argv + 1);
	if (strcmp(argv[1], "ssh") == 0)
		return cmd_ssh(argc - 1, argv + 1);
	fprintf(stderr, "pamjwt: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
