/* http.c - the pages of pamjwt-linkd, on libmicrohttpd (pamjwt-linkd(8))
 *
 *   GET  /                 the form: account name or e-mail address
 *   POST /request          ask for a link (CSRF token); the same answer,
 *                          after the same work, whether the account exists
 *   GET  /l/ID             what the link is for, and a button (uses nothing)
 *   POST /l/ID             the button (CSRF token): uses the link up, mints
 *                          the token and shows it once
 *   POST /admin/send       help desk: Authorization: Bearer SECRET
 *   GET  /static/linkd.js, /static/linkd.css
 *
 * Every answer carries a strict Content-Security-Policy (no inline script
 * or style), X-Frame-Options DENY, no-referrer (the link id is in the URL),
 * no-store, and HSTS when enabled; every value shown is HTML-escaped; every
 * request writes one audit line to standard error (never a link id or a
 * token: a link appears as the first 16 hex digits of its SHA-256).
 */
#include "linkd.h"

#include "lib/b64url.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/logval.h"
#include "lib/user.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define PAGE_MAX (64 * 1024)
#define CSRF_COOKIE_LEN 43
#define CSRF_LEN PJ_B64URL_ENCODED_LEN(crypto_auth_hmacsha256_BYTES)
#define HEADER_MEMORY (32 * 1024)
#define ADMIN_SECRET_MAX 1024
#define TLS_FILE_MAX (64 * 1024)

static const char csp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; connect-src 'none'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

static const char js[] =
    "\"use strict\";\n"
    "/* pamjwt-linkd: the copy button of the token page */\n"
    "document.addEventListener(\"DOMContentLoaded\", function () {\n"
    "  var b = document.getElementById(\"copy\");\n"
    "  var t = document.getElementById(\"token\");\n"
    "  if (!b || !t) { return; }\n"
    "  b.hidden = false;\n"
    "  b.addEventListener(\"click\", function () {\n"
    "    var done = function () { b.textContent = \"Copied\"; };\n"
    "    t.select();\n"
    "    if (navigator.clipboard && navigator.clipboard.writeText) {\n"
    "      navigator.clipboard.writeText(t.value).then(done, function () {\n"
    "        document.execCommand(\"copy\"); done();\n"
    "      });\n"
    "    } else { document.execCommand(\"copy\"); done(); }\n"
    "  });\n"
    "});\n";

static const char css[] =
    "body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em;"
    "line-height:1.4}\n"
    "textarea{width:100%;font-family:monospace;word-break:break-all}\n"
    "pre{background:#f4f4f4;padding:.5em;overflow-x:auto}\n"
    "button,input{font-size:1em;padding:.3em .6em}\n"
    ".note{color:#555}\n";

struct lf_server {
	const struct lf_conf *c;
	struct lf_dir dir;
	struct lf_store store;
	struct lf_mailer mailer;
	struct lf_minter minter;
	unsigned char csrf_key[crypto_auth_hmacsha256_KEYBYTES];
	unsigned char admin_hash[crypto_hash_sha256_BYTES];
	int have_admin, tls, secure_cookie;
	const char *cookie;     /* the CSRF cookie's name */
};

/* One request's state across the access handler's calls. */
struct req {
	struct lf_buf body;
	int too_big;
};

/* What the audit line says about a request. */
struct audit {
	char client[INET6_ADDRSTRLEN];
	const char *method, *path, *event, *outcome;
	const char *who, *account, *kind;      /* point into the buffers */
	char whobuf[LF_INPUT_MAX + 1], accbuf[LF_ACCOUNT_MAX + 1];
	char link[17];
	char jti[LF_ID_LEN + 1];
	unsigned int status;
};

static void
audit_log(const struct audit *a)
{
	char who[PJ_LOGVAL_SIZE(64)], acct[PJ_LOGVAL_SIZE(LF_ACCOUNT_MAX)];
	char kind[PJ_LOGVAL_SIZE(LF_KIND_NAME_MAX)];

	pj_logstr(who, sizeof(who), a->who, 64);
	pj_logstr(acct, sizeof(acct), a->account, LF_ACCOUNT_MAX);
	pj_logstr(kind, sizeof(kind), a->kind, LF_KIND_NAME_MAX);
	fprintf(stderr, "pamjwt-linkd: audit client=%s method=%s path=%s "
	    "status=%u event=%s outcome=%s%s%s%s%s%s%s%s%s%s%s\n", a->client,
	    a->method, a->path, a->status, a->event, a->outcome,
	    a->who ? " who=" : "", a->who ? who : "",
	    a->account ? " account=" : "", a->account ? acct : "",
	    a->kind ? " kind=" : "", a->kind ? kind : "",
	    a->link[0] ? " link=" : "", a->link,
	    a->jti[0] ? " jti=" : "", a->jti);
}

/* Copies: the audit line is written after the page functions return. */
static void
audit_who(struct audit *a, const char *who)
{
	size_t n = strnlen(who, sizeof(a->whobuf) - 1);

	memcpy(a->whobuf, who, n);
	a->whobuf[n] = '\0';
	a->who = a->whobuf;
}

static void
audit_account(struct audit *a, const char *account)
{
	size_t n = strnlen(account, sizeof(a->accbuf) - 1);

	memcpy(a->accbuf, account, n);
	a->accbuf[n] = '\0';
	a->account = a->accbuf;
}

static void
hash8(const unsigned char hash[LF_HASH_BYTES], char out[17])
{
	(void)sodium_bin2hex(out, 17, hash, 8);
}

/* ------------------------------------------------------------ answers */

/* The copy of a body that libmicrohttpd sends: wiped when it is done with
 * it (a token page holds a token). */
struct wiped {
	size_t len;
	char data[];
};

static void
wiped_free(void *cls)
{
	struct wiped *w = cls;

	sodium_memzero(w->data, w->len);
	free(w);
}

