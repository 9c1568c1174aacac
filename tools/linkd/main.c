/* main.c - the command line of pamjwt-linkd (pamjwt-linkd(8))
 *
 *   pamjwt-linkd [--config FILE] serve
 *   pamjwt-linkd [--config FILE] check
 *   pamjwt-linkd [--config FILE] lookup NAME-OR-ADDRESS
 *   pamjwt-linkd [--config FILE] send [--kind KIND] ACCOUNT
 *
 * Exit status: 0 done, 1 failed (key, directory, network, refused),
 * 2 usage or configuration error.
 */
#include "linkd.h"

#include "lib/err.h"
#include "lib/file.h"
#include "lib/user.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_CONF "/etc/pamjwt-linkd/linkd.conf"
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define ANSWER_MAX 4096

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pamjwt-linkd [--config FILE] serve\n"
	    "       pamjwt-linkd [--config FILE] check\n"
	    "       pamjwt-linkd [--config FILE] lookup NAME-OR-ADDRESS\n"
	    "       pamjwt-linkd [--config FILE] send [--kind KIND] ACCOUNT\n"
	    "\n"
	    "The magic-link service of pam_jwt (see pamjwt-linkd(8)).\n"
	    "  serve   answer on the configured address until SIGTERM\n"
	    "  check   read the config, the directory and the signing key\n"
	    "  lookup  which account and address the directory gives\n"
	    "  send    ask the running service to mail ACCOUNT a link (help\n"
	    "          desk; needs admin_secret_file)\n"
	    "  --config FILE   default " DEFAULT_CONF "\n"
	    "Exit status: 0 done, 1 failed, 2 usage or configuration error.\n");
}

static int
check(const struct lf_conf *c)
{
	char reason[LF_REASON_MAX] = "";
	struct lf_minter m;
	struct lf_dir d;

	if (lf_dir_open(&d, c->directory, reason, sizeof(reason)) != PJ_OK) {
		fprintf(stderr, "pamjwt-linkd: directory: %s\n", reason);
		return EXIT_FAIL;
	}
	lf_dir_close(&d);
	if (lf_minter_load(c, &m, reason, sizeof(reason)) != PJ_OK) {
		fprintf(stderr, "pamjwt-linkd: key_file: %s\n", reason);
		return EXIT_FAIL;
	}
	lf_minter_free(&m);
	printf("pamjwt-linkd: smtp: %s\n", strncmp(c->smtp_url, "smtps://", 8) == 0 ?
	    "TLS (smtps)" : c->smtp_starttls == 2 ? "STARTTLS required" :
	    c->smtp_starttls == 1 ? "STARTTLS try" : "no STARTTLS");
	printf("pamjwt-linkd: %s: configuration, directory and key are usable\n",
	    c->path);
	return EXIT_OK;
}

static int
lookup(const struct lf_conf *c, const char *who)
{
	char reason[LF_REASON_MAX] = "", account[LF_ACCOUNT_MAX + 1];
	char addr[LF_ADDR_MAX + 1];
	struct lf_dir d;
	int found = 0;

	if (lf_dir_open(&d, c->directory, reason, sizeof(reason)) != PJ_OK) {
		fprintf(stderr, "pamjwt-linkd: directory: %s\n", reason);
		return EXIT_FAIL;
	}
	(void)lf_dir_find(&d, who, account, addr, &found, reason, sizeof(reason));
	lf_dir_close(&d);
	if (!found) {
		printf("not found\n");
		return EXIT_FAIL;
	}
	printf("account=%s address=%s\n", account, addr);
	return EXIT_OK;
}

struct answer {
	char buf[ANSWER_MAX];
	size_t len;
};

static size_t
write_cb(char *p, size_t size, size_t nmemb, void *userp)
{
	struct answer *a = userp;
	size_t n = size * nmemb, room = sizeof(a->buf) - 1 - a->len;

	if (n > room)
		n = room;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
	a->buf[a->len] = '\0';
	return size * nmemb;
}

/* POST account and kind to the service's /admin/send with the bearer
 * secret, through libcurl. */
