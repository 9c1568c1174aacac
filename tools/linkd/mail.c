/* mail.c - the link mail: written as plain text with checked header
 * values, delivered by libcurl's SMTP on a worker thread (never on the
 * request path: the answer to the form must not depend on the mail)
 */
#include "linkd.h"

#include "lib/err.h"
#include "lib/file.h"
#include "lib/logval.h"
#include "lib/text.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAIL_MAX (16 * 1024)
#define PASSWORD_MAX 1024

/* A header value: printable ASCII and spaces only (no CR, LF, NUL or any
 * other control byte: nothing can start another header or the body), at
 * most 900 bytes (a line holds 998). */
static int
header_value_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 900)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

static void
header(struct lf_buf *b, const char *name, const char *value, int *bad)
{
	if (!header_value_ok(value)) {
		*bad = 1;
		return;
	}
	lf_buf_add(b, name);
	lf_buf_add(b, ": ");
	lf_buf_add(b, value);
	lf_buf_add(b, "\r\n");
}

int
lf_mail_build(const struct lf_conf *c, const struct lf_kind *k,
    const char *account, const char *addr, const char *url, time_t expires,
    struct lf_mail *m)
{
	unsigned char rnd[12];
	char date[64], until[64], msgid[128], tmp[LF_ADDR_MAX + 3];
	const char *domain = strchr(c->mail_from, '@');
	struct lf_buf b;
	struct tm tm;
	time_t now = time(NULL);
	long long mins;
	int bad = 0, r = -1;

	memset(m, 0, sizeof(*m));
	lf_buf_init(&b, MAIL_MAX);
	if (!lf_addr_valid(addr) || !header_value_ok(url) ||
	    strlen(account) > LF_ACCOUNT_MAX || pj_has_ctl(account) ||
	    !header_value_ok(c->host) || strlen(k->name) > LF_KIND_NAME_MAX)
		goto out;
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		goto out;
	if (gmtime_r(&expires, &tm) == NULL ||
	    strftime(until, sizeof(until), "%Y-%m-%d %H:%M UTC", &tm) == 0)
		goto out;
	randombytes_buf(rnd, sizeof(rnd));
	(void)snprintf(msgid, sizeof(msgid),
	    "<%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x.linkd%s>",
	    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7],
	    rnd[8], rnd[9], rnd[10], rnd[11], domain);
	header(&b, "Date", date, &bad);
	header(&b, "From", c->mail_from, &bad);
	header(&b, "To", addr, &bad);
	header(&b, "Subject", c->mail_subject, &bad);
	header(&b, "Message-ID", msgid, &bad);
	header(&b, "MIME-Version", "1.0", &bad);
	header(&b, "Content-Type", "text/plain; charset=us-ascii", &bad);
	header(&b, "Content-Transfer-Encoding", "7bit", &bad);
	header(&b, "Auto-Submitted", "auto-generated", &bad);
	if (bad)
		goto out;
	mins = ((long long)(expires - now) + 59) / 60;
	lf_buf_add(&b, "\r\n");
	lf_buf_printf(&b, "Someone, hopefully you, asked for a link to %s %s "
	    "as %s.\r\n\r\n", k->show == LF_SHOW_SUDO ? "use sudo on" :
	    "sign in to", c->host, account);
	lf_buf_printf(&b, "Open it within %lld minute(s) (until %s). It works "
	    "once:\r\n\r\n", mins, until);
	lf_buf_add(&b, url);
	lf_buf_add(&b, "\r\n\r\nThe page shows a button; pressing it shows a "
	    "one-time token and the\r\ncommand to run. If you did not ask for "
	    "this, ignore this mail:\r\nnothing happens unless the button is "
	    "pressed.\r\n");
	if (b.failed)
		goto out;
	(void)snprintf(tmp, sizeof(tmp), "%s", addr);
	memcpy(m->to, tmp, strlen(tmp) + 1);
	(void)snprintf(m->account, sizeof(m->account), "%s", account);
	(void)snprintf(m->kind, sizeof(m->kind), "%s", k->name);
	m->message = b.s; /* transferred */
	m->len = b.len;
	b.s = NULL;
	r = 0;
out:
	lf_buf_free(&b);
	return r;
}

void
lf_mail_clear(struct lf_mail *m)
{
	if (m == NULL)
		return;
	if (m->message != NULL) {
		sodium_memzero(m->message, m->len);
		free(m->message);
	}
	memset(m, 0, sizeof(*m));
}

struct reader {
	const char *p;
	size_t left;
};

static size_t
read_cb(char *buf, size_t size, size_t nmemb, void *userp)
{
	struct reader *rd = userp;
	size_t n = size * nmemb;

	if (n > rd->left)
		n = rd->left;
	memcpy(buf, rd->p, n);
	rd->p += n;
	rd->left -= n;
	return n;
}

