/* spki.c - strict DER SubjectPublicKeyInfo for RSA, EC (curve.h), Ed25519 */
#include "spki.h"
#include "curve.h"
#include "err.h"

#include <string.h>

struct der {
	const unsigned char *p;
	size_t n;
};

/* Read one TLV of the given tag; *v is its contents.  Definite, minimal
 * lengths only (DER). */
static int
tlv(struct der *d, unsigned char tag, struct der *v)
{
	size_t len, i, nb;

	if (d->n < 2 || d->p[0] != tag)
		return -1;
	len = d->p[1];
	i = 2;
	if (len & 0x80) {
		nb = len & 0x7f;
		if (nb == 0 || nb > 3 || d->n < 2 + nb || d->p[2] == 0)
			return -1;
		for (len = 0; i < 2 + nb; i++)
			len = (len << 8) | d->p[i];
		if (len < 0x80)
			return -1; /* not minimal */
	}
	if (len > d->n - i)
		return -1;
	v->p = d->p + i;
	v->n = len;
	d->p += i + len;
	d->n -= i + len;
	return 0;
}

static int
oid_is(const struct der *o, const unsigned char *want, size_t wlen)
{
	return o->n == wlen && memcmp(o->p, want, wlen) == 0;
}

/* A positive INTEGER without a superfluous leading zero; returns the
 * magnitude without the sign byte. */
static int
pos_int(struct der *d, const unsigned char **p, size_t *n)
{
	struct der v;

	if (tlv(d, 0x02, &v) != 0 || v.n == 0 || (v.p[0] & 0x80))
		return -1;
	if (v.p[0] == 0) {
		if (v.n == 1 || !(v.p[1] & 0x80))
			return -1;
		v.p++;
		v.n--;
	}
	*p = v.p;
	*n = v.n;
	return 0;
}

static const unsigned char OID_RSA[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
	0x01, 0x01, 0x01 };
static const unsigned char OID_EC[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
	0x01 };
static const unsigned char OID_ED25519[] = { 0x2b, 0x65, 0x70 };

int
pj_spki_parse(const unsigned char *der, size_t len, struct pj_spki *out,
    char *reason, size_t rlen)
{
	struct der d = { der, len }, spki, alg, oid, params, bits, rsa;
	const struct pj_curve *c;

	memset(out, 0, sizeof(*out));
	if (tlv(&d, 0x30, &spki) != 0 || d.n != 0 ||
	    tlv(&spki, 0x30, &alg) != 0 || tlv(&alg, 0x06, &oid) != 0 ||
	    tlv(&spki, 0x03, &bits) != 0 || spki.n != 0)
		return pj_reason(PJ_E_KEY, reason, rlen,
		    "public key is not a DER SubjectPublicKeyInfo");
	/* BIT STRING: no unused bits */
	if (bits.n < 1 || bits.p[0] != 0)
		return pj_reason(PJ_E_KEY, reason, rlen, "malformed key BIT STRING");
	bits.p++;
	bits.n--;
	if (oid_is(&oid, OID_RSA, sizeof(OID_RSA))) {
		/* parameters: NULL */
		if (tlv(&alg, 0x05, &params) != 0 || params.n != 0 || alg.n != 0)
			return pj_reason(PJ_E_KEY, reason, rlen,
			    "RSA key parameters must be NULL");
		if (tlv(&bits, 0x30, &rsa) != 0 || bits.n != 0 ||
		    pos_int(&rsa, &out->a, &out->alen) != 0 ||
		    pos_int(&rsa, &out->b, &out->blen) != 0 || rsa.n != 0)
			return pj_reason(PJ_E_KEY, reason, rlen,
			    "malformed RSAPublicKey");
		out->type = PJ_SPKI_RSA;
		return PJ_OK;
	}
	if (oid_is(&oid, OID_EC, sizeof(OID_EC))) {
		if (tlv(&alg, 0x06, &params) != 0 || alg.n != 0)
			return pj_reason(PJ_E_KEY, reason, rlen,
			    "EC key must name its curve");
		c = pj_curve_by_oid(params.p, params.n);
		if (c == NULL)
			return pj_reason(PJ_E_KEY, reason, rlen,
			    "EC key on a curve other than " PJ_CURVE_NAMES);
		/* uncompressed point only */
		if (bits.n != 1 + 2 * c->coord_bytes || bits.p[0] != 0x04)
			return pj_reason(PJ_E_KEY, reason, rlen,
			    "EC public key must be an uncompressed point");
		out->type = PJ_SPKI_EC;
		out->curve = c;
		out->a = bits.p;
		out->alen = bits.n;
		return PJ_OK;
	}
	if (oid_is(&oid, OID_ED25519, sizeof(OID_ED25519))) {
		if (alg.n != 0 || bits.n != 32)
			return pj_reason(PJ_E_KEY, reason, rlen,
			    "malformed Ed25519 public key");
		out->type = PJ_SPKI_ED25519;
		out->a = bits.p;
		out->alen = bits.n;
		return PJ_OK;
	}
	return pj_reason(PJ_E_KEY, reason, rlen,
	    "unsupported key type (RSA, EC P-256/384/521 and Ed25519 are)");
}
