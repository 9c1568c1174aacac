/* floor_module.c - the floor for row 2 of make bench: a PAM module that does
 * nothing but the raw signature primitive, with the key built from its own
 * numbers, in a fresh process.  It shows what any module that checks one
 * signature of that algorithm must pay there (for RSA and EC: loading and
 * initialising OpenSSL's libcrypto), so that pam_jwt's own share can be told
 * apart from it.
 *
 *   auth required floor_sodium.so file=SPEC    (HS256, EdDSA: libsodium)
 *   auth required floor_ossl.so file=SPEC      (RS256, PS256, ES256)
 *   auth required floor_nettle.so file=SPEC    (the same with Nettle's
 *                                               libhogweed: what a module
 *                                               verifying with it pays)
 *   auth required floor_trivial.so             (the floor of both rows:
 *       a password module that asks once and succeeds, -z nodelete like
 *       pam_jwt.so, so that it too stays loaded between PAM handles)
 *   auth required floor_trivial.so duties      (the same, then what the
 *       contract asks of any module besides the signature: the account
 *       looked up with getpwnam_r and one pam_syslog audit line; row 1d)
 *   auth required floor_trivial.so duties stat=PATH ...
 *       (the same, and one fstatat of each PATH first: what a module
 *       that keeps what it parsed pays when it checks each file it
 *       depends on with one system call -- the configuration file,
 *       present or not, and the key file; row 1m)
 *
 * SPEC holds lines "alg NAME", "key HEX" (RSA modulus, EC uncompressed
 * point, HMAC secret or Ed25519 public key), "e HEX" (RSA), "msg HEX" (the
 * JWS signing input) and "sig HEX" (ECDSA as DER).  PAM_SUCCESS only when the
 * signature verifies.  A benchmark tool, never installed.
 */
#include <fcntl.h>
#include <pwd.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>

#ifdef FLOOR_NETTLE
#include <nettle/ecc-curve.h>
#include <nettle/ecc.h>
#include <nettle/ecdsa.h>
#include <nettle/rsa.h>
#include <nettle/sha2.h>
#endif

#ifdef FLOOR_OSSL
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#endif

#define MAXB 4096

struct spec {
	char alg[16];
	unsigned char key[MAXB], e[16], msg[MAXB], sig[MAXB], rawsig[MAXB];
	size_t keylen, elen, msglen, siglen, rawsiglen;
};

static int
hex(const char *s, unsigned char *out, size_t cap, size_t *len)
{
	return sodium_hex2bin(out, cap, s, strlen(s), NULL, len, NULL);
}

static int
read_spec(const char *path, struct spec *sp)
{
	static char line[2 * MAXB + 64];
	FILE *f = fopen(path, "r");
	int r = 0;

	if (f == NULL)
		return -1;
	memset(sp, 0, sizeof(*sp));
	while (r == 0 && fgets(line, sizeof(line), f) != NULL) {
		char *v = strchr(line, ' ');

		if (v == NULL)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\n")] = '\0';
		if (strcmp(line, "alg") == 0)
			(void)snprintf(sp->alg, sizeof(sp->alg), "%s", v);
		else if (strcmp(line, "key") == 0)
			r = hex(v, sp->key, sizeof(sp->key), &sp->keylen);
		else if (strcmp(line, "e") == 0)
			r = hex(v, sp->e, sizeof(sp->e), &sp->elen);
		else if (strcmp(line, "msg") == 0)
			r = hex(v, sp->msg, sizeof(sp->msg), &sp->msglen);
		else if (strcmp(line, "sig") == 0)
			r = hex(v, sp->sig, sizeof(sp->sig), &sp->siglen);
		else if (strcmp(line, "rawsig") == 0)
			r = hex(v, sp->rawsig, sizeof(sp->rawsig), &sp->rawsiglen);
	}
	fclose(f);
	return r;
}

