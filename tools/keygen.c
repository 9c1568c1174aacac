/* keygen.c - `pamjwt keygen --alg ALG --out PREFIX [--bits N]`
 *
 * HS*: PREFIX.secret, 0600: base64url text of 64 random bytes (86
 * characters, so it fits HS512 and an issuer can use the same bytes).
 * RS*, PS* (RSA), ES* (P-256/384/521), EdDSA (Ed25519): PREFIX.key (private,
 * PKCS#8 PEM, 0600), PREFIX.pub (SubjectPublicKeyInfo PEM, 0644) and
 * PREFIX.jwks (the public key as a JWK Set with an RFC 7638 thumbprint kid,
 * alg and use "sig", 0644).  Nothing is ever overwritten.  Every file is
 * checked with the module's own loaders before it is written.
 */
#include "pamjwt.h"

#include "lib/alg.h"
#include "lib/b64url.h"
#include "lib/curve.h"
#include "lib/err.h"
#include "lib/jwk.h"
#include "lib/key.h"
#include "lib/options.h"
#include "lib/rsa.h"
#include "lib/sig.h"
#include "sign.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What keygen suggests beside the key source: the lines the documented
 * configurations carry (the key pins the algorithm: no algorithms= line). */
#define SUGGESTED \
	"  issuer = ISSUER\n" \
	"  audience = AUDIENCE\n" \
	"  max_ttl = 600\n" \
	"(ISSUER and AUDIENCE: what your tokens carry in iss and aud; the key\n" \
	"pins the algorithm, so no algorithms= line is needed)\n"
#define MINT_TAIL "--iss ISSUER --aud AUDIENCE --ttl 300"
#define CMD "keygen"
#define SECRET_RANDOM_BYTES 64
#define RSA_DEFAULT_BITS 3072
#define MAX_FILES 3
#define REASON_MAX 256

enum { O_ALG = 1, O_OUT, O_BITS, O_HELP };

static const struct pjt_opt opts[] = {
	{ "alg", PJT_ARG, O_ALG },
	{ "out", PJT_ARG, O_OUT },
	{ "bits", PJT_ARG, O_BITS },
	{ "help", PJT_NOARG, O_HELP },
	{ NULL, PJT_NOARG, 0 },
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pamjwt keygen --alg ALG --out PREFIX [--bits N]\n"
	    "\n"
	    "Make a new HMAC secret or key pair for pam_jwt.  Existing files are\n"
	    "never overwritten.\n"
	    "\n"
	    "  --alg ALG      HS256 HS384 HS512: PREFIX.secret (mode 0600), 86\n"
	    "                 characters of base64url text (fits all three);\n"
	    "                 RS256 RS384 RS512 PS256 PS384 PS512 (RSA), ES256 (P-256),\n"
	    "                 ES384 (P-384), ES512 (P-521), EdDSA (Ed25519):\n"
	    "                 PREFIX.key  private key, PKCS#8 PEM (mode 0600)\n"
	    "                 PREFIX.pub  public key, PEM (mode 0644)\n"
	    "                 PREFIX.jwks public key as a JWK Set (mode 0644)\n"
	    "  --out PREFIX   where to write: a path without the suffix\n"
	    "  --bits N       RSA modulus size, 2048 to 16384 (default %d)\n"
	    "\n"
	    "It prints the files and the pam_jwt options that use them.\n"
	    "Exit status: 0 written, 1 failed, 2 usage error.\n", RSA_DEFAULT_BITS);
}

struct files {
	char *path[MAX_FILES];
	int made[MAX_FILES];
	size_t n;
};

static void
files_undo(struct files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->made[i])
			(void)unlink(f->path[i]);
}

static void
files_free(struct files *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		free(f->path[i]);
	memset(f, 0, sizeof(*f));
}

