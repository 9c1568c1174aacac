/* askpass.c - `pamjwt askpass [PROMPT]`, also run as `pamjwt-askpass`.
 *
 * For SSH_ASKPASS and SUDO_ASKPASS: reads the token from $PAMJWT_TOKEN_FILE
 * (or $PAMJWT_TOKEN), or else from the cache of `pamjwt login` (only a
 * token for the audience this host expects), cuts it into pieces of at most PAMJWT_PIECE_MAX
 * characters, and prints piece N when the prompt asks for "part N", piece 1
 * for a token or password prompt, and an empty line past the end.  Any
 * other question (ssh's "yes/no" about an unknown host key, a passphrase or
 * PIN for a key, a new password) is refused: exit 1 and a message on
 * standard error, never the token (ssh would ask again forever, or take the
 * token for a passphrase).
 */
#include "pamjwt.h"
#include "login.h"

#include "lib/logval.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_FILE_MAX (64 * 1024)

static char *
read_token_file(const char *path)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n;
	size_t len = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 0 ||
	    st.st_size > TOKEN_FILE_MAX)
		goto fail;
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		goto fail;
	while (len < (size_t)st.st_size) {
		n = read(fd, buf + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	(void)close(fd);
	return buf;
fail:
	free(buf);
	(void)close(fd);
	return NULL;
}

/* The part number a prompt asks for: N from its last "part N" (a client
 * may put the module's messages before the prompt), else 1. */
static unsigned long
asked_part(const char *prompt)
{
	const char *p = prompt, *q;
	unsigned long n, last = 0;

	if (p == NULL)
		return 1;
	while ((q = strstr(p, "part ")) != NULL) {
		n = 0;
		for (p = q + 5; *p >= '0' && *p <= '9' && n < 100000; p++)
			n = n * 10 + (unsigned long)(*p - '0');
		if (n != 0)
			last = n;
	}
	return last == 0 ? 1 : last;
}

/* 1 if haystack holds needle, letter case aside. */
static int
has(const char *haystack, const char *needle)
{
	size_t n = strlen(needle);

	for (; *haystack != '\0'; haystack++)
		if (strncasecmp(haystack, needle, n) == 0)
			return 1;
	return 0;
}

/* Questions askpass never answers with the token, whatever else they say. */
static const char *const refused[] = {
	"yes/no", "passphrase", "pin for", "pin:", "new password", "retype",
	"verification code", "one-time",
};

/* 0 if prompt is one to answer (no prompt at all, a token or password
 * prompt, or one holding $PAMJWT_PROMPT), else 1 after saying why. */
static int
refuse(const char *prompt)
{
	const char *extra = getenv("PAMJWT_PROMPT");
	char shown[120];
	size_t i;

	if (prompt == NULL)
		return 0;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		if (has(prompt, refused[i]))
			goto no;
	if (has(prompt, "token") || has(prompt, "password") ||
	    (extra != NULL && extra[0] != '\0' && strstr(prompt, extra) != NULL))
		return 0;
no:
	pj_sanitize(shown, sizeof(shown), prompt);
	if (has(prompt, "yes/no"))
		fprintf(stderr, "pamjwt askpass: not answering ssh's question "
		    "\"%s\" with a token: the host key is not known yet.  Check it "
		    "once with an interactive ssh, or add it to known_hosts, or use "
		    "ssh -o StrictHostKeyChecking=accept-new on a trusted network "
		    "(see pamjwt(1))\n", shown);
	else
		fprintf(stderr, "pamjwt askpass: not answering \"%s\": not a token "
		    "or password prompt (set PAMJWT_PROMPT to a part of a custom "
		    "token prompt)\n", shown);
	return 1;
}

int
cmd_askpass(int argc, char **argv)
{
	const char *file = getenv("PAMJWT_TOKEN_FILE");
	const char *env = getenv("PAMJWT_TOKEN");
	char *tok = NULL;
	const char *t;
	size_t len, start;
	unsigned long part;
	int rc = 1;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: pamjwt askpass [PROMPT]\n"
		    "An askpass program for SSH_ASKPASS and SUDO_ASKPASS.  Reads the token\n"
		    "from $PAMJWT_TOKEN_FILE (or $PAMJWT_TOKEN, or else the cache of pamjwt\n"
		    "login) and prints the piece the\n"
		    "prompt asks for: piece N for \"Token (part N): \", piece 1 for a token\n"
		    "or password prompt (or one holding $PAMJWT_PROMPT), an empty line past\n"
		    "the end.  Pieces are at most %d characters.  Any other question (a\n"
		    "yes/no about a host key, a passphrase, a PIN) is refused with exit\n"
		    "status 1.\n",
		    PAMJWT_PIECE_MAX);
		return 0;
	}
	if (refuse(argc > 1 ? argv[1] : NULL))
		goto out;
	if (file != NULL && file[0] != '\0') {
		tok = read_token_file(file);
		if (tok == NULL) {
			fprintf(stderr, "pamjwt askpass: cannot read PAMJWT_TOKEN_FILE %s\n",
			    file);
			goto out;
		}
	} else if (env != NULL) {
		tok = strdup(env);
		if (tok == NULL)
			goto out;
	} else if (pjt_login_askpass_token(asked_part(argc > 1 ? argv[1] :
	    NULL), &tok) != 0) {
		/* neither variable: the token of `pamjwt login`, from its cache
		 * (tools/login_flow.c said why not) */
		goto out;
	}
	t = tok;
	len = strlen(tok);
	while (len > 0 && strchr(" \t\r\n", t[0]) != NULL) {
		t++;
		len--;
	}
	while (len > 0 && strchr(" \t\r\n", t[len - 1]) != NULL)
		len--;
	part = asked_part(argc > 1 ? argv[1] : NULL);
	if (part - 1 > len / PAMJWT_PIECE_MAX + 1) {
		printf("\n");
	} else {
		start = (size_t)(part - 1) * PAMJWT_PIECE_MAX;
		if (start >= len)
			printf("\n");
		else
			printf("%.*s\n", (int)(len - start > PAMJWT_PIECE_MAX ?
			    PAMJWT_PIECE_MAX : len - start), t + start);
	}
	rc = fflush(stdout) == 0 ? 0 : 1;
out:
	if (tok != NULL) {
		sodium_memzero(tok, strlen(tok));
		free(tok);
	}
	return rc;
}
