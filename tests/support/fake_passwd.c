/* fake_passwd.c - a fixed account database for the harnesses: this
 * getpwnam_r, linked into the executable, is the one lib/user.c calls, so
 * the fuzzers reach every account rule without NSS or the machine's users.
 *   alice 1001, bob 1002, Root 1005, root 0, toor 0, daemon 2 */
#include <errno.h>
#include <pwd.h>
#include <string.h>

static const struct {
	const char *name;
	unsigned int uid;
} accounts[] = {
	{ "alice", 1001 }, { "bob", 1002 }, { "Root", 1005 }, { "root", 0 },
	{ "toor", 0 }, { "daemon", 2 },
};

int
getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t buflen,
    struct passwd **result)
{
	size_t i, n;

	*result = NULL;
	for (i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++) {
		if (strcmp(accounts[i].name, name) != 0)
			continue;
		n = strlen(name) + 1;
		if (buflen < n + 2)
			return ERANGE;
		memcpy(buf, name, n);
		memcpy(buf + n, "x", 2);
		memset(pw, 0, sizeof(*pw));
		pw->pw_name = buf;
		pw->pw_passwd = buf + n;
		pw->pw_uid = accounts[i].uid;
		pw->pw_gid = accounts[i].uid;
		pw->pw_gecos = buf + n + 1;
		pw->pw_dir = buf + n + 1;
		pw->pw_shell = buf + n + 1;
		*result = pw;
		return 0;
	}
	return 0; /* not found: 0 and *result NULL, as glibc does */
}
