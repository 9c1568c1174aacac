/* login_flow.c - getting a token from the OpenID Provider for `pamjwt
 * login`: discovery (tools/oidc.c), the Device Authorization Grant (RFC
 * 8628), the Authorization Code grant with PKCE (RFC 7636, S256) on a
 * loopback redirect (RFC 8252; libmicrohttpd listens once on 127.0.0.1),
 * the refresh token grant, and the local check of every token before it is
 * cached: signature against the provider's JWK Set with the module's own
 * verifier (lib/jws.c, lib/claims.c), iss, aud, exp, nonce.
 *
 * Every request goes through tools/http.c (libcurl: HTTPS only, TLS
 * verified, bounded in size and time).  Tokens, codes and the PKCE
 * verifier never appear on a command line or in a message.
 */
#include "login.h"
#include "oidc.h"

#include "lib/alg.h"
#include "lib/b64url.h"
#include "lib/claims.h"
#include "lib/err.h"
#include "lib/jwk.h"
#include "lib/jws.h"
#include "lib/key.h"
#include "lib/logval.h"
#include "lib/options.h"
#include "lib/verify.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <qrencode.h>
#include <signal.h>
#include <sodium.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ERRLEN 512
/* random values: state, nonce, PKCE verifier (RFC 7636: 43..128 chars) */
#define RAND_BYTES 32
#define RAND_CHARS (PJ_B64URL_ENCODED_LEN(RAND_BYTES) + 1)
#define CALLBACK_PATH "/callback"
#define CODE_MAX 2048
#define USER_CODE_MAX 64

extern char **environ;

struct session {
	const struct pjt_login_conf *c;
	struct pjt_http_opts http;
	struct pjt_oidc_meta meta;
	char *jwks;
	size_t jwks_len;
};

static long long
now_s(void)
{
	return (long long)time(NULL);
}

static void
random_b64(char out[RAND_CHARS])
{
	unsigned char b[RAND_BYTES];

	randombytes_buf(b, sizeof(b));
	pj_b64url_encode(b, sizeof(b), out);
	sodium_memzero(b, sizeof(b));
}

static void
session_free(struct session *s)
{
	pjt_oidc_meta_free(&s->meta);
	free(s->jwks);
	s->jwks = NULL;
}

/* Discovery and the JWK Set.  0 or -1 (message printed). */
static int
session_open(struct session *s, const struct pjt_login_conf *c)
{
	char err[ERRLEN];
	struct pjt_http_resp resp;
	int h, r = -1;

	memset(s, 0, sizeof(*s));
	memset(&resp, 0, sizeof(resp));
	s->c = c;
	s->http.ca_file = c->ca_file;
	s->http.max_size = PJT_LOGIN_ANSWER_MAX;
	if (pjt_oidc_discover(c->issuer, &s->http, &s->meta, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "pamjwt login: the provider %s cannot be reached "
		    "or answered wrongly: %s\n", c->issuer, err);
		goto out;
	}
	s->http.max_size = PJ_JWKS_MAX;
	h = pjt_http_get(s->meta.jwks_uri, &s->http, &resp, err, sizeof(err));
	s->http.max_size = PJT_LOGIN_ANSWER_MAX;
	if (h != PJT_HTTP_OK || resp.status != 200) {
		fprintf(stderr, "pamjwt login: the provider's keys (%s): %s\n",
		    s->meta.jwks_uri, h != PJT_HTTP_OK ? err : "not HTTP 200");
		goto out;
	}
	s->jwks = resp.body;
	s->jwks_len = resp.len;
	resp.body = NULL;   /* transferred */
	r = 0;
out:
	pjt_http_resp_free(&resp);
	if (r != 0)
		session_free(s);
	return r;
}