/* PREFIX + suffix, appended to f. */
static int
files_add(struct files *f, const char *prefix, const char *suffix)
{
	size_t pl = strlen(prefix), sl = strlen(suffix);
	char *p;

	if (f->n >= MAX_FILES || pl > 4096 || sl > 16)
		return -1;
	p = malloc(pl + sl + 1);
	if (p == NULL)
		return -1;
	memcpy(p, prefix, pl);
	memcpy(p + pl, suffix, sl + 1);
	f->path[f->n++] = p;
	return 0;
}

/* Refuse early (before the slow part) when any target exists. */
static int
files_check_free(const struct files *f)
{
	struct stat st;
	size_t i;
	int r = 0;

	for (i = 0; i < f->n; i++) {
		if (lstat(f->path[i], &st) == 0) {
			pjt_err(CMD, "%s already exists: keygen never overwrites a "
			    "file (choose another --out, or move the old one away)",
			    f->path[i]);
			r = -1;
		} else if (errno != ENOENT) {
			pjt_err(CMD, "%s: %s", f->path[i], strerror(errno));
			r = -1;
		}
	}
	return r;
}

static int
files_write(struct files *f, size_t i, const void *data, size_t len,
    unsigned int mode)
{
	if (pjt_write_new(f->path[i], data, len, mode) != 0) {
		pjt_err(CMD, "cannot create %s: %s%s", f->path[i], strerror(errno),
		    errno == EEXIST ? " (keygen never overwrites a file)" : "");
		return -1;
	}
	f->made[i] = 1;
	return 0;
}

static int
keygen_secret(unsigned int alg, const char *prefix)
{
	unsigned char raw[SECRET_RANDOM_BYTES];
	char text[PJ_B64URL_ENCODED_LEN(SECRET_RANDOM_BYTES) + 2];
	struct files f;
	struct pj_key k;
	char reason[REASON_MAX] = "";
	size_t tl = 0;
	int tries, rc = PAMJWT_EXIT_FAIL;

	memset(&f, 0, sizeof(f));
	memset(&k, 0, sizeof(k));
	if (files_add(&f, prefix, ".secret") != 0) {
		pjt_err(CMD, "out of memory or --out too long");
		goto out;
	}
	if (files_check_free(&f) != 0)
		goto out;
	/* the module's own rules decide: 32+ bytes, 8+ distinct, HS512 fits */
	for (tries = 0; tries < 16; tries++) {
		randombytes_buf(raw, sizeof(raw));
		pj_b64url_encode(raw, sizeof(raw), text);
		tl = strlen(text);
		pj_key_clear(&k);
		reason[0] = '\0';
		if (pj_key_from_secret((unsigned char *)text, tl, &k, reason,
		    sizeof(reason)) == PJ_OK && (k.algs & PJ_ALG_HMAC) == PJ_ALG_HMAC)
			break;
	}
	if (tries == 16) {
		pjt_err(CMD, "the random source gave no usable secret: %s", reason);
		goto out;
	}
	text[tl] = '\n';
	if (files_write(&f, 0, text, tl + 1, 0600) != 0)
		goto out;
	printf("wrote %s\n"
	    "      HMAC secret, %zu characters (fits HS256, HS384, HS512), mode 0600:\n"
	    "      keep it secret; an issuer signs with exactly these bytes (without\n"
	    "      the final newline)\n"
	    "\n"
	    "pam_jwt options (pam_jwt.conf; as module arguments write key=value):\n"
	    "  secret_file = %s\n"
	    SUGGESTED
	    "\n"
	    "mint a token:  pamjwt mint --key %s --alg %s --sub USER " MINT_TAIL "\n",
	    f.path[0], tl, f.path[0], f.path[0], pj_alg_name(alg));
	if (fflush(stdout) != 0) {
		pjt_err(CMD, "cannot write to standard output");
		goto out;
	}
	rc = PAMJWT_EXIT_OK;
out:
	if (rc != PAMJWT_EXIT_OK)
		files_undo(&f);
	files_free(&f);
	pj_key_clear(&k);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(text, sizeof(text));
	sodium_memzero(reason, sizeof(reason));
	return rc;
}

