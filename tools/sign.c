/* sign.c - HMAC, RSASSA-PKCS1-v1_5, RSASSA-PSS, ECDSA (P1363) and Ed25519
 * signatures, and compact JWS, for `pamjwt mint` */
#include "sign.h"
#include "lib/alg.h"
#include "lib/b64url.h"
#include "lib/err.h"
#include "lib/file.h"
#include "lib/jws.h"
#include "lib/key.h"
#include "lib/sig.h"

#include <limits.h>
#include <openssl/bio.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <stdarg.h>

/* pamjwt links libcrypto and calls it directly (the module never loads it:
 * it verifies with libsodium and Nettle, lib/sig.c). */

/* A libcrypto call that failed, in words: "libcrypto: CALL failed DOING:
 * DETAIL", DOING from fmt (e.g. "reading the private key"), DETAIL the
 * first error libcrypto queued (or that it queued none).  Takes the queued
 * errors off the queue.  Returns PJ_E_NOMEM when libcrypto queued an
 * allocation failure, else err. */
static int
ossl_fail(int err, char *reason, size_t rlen, const char *call,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
ossl_fail(int err, char *reason, size_t rlen, const char *call,
    const char *fmt, ...)
{
	char doing[128], detail[160];
	const char *words;
	unsigned long e, first = 0;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(doing, sizeof(doing), fmt, ap);
	va_end(ap);
	/* the first queued error is the cause, the later ones the callers that
	 * passed it on; an allocation failure anywhere makes it out of memory */
	while ((e = ERR_get_error()) != 0) {
		if (first == 0)
			first = e;
		if (ERR_GET_REASON(e) == ERR_R_MALLOC_FAILURE)
			err = PJ_E_NOMEM;
	}
	words = first != 0 ? ERR_reason_error_string(first) : NULL;
	if (first == 0)
		(void)snprintf(detail, sizeof(detail), " (no error queued)");
	else if (words == NULL)
		(void)snprintf(detail, sizeof(detail), ": error %#lx", first);
	else
		(void)snprintf(detail, sizeof(detail), ": %.120s", words);
	return pj_reason(err, reason, rlen, "libcrypto: %s failed %s%s", call,
	    doing, detail);
}

/* The digest behind alg (SHA-256/384/512), NULL for EdDSA or unknown. */
static const EVP_MD *
pj_sig_md(unsigned int alg)
{
	switch (pj_alg_hash_len(alg)) {
	case 32: return EVP_sha256();
	case 48: return EVP_sha384();
	case 64: return EVP_sha512();
	default: return NULL;
	}
}

/* RSASSA-PKCS1-v1_5 or RSASSA-PSS (MGF1 with the same hash, salt as long as
 * it, RFC 7518 3.5) on a DigestSign context for an RS or PS alg; nothing for
 * other algs.  PJ_OK, or PJ_E_INTERNAL naming the libcrypto call that
 * failed.  (The module verifies with Nettle, lib/sig.c.) */
static int
pj_sig_rsa_padding(EVP_PKEY_CTX *pctx, unsigned int alg, const EVP_MD *md,
    char *reason, size_t rlen)
{
	const char *call = NULL;
	int r = PJ_E_INTERNAL;

	if (alg & (PJ_ALG_PS256 | PJ_ALG_PS384 | PJ_ALG_PS512)) {
		/* RFC 7518 3.5: MGF1 with the same hash, salt as long as it */
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1)
			call = "EVP_PKEY_CTX_set_rsa_padding";
		else if (EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    RSA_PSS_SALTLEN_DIGEST) != 1)
			call = "EVP_PKEY_CTX_set_rsa_pss_saltlen";
		else if (EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1)
			call = "EVP_PKEY_CTX_set_rsa_mgf1_md";
	} else if (alg & PJ_ALG_RSA) {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
			call = "EVP_PKEY_CTX_set_rsa_padding";
	}
	if (call != NULL) {
		r = ossl_fail(PJ_E_INTERNAL, reason, rlen, call,
		    "setting up %s", pj_alg_name(alg));
		goto out;
	}
	r = PJ_OK;
out:
	return r;
}


#define PJ_PEM_PRIVATE_TAIL "PRIVATE KEY-----"
#define BEGIN "-----BEGIN "
#define BEGIN_LEN (sizeof(BEGIN) - 1)