int
pjt_login_check_token(const char *token, const char *jwks, size_t jwks_len,
    const char *issuer, const char *aud, const char *client_id,
    const char *nonce, long long now, long long *exp, char *err,
    size_t errlen)
{
	struct pj_keyset ks;
	struct pj_jws jws;
	struct pj_options o;
	json_t *claims = NULL, *v;
	char reason[PJ_REASON_MAX] = "";
	int r = -1, e;

	memset(&ks, 0, sizeof(ks));
	memset(&jws, 0, sizeof(jws));
	pj_options_init(&o);
	*exp = 0;
	e = pj_jwks_parse(jwks, jwks_len, &ks, reason, sizeof(reason));
	if (e != PJ_OK) {
		(void)snprintf(err, errlen, "the provider's JWK Set: %s: %s",
		    pj_strerror(e), reason);
		goto out;
	}
	/* a provider signs with its private key: never an HMAC */
	e = pj_jws_verify(token, strlen(token), &ks, PJ_ALG_ALL & ~PJ_ALG_HMAC,
	    &jws, reason, sizeof(reason));
	if (e == PJ_OK)
		e = pj_claims_parse(jws.payload, jws.payload_len, &claims, reason,
		    sizeof(reason));
	if (e == PJ_OK &&
	    ((e = pj_options_set(&o, PJ_LEVEL_ARG, "issuer", issuer, reason,
	    sizeof(reason))) != PJ_OK ||
	    (e = pj_options_set(&o, PJ_LEVEL_ARG, "audience", aud, reason,
	    sizeof(reason))) != PJ_OK))
		e = PJ_E_CONFIG;
	if (e == PJ_OK)
		e = pj_claims_check(&o, claims, jws.typ, now, reason,
		    sizeof(reason));
	if (e != PJ_OK) {
		(void)snprintf(err, errlen, "%s: %s", pj_strerror(e), reason);
		goto out;
	}
	if (nonce != NULL) {
		v = json_object_get(claims, "nonce");
		if (!json_is_string(v) || strcmp(json_string_value(v), nonce) != 0) {
			(void)snprintf(err, errlen, "the ID token's nonce is missing or "
			    "not the one this login sent");
			goto out;
		}
	}
	/* an ID token for several audiences must name us as its azp */
	v = json_object_get(claims, "azp");
	if (client_id != NULL && v != NULL && (!json_is_string(v) ||
	    strcmp(json_string_value(v), client_id) != 0)) {
		(void)snprintf(err, errlen, "the token's azp is not this client");
		goto out;
	}
	if (pj_claims_numeric(json_object_get(claims, "exp"), exp) != 0) {
		(void)snprintf(err, errlen, "no exp");
		goto out;
	}
	r = 0;
out:
	json_decref(claims);
	pj_jws_clear(&jws);
	pj_keyset_free(&ks);
	pj_options_free(&o);
	return r;
}

int
pjt_login_token_fits(const char *token, const char *issuer, const char *want,
    long long now, long long margin, char *err, size_t errlen)
{
	const char *d1 = strchr(token, '.'), *d2;
	unsigned char *payload = NULL;
	size_t plen = 0;
	json_t *claims = NULL, *aud, *it;
	char reason[PJ_REASON_MAX] = "";
	long long exp;
	size_t i;
	int ok = -1, found = 0;

	d2 = d1 != NULL ? strchr(d1 + 1, '.') : NULL;
	if (d2 == NULL || pj_b64url_decode_alloc(d1 + 1, (size_t)(d2 - d1 - 1),
	    &payload, &plen) != PJ_OK || pj_claims_parse(payload, plen, &claims,
	    reason, sizeof(reason)) != PJ_OK) {
		(void)snprintf(err, errlen, "the cached token is malformed");
		goto out;
	}
	it = json_object_get(claims, "iss");
	if (!json_is_string(it) || strcmp(json_string_value(it), issuer) != 0) {
		(void)snprintf(err, errlen, "the cached token is from another issuer");
		goto out;
	}
	aud = json_object_get(claims, "aud");
	if (json_is_string(aud)) {
		found = strcmp(json_string_value(aud), want) == 0;
	} else if (json_is_array(aud)) {
		json_array_foreach(aud, i, it)
			if (json_is_string(it) &&
			    strcmp(json_string_value(it), want) == 0)
				found = 1;
	}
	if (!found) {
		(void)snprintf(err, errlen, "the cached token is for another audience");
		goto out;
	}
	if (pj_claims_numeric(json_object_get(claims, "exp"), &exp) != 0 ||
	    exp - margin <= now) {
		(void)snprintf(err, errlen, "the cached token has expired or expires "
		    "within %lld seconds", margin);
		ok = 0;
		goto out;
	}
	ok = 1;
out:
	json_decref(claims);
	if (payload != NULL) {
		sodium_memzero(payload, plen);
		free(payload);
	}
	return ok;
}

/* The token endpoint's answer: the token to keep (id_token or
 * access_token), checked; refresh token.  0 ok, -1 failed (printed).
 * *oauth_err gets the "error" member of a 400 answer (or NULL). */
struct token_answer {
	char *token;
	char *refresh;
	long long exp;
	char oauth_err[64];
	char oauth_desc[160];
};

static void
token_answer_free(struct token_answer *t)
{
	if (t->token != NULL) {
		sodium_memzero(t->token, strlen(t->token));
		free(t->token);
	}
	if (t->refresh != NULL) {
		sodium_memzero(t->refresh, strlen(t->refresh));
		free(t->refresh);
	}
	memset(t, 0, sizeof(*t));
}

