/* askpass.c - `pamjwt askpass [PROMPT]`, also run as `pamjwt-askpass`.
 *
 * For SSH_ASKPASS and SUDO_ASKPASS: reads the token from $PAMJWT_TOKEN_FILE
 * (or $PAMJWT_TOKEN), cuts it into pieces of at most PAMJWT_PIECE_MAX
 * characters, and prints piece N when the prompt asks for "part N", piece 1
 * for any other prompt, and an empty line past the end.
 */
#include "pamjwt.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* The part number a prompt asks for: N from "part N", else 1. */
static unsigned long
asked_part(const char *prompt)
{
	const char *p = prompt ? strstr(prompt, "part ") : NULL;
	unsigned long n = 0;

	if (p == NULL)
		return 1;
	for (p += 5; *p >= '0' && *p <= '9' && n < 100000; p++)
		n = n * 10 + (unsigned long)(*p - '0');
	return n == 0 ? 1 : n;
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
		    "from $PAMJWT_TOKEN_FILE (or $PAMJWT_TOKEN) and prints the piece the\n"
		    "prompt asks for: piece N for \"Token (part N): \", piece 1 for any other\n"
		    "prompt, an empty line past the end.  Pieces are at most %d characters.\n",
		    PAMJWT_PIECE_MAX);
		return 0;
	}
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
	} else {
		fprintf(stderr, "pamjwt askpass: set PAMJWT_TOKEN_FILE (or PAMJWT_TOKEN) "
		    "to the token\n");
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
