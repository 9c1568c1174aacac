/* fuzz_pem.c - the PEM public key reader (pj_key_from_pem) and, beneath it,
 * the strict DER SubjectPublicKeyInfo reader (pj_spki_parse).
 *
 * Input: 'D' + DER bytes goes to pj_spki_parse (and, when it parses, through
 * a PEM wrapping to pj_key_from_pem); anything else is PEM text. */
#include "fuzz_common.h"
#include "lib/spki.h"

static void
check_key(const struct pj_key *k)
{
	FUZZ_ASSERT(k->algs != 0 && (k->algs & ~PJ_ALG_ALL) == 0);
	switch (k->type) {
	case PJ_KEY_RSA:
		FUZZ_ASSERT(k->pkey != NULL && k->algs == PJ_ALG_RSA);
		FUZZ_ASSERT(k->sig_len >= PJ_RSA_MIN_BITS / 8 &&
		    k->sig_len <= PJ_RSA_MAX_BITS / 8);
		break;
	case PJ_KEY_EC:
		FUZZ_ASSERT(k->pkey != NULL);
		FUZZ_ASSERT((k->algs == PJ_ALG_ES256 && k->sig_len == 64) ||
		    (k->algs == PJ_ALG_ES384 && k->sig_len == 96) ||
		    (k->algs == PJ_ALG_ES512 && k->sig_len == 132));
		break;
	case PJ_KEY_ED25519:
		FUZZ_ASSERT(k->algs == PJ_ALG_EDDSA);
		break;
	case PJ_KEY_HMAC:
		FUZZ_ASSERT(0); /* never from a PEM */
		break;
	}
}

int
LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct pj_key k;
	struct pj_spki spki;
	char reason[256] = "", *pem, *b64;
	size_t n;

	if (size < 1 || size > PJ_PEM_MAX + 1)
		return 0;
	memset(&k, 0, sizeof(k));
	if (data[0] == 'D') {
		if (pj_spki_parse(data + 1, size - 1, &spki, reason,
		    sizeof(reason)) != PJ_OK)
			return 0;
		FUZZ_ASSERT(spki.a >= data + 1 && spki.a + spki.alen <= data + size);
		if (spki.b != NULL)
			FUZZ_ASSERT(spki.b >= data + 1 &&
			    spki.b + spki.blen <= data + size);
		/* the same DER through the PEM path */
		n = sodium_base64_ENCODED_LEN(size - 1,
		    sodium_base64_VARIANT_ORIGINAL);
		b64 = malloc(n);
		pem = malloc(n + 64);
		FUZZ_ASSERT(b64 != NULL && pem != NULL);
		sodium_bin2base64(b64, n, data + 1, size - 1,
		    sodium_base64_VARIANT_ORIGINAL);
		n = (size_t)snprintf(pem, n + 64,
		    "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n", b64);
		reason[0] = '\0';
		if (pj_key_from_pem(pem, n, &k, reason, sizeof(reason)) == PJ_OK)
			check_key(&k);
		pj_key_clear(&k);
		free(b64);
		free(pem);
		return 0;
	}
	pem = fuzz_strndup(data + 1, size - 1);
	if (pj_key_from_pem(pem, size - 1, &k, reason, sizeof(reason)) == PJ_OK)
		check_key(&k);
	else
		FUZZ_ASSERT(reason[0] != '\0');
	FUZZ_ASSERT(strlen(reason) < sizeof(reason));
	pj_key_clear(&k);
	free(pem);
	return 0;
}