/* 1 if [p, end) begins with the string s. */
static int
starts(const char *p, const char *end, const char *s)
{
	size_t n = strlen(s);

	return (size_t)(end - p) >= n && memcmp(p, s, n) == 0;
}

/* 1 if alg is exactly one known algorithm bit. */
static int
one_alg(unsigned int alg)
{
	return alg != 0 && (alg & (alg - 1)) == 0 && (alg & PJ_ALG_ALL) == alg;
}

/* The names of the algorithms in algs, comma separated, into buf. */
static void
alg_names(unsigned int algs, char *buf, size_t len)
{
	unsigned int bit;
	size_t used = 0;
	int n;

	if (len == 0)
		return;
	buf[0] = '\0';
	for (bit = 1; bit <= PJ_ALG_ALL && bit != 0; bit <<= 1) {
		if ((algs & bit) == 0)
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
		    pj_alg_name(bit));
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	if (buf[0] == '\0')
		(void)snprintf(buf, len, "none");
}

int
pj_signer_from_secret(const unsigned char *buf, size_t len,
    struct pj_signer *out, char *reason, size_t rlen)
{
	int r;

	memset(out, 0, sizeof(*out));
	r = pj_key_from_secret(buf, len, &out->pub, reason, rlen);
	if (r != PJ_OK)
		pj_signer_clear(out);
	return r;
}

/* Never ask for a passphrase (OpenSSL's default would read the terminal). */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* The public half through its SubjectPublicKeyInfo encoding, read by the
 * module's own reader: exactly what a .pub file would give the module. */
static int
public_half(EVP_PKEY *priv, struct pj_key *out, char *reason, size_t rlen)
{
	unsigned char *der = NULL;
	int derlen, r = PJ_E_INTERNAL;

	derlen = i2d_PUBKEY(priv, &der);
	if (derlen <= 0) {
		der = NULL;
		r = ossl_fail(PJ_E_KEY, reason, rlen, "i2d_PUBKEY",
		    "deriving the public key from the private key");
		goto out;
	}
	r = pj_key_from_spki(der, (size_t)derlen, out, reason, rlen);
out:
	OPENSSL_free(der);
	return r;
}

static int
ed25519_secret(EVP_PKEY *priv, struct pj_signer *out, char *reason, size_t rlen)
{
	unsigned char seed[crypto_sign_SEEDBYTES];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	size_t seedlen = sizeof(seed);
	int r = PJ_E_INTERNAL;

	if (EVP_PKEY_get_raw_private_key(priv, seed, &seedlen) != 1) {
		r = ossl_fail(PJ_E_KEY, reason, rlen,
		    "EVP_PKEY_get_raw_private_key", "reading an Ed25519 private key");
		goto out;
	}
	if (seedlen != sizeof(seed)) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "Ed25519 private key cannot be read");
		goto out;
	}
	/* RFC 8032: the PKCS#8 private key is the 32-byte seed */
	if (crypto_sign_seed_keypair(pk, out->ed25519_sk, seed) != 0)
		goto out;
	if (sodium_memcmp(pk, out->pub.ed25519, sizeof(pk)) != 0) {
		r = pj_reason(PJ_E_INTERNAL, reason, rlen,
		    "Ed25519 public key does not match the seed");
		goto out;
	}
	r = PJ_OK;
out:
	sodium_memzero(seed, sizeof(seed));
	return r;
}