static enum MHD_Result
send_answer(struct lf_server *s, struct MHD_Connection *conn,
    unsigned int status, const char *type, const char *body, size_t len,
    const char *set_cookie)
{
	struct MHD_Response *resp;
	struct wiped *w;
	enum MHD_Result ret;
	char hsts[64];

	w = malloc(sizeof(*w) + len + 1);
	if (w == NULL)
		return MHD_NO;
	w->len = len;
	memcpy(w->data, body, len);
	/* available since libmicrohttpd 0.9.73 (Debian 12: 0.9.75) */
	resp = MHD_create_response_from_buffer_with_free_callback_cls(len,
	    w->data, wiped_free, w);
	if (resp == NULL) {
		wiped_free(w);
		return MHD_NO;
	}
	if (MHD_add_response_header(resp, "Content-Type", type) != MHD_YES ||
	    MHD_add_response_header(resp, "Content-Security-Policy", csp) != MHD_YES ||
	    MHD_add_response_header(resp, "X-Frame-Options", "DENY") != MHD_YES ||
	    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff") != MHD_YES ||
	    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer") != MHD_YES ||
	    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin") != MHD_YES ||
	    MHD_add_response_header(resp, "Cache-Control", "no-store") != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	if (s->c->hsts) {
		(void)snprintf(hsts, sizeof(hsts), "max-age=%lld",
		    s->c->hsts_max_age);
		if (MHD_add_response_header(resp, "Strict-Transport-Security",
		    hsts) != MHD_YES) {
			MHD_destroy_response(resp);
			return MHD_NO;
		}
	}
	if (set_cookie != NULL &&
	    MHD_add_response_header(resp, "Set-Cookie", set_cookie) != MHD_YES) {
		MHD_destroy_response(resp);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* The page frame around body text already escaped.  root: "" or "../",
 * how the page reaches /static/ (so that the service may sit under a
 * path of a reverse proxy). */
static void
page_open(struct lf_buf *b, const char *title, const char *root)
{
	lf_buf_add(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	    "<meta name=\"referrer\" content=\"no-referrer\"><title>");
	lf_buf_html(b, title);
	lf_buf_add(b, "</title><link rel=\"stylesheet\" href=\"");
	lf_buf_add(b, root);
	lf_buf_add(b, "static/linkd.css\"></head>\n<body><main>\n<h1>");
	lf_buf_html(b, title);
	lf_buf_add(b, "</h1>\n");
}

static void
page_close(struct lf_buf *b, const char *root)
{
	lf_buf_add(b, "</main>\n<script src=\"");
	lf_buf_add(b, root);
	lf_buf_add(b, "static/linkd.js\"></script>\n</body></html>\n");
}

static enum MHD_Result
send_page(struct lf_server *s, struct MHD_Connection *conn,
    unsigned int status, struct lf_buf *b, const char *set_cookie)
{
	static const char fail[] = "internal error\n";

	if (b->failed)
		return send_answer(s, conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "text/plain; charset=utf-8", fail, sizeof(fail) - 1, NULL);
	return send_answer(s, conn, status, "text/html; charset=utf-8", b->s,
	    b->len, set_cookie);
}

/* A page with a title and one paragraph of our own text plus an escaped
 * value (may be NULL). */
static enum MHD_Result
simple_page(struct lf_server *s, struct MHD_Connection *conn,
    unsigned int status, const char *root, const char *title,
    const char *text, const char *value, const char *text2)
{
	struct lf_buf b;
	enum MHD_Result ret;

	lf_buf_init(&b, PAGE_MAX);
	page_open(&b, title, root);
	lf_buf_add(&b, "<p>");
	lf_buf_html(&b, text);
	if (value != NULL) {
		lf_buf_add(&b, "<strong>");
		lf_buf_html(&b, value);
		lf_buf_add(&b, "</strong>");
	}
	if (text2 != NULL)
		lf_buf_html(&b, text2);
	lf_buf_add(&b, "</p>\n<p><a href=\"");
	lf_buf_add(&b, root[0] ? root : "./");
	lf_buf_add(&b, "\">Ask for a new link</a></p>\n");
	page_close(&b, root);
	ret = send_page(s, conn, status, &b, NULL);
	lf_buf_free(&b);
	return ret;
}

/* ------------------------------------------------------------ CSRF */

/* The CSRF cookie of the request when it is well formed, else a new one
 * (then *set is the Set-Cookie value to send). */
static void
csrf_cookie(struct lf_server *s, struct MHD_Connection *conn,
    char val[CSRF_COOKIE_LEN + 1], char *set, size_t setlen)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND,
	    s->cookie);
	unsigned char raw[32];

	set[0] = '\0';
	if (v != NULL && lf_id_valid(v)) {
		memcpy(val, v, CSRF_COOKIE_LEN + 1);
		return;
	}
	randombytes_buf(raw, sizeof(raw));
	pj_b64url_encode(raw, sizeof(raw), val);
	(void)snprintf(set, setlen, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s",
	    s->cookie, val, s->secure_cookie ? "; Secure" : "");
}

/* The form token: HMAC(key, FORM ":" cookie), base64url. */
static void
csrf_token(struct lf_server *s, const char *form, const char *cookie,
    char out[CSRF_LEN + 1])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, s->csrf_key, sizeof(s->csrf_key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)form,
	    strlen(form));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)":", 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)cookie,
	    strlen(cookie));
	crypto_auth_hmacsha256_final(&st, mac);
	pj_b64url_encode(mac, sizeof(mac), out);
}