/* POST to the token endpoint and interpret the answer.  Returns 0 with a
 * checked token, 1 with t->oauth_err set (an OAuth error answer), -1 on a
 * transport or validation failure (printed unless quiet). */
static int
token_request(struct session *s, const char *const *pairs, const char *nonce,
    struct token_answer *t)
{
	struct pjt_http_resp resp;
	json_t *o = NULL, *v;
	json_error_t je;
	char err[ERRLEN];
	const char *want, *tok;
	int h, r = -1;

	memset(t, 0, sizeof(*t));
	memset(&resp, 0, sizeof(resp));
	if (s->meta.token_endpoint == NULL) {
		fprintf(stderr, "pamjwt login: the provider has no token endpoint\n");
		goto out;
	}
	h = pjt_http_post_form(s->meta.token_endpoint, &s->http, pairs, &resp,
	    err, sizeof(err));
	if (h != PJT_HTTP_OK) {
		fprintf(stderr, "pamjwt login: token endpoint: %s\n", err);
		goto out;
	}
	o = json_loadb(resp.body, resp.len, JSON_REJECT_DUPLICATES, &je);
	if (o == NULL || !json_is_object(o)) {
		fprintf(stderr, "pamjwt login: the token endpoint's answer (HTTP "
		    "%ld) is no JSON object\n", resp.status);
		goto out;
	}
	if (resp.status != 200) {
		v = json_object_get(o, "error");
		pj_logstr(t->oauth_err, sizeof(t->oauth_err),
		    json_is_string(v) ? json_string_value(v) : "unknown", 48);
		v = json_object_get(o, "error_description");
		pj_sanitize(t->oauth_desc, sizeof(t->oauth_desc),
		    json_is_string(v) ? json_string_value(v) : "");
		r = 1;
		goto out;
	}
	want = s->c->kind == PJT_TOKEN_ACCESS ? "access_token" : "id_token";
	v = json_object_get(o, want);
	if (!json_is_string(v) || json_string_length(v) > PJ_TOKEN_MAX) {
		fprintf(stderr, "pamjwt login: the provider's answer has no %s "
		    "(%s)\n", want, s->c->kind == PJT_TOKEN_ACCESS ?
		    "does it issue JWT access tokens for this resource?" :
		    "is \"openid\" in the scope?");
		goto out;
	}
	tok = json_string_value(v);
	if (pjt_login_check_token(tok, s->jwks, s->jwks_len, s->c->issuer,
	    pjt_login_expected_aud(s->c), s->c->kind == PJT_TOKEN_ID ?
	    s->c->client_id : NULL, s->c->kind == PJT_TOKEN_ID ? nonce : NULL,
	    now_s(), &t->exp, err, sizeof(err)) != 0) {
		fprintf(stderr, "pamjwt login: the %s from the provider does not "
		    "verify, not stored: %s\n", want, err);
		goto out;
	}
	/* with an access token, the ID token (if any) must carry our nonce */
	v = json_object_get(o, "id_token");
	if (s->c->kind == PJT_TOKEN_ACCESS && nonce != NULL && json_is_string(v)) {
		long long e2;

		if (pjt_login_check_token(json_string_value(v), s->jwks,
		    s->jwks_len, s->c->issuer, s->c->client_id, s->c->client_id,
		    nonce, now_s(), &e2, err, sizeof(err)) != 0) {
			fprintf(stderr, "pamjwt login: the ID token does not "
			    "verify: %s\n", err);
			goto out;
		}
	}
	t->token = strdup(tok);
	v = json_object_get(o, "refresh_token");
	if (json_is_string(v) && json_string_length(v) <= PJ_TOKEN_MAX)
		t->refresh = strdup(json_string_value(v));
	if (t->token == NULL) {
		fprintf(stderr, "pamjwt login: out of memory\n");
		goto out;
	}
	r = 0;
out:
	json_decref(o);
	if (resp.body != NULL)
		sodium_memzero(resp.body, resp.len);
	pjt_http_resp_free(&resp);
	if (r != 0 && r != 1)
		token_answer_free(t);
	return r;
}

/* ------------------------------------------------------------------ */
/* Device Authorization Grant (RFC 8628)                               */

/* The QR code of text on stderr, two modules a character (Unicode half
 * blocks), with the quiet zone; libqrencode does the encoding. */