int
pj_signer_from_pem(const char *pem, size_t len, struct pj_signer *out,
    char *reason, size_t rlen)
{
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	const char *first, *p, *nl, *end = pem + len;
	size_t blocks = 0;
	int r = PJ_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if (len > PJ_PEM_MAX || len > (size_t)INT_MAX) {
		r = pj_reason(PJ_E_KEY, reason, rlen, "PEM text too large");
		goto out;
	}
	if (memchr(pem, '\0', len) != NULL) {
		r = pj_reason(PJ_E_KEY, reason, rlen, "key file holds a NUL byte");
		goto out;
	}
	/* everything below is bounded by len: pem need not be NUL-terminated */
	first = memmem(pem, len, BEGIN, BEGIN_LEN);
	if (first == NULL) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "not a PEM private key (expected -----BEGIN PRIVATE KEY-----)");
		goto out;
	}
	if (starts(first, end, "-----BEGIN PUBLIC KEY-----")) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "this is a public key: signing needs the private key "
		    "(PREFIX.key from pamjwt keygen)");
		goto out;
	}
	if (starts(first, end, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
	    memmem(pem, len, "Proc-Type: 4,ENCRYPTED", 22) != NULL) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "the private key is encrypted: decrypt it first "
		    "(openssl pkey -in KEY -out PLAIN.key)");
		goto out;
	}
	/* exactly one private key block (EC PARAMETERS blocks may precede it) */
	for (p = first; p != NULL && p < end;
	    p = memmem(p + BEGIN_LEN, (size_t)(end - p) - BEGIN_LEN, BEGIN,
	    BEGIN_LEN)) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (memmem(p, (size_t)(nl - p), PJ_PEM_PRIVATE_TAIL,
		    sizeof(PJ_PEM_PRIVATE_TAIL) - 1) != NULL)
			blocks++;
	}
	if (blocks != 1) {
		r = pj_reason(PJ_E_KEY, reason, rlen, blocks == 0 ?
		    "not a PEM private key (expected -----BEGIN PRIVATE KEY-----)" :
		    "more than one private key in the file (one is expected)");
		goto out;
	}
	/* an error read after a failed call below is then ours */
	ERR_clear_error();
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL) {
		r = ossl_fail(PJ_E_NOMEM, reason, rlen, "BIO_new_mem_buf",
		    "reading the private key");
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (pkey == NULL) {
		/* libcrypto's words say which (and take them off the queue) */
		r = ossl_fail(PJ_E_KEY, reason, rlen, "PEM_read_bio_PrivateKey",
		    "reading the private key (malformed, or protected by a "
		    "passphrase)");
		goto out;
	}
	r = public_half(pkey, &out->pub, reason, rlen);
	if (r != PJ_OK)
		goto out;
	switch (out->pub.type) {
	case PJ_KEY_RSA:
	case PJ_KEY_EC:
		out->priv = pkey; /* transferred */
		pkey = NULL;
		break;
	case PJ_KEY_ED25519:
		r = ed25519_secret(pkey, out, reason, rlen);
		if (r != PJ_OK)
			goto out;
		break;
	case PJ_KEY_HMAC:
		r = PJ_E_INTERNAL;
		goto out;
	}
	r = PJ_OK;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	if (r != PJ_OK)
		pj_signer_clear(out);
	return r;
}

/* Why k cannot sign alg, in words. */
static int
misfit(const struct pj_key *k, unsigned int alg, char *reason, size_t rlen)
{
	char names[128];

	alg_names(k->algs, names, sizeof(names));
	if (k->type == PJ_KEY_HMAC && (alg & PJ_ALG_HMAC) != 0)
		return pj_reason(PJ_E_KEY, reason, rlen,
		    "a secret of %zu bytes is too short for %s (RFC 7518 3.2: at "
		    "least %zu bytes; this one fits %s)", k->secret_len,
		    pj_alg_name(alg), pj_alg_hash_len(alg), names);
	return pj_reason(PJ_E_KEY, reason, rlen,
	    "this %s key cannot sign %s (it signs %s)",
	    k->type == PJ_KEY_HMAC ? "HMAC" : k->type == PJ_KEY_RSA ? "RSA" :
	    k->type == PJ_KEY_EC ? "EC" : "Ed25519", pj_alg_name(alg), names);
}