/* 1 if the request carries the cookie and the matching form token. */
static int
csrf_ok(struct lf_server *s, struct MHD_Connection *conn, const char *form,
    const struct lf_form *f)
{
	const char *cookie = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND,
	    s->cookie);
	const char *got = lf_form_get(f, "csrf");
	char want[CSRF_LEN + 1];

	if (cookie == NULL || got == NULL || !lf_id_valid(cookie) ||
	    strlen(got) != CSRF_LEN)
		return 0;
	csrf_token(s, form, cookie, want);
	return sodium_memcmp(want, got, CSRF_LEN) == 0;
}

/* ------------------------------------------------------------ pages */

static enum MHD_Result
form_page(struct lf_server *s, struct MHD_Connection *conn, struct audit *a)
{
	char cookie[CSRF_COOKIE_LEN + 1], set[160], tok[CSRF_LEN + 1];
	struct lf_buf b;
	enum MHD_Result ret;
	size_t i, web = 0;

	csrf_cookie(s, conn, cookie, set, sizeof(set));
	csrf_token(s, "request", cookie, tok);
	lf_buf_init(&b, PAGE_MAX);
	page_open(&b, "Sign-in link", "");
	lf_buf_add(&b, "<p>Sign in to <strong>");
	lf_buf_html(&b, s->c->host);
	lf_buf_add(&b, "</strong> without a password: enter your account name "
	    "or e-mail address, and a link is sent to the address on file.</p>\n"
	    "<form method=\"post\" action=\"request\">\n"
	    "<input type=\"hidden\" name=\"csrf\" value=\"");
	lf_buf_html(&b, tok);
	lf_buf_add(&b, "\">\n<p><label for=\"who\">Account or e-mail address"
	    "</label><br><input id=\"who\" name=\"who\" type=\"text\" "
	    "maxlength=\"254\" autocomplete=\"username\" required autofocus></p>\n");
	for (i = 0; i < s->c->nkinds; i++)
		web += s->c->kinds[i].web != 0;
	if (web > 1) {
		lf_buf_add(&b, "<p><label for=\"kind\">For</label><br>"
		    "<select id=\"kind\" name=\"kind\">");
		for (i = 0; i < s->c->nkinds; i++) {
			if (!s->c->kinds[i].web)
				continue;
			lf_buf_add(&b, "<option value=\"");
			lf_buf_html(&b, s->c->kinds[i].name);
			lf_buf_add(&b, "\">");
			lf_buf_html(&b, s->c->kinds[i].name);
			lf_buf_add(&b, "</option>");
		}
		lf_buf_add(&b, "</select></p>\n");
	} else {
		/* the one kind the form offers (not always the first) */
		for (i = 0; i < s->c->nkinds; i++) {
			if (!s->c->kinds[i].web)
				continue;
			lf_buf_add(&b, "<input type=\"hidden\" name=\"kind\" value=\"");
			lf_buf_html(&b, s->c->kinds[i].name);
			lf_buf_add(&b, "\">\n");
			break;
		}
	}
	lf_buf_add(&b, "<p><button type=\"submit\" id=\"send\">Send me a link"
	    "</button></p>\n</form>\n");
	page_close(&b, "");
	a->event = "form";
	a->outcome = "shown";
	a->status = MHD_HTTP_OK;
	ret = send_page(s, conn, MHD_HTTP_OK, &b, set[0] ? set : NULL);
	lf_buf_free(&b);
	return ret;
}

static void
link_url(const struct lf_conf *c, const char *id, char *out, size_t len)
{
	size_t n = strlen(c->base_url);

	(void)snprintf(out, len, "%s%sl/%s", c->base_url,
	    n > 0 && c->base_url[n - 1] == '/' ? "" : "/", id);
}

/* A link for account (found in the directory at addr): kept and mailed.
 * The same calls are made for an unknown account (found = 0) and for every
 * refusal below, with keep = 0 so that nothing is kept or sent: the
 * answer takes the same work whether or not the account is known.
 * Returns the outcome word for the audit line. */
static const char *
issue(struct lf_server *s, const struct lf_kind *k, int found,
    const char *account, const char *addr, struct audit *a)
{
	char id[LF_ID_LEN + 1], url[2048], key[LF_ACCOUNT_MAX + 16], h8[17];
	unsigned char hash[LF_HASH_BYTES];
	struct lf_mail m;
	time_t now = time(NULL);
	int allowed, built, global, stored, pushed, keep;
	const char *outcome;

	lf_id_new(id, hash);
	link_url(s->c, id, url, sizeof(url));
	(void)snprintf(key, sizeof(key), "account:%s", found ? account : "");
	allowed = lf_rate_allow(&s->store, key, s->c->rate_per_account, now);
	built = lf_mail_build(s->c, k, found ? account : "nobody",
	    found ? addr : s->c->mail_from, url, now + (time_t)s->c->link_ttl,
	    &m) == 0;
	sodium_memzero(id, sizeof(id));
	sodium_memzero(url, sizeof(url));
	keep = found && allowed && built;
	global = lf_rate_global(&s->store, s->c->rate_mails, keep, now);
	keep = keep && global;
	stored = lf_store_add(&s->store, hash, found ? account : "nobody",
	    (size_t)(k - s->c->kinds), now, s->c->link_ttl, keep) == 0;
	keep = keep && stored;
	hash8(hash, h8);
	memcpy(m.link_hash8, h8, sizeof(m.link_hash8));
	pushed = lf_mailer_push(&s->mailer, &m, keep) == 0;
	if (!found)
		outcome = "unknown";
	else if (!allowed)
		outcome = "account-rate-limited";
	else if (!built)
		outcome = "mail-unfit";
	else if (!global)
		outcome = "service-rate-limited";
	else if (!stored)
		outcome = "store-full";
	else {
		memcpy(a->link, h8, sizeof(h8));
		outcome = pushed ? "queued" : "mail-queue-full";
	}
	lf_mail_clear(&m);
	sodium_memzero(h8, sizeof(h8));
	return outcome;
}