static int
send_link(const struct lf_conf *c, const char *account, const char *kind)
{
	char reason[LF_REASON_MAX] = "", url[1200], *secret = NULL;
	char *auth = NULL, *body = NULL, *ea = NULL, *ek = NULL;
	struct curl_slist *hdrs = NULL, *hp;
	struct answer ans;
	size_t slen = 0, n;
	long status = 0;
	CURLcode cc;
	CURL *h = NULL;
	int rc = EXIT_FAIL;

	memset(&ans, 0, sizeof(ans));
	if (c->admin_secret_file == NULL) {
		fprintf(stderr, "pamjwt-linkd: send needs admin_secret_file in %s\n",
		    c->path);
		return EXIT_USAGE;
	}
	if (!pj_user_name_valid(account) || lf_conf_kind(c, kind) == NULL) {
		fprintf(stderr, "pamjwt-linkd: send: not a valid account name, or "
		    "no such kind\n");
		return EXIT_USAGE;
	}
	if (pj_file_read(c->admin_secret_file, PJ_FILE_SECRET, 1024, PJ_E_KEY,
	    &secret, &slen, NULL, reason, sizeof(reason)) != PJ_OK) {
		fprintf(stderr, "pamjwt-linkd: admin_secret_file: %s\n", reason);
		return EXIT_FAIL;
	}
	while (slen > 0 && (secret[slen - 1] == '\n' || secret[slen - 1] == '\r'))
		secret[--slen] = '\0';
	if (c->admin_url != NULL) {
		n = strlen(c->admin_url);
		(void)snprintf(url, sizeof(url), "%s%sadmin/send", c->admin_url,
		    n > 0 && c->admin_url[n - 1] == '/' ? "" : "/");
	} else
		(void)snprintf(url, sizeof(url), "%s://%s%s%s:%u/admin/send",
		    c->tls_cert_file ? "https" : "http",
		    strchr(c->listen_addr, ':') ? "[" : "", c->listen_addr,
		    strchr(c->listen_addr, ':') ? "]" : "", c->listen_port);
	h = curl_easy_init();
	if (h == NULL)
		goto out;
	ea = curl_easy_escape(h, account, 0);
	ek = curl_easy_escape(h, kind ? kind : c->kinds[0].name, 0);
	if (ea == NULL || ek == NULL ||
	    asprintf(&body, "account=%s&kind=%s", ea, ek) < 0 ||
	    asprintf(&auth, "Authorization: Bearer %s", secret) < 0) {
		body = NULL;
		auth = NULL;
		goto out;
	}
	hdrs = curl_slist_append(NULL, auth);
	if (hdrs == NULL)
		goto out;
	if (curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, &ans) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    ((c->admin_ca_file != NULL || c->tls_cert_file != NULL) &&
	    curl_easy_setopt(h, CURLOPT_CAINFO, c->admin_ca_file ?
	    c->admin_ca_file : c->tls_cert_file) != CURLE_OK))
		goto out;
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		fprintf(stderr, "pamjwt-linkd: send: %s: %s\n", url,
		    curl_easy_strerror(cc));
		goto out;
	}
	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	for (n = 0; n < ans.len; n++)
		if ((unsigned char)ans.buf[n] < 0x20 && ans.buf[n] != '\n')
			ans.buf[n] = '?';
	if (status == 202) {
		printf("%s", ans.buf);
		rc = EXIT_OK;
	} else
		fprintf(stderr, "pamjwt-linkd: send: HTTP %ld: %s", status, ans.buf);
out:
	if (auth != NULL) {
		sodium_memzero(auth, strlen(auth));
		free(auth);
	}
	free(body);
	curl_free(ea);
	curl_free(ek);
	/* curl_slist_append copied the bearer header: wipe that copy too */
	for (hp = hdrs; hp != NULL; hp = hp->next)
		if (hp->data != NULL)
			sodium_memzero(hp->data, strlen(hp->data));
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	pj_file_free(secret, slen);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *conf = DEFAULT_CONF, *cmd = NULL, *kind = NULL, *arg = NULL;
	char reason[LF_REASON_MAX] = "";
	struct lf_conf c;
	int i, rc = EXIT_USAGE, loaded = 0;

	memset(&c, 0, sizeof(c));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			conf = argv[++i];
		else if (strncmp(argv[i], "--config=", 9) == 0)
			conf = argv[i] + 9;
		else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc)
			kind = argv[++i];
		else if (strncmp(argv[i], "--kind=", 7) == 0)
			kind = argv[i] + 7;
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "pamjwt-linkd: unknown option '%.64s'\n",
			    argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		} else if (cmd == NULL)
			cmd = argv[i];
		else if (arg == NULL)
			arg = argv[i];
		else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (cmd == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (kind != NULL && strcmp(cmd, "send") != 0) {
		fprintf(stderr, "pamjwt-linkd: --kind goes with send\n");
		return EXIT_USAGE;
	}
	if ((strcmp(cmd, "send") == 0 || strcmp(cmd, "lookup") == 0) !=
	    (arg != NULL)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (conf[0] != '/') {
		fprintf(stderr, "pamjwt-linkd: --config needs an absolute path\n");
		return EXIT_USAGE;
	}
	if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "pamjwt-linkd: cannot initialise libsodium or "
		    "libcurl\n");
		return EXIT_FAIL;
	}
	if (lf_conf_load(conf, &c, reason, sizeof(reason)) != PJ_OK) {
		fprintf(stderr, "pamjwt-linkd: %s\n", reason);
		goto out;
	}
	loaded = 1;
	if (strcmp(cmd, "serve") == 0)
		rc = lf_serve(&c) == 0 ? EXIT_OK : EXIT_FAIL;
	else if (strcmp(cmd, "check") == 0)
		rc = check(&c);
	else if (strcmp(cmd, "lookup") == 0)
		rc = lookup(&c, arg);
	else if (strcmp(cmd, "send") == 0)
		rc = send_link(&c, arg, kind);
	else {
		fprintf(stderr, "pamjwt-linkd: unknown command '%.32s'\n", cmd);
		usage(stderr);
	}
out:
	if (loaded)
		lf_conf_free(&c);
	curl_global_cleanup();
	return rc;
}