int
pj_signer_load(const char *path, unsigned int alg, struct pj_signer *out,
    char *reason, size_t rlen)
{
	char *buf = NULL, tmp[192];
	size_t len = 0, use;
	int r = PJ_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if (!one_alg(alg)) {
		r = pj_reason(PJ_E_ALG, reason, rlen, "no single algorithm given");
		goto out;
	}
	r = pj_file_read(path, PJ_FILE_SECRET,
	    (alg & PJ_ALG_HMAC) ? PJ_SECRET_MAX : PJ_PEM_MAX, PJ_E_KEY, &buf,
	    &len, NULL, reason, rlen);
	if (r != PJ_OK)
		goto out;
	if (alg & PJ_ALG_HMAC) {
		if (len >= 11 && memcmp(buf, "-----BEGIN ", 11) == 0) {
			r = pj_reason(PJ_E_KEY, reason, rlen,
			    "this is a PEM key, but %s needs an HMAC secret file "
			    "(pamjwt keygen --alg %s)", pj_alg_name(alg),
			    pj_alg_name(alg));
			goto prefix;
		}
		use = len;
		if (use > 0 && buf[use - 1] == '\n')
			use--;
		r = pj_signer_from_secret((unsigned char *)buf, use, out, reason,
		    rlen);
	} else {
		r = pj_signer_from_pem(buf, len, out, reason, rlen);
	}
	if (r != PJ_OK)
		goto prefix;
	if ((out->pub.algs & alg) == 0) {
		r = misfit(&out->pub, alg, reason, rlen);
		goto prefix;
	}
	r = PJ_OK;
	goto out;
prefix:
	if (r == PJ_E_KEY && reason != NULL && rlen > 0) {
		(void)snprintf(tmp, sizeof(tmp), "%s", reason);
		(void)snprintf(reason, rlen, "%s: %s", path, tmp);
	}
out:
	pj_file_free(buf, len);
	if (r != PJ_OK)
		pj_signer_clear(out);
	return r;
}

static int
sign_hmac(const struct pj_signer *s, unsigned int alg, const unsigned char *msg,
    size_t msglen, unsigned char **sig, size_t *siglen, char *reason,
    size_t rlen)
{
	unsigned char *mac = NULL;
	size_t maclen = 0;
	int r = PJ_E_INTERNAL;

	mac = malloc(PJ_HMAC_MAX);
	if (mac == NULL) {
		r = PJ_E_NOMEM;
		goto out;
	}
	r = pj_hmac(alg, s->pub.secret, s->pub.secret_len, msg, msglen, mac,
	    &maclen, reason, rlen);
	if (r != PJ_OK)
		goto out;
	*sig = mac; /* transferred */
	*siglen = maclen;
	mac = NULL;
	r = PJ_OK;
out:
	if (mac != NULL) {
		sodium_memzero(mac, PJ_HMAC_MAX);
		free(mac);
	}
	return r;
}

/* DER ECDSA-Sig-Value to the fixed-size r || s that JWS sends. */
static int
ecdsa_from_der(const unsigned char *der, size_t derlen, size_t outlen,
    unsigned char **out, char *reason, size_t rlen)
{
	const unsigned char *p = der;
	const BIGNUM *br = NULL, *bs = NULL;
	ECDSA_SIG *es = NULL;
	unsigned char *buf = NULL;
	size_t half = outlen / 2;
	int r = PJ_E_INTERNAL;

	*out = NULL;
	if (derlen > (size_t)LONG_MAX || outlen == 0 || outlen % 2 != 0 ||
	    half > (size_t)INT_MAX)
		goto out;
	es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	if (es == NULL || p != der + derlen) {
		r = ossl_fail(PJ_E_INTERNAL, reason, rlen, "d2i_ECDSA_SIG",
		    "reading the ECDSA signature it made");
		goto out;
	}
	ECDSA_SIG_get0(es, &br, &bs);
	if (br == NULL || bs == NULL)
		goto out;
	buf = malloc(outlen);
	if (buf == NULL) {
		r = PJ_E_NOMEM;
		goto out;
	}
	if (BN_bn2binpad(br, buf, (int)half) != (int)half ||
	    BN_bn2binpad(bs, buf + half, (int)half) != (int)half) {
		r = ossl_fail(PJ_E_INTERNAL, reason, rlen, "BN_bn2binpad",
		    "writing an ECDSA signature");
		goto out;
	}
	*out = buf; /* transferred */
	buf = NULL;
	r = PJ_OK;
out:
	free(buf);
	ECDSA_SIG_free(es);
	return r;
}