/* The rate-limit key of a client: its IPv4 address, or the /64 of its IPv6
 * address (one host usually has a whole /64 to pick addresses from). */
static void
client_key(const char *client, char *key, size_t len)
{
	struct in6_addr a6;
	char net[INET6_ADDRSTRLEN];

	if (inet_pton(AF_INET6, client, &a6) == 1 &&
	    !IN6_IS_ADDR_V4MAPPED(&a6)) {
		memset(a6.s6_addr + 8, 0, 8);
		if (inet_ntop(AF_INET6, &a6, net, sizeof(net)) != NULL) {
			(void)snprintf(key, len, "client:%s/64", net);
			return;
		}
	}
	(void)snprintf(key, len, "client:%s", client);
}

/* The kind the form means when it names none: the first it offers. */
static const struct lf_kind *
first_web_kind(const struct lf_conf *c)
{
	size_t i;

	for (i = 0; i < c->nkinds; i++)
		if (c->kinds[i].web)
			return &c->kinds[i];
	return NULL;
}

static enum MHD_Result
request_post(struct lf_server *s, struct MHD_Connection *conn,
    const struct lf_form *f, struct audit *a)
{
	char account[LF_ACCOUNT_MAX + 1], addr[LF_ADDR_MAX + 1];
	char key[LF_INPUT_MAX + 16], reason[LF_REASON_MAX] = "";
	const char *who = lf_form_get(f, "who"), *kn = lf_form_get(f, "kind");
	const struct lf_kind *k;
	struct lf_buf b;
	enum MHD_Result ret;
	time_t now = time(NULL);
	size_t i, wn;
	int found = 0;

	a->event = "request";
	if (!csrf_ok(s, conn, "request", f)) {
		a->outcome = "csrf";
		a->status = MHD_HTTP_FORBIDDEN;
		return simple_page(s, conn, a->status, "", "Form expired",
		    "The form was not sent from this page, or it is too old. "
		    "Open the page again and send it from there.", NULL, NULL);
	}
	k = kn != NULL ? lf_conf_kind(s->c, kn) : first_web_kind(s->c);
	if (who == NULL || k == NULL || !k->web) {
		a->outcome = "bad-form";
		a->status = MHD_HTTP_BAD_REQUEST;
		return simple_page(s, conn, a->status, "", "Bad request",
		    "The form was incomplete.", NULL, NULL);
	}
	a->kind = k->name;
	/* blanks around a pasted name or address do not count */
	while (*who == ' ')
		who++;
	wn = strlen(who);
	while (wn > 0 && who[wn - 1] == ' ')
		wn--;
	if (wn == 0 || wn > LF_INPUT_MAX) {
		a->outcome = "bad-form";
		a->status = MHD_HTTP_BAD_REQUEST;
		return simple_page(s, conn, a->status, "", "Bad request",
		    "Enter an account name or an e-mail address.", NULL, NULL);
	}
	client_key(a->client, key, sizeof(key));
	if (!lf_rate_allow(&s->store, key, s->c->rate_per_client, now)) {
		a->outcome = "client-rate-limited";
		a->status = MHD_HTTP_TOO_MANY_REQUESTS;
		return simple_page(s, conn, a->status, "", "Too many requests",
		    "Too many links were asked for from here. Try again later.",
		    NULL, NULL);
	}
	(void)snprintf(key, sizeof(key), "input:%.*s", (int)wn, who);
	for (i = 6; key[i]; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			key[i] = (char)(key[i] - 'A' + 'a');
	audit_who(a, key + 6);
	if (!lf_rate_allow(&s->store, key, s->c->rate_per_input, now)) {
		a->outcome = "input-rate-limited";
		a->status = MHD_HTTP_TOO_MANY_REQUESTS;
		return simple_page(s, conn, a->status, "", "Too many requests",
		    "Too many links were asked for this name. Try again later.",
		    NULL, NULL);
	}
	memcpy(key, who, wn);
	key[wn] = '\0';
	audit_who(a, key);
	if (lf_dir_find(&s->dir, key, account, addr, &found, reason,
	    sizeof(reason)) != PJ_OK)
		fprintf(stderr, "pamjwt-linkd: directory: %s (the previous "
		    "version stays in use)\n", reason);
	if (found)
		audit_account(a, account);
	a->outcome = issue(s, k, found, account, addr, a);
	a->status = MHD_HTTP_OK;
	/* one answer for every case above */
	lf_buf_init(&b, PAGE_MAX);
	page_open(&b, "Check your mail", "");
	lf_buf_add(&b, "<p>If <strong>");
	lf_buf_html(&b, key);
	lf_buf_printf(&b, "</strong> is known here, a sign-in link is on its "
	    "way to the e-mail address on file. It works once, within %lld "
	    "minutes.</p>\n<p class=\"note\">Nothing arrives? Check the "
	    "address with your administrator.</p>\n",
	    (s->c->link_ttl + 59) / 60);
	page_close(&b, "");
	ret = send_page(s, conn, MHD_HTTP_OK, &b, NULL);
	lf_buf_free(&b);
	sodium_memzero(addr, sizeof(addr));
	return ret;
}

static void
utc(time_t t, char *out, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, len, "%Y-%m-%d %H:%M UTC", &tm) == 0)
		(void)snprintf(out, len, "?");
}