static void
print_qr(const char *text)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_L, QR_MODE_8, 1);
	int x, y, w, top, bot;
	const int quiet = 2;

	if (q == NULL)
		return;
	w = q->width;
	for (y = -quiet; y < w + quiet; y += 2) {
		for (x = -quiet; x < w + quiet; x++) {
			top = y >= 0 && y < w && x >= 0 && x < w &&
			    (q->data[y * w + x] & 1);
			bot = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w &&
			    (q->data[(y + 1) * w + x] & 1);
			/* dark modules as spaces on a light background */
			fputs(top && bot ? " " : top ? "\xe2\x96\x84" :
			    bot ? "\xe2\x96\x80" : "\xe2\x96\x88", stderr);
		}
		fputc('\n', stderr);
	}
	QRcode_free(q);
}

static int
json_ll(json_t *o, const char *name, long long dflt, long long min,
    long long max, long long *out)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL) {
		*out = dflt;
		return 0;
	}
	if (!json_is_integer(v))
		return -1;
	*out = (long long)json_integer_value(v);
	if (*out < min)
		*out = min;
	if (*out > max)
		*out = max;
	return 0;
}

static int
device_flow(struct session *s, struct token_answer *t)
{
	const struct pjt_login_conf *c = s->c;
	const char *dpairs[16];
	const char *tpairs[16];
	struct pjt_http_resp resp;
	json_t *o = NULL, *v;
	json_error_t je;
	char err[ERRLEN];
	char user_code[PJ_LOGVAL_SIZE(USER_CODE_MAX)];
	const char *uri, *uri_c, *device_code;
	long long interval, expires_in, deadline, waited;
	size_t n = 0;
	int h, r = -1, q;

	memset(&resp, 0, sizeof(resp));
	if (s->meta.device_authorization_endpoint == NULL) {
		fprintf(stderr, "pamjwt login: the provider offers no device "
		    "authorization endpoint; use --browser\n");
		goto out;
	}
	dpairs[n++] = "client_id";
	dpairs[n++] = c->client_id;
	dpairs[n++] = "scope";
	dpairs[n++] = c->scope;
	if (c->kind == PJT_TOKEN_ACCESS) {
		dpairs[n++] = "resource";
		dpairs[n++] = c->resource != NULL ? c->resource : c->audience;
	}
	dpairs[n] = NULL;
	h = pjt_http_post_form(s->meta.device_authorization_endpoint, &s->http,
	    dpairs, &resp, err, sizeof(err));
	if (h != PJT_HTTP_OK) {
		fprintf(stderr, "pamjwt login: device authorization: %s\n", err);
		goto out;
	}
	o = json_loadb(resp.body, resp.len, JSON_REJECT_DUPLICATES, &je);
	if (resp.status != 200 || o == NULL || !json_is_object(o)) {
		v = o != NULL ? json_object_get(o, "error") : NULL;
		pj_logstr(err, sizeof(err), json_is_string(v) ?
		    json_string_value(v) : "no JSON answer", 64);
		fprintf(stderr, "pamjwt login: device authorization refused "
		    "(HTTP %ld): %s\n", resp.status, err);
		goto out;
	}
	v = json_object_get(o, "device_code");
	device_code = json_is_string(v) ? json_string_value(v) : NULL;
	v = json_object_get(o, "user_code");
	pj_logstr(user_code, sizeof(user_code), json_is_string(v) ?
	    json_string_value(v) : NULL, USER_CODE_MAX);
	v = json_object_get(o, "verification_uri");
	uri = json_is_string(v) ? json_string_value(v) : NULL;
	v = json_object_get(o, "verification_uri_complete");
	uri_c = json_is_string(v) ? json_string_value(v) : NULL;
	if (device_code == NULL || strlen(device_code) > CODE_MAX ||
	    user_code[0] == '\0' || uri == NULL || !pjt_http_url_ok(uri, 0) ||
	    (uri_c != NULL && !pjt_http_url_ok(uri_c, 0)) ||
	    json_ll(o, "interval", 5, 1, 60, &interval) != 0 ||
	    json_ll(o, "expires_in", 600, 1, PJT_LOGIN_WAIT_MAX,
	    &expires_in) != 0) {
		fprintf(stderr, "pamjwt login: the device authorization answer "
		    "is incomplete or malformed\n");
		goto out;
	}
	/* shown escaped: a URL passed pjt_http_url_ok (printable, no space) */
	fprintf(stderr, "To sign in, open %s\nand enter the code %s\n", uri,
	    user_code);
	if (uri_c != NULL)
		fprintf(stderr, "or open %s\n", uri_c);
	if (!c->no_qr && isatty(STDERR_FILENO))
		print_qr(uri_c != NULL ? uri_c : uri);
	fprintf(stderr, "Waiting for you to approve (%lld seconds) ...\n",
	    expires_in < c->wait ? expires_in : c->wait);
	(void)fflush(stderr);
	deadline = now_s() + (expires_in < c->wait ? expires_in : c->wait);
	n = 0;
	tpairs[n++] = "grant_type";
	tpairs[n++] = "urn:ietf:params:oauth:grant-type:device_code";
	tpairs[n++] = "device_code";
	tpairs[n++] = device_code;
	tpairs[n++] = "client_id";
	tpairs[n++] = c->client_id;
	tpairs[n] = NULL;
	for (;;) {
		for (waited = 0; waited < interval; waited++)
			(void)sleep(1);
		if (now_s() > deadline) {
			fprintf(stderr, "pamjwt login: the code expired before it "
			    "was approved; run pamjwt login again\n");
			goto out;
		}
		q = token_request(s, tpairs, NULL, t);
		if (q == 0)
			break;
		if (q < 0)
			goto out;
		if (strcmp(t->oauth_err, "authorization_pending") == 0)
			continue;
		if (strcmp(t->oauth_err, "slow_down") == 0) {
			/* RFC 8628 3.5: 5 seconds more for this and all
			 * later requests */
			interval += 5;
			fprintf(stderr, "pamjwt login: the provider asked to "
			    "slow down: polling every %lld seconds\n", interval);
			continue;
		}
		if (strcmp(t->oauth_err, "access_denied") == 0) {
			fprintf(stderr, "pamjwt login: sign-in was denied at the "
			    "provider\n");
		} else if (strcmp(t->oauth_err, "expired_token") == 0) {
			fprintf(stderr, "pamjwt login: the code expired before it "
			    "was approved; run pamjwt login again\n");
		} else {
			fprintf(stderr, "pamjwt login: the provider refused: %s "
			    "%s\n", t->oauth_err, t->oauth_desc);
		}
		goto out;
	}
	r = 0;
out:
	json_decref(o);
	pjt_http_resp_free(&resp);
	if (r != 0)
		token_answer_free(t);
	return r;
}

