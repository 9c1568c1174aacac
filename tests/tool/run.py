#!/usr/bin/python3
"""tests/tool/run.py - the pamjwt tool: keygen, mint, verify, askpass.

usage: /usr/bin/python3 tests/tool/run.py BUILD/pamjwt

PyJWT and python3-cryptography are the independent other side: every token
pamjwt mints is checked by PyJWT, and PyJWT's tokens by `pamjwt verify`.
Accounts come from nss_wrapper (alice uid 1001, bob 1002, daemon 1, root 0),
preloaded into the tool only.  One line per case, then
"tool: N passed, M failed"; the exit status is non-zero on any failure.
"""
import base64
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "support"))
import pjtest  # noqa: E402  (tests/support/pjtest.py)

if len(sys.argv) not in (2, 4) or \
        (len(sys.argv) == 4 and sys.argv[2] != "--only"):
    sys.exit("usage: run.py PATH/TO/pamjwt [--only REGEX]")
TOOL = os.path.abspath(sys.argv[1])

HMAC = ["HS256", "HS384", "HS512"]
RSA = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
EC = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
ALL = HMAC + RSA + list(EC) + ["EdDSA"]
B64URL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

passed = 0
failed = 0
# ONLY (make check-tool ONLY=REGEX, or --only REGEX after the tool's path):
# the checks build on each other (keys made by keygen are used by mint and
# verify), so every step still runs; only the checks whose names match are
# counted and printed.
ONLY = sys.argv[3] if len(sys.argv) == 4 else None


def check(name, cond, detail=""):
    global passed, failed
    if ONLY is not None and not re.search(ONLY, name):
        return cond
    if cond:
        passed += 1
        print("ok   %s" % name)
    else:
        failed += 1
        print("FAIL %s%s" % (name, ": " + detail if detail else ""))
    sys.stdout.flush()
    return cond


def base_env(d):
    pw, gr = pjtest.nss_files(
        d, "root:x:0:0:root:/root:/bin/sh\n"
           "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
           "alice:x:1001:1001:Alice:/home/alice:/bin/sh\n"
           "bob:x:1002:1002:Bob:/home/bob:/bin/sh\n")
    env = pjtest.nss_env(pw, gr, base={k: v for k, v in os.environ.items()
                                       if not k.startswith("PAMJWT_")})
    # ASan wants to be first in the library list; nss_wrapper is preloaded
    asan = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    return env


WORK = tempfile.mkdtemp(prefix="pamjwt-tool-test.")
ENV = base_env(WORK)


def run(args, stdin=None, env=None, argv0=None, umask=None):
    e = dict(ENV)
    if env:
        e.update(env)
    prog = argv0 or TOOL

    def pre():
        if umask is not None:
            os.umask(umask)
    p = subprocess.run([prog] + args, input=stdin, capture_output=True,
                       text=True, env=e, timeout=300, cwd=WORK,
                       preexec_fn=pre)
    return p


def path(name):
    return os.path.join(WORK, name)


def mode(p):
    return stat.S_IMODE(os.lstat(p).st_mode)


b64u = pjtest.b64u