static enum MHD_Result
link_state_page(struct lf_server *s, struct MHD_Connection *conn,
    enum lf_link_state st, struct audit *a)
{
	switch (st) {
	case LF_LINK_USED:
		a->outcome = "used";
		a->status = MHD_HTTP_GONE;
		return simple_page(s, conn, a->status, "../", "Link already used",
		    "This link was used already: a link gives one token, once. "
		    "If that was not you, tell your administrator.", NULL, NULL);
	case LF_LINK_EXPIRED:
		a->outcome = "expired";
		a->status = MHD_HTTP_GONE;
		return simple_page(s, conn, a->status, "../", "Link expired",
		    "This link has expired.", NULL, NULL);
	default:
		a->outcome = "unknown";
		a->status = MHD_HTTP_NOT_FOUND;
		return simple_page(s, conn, a->status, "../", "Link not valid",
		    "This link is not valid (it may be incomplete, or too old).",
		    NULL, NULL);
	}
}

static enum MHD_Result
link_get(struct lf_server *s, struct MHD_Connection *conn, const char *id,
    struct audit *a)
{
	char cookie[CSRF_COOKIE_LEN + 1], set[160], tok[CSRF_LEN + 1], until[64];
	unsigned char hash[LF_HASH_BYTES];
	const struct lf_kind *k;
	enum lf_link_state st = LF_LINK_UNKNOWN;
	struct lf_link l;
	struct lf_buf b;
	enum MHD_Result ret;

	a->event = "link-open";
	memset(&l, 0, sizeof(l));
	if (lf_id_valid(id)) {
		lf_id_hash(id, hash);
		hash8(hash, a->link);
		st = lf_store_peek(&s->store, hash, time(NULL), &l);
	}
	if (st != LF_LINK_VALID)
		return link_state_page(s, conn, st, a);
	k = &s->c->kinds[l.kind];
	audit_account(a, l.account);
	a->kind = k->name;
	csrf_cookie(s, conn, cookie, set, sizeof(set));
	csrf_token(s, "link", cookie, tok);
	utc(l.expires, until, sizeof(until));
	lf_buf_init(&b, PAGE_MAX);
	page_open(&b, k->show == LF_SHOW_SUDO ? "Use sudo" : "Sign in", "../");
	lf_buf_add(&b, k->show == LF_SHOW_SUDO ? "<p>Use sudo on <strong>" :
	    "<p>Sign in to <strong>");
	lf_buf_html(&b, s->c->host);
	lf_buf_add(&b, "</strong> as <strong id=\"account\">");
	lf_buf_html(&b, l.account);
	lf_buf_add(&b, "</strong>.</p>\n<p>This link expires at ");
	lf_buf_html(&b, until);
	lf_buf_add(&b, ". Pressing the button uses it up and shows a one-time "
	    "token.</p>\n<form method=\"post\" action=\"\">\n<input type=\"hidden\" "
	    "name=\"csrf\" value=\"");
	lf_buf_html(&b, tok);
	lf_buf_add(&b, "\">\n<p><button type=\"submit\" id=\"use\">Show my "
	    "token</button></p>\n</form>\n");
	page_close(&b, "../");
	a->outcome = "shown";
	a->status = MHD_HTTP_OK;
	ret = send_page(s, conn, MHD_HTTP_OK, &b, set[0] ? set : NULL);
	lf_buf_free(&b);
	return ret;
}

static enum MHD_Result
link_post(struct lf_server *s, struct MHD_Connection *conn, const char *id,
    const struct lf_form *f, struct audit *a)
{
	char reason[LF_REASON_MAX] = "", until[64], *tok = NULL;
	unsigned char hash[LF_HASH_BYTES];
	const struct lf_kind *k;
	enum lf_link_state st = LF_LINK_UNKNOWN;
	struct lf_link l;
	struct lf_buf b;
	enum MHD_Result ret;
	time_t now = time(NULL);
	long long ttl;
	int r;

	a->event = "link-use";
	memset(&l, 0, sizeof(l));
	if (lf_id_valid(id)) {
		lf_id_hash(id, hash);
		hash8(hash, a->link);
	}
	/* the form token first: a forged POST uses up nothing */
	if (!csrf_ok(s, conn, "link", f)) {
		a->outcome = "csrf";
		a->status = MHD_HTTP_FORBIDDEN;
		return simple_page(s, conn, a->status, "../", "Form expired",
		    "The button was not pressed on this site's page, or the page "
		    "is too old. Open the link from your mail again.", NULL, NULL);
	}
	if (a->link[0])
		st = lf_store_take(&s->store, hash, now, &l);
	if (st != LF_LINK_VALID)
		return link_state_page(s, conn, st, a);
	k = &s->c->kinds[l.kind];
	audit_account(a, l.account);
	a->kind = k->name;
	r = lf_mint(s->c, &s->minter, k, l.account, now, &tok, a->jti, reason,
	    sizeof(reason));
	if (r != PJ_OK) {
		lf_store_untake(&s->store, hash);
		fprintf(stderr, "pamjwt-linkd: minting failed: %s: %s\n",
		    pj_strerror(r), reason);
		a->outcome = "mint-failed";
		a->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		return simple_page(s, conn, a->status, "../", "Try again",
		    "The token could not be made. The link was not used up; try "
		    "again in a moment.", NULL, NULL);
	}
	ttl = k->token_ttl ? k->token_ttl : s->c->token_ttl;
	utc(now + (time_t)ttl, until, sizeof(until));
	lf_buf_init(&b, PAGE_MAX);
	page_open(&b, "Your token", "../");
	lf_buf_add(&b, "<p>For <strong id=\"account\">");
	lf_buf_html(&b, l.account);
	lf_buf_add(&b, "</strong> on <strong>");
	lf_buf_html(&b, s->c->host);
	lf_buf_add(&b, "</strong>. It is shown only this once, works once, "
	    "and only until ");
	lf_buf_html(&b, until);
	lf_buf_add(&b, ".</p>\n<p><textarea id=\"token\" rows=\"6\" readonly "
	    "spellcheck=\"false\">");
	lf_buf_html(&b, tok);
	lf_buf_add(&b, "</textarea></p>\n<p><button type=\"button\" id=\"copy\" "
	    "hidden>Copy the token</button></p>\n");
	if (k->show == LF_SHOW_SUDO) {
		lf_buf_add(&b, "<p>Run sudo and paste the token at the "
		    "<code>Token:</code> prompt:</p>\n<pre>sudo -k -i</pre>\n"
		    "<p>Or let sudo ask <code>pamjwt askpass</code>: save the "
		    "token in a file only you can read, then</p>\n<pre>"
		    "PAMJWT_TOKEN_FILE=~/.magic-token SUDO_ASKPASS=/usr/bin/pamjwt-askpass "
		    "sudo -A -k -i</pre>\n");
	} else {
		lf_buf_add(&b, "<p>Run this and paste the token at the "
		    "<code>Token:</code> prompt:</p>\n<pre>ssh ");
		lf_buf_html(&b, l.account);
		lf_buf_add(&b, "@");
		lf_buf_html(&b, s->c->host);
		lf_buf_add(&b, "</pre>\n<p>Or let ssh ask <code>pamjwt askpass</code>: "
		    "save the token in a file only you can read, then</p>\n<pre>"
		    "PAMJWT_TOKEN_FILE=~/.magic-token SSH_ASKPASS=pamjwt-askpass "
		    "SSH_ASKPASS_REQUIRE=force ssh ");
		lf_buf_html(&b, l.account);
		lf_buf_add(&b, "@");
		lf_buf_html(&b, s->c->host);
		lf_buf_add(&b, "</pre>\n");
	}
	page_close(&b, "../");
	a->outcome = "minted";
	a->status = MHD_HTTP_OK;
	ret = send_page(s, conn, MHD_HTTP_OK, &b, NULL);
	lf_buf_free(&b);
	sodium_memzero(tok, strlen(tok));
	free(tok);
	return ret;
}