/* ------------------------------------------------------------------ */
/* Authorization Code + PKCE on a loopback redirect (RFC 7636, 8252)   */

struct loopback {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const char *state;
	int done;            /* 1 code, 2 error */
	int replied;         /* the answer to that request went out */
	char code[CODE_MAX + 1];
	char error[64];
};

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int status, const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text,
	    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	(void)MHD_add_response_header(r, "Content-Type",
	    "text/plain; charset=utf-8");
	(void)MHD_add_response_header(r, "Cache-Control", "no-store");
	(void)MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct loopback *lb = cls;
	const char *state, *code, *error;
	int done;

	(void)version;
	(void)upload_data;
	if (*upload_data_size != 0 || strcmp(method, "GET") != 0 ||
	    strcmp(url, CALLBACK_PATH) != 0)
		return reply(conn, 404, "Not found.\n");
	state = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "state");
	code = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "code");
	error = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "error");
	/* a redirect without our state is someone else's: ignored */
	if (state == NULL || strlen(state) != strlen(lb->state) ||
	    sodium_memcmp(state, lb->state, strlen(lb->state)) != 0)
		return reply(conn, 400, "This is not the sign-in this pamjwt "
		    "login started (state does not match).\n");
	pthread_mutex_lock(&lb->mu);
	done = lb->done;
	if (done == 0) {
		if (code != NULL && error == NULL && strlen(code) <= CODE_MAX) {
			memcpy(lb->code, code, strlen(code) + 1);
			lb->done = 1;
		} else {
			pj_logstr(lb->error, sizeof(lb->error),
			    error != NULL ? error : "no code", 48);
			lb->done = 2;
		}
		/* this connection carries the decision: its completion
		 * (on_completed) wakes the login, once the answer is sent */
		*con_cls = lb;
	}
	done = lb->done;
	pthread_mutex_unlock(&lb->mu);
	if (done == 1)
		return reply(conn, 200, "Signed in. You can close this window "
		    "and return to the terminal.\n");
	return reply(conn, 200, "Sign-in did not complete. See the terminal.\n");
}

/* A request is over (its answer sent, or the connection gone): if it was
 * the one that decided, the login may go on and stop the listener. */
static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct loopback *lb = cls;

	(void)conn;
	(void)toe;
	if (*con_cls != lb)
		return;
	pthread_mutex_lock(&lb->mu);
	lb->replied = 1;
	pthread_cond_signal(&lb->cv);
	pthread_mutex_unlock(&lb->mu);
}