/* base64url of an unsigned big-endian number: minimal (pad 0, RFC 7518
 * 6.3.1) or left-padded to pad bytes (EC coordinates, RFC 7518 6.2.1.2). */
static char *
bn_b64(const BIGNUM *bn, int pad)
{
	unsigned char *buf = NULL;
	char *out = NULL;
	int n = pad > 0 ? pad : BN_num_bytes(bn);

	if (n <= 0 || n > 4096)
		goto out;
	buf = malloc((size_t)n);
	if (buf == NULL)
		goto out;
	if ((pad > 0 ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf)) != n)
		goto out;
	out = pj_b64url_encode_alloc(buf, (size_t)n);
out:
	free(buf);
	return out;
}

static char *
param_b64(EVP_PKEY *pkey, const char *name, int pad)
{
	BIGNUM *bn = NULL;
	char *out = NULL;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) == 1)
		out = bn_b64(bn, pad);
	BN_free(bn);
	return out;
}

/* The public JWK of pkey for alg, with kid = the RFC 7638 thumbprint
 * (base64url of SHA-256 over the required members in lexicographic order). */
static int
make_jwk(EVP_PKEY *pkey, unsigned int alg, json_t **out, char **kid_out)
{
	unsigned char raw[32], hash[crypto_hash_sha256_BYTES];
	size_t rawlen = sizeof(raw);
	char *a = NULL, *b = NULL, *kid = NULL, thumb[2200];
	const struct pj_curve *c = pj_curve_by_alg(alg);
	json_t *jwk = NULL;
	int n = -1, r = -1;

	*out = NULL;
	*kid_out = NULL;
	if (alg & PJ_ALG_RSA) {
		a = param_b64(pkey, OSSL_PKEY_PARAM_RSA_N, 0);
		b = param_b64(pkey, OSSL_PKEY_PARAM_RSA_E, 0);
		if (a == NULL || b == NULL)
			goto out;
		n = snprintf(thumb, sizeof(thumb),
		    "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", b, a);
		jwk = json_pack("{s:s,s:s,s:s}", "kty", "RSA", "n", a, "e", b);
	} else if (c != NULL) {
		a = param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_X, (int)c->coord_bytes);
		b = param_b64(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, (int)c->coord_bytes);
		if (a == NULL || b == NULL)
			goto out;
		n = snprintf(thumb, sizeof(thumb),
		    "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		    c->crv, a, b);
		jwk = json_pack("{s:s,s:s,s:s,s:s}", "kty", "EC", "crv", c->crv,
		    "x", a, "y", b);
	} else if (alg == PJ_ALG_EDDSA) {
		if (EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen) != 1 ||
		    rawlen != sizeof(raw) ||
		    (a = pj_b64url_encode_alloc(raw, rawlen)) == NULL)
			goto out;
		n = snprintf(thumb, sizeof(thumb),
		    "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"%s\"}", a);
		jwk = json_pack("{s:s,s:s,s:s}", "kty", "OKP", "crv", "Ed25519",
		    "x", a);
	}
	if (jwk == NULL || n < 0 || (size_t)n >= sizeof(thumb))
		goto out;
	crypto_hash_sha256(hash, (const unsigned char *)thumb,
	    (unsigned long long)n);
	kid = pj_b64url_encode_alloc(hash, sizeof(hash));
	if (kid == NULL ||
	    json_object_set_new(jwk, "kid", json_string(kid)) != 0 ||
	    json_object_set_new(jwk, "alg", json_string(pj_alg_name(alg))) != 0 ||
	    json_object_set_new(jwk, "use", json_string("sig")) != 0)
		goto out;
	*out = jwk; /* transferred */
	jwk = NULL;
	*kid_out = kid; /* transferred */
	kid = NULL;
	r = 0;