static enum MHD_Result
text_answer(struct lf_server *s, struct MHD_Connection *conn,
    unsigned int status, const char *text)
{
	return send_answer(s, conn, status, "text/plain; charset=utf-8", text,
	    strlen(text), NULL);
}

static enum MHD_Result
admin_send(struct lf_server *s, struct MHD_Connection *conn,
    const struct lf_form *f, struct audit *a)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Authorization");
	const char *who = lf_form_get(f, "account"), *kn = lf_form_get(f, "kind");
	char account[LF_ACCOUNT_MAX + 1], addr[LF_ADDR_MAX + 1];
	char reason[LF_REASON_MAX] = "", msg[512];
	unsigned char h[crypto_hash_sha256_BYTES];
	const struct lf_kind *k;
	int found = 0;

	a->event = "admin-send";
	if (!s->have_admin || auth == NULL || strncmp(auth, "Bearer ", 7) != 0) {
		a->outcome = "unauthorized";
		a->status = MHD_HTTP_UNAUTHORIZED;
		return text_answer(s, conn, a->status, "unauthorized\n");
	}
	crypto_hash_sha256(h, (const unsigned char *)auth + 7, strlen(auth + 7));
	if (sodium_memcmp(h, s->admin_hash, sizeof(h)) != 0) {
		a->outcome = "unauthorized";
		a->status = MHD_HTTP_UNAUTHORIZED;
		return text_answer(s, conn, a->status, "unauthorized\n");
	}
	k = lf_conf_kind(s->c, kn);
	if (who == NULL || k == NULL || !pj_user_name_valid(who)) {
		a->outcome = "bad-form";
		a->status = MHD_HTTP_BAD_REQUEST;
		return text_answer(s, conn, a->status,
		    "need account=NAME (a valid account name) and a configured "
		    "kind\n");
	}
	audit_who(a, who);
	a->kind = k->name;
	if (lf_dir_find(&s->dir, who, account, addr, &found, reason,
	    sizeof(reason)) != PJ_OK)
		fprintf(stderr, "pamjwt-linkd: directory: %s (the previous "
		    "version stays in use)\n", reason);
	if (!found) {
		a->outcome = "unknown";
		a->status = MHD_HTTP_NOT_FOUND;
		return text_answer(s, conn, a->status,
		    "the directory has no address for this account\n");
	}
	audit_account(a, account);
	a->outcome = issue(s, k, 1, account, addr, a);
	if (strcmp(a->outcome, "queued") != 0) {
		a->status = MHD_HTTP_SERVICE_UNAVAILABLE;
		(void)snprintf(msg, sizeof(msg), "not sent: %s\n", a->outcome);
		return text_answer(s, conn, a->status, msg);
	}
	a->status = MHD_HTTP_ACCEPTED;
	(void)snprintf(msg, sizeof(msg), "queued: a %s link for %s to %s\n",
	    k->name, account, addr);
	return text_answer(s, conn, a->status, msg);
}

/* ------------------------------------------------------------ dispatch */

static void
client_of(struct lf_server *s, struct MHD_Connection *conn,
    char out[INET6_ADDRSTRLEN])
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const char *xff, *last;
	unsigned char tmp[16];
	char buf[INET6_ADDRSTRLEN];
	size_t n;

	(void)snprintf(out, INET6_ADDRSTRLEN, "-");
	if (ci != NULL && ci->client_addr != NULL) {
		if (ci->client_addr->sa_family == AF_INET)
			(void)inet_ntop(AF_INET,
			    &((const struct sockaddr_in *)(const void *)
			    ci->client_addr)->sin_addr, out, INET6_ADDRSTRLEN);
		else if (ci->client_addr->sa_family == AF_INET6)
			(void)inet_ntop(AF_INET6,
			    &((const struct sockaddr_in6 *)(const void *)
			    ci->client_addr)->sin6_addr, out, INET6_ADDRSTRLEN);
	}
	if (!s->c->trust_proxy)
		return;
	/* the address the proxy appended: the last item, when it is one */
	xff = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "X-Forwarded-For");
	if (xff == NULL)
		return;
	last = strrchr(xff, ',');
	last = last ? last + 1 : xff;
	while (*last == ' ')
		last++;
	n = strlen(last);
	while (n > 0 && last[n - 1] == ' ')
		n--;
	if (n == 0 || n >= sizeof(buf))
		return;
	memcpy(buf, last, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, tmp) == 1 || inet_pton(AF_INET6, buf, tmp) == 1)
		memcpy(out, buf, n + 1);
}