static int
sign_pkey(const struct pj_signer *s, unsigned int alg, const EVP_MD *md,
    const unsigned char *msg, size_t msglen, unsigned char **sig,
    size_t *siglen, char *reason, size_t rlen)
{
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	int r = PJ_E_INTERNAL;

	if (s->priv == NULL)
		goto out;
	ERR_clear_error(); /* an error read below is then ours */
	mctx = EVP_MD_CTX_new();
	if (mctx == NULL) {
		r = ossl_fail(PJ_E_NOMEM, reason, rlen, "EVP_MD_CTX_new",
		    "signing %s", pj_alg_name(alg));
		goto out;
	}
	if (EVP_DigestSignInit(mctx, &pctx, md, NULL, s->priv) != 1) {
		r = ossl_fail(PJ_E_INTERNAL, reason, rlen, "EVP_DigestSignInit",
		    "signing %s", pj_alg_name(alg));
		goto out;
	}
	if ((r = pj_sig_rsa_padding(pctx, alg, md, reason, rlen)) != PJ_OK)
		goto out;
	r = PJ_E_INTERNAL;
	if (EVP_DigestSign(mctx, NULL, &len, msg, msglen) != 1 || len == 0 ||
	    len > 64 * 1024) {
		r = ossl_fail(PJ_E_INTERNAL, reason, rlen, "EVP_DigestSign",
		    "sizing a %s signature", pj_alg_name(alg));
		goto out;
	}
	buf = malloc(len);
	if (buf == NULL) {
		r = PJ_E_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(mctx, buf, &len, msg, msglen) != 1) {
		r = ossl_fail(PJ_E_INTERNAL, reason, rlen, "EVP_DigestSign",
		    "signing %s", pj_alg_name(alg));
		goto out;
	}
	if (s->pub.type == PJ_KEY_EC) {
		r = ecdsa_from_der(buf, len, s->pub.sig_len, sig, reason, rlen);
		if (r != PJ_OK)
			goto out;
		*siglen = s->pub.sig_len;
	} else {
		if (len != s->pub.sig_len) {
			r = pj_reason(PJ_E_INTERNAL, reason, rlen,
			    "libcrypto made a %s signature of %zu bytes, not %zu",
			    pj_alg_name(alg), len, s->pub.sig_len);
			goto out;
		}
		*sig = buf; /* transferred */
		*siglen = len;
		buf = NULL;
	}
	r = PJ_OK;
out:
	free(buf);
	EVP_MD_CTX_free(mctx);
	return r;
}

static int
sign_ed25519(const struct pj_signer *s, const unsigned char *msg,
    size_t msglen, unsigned char **sig, size_t *siglen)
{
	unsigned char *buf;
	unsigned long long len = 0;
	int r = PJ_E_INTERNAL;

	buf = malloc(crypto_sign_BYTES);
	if (buf == NULL) {
		r = PJ_E_NOMEM;
		goto out;
	}
	if (crypto_sign_detached(buf, &len, msg, (unsigned long long)msglen,
	    s->ed25519_sk) != 0 || len != crypto_sign_BYTES)
		goto out;
	*sig = buf; /* transferred */
	*siglen = crypto_sign_BYTES;
	buf = NULL;
	r = PJ_OK;
out:
	free(buf);
	return r;
}

/* pj_sign, with the reason for a failure. */
static int
sign_reason(const struct pj_signer *s, unsigned int alg,
    const unsigned char *msg, size_t msglen, unsigned char **sig,
    size_t *siglen, char *reason, size_t rlen)
{
	const EVP_MD *md = NULL;
	unsigned char *buf = NULL;
	size_t len = 0;
	int r = PJ_E_INTERNAL;

	*sig = NULL;
	*siglen = 0;
	if (!one_alg(alg) || (s->pub.algs & alg) == 0) {
		r = PJ_E_ALG;
		goto out;
	}
	switch (s->pub.type) {
	case PJ_KEY_HMAC:
		if ((alg & PJ_ALG_HMAC) == 0)
			goto out;
		r = sign_hmac(s, alg, msg, msglen, &buf, &len, reason, rlen);
		break;
	case PJ_KEY_RSA:
		if ((alg & PJ_ALG_RSA) == 0 || (md = pj_sig_md(alg)) == NULL)
			goto out;
		r = sign_pkey(s, alg, md, msg, msglen, &buf, &len, reason,
		    rlen);
		break;
	case PJ_KEY_EC:
		if ((alg & PJ_ALG_EC) == 0 || (md = pj_sig_md(alg)) == NULL)
			goto out;
		r = sign_pkey(s, alg, md, msg, msglen, &buf, &len, reason,
		    rlen);
		break;
	case PJ_KEY_ED25519:
		if (alg != PJ_ALG_EDDSA)
			goto out;
		r = sign_ed25519(s, msg, msglen, &buf, &len);
		break;
	}
	if (r != PJ_OK)
		goto out;
	/* never hand out a signature the module would not accept */
	r = pj_sig_verify_reason(&s->pub, alg, msg, msglen, buf, len, reason,
	    rlen);
	if (r == PJ_E_SIGNATURE)
		r = pj_reason(PJ_E_INTERNAL, reason, rlen,
		    "the %s signature just made does not verify",
		    pj_alg_name(alg));
	if (r != PJ_OK)
		goto out;
	*sig = buf; /* transferred */
	*siglen = len;
	buf = NULL;
	r = PJ_OK;
out:
	if (buf != NULL) {
		sodium_memzero(buf, len);
		free(buf);
	}
	return r;
}