def b64u_int(n, size=None):
    if size is None:
        size = max(1, (n.bit_length() + 7) // 8)
    return b64u(n.to_bytes(size, "big"))


def thumbprint(jwk):
    req = {"RSA": ["e", "kty", "n"], "EC": ["crv", "kty", "x", "y"],
           "OKP": ["crv", "kty", "x"]}[jwk["kty"]]
    canon = json.dumps({k: jwk[k] for k in req}, separators=(",", ":"),
                       sort_keys=True)
    return b64u(hashlib.sha256(canon.encode()).digest())


def write_conf(name, text, m=0o644):
    p = path(name)
    with open(p, "w") as f:
        f.write(text)
    os.chmod(p, m)
    return p


# An empty config, so the host's /etc/security/pam_jwt.conf never plays in.
EMPTY_CONF = write_conf("empty.conf", "# tool tests\n")


def verify(token, *args, conf=EMPTY_CONF, how="stdin", env=None):
    a = ["verify", "--config", conf] + list(args)
    if how == "arg":
        return run(a + [token], env=env)
    if how == "dash":
        return run(a + ["-"], stdin=token, env=env)
    return run(a, stdin=token, env=env)


def secret_bytes(p):
    with open(p, "rb") as f:
        b = f.read()
    return b[:-1] if b.endswith(b"\n") else b


def key_source(alg, keys):
    """module arguments for the keygen key of alg: secret or PEM"""
    if alg in HMAC:
        return ["secret_file=" + keys[alg] + ".secret"]
    return ["public_key_file=" + keys[alg] + ".pub"]


def mint(*args):
    return run(["mint"] + list(args))


# ---------------------------------------------------------------- keygen


def test_keygen():
    keys = {}
    for alg in ALL:
        prefix = path("k-" + alg)
        args = ["keygen", "--alg", alg, "--out", "k-" + alg]
        if alg in RSA and alg != "RS256":
            args += ["--bits", "2048"]
        p = run(args, umask=0o077)
        if not check("keygen %s exits 0" % alg, p.returncode == 0, p.stderr):
            continue
        keys[alg] = prefix
        if alg in HMAC:
            s = path("k-%s.secret" % alg)
            check("keygen %s secret mode 0600" % alg, mode(s) == 0o600,
                  oct(mode(s)))
            with open(s, "rb") as f:
                raw = f.read()
            body = raw[:-1]
            check("keygen %s secret is >= 64 base64url chars + newline" % alg,
                  raw.endswith(b"\n") and len(body) >= 64 and
                  set(body.decode()) <= B64URL, repr(raw[:8]))
            check("keygen %s secret has >= 8 distinct bytes" % alg,
                  len(set(body)) >= 8)
            check("keygen %s prints secret_file option" % alg,
                  ("secret_file = " + s) in p.stdout, p.stdout)
            continue
        kf, pf, jf = prefix + ".key", prefix + ".pub", prefix + ".jwks"
        check("keygen %s modes key 0600 pub 0644 jwks 0644 (umask 077)" % alg,
              (mode(kf), mode(pf), mode(jf)) == (0o600, 0o644, 0o644),
              "%o %o %o" % (mode(kf), mode(pf), mode(jf)))
        with open(kf, "rb") as f:
            kpem = f.read()
        check("keygen %s private key is PKCS#8 PEM" % alg,
              kpem.startswith(b"-----BEGIN PRIVATE KEY-----\n"))
        priv = serialization.load_pem_private_key(kpem, None)
        with open(pf, "rb") as f:
            pub = serialization.load_pem_public_key(f.read())
        same = pub.public_bytes(serialization.Encoding.DER,
                                serialization.PublicFormat.SubjectPublicKeyInfo) == \
            priv.public_key().public_bytes(
                serialization.Encoding.DER,
                serialization.PublicFormat.SubjectPublicKeyInfo)
        check("keygen %s .pub matches .key" % alg, same)
        if alg == "RS256":
            check("keygen RSA default is 3072 bits", pub.key_size == 3072,
                  str(pub.key_size))
        elif alg in RSA:
            check("keygen %s --bits 2048" % alg, pub.key_size == 2048)
        if alg in EC:
            check("keygen %s curve %s" % (alg, EC[alg]),
                  pub.curve.name == {"P-256": "secp256r1", "P-384": "secp384r1",
                                     "P-521": "secp521r1"}[EC[alg]])
        try:
            with open(jf) as f:
                jwks = json.load(f)
            jwk = jwks["keys"][0]
            ok = len(jwks["keys"]) == 1
        except (ValueError, KeyError, IndexError) as e:
            check("keygen %s JWKS parses" % alg, False, str(e))
            continue
        check("keygen %s JWKS parses, one key" % alg, ok)
        check("keygen %s JWK alg/use" % alg,
              jwk.get("alg") == alg and jwk.get("use") == "sig", str(jwk))
        check("keygen %s JWK has no private member" % alg,
              not any(m in jwk for m in ("d", "p", "q", "dp", "dq", "qi")))
        check("keygen %s JWK kid is the RFC 7638 thumbprint" % alg,
              jwk.get("kid") == thumbprint(jwk), jwk.get("kid", ""))
        if alg in RSA:
            n = pub.public_numbers()
            good = jwk["kty"] == "RSA" and jwk["n"] == b64u_int(n.n) and \
                jwk["e"] == b64u_int(n.e)
        elif alg in EC:
            n = pub.public_numbers()
            size = (pub.curve.key_size + 7) // 8
            good = jwk["kty"] == "EC" and jwk["crv"] == EC[alg] and \
                jwk["x"] == b64u_int(n.x, size) and jwk["y"] == b64u_int(n.y, size)
        else:
            raw = pub.public_bytes(serialization.Encoding.Raw,
                                   serialization.PublicFormat.Raw)
            good = jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and \
                jwk["x"] == b64u(raw)
        check("keygen %s JWK is the public key" % alg, good, str(jwk))
        check("keygen %s prints public_key_file and jwks_file" % alg,
              ("public_key_file = " + pf) in p.stdout and
              ("jwks_file = " + jf) in p.stdout, p.stdout)

    # never overwrite
    for alg, suffix in (("HS256", ".secret"), ("ES256", ".key")):
        f = path("k-" + alg + suffix)
        with open(f, "rb") as fh:
            before = fh.read()
        p = run(["keygen", "--alg", alg, "--out", "k-" + alg])
        with open(f, "rb") as fh:
            after = fh.read()
        check("keygen %s refuses to overwrite" % alg,
              p.returncode == 1 and before == after and "exists" in p.stderr,
              "%d %s" % (p.returncode, p.stderr))
    # one of three exists: nothing is written
    with open(path("part.jwks"), "w") as f:
        f.write("{}")
    p = run(["keygen", "--alg", "EdDSA", "--out", "part"])
    check("keygen with PREFIX.jwks present writes nothing",
          p.returncode == 1 and not os.path.exists(path("part.key")) and
          not os.path.exists(path("part.pub")), p.stderr)
    # a dangling symbolic link is not followed
    os.symlink(path("elsewhere"), path("link.secret"))
    p = run(["keygen", "--alg", "HS256", "--out", "link"])
    check("keygen does not follow a symlink at PREFIX.secret",
          p.returncode == 1 and not os.path.exists(path("elsewhere")), p.stderr)
    # usage errors
    for args, what in ((["--alg", "none", "--out", "x"], "alg none"),
                       (["--alg", "HS999", "--out", "x"], "unknown alg"),
                       (["--alg", "hs256", "--out", "x"], "alg is case-sensitive"),
                       (["--alg", "HS256"], "--out missing"),
                       (["--out", "x"], "--alg missing"),
                       (["--alg", "RS256", "--out", "x", "--bits", "1024"], "bits 1024"),
                       (["--alg", "RS256", "--out", "x", "--bits", "20x"], "bits 20x"),
                       (["--alg", "RS256", "--out", "x", "--bits", "-2048"], "bits -2048"),
                       (["--alg", "ES256", "--out", "x", "--bits", "2048"], "bits for EC"),
                       (["--alg", "HS256", "--out", "dir/"], "out is a directory"),
                       (["--alg", "HS256", "--out", "x", "--frob"], "unknown flag"),
                       (["--alg", "HS256", "--out", "x", "extra"], "extra word"),
                       (["--alg", "HS256", "--alg", "HS256", "--out", "x"], "twice"),
                       (["--al", "HS256", "--out", "x"], "no abbreviations")):
        p = run(["keygen"] + args)
        check("keygen usage error (%s) exits 2" % what,
              p.returncode == 2 and p.stderr != "" and
              not os.path.exists(path("x.secret")), "%d %s" % (p.returncode, p.stderr))
    return keys


# ---------------------------------------------------------------- mint


def pyjwt_key(alg, keys, private=False):
    if alg in HMAC:
        return secret_bytes(keys[alg] + ".secret")
    with open(keys[alg] + (".key" if private else ".pub"), "rb") as f:
        data = f.read()
    if private:
        return serialization.load_pem_private_key(data, None)
    return serialization.load_pem_public_key(data)


def kid_of(alg, keys):
    with open(keys[alg] + ".jwks") as f:
        return json.load(f)["keys"][0]["kid"]


def test_mint_all(keys):
    for alg in ALL:
        if alg not in keys:
            check("mint %s (no key)" % alg, False)
            continue
        kf = keys[alg] + (".secret" if alg in HMAC else ".key")
        args = ["--key", kf, "--alg", alg, "--sub", "alice", "--iss",
                "https://issuer.test", "--aud", "test-aud", "--jti"]
        if alg not in HMAC:
            args += ["--kid", kid_of(alg, keys)]
        t0 = int(time.time())
        p = mint(*args)
        t1 = int(time.time())
        if not check("mint %s exits 0" % alg, p.returncode == 0, p.stderr):
            continue
        tok = p.stdout
        check("mint %s prints token and one newline" % alg,
              tok.endswith("\n") and tok.count("\n") == 1 and tok.count(".") == 2)
        tok = tok.strip()
        try:
            claims = jwt.decode(tok, pyjwt_key(alg, keys), algorithms=[alg],
                                audience="test-aud", issuer="https://issuer.test")
            hdr = jwt.get_unverified_header(tok)
            ok = True
            err = ""
        except Exception as e:  # noqa: BLE001 - any PyJWT failure is a failure
            ok = False
            err = repr(e)
        if not check("mint %s verified by PyJWT" % alg, ok, err):
            continue
        check("mint %s header alg/typ%s" % (alg, "" if alg in HMAC else "/kid"),
              hdr.get("alg") == alg and hdr.get("typ") == "JWT" and
              (alg in HMAC or hdr.get("kid") == kid_of(alg, keys)), str(hdr))
        check("mint %s claims sub, iat = now, exp = iat + 300, jti" % alg,
              claims["sub"] == "alice" and t0 <= claims["iat"] <= t1 and
              claims["exp"] == claims["iat"] + 300 and
              len(claims["jti"]) == 22 and set(claims["jti"]) <= B64URL,
              str(claims))
        v = verify(tok, *key_source(alg, keys), "audience=test-aud",
                   "issuer=https://issuer.test")
        check("mint %s accepted by pamjwt verify (%s)" % (
            alg, "secret_file" if alg in HMAC else "public_key_file"),
            v.returncode == 0 and "verdict: ACCEPTED" in v.stdout and
            "user:    alice" in v.stdout, v.stdout + v.stderr)
        if alg not in HMAC:
            v = verify(tok, "jwks_file=" + keys[alg] + ".jwks",
                       "audience=test-aud")
            check("mint %s accepted by pamjwt verify (jwks_file, kid)" % alg,
                  v.returncode == 0 and "ACCEPTED" in v.stdout,
                  v.stdout + v.stderr)
    # one HMAC secret of 86 characters signs all three
    for alg in HMAC:
        p = mint("--key", keys["HS256"] + ".secret", "--alg", alg, "--sub", "alice")
        v = verify(p.stdout, "secret_file=" + keys["HS256"] + ".secret")
        check("keygen HS256 secret also mints and verifies %s" % alg,
              p.returncode == 0 and v.returncode == 0, p.stderr + v.stdout)


def test_pyjwt_to_verify(keys):
    now = int(time.time())
    for alg in ALL:
        if alg not in keys:
            continue
        headers = {} if alg in HMAC else {"kid": kid_of(alg, keys)}
        tok = jwt.encode({"sub": "alice", "iat": now, "exp": now + 120},
                         pyjwt_key(alg, keys, private=True), algorithm=alg,
                         headers=headers)
        v = verify(tok, *key_source(alg, keys))
        check("PyJWT %s token accepted by pamjwt verify" % alg,
              v.returncode == 0 and "ACCEPTED" in v.stdout, v.stdout + v.stderr)
        if alg not in HMAC:
            v = verify(tok, "jwks_file=" + keys[alg] + ".jwks")
            check("PyJWT %s token accepted with the keygen JWKS" % alg,
                  v.returncode == 0, v.stdout + v.stderr)
    # keys made by python3-cryptography, not by keygen
    own = (("PS256", rsa.generate_private_key(public_exponent=65537, key_size=2048)),
           ("ES512", ec.generate_private_key(ec.SECP521R1())),
           ("ES256", ec.generate_private_key(ec.SECP256R1())),
           ("EdDSA", ed25519.Ed25519PrivateKey.generate()))
    for alg, priv in own:
        pub = path("py-%s.pub" % alg)
        with open(pub, "wb") as f:
            f.write(priv.public_key().public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo))
        tok = jwt.encode({"sub": "alice", "exp": now + 120}, priv, algorithm=alg)
        v = verify(tok, "public_key_file=" + pub)
        check("PyJWT %s with a cryptography key accepted" % alg,
              v.returncode == 0, v.stdout + v.stderr)
        # and mint signs with a PKCS#8 key that keygen did not make
        kf = path("py-%s.key" % alg)
        with open(kf, "wb") as f:
            f.write(priv.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
        os.chmod(kf, 0o600)
        p = mint("--key", kf, "--alg", alg, "--sub", "alice")
        ok = p.returncode == 0
        if ok:
            try:
                jwt.decode(p.stdout.strip(), priv.public_key(), algorithms=[alg])
            except Exception:  # noqa: BLE001
                ok = False
        check("mint %s with a cryptography PKCS#8 key, PyJWT verifies" % alg,
              ok, p.stderr)
    # a traditional (PKCS#1) RSA PEM works too
    priv = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    kf = path("py-trad.key")
    with open(kf, "wb") as f:
        f.write(priv.private_bytes(serialization.Encoding.PEM,
                                   serialization.PrivateFormat.TraditionalOpenSSL,
                                   serialization.NoEncryption()))
    os.chmod(kf, 0o600)
    p = mint("--key", kf, "--alg", "RS256", "--sub", "alice")
    check("mint with a traditional RSA PEM key", p.returncode == 0, p.stderr)
    # an encrypted key is refused, and no passphrase is asked for
    kf = path("py-enc.key")
    with open(kf, "wb") as f:
        f.write(priv.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase")))
    os.chmod(kf, 0o600)
    p = mint("--key", kf, "--alg", "RS256", "--sub", "alice")
    check("mint refuses an encrypted key without prompting",
          p.returncode == 1 and "encrypted" in p.stderr, p.stderr)


def test_mint_options(keys):
    hs = keys["HS256"] + ".secret"
    key = pyjwt_key("HS256", keys)

    def claims_of(*extra):
        p = mint("--key", hs, "--alg", "HS256", "--sub", "alice", *extra)
        if p.returncode != 0:
            return None, p
        return jwt.decode(p.stdout.strip(), key, algorithms=["HS256"],
                          options={"verify_aud": False}), p

    c, p = claims_of("--claim", "n=5", "--claim", "t=true", "--claim", "l=[1]",
                     "--claim", "e=", "--claim", "eq=a=b")
    check("--claim values are strings", c is not None and
          c["n"] == "5" and c["t"] == "true" and c["l"] == "[1]" and
          c["e"] == "" and c["eq"] == "a=b", str(c) + p.stderr)
    c, p = claims_of("--claim-json", "n=5", "--claim-json", "t=true",
                     "--claim-json", 'l=["a","b"]', "--claim-json", 'o={"k":1}',
                     "--claim-json", 's="str"', "--claim-json", "z=null",
                     "--claim-json", "f=1.5")
    check("--claim-json values are typed", c is not None and
          c["n"] == 5 and c["t"] is True and c["l"] == ["a", "b"] and
          c["o"] == {"k": 1} and c["s"] == "str" and c["z"] is None and
          c["f"] == 1.5, str(c) + p.stderr)
    c, p = claims_of("--aud", "a", "--aud", "b")
    check("--aud twice makes an array", c is not None and c["aud"] == ["a", "b"],
          str(c))
    c, p = claims_of("--aud", "a")
    check("--aud once is a string", c is not None and c["aud"] == "a", str(c))
    c, p = claims_of("--ttl", "60")
    check("--ttl 60: exp = iat + 60", c is not None and
          c["exp"] - c["iat"] == 60, str(c))
    c, p = claims_of("--jti", "my-id")
    check("--jti VALUE", c is not None and c["jti"] == "my-id", str(c))
    c, p = claims_of("--jti=other")
    check("--jti=VALUE", c is not None and c["jti"] == "other", str(c))
    c1, _ = claims_of("--jti")
    c2, _ = claims_of("--jti")
    check("--jti alone: random 128 bits, different each time",
          c1 is not None and c2 is not None and c1["jti"] != c2["jti"] and
          len(c1["jti"]) == 22, "%s %s" % (c1, c2))
    c, p = claims_of()
    check("no --jti, --iss, --aud: claims are sub, iat, exp only",
          c is not None and sorted(c) == ["exp", "iat", "sub"], str(c))
    c, p = claims_of("--claim", "name=Zoë ☃")
    check("--claim keeps UTF-8", c is not None and c["name"] == "Zoë ☃", str(c))
    now = int(time.time())
    c, p = claims_of("--claim-json", "nbf=%d" % (now - 5))
    check("--claim-json nbf", c is not None and c["nbf"] == now - 5, str(c))
    p = mint("--key", hs, "--alg", "HS256", "--sub", "alice", "--kid", "k1",
             "--typ", "at+jwt")
    hdr = jwt.get_unverified_header(p.stdout.strip()) if p.returncode == 0 else {}
    check("--kid and --typ in the header",
          hdr == {"alg": "HS256", "typ": "at+jwt", "kid": "k1"}, str(hdr))
    v = verify(p.stdout, "secret_file=" + hs, "typ=at+jwt")
    check("--typ at+jwt accepted with typ=at+jwt", v.returncode == 0, v.stdout)

    # require_claim with a string scope
    p = mint("--key", hs, "--alg", "HS256", "--sub", "alice", "--claim",
             "scope=openid sudo")
    v = verify(p.stdout, "secret_file=" + hs, "require_claim=scope=sudo")
    check("--claim scope=... satisfies require_claim=scope=sudo",
          v.returncode == 0, v.stdout)
    p = mint("--key", hs, "--alg", "HS256", "--sub", "alice", "--claim",
             "scope=openid")
    v = verify(p.stdout, "secret_file=" + hs, "require_claim=scope=sudo")
    check("without the scope require_claim rejects", v.returncode == 1 and
          "REJECTED" in v.stdout, v.stdout)
    # the type confusion --claim avoids: a string "1" is not the number 1
    p = mint("--key", hs, "--alg", "HS256", "--sub", "alice", "--claim",
             "level=1")
    check("--claim level=1 is the string \"1\" in the payload",
          p.returncode == 0 and '"level":"1"' in base64.urlsafe_b64decode(
              p.stdout.split(".")[1] + "==").decode(), p.stdout)

    # errors
    for args, rc, what in (
            (["--alg", "none"], 2, "alg none"),
            (["--alg", "None"], 2, "alg None"),
            (["--alg", "hs256"], 2, "alg lower case"),
            (["--ttl", "0"], 2, "ttl 0"),
            (["--ttl", "-5"], 2, "ttl -5"),
            (["--ttl", "5x"], 2, "ttl 5x"),
            (["--ttl", " 5"], 2, "ttl with space"),
            (["--ttl", "1e3"], 2, "ttl 1e3"),
            (["--ttl", "99999999999999999999"], 2, "ttl overflow"),
            (["--ttl", "400000000"], 2, "ttl above 10 years"),
            (["--claim", "exp=1"], 2, "--claim exp"),
            (["--claim-json", "iat=1"], 2, "--claim-json iat"),
            (["--claim", "sub=bob"], 2, "--claim sub"),
            (["--claim", "nbf=1"], 2, "--claim nbf (a time)"),
            (["--claim", "noequals"], 2, "--claim without ="),
            (["--claim", "=v"], 2, "--claim empty name"),
            (["--claim", "a=1", "--claim-json", "a=2"], 2, "claim twice"),
            (["--claim-json", "x=notjson"], 2, "--claim-json not JSON"),
            (["--claim-json", "x={\"a\":1,\"a\":2}"], 2, "--claim-json duplicate member"),
            (["--kid", ""], 2, "empty kid"),
            (["--kid", "k" * 257], 2, "kid too long"),
            (["--jti", ""], 2, "empty jti"),
            (["--sub", "bob"], 2, "--sub twice"),
            (["--frob"], 2, "unknown flag"),
            (["-x"], 2, "short flag"),
            (["--su", "x"], 2, "abbreviation"),
            (["extra"], 2, "extra word"),
            (["--iss"], 2, "--iss without value")):
        p = mint("--key", hs, "--alg", "HS256", "--sub", "alice", *args) \
            if "--alg" not in args else \
            mint("--key", hs, "--sub", "alice", *args)
        check("mint error (%s) exits %d, prints no token" % (what, rc),
              p.returncode == rc and p.stdout == "" and p.stderr != "",
              "%d %r %s" % (p.returncode, p.stdout[:20], p.stderr))
    p = mint("--alg", "HS256", "--sub", "alice")
    check("mint without --key exits 2", p.returncode == 2, p.stderr)

    # keys that do not fit
    short = path("short.secret")
    with open(short, "w") as f:
        f.write("0123456789abcdefghijklmnopqrstuv\n")  # 32 bytes
    os.chmod(short, 0o600)
    p = mint("--key", short, "--alg", "HS512", "--sub", "alice")
    check("mint HS512 with a 32-byte secret refused", p.returncode == 1 and
          "HS512" in p.stderr and p.stdout == "", p.stderr)
    p = mint("--key", short, "--alg", "HS256", "--sub", "alice")
    check("mint HS256 with a 32-byte secret works", p.returncode == 0, p.stderr)
    weak = path("weak.secret")
    with open(weak, "w") as f:
        f.write("ab" * 32 + "\n")
    os.chmod(weak, 0o600)
    p = mint("--key", weak, "--alg", "HS256", "--sub", "alice")
    check("mint with a weak secret refused", p.returncode == 1 and
          "weak" in p.stderr, p.stderr)
    loose = path("loose.secret")
    shutil.copy(hs, loose)
    os.chmod(loose, 0o640)
    p = mint("--key", loose, "--alg", "HS256", "--sub", "alice")
    check("mint with a group-readable secret refused", p.returncode == 1 and
          "permissions" in p.stderr, p.stderr)
    if "ES256" in keys:
        p = mint("--key", keys["ES256"] + ".key", "--alg", "ES384", "--sub", "a")
        check("mint ES384 with a P-256 key refused", p.returncode == 1 and
              "ES256" in p.stderr, p.stderr)
        p = mint("--key", keys["ES256"] + ".key", "--alg", "HS256", "--sub", "a")
        check("mint HS256 with a PEM key refused", p.returncode == 1,
              p.stderr)
        pub = path("pub-as-key.pem")
        shutil.copy(keys["ES256"] + ".pub", pub)
        os.chmod(pub, 0o600)
        p = mint("--key", pub, "--alg", "ES256", "--sub", "a")
        check("mint with a public key refused", p.returncode == 1 and
              "public key" in p.stderr, p.stderr)
    if "RS256" in keys:
        p = mint("--key", keys["RS256"] + ".key", "--alg", "ES256", "--sub", "a")
        check("mint ES256 with an RSA key refused", p.returncode == 1, p.stderr)
    p = mint("--key", path("nonexistent"), "--alg", "HS256", "--sub", "a")
    check("mint with a missing key file exits 1", p.returncode == 1, p.stderr)
    p = mint("--key", hs, "--alg", "HS256", "--sub", "a", "--claim",
             "big=" + "x" * 17000)
    check("mint refuses a token over 16 KiB", p.returncode == 1 and
          "16384" in p.stderr and p.stdout == "", p.stderr)


# ---------------------------------------------------------------- verify


def test_verify(keys):
    hs = keys["HS256"] + ".secret"
    sk = pyjwt_key("HS256", keys)
    now = int(time.time())

    def tok(claims, key=sk, alg="HS256", headers=None):
        return jwt.encode(claims, key, algorithm=alg, headers=headers)

    good = tok({"sub": "alice", "iat": now, "exp": now + 120})
    for how in ("stdin", "dash", "arg"):
        v = verify(good, "secret_file=" + hs, how=how)
        check("verify accepts (token from %s), exit 0" % how,
              v.returncode == 0 and "verdict: ACCEPTED" in v.stdout and
              "pam:     PAM_SUCCESS" in v.stdout, v.stdout + v.stderr)
    v = verify("  \r\n" + good + " \n\n", "secret_file=" + hs)
    check("verify trims white space like the module", v.returncode == 0,
          v.stdout)
    v = verify(good, "secret_file=" + hs)
    check("verify prints claims and UTC times", '"sub": "alice"' in v.stdout and
          "times:" in v.stdout and " UTC " in v.stdout and "exp" in v.stdout,
          v.stdout)
    sig = good.split(".")[2]
    check("verify never prints the secret or the signature",
          sk.decode() not in v.stdout + v.stderr and sig not in v.stdout + v.stderr)
    v = verify(good, "secret_file=" + hs, "--user", "alice")
    check("verify --user alice accepts", v.returncode == 0, v.stdout)

    cases = (
        ("expired", tok({"sub": "alice", "iat": now - 7200, "exp": now - 3600}),
         [], 1, "REJECTED", "PAM_AUTH_ERR", "expired"),
        ("bad signature", good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA")
                                       else "BBBBBB"),
         [], 1, "REJECTED", "PAM_AUTH_ERR", "bad signature"),
        ("wrong aud", tok({"sub": "alice", "exp": now + 60, "aud": "other"}),
         ["audience=test-aud"], 1, "REJECTED", "PAM_AUTH_ERR", "audience"),
        ("aud but no audience configured",
         tok({"sub": "alice", "exp": now + 60, "aud": "x"}),
         [], 1, "REJECTED", "PAM_AUTH_ERR", "audience"),
        ("wrong iss", tok({"sub": "alice", "exp": now + 60, "iss": "evil"}),
         ["issuer=good"], 1, "REJECTED", "PAM_AUTH_ERR", "issuer"),
        ("no exp", tok({"sub": "alice"}), [], 1, "REJECTED", "PAM_AUTH_ERR", "exp"),
        ("not yet valid", tok({"sub": "alice", "exp": now + 7200,
                               "nbf": now + 3600}),
         [], 1, "REJECTED", "PAM_AUTH_ERR", "not yet"),
        ("algorithm not allowed", good, ["algorithms=HS512"], 1, "REJECTED",
         "PAM_AUTH_ERR", "algorithm"),
        ("--user bob, token for alice", good, ["--user", "bob"], 1, "REJECTED",
         "PAM_AUTH_ERR", "bob"),
        ("root without allow_root", tok({"sub": "root", "exp": now + 60}),
         [], 1, "REJECTED", "PAM_AUTH_ERR", "allow_root"),
        ("system account below min_uid", tok({"sub": "daemon", "exp": now + 60}),
         [], 1, "REJECTED", "PAM_AUTH_ERR", "min_uid"),
        ("unknown user", tok({"sub": "nosuchuser", "exp": now + 60}),
         [], 1, "UNKNOWN USER", "PAM_USER_UNKNOWN", "nosuchuser"),
        ("not a token (a password)", "hunter2", [], 1, "IGNORED (not a token)",
         "PAM_IGNORE", "not a compact JWS"),
        ("too long", "eyJ" + "a" * 17000 + ".b.c", [], 1, "REJECTED",
         "PAM_AUTH_ERR", "too long"),
        ("unknown option", good, ["frobnicate=1"], 2, "CONFIG ERROR",
         "PAM_SERVICE_ERR", "frobnicate"),
        ("bad value", good, ["leeway=soon"], 2, "CONFIG ERROR",
         "PAM_SERVICE_ERR", "leeway"),
        ("option twice", good, ["leeway=5", "leeway=6"], 2, "CONFIG ERROR",
         "PAM_SERVICE_ERR", "twice"),
        ("relative key path", good, ["jwks_file=k-ES256.jwks"], 2,
         "CONFIG ERROR", "PAM_SERVICE_ERR", "absolute"),
    )
    for name, t, extra, rc, verdict, pam, words in cases:
        v = verify(t, "secret_file=" + hs, *extra)
        check("verify %s: exit %d, %s, %s" % (name, rc, verdict, pam),
              v.returncode == rc and ("verdict: %s\n" % verdict) in v.stdout and
              ("pam:     %s\n" % pam) in v.stdout and words in v.stdout,
              "%d %s %s" % (v.returncode, v.stdout, v.stderr))
    v = verify(good)
    check("verify without a key source: exit 2, CONFIG ERROR",
          v.returncode == 2 and "CONFIG ERROR" in v.stdout, v.stdout)
    v = run(["verify", "--config", path("no-such.conf"), "secret_file=" + hs],
            stdin=good)
    check("verify --config missing file: exit 2", v.returncode == 2 and
          "CONFIG ERROR" in v.stdout, v.stdout)

    # key unavailable: unsafe secret file
    loose = path("loose2.secret")
    shutil.copy(hs, loose)
    os.chmod(loose, 0o644)
    v = verify(good, "secret_file=" + loose)
    check("verify unsafe secret file: exit 1, KEY UNAVAILABLE, "
          "PAM_AUTHINFO_UNAVAIL", v.returncode == 1 and
          "KEY UNAVAILABLE" in v.stdout and "PAM_AUTHINFO_UNAVAIL" in v.stdout,
          v.stdout)
    v = verify(good, "secret_file=" + path("missing.secret"))
    check("verify missing secret file: exit 1, KEY UNAVAILABLE",
          v.returncode == 1 and "KEY UNAVAILABLE" in v.stdout, v.stdout)

    # config file with a [service NAME] section
    conf = write_conf("svc.conf", "secret_file = %s\n\n[service sshd]\n"
                      "audience = ssh\n" % hs)
    t = tok({"sub": "alice", "exp": now + 60, "aud": "ssh"})
    v = verify(t, "--service", "sshd", conf=conf)
    check("verify --service sshd applies [service sshd]", v.returncode == 0,
          v.stdout)
    v = verify(t, conf=conf)
    check("verify without --service ignores [service sshd]", v.returncode == 1,
          v.stdout)
    v = verify(t, "--service", "sudo", conf=conf)
    check("verify --service sudo ignores [service sshd]", v.returncode == 1,
          v.stdout)
    v = verify(t, "--service", "sshd", "audience=other", conf=conf)
    check("module arguments override the section", v.returncode == 1, v.stdout)
    v = run(["verify", "--config", os.path.basename(conf), "--service", "sshd"],
            stdin=t)
    check("verify --config with a relative path", v.returncode == 0, v.stdout)
    bad = write_conf("bad.conf", "secret_file = %s\nfrobnicate = 1\n" % hs)
    v = verify(t, conf=bad)
    check("verify config file with an unknown key: exit 2", v.returncode == 2 and
          "bad.conf:2" in v.stdout, v.stdout)
    unsafe = write_conf("unsafe.conf", "secret_file = %s\n" % hs, m=0o666)
    v = verify(t, conf=unsafe)
    check("verify world-writable config: exit 2", v.returncode == 2, v.stdout)

    # usage errors
    for args, what in ((["--frob"], "unknown flag"),
                       (["--conf", "x"], "abbreviation"),
                       (["--user"], "--user without value"),
                       (["--user", "a", "--user", "b"], "--user twice"),
                       ([good, good], "two tokens"),
                       (["-", good], "stdin and a token")):
        v = run(["verify", "--config", EMPTY_CONF, "secret_file=" + hs] + args,
                stdin="")
        check("verify usage error (%s): exit 2" % what, v.returncode == 2 and
              v.stderr != "", "%d %s" % (v.returncode, v.stderr))
    # "--" makes a word that looks like an argument the token
    v = run(["verify", "--config", EMPTY_CONF, "secret_file=" + hs, "--",
             "hunter"])
    check("verify -- WORD takes WORD as the token", v.returncode == 1 and
          "IGNORED" in v.stdout, v.stdout + v.stderr)

    # single_use: --dry-run does not record; without it the token is used up
    store = path("replay")
    scratch = path("scratch")
    os.mkdir(scratch, 0o700)
    dry_env = {"TMPDIR": scratch}
    t = tok({"sub": "alice", "exp": now + 60, "jti": "once-1"})
    args = ["secret_file=" + hs, "single_use", "replay_cache=" + store]
    v1 = verify(t, *args, "--dry-run", env=dry_env)
    v2 = verify(t, *args, "--dry-run", env=dry_env)
    check("verify --dry-run with single_use accepts and says so",
          v1.returncode == 0 and v2.returncode == 0 and "dry-run" in v1.stdout,
          v1.stdout + v2.stdout)
    v1 = verify(t, *args)
    v2 = verify(t, *args)
    check("verify with single_use records: second time REJECTED (replay)",
          v1.returncode == 0 and v2.returncode == 1 and "already used" in v2.stdout,
          v1.stdout + v2.stdout)
    t = tok({"sub": "alice", "exp": now + 60})
    v = verify(t, *args, "--dry-run", env=dry_env)
    check("verify --dry-run still requires jti with single_use",
          v.returncode == 1 and "jti" in v.stdout, v.stdout)
    check("verify --dry-run leaves no scratch store behind ($TMPDIR)",
          os.listdir(scratch) == [], str(os.listdir(scratch)))

    # keygen's suggested options and mint command, as printed, make a
    # configuration that accepts the token (issue 12.7: they agree with
    # the documented configurations: no algorithms= line)
    for alg in ("HS256", "EdDSA", "RS256"):
        prefix = path("suggest-" + alg)
        g = run(["keygen", "--alg", alg, "--out", prefix])
        text = g.stdout.replace("ISSUER", "https://idp.example").replace(
            "AUDIENCE", "aud-1").replace("USER", "alice")
        opts = text.split("pam_jwt options")[1].split("\n\n")[0]
        conf_lines = [ln.strip() for ln in opts.splitlines()[1:]
                      if re.match(r"^  [a-z_]+ = \S+$", ln)]
        cmd = text.split("mint a token:")[1].replace("\\\n", " ").split()
        conf = write_conf("suggest-%s.conf" % alg, "\n".join(conf_lines) + "\n")
        m = run(cmd[1:])
        v = verify(m.stdout.strip(), conf=conf)
        check("keygen %s: its suggested options (%s) and mint command "
              "verify; no algorithms= line" % (alg, ", ".join(
                  ln.split(" =")[0] for ln in conf_lines)),
              g.returncode == 0 and m.returncode == 0 and v.returncode == 0
              and "algorithms =" not in opts and len(conf_lines) == 4,
              "%r %r %r %r" % (cmd, m.stderr, v.stdout, v.stderr))

    # --pamd: the module arguments of the service's own pam.d line (12.3)
    pd = path("pam.d")
    os.mkdir(pd)
    write_conf("pam.d/common-auth",
               "auth [success=1 default=ignore] pam_unix.so nullok\n"
               "auth requisite pam_deny.so\n")
    write_conf("pam.d/sshd", (
        "# sshd\n"
        "auth  sufficient  pam_jwt.so config=%s secret_file=%s \\\n"
        "      audience=ssh [prompt=Your token: ]   # a comment\n"
        "@include common-auth\n") % (EMPTY_CONF, hs))
    write_conf("pam.d/sshd-typo", (
        "@include sshd-typo-inner\n"))
    write_conf("pam.d/sshd-typo-inner", (
        "auth sufficient /lib/x86_64-linux-gnu/security/pam_jwt.so "
        "config=%s secret_file=%s audiance=ssh\n") % (EMPTY_CONF, hs))
    t_ssh = tok({"sub": "alice", "exp": now + 60, "aud": "ssh"})
    t_other = tok({"sub": "alice", "exp": now + 60, "aud": "other"})
    v = run(["verify", "--service", "sshd", "--pamd-file",
             os.path.join(pd, "sshd")], stdin=t_ssh)
    check("verify --pamd-file: the line's arguments, the line shown",
          v.returncode == 0 and re.search(
              r"^pam\.d:   \S+/pam\.d/sshd:2: auth sufficient pam_jwt\.so "
              r"config=\S+ secret_file=\S+ audience=ssh \[prompt=Your token: "
              r"\]$", v.stdout, re.M) is not None, v.stdout + v.stderr)
    v = run(["verify", "--service", "sshd", "--pamd-file",
             os.path.join(pd, "sshd")], stdin=t_other)
    check("verify --pamd-file: the line's audience=ssh applies",
          v.returncode == 1 and "audience" in v.stdout, v.stdout)
    v = run(["verify", "--service", "sshd-typo", "--pamd-file",
             os.path.join(pd, "sshd-typo")], stdin=t_ssh)
    check("verify --pamd-file: a typo on the line (through @include) is a "
          "configuration error naming the argument and the service",
          v.returncode == 2 and "sshd-typo-inner:1:" in v.stdout and
          "module argument 'audiance' (pam.d line of service sshd-typo): "
          "unknown option" in v.stdout, v.stdout + v.stderr)
    v = run(["verify", "--service", "x", "--pamd-file",
             os.path.join(pd, "common-auth")], stdin=t_ssh)
    check("verify --pamd-file without a pam_jwt.so line: exit 2, said so",
          v.returncode == 2 and "no 'auth ... pam_jwt.so' line" in v.stderr,
          v.stderr)
    v = run(["verify", "--service", "sshd", "--pamd-file",
             os.path.join(pd, "sshd"), "audience=x"], stdin=t_ssh)
    check("verify --pamd with key=value words: exit 2",
          v.returncode == 2 and "--pamd" in v.stderr, v.stderr)
    # the line joining of Linux-PAM (review of issue 12.3): a comment ends
    # the logical line even after a '\', blanks after a '\' are skipped,
    # the type is compared in any letter case
    write_conf("pam.d/quirks", (
        "auth sufficient pam_unix.so # old \\\n"
        "AUTH sufficient pam_jwt.so config=%s \\  \n"
        "\n"
        "   # a comment inside the continuation is skipped\n"
        "  secret_file=%s audience=ssh\n") % (EMPTY_CONF, hs))
    v = run(["verify", "--service", "quirks", "--pamd-file",
             os.path.join(pd, "quirks")], stdin=t_ssh)
    check("verify --pamd-file reads lines as libpam does (comment after "
          "'\\', blanks after '\\', AUTH, comment lines in a continuation)",
          v.returncode == 0 and re.search(r"^pam\.d:   \S+/quirks:2: AUTH "
                                          r"sufficient pam_jwt\.so config=\S+ "
                                          r"secret_file=\S+ audience=ssh$",
                                          v.stdout, re.M) is not None,
          v.stdout + v.stderr)
    v = run(["verify", "--pamd"], stdin=t_ssh)
    check("verify --pamd needs --service", v.returncode == 2 and
          "--service" in v.stderr, v.stderr)


# ---------------------------------------------------------------- askpass


def test_askpass(keys):
    hs = keys["HS256"] + ".secret"
    p = mint("--key", hs, "--alg", "HS256", "--sub", "alice",
             "--claim", "pad=" + "p" * 900)
    token = p.stdout.strip()
    check("askpass: a long token (%d chars) to cut" % len(token),
          1000 < len(token) <= 1500, str(len(token)))
    tf = path("token.txt")
    with open(tf, "w") as f:
        f.write(token + "\n")
    os.chmod(tf, 0o600)
    env = {"PAMJWT_TOKEN_FILE": tf}

    def ask(prompt, env=env, argv0=None, args_prefix=("askpass",)):
        args = list(args_prefix) + ([prompt] if prompt is not None else [])
        return run(args, env=env, argv0=argv0)

    pieces = []
    for n in range(1, 5):
        prompt = "Token: " if n == 1 else "Token (part %d): " % n
        r = ask(prompt)
        check("askpass %r exits 0, one line" % prompt, r.returncode == 0 and
              r.stdout.endswith("\n") and r.stdout.count("\n") == 1, r.stderr)
        pieces.append(r.stdout[:-1])
    check("askpass pieces are at most 500 characters",
          all(len(x) <= 500 for x in pieces), str([len(x) for x in pieces]))
    check("askpass 'Token: ' gives piece 1", pieces[0] == token[:500])
    check("askpass 'Token (part 2): ' gives piece 2", pieces[1] == token[500:1000])
    check("askpass 'Token (part 3): ' gives piece 3", pieces[2] == token[1000:1500])
    check("askpass past the end gives an empty line", pieces[3] == "")
    check("askpass pieces join to the token", "".join(pieces) == token)
    v = verify("".join(pieces), "secret_file=" + hs)
    check("askpass pieces joined verify", v.returncode == 0, v.stdout)
    r = ask("Password for alice@host: ")
    check("askpass other prompt gives piece 1", r.stdout == token[:500] + "\n")
    r = ask(None)
    check("askpass without a prompt gives piece 1", r.stdout == token[:500] + "\n")
    r = ask("Token (part 3): ", env={"PAMJWT_TOKEN": token})
    check("askpass from $PAMJWT_TOKEN", r.returncode == 0 and
          r.stdout == token[1000:1500] + "\n", r.stderr)
    link = path("pamjwt-askpass")
    os.symlink(TOOL, link)
    r = run(["Token (part 3): "], env=env, argv0=link)
    check("pamjwt-askpass symlink, part 3", r.returncode == 0 and
          r.stdout == token[1000:1500] + "\n", r.stderr)
    r = run([], env=env, argv0=link)
    check("pamjwt-askpass symlink, no prompt (SSH_ASKPASS)", r.returncode == 0 and
          r.stdout == token[:500] + "\n", r.stderr)
    short = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"
    r = ask("Token: ", env={"PAMJWT_TOKEN": short})
    check("askpass short token is sent whole", r.stdout == short + "\n")
    r = ask("Token (part 2): ", env={"PAMJWT_TOKEN": short})
    check("askpass short token, part 2 is empty", r.stdout == "\n")
    r = ask("Token: ", env={})
    check("askpass without a token source fails with advice",
          r.returncode != 0 and "PAMJWT_TOKEN" in r.stderr, r.stderr)
    # questions that are not for the token: refused, never answered with it
    # (issue 12.1); ssh's host-key question is passed whole, as here
    hostkey = ("The authenticity of host '[127.0.0.1]:2222 ([127.0.0.1]:2222)'"
               " can't be established.\nED25519 key fingerprint is SHA256:"
               "Rk1ZmTc3eFpV0i7fT8lA2K0m5m1W1Jt0hYh0a0a0a0a.\nThis key is not "
               "known by any other names.\nAre you sure you want to continue "
               "connecting (yes/no/[fingerprint])? ")
    for label, prompt in (
            ("ssh's host-key question", hostkey),
            ("a key passphrase", "Enter passphrase for key "
                                 "'/home/alice/.ssh/id_ed25519': "),
            ("a security key PIN", "Enter PIN for ECDSA-SK key "
                                   "/home/alice/.ssh/id_ecdsa_sk: "),
            ("a new password", "New password: "),
            ("an unrelated question", "Continue? ")):
        r = ask(prompt)
        check("askpass refuses %s: exit 1, nothing on stdout, why on stderr"
              % label, r.returncode == 1 and r.stdout == "" and
              "not answering" in r.stderr and token[:40] not in r.stderr,
              "rc %d, stdout %r, stderr %r" % (r.returncode, r.stdout[:40],
                                                r.stderr[:200]))
    r = ask(hostkey)
    check("askpass: the host-key refusal names StrictHostKeyChecking=accept-new",
          "StrictHostKeyChecking=accept-new" in r.stderr, r.stderr)
    for prompt in ("(alice@host) Token: ", "[sudo] password for alice: ",
                   "alice@127.0.0.1's password: ", "Password: "):
        r = ask(prompt)
        check("askpass answers %r with piece 1" % prompt,
              r.returncode == 0 and r.stdout == token[:500] + "\n", r.stderr)
    r = ask("The token was cut at 1023 characters (the most the ssh client "
            "sends in one answer).  Paste the rest at the next prompts, ...\n"
            "Token (part 3): ")
    check("askpass: a message before the prompt, the last 'part N' counts",
          r.returncode == 0 and r.stdout == token[1000:1500] + "\n", r.stderr)
    r = ask("answer part 7 of the form\nToken (part 2): ")
    check("askpass: an earlier 'part 7' does not win over 'Token (part 2)'",
          r.returncode == 0 and r.stdout == token[500:1000] + "\n", r.stderr)
    r = ask("Your JWT please: ")
    check("askpass refuses a custom prompt without PAMJWT_PROMPT",
          r.returncode == 1 and r.stdout == "", r.stderr)
    r = ask("Your JWT please: ", env=dict(env, PAMJWT_PROMPT="JWT please"))
    check("askpass answers a custom prompt holding $PAMJWT_PROMPT",
          r.returncode == 0 and r.stdout == token[:500] + "\n", r.stderr)


# ---------------------------------------------------------------- help


def test_help():
    for cmd in ("keygen", "mint", "verify", "askpass"):
        for flag in ("--help", "-h"):
            p = run([cmd, flag])
            check("%s %s exits 0 with usage" % (cmd, flag),
                  p.returncode == 0 and p.stdout.startswith("usage: pamjwt " + cmd),
                  p.stdout[:80] + p.stderr)
    p = run(["--help"])
    check("pamjwt --help exits 0", p.returncode == 0 and "keygen" in p.stdout)
    p = run([])
    check("pamjwt without a command exits 2", p.returncode == 2)
    p = run(["frob"])
    check("pamjwt unknown command exits 2", p.returncode == 2 and
          "unknown command" in p.stderr)


def main():
    try:
        test_help()
        keys = test_keygen()
        test_mint_all(keys)
        test_pyjwt_to_verify(keys)
        test_mint_options(keys)
        test_verify(keys)
        test_askpass(keys)
    except Exception as e:  # noqa: BLE001 - report, count, and fail
        import traceback
        traceback.print_exc()
        check("the test runner itself", False, repr(e))
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    none = pjtest.only_matched_nothing("tool", ONLY, passed + failed)
    print("tool: %d passed, %d failed" % (passed, failed))
    return 1 if failed or passed == 0 or none else 0


if __name__ == "__main__":
    sys.exit(main())