int
lf_mail_send(const struct lf_conf *c, const struct lf_mail *m, char *reason,
    size_t rlen)
{
	char from[LF_ADDR_MAX + 3], to[LF_ADDR_MAX + 3], err[CURL_ERROR_SIZE];
	struct curl_slist *rcpt = NULL;
	struct reader rd;
	char *pw = NULL;
	size_t pwlen = 0;
	CURLcode cc;
	CURL *h = NULL;
	int r = -1;

	err[0] = '\0';
	if (!lf_addr_valid(m->to) || !lf_addr_valid(c->mail_from)) {
		(void)pj_reason(PJ_E_INTERNAL, reason, rlen, "address refused");
		goto out;
	}
	(void)snprintf(from, sizeof(from), "<%s>", c->mail_from);
	(void)snprintf(to, sizeof(to), "<%s>", m->to);
	rcpt = curl_slist_append(NULL, to);
	h = curl_easy_init();
	if (rcpt == NULL || h == NULL) {
		(void)pj_reason(PJ_E_NOMEM, reason, rlen, "out of memory");
		goto out;
	}
	if (c->smtp_password_file != NULL) {
		if (pj_file_read(c->smtp_password_file, PJ_FILE_SECRET,
		    PASSWORD_MAX, PJ_E_KEY, &pw, &pwlen, NULL, reason,
		    rlen) != PJ_OK)
			goto out;
		while (pwlen > 0 && (pw[pwlen - 1] == '\n' || pw[pwlen - 1] == '\r'))
			pw[--pwlen] = '\0';
	}
	rd.p = m->message;
	rd.left = m->len;
	if (curl_easy_setopt(h, CURLOPT_URL, c->smtp_url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)c->smtp_timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)c->smtp_timeout) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_READDATA, &rd) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)m->len) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USE_SSL, (long)(c->smtp_starttls == 2 ?
	    CURLUSESSL_ALL : c->smtp_starttls == 1 ? CURLUSESSL_TRY :
	    CURLUSESSL_NONE)) != CURLE_OK ||
	    (c->smtp_ca_file != NULL &&
	    curl_easy_setopt(h, CURLOPT_CAINFO, c->smtp_ca_file) != CURLE_OK) ||
	    (c->smtp_user != NULL &&
	    (curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_user) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PASSWORD, pw) != CURLE_OK))) {
		(void)pj_reason(PJ_E_INTERNAL, reason, rlen,
		    "libcurl refused an option");
		goto out;
	}
	cc = curl_easy_perform(h);
	if (cc != CURLE_OK) {
		(void)pj_reason(PJ_E_INTERNAL, reason, rlen, "%s%s%s",
		    curl_easy_strerror(cc), err[0] ? ": " : "", err);
		goto out;
	}
	r = 0;
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(rcpt);
	pj_file_free(pw, pwlen);
	return r;
}

/* ------------------------------------------------------------ worker */

static void *
worker(void *arg)
{
	struct lf_mailer *q = arg;
	char reason[LF_REASON_MAX], why[LF_REASON_MAX];
	char acct[PJ_LOGVAL_SIZE(LF_ACCOUNT_MAX)], to[PJ_LOGVAL_SIZE(LF_ADDR_MAX)];
	struct lf_mail m;
	int r;

	for (;;) {
		pthread_mutex_lock(&q->lock);
		while (q->count == 0 && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		if (q->count == 0 && q->stop) {
			pthread_mutex_unlock(&q->lock);
			break;
		}
		m = q->queue[q->head];
		memset(&q->queue[q->head], 0, sizeof(m));
		q->head = (q->head + 1) % q->cap;
		q->count--;
		pthread_mutex_unlock(&q->lock);
		reason[0] = '\0';
		r = lf_mail_send(q->conf, &m, reason, sizeof(reason));
		/* the delivery's own log line (the request's was written
		 * long ago); the address is the directory's, not a client's */
		pj_logstr(acct, sizeof(acct), m.account, LF_ACCOUNT_MAX);
		pj_logstr(to, sizeof(to), m.to, LF_ADDR_MAX);
		pj_sanitize(why, sizeof(why), reason);
		if (r == 0)
			fprintf(stderr, "pamjwt-linkd: mail sent account=%s kind=%s "
			    "link=%s to=%s\n", acct, m.kind, m.link_hash8, to);
		else
			fprintf(stderr, "pamjwt-linkd: mail failed account=%s kind=%s "
			    "link=%s to=%s reason=\"%s\"\n", acct, m.kind,
			    m.link_hash8, to, why);
		lf_mail_clear(&m);
	}
	return NULL;
}

int
lf_mailer_start(struct lf_mailer *q, const struct lf_conf *c)
{
	memset(q, 0, sizeof(*q));
	q->conf = c;
	q->cap = c->mail_queue;
	q->queue = calloc(q->cap, sizeof(*q->queue));
	if (q->queue == NULL)
		return -1;
	if (pthread_mutex_init(&q->lock, NULL) != 0 ||
	    pthread_cond_init(&q->cond, NULL) != 0 ||
	    pthread_create(&q->thread, NULL, worker, q) != 0) {
		free(q->queue);
		q->queue = NULL;
		return -1;
	}
	q->started = 1;
	return 0;
}

int
lf_mailer_push(struct lf_mailer *q, struct lf_mail *m, int keep)
{
	struct lf_mail scratch;
	int r = -1;

	memset(&scratch, 0, sizeof(scratch));
	pthread_mutex_lock(&q->lock);
	if (q->count < q->cap && !q->stop) {
		if (keep) {
			q->queue[(q->head + q->count) % q->cap] = *m; /* transferred */
			q->count++;
			pthread_cond_signal(&q->cond);
		} else
			scratch = *m;   /* the same copy, then thrown away */
		memset(m, 0, sizeof(*m));
		r = 0;
	}
	pthread_mutex_unlock(&q->lock);
	if (r != 0)
		lf_mail_clear(m);
	lf_mail_clear(&scratch);
	return r;
}

void
lf_mailer_stop(struct lf_mailer *q)
{
	size_t i;

	if (!q->started)
		return;
	pthread_mutex_lock(&q->lock);
	q->stop = 1;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->thread, NULL);
	for (i = 0; i < q->cap; i++)
		lf_mail_clear(&q->queue[i]);
	free(q->queue);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	memset(q, 0, sizeof(*q));
}
