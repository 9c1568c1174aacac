#!/usr/bin/python3
"""Generate the fuzzers' fixed keys (fuzz/keys.h) and seed corpora
(fuzz/corpus/<target>/).  Run once, by hand, with Debian's python3 (it has
python3-jwt and python3-cryptography):

    /usr/bin/python3 fuzz/gen_corpus.py

The keys are test keys with no other use.  Re-running replaces every key and
every seed; the seeds are small and only need to be valid for the keys in
keys.h, which this script writes at the same time.
"""
import base64
import json
import os
import shutil
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
EXP = 4102444800        # 2100-01-01: valid for the fixed "now" of the harnesses
NOW = 1700000000        # the token harness's fixed time


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def pub_pem(k):
    return k.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def pub_der(k):
    return k.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def c_string(name, text):
    out = ["static const char %s[] =" % name]
    if isinstance(text, bytes):
        out.append('\t"%s";' % "".join("\\x%02x" % c for c in text))
        return "\n".join(out)
    lines = text.split("\n")
    for i, line in enumerate(lines):
        nl = "\\n" if i < len(lines) - 1 else ""
        if line == "" and nl == "":
            continue
        out.append('\t"%s%s"' % (line.replace("\\", "\\\\").replace('"', '\\"'), nl))
    out[-1] += ";"
    return "\n".join(out)


OPTIONS = ["config", "secret_file", "public_key_file", "jwks_file",
           "algorithms", "issuer", "audience", "leeway", "max_ttl", "max_age",
           "typ", "require_claim", "user_claim", "user_map", "allow_root",
           "min_uid", "single_use", "replay_cache", "prompt", "use_first_pass",
           "try_first_pass", "keep_authtok", "debug", "redis_auth_file",
           "redis_prefix",
           "redis_timeout", "revoked_file"]
JSON_WORDS = [
    '"alg"', '"kid"', '"typ"', '"cty"', '"crit"', '"enc"', '"zip"', '"b64"',
    '"jwk"', '"jku"', '"x5c"', '"x5u"', '"HS256"', '"HS384"', '"HS512"',
    '"RS256"', '"PS256"', '"ES256"', '"ES384"', '"ES512"', '"EdDSA"', '"none"',
    '"JWT"', '"at+jwt"', '"sub"', '"iss"', '"aud"', '"exp"', '"nbf"', '"iat"',
    '"jti"', '"scope"', '"scp"', '"amr"', '"email"', '"preferred_username"',
    '"alice"', '"root"', '"toor"', '"Root"', '"ed1"', '"ec256"', '"ec384"',
    '"ec521"', '"rsa1"', '"sshd"', '"https://issuer.example"', '"login"',
    '"sudo"', '"mfa"', '4102444800', '1700000000', '1.7e9', '1e300', '-1',
    '9223372036854775807', 'null', 'true', '[]', '{}', '\\u0000']


def write_dicts():
    def esc(w):
        out = ""
        for ch in w.encode():
            if ch == 0x22 or ch == 0x5c:
                out += "\\" + chr(ch)
            elif 0x20 <= ch < 0x7f:
                out += chr(ch)
            else:
                out += "\\x%02x" % ch
        return '"' + out + '"'

    def write(name, words):
        with open(os.path.join(HERE, name + ".dict"), "w") as f:
            f.write("# libFuzzer dictionary for fuzz_%s (fuzz/gen_corpus.py)\n"
                    % name)
            for w in words:
                f.write(esc(w) + "\n")

    cfg = (OPTIONS + [o + " = " for o in OPTIONS] + [o + "=" for o in OPTIONS]
           + ["[service ", "]", "sshd", "sudo", "yes", "no", "on", "off",
              "HS256, EdDSA", "scope=sudo", "@D/secret", "@D/rsa.pem",
              "@D/ed.pem", "@D/jwks.json", "@D/map", "\n%%\n", "#", "%s", "%u",
              "redis://127.0.0.1:6379/0", "redis://[::1]:6380",
              "redis+unix:///run/redis.sock?db=2", "redis://u:p@h"])
    write("config", cfg)
    write("token", JSON_WORDS + [
        b64u(b'{"alg":"'), b64u(b'{"alg":"HS256"'),
        b64u(b'{"alg":"HS256","typ":"JWT"}'),
        b64u(b'{"alg":"EdDSA","kid":"ed1"}'), b64u(b'{"sub":"alice"'),
        "eyJ", ".", "\n"])
    write("pam", cfg + JSON_WORDS + ["!S", "\t", "alice", "root", "\n%%\n"])
    write("jwks", JSON_WORDS + [
        '"keys"', '"kty"', '"RSA"', '"EC"', '"OKP"', '"oct"', '"crv"',
        '"P-256"', '"P-384"', '"P-521"', '"Ed25519"', '"X25519"',
        '"secp256k1"', '"x"', '"y"', '"n"', '"e"', '"k"', '"d"', '"use"',
        '"sig"', '"key_ops"', '"verify"', '"AQAB"'])
    write("usermap", ["*", "?", "%s", "%u", "@", "@example.com", "root", "#",
                      "\t", " "])


