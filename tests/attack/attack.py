#!/usr/bin/python3
"""The attack suite: known JWT attacks (RFC 8725, published CVEs) against the
built pam_jwt.so, each asserting the module's exact PAM result.

    attack.py --build BUILD [--shim PAM_SHIM.so] [--jobs N] [--only REGEX]

Drives BUILD/pam_jwt.so through libpam with BUILD/attack/attack_driver (one
process a case; accounts come from nss_wrapper: alice 1001, bob 1002,
Root 1005, root 0, toor 0, sysd 2).  Where cheap, a second column shows
what libjwt 1.10.2's jwt_decode does with the same token and key (only
printed, never asserted).  One line a case:

    ok|FAIL <attack>: expected X got Y

then "attack: N passed, M failed"; exit status 1 on any failure.
Run with Debian's /usr/bin/python3 (python3-cryptography).
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "support"))
import pjtest  # noqa: E402  (tests/support/pjtest.py)

SUCCESS, IGNORE, AUTH_ERR = "PAM_SUCCESS", "PAM_IGNORE", "PAM_AUTH_ERR"
USER_UNKNOWN, UNAVAIL = "PAM_USER_UNKNOWN", "PAM_AUTHINFO_UNAVAIL"
ISS, AUD = "https://idp.example", "sshd"
P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


b64u = pjtest.b64u


def js(obj):
    return json.dumps(obj, separators=(",", ":"))


HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}


def sign(alg, key, msg):
    """The JWS signature of msg (bytes) for alg with key."""
    if alg.startswith("HS"):
        return hmac.new(key, msg, getattr(hashlib, "sha" + alg[2:])).digest()
    if alg.startswith("RS"):
        return key.sign(msg, padding.PKCS1v15(), HASHES[alg[2:]]())
    if alg.startswith("PS"):
        h = HASHES[alg[2:]]()
        return key.sign(msg, padding.PSS(padding.MGF1(h), h.digest_size), h)
    if alg.startswith("ES"):
        r, s = decode_dss_signature(key.sign(msg, ec.ECDSA(HASHES[alg[2:]]())))
        n = (key.curve.key_size + 7) // 8
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")
    if alg == "EdDSA":
        return key.sign(msg)
    raise ValueError(alg)


def token(header, payload, key=None, alg=None, sig=None):
    """A compact JWS.  header/payload: a dict (compact JSON) or the exact
    JSON text.  Signed with key for alg (default: the header's alg), unless
    sig (bytes, or the exact third part as str) is given."""
    h = header if isinstance(header, str) else js(header)
    p = payload if isinstance(payload, str) else js(payload)
    si = b64u(h) + "." + b64u(p)
    if sig is None:
        if alg is None:
            alg = json.loads(h)["alg"]
        sig = sign(alg, key, si.encode())
    return si + "." + (sig if isinstance(sig, str) else b64u(sig))


class Suite:
    def __init__(self, build, jobs, shim=None):
        self.build = os.path.abspath(build)
        self.shim = os.path.abspath(shim or os.path.join(
            self.build, "support", "pam_shim.so"))
        self.jobs = jobs
        self.work = os.path.join(self.build, "attack", "run")
        shutil.rmtree(self.work, ignore_errors=True)
        os.makedirs(self.work, mode=0o700)
        self.cases = []      # run in parallel
        self.ordered = []    # run one after the other, in this order
        self.n = 0
        self.now = int(time.time())
        self.jti = 0
        self.keys()

    # --- fixtures ---------------------------------------------------
    def path(self, name):
        return os.path.join(self.work, name)

    def put(self, name, data, mode=0o644):
        if isinstance(data, str):
            data = data.encode()
        p = self.path(name)
        with open(p, "wb") as f:
            f.write(data)
        os.chmod(p, mode)
        return p

    def keys(self):
        self.secret = b"attack-suite-hmac-secret-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEF"
        self.put("secret", self.secret + b"\n", 0o600)
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec256 = ec.generate_private_key(ec.SECP256R1())
        self.ec384 = ec.generate_private_key(ec.SECP384R1())
        self.k1 = ec.generate_private_key(ec.SECP256K1())
        self.ed = ed25519.Ed25519PrivateKey.generate()
        self.evil_rsa = rsa.generate_private_key(public_exponent=65537,
                                                 key_size=2048)
        self.evil_secret = b"attacker-chosen-secret-0123456789-abcdefghijklmnopqrstuvwxyz!!"
        self.pem = {}
        for name, k in [("rsa", self.rsa), ("ec256", self.ec256),
                        ("ec384", self.ec384), ("k1", self.k1), ("ed", self.ed)]:
            pub = k.public_key()
            self.pem[name] = pub.public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo)
            self.put(name + ".pem", self.pem[name])
            self.put(name + ".der", pub.public_bytes(
                serialization.Encoding.DER,
                serialization.PublicFormat.SubjectPublicKeyInfo))
        rn = self.rsa.public_key().public_numbers()
        ep = self.ec256.public_key().public_numbers()
        edraw = self.ed.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)

        def ib(i, n=None):
            return b64u(i.to_bytes(n or (i.bit_length() + 7) // 8, "big"))
        self.jwk_rsa = {"kty": "RSA", "kid": "r1", "n": ib(rn.n), "e": ib(rn.e)}
        self.jwks = {"keys": [
            self.jwk_rsa,
            {"kty": "EC", "kid": "e1", "crv": "P-256", "x": ib(ep.x, 32),
             "y": ib(ep.y, 32)},
            {"kty": "OKP", "kid": "d1", "crv": "Ed25519", "x": b64u(edraw)}]}
        self.put("jwks.json", js(self.jwks))
        self.put("jwk-rsa.json", js(self.jwk_rsa))
        self.put("map", "*@corp.example %u\n*@localhost %u\n")
        # the driver's accounts (nss_wrapper); ASan is not first among the
        # preloads, so its link-order check is off
        self.env = pjtest.nss_env(*pjtest.nss_files(
            self.work,
            "alice:x:1001:1001:Alice:/home/alice:/bin/sh\n"
            "bob:x:1002:1002:Bob:/home/bob:/bin/sh\n"
            "Root:x:1005:1005:Not root:/home/Root:/bin/sh\n"
            "root:x:0:0:root:/root:/bin/sh\n"
            "toor:x:0:0:root alias:/root:/bin/sh\n"
            "sysd:x:2:2:daemon-ish:/:/usr/sbin/nologin\n"))
        self.env.setdefault("ASAN_OPTIONS", "")
        self.env["ASAN_OPTIONS"] += ":verify_asan_link_order=0:detect_leaks=1"
        os.makedirs(self.path("pam.d"))
        self.put("pam.d/attack", "auth required %s\n" % self.shim)
        # module arguments of the configurations the cases use
        base = ["issuer=" + ISS, "audience=" + AUD]
        self.cfg = {
            "hs": ["secret_file=" + self.path("secret")] + base,
            "rsa": ["public_key_file=" + self.path("rsa.pem")] + base,
            "ec256": ["public_key_file=" + self.path("ec256.pem")] + base,
            "ec384": ["public_key_file=" + self.path("ec384.pem")] + base,
            "k1": ["public_key_file=" + self.path("k1.pem")] + base,
            "ed": ["public_key_file=" + self.path("ed.pem")] + base,
            "jwks": ["jwks_file=" + self.path("jwks.json")] + base,
        }
        self.cfg["noaud"] = ["secret_file=" + self.path("secret"), "issuer=" + ISS]
        self.cfg["root"] = self.cfg["hs"] + ["allow_root"]
        self.cfg["ttl"] = self.cfg["hs"] + ["max_ttl=3600"]
        self.cfg["leeway0"] = self.cfg["hs"] + ["leeway=0"]
        self.cfg["map"] = self.cfg["hs"] + ["user_map=" + self.path("map")]
        self.cfg["su"] = (["secret_file=" + self.path("secret"),
                           "issuer=%s,https://other.example" % ISS,
                           "audience=" + AUD, "single_use",
                           "replay_cache=" + self.path("replay")])
        self.cfg["su-ec"] = (["public_key_file=" + self.path("ec256.pem")] + base
                             + ["single_use", "replay_cache=" + self.path("replay")])

    def claims(self, **kw):
        self.jti += 1
        c = {"sub": "alice", "iss": ISS, "aud": AUD, "exp": self.now + 600,
             "iat": self.now - 5, "jti": "attack-%d" % self.jti}
        for k, v in kw.items():
            if v is DROP:
                c.pop(k, None)
            else:
                c[k] = v
        return c

    # --- cases ----------------------------------------------------------
    def case(self, name, tok, cfg, expect, user="alice", libjwt=None,
             ordered=False):
        """libjwt: None (no differential), or the key file for jwt_decode
        ("" = a NULL key)."""
        c = {"name": name, "tok": tok, "cfg": cfg, "expect": expect,
             "user": user, "libjwt": libjwt}
        (self.ordered if ordered else self.cases).append(c)

    def run_one(self, c):
        """Run a case.  A time-sensitive case (tok callable) gets the token
        made from the clock's current second, and is run again if the
        second changed before the module answered: it is judged only when
        the module read the very second the token was made for."""
        if not callable(c["tok"]):
            return self.run_at(c, c["tok"])
        for _ in range(10):
            t0 = int(time.time())
            self.run_at(c, c["tok"](t0))
            if int(time.time()) == t0:
                return c
            time.sleep(0.05)
        c["got"] += " (the clock moved on during all 10 tries)"
        return c

    def run_at(self, c, tok):
        self.n += 1
        tf = self.path("tok-%d" % id(c))
        data = tok if isinstance(tok, bytes) else tok.encode()
        with open(tf, "wb") as f:
            f.write(data)
        cmd = [os.path.join(self.build, "attack", "attack_driver"),
               os.path.join(self.build, "pam_jwt.so"), self.path("pam.d"),
               "attack", c["user"] or "-", tf] + self.cfg[c["cfg"]]
        p = subprocess.run(cmd, env=self.env, capture_output=True,
                           timeout=120)
        out = p.stdout.decode(errors="replace")
        m = re.search(r"result=(\S+)", out)
        got = m.group(1) if m else "driver-exit-%d" % p.returncode
        if p.returncode != 0 or p.stderr:
            got += " (driver exit %d: %s)" % (p.returncode, p.stderr.decode(
                errors="replace").strip()[-600:])
        log = re.search(r"log=(.*)", out)
        c["got"], c["log"] = got, log.group(1) if log else ""
        if c["libjwt"] is not None:
            lc = [os.path.join(self.build, "attack", "libjwt_check"), tf]
            if c["libjwt"]:
                lc.append(c["libjwt"])
            lp = subprocess.run(lc, capture_output=True, timeout=60)
            c["diff"] = lp.stdout.decode().strip() or "error"
        os.unlink(tf)
        return c

    def report(self, c):
        ok = c["got"] == c["expect"]
        line = "%s %s: expected %s got %s" % ("ok" if ok else "FAIL", c["name"],
                                              c["expect"], c["got"])
        if "diff" in c:
            line += "  [libjwt 1.10.2 jwt_decode %s]" % c["diff"]
        if not ok:
            line += "\n    log: " + c["log"]
        print(line, flush=True)
        return ok

    def run(self, only):
        want = pjtest.Tally("attack", only).wants
        sel = [c for c in self.cases if want(c["name"])]
        ordered = [c for c in self.ordered if want(c["name"])]
        passed = failed = 0
        with ThreadPoolExecutor(max_workers=self.jobs) as ex:
            for c in ex.map(self.run_one, sel):
                if self.report(c):
                    passed += 1
                else:
                    failed += 1
        for c in ordered:
            if self.report(self.run_one(c)):
                passed += 1
            else:
                failed += 1
        none = pjtest.only_matched_nothing("attack", only, passed + failed)
        print("attack: %d passed, %d failed" % (passed, failed))
        return failed == 0 and not none


class _Drop:
    pass


DROP = _Drop()


def catalogue(s):
    now = s.now
    hs = lambda c, alg="HS256", **h: token(dict({"alg": alg}, **h), c, s.secret)

    # --- controls: the right token with each key type is accepted -------
    s.case("control: HS256", hs(s.claims()), "hs", SUCCESS)
    s.case("control: HS384", hs(s.claims(), "HS384"), "hs", SUCCESS)
    s.case("control: HS512", hs(s.claims(), "HS512"), "hs", SUCCESS)
    s.case("control: RS256", token({"alg": "RS256"}, s.claims(), s.rsa), "rsa", SUCCESS)
    s.case("control: PS384", token({"alg": "PS384"}, s.claims(), s.rsa), "rsa", SUCCESS)
    s.case("control: ES256", token({"alg": "ES256"}, s.claims(), s.ec256), "ec256", SUCCESS)
    s.case("control: ES384", token({"alg": "ES384"}, s.claims(), s.ec384), "ec384", SUCCESS)
    s.case("control: EdDSA", token({"alg": "EdDSA"}, s.claims(), s.ed), "ed", SUCCESS)
    s.case("control: JWK Set, kid e1", token({"alg": "ES256", "kid": "e1"},
           s.claims(), s.ec256), "jwks", SUCCESS)
    s.case("control: PAM_USER unset, taken from sub", hs(s.claims()), "hs",
           SUCCESS, user=None)
    s.case("control: a password is not a token", "hunter2", "hs", IGNORE)

    # --- alg none in any spelling, with and without signature -----------
    for spelling in ["none", "None", "NONE", "nOnE"]:
        c = s.claims()
        s.case("alg %s, empty signature" % spelling,
               token({"alg": spelling, "typ": "JWT"}, c, sig=""), "hs",
               AUTH_ERR, libjwt="")
        s.case("alg %s, signature present" % spelling,
               token({"alg": spelling}, c, sig=b"\x01" * 32), "hs", AUTH_ERR)
        s.case("alg %s, HMAC signature by the real secret" % spelling,
               token({"alg": spelling}, c, sig=sign("HS256", s.secret,
                     (b64u(js({"alg": spelling})) + "." + b64u(js(c))).encode())),
               "hs", AUTH_ERR)
    s.case("alg missing", token({"typ": "JWT"}, s.claims(), sig=b"\0" * 32),
           "hs", AUTH_ERR)
    s.case("alg empty string", token({"alg": ""}, s.claims(), sig=""), "hs",
           AUTH_ERR)
    s.case("alg not a string", token('{"alg":["HS256"]}', s.claims(),
           s.secret, alg="HS256"), "hs", AUTH_ERR)

    # --- algorithm confusion: public key material as the HMAC secret ----
    for name, cfg in [("rsa", "rsa"), ("ec256", "ec256"), ("ed", "ed")]:
        for alg in ["HS256", "HS384", "HS512"]:
            for form in ["pem", "der"]:
                keyfile = s.path("%s.%s" % (name, form))
                with open(keyfile, "rb") as f:
                    material = f.read()
                s.case("key confusion: %s signed with the %s public key %s as "
                       "HMAC secret" % (alg, name.upper(), form.upper()),
                       token({"alg": alg}, s.claims(), material), cfg, AUTH_ERR,
                       libjwt=keyfile if form == "pem" and alg == "HS256" else None)
    for alg in ["HS256", "HS384", "HS512"]:
        s.case("key confusion: %s signed with the JWK JSON of the set's RSA key"
               % alg, token({"alg": alg, "kid": "r1"}, s.claims(),
                            js(s.jwk_rsa).encode()), "jwks", AUTH_ERR,
               libjwt=s.path("jwk-rsa.json") if alg == "HS256" else None)
    s.case("key confusion: HS256 signed with the JWK Set file text",
           token({"alg": "HS256"}, s.claims(), open(s.path("jwks.json"),
                 "rb").read()), "jwks", AUTH_ERR)
    s.case("key confusion: RS256 header on an HMAC-only configuration",
           token({"alg": "RS256"}, s.claims(), s.rsa), "hs", AUTH_ERR)

    # --- ECDSA: psychic signatures (CVE-2022-21449) and range -----------
    c = s.claims()
    good = token({"alg": "ES256"}, c, s.ec256)
    hp = good.rsplit(".", 1)[0]
    sig = base64.urlsafe_b64decode(good.rsplit(".", 1)[1] + "==")
    r_, s_ = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")

    def es(r, sv, name, expect=AUTH_ERR, cfg="ec256"):
        raw = (r.to_bytes(32, "big") if r < 2 ** 256 else r.to_bytes(33, "big")[1:]) + \
              (sv.to_bytes(32, "big") if sv < 2 ** 256 else sv.to_bytes(33, "big")[1:])
        s.case("ECDSA " + name, hp + "." + b64u(raw), cfg, expect)
    es(0, 0, "psychic signature r = s = 0 (CVE-2022-21449)")
    s.case("ECDSA psychic signature r = s = 0, libjwt", hp + "." + b64u(b"\0" * 64),
           "ec256", AUTH_ERR, libjwt=s.path("ec256.pem"))
    es(0, s_, "r = 0")
    es(r_, 0, "s = 0")
    es(P256_N, P256_N, "r = s = n")
    es(r_, P256_N, "s = n")
    es(P256_N, s_, "r = n")
    es(P256_N + 1, s_, "r = n + 1 (out of range)")
    es(r_, P256_N + 1, "s = n + 1 (out of range)")
    es(r_ + P256_N, s_, "r + n (same residue, out of range)")
    es(2 ** 256 - 1, 2 ** 256 - 1, "r = s = all 0xff")
    s.case("ECDSA DER-encoded signature instead of r||s",
           hp + "." + b64u(s.ec256.sign(hp.encode(), ec.ECDSA(hashes.SHA256()))),
           "ec256", AUTH_ERR)
    s.case("ECDSA signature one byte short", hp + "." + b64u(sig[:-1]), "ec256",
           AUTH_ERR)
    s.case("ECDSA control: the unmodified signature", good, "ec256", SUCCESS)
    # (r, n - s) verifies too: ECDSA is malleable; the claims are the
    # issuer's, so it is accepted - and single_use keys on jti, not on the
    # signature, so a malleated copy of a used token is still a replay
    es(r_, P256_N - s_, "malleated (r, n - s) of a valid token", SUCCESS)
    c2 = s.claims()
    good2 = token({"alg": "ES256"}, c2, s.ec256)
    sig2 = base64.urlsafe_b64decode(good2.rsplit(".", 1)[1] + "==")
    mall2 = good2.rsplit(".", 1)[0] + "." + b64u(
        sig2[:32] + (P256_N - int.from_bytes(sig2[32:], "big")).to_bytes(32, "big"))
    s.case("single_use: first use of an ES256 token", good2, "su-ec", SUCCESS,
           ordered=True)
    s.case("single_use: its malleated (r, n - s) copy is a replay", mall2, "su-ec",
           AUTH_ERR, ordered=True)
    s.case("ES256 header, P-384 key configured",
           token({"alg": "ES256"}, s.claims(), s.ec384, alg="ES384"), "ec384",
           AUTH_ERR)
    s.case("ES384 header, P-256 key configured",
           token({"alg": "ES384"}, s.claims(), s.ec256, alg="ES256"), "ec256",
           AUTH_ERR)
    s.case("ES256 signed with P-256 key, header says ES512", token(
           {"alg": "ES512"}, s.claims(), s.ec256, alg="ES256"), "ec256", AUTH_ERR)
    s.case("wrong curve: secp256k1 key configured (refused as key material)",
           token({"alg": "ES256"}, s.claims(), s.k1, alg="ES256"), "k1", UNAVAIL)
    s.case("wrong curve: ES256 signed by a secp256k1 key, P-256 configured",
           token({"alg": "ES256"}, s.claims(), s.k1, alg="ES256"), "ec256", AUTH_ERR)
    s.case("ES256 by another P-256 key", token({"alg": "ES256"}, s.claims(),
           ec.generate_private_key(ec.SECP256R1())), "ec256", AUTH_ERR)

    # --- RSA signature length -------------------------------------------
    for i in range(4000):
        c = s.claims()
        t = token({"alg": "RS256"}, c, s.rsa)
        rsig = base64.urlsafe_b64decode(t.rsplit(".", 1)[1] + "==")
        if rsig[0] == 0:
            break
    hp = t.rsplit(".", 1)[0]
    s.case("RSA control: a signature with a leading zero octet", t, "rsa", SUCCESS)
    s.case("RSA signature with the leading zero stripped (255 bytes)",
           hp + "." + b64u(rsig[1:]), "rsa", AUTH_ERR)
    s.case("RSA signature one byte longer (leading zero added)",
           hp + "." + b64u(b"\0" + rsig), "rsa", AUTH_ERR)
    s.case("RSA signature truncated by one byte", hp + "." + b64u(rsig[:-1]),
           "rsa", AUTH_ERR)
    s.case("RS256 by another RSA key", token({"alg": "RS256"}, s.claims(),
           s.evil_rsa), "rsa", AUTH_ERR)
    s.case("PS256 header over an RS256 signature", token({"alg": "PS256"},
           s.claims(), s.rsa, alg="RS256"), "rsa", AUTH_ERR)

    # --- non-canonical base64url ------------------------------------------
    t = hs(s.claims())
    h, p, sg = t.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(sg[-1])   # 43 chars: the last holds 2 unused bits
    s.case("base64url: signature with non-zero trailing bits",
           "%s.%s.%s%s" % (h, p, sg[:-1], alphabet[last | 1]), "hs", AUTH_ERR,
           libjwt=s.path("secret.raw"))
    # the issuer spells the header non-canonically and signs those characters
    h3 = _bits(b64u(js({"alg": "HS256", "t": 12})), alphabet)
    s.case("base64url: header with non-zero trailing bits (signed as sent)",
           h3 + "." + p + "." + b64u(sign("HS256", s.secret,
                                          (h3 + "." + p).encode())), "hs", AUTH_ERR,
           libjwt=s.path("secret.raw"))
    p3 = b64u(js(s.claims(x="ab")))
    while len(p3) % 4 == 0:
        p3 = b64u(js(s.claims(x="ab" * (len(p3) % 7 + 1))))
    p3 = _bits(p3, alphabet)
    s.case("base64url: payload with non-zero trailing bits (signed as sent)",
           h + "." + p3 + "." + b64u(sign("HS256", s.secret, (h + "." + p3).encode())),
           "hs", AUTH_ERR, libjwt=s.path("secret.raw"))
    s.case("base64url: '=' padding on the signature", t + "=", "hs", IGNORE,
           libjwt=s.path("secret.raw"))
    s.case("base64url: '=' padding on the header", h + "==." + p + "." + sg, "hs",
           IGNORE)
    for _ in range(200):
        t2 = hs(s.claims())
        if "-" in t2.split(".")[2] or "_" in t2.split(".")[2]:
            break
    s.case("base64url: standard alphabet '+' '/' in the signature",
           t2.rsplit(".", 1)[0] + "." + t2.split(".")[2].replace("-", "+").replace(
               "_", "/"), "hs", IGNORE, libjwt=s.path("secret.raw"))
    s.case("base64url: newline inside the token", h + "." + p[:10] + "\n" + p[10:] +
           "." + sg, "hs", IGNORE)
    s.case("base64url: space inside the signature", t[:-5] + " " + t[-5:], "hs",
           IGNORE)
    s.case("stray '.': four parts", t + ".", "hs", IGNORE)
    s.case("stray '.': empty part inserted", h + ".." + p + "." + sg, "hs", IGNORE)
    s.case("control: leading and trailing white space is trimmed",
           "  \t" + hs(s.claims()) + " \r\n", "hs", SUCCESS)

    # --- duplicate members ----------------------------------------------
    c = s.claims()
    s.case("duplicate alg in header (HS256, then none)", token(
           '{"alg":"HS256","alg":"none"}', c, s.secret, alg="HS256"), "hs", AUTH_ERR,
           libjwt=s.path("secret.raw"))
    s.case("duplicate alg in header (none, then HS256)", token(
           '{"alg":"none","alg":"HS256"}', c, s.secret, alg="HS256"), "hs", AUTH_ERR,
           libjwt=s.path("secret.raw"))
    s.case("duplicate kid in header", token('{"alg":"HS256","kid":"a","kid":"b"}',
           c, s.secret), "hs", AUTH_ERR)
    pl = js(s.claims())
    s.case("duplicate sub in payload (alice, then root)", token(
           {"alg": "HS256"}, pl[:-1] + ',"sub":"root"}', s.secret), "root", AUTH_ERR,
           user=None, libjwt=s.path("secret.raw"))
    s.case("duplicate exp in payload (past, then future)", token(
           {"alg": "HS256"}, '{"exp":1,' + js(s.claims())[1:], s.secret), "hs",
           AUTH_ERR)
    s.case("duplicate exp in payload (future, then past)", token(
           {"alg": "HS256"}, js(s.claims())[:-1] + ',"exp":1}', s.secret), "hs",
           AUTH_ERR)
    s.case("duplicate aud in payload", token({"alg": "HS256"}, js(s.claims())[:-1]
           + ',"aud":"other"}', s.secret), "hs", AUTH_ERR)
    s.case("payload is a JSON array", token({"alg": "HS256"}, "[1,2]", s.secret),
           "hs", AUTH_ERR)
    s.case("payload is not JSON", token({"alg": "HS256"}, "sub=alice", s.secret),
           "hs", AUTH_ERR)
    s.case("header is not JSON", token('{"alg":"HS256"', s.claims(), s.secret,
           alg="HS256"), "hs", AUTH_ERR)

    # --- crit, embedded keys, kid ----------------------------------------
    s.case("crit naming a registered claim", hs(s.claims(), crit=["exp"]), "hs",
           AUTH_ERR)
    s.case("crit naming an unknown extension", hs(s.claims(), crit=["x-evil"],
           **{"x-evil": 1}), "hs", AUTH_ERR, libjwt=s.path("secret.raw"))
    s.case("crit empty", hs(s.claims(), crit=[]), "hs", AUTH_ERR)
    s.case("crit b64=false (RFC 7797)", hs(s.claims(), crit=["b64"], b64=False),
           "hs", AUTH_ERR)
    evn = s.evil_rsa.public_key().public_numbers()
    evjwk = {"kty": "RSA", "n": b64u(evn.n.to_bytes(256, "big")), "e": "AQAB"}
    for member, value in [("jwk", evjwk), ("jku", "https://evil.example/jwks"),
                          ("x5u", "https://evil.example/cert.pem"),
                          ("x5c", ["MIIBevil"])]:
        s.case("embedded %s carrying the attacker's RSA key" % member, token(
               {"alg": "RS256", member: value}, s.claims(), s.evil_rsa), "rsa",
               AUTH_ERR)
    s.case("embedded jwk: an attacker oct key, HS256 by it", token(
           {"alg": "HS256", "jwk": {"kty": "oct", "k": b64u(s.evil_secret)}},
           s.claims(), s.evil_secret), "hs", AUTH_ERR)
    s.case("control: a jku header on a genuine token is ignored, not fetched",
           hs(s.claims(), jku="https://evil.example/jwks"), "hs", SUCCESS)
    s.case("kid ../../dev/null, HS256 with an empty key", token(
           {"alg": "HS256", "kid": "../../dev/null"}, s.claims(), b""), "hs", AUTH_ERR)
    s.case("kid /dev/null, HS256 with an empty key, JWK Set", token(
           {"alg": "HS256", "kid": "/dev/null"}, s.claims(), b""), "jwks", AUTH_ERR)
    s.case("kid SQL-ish, signed by the attacker", token(
           {"alg": "HS256", "kid": "x' UNION SELECT 'k' -- "}, s.claims(),
           b"k"), "hs", AUTH_ERR)
    s.case("kid with NUL (\\u0000)", token('{"alg":"HS256","kid":"e1\\u0000x"}',
           s.claims(), s.secret, alg="HS256"), "hs", AUTH_ERR, libjwt=s.path("secret.raw"))
    s.case("kid of 300 characters", hs(s.claims(), kid="k" * 300), "hs", AUTH_ERR)
    s.case("kid not a string", hs(s.claims(), kid=1), "hs", AUTH_ERR)
    s.case("kid naming the JWK Set's EC key, HS256 with its x coordinate",
           token({"alg": "HS256", "kid": "e1"}, s.claims(),
                 s.jwks["keys"][1]["x"].encode()), "jwks", AUTH_ERR)
    s.case("kid naming the EC key, signed by the RSA key", token(
           {"alg": "RS256", "kid": "e1"}, s.claims(), s.rsa), "jwks", AUTH_ERR)

    # --- nested and encrypted --------------------------------------------
    inner = hs(s.claims())
    s.case("nested JWT (cty JWT)", hs(s.claims(), cty="JWT"), "hs", AUTH_ERR,
           libjwt=s.path("secret.raw"))
    s.case("nested JWT, payload is the inner token", token(
           {"alg": "HS256", "cty": "jwt"}, json.dumps(inner), s.secret), "hs",
           AUTH_ERR)
    s.case("JWE compact (five parts)", ".".join([b64u(js(
           {"alg": "dir", "enc": "A256GCM"})), "", b64u(b"iv" * 6),
           b64u(b"ciphertext"), b64u(b"tag" * 5)]), "hs", IGNORE)
    s.case("JWE header in three parts (alg dir, enc)", token(
           {"alg": "dir", "enc": "A256GCM"}, s.claims(), sig=b"\0" * 16), "hs",
           AUTH_ERR)
    s.case("enc member on an HS256 token", hs(s.claims(), enc="A128GCM"), "hs",
           AUTH_ERR, libjwt=s.path("secret.raw"))
    s.case("zip member on an HS256 token", hs(s.claims(), zip="DEF"), "hs",
           AUTH_ERR)

    # --- exp / nbf / iat: types and boundaries ---------------------------
    for v, label in [("9999999999", 'string "9999999999"'), (True, "true"),
                     (None, "null"), ([now + 600], "array"),
                     ({"t": now + 600}, "object"), ("", "empty string")]:
        s.case("exp %s" % label, hs(s.claims(exp=v)), "hs", AUTH_ERR)
        s.case("nbf %s" % label, hs(s.claims(nbf=v)), "hs", AUTH_ERR)
        s.case("iat %s" % label, hs(s.claims(iat=v)), "hs", AUTH_ERR)
    s.case("exp missing", hs(s.claims(exp=DROP)), "hs", AUTH_ERR)
    s.case("exp 1e300 (far future, no max_ttl)", hs(_raw_exp(s, "1e300")), "hs",
           SUCCESS)
    s.case("exp 1e300 with max_ttl", hs(_raw_exp(s, "1e300")), "ttl", AUTH_ERR)
    s.case("exp -1e300", hs(_raw_exp(s, "-1e300")), "hs", AUTH_ERR)
    s.case("exp beyond int64 (invalid JSON for jansson)", hs(_raw_exp(
           s, "99999999999999999999")), "hs", AUTH_ERR)
    s.case("exp -2^63", hs(_raw_exp(s, "-9223372036854775808")), "hs", AUTH_ERR)
    s.case("exp 2^63-1 with max_ttl", hs(_raw_exp(s, "9223372036854775807")), "ttl",
           AUTH_ERR)
    s.case("exp a real now+600.5", hs(_raw_exp(s, "%d.5" % (now + 600))), "hs",
           SUCCESS)
    # boundaries, to the second: t is the second the module reads (run_one
    # repeats a case whose second passed); leeway 60.  exp must be after
    # now - leeway, nbf and iat at most now + leeway.
    for d, exp_ in [(-1, AUTH_ERR), (0, AUTH_ERR), (1, SUCCESS)]:
        s.case("exp now - leeway %+d" % d, lambda t, d=d: hs(s.claims(
               exp=t - 60 + d)), "hs", exp_)
    s.case("exp exactly now (leeway 60)", lambda t: hs(s.claims(exp=t)), "hs",
           SUCCESS)
    s.case("exp exactly now, leeway 0", lambda t: hs(s.claims(exp=t)), "leeway0",
           AUTH_ERR)
    s.case("exp now + 1, leeway 0", lambda t: hs(s.claims(exp=t + 1)), "leeway0",
           SUCCESS)
    for d, exp_ in [(-1, SUCCESS), (0, SUCCESS), (1, AUTH_ERR)]:
        s.case("nbf now + leeway %+d" % d, lambda t, d=d: hs(s.claims(
               nbf=t + 60 + d)), "hs", exp_)
        s.case("iat now + leeway %+d" % d, lambda t, d=d: hs(s.claims(
               iat=t + 60 + d)), "hs", exp_)
    s.case("nbf exactly now, leeway 0", lambda t: hs(s.claims(nbf=t)), "leeway0",
           SUCCESS)
    s.case("nbf now + 1, leeway 0", lambda t: hs(s.claims(nbf=t + 1)), "leeway0",
           AUTH_ERR)
    s.case("nbf 1e300", hs(_raw_claim(s, "nbf", "1e300")), "hs", AUTH_ERR)
    s.case("iat -1e300 with max_ttl", hs(_raw_claim(s, "iat", "-1e300")), "ttl",
           AUTH_ERR)
    s.case("lifetime over max_ttl", hs(s.claims(exp=now + 7200)), "ttl", AUTH_ERR)

    # --- issuer confusion ---------------------------------------------------
    for v, label in [(ISS + ".evil", "prefix match"), (ISS.upper(), "case"),
                     (ISS + "/", "trailing slash"), ([ISS], "array"),
                     ("", "empty"), (ISS + "\u0000", "trailing NUL"),
                     (None, "null")]:
        s.case("issuer confusion: %s" % label, hs(s.claims(iss=v)), "hs", AUTH_ERR)
    s.case("issuer missing", hs(s.claims(iss=DROP)), "hs", AUTH_ERR)

    # --- audience confusion ----------------------------------------------
    for v, label in [(AUD + "-evil", "prefix match"), (AUD.upper(), "case"),
                     (["x", 1], "array with a non-string"), ([], "empty array"),
                     ([["sshd"]], "nested array"), ({"aud": AUD}, "object"),
                     (AUD + "\u0000", "trailing NUL")]:
        s.case("audience confusion: %s" % label, hs(s.claims(aud=v)), "hs",
               AUTH_ERR)
    s.case("audience missing but required", hs(s.claims(aud=DROP)), "hs", AUTH_ERR)
    s.case("aud present, no audience configured (RFC 7519 4.1.3)",
           hs(s.claims()), "noaud", AUTH_ERR)
    s.case("control: aud array naming the audience", hs(s.claims(
           aud=["other", AUD])), "hs", SUCCESS)

    # --- user confusion ------------------------------------------------------
    for v, label, exp_ in [
            ("Root", "Root (another account) for PAM_USER root", AUTH_ERR),
            ("ROOT", "ROOT", USER_UNKNOWN),
            ("r\u043e\u043et", "r\u043e\u043et with Cyrillic o", AUTH_ERR),
            ("root ", "'root ' with a space", AUTH_ERR),
            ("root\n", "root\\n", AUTH_ERR), ("root\u0000x", "root\\u0000x", AUTH_ERR),
            ("0", "0", AUTH_ERR), ("00", "00", AUTH_ERR), ("-root", "-root", AUTH_ERR),
            ("--help", "--help", AUTH_ERR), ("../root", "../root", AUTH_ERR),
            ("/root", "/root", AUTH_ERR), ("root@localhost",
                                           "root@localhost without user_map", AUTH_ERR),
            ("r" * 33, "33-character name", AUTH_ERR),
            ("root" * 100, "400-character name", AUTH_ERR),
            ("", "empty", AUTH_ERR)]:
        s.case("user confusion: %s" % label, hs(s.claims(sub=v)), "root", exp_,
               user="root")
    s.case("user confusion: Root (uid 1005) when PAM_USER is unset is that account",
           hs(s.claims(sub="Root")), "hs", SUCCESS, user=None)
    s.case("user confusion: ROOT, PAM_USER unset", hs(s.claims(sub="ROOT")), "hs",
           USER_UNKNOWN, user=None)
    s.case("user confusion: root without allow_root", hs(s.claims(sub="root")), "hs",
           AUTH_ERR, user="root")
    s.case("user confusion: toor (uid 0 alias) without allow_root", hs(s.claims(
           sub="toor")), "hs", AUTH_ERR, user=None)
    s.case("user confusion: sysd (uid 2, below min_uid)", hs(s.claims(
           sub="sysd")), "root", AUTH_ERR, user=None)
    s.case("user confusion: root@localhost mapped to root, allow_root off",
           hs(s.claims(sub="root@localhost")), "map", AUTH_ERR, user=None)
    s.case("user confusion: token for alice, PAM_USER bob", hs(s.claims()), "hs",
           AUTH_ERR, user="bob")
    s.case("user confusion: sub not a string", hs(s.claims(sub=1001)), "hs",
           AUTH_ERR)
    s.case("user confusion: sub an array", hs(s.claims(sub=["alice"])), "hs",
           AUTH_ERR)
    s.case("control: root with allow_root", hs(s.claims(sub="root")), "root",
           SUCCESS, user="root")

    # --- truncated and oversized ---------------------------------------------
    t = hs(s.claims())
    h, p, sg = t.split(".")
    s.case("truncated: signature dropped (h.p.)", h + "." + p + ".", "hs", AUTH_ERR)
    # begins like a token but is visibly unfinished: the module asks for the
    # next part, the answers end, and a token cut short is rejected (not
    # passed on as a password)
    s.case("truncated: signature and its dot dropped (h.p)", h + "." + p, "hs",
           AUTH_ERR)
    s.case("truncated: payload dropped (h..s)", h + ".." + sg, "hs", IGNORE)
    s.case("truncated: header dropped (.p.s)", "." + p + "." + sg, "hs", IGNORE)
    s.case("truncated: header only", h, "hs", AUTH_ERR)
    s.case("truncated: last character of the signature", t[:-1], "hs", AUTH_ERR)
    s.case("truncated: half the signature", t[:-(len(sg) // 2)], "hs", AUTH_ERR)
    s.case("control: a token of exactly 16 KiB", _sized(s, 16384), "hs", SUCCESS)
    s.case("oversized: 16 KiB + 1", _sized(s, 16385), "hs", AUTH_ERR)
    big = _sized(s, 16384)
    h, p, sg = big.split(".")
    s.case("oversized: 12 MB token", h + "." + p + "A" * (12 * 1024 * 1024) + "."
           + sg, "hs", AUTH_ERR)

    # --- single use: the same token in other spellings is a replay ------------
    c = s.claims(jti="replay-1")
    t = hs(c)
    s.case("single_use: first use", t, "su", SUCCESS, ordered=True)
    s.case("single_use: the same token again", t, "su", AUTH_ERR, ordered=True)
    s.case("single_use: with a trailing newline", t + "\n", "su", AUTH_ERR,
           ordered=True)
    s.case("single_use: with leading spaces", "   " + t, "su", AUTH_ERR,
           ordered=True)
    s.case("single_use: with CRLF", t + "\r\n", "su", AUTH_ERR, ordered=True)
    s.case("single_use: same jti and issuer, new token (other iat)",
           hs(dict(c, iat=now - 1)), "su", AUTH_ERR, ordered=True)
    other = dict(c, iss="https://other.example")
    s.case("single_use: same jti under another issuer is another pair",
           hs(other), "su", SUCCESS, ordered=True)
    s.case("single_use: ... and that one is used once too", hs(other), "su",
           AUTH_ERR, ordered=True)
    s.case("single_use: a token without jti", hs(s.claims(jti=DROP)), "su",
           AUTH_ERR, ordered=True)
    s.case("single_use: jti not a string", hs(s.claims(jti=7)), "su", AUTH_ERR,
           ordered=True)


def _bits(part, alphabet):
    """Set an unused low bit in the last character of a base64url part."""
    rem = len(part) % 4
    assert rem in (2, 3), "no unused bits in a part of %d characters" % len(part)
    mask = 0x0f if rem == 2 else 0x03
    v = alphabet.index(part[-1])
    return part[:-1] + alphabet[v | (1 if (v & mask) == 0 else 0)]


def _raw_claim(s, name, text):
    c = s.claims()
    c.pop(name, None)
    return js(c)[:-1] + ',"%s":%s}' % (name, text)


def _raw_exp(s, text):
    return _raw_claim(s, "exp", text)


def _sized(s, size):
    """A valid HS256 token of exactly size characters."""
    pad = 0
    for _ in range(8):
        t = token({"alg": "HS256"}, s.claims(pad="x" * pad), s.secret)
        if len(t) == size:
            return t
        pad += (size - len(t)) * 3 // 4
    for d in range(-4, 5):
        t = token({"alg": "HS256"}, s.claims(pad="x" * (pad + d)), s.secret)
        if len(t) == size:
            return t
    raise RuntimeError("cannot make a token of %d characters" % size)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--shim", help="the one-line module tests/support/"
                    "pam_shim.c, built (default BUILD/support/pam_shim.so)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", help="regex: only the cases whose names it "
                    "matches (make check-attack ONLY=REGEX)")
    a = ap.parse_args()
    s = Suite(a.build, a.jobs, a.shim)
    s.put("secret.raw", s.secret, 0o600)   # the HMAC key for libjwt
    catalogue(s)
    ok = s.run(a.only)
    if ok:
        shutil.rmtree(s.work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
