#!/usr/bin/python3
"""Fixtures for the pam_jwt unit tests, made by an independent implementation.

    /usr/bin/python3 tests/unit/fixtures.py OUTDIR

Writes fresh keys (openssl genpkey), signed tokens (PyJWT and, for hand-made
headers, PyJWT's algorithm objects over raw bytes; python3-cryptography for
the few signatures PyJWT refuses to make), JWKs, and passwd/group files for
nss_wrapper into OUTDIR.  manifest.txt lists "NAME VALUE" lines: every token
by name and the fixed clock ("now").  The C tests never sign anything
themselves, so a bug shared by our signer and our verifier cannot hide.
"""
import hashlib as _hashlib
import hmac as _hmac
import json
import os
import secrets
import subprocess
import sys

import jwt
from jwt.algorithms import get_default_algorithms
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "support"))
import pjtest  # noqa: E402  (tests/support/pjtest.py)

NOW = 1700000000          # the fixed clock the C tests pass as `now`
ISS = "https://issuer.example"
AUD = "pam"

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
os.chmod(out, 0o755)
manifest = []


def path(name):
    return os.path.join(out, name)


def write(name, data, mode=0o644):
    return pjtest.write(path(name), data, mode)

b64u = pjtest.b64u


def uint_b64u(n, size=None):
    size = size or max(1, (n.bit_length() + 7) // 8)
    return b64u(n.to_bytes(size, "big"))


def put(name, value):
    assert " " not in name and "\n" not in str(value)
    manifest.append("%s %s" % (name, value))


def genpkey(name, *args):
    """A private key from openssl genpkey, its public half as SPKI PEM."""
    key = path(name + ".key.pem")
    subprocess.run(["openssl", "genpkey", "-out", key] + list(args), check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(key, 0o600)
    subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out",
                    path(name + ".pub.pem")], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.chmod(path(name + ".pub.pem"), 0o644)
    with open(key, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


# ---- keys ---------------------------------------------------------------
rsa = genpkey("rsa2048", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048")
genpkey("rsa1024", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024")
ec256 = genpkey("ec256", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256")
ec384 = genpkey("ec384", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384")
ec521 = genpkey("ec521", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521")
genpkey("k256", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1")
ed = genpkey("ed25519", "-algorithm", "ED25519")
# PKCS#1 "RSA PUBLIC KEY" (not SubjectPublicKeyInfo) for the refusal test
subprocess.run(["openssl", "rsa", "-in", path("rsa2048.key.pem"), "-RSAPublicKey_out",
                "-out", path("rsa2048.pkcs1.pem")], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
os.chmod(path("rsa2048.pkcs1.pem"), 0o644)

# 64 printable bytes (HS512 needs 64), stored with one trailing newline
# that the module strips.
alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
secret = "".join(secrets.choice(alphabet) for _ in range(64)).encode()
write("hs.secret", secret + b"\n", 0o600)
write("hs.secret.raw", secret, 0o600)      # same bytes, no newline

with open(path("rsa2048.pub.pem"), "rb") as f:
    rsa_pem_text = f.read()


# ---- JWKs ---------------------------------------------------------------
def jwk_of(key, kid):
    pub = key.public_key() if hasattr(key, "public_key") else key
    if hasattr(pub, "public_numbers") and hasattr(pub.public_numbers(), "n"):
        nums = pub.public_numbers()
        return {"kty": "RSA", "kid": kid, "n": uint_b64u(nums.n),
                "e": uint_b64u(nums.e)}
    if isinstance(pub, ec.EllipticCurvePublicKey):
        size = (pub.curve.key_size + 7) // 8
        crv = {"secp256r1": "P-256", "secp384r1": "P-384",
               "secp521r1": "P-521"}[pub.curve.name]
        nums = pub.public_numbers()
        return {"kty": "EC", "kid": kid, "crv": crv, "x": uint_b64u(nums.x, size),
                "y": uint_b64u(nums.y, size)}
    raw = pub.public_bytes(serialization.Encoding.Raw,
                           serialization.PublicFormat.Raw)
    return {"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64u(raw)}


def jwk_private(key, kid):
    j = jwk_of(key, kid)
    if j["kty"] == "RSA":
        j["d"] = uint_b64u(key.private_numbers().d)
    elif j["kty"] == "EC":
        j["d"] = uint_b64u(key.private_numbers().private_value,
                           (key.curve.key_size + 7) // 8)
    else:
        j["d"] = b64u(key.private_bytes(serialization.Encoding.Raw,
                                        serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption()))
    return j


jwks = {"rsa1": jwk_of(rsa, "rsa1"), "ec256": jwk_of(ec256, "ec256"),
        "ec384": jwk_of(ec384, "ec384"), "ec521": jwk_of(ec521, "ec521"),
        "ed1": jwk_of(ed, "ed1")}
for kid, j in jwks.items():
    write("jwk-%s.json" % kid, json.dumps(j))
    write("jwk-%s-private.json" % kid, json.dumps(jwk_private(
        {"rsa1": rsa, "ec256": ec256, "ec384": ec384, "ec521": ec521,
         "ed1": ed}[kid], kid)), 0o600)
write("jwks.json", json.dumps({"keys": list(jwks.values())}))
write("jwk-oct.json", json.dumps({"kty": "oct", "kid": "hs1", "k": b64u(secret)}),
      0o600)

# ---- tokens -------------------------------------------------------------
KEYS = {"HS256": secret, "HS384": secret, "HS512": secret,
        "RS256": rsa, "RS384": rsa, "RS512": rsa,
        "PS256": rsa, "PS384": rsa, "PS512": rsa,
        "ES256": ec256, "ES384": ec384, "ES512": ec521, "EdDSA": ed}
KIDS = {"RS256": "rsa1", "PS256": "rsa1", "ES256": "ec256", "ES384": "ec384",
        "ES512": "ec521", "EdDSA": "ed1"}


def claims(**kw):
    c = {"sub": "alice", "iss": ISS, "aud": AUD, "iat": NOW, "nbf": NOW,
         "exp": NOW + 3600}
    c.update(kw)
    return {k: v for k, v in c.items() if v is not None}


for alg, key in KEYS.items():
    put("tok." + alg, jwt.encode(claims(jti="jti-" + alg), key, algorithm=alg))
for alg, kid in KIDS.items():
    put("kid." + alg, jwt.encode(claims(), KEYS[alg], algorithm=alg,
                                 headers={"kid": kid}))
put("kid.HS256", jwt.encode(claims(), secret, algorithm="HS256",
                            headers={"kid": "hs1"}))

# Check our own output with PyJWT before the C tests rely on it.
for alg, key in KEYS.items():
    tok = dict(l.split(" ", 1) for l in manifest)["tok." + alg]
    vkey = key if isinstance(key, bytes) else key.public_key()
    jwt.decode(tok, vkey, algorithms=[alg], audience=AUD,
               options={"verify_exp": False, "verify_iat": False,
                        "verify_nbf": False})


def raw(header, payload, alg="HS256", key=secret):
    """A compact JWS over exactly these header and payload bytes."""
    if isinstance(header, (dict, list)):
        header = json.dumps(header, separators=(",", ":"))
    if not isinstance(payload, str):
        payload = json.dumps(payload, separators=(",", ":"))
    signing_input = (b64u(header) + "." + b64u(payload)).encode()
    if alg is None:
        return signing_input.decode() + "."
    a = get_default_algorithms()[alg]
    sig = a.sign(signing_input, a.prepare_key(key))
    return signing_input.decode() + "." + b64u(sig)


P = claims()
put("raw.ok", raw('{"alg":"HS256"}', P))
put("raw.ws", raw(' {\n\t"alg" : "HS256" ,"typ":"JWT"}\r\n', P))
put("raw.ignored", raw({"alg": "HS256", "jwk": jwks["ec256"], "jku": "https://x.example/k",
                        "x5u": "https://x.example/c", "x5c": ["AAAA"]}, P))
put("hdr.dup_alg", raw('{"alg":"HS256","alg":"HS256"}', P))
put("hdr.dup_kid", raw('{"alg":"HS256","kid":"a","kid":"b"}', P))
put("hdr.crit", raw({"alg": "HS256", "crit": ["exp"], "exp": 1}, P))
put("hdr.crit_empty", raw({"alg": "HS256", "crit": []}, P))
put("hdr.enc", raw({"alg": "HS256", "enc": "A128GCM"}, P))
put("hdr.zip", raw({"alg": "HS256", "zip": "DEF"}, P))
put("hdr.b64", raw({"alg": "HS256", "b64": False}, P))
put("hdr.b64_true", raw({"alg": "HS256", "b64": True}, P))
put("hdr.cty_JWT", raw({"alg": "HS256", "cty": "JWT"}, P))
put("hdr.cty_jwt", raw({"alg": "HS256", "cty": "jwt"}, P))
put("hdr.cty_num", raw({"alg": "HS256", "cty": 1}, P))
put("hdr.cty_other", raw({"alg": "HS256", "cty": "example+json"}, P))
put("hdr.kid_num", raw({"alg": "HS256", "kid": 7}, P))
put("hdr.kid_empty", raw({"alg": "HS256", "kid": ""}, P))
put("hdr.kid_long", raw({"alg": "HS256", "kid": "k" * 300}, P))
put("hdr.kid_256", raw({"alg": "HS256", "kid": "k" * 256}, P))
put("hdr.kid_obj", raw({"alg": "HS256", "kid": {}}, P))
put("hdr.kid_null", raw({"alg": "HS256", "kid": None}, P))
put("hdr.kid_nul", raw('{"alg":"HS256","kid":"a\\u0000b"}', P))
put("hdr.typ_num", raw({"alg": "HS256", "typ": 1}, P))
put("hdr.alg_none", raw({"alg": "none"}, P, alg=None))
put("hdr.alg_None", raw({"alg": "None"}, P, alg=None))
put("hdr.alg_NONE", raw({"alg": "NONE"}, P, alg=None))
put("hdr.alg_none_hmac", raw({"alg": "none"}, P))
put("hdr.alg_lower", raw({"alg": "hs256"}, P))
put("hdr.alg_unknown", raw({"alg": "HS257"}, P))
put("hdr.alg_ed25519", raw({"alg": "Ed25519"}, P, alg="EdDSA", key=ed))
put("hdr.alg_missing", raw({"typ": "JWT"}, P))
put("hdr.alg_num", raw({"alg": 256}, P))
put("hdr.alg_null", raw({"alg": None}, P))
put("hdr.alg_nul", raw('{"alg":"HS256\\u0000"}', P))
put("hdr.array", raw('[{"alg":"HS256"}]', P))
put("hdr.string", raw('"HS256"', P))
put("hdr.trailing", raw('{"alg":"HS256"} x', P))
put("hdr.two_objects", raw('{"alg":"HS256"}{}', P))
put("hdr.bad_json", raw('{"alg":"HS256",}', P))
put("hdr.bad_utf8", raw(b'{"alg":"HS256","x":"\xff"}', P))
put("pay.dup", raw('{"alg":"HS256"}',
                   '{"sub":"alice","sub":"root","exp":%d}' % (NOW + 3600)))
put("pay.notjson", raw('{"alg":"HS256"}', "foo"))
put("pay.array", raw('{"alg":"HS256"}', "[1,2]"))
put("pay.empty_obj", raw('{"alg":"HS256"}', "{}"))

# Algorithm confusion: an HS256 token whose HMAC key is the RSA public key's
# PEM text (what a naive library verifying with "the key" would use).  PyJWT
# rightly refuses to make these, so the standard library's hmac does.
si = (b64u('{"alg":"HS256","typ":"JWT"}') + "." + b64u(json.dumps(P))).encode()
put("conf.hs_pem", si.decode() + "." +
    b64u(_hmac.new(rsa_pem_text, si, _hashlib.sha256).digest()))
si = (b64u('{"alg":"HS256","kid":"rsa1"}') + "." + b64u(json.dumps(P))).encode()
put("conf.hs_pem_kid", si.decode() + "." +
    b64u(_hmac.new(rsa_pem_text, si, _hashlib.sha256).digest()))


def ec_raw_sig(key, msg, h):
    r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(h)))
    size = (key.curve.key_size + 7) // 8
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


# ES256 header, signed with the P-384 key (SHA-256): must not verify with P-384
si = (b64u('{"alg":"ES256"}') + "." + b64u(json.dumps(P))).encode()
put("conf.es256_p384", si.decode() + "." + b64u(ec_raw_sig(ec384, si, hashes.SHA256())))
# ES256 header signed by the P-256 key but DER-encoded (not r || s)
put("conf.es256_der", si.decode() + "." + b64u(ec256.sign(si, ec.ECDSA(hashes.SHA256()))))
# ES512 header, P-256 signature
si5 = (b64u('{"alg":"ES512"}') + "." + b64u(json.dumps(P))).encode()
put("conf.es512_p256", si5.decode() + "." + b64u(ec_raw_sig(ec256, si5, hashes.SHA512())))
# PS256 header over a PKCS#1 v1.5 signature, and the other way round
si = (b64u('{"alg":"PS256"}') + "." + b64u(json.dumps(P))).encode()
put("conf.ps_pkcs1", si.decode() + "." + b64u(rsa.sign(si, padding.PKCS1v15(), hashes.SHA256())))
si = (b64u('{"alg":"RS256"}') + "." + b64u(json.dumps(P))).encode()
put("conf.rs_pss", si.decode() + "." + b64u(rsa.sign(
    si, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())))
# PS256 with a salt shorter than the hash (RFC 7518 3.5 wants hash length)
si = (b64u('{"alg":"PS256"}') + "." + b64u(json.dumps(P))).encode()
put("conf.ps_salt0", si.decode() + "." + b64u(rsa.sign(
    si, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=0), hashes.SHA256())))
# RS256 header signed with SHA-512 inside
put("conf.rs256_sha512", si.decode().replace(b64u('{"alg":"PS256"}'), b64u('{"alg":"RS256"}'), 1)
    + "." + b64u(rsa.sign((b64u('{"alg":"RS256"}') + "." + b64u(json.dumps(P))).encode(),
                          padding.PKCS1v15(), hashes.SHA512())))
# HS384 token, HS256 key bytes reused: the header says HS256, signature is HS384
si = (b64u('{"alg":"HS256"}') + "." + b64u(json.dumps(P))).encode()
put("conf.hs256_with_hs384_mac", si.decode() + "." +
    b64u(_hmac.new(secret, si, _hashlib.sha384).digest()))

# ---- claims for pj_verify end to end (HS256, fixed clock) ----------------
def hs(name, c, **hdr):
    put("v." + name, jwt.encode(c, secret, algorithm="HS256", headers=hdr or None))


hs("alice", claims(jti="v-alice-1"))
hs("alice_typ_at", claims(), typ="at+jwt")
hs("bob", claims(sub="bob"))
hs("Alice", claims(sub="Alice"))
hs("ALICE", claims(sub="ALICE"))
hs("root", claims(sub="root"))
hs("sys", claims(sub="sysuser"))
hs("unknown", claims(sub="nobody-here"))
hs("badname", claims(sub="alice smith"))
hs("email", claims(sub="alice@example.com"))
hs("upn", claims(sub="x", upn="alice@corp.example"))
hs("expired", claims(exp=NOW - 3600, iat=NOW - 7200, nbf=NOW - 7200))
hs("future", claims(nbf=NOW + 600))
hs("noexp", claims(exp=None))
hs("noaud", claims(aud=None))
hs("otheraud", claims(aud="other"))
hs("otheriss", claims(iss="https://evil.example"))
hs("scope", claims(scope="openid sudo profile"))
hs("single", claims(jti="single-use-1"))
hs("nojti", claims())
hs("kid_ctl", claims(), kid="evil\x1b[2J\nx")
hs("sub_ctl", claims(sub="alice\nroot\x7f\u00e9"))
hs("long_sub", claims(sub="a" * 100, iss="https://" + "i" * 200, jti="j" * 300))

with open(path("manifest.txt"), "w") as f:
    f.write("now %d\n" % NOW)
    f.write("\n".join(manifest) + "\n")

# ---- accounts for nss_wrapper ---------------------------------------------
write("passwd",
      "root:x:0:0:root:/root:/bin/sh\n"
      "sysuser:x:2:2:system:/:/usr/sbin/nologin\n"
      "alice:x:1001:1001:Alice A:/home/alice:/bin/sh\n"
      "bob:x:1002:1002:Bob B:/home/bob:/bin/sh\n"
      "Alice:x:1003:1003:Other Alice:/home/Alice:/bin/sh\n")
write("group",
      "root:x:0:\nsysuser:x:2:\nalice:x:1001:\nbob:x:1002:\nAlice:x:1003:\n")
print("fixtures: %d manifest entries in %s" % (len(manifest) + 1, out))