static enum MHD_Result
route(struct lf_server *s, struct MHD_Connection *conn, const char *url,
    const char *method, struct req *rq, struct audit *a)
{
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int post = strcmp(method, "POST") == 0;
	struct lf_form f;
	enum MHD_Result ret;
	const char *type;

	memset(&f, 0, sizeof(f));
	if (strcmp(url, "/static/linkd.js") == 0 && get) {
		a->event = "static";
		a->outcome = "shown";
		a->status = MHD_HTTP_OK;
		return send_answer(s, conn, MHD_HTTP_OK,
		    "text/javascript; charset=utf-8", js, sizeof(js) - 1, NULL);
	}
	if (strcmp(url, "/static/linkd.css") == 0 && get) {
		a->event = "static";
		a->outcome = "shown";
		a->status = MHD_HTTP_OK;
		return send_answer(s, conn, MHD_HTTP_OK, "text/css; charset=utf-8",
		    css, sizeof(css) - 1, NULL);
	}
	if (strcmp(url, "/") == 0 && get)
		return form_page(s, conn, a);
	if (strncmp(url, "/l/", 3) == 0 && get) {
		a->path = "/l/*";
		return link_get(s, conn, url + 3, a);
	}
	if (post && (strcmp(url, "/request") == 0 || strncmp(url, "/l/", 3) == 0 ||
	    strcmp(url, "/admin/send") == 0)) {
		if (strncmp(url, "/l/", 3) == 0)
			a->path = "/l/*";
		type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    "Content-Type");
		if (rq->too_big) {
			a->event = "post";
			a->outcome = "too-large";
			a->status = MHD_HTTP_CONTENT_TOO_LARGE;
			return text_answer(s, conn, a->status, "request too large\n");
		}
		if (type == NULL || strncasecmp(type,
		    "application/x-www-form-urlencoded", 33) != 0 ||
		    lf_form_parse(rq->body.s ? rq->body.s : "", rq->body.len,
		    &f) != 0) {
			a->event = "post";
			a->outcome = "bad-form";
			a->status = MHD_HTTP_BAD_REQUEST;
			return text_answer(s, conn, a->status, "bad form\n");
		}
		if (strcmp(url, "/request") == 0)
			ret = request_post(s, conn, &f, a);
		else if (strcmp(url, "/admin/send") == 0)
			ret = admin_send(s, conn, &f, a);
		else
			ret = link_post(s, conn, url + 3, &f, a);
		lf_form_free(&f);
		return ret;
	}
	if (strcmp(url, "/") == 0 || strcmp(url, "/request") == 0 ||
	    strncmp(url, "/l/", 3) == 0 || strncmp(url, "/static/", 8) == 0 ||
	    strcmp(url, "/admin/send") == 0) {
		if (strncmp(url, "/l/", 3) == 0)
			a->path = "/l/*";
		a->event = "other";
		a->outcome = "method";
		a->status = MHD_HTTP_METHOD_NOT_ALLOWED;
		return text_answer(s, conn, a->status, "method not allowed\n");
	}
	a->path = "-";
	a->event = "other";
	a->outcome = "not-found";
	a->status = MHD_HTTP_NOT_FOUND;
	return text_answer(s, conn, a->status, "not found\n");
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct lf_server *s = cls;
	struct req *rq = *con_cls;
	struct audit a;
	char path[PJ_LOGVAL_SIZE(64)], meth[PJ_LOGVAL_SIZE(16)];
	const char *cl;
	long long n;
	enum MHD_Result ret;

	(void)version;
	if (rq == NULL) {
		rq = calloc(1, sizeof(*rq));
		if (rq == NULL)
			return MHD_NO;
		lf_buf_init(&rq->body, LF_FORM_BODY_MAX);
		*con_cls = rq;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    "Content-Length");
		if (cl != NULL && (pj_parse_ll(cl, 0, LF_FORM_BODY_MAX, &n) != 0))
			rq->too_big = 1;
		if (!rq->too_big)
			return MHD_YES;
		/* answered now, before the body is read */
	}
	if (*upload_data_size != 0) {
		lf_buf_addn(&rq->body, upload_data, *upload_data_size);
		if (rq->body.failed)
			rq->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	memset(&a, 0, sizeof(a));
	client_of(s, conn, a.client);
	pj_logstr(meth, sizeof(meth), method, 16);
	pj_logstr(path, sizeof(path), url, 64);
	a.method = meth;
	a.path = path;
	a.event = "other";
	a.outcome = "-";
	ret = route(s, conn, url, method, rq, &a);
	audit_log(&a);
	return ret;
}

static void
completed_cb(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq == NULL)
		return;
	lf_buf_free(&rq->body);
	free(rq);
	*con_cls = NULL;
}

/* ------------------------------------------------------------ serve */

static int
load_admin(struct lf_server *s, char *reason, size_t rlen)
{
	char *buf = NULL;
	size_t len = 0;
	int r;

	if (s->c->admin_secret_file == NULL)
		return PJ_OK;
	r = pj_file_read(s->c->admin_secret_file, PJ_FILE_SECRET,
	    ADMIN_SECRET_MAX, PJ_E_KEY, &buf, &len, NULL, reason, rlen);
	if (r != PJ_OK)
		return r;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	if (len < 32) {
		pj_file_free(buf, len);
		return pj_reason(PJ_E_KEY, reason, rlen, "%s: an admin secret has "
		    "at least 32 bytes", s->c->admin_secret_file);
	}
	crypto_hash_sha256(s->admin_hash, (const unsigned char *)buf, len);
	s->have_admin = 1;
	pj_file_free(buf, len);
	return PJ_OK;
}