static char *
url_escape(CURL *cu, const char *s)
{
	return curl_easy_escape(cu, s, 0);
}

/* Run xdg-open URL without a shell, output discarded; its status is not
 * waited for beyond a quick reap. */
static void
open_browser(const char *url)
{
	posix_spawn_file_actions_t fa;
	char *const argv[] = { (char *)"xdg-open", (char *)(uintptr_t)url, NULL };
	pid_t pid;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return;
	(void)posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	(void)posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ) != 0)
		fprintf(stderr, "pamjwt login: cannot run xdg-open; open the URL "
		    "yourself\n");
	(void)posix_spawn_file_actions_destroy(&fa);
}

static int
browser_flow(struct session *s, struct token_answer *t)
{
	const struct pjt_login_conf *c = s->c;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa;
	struct loopback lb;
	struct timespec until;
	char state[RAND_CHARS], nonce[RAND_CHARS], verifier[RAND_CHARS];
	unsigned char digest[crypto_hash_sha256_BYTES];
	char challenge[PJ_B64URL_ENCODED_LEN(crypto_hash_sha256_BYTES) + 1];
	char redirect[64];
	char *url = NULL;
	char *e_client = NULL, *e_scope = NULL, *e_redirect = NULL;
	char *e_res = NULL;
	const char *pairs[16];
	CURL *cu = NULL;
	size_t n = 0, ulen;
	int r = -1, done, lb_init = 0, w;

	memset(&lb, 0, sizeof(lb));
	if (s->meta.authorization_endpoint == NULL) {
		fprintf(stderr, "pamjwt login: the provider offers no "
		    "authorization endpoint; use the device grant\n");
		goto out;
	}
	random_b64(state);
	random_b64(nonce);
	random_b64(verifier);
	crypto_hash_sha256(digest, (const unsigned char *)verifier,
	    strlen(verifier));
	pj_b64url_encode(digest, sizeof(digest), challenge);
	if (pthread_mutex_init(&lb.mu, NULL) != 0 ||
	    pthread_cond_init(&lb.cv, NULL) != 0) {
		fprintf(stderr, "pamjwt login: cannot set up the listener\n");
		goto out;
	}
	lb_init = 1;
	lb.state = state;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = 0;          /* any free port (RFC 8252 7.3) */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	    on_request, &lb,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)8,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)8,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, &lb,
	    MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "pamjwt login: cannot listen on 127.0.0.1\n");
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0) {
		fprintf(stderr, "pamjwt login: no loopback port\n");
		goto out;
	}
	(void)snprintf(redirect, sizeof(redirect), "http://127.0.0.1:%u" CALLBACK_PATH,
	    (unsigned int)info->port);
	cu = curl_easy_init();
	if (cu == NULL || (e_client = url_escape(cu, c->client_id)) == NULL ||
	    (e_scope = url_escape(cu, c->scope)) == NULL ||
	    (e_redirect = url_escape(cu, redirect)) == NULL ||
	    (c->kind == PJT_TOKEN_ACCESS && (e_res = url_escape(cu,
	    c->resource != NULL ? c->resource : c->audience)) == NULL)) {
		fprintf(stderr, "pamjwt login: out of memory\n");
		goto out;
	}
	ulen = strlen(s->meta.authorization_endpoint) + strlen(e_client) +
	    strlen(e_scope) + strlen(e_redirect) + (e_res ? strlen(e_res) : 0) +
	    3 * RAND_CHARS + 256;
	url = malloc(ulen);
	if (url == NULL)
		goto out;
	w = snprintf(url, ulen, "%s%sresponse_type=code&client_id=%s&scope=%s"
	    "&redirect_uri=%s&state=%s&nonce=%s&code_challenge=%s"
	    "&code_challenge_method=S256%s%s%s", s->meta.authorization_endpoint,
	    strchr(s->meta.authorization_endpoint, '?') ? "&" : "?", e_client,
	    e_scope, e_redirect, state, nonce, challenge,
	    e_res ? "&resource=" : "", e_res ? e_res : "",
	    /* OpenID Connect Core 11: offline_access needs prompt=consent */
	    strstr(c->scope, "offline_access") != NULL ? "&prompt=consent" : "");
	if (w < 0 || (size_t)w >= ulen)
		goto out;
	fprintf(stderr, "To sign in, open this URL in a browser on this "
	    "machine:\n%s\n", url);
	fprintf(stderr, "Waiting for the browser (%lld seconds) ...\n", c->wait);
	(void)fflush(stderr);
	if (c->open_browser)
		open_browser(url);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)c->wait;
	pthread_mutex_lock(&lb.mu);
	while (lb.replied == 0)
		if (pthread_cond_timedwait(&lb.cv, &lb.mu, &until) == ETIMEDOUT)
			break;
	done = lb.done;
	pthread_mutex_unlock(&lb.mu);
	/* one-shot: the listener goes away before the code is redeemed */
	MHD_stop_daemon(d);
	d = NULL;
	if (done == 0) {
		fprintf(stderr, "pamjwt login: no answer from the browser within "
		    "%lld seconds\n", c->wait);
		goto out;
	}
	if (done == 2) {
		if (strcmp(lb.error, "access_denied") == 0)
			fprintf(stderr, "pamjwt login: sign-in was denied at the "
			    "provider\n");
		else
			fprintf(stderr, "pamjwt login: the provider answered "
			    "with error %s\n", lb.error);
		goto out;
	}
	pairs[n++] = "grant_type";
	pairs[n++] = "authorization_code";
	pairs[n++] = "code";
	pairs[n++] = lb.code;
	pairs[n++] = "redirect_uri";
	pairs[n++] = redirect;
	pairs[n++] = "client_id";
	pairs[n++] = c->client_id;
	pairs[n++] = "code_verifier";
	pairs[n++] = verifier;
	if (c->kind == PJT_TOKEN_ACCESS) {
		pairs[n++] = "resource";
		pairs[n++] = c->resource != NULL ? c->resource : c->audience;
	}
	pairs[n] = NULL;
	done = token_request(s, pairs, nonce, t);
	if (done == 1)
		fprintf(stderr, "pamjwt login: the provider refused the code: "
		    "%s %s\n", t->oauth_err, t->oauth_desc);
	if (done != 0)
		goto out;
	r = 0;