int
pj_sign(const struct pj_signer *s, unsigned int alg, const unsigned char *msg,
    size_t msglen, unsigned char **sig, size_t *siglen)
{
	return sign_reason(s, alg, msg, msglen, sig, siglen, NULL, 0);
}

int
pj_sign_jws(const struct pj_signer *s, unsigned int alg, json_t *header,
    json_t *payload, char **out, char *reason, size_t rlen)
{
	const size_t flags = JSON_COMPACT | JSON_ENSURE_ASCII;
	json_t *a;
	char *h = NULL, *p = NULL, *tok = NULL;
	unsigned char *sig = NULL;
	size_t hl, pl, ehl, epl, esl, siglen = 0, total = 0, off;
	int r = PJ_E_INTERNAL;

	*out = NULL;
	a = json_object_get(header, "alg");
	if (!one_alg(alg) || !json_is_object(header) || !json_is_object(payload) ||
	    !json_is_string(a) || strcmp(json_string_value(a),
	    pj_alg_name(alg)) != 0) {
		r = pj_reason(PJ_E_INTERNAL, reason, rlen,
		    "header 'alg' does not name the signing algorithm");
		goto out;
	}
	h = json_dumps(header, flags);
	p = json_dumps(payload, flags);
	if (h == NULL || p == NULL) {
		r = PJ_E_NOMEM;
		goto out;
	}
	hl = strlen(h);
	pl = strlen(p);
	if (hl > PJ_TOKEN_MAX || pl > PJ_TOKEN_MAX) {
		r = pj_reason(PJ_E_TOO_LONG, reason, rlen,
		    "header or claims too large (a token holds at most %d bytes)",
		    PJ_TOKEN_MAX);
		goto out;
	}
	ehl = PJ_B64URL_ENCODED_LEN(hl);
	epl = PJ_B64URL_ENCODED_LEN(pl);
	off = ehl + 1 + epl;
	tok = malloc(off + 1);
	if (tok == NULL) {
		r = PJ_E_NOMEM;
		goto out;
	}
	pj_b64url_encode((const unsigned char *)h, hl, tok);
	tok[ehl] = '.';
	pj_b64url_encode((const unsigned char *)p, pl, tok + ehl + 1);
	r = sign_reason(s, alg, (const unsigned char *)tok, off, &sig, &siglen,
	    reason, rlen);
	if (r != PJ_OK) {
		r = pj_reason(r, reason, rlen, "signing with %s failed",
		    pj_alg_name(alg));
		goto out;
	}
	esl = PJ_B64URL_ENCODED_LEN(siglen);
	total = off + 1 + esl;
	if (total > PJ_TOKEN_MAX) {
		r = pj_reason(PJ_E_TOO_LONG, reason, rlen,
		    "the token would be %zu bytes; pam_jwt accepts at most %d",
		    total, PJ_TOKEN_MAX);
		goto out;
	}
	{
		char *nt = realloc(tok, total + 1);

		if (nt == NULL) {
			r = PJ_E_NOMEM;
			goto out;
		}
		tok = nt;
	}
	tok[off] = '.';
	pj_b64url_encode(sig, siglen, tok + off + 1);
	*out = tok; /* transferred */
	tok = NULL;
	r = PJ_OK;
out:
	if (tok != NULL) {
		sodium_memzero(tok, strlen(tok));
		free(tok);
	}
	if (sig != NULL) {
		sodium_memzero(sig, siglen);
		free(sig);
	}
	free(h);
	if (p != NULL) {
		sodium_memzero(p, strlen(p));
		free(p);
	}
	return r;
}

void
pj_signer_clear(struct pj_signer *s)
{
	if (s == NULL)
		return;
	pj_key_clear(&s->pub);
	EVP_PKEY_free(s->priv);
	sodium_memzero(s, sizeof(*s));
}