out:
	json_decref(jwk);
	free(kid);
	free(a);
	free(b);
	return r;
}

static EVP_PKEY *
generate(unsigned int alg, long long bits)
{
	const struct pj_curve *c = pj_curve_by_alg(alg);

	if (alg & PJ_ALG_RSA)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (c != NULL)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", c->group);
	if (alg == PJ_ALG_EDDSA)
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	return NULL;
}

/* The PEM texts and the JWK Set are what the module will read: load each
 * with the module's own code, sign with the private key and verify with
 * both public forms before anything is written. */
static int
self_check(unsigned int alg, const char *priv, size_t privlen, const char *pub,
    size_t publen, const char *jwks, size_t jwkslen, const char *kid)
{
	static const unsigned char msg[] = "pamjwt keygen self-check";
	struct pj_signer s;
	struct pj_key k;
	struct pj_keyset ks;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char reason[REASON_MAX] = "";
	int r = -1;

	memset(&s, 0, sizeof(s));
	memset(&k, 0, sizeof(k));
	memset(&ks, 0, sizeof(ks));
	if (pj_key_from_pem(pub, publen, &k, reason, sizeof(reason)) != PJ_OK ||
	    (k.algs & alg) == 0)
		goto out;
	if (pj_jwks_parse(jwks, jwkslen, &ks, reason, sizeof(reason)) != PJ_OK ||
	    ks.n != 1 || ks.keys[0].algs != alg || ks.keys[0].kid == NULL ||
	    strcmp(ks.keys[0].kid, kid) != 0 ||
	    pj_jwk_ready(&ks.keys[0], reason, sizeof(reason)) != PJ_OK)
		goto out;
	if (pj_signer_from_pem(priv, privlen, &s, reason, sizeof(reason)) != PJ_OK ||
	    pj_sign(&s, alg, msg, sizeof(msg) - 1, &sig, &siglen) != PJ_OK)
		goto out;
	if (pj_sig_verify(&k, alg, msg, sizeof(msg) - 1, sig, siglen) != PJ_OK ||
	    pj_sig_verify(&ks.keys[0], alg, msg, sizeof(msg) - 1, sig,
	    siglen) != PJ_OK)
		goto out;
	r = 0;
out:
	if (r != 0)
		pjt_err(CMD, "internal error: the new key does not pass the module's "
		    "checks%s%s", reason[0] ? ": " : "", reason);
	free(sig);
	pj_signer_clear(&s);
	pj_key_clear(&k);
	pj_keyset_free(&ks);
	return r;
}

/* The three texts keygen writes for a key pair, each NUL-terminated (the
 * module's readers take a length; the NUL is for printing and safety). */
struct pair_texts {
	char *priv, *pub, *jwks, *kid;
	size_t privlen, publen, jwkslen;
};

static void
pair_texts_free(struct pair_texts *t)
{
	if (t->priv != NULL) {
		sodium_memzero(t->priv, t->privlen);
		free(t->priv);
	}
	free(t->pub);
	free(t->jwks);
	free(t->kid);
	memset(t, 0, sizeof(*t));
}

/* A NUL-terminated copy of a memory BIO's contents. */
static char *
bio_text(BIO *b, size_t *len)
{
	char *data = NULL, *out;
	long n = BIO_get_mem_data(b, &data);

	*len = 0;
	if (n <= 0 || data == NULL || (out = malloc((size_t)n + 1)) == NULL)
		return NULL;
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	*len = (size_t)n;
	return out;
}

/* The private key as PKCS#8 PEM and the public key as SPKI PEM.  The
 * private PEM is encoded in OpenSSL's secure heap (BIO_s_secmem clears its
 * memory) and copied once, into a buffer that pair_texts_free wipes. */