out:
	if (d != NULL)
		MHD_stop_daemon(d);
	if (lb_init) {
		pthread_mutex_destroy(&lb.mu);
		pthread_cond_destroy(&lb.cv);
	}
	sodium_memzero(verifier, sizeof(verifier));
	sodium_memzero(lb.code, sizeof(lb.code));
	curl_free(e_client);
	curl_free(e_scope);
	curl_free(e_redirect);
	curl_free(e_res);
	if (cu != NULL)
		curl_easy_cleanup(cu);
	free(url);
	if (r != 0)
		token_answer_free(t);
	return r;
}

/* The refresh token grant.  0 ok; -1 failed (said why, quietly if the
 * provider just refused the refresh token: a new login follows). */
static int
refresh(struct session *s, const char *rt, struct token_answer *t)
{
	const char *pairs[12];
	size_t n = 0;
	int q;

	pairs[n++] = "grant_type";
	pairs[n++] = "refresh_token";
	pairs[n++] = "refresh_token";
	pairs[n++] = rt;
	pairs[n++] = "client_id";
	pairs[n++] = s->c->client_id;
	if (s->c->kind == PJT_TOKEN_ACCESS) {
		pairs[n++] = "resource";
		pairs[n++] = s->c->resource != NULL ? s->c->resource :
		    s->c->audience;
	}
	pairs[n] = NULL;
	q = token_request(s, pairs, NULL, t);
	if (q == 1)
		fprintf(stderr, "pamjwt login: the refresh token was refused "
		    "(%s)\n", t->oauth_err);
	if (q != 0) {
		token_answer_free(t);
		return -1;
	}
	return 0;
}

static int
store(const struct pjt_login_conf *c, const char *path,
    const struct token_answer *t, const char *old_refresh)
{
	struct pjt_cache_entry e;
	char err[ERRLEN];

	memset(&e, 0, sizeof(e));
	e.issuer = c->issuer;
	e.client_id = c->client_id;
	e.audience = (char *)(uintptr_t)pjt_login_expected_aud(c);
	e.kind = (char *)(uintptr_t)(c->kind == PJT_TOKEN_ACCESS ? "access" : "id");
	e.token = t->token;
	e.refresh_token = t->refresh != NULL ? t->refresh :
	    (char *)(uintptr_t)old_refresh;
	e.exp = t->exp;
	if (pjt_cache_write(path, &e, err, sizeof(err)) != 0) {
		fprintf(stderr, "pamjwt login: %s\n", err);
		return -1;
	}
	return 0;
}