def main():
    secret = b"fuzz-secret-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMN"
    assert len(secret) == 64
    rsa_pem_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_jwk_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec256 = ec.generate_private_key(ec.SECP256R1())
    ec384 = ec.generate_private_key(ec.SECP384R1())
    ec521 = ec.generate_private_key(ec.SECP521R1())
    ed_seed = bytes(range(1, 33))
    ed = ed25519.Ed25519PrivateKey.from_private_bytes(ed_seed)

    def jwk(alg_cls, key, kid, **extra):
        d = json.loads(alg_cls.to_jwk(key.public_key()))
        d["kid"] = kid
        d.update(extra)
        return d

    jwks = {"keys": [
        jwk(jwt.algorithms.RSAAlgorithm, rsa_jwk_key, "rsa1", use="sig"),
        jwk(jwt.algorithms.ECAlgorithm, ec256, "ec256", alg="ES256"),
        jwk(jwt.algorithms.ECAlgorithm, ec384, "ec384"),
        jwk(jwt.algorithms.ECAlgorithm, ec521, "ec521", key_ops=["verify"]),
        jwk(jwt.algorithms.OKPAlgorithm, ed, "ed1"),
    ]}
    jwks_text = json.dumps(jwks, indent=1)

    with open(os.path.join(HERE, "keys.h"), "w") as f:
        f.write("/* keys.h - fixed test keys of the fuzz harnesses (written by\n"
                " * fuzz/gen_corpus.py; the seeds in fuzz/corpus are signed with\n"
                " * their private halves).  Public test material only. */\n")
        f.write("#ifndef FUZZ_KEYS_H\n#define FUZZ_KEYS_H\n\n")
        f.write(c_string("FUZZ_SECRET", secret.decode()) + "\n")
        f.write(c_string("FUZZ_RSA_PEM", pub_pem(rsa_pem_key)) + "\n")
        f.write(c_string("FUZZ_ED25519_PEM", pub_pem(ed)) + "\n")
        f.write(c_string("FUZZ_JWKS", jwks_text + "\n") + "\n")
        f.write(c_string("FUZZ_ED25519_SEED", ed_seed) + "\n")
        f.write("\n#endif\n")

    write_dicts()
    shutil.rmtree(CORPUS, ignore_errors=True)

    def seed(target, name, data):
        d = os.path.join(CORPUS, target)
        os.makedirs(d, exist_ok=True)
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)

    claims = {"sub": "alice", "iss": "https://issuer.example", "aud": "sshd",
              "exp": EXP, "iat": NOW - 100, "nbf": NOW - 100, "jti": "j-1",
              "scope": "login sudo"}

    # --- token: '0' + compact token | '1' + header \n payload | '2' + claims
    toks = {
        "hs256": jwt.encode(claims, secret, "HS256"),
        "hs384": jwt.encode(claims, secret, "HS384", headers={"typ": "JWT"}),
        "hs512": jwt.encode(claims, secret, "HS512"),
        "rs256": jwt.encode(claims, rsa_pem_key, "RS256"),
        "ps256": jwt.encode(claims, rsa_pem_key, "PS256"),
        "rs512-kid": jwt.encode(claims, rsa_jwk_key, "RS512", headers={"kid": "rsa1"}),
        "es256": jwt.encode(claims, ec256, "ES256", headers={"kid": "ec256"}),
        "es384": jwt.encode(claims, ec384, "ES384", headers={"kid": "ec384"}),
        "es512": jwt.encode(claims, ec521, "ES512", headers={"kid": "ec521"}),
        "eddsa": jwt.encode(claims, ed, "EdDSA", headers={"kid": "ed1"}),
        "none": jwt.encode(claims, None, "none"),
    }
    for n, t in toks.items():
        seed("token", "tok-" + n, "0" + t)
    seed("token", "sign-hs256",
         '1{"alg":"HS256","typ":"JWT"}\n' + json.dumps(claims))
    seed("token", "sign-eddsa",
         '1{"alg":"EdDSA","kid":"ed1"}\n' + json.dumps(claims))
    seed("token", "sign-hs512-arr",
         '1{"alg":"HS512"}\n' + json.dumps(dict(claims, aud=["x", "sshd"],
                                                 exp=4.1e9, iat=1.6e9)))
    seed("token", "claims-1", "2" + json.dumps(claims))
    seed("token", "claims-2", '2{"sub":"bob","exp":1,"nbf":"x","aud":[1]}')

    # --- b64url
    for i, s in enumerate([b"", b"f", b"fo", b"foo", b"foob", bytes(range(256))]):
        seed("b64url", "b%d" % i, b64u(s))
    seed("b64url", "bad", "Zm9v+/==")

    # --- pem: 'P' + PEM text | 'D' + DER
    for n, k in [("rsa", rsa_pem_key), ("ec256", ec256), ("ec384", ec384),
                 ("ec521", ec521), ("ed", ed)]:
        seed("pem", "pem-" + n, "P" + pub_pem(k))
        seed("pem", "der-" + n, b"D" + pub_der(k))
    seed("pem", "priv", "P" + ec256.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode())

    # --- jwks
    seed("jwks", "set", jwks_text)
    seed("jwks", "oct", json.dumps({"keys": [
        {"kty": "oct", "kid": "o1", "k": b64u(secret), "alg": "HS512"},
        {"kty": "oct", "kid": "o2", "k": b64u(b"short")}]}))
    seed("jwks", "unusable", json.dumps({"keys": [
        {"kty": "EC", "crv": "secp256k1", "x": "AA", "y": "AA", "kid": "k"},
        {"kty": "OKP", "crv": "X25519", "x": b64u(b"\1" * 32)},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB", "use": "enc"},
        {"kty": "XYZ"}, dict(jwks["keys"][4], kid="ok")]}))
    seed("jwks", "private", json.dumps({"keys": [
        dict(jwks["keys"][1], d="AAAA")]}))

    # --- usermap: value \n map text
    seed("usermap", "m1", "alice@example.com\n"
         "# comment\n*@example.com %u\nbob@* bob\n  carol   carol\n"
         "?x* %s\nadmin@corp root\n")
    seed("usermap", "m2", "someone\n*\t%s\n")

    # --- config: service line, then the config text; '%%' line, then args
    conf = ("# pam_jwt test config\n"
            "secret_file = /etc/pam_jwt/secret\n"
            "algorithms = HS256, HS512, RS256\n"
            "issuer = https://a.example, https://b.example\n"
            "audience = sshd\n"
            "leeway = 30\nmax_ttl = 3600\nmax_age = 600\ntyp = at+jwt\n"
            "require_claim = scope=login\nrequire_claim = amr=mfa\n"
            "user_claim = email\nuser_map = /etc/pam_jwt/map\n"
            "min_uid = 500\nallow_root = no\nsingle_use\n"
            "replay_cache = /var/lib/pam_jwt/replay\nprompt = JWT: \n"
            "debug = yes\n\n"
            "[service sudo]\nrequire_claim = scope=sudo\nmax_ttl = 60\n"
            "[service  sshd ]\naudience = sshd, ssh\ntry_first_pass\n")
    seed("config", "c1", "sudo\n" + conf + "%%\njwks_file=/k.json\nleeway=5\n")
    seed("config", "c2", "\n" + conf)
    seed("config", "c3", "sshd\npublic_key_file = /k.pem\n%%\n"
         "use_first_pass\ntry_first_pass\n")

    # --- pam: PAM_USER line; '%%'; config; '%%'; args; '%%'; answers (one a
    # line); @D is the harness's key directory.  An answer "!S<header>\t
    # <payload>" is signed by the harness (HS* with the secret, EdDSA).
    def pam(user, config, args, answers):
        return "%s\n%%%%\n%s%%%%\n%s%%%%\n%s" % (user, config, "".join(
            a + "\n" for a in args), "".join(a + "\n" for a in answers))
    live = dict(claims, iat=None, nbf=None)
    del live["iat"], live["nbf"]
    live_tok = jwt.encode(live, secret, "HS256")
    seed("pam", "hs", pam("alice", "secret_file = @D/secret\n"
                          "issuer = https://issuer.example\naudience = sshd\n",
                          [], [live_tok]))
    seed("pam", "jwks", pam("", "jwks_file = @D/jwks.json\n",
                            ["audience=sshd", "debug"],
                            [jwt.encode(live, ed, "EdDSA", headers={"kid": "ed1"})]))
    seed("pam", "rsa", pam("root", "public_key_file = @D/rsa.pem\n"
                           "[service other]\nallow_root\n",
                           ["min_uid=0"], [toks["rs256"]]))
    seed("pam", "parts", pam("alice", "secret_file = @D/secret\n", ["audience=sshd"],
                             [live_tok[:30], live_tok[30:80], live_tok[80:]]))
    seed("pam", "sign", pam("", "secret_file = @D/secret\nsingle_use\n",
                            ["audience=sshd", "user_map=@D/map"],
                            ['!S{"alg":"HS256"}\t' + json.dumps(live)]))
    seed("pam", "password", pam("alice", "secret_file = @D/secret\n",
                                ["try_first_pass"], ["hunter2"]))
    seed("pam", "first-pass", pam("alice\t" + live_tok, "secret_file = @D/secret\n",
                                  ["use_first_pass", "audience=sshd"], []))
    return 0


if __name__ == "__main__":
    sys.exit(main())