int
lf_serve(const struct lf_conf *c)
{
	struct lf_server s;
	struct MHD_Daemon *d = NULL;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr *sa;
	char reason[LF_REASON_MAX] = "", *cert = NULL, *key = NULL;
	size_t certlen = 0, keylen = 0;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	    MHD_USE_ERROR_LOG;
	int dir_open = 0, store_open = 0, r = 1, sig;
	sigset_t set;

	memset(&s, 0, sizeof(s));
	s.c = c;
	s.tls = c->tls_cert_file != NULL;
	s.secure_cookie = s.tls || strncmp(c->base_url, "https://", 8) == 0;
	s.cookie = s.secure_cookie ? "__Host-linkd_csrf" : "linkd_csrf";
	randombytes_buf(s.csrf_key, sizeof(s.csrf_key));
	if (lf_dir_open(&s.dir, c->directory, reason, sizeof(reason)) != PJ_OK) {
		fprintf(stderr, "pamjwt-linkd: directory: %s\n", reason);
		goto out;
	}
	dir_open = 1;
	if (lf_minter_load(c, &s.minter, reason, sizeof(reason)) != PJ_OK) {
		fprintf(stderr, "pamjwt-linkd: key_file: %s\n", reason);
		goto out;
	}
	if (load_admin(&s, reason, sizeof(reason)) != PJ_OK) {
		fprintf(stderr, "pamjwt-linkd: admin_secret_file: %s\n", reason);
		goto out;
	}
	if (lf_store_init(&s.store, c->max_links, c->rate_slots,
	    c->rate_window) != 0) {
		fprintf(stderr, "pamjwt-linkd: out of memory\n");
		goto out;
	}
	store_open = 1;
	if (s.tls) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			fprintf(stderr, "pamjwt-linkd: this libmicrohttpd has no TLS\n");
			goto out;
		}
		if (pj_file_read(c->tls_cert_file, PJ_FILE_PUBLIC, TLS_FILE_MAX,
		    PJ_E_CONFIG, &cert, &certlen, NULL, reason,
		    sizeof(reason)) != PJ_OK ||
		    pj_file_read(c->tls_key_file, PJ_FILE_SECRET, TLS_FILE_MAX,
		    PJ_E_KEY, &key, &keylen, NULL, reason, sizeof(reason)) != PJ_OK) {
			fprintf(stderr, "pamjwt-linkd: TLS: %s\n", reason);
			goto out;
		}
		flags |= MHD_USE_TLS;
	}
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, c->listen_addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)c->listen_port);
		sa = (struct sockaddr *)&sin;
	} else {
		if (inet_pton(AF_INET6, c->listen_addr, &sin6.sin6_addr) != 1) {
			fprintf(stderr, "pamjwt-linkd: listen: bad address\n");
			goto out;
		}
		sin6.sin6_family = AF_INET6;
		sin6.sin6_port = htons((uint16_t)c->listen_port);
		sa = (struct sockaddr *)&sin6;
		flags |= MHD_USE_IPv6;
	}
	/* the signals are taken by sigwait below, in this thread only */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	(void)pthread_sigmask(SIG_BLOCK, &set, NULL);
	(void)signal(SIGPIPE, SIG_IGN);
	if (lf_mailer_start(&s.mailer, c) != 0) {
		fprintf(stderr, "pamjwt-linkd: cannot start the mail thread\n");
		goto out;
	}
	if (s.tls)
		d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, &s,
		    MHD_OPTION_SOCK_ADDR, sa,
		    MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->max_per_client,
		    MHD_OPTION_CONNECTION_TIMEOUT, c->connection_timeout,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
		    MHD_OPTION_THREAD_POOL_SIZE, c->threads,
		    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, &s,
		    MHD_OPTION_HTTPS_MEM_CERT, cert,
		    MHD_OPTION_HTTPS_MEM_KEY, key,
		    MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, 0, NULL, NULL, access_cb, &s,
		    MHD_OPTION_SOCK_ADDR, sa,
		    MHD_OPTION_CONNECTION_LIMIT, c->max_connections,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, c->max_per_client,
		    MHD_OPTION_CONNECTION_TIMEOUT, c->connection_timeout,
		    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HEADER_MEMORY,
		    MHD_OPTION_THREAD_POOL_SIZE, c->threads,
		    MHD_OPTION_NOTIFY_COMPLETED, completed_cb, &s,
		    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "pamjwt-linkd: cannot listen on %s port %u: %s\n",
		    c->listen_addr, c->listen_port, strerror(errno));
		goto out;
	}
	fprintf(stderr, "pamjwt-linkd: listening on %s port %u (%s)\n",
	    c->listen_addr, c->listen_port, s.tls ? "https" : "http");
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			/* the directory follows its file by itself */
			fprintf(stderr, "pamjwt-linkd: SIGHUP: the directory is "
			    "re-read when it changes; restart for the config\n");
			continue;
		}
		break;
	}
	fprintf(stderr, "pamjwt-linkd: stopping\n");
	r = 0;
out:
	if (d != NULL)
		MHD_stop_daemon(d);
	lf_mailer_stop(&s.mailer);
	lf_minter_free(&s.minter);
	if (store_open)
		lf_store_free(&s.store);
	if (dir_open)
		lf_dir_close(&s.dir);
	pj_file_free(cert, certlen);
	pj_file_free(key, keylen);
	sodium_memzero(&s, sizeof(s));
	return r;
}