int
pjt_login_obtain(const struct pjt_login_conf *c, enum pjt_obtain mode,
    int force, long long margin, char **out)
{
	int interactive = mode == PJT_OBTAIN_LOGIN;
	struct pjt_cache_entry e;
	struct session s;
	struct token_answer t;
	char path[4200], err[ERRLEN];
	int have = 0, r = -1, sess = 0, q, fits;

	*out = NULL;
	memset(&e, 0, sizeof(e));
	memset(&t, 0, sizeof(t));
	if (pjt_cache_path(c, 1, path, sizeof(path), err, sizeof(err)) != 0) {
		fprintf(stderr, "pamjwt login: %s\n", err);
		goto out;
	}
	q = pjt_cache_read(path, &e, err, sizeof(err));
	if (q < 0) {
		fprintf(stderr, "pamjwt login: %s\n", err);
		goto out;
	}
	have = q == 0;
	fits = have ? pjt_login_token_fits(e.token, c->issuer,
	    pjt_login_expected_aud(c), now_s(), margin, err, sizeof(err)) : 0;
	if (fits == 1 && !force) {
		*out = e.token;
		e.token = NULL;  /* transferred */
		r = 0;
		goto out;
	}
	if (fits < 0) {
		/* not this host's token (another audience or issuer, or
		 * malformed): never sent, never renewed */
		fprintf(stderr, "pamjwt: %s (%s)%s\n", err, path,
		    interactive ? "; signing in anew" : "; run: pamjwt login");
		if (!interactive)
			goto out;
		have = 0;
	}
	if (mode == PJT_OBTAIN_CACHED) {
		fprintf(stderr, "pamjwt: %s; run: pamjwt login\n", have ? err :
		    "no token in the cache");
		goto out;
	}
	if (pjt_http_init() != 0) {
		fprintf(stderr, "pamjwt login: libcurl cannot be initialised\n");
		goto out;
	}
	if (session_open(&s, c) != 0)
		goto out_http;
	sess = 1;
	if (have && !force && e.refresh_token != NULL &&
	    refresh(&s, e.refresh_token, &t) == 0) {
		if (store(c, path, &t, e.refresh_token) != 0)
			goto out_http;
		fprintf(stderr, "pamjwt: token renewed with the refresh token\n");
		goto done;
	}
	if (!interactive) {
		fprintf(stderr, "pamjwt: no valid token in the cache; run: "
		    "pamjwt login\n");
		goto out_http;
	}
	if ((c->flow_browser ? browser_flow(&s, &t) : device_flow(&s, &t)) != 0)
		goto out_http;
	if (store(c, path, &t, NULL) != 0)
		goto out_http;
	fprintf(stderr, "pamjwt login: signed in; token valid until %lld "
	    "(cached in %s)\n", t.exp, path);
done:
	*out = t.token;
	t.token = NULL;  /* transferred */
	r = 0;
out_http:
	if (sess)
		session_free(&s);
	pjt_http_cleanup();
out:
	token_answer_free(&t);
	pjt_cache_entry_free(&e);
	return r;
}

int
pjt_login_askpass_token(unsigned long part, char **out)
{
	struct pjt_login_conf c;
	char err[ERRLEN];
	int r = -1;

	*out = NULL;
	pjt_login_conf_init(&c);
	if (pjt_login_conf_load(&c, getenv("PAMJWT_LOGIN_CONF"), err,
	    sizeof(err)) != 0 || pjt_login_conf_env(&c, err, sizeof(err)) != 0) {
		fprintf(stderr, "pamjwt askpass: %s\n", err);
		goto out;
	}
	if (pjt_login_conf_check(&c, err, sizeof(err)) != 0) {
		fprintf(stderr, "pamjwt askpass: no token: set PAMJWT_TOKEN_FILE "
		    "(or PAMJWT_TOKEN) to the token, or sign in with pamjwt "
		    "login (%s)\n", err);
		goto out;
	}
	/* piece 1 may renew a token about to expire; later pieces must come
	 * from the very token piece 1 came from: the cache as it is */
	if (pjt_login_obtain(&c, part <= 1 ? PJT_OBTAIN_RENEW :
	    PJT_OBTAIN_CACHED, 0, part <= 1 ? PJT_ASKPASS_MARGIN : 0, out) != 0)
		goto out;
	/* the last guard: whatever the cache held, never hand out a token
	 * for another audience or issuer, or one about to expire */
	if (pjt_login_token_fits(*out, c.issuer, pjt_login_expected_aud(&c),
	    now_s(), 0, err, sizeof(err)) != 1) {
		fprintf(stderr, "pamjwt askpass: %s: not sent; run: pamjwt "
		    "login\n", err);
		sodium_memzero(*out, strlen(*out));
		free(*out);
		*out = NULL;
		goto out;
	}
	r = 0;
out:
	pjt_login_conf_free(&c);
	return r;
}