#ifdef FLOOR_OSSL
static int
verify_ossl(const struct spec *sp)
{
	EVP_PKEY_CTX *kctx = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	BIGNUM *n = NULL, *e = NULL;
	int ec = strcmp(sp->alg, "ES256") == 0, ok = 0;

	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL)
		goto out;
	if (ec) {
		if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
		    "prime256v1", 0) ||
		    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
		    sp->key, sp->keylen))
			goto out;
	} else {
		n = BN_bin2bn(sp->key, (int)sp->keylen, NULL);
		e = BN_bin2bn(sp->e, (int)sp->elen, NULL);
		if (n == NULL || e == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
			goto out;
	}
	params = OSSL_PARAM_BLD_to_param(bld);
	kctx = EVP_PKEY_CTX_new_from_name(NULL, ec ? "EC" : "RSA", NULL);
	if (params == NULL || kctx == NULL || EVP_PKEY_fromdata_init(kctx) != 1 ||
	    EVP_PKEY_fromdata(kctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	mctx = EVP_MD_CTX_new();
	if (mctx == NULL ||
	    EVP_DigestVerifyInit(mctx, &pctx, EVP_sha256(), NULL, pkey) != 1)
		goto out;
	if (strcmp(sp->alg, "PS256") == 0 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
		goto out;
	ok = EVP_DigestVerify(mctx, sp->sig, sp->siglen, sp->msg, sp->msglen) == 1;
out:
	EVP_MD_CTX_free(mctx);
	EVP_PKEY_free(pkey);
	EVP_PKEY_CTX_free(kctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	return ok;
}
#endif

#ifdef FLOOR_NETTLE
static int
verify_nettle(const struct spec *sp)
{
	struct sha256_ctx h;
	uint8_t digest[SHA256_DIGEST_SIZE];
	int ok = 0;

	sha256_init(&h);
	sha256_update(&h, sp->msglen, sp->msg);
	sha256_digest(&h, sizeof(digest), digest);
	if (strcmp(sp->alg, "ES256") == 0) {
		const struct ecc_curve *c = nettle_get_secp_256r1();
		struct ecc_point p;
		struct dsa_signature ds;
		mpz_t x, y;

		if (sp->keylen != 65 || sp->rawsiglen != 64)
			return 0;
		mpz_inits(x, y, NULL);
		mpz_import(x, 32, 1, 1, 0, 0, sp->key + 1);
		mpz_import(y, 32, 1, 1, 0, 0, sp->key + 33);
		ecc_point_init(&p, c);
		dsa_signature_init(&ds);
		mpz_import(ds.r, 32, 1, 1, 0, 0, sp->rawsig);
		mpz_import(ds.s, 32, 1, 1, 0, 0, sp->rawsig + 32);
		ok = ecc_point_set(&p, x, y) &&
		    ecdsa_verify(&p, sizeof(digest), digest, &ds);
		dsa_signature_clear(&ds);
		ecc_point_clear(&p);
		mpz_clears(x, y, NULL);
	} else {
		struct rsa_public_key pub;
		mpz_t s;

		rsa_public_key_init(&pub);
		mpz_init(s);
		mpz_import(pub.n, sp->keylen, 1, 1, 0, 0, sp->key);
		mpz_import(pub.e, sp->elen, 1, 1, 0, 0, sp->e);
		mpz_import(s, sp->siglen, 1, 1, 0, 0, sp->sig);
		if (rsa_public_key_prepare(&pub))
			ok = strcmp(sp->alg, "PS256") == 0 ?
			    rsa_pss_sha256_verify_digest(&pub, SHA256_DIGEST_SIZE,
			    digest, s) :
			    rsa_sha256_verify_digest(&pub, digest, s);
		mpz_clear(s);
		rsa_public_key_clear(&pub);
	}
	return ok;
}
#endif

static int
verify(const struct spec *sp)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;

	if (sodium_init() < 0)
		return 0;
	if (strcmp(sp->alg, "HS256") == 0) {
		crypto_auth_hmacsha256_init(&st, sp->key, sp->keylen);
		crypto_auth_hmacsha256_update(&st, sp->msg, sp->msglen);
		crypto_auth_hmacsha256_final(&st, mac);
		return sp->siglen == sizeof(mac) &&
		    sodium_memcmp(mac, sp->sig, sizeof(mac)) == 0;
	}
	if (strcmp(sp->alg, "EdDSA") == 0)
		return sp->keylen == crypto_sign_PUBLICKEYBYTES &&
		    sp->siglen == crypto_sign_BYTES &&
		    crypto_sign_verify_detached(sp->sig, sp->msg, sp->msglen,
		    sp->key) == 0;
#if defined(FLOOR_OSSL)
	return verify_ossl(sp);
#elif defined(FLOOR_NETTLE)
	return verify_nettle(sp);
#else
	return 0;
#endif
}

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	static struct spec sp;
	int i;

	(void)flags;
#ifdef FLOOR_TRIVIAL
	{
		char *resp = NULL;
		int duties = 0;
		struct stat st;

		(void)sp;
		for (i = 0; i < argc; i++)
			duties |= strcmp(argv[i], "duties") == 0;
		if (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &resp, "Token: ") !=
		    PAM_SUCCESS || resp == NULL)
			return PAM_AUTH_ERR;
		sodium_memzero(resp, strlen(resp));
		free(resp);
		/* one system call per file the login depends on, whatever
		 * its answer (an absent configuration file is a valid one) */
		for (i = 0; i < argc; i++)
			if (strncmp(argv[i], "stat=", 5) == 0)
				(void)fstatat(AT_FDCWD, argv[i] + 5, &st,
				    AT_SYMLINK_NOFOLLOW);
		if (duties) {
			/* what the contract asks of any module besides the
			 * signature: the local account looked up, and one
			 * audit line through pam_syslog naming the outcome
			 * and the identifying claims */
			const char *user = NULL;
			struct passwd pw, *found = NULL;
			char buf[1024];

			if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS ||
			    user == NULL ||
			    getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 ||
			    found == NULL)
				return PAM_USER_UNKNOWN;
			pam_syslog(pamh, LOG_NOTICE, "accepted: user=%s sub=%s "
			    "iss=%s jti=%s kid=%s alg=%s", user, user,
			    "https://idp.bench.example", "-", "k-HS256", "HS256");
		}
		return PAM_SUCCESS;
	}
#endif
	(void)pamh;
	for (i = 0; i < argc; i++)
		if (strncmp(argv[i], "file=", 5) == 0)
			return read_spec(argv[i] + 5, &sp) == 0 && verify(&sp) ?
			    PAM_SUCCESS : PAM_AUTH_ERR;
	return PAM_AUTH_ERR;
}

PAM_EXTERN int
pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
