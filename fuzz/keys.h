/* keys.h - fixed test keys of the fuzz harnesses (written by
 * fuzz/gen_corpus.py; the seeds in fuzz/corpus are signed with
 * their private halves).  Public test material only. */
#ifndef FUZZ_KEYS_H
#define FUZZ_KEYS_H

static const char FUZZ_SECRET[] =
	"fuzz-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMN";
static const char FUZZ_RSA_PEM[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAq3Tv8KPfrMU4hsyEZbuj\n"
	"pH1q/6WlEL40RfDh3vAirGAuifClI0MP8b0zBIKoMNRydEwGGyHmh9HOsvfc1ExD\n"
	"kiL22JbeGIvgUdV+A+HXw6laq1Gkg9ZAXggTl2b8g74MMQAnfHEu9+ysh0EgGIpO\n"
	"1unsgcyluyFai2B4TUCgxKVUyc7A8cKvimU5GLC8b/uiizywIYoPOD+g8I7/Tp1b\n"
	"RY6UlfEWEU1Pm7V/uhyuIhjvI4SgLaK5kJeXtJ46erjgnFUrj9dTac7meKl/Jdhq\n"
	"fPV8Xx+f8ub4wUW4pj4HUuqXfyFWzgMiKfnnCdHuuhXwLgSKcQwC8/pSLoqRwBrG\n"
	"LwIDAQAB\n"
	"-----END PUBLIC KEY-----\n";
static const char FUZZ_ED25519_PEM[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MCowBQYDK2VwAyEAebVWLo/mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ=\n"
	"-----END PUBLIC KEY-----\n";
static const char FUZZ_JWKS[] =
	"{\n"
	" \"keys\": [\n"
	"  {\n"
	"   \"kty\": \"RSA\",\n"
	"   \"key_ops\": [\n"
	"    \"verify\"\n"
	"   ],\n"
	"   \"n\": \"wYW-i0bubapqa-4PGgiqJMPbAc2isqY3aF5NrEzL6W-aMpWKDpYk_Jm-B5GsUy9_eu9dVPowPoCEIpDWJT6nfr-1vZwHX3_qAIC7J9f0_Mt8WeohDAMF0TmaR5J1dhx9XejqKsJzof87TytjXBboPJ8Wg_cNj28egcIQBWuGEOF0uCgiwIw-1PYHMDWa-cqxJAg2cK4PFpMOd4XBKzxqhMHSD_6Xj7u4jfyHw7ePUeO4vE8Kyvzbzf0_lHYNGqbTbnhShqVwmKIzsCIvqIldujv3PM3FhDHfWYVCAaF0N462WvIxex3yvPkqszvFKve4DuWZEDDOAKu52Ek5PtXngQ\",\n"
	"   \"e\": \"AQAB\",\n"
	"   \"kid\": \"rsa1\",\n"
	"   \"use\": \"sig\"\n"
	"  },\n"
	"  {\n"
	"   \"kty\": \"EC\",\n"
	"   \"crv\": \"P-256\",\n"
	"   \"x\": \"vnuje9VD4PyMzx0-QcWFhU6gisfKaK7fYoAJz_yay3U\",\n"
	"   \"y\": \"34MEi2ONJv2QBANTa4_LDvyBDo8bHq8gNhA5DHits4s\",\n"
	"   \"kid\": \"ec256\",\n"
	"   \"alg\": \"ES256\"\n"
	"  },\n"
	"  {\n"
	"   \"kty\": \"EC\",\n"
	"   \"crv\": \"P-384\",\n"
	"   \"x\": \"_Mf83_jNVpTVRlvArIaqrCb_Buajt6olPL30neF2QbMPlFQCFC1fYL-FrVFJIdeh\",\n"
	"   \"y\": \"TmOjJIRDxz-Cx1YGnNfGzw6SzKI-zhoHHPd45E9Tfsf0_sGKt5auFIF8YG8L5smY\",\n"
	"   \"kid\": \"ec384\"\n"
	"  },\n"
	"  {\n"
	"   \"kty\": \"EC\",\n"
	"   \"crv\": \"P-521\",\n"
	"   \"x\": \"AWbmpQIqm-E6S0W2tgMvhNP7ni98_Q0E0ytti5ZJmHob3CF9tbHy28U1HKv0a2WvfL0850ju5CIbGEpoiv7-B9Df\",\n"
	"   \"y\": \"swfbYqsYqAvCZcFoY7JEcBU_D9LfKQetNrAnmUkd8I7IPhj1zFStTXiEfzPgtG4FR9WBu-fwu0iYyUfEgLSFNdM\",\n"
	"   \"kid\": \"ec521\",\n"
	"   \"key_ops\": [\n"
	"    \"verify\"\n"
	"   ]\n"
	"  },\n"
	"  {\n"
	"   \"x\": \"ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ\",\n"
	"   \"kty\": \"OKP\",\n"
	"   \"crv\": \"Ed25519\",\n"
	"   \"kid\": \"ed1\"\n"
	"  }\n"
	" ]\n"
	"}\n";
static const char FUZZ_ED25519_SEED[] =
	"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20";

#endif
