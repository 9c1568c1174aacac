/* rsa.c - the acceptance rule for RSA public keys, on raw numbers (rsa.h) */
#include "rsa.h"
#include "err.h"

#include <stdint.h>

size_t
pj_rsa_bits(const unsigned char *p, size_t len)
{
	size_t bits;
	unsigned char top;

	while (len > 0 && p[0] == 0) {
		p++;
		len--;
	}
	if (len == 0)
		return 0;
	bits = (len - 1) * 8;
	for (top = p[0]; top != 0; top >>= 1)
		bits++;
	return bits;
}

int
pj_rsa_check(const unsigned char *n, size_t nlen, const unsigned char *e,
    size_t elen, char *reason, size_t rlen)
{
	size_t nbits = pj_rsa_bits(n, nlen), ebits = pj_rsa_bits(e, elen);
	int r = PJ_E_KEY;

	if (nbits < PJ_RSA_MIN_BITS || nbits > PJ_RSA_MAX_BITS) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "RSA key of %zu bits (%d to %d are accepted)", nbits,
		    PJ_RSA_MIN_BITS, PJ_RSA_MAX_BITS);
		goto out;
	}
	/* e >= 3 and odd: ebits >= 2 with the last bit set */
	if (ebits < 2 || ebits > PJ_RSA_E_MAX_BITS || (e[elen - 1] & 1) == 0) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "RSA public exponent is unsafe (must be odd, 3 or more, at "
		    "most %d bits)", PJ_RSA_E_MAX_BITS);
		goto out;
	}
	if (pj_rsa_roca(n, nlen)) {
		r = pj_reason(PJ_E_KEY, reason, rlen,
		    "RSA modulus has the ROCA fingerprint (CVE-2017-15361): "
		    "the key is breakable, replace it");
		goto out;
	}
	r = PJ_OK;
out:
	return r;
}

/* ROCA (CVE-2017-15361): moduli from Infineon's flawed generator are
 * 65537^a mod M for a primorial M, so n mod p lies in the subgroup that
 * 65537 generates modulo every small prime p of M.  For a sound modulus that
 * holds for all 38 primes with negligible probability. */
int
pj_rsa_roca(const unsigned char *n, size_t len)
{
	static const unsigned int primes[] = { 3, 5, 7, 11, 13, 17, 19, 23, 29,
		31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103,
		107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167 };
	const size_t np = sizeof(primes) / sizeof(primes[0]);
	size_t i, j, k, group_end = 0;
	uint64_t m = 1, nm = 0;
	unsigned int p, g, x, rem;
	int in;

	if (len == 0)
		return 0;
	for (i = 0; i < np; i++) {
		p = primes[i];
		if (i == group_end) {
			/* n mod m for m the product of the next primes below 2^32:
			 * Horner over 32-bit words (a short first one), nm < m,
			 * so nm * 2^32 + word fits in 64 bits.  One pass settles
			 * 3 to 29, where a sound modulus almost always fails. */
			for (m = 1, j = i; j < np && m * primes[j] <= UINT32_MAX; j++)
				m *= primes[j];
			group_end = j;
			nm = 0;
			for (k = 0; k < len % 4; k++)
				nm = (nm << 8) | n[k];
			for (; k < len; k += 4)
				nm = ((nm << 32) | ((uint64_t)n[k] << 24) |
				    ((uint64_t)n[k + 1] << 16) | ((uint64_t)n[k + 2] << 8) |
				    n[k + 3]) % m;
			nm %= m;
		}
		rem = (unsigned int)(nm % p);
		g = 65537u % p;
		x = 1;
		in = 0;
		do {
			if (x == rem) {
				in = 1;
				break;
			}
			x = (x * g) % p;
		} while (x != 1);
		if (!in)
			return 0;
	}
	return 1;
}