static int
encode_pems(EVP_PKEY *pkey, struct pair_texts *t)
{
	BIO *bpriv = BIO_new(BIO_s_secmem()), *bpub = BIO_new(BIO_s_mem());
	int r = -1;

	if (bpriv == NULL || bpub == NULL ||
	    PEM_write_bio_PrivateKey(bpriv, pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_PUBKEY(bpub, pkey) != 1 ||
	    (t->priv = bio_text(bpriv, &t->privlen)) == NULL ||
	    (t->pub = bio_text(bpub, &t->publen)) == NULL) {
		pjt_err(CMD, "cannot encode the key as PEM");
		goto out;
	}
	r = 0;
out:
	BIO_free(bpriv);
	BIO_free(bpub);
	return r;
}

/* The public key as a one-key JWK Set, ending in a newline; its kid. */
static int
encode_jwks(EVP_PKEY *pkey, unsigned int alg, struct pair_texts *t)
{
	json_t *jwk = NULL, *root = NULL;
	char *jtext = NULL;
	size_t jl;
	int r = -1;

	if (make_jwk(pkey, alg, &jwk, &t->kid) != 0 ||
	    (root = json_pack("{s:[O]}", "keys", jwk)) == NULL ||
	    (jtext = json_dumps(root, JSON_INDENT(2))) == NULL) {
		pjt_err(CMD, "cannot build the JWK Set");
		goto out;
	}
	jl = strlen(jtext);
	if ((t->jwks = malloc(jl + 2)) == NULL) {
		pjt_err(CMD, "out of memory");
		goto out;
	}
	memcpy(t->jwks, jtext, jl);
	t->jwks[jl++] = '\n';
	t->jwks[jl] = '\0';
	t->jwkslen = jl;
	r = 0;
out:
	free(jtext);
	json_decref(root);
	json_decref(jwk);
	return r;
}

/* What was written, and the pam_jwt options that use it. */
static int
print_pair(const struct files *f, unsigned int alg, const char *kid)
{
	printf("wrote %s\n"
	    "      private key (PKCS#8 PEM), mode 0600: keep it with the issuer only\n"
	    "wrote %s\n"
	    "      public key (PEM), mode 0644\n"
	    "wrote %s\n"
	    "      the public key as a JWK Set: kid %s, alg %s, mode 0644\n"
	    "\n"
	    "pam_jwt options (pam_jwt.conf; as module arguments write key=value):\n"
	    "  public_key_file = %s\n"
	    "  (or, to choose keys by the token's kid: jwks_file = %s)\n"
	    SUGGESTED
	    "\n"
	    "mint a token:  pamjwt mint --key %s --alg %s --kid=%s --sub USER \\\n"
	    "                   " MINT_TAIL "\n",
	    f->path[0], f->path[1], f->path[2], kid, pj_alg_name(alg), f->path[1],
	    f->path[2], f->path[0], pj_alg_name(alg), kid);
	if (fflush(stdout) != 0) {
		pjt_err(CMD, "cannot write to standard output");
		return -1;
	}
	return 0;
}

/* Generate, encode, check with the module's own readers, then write the
 * three files (none if anything fails) and say how to use them. */
static int
keygen_pair(unsigned int alg, long long bits, const char *prefix)
{
	struct files f;
	struct pair_texts t;
	EVP_PKEY *pkey = NULL;
	int rc = PAMJWT_EXIT_FAIL;

	memset(&f, 0, sizeof(f));
	memset(&t, 0, sizeof(t));
	if (files_add(&f, prefix, ".key") != 0 ||
	    files_add(&f, prefix, ".pub") != 0 ||
	    files_add(&f, prefix, ".jwks") != 0) {
		pjt_err(CMD, "out of memory or --out too long");
		goto out;
	}
	if (files_check_free(&f) != 0)
		goto out;
	if ((pkey = generate(alg, bits)) == NULL) {
		pjt_err(CMD, "key generation failed");
		goto out;
	}
	if (encode_pems(pkey, &t) != 0 || encode_jwks(pkey, alg, &t) != 0)
		goto out;
	if (self_check(alg, t.priv, t.privlen, t.pub, t.publen, t.jwks,
	    t.jwkslen, t.kid) != 0)
		goto out;
	if (files_write(&f, 0, t.priv, t.privlen, 0600) != 0 ||
	    files_write(&f, 1, t.pub, t.publen, 0644) != 0 ||
	    files_write(&f, 2, t.jwks, t.jwkslen, 0644) != 0)
		goto out;
	if (print_pair(&f, alg, t.kid) != 0)
		goto out;
	rc = PAMJWT_EXIT_OK;
out:
	if (rc != PAMJWT_EXIT_OK)
		files_undo(&f);
	files_free(&f);
	pair_texts_free(&t);
	EVP_PKEY_free(pkey);
	return rc;
}

int
cmd_keygen(int argc, char **argv)
{
	struct pjt_args a;
	const char *val, *alg_s = NULL, *out_s = NULL, *bits_s = NULL;
	char *prefix = NULL;
	unsigned int alg;
	long long bits = RSA_DEFAULT_BITS;
	size_t pl;
	int id, rc = PAMJWT_EXIT_USAGE;

	pjt_args_init(&a, argc, argv, CMD);
	while ((id = pjt_next(&a, opts, &val)) != PJT_END) {
		switch (id) {
		case PJT_ERROR:
			goto out;
		case PJT_OPERAND:
			pjt_err(CMD, "unexpected argument '%.64s' (see pamjwt keygen "
			    "--help)", val);
			goto out;
		case O_HELP:
			usage(stdout);
			rc = PAMJWT_EXIT_OK;
			goto out;
		case O_ALG:
		case O_OUT:
		case O_BITS:
			if ((id == O_ALG && alg_s != NULL) ||
			    (id == O_OUT && out_s != NULL) ||
			    (id == O_BITS && bits_s != NULL)) {
				pjt_err(CMD, "option --%s given twice", opts[id - 1].name);
				goto out;
			}
			if (id == O_ALG)
				alg_s = val;
			else if (id == O_OUT)
				out_s = val;
			else
				bits_s = val;
			break;
		default:
			goto out;
		}
	}
	if (alg_s == NULL || out_s == NULL) {
		pjt_err(CMD, "--alg and --out are required (see pamjwt keygen --help)");
		goto out;
	}
	alg = pj_alg_from_name(alg_s, strlen(alg_s));
	if (alg == 0) {
		pjt_err(CMD, "'%.32s' is not an algorithm pam_jwt accepts: HS256 HS384 "
		    "HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA%s",
		    alg_s, strcmp(alg_s, "none") == 0 ? " (never none)" : "");
		goto out;
	}
	if (bits_s != NULL) {
		if ((alg & PJ_ALG_RSA) == 0) {
			pjt_err(CMD, "--bits is for RSA keys (RS*, PS*) only");
			goto out;
		}
		if (pj_parse_ll(bits_s, PJ_RSA_MIN_BITS, PJ_RSA_MAX_BITS, &bits) != 0) {
			pjt_err(CMD, "--bits '%.32s' is not a whole number from %d to %d",
			    bits_s, PJ_RSA_MIN_BITS, PJ_RSA_MAX_BITS);
			goto out;
		}
	}
	pl = strlen(out_s);
	if (pl == 0 || out_s[pl - 1] == '/') {
		pjt_err(CMD, "--out names the files without their suffix, e.g. "
		    "--out /etc/security/pam_jwt (not a directory)");
		goto out;
	}
	prefix = pjt_abs_path(out_s);
	if (prefix == NULL) {
		pjt_err(CMD, "--out %.64s: %s", out_s, strerror(errno));
		rc = PAMJWT_EXIT_FAIL;
		goto out;
	}
	if (alg & PJ_ALG_HMAC)
		rc = keygen_secret(alg, prefix);
	else
		rc = keygen_pair(alg, bits, prefix);
out:
	free(prefix);
	return rc;
}
