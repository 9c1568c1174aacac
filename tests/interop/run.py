#!/usr/bin/python3
"""Interoperability: tokens from independent makers through the real libpam.

    /usr/bin/python3 tests/interop/run.py [--build DIR] [--node NODE]
        [--jobs N] [--keep]

Makers: PyJWT (tests/interop/make_pyjwt.py, Debian's python3-jwt) and the npm
packages jose and jsonwebtoken (tests/interop/make_node.mjs, installed into
tests/interop/node_modules by `npm ci`).  Each maker makes its own keys,
exports the public half (PEM and JWK Set), and signs tokens (sub alice, iat
now, exp now+300) for every algorithm it supports.  Openssl makes a further
set of keys (openssl genpkey / openssl rand) that every maker signs with.

The matrix: maker x algorithm (rows) x key source (columns):
  key file (maker)    secret_file (HS*: the maker's 64-byte printable secret)
                      or public_key_file with the PEM the maker's library
                      exported;
  JWK Set (maker)     jwks_file with the JWK the maker's library exported
                      (an oct JWK for HS*, file mode 0600), a kid in the JWK
                      and in the token header;
  key file (openssl)  public_key_file from `openssl pkey -pubout`, or a
                      secret_file from `openssl rand -base64 48` (with its
                      trailing newline); the maker signs with openssl's key.
A cell is "ok" when the token signed by the key gives PAM_SUCCESS and the
same maker's token signed by another key of the same type (same header)
gives PAM_AUTH_ERR.  A second table, key selection, has a JWK Set in
rotation (old RSA, new EC, next Ed25519 keys: each token picks its key by
kid) and tokens without kid when one key (accepted) or two keys (rejected)
fit the algorithm.

The other direction, pamjwt mint -> jose (a third table): for every
algorithm `pamjwt keygen --alg ALG` makes a key (and a second one), `pamjwt
mint --key ... --alg ALG --sub alice --aud --iss --kid --jti` signs a token,
and jose (tests/interop/verify_node.mjs) verifies it with jwtVerify: with
the PEM .pub through importSPKI (HS*: the .secret's bytes) and with the
.jwks through createLocalJWKSet (keygen writes no JWK Set for HMAC: "n/a").
A cell is "ok" when jose accepts the token and its claims are the ones
minted (sub, aud, iss, iat = now, exp = iat + 300, jti as in the payload,
header alg/typ/kid); "another key" is "ok" when the token minted with the
second key (same header, same kid) fails jose's signature check with the
first key's PEM/secret and JWK Set.

Every check runs build/pam_driver (pam_start_confdir, real libpam) on a
service file `auth required .../pam_jwt.so config=EMPTY KEYOPTION`, with
accounts from nss_wrapper (alice, uid 1001).  When a check fails it is run
again under pam_wrapper to show the module's log line, and through
`pamjwt verify` if that tool is built.

Maker protocol: a maker prints JSON lines
  {"maker", "table": "matrix"|"select", "row", "col" (matrix only),
   "opt": "KEYOPTION=PATH", "checks": [[what, token, expected PAM code]...]}
or, instead of "checks", "unsupported": why (the maker's own error when
asked to sign) or "error": why (a failure).

Prints the three tables, the failures, and "interop: N passed, M failed"
(N, M count pam_driver runs and jose verifications; a maker error or a
missing cell counts as one failure); exits 1 on any failure, 2 if it cannot
run at all.
"""

import argparse
import base64
import concurrent.futures
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "support"))
import pjtest  # noqa: E402  (tests/support/pjtest.py)

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
MAKERS = ["pyjwt", "jose", "jsonwebtoken"]
ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256",
        "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
COLS = [("file", "key file (maker)"), ("jwks", "JWK Set (maker)"),
        ("openssl", "key file (openssl)")]
SELECT_ROWS = ["kid: RSA (old)", "kid: EC (new)", "kid: Ed25519 (next)",
               "kid names another key", "no kid, one key fits",
               "no kid, two keys fit"]
OPENSSL_KEYS = {
    "rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "p256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    "p384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "p521": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    "ed25519": ["-algorithm", "ED25519"],
}


def die(msg):
    print("interop: cannot run: " + msg, file=sys.stderr)
    sys.exit(2)


def write(path, text, mode=0o644):
    return pjtest.write(path, text, mode, exclusive=True)


def version(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True,
                              timeout=60).stdout.strip()
    except OSError as e:
        return "unavailable (%s)" % e


def npm_version(pkg):
    try:
        with open(os.path.join(HERE, "node_modules", pkg,
                               "package.json")) as f:
            return json.load(f)["version"]
    except (OSError, ValueError, KeyError):
        return "not installed (npm ci in tests/interop)"


class World:
    def __init__(self, opts):
        b = os.path.abspath(opts.build)
        self.module = os.path.join(b, "pam_jwt.so")
        self.driver = os.path.join(b, "pam_driver")
        self.tool = os.path.join(b, "pamjwt")
        for f in (self.module, self.driver):
            if not os.path.exists(f):
                die("%s is missing (make %s)" % (f, os.path.relpath(f)))
        self.work = tempfile.mkdtemp(prefix="interop.", dir=b)
        self.pamd = self.p("pam.d")
        os.mkdir(self.pamd)
        accounts = pjtest.nss_files(
            self.work, "alice:x:1001:1001:Alice:/home/alice:/bin/sh\n",
            exclusive=True)
        # our own (empty) config, so /etc/security/pam_jwt.conf never counts
        self.conf = self.p("empty.conf")
        write(self.conf, "# pam_jwt interop: every option is an argument\n")
        self.services = {}
        self.env = pjtest.nss_env(*accounts, base=pjtest.minimal_env())
        # drive(wrapped=True): pam_wrapper too, after nss_wrapper
        self.wrapped_env = pjtest.nss_env(
            *accounts, preload=["libpam_wrapper.so"],
            base=pjtest.minimal_env(PAM_WRAPPER="1",
                                    PAM_WRAPPER_SERVICE_DIR=self.pamd,
                                    PAM_WRAPPER_DEBUGLEVEL="2"))

    def p(self, *parts):
        return os.path.join(self.work, *parts)

    def service(self, opt):
        if opt not in self.services:
            name = "interop-%d" % len(self.services)
            write(os.path.join(self.pamd, name), "auth required %s config=%s %s\n"
                  % (self.module, self.conf, opt))
            self.services[opt] = name
        return self.services[opt]


def openssl_keys(w):
    d = w.p("openssl")
    os.mkdir(d)
    for t, args in OPENSSL_KEYS.items():
        key, pub = os.path.join(d, t + ".key"), os.path.join(d, t + ".pem")
        subprocess.run(["openssl", "genpkey"] + args + ["-out", key],
                       check=True, capture_output=True)
        os.chmod(key, 0o600)
        subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out",
                        pub], check=True, capture_output=True)
    secret = os.path.join(d, "hmac.secret")
    old = os.umask(0o077)
    try:
        # 64 printable characters and a newline, as `openssl rand` writes it
        subprocess.run(["openssl", "rand", "-base64", "-out", secret, "48"],
                       check=True, capture_output=True)
    finally:
        os.umask(old)
    with open(secret, "rb") as f:
        s = f.read()
    if len(s) != 65 or not s.endswith(b"\n"):
        die("openssl rand wrote %d bytes, expected 64 and a newline" % len(s))


def run_maker(cmd, name, problems):
    """The maker's JSON lines; a crash is recorded as a problem."""
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                           cwd=HERE)
    except (OSError, subprocess.TimeoutExpired) as e:
        problems.append("%s did not run: %s" % (name, e))
        return []
    entries = []
    for line in p.stdout.splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            problems.append("%s printed a line that is not JSON: %.200s"
                            % (name, line))
    if p.returncode != 0:
        problems.append("%s exited with status %d: %s" % (
            name, p.returncode, p.stderr.strip()[-1500:]))
    return entries


def pwrap_cleanup(pid):
    """pam_wrapper copies the service dir to /tmp/pam.X; remove ours."""
    for d in glob.glob("/tmp/pam.?"):
        try:
            with open(os.path.join(d, "pid")) as f:
                owner = int(f.read().strip() or 0)
        except (OSError, ValueError):
            continue
        if owner == pid:
            shutil.rmtree(d, ignore_errors=True)


def drive(w, service, token, wrapped=False):
    env = w.wrapped_env if wrapped else w.env
    p = subprocess.Popen([w.driver, w.pamd, service, "alice", token],
                         env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, errors="replace")
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        err += "\n(timed out)"
    finally:
        if wrapped:
            pwrap_cleanup(p.pid)
    m = re.search(r"^result=(\S+)", out, re.M)
    return (m.group(1) if m else "no result (exit %d)" % p.returncode), err


def diagnose(w, opt, service, token):
    lines = []
    _, err = drive(w, service, token, wrapped=True)
    for line in err.splitlines():
        m = re.search(r"SYSLOG\(\d+\): (.*)", line)
        if m and "_pam_init_handlers" not in line:
            lines.append("log: " + m.group(1))
    if os.path.exists(w.tool):
        p = subprocess.run([w.tool, "verify", "--config", w.conf, "--user",
                            "alice", opt, token], env=w.env,
                           capture_output=True, text=True, errors="replace")
        lines += ["pamjwt verify: " + x for x in
                  (p.stdout + p.stderr).strip().splitlines()[:6]]
    return lines


def check(w, entry, c):
    what, token, want = c
    service = w.service(entry["opt"])
    got, err = drive(w, service, token)
    if got == want:
        return True, None
    msg = ["%s: expected %s, got %s" % (what, want, got),
           "key option: " + entry["opt"],
           "token header: " + header_text(token)]
    msg += [x for x in err.splitlines() if not x.startswith("prompt:")][-5:]
    msg += diagnose(w, entry["opt"], service, token)
    return False, msg


# ---- pamjwt mint -> jose ---------------------------------------------

MINT_AUD = "interop-aud"
MINT_ISS = "https://pamjwt.interop.test"
MINT_TTL = 300
JOSE_COLS = [("file", "key file (keygen)"), ("jwks", "JWK Set (keygen)"),
             ("other", "another key")]
B64URL = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
             "0123456789-_")


def b64u_json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def tool_run(w, args):
    return subprocess.run([w.tool] + args, capture_output=True, text=True,
                          errors="replace", timeout=120, env=w.env)


def pamjwt_keys(w, jobs):
    """keygen for every algorithm, twice (the key and another key):
    {alg: (prefix, other prefix)}, or {alg: "why not"}."""
    d = w.p("pamjwt")
    os.mkdir(d)

    def one(alg):
        pre = [os.path.join(d, alg), os.path.join(d, alg + "-other")]
        for x in pre:
            p = tool_run(w, ["keygen", "--alg", alg, "--out", x])
            if p.returncode != 0:
                return alg, "pamjwt keygen --alg %s exited %d: %s" % (
                    alg, p.returncode, p.stderr.strip()[-400:])
        return alg, tuple(pre)
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as ex:
        return dict(ex.map(one, ALGS))


def pamjwt_jose(w, node, jobs):
    """Tokens from pamjwt mint verified by jose.  Returns (cells, results):
    cells[(alg, col)] -> list of check ids, or "n/a"; results is a list of
    (alg, col, what, ok, message lines)."""
    results, cells, checks, expect = [], {}, [], {}
    if not os.path.exists(w.tool):
        for alg in ALGS:
            results.append((alg, "file", "pamjwt", False,
                            ["%s is missing (make %s)" % (
                                w.tool, os.path.relpath(w.tool))]))
        return cells, results
    keys = pamjwt_keys(w, jobs)
    for alg in ALGS:
        k = keys[alg]
        if isinstance(k, str):
            results.append((alg, "file", "keygen", False, [k]))
            continue
        main, other = k
        hmac_alg = alg.startswith("HS")
        if hmac_alg:
            kid = "pamjwt-" + alg.lower()
            keyfile = (main + ".secret", "secret")
        else:
            with open(main + ".jwks") as f:
                kid = json.load(f)["keys"][0]["kid"]
            keyfile = (main + ".pub", "spki")
        toks = {}
        for which, pre in (("main", main), ("other", other)):
            priv = pre + (".secret" if hmac_alg else ".key")
            t0 = int(time.time())
            p = tool_run(w, ["mint", "--key", priv, "--alg", alg, "--sub",
                             "alice", "--aud", MINT_AUD, "--iss", MINT_ISS,
                             "--ttl", str(MINT_TTL), "--kid=" + kid, "--jti"])
            t1 = int(time.time())
            if p.returncode != 0 or p.stdout.count(".") != 2:
                results.append((alg, "file" if which == "main" else "other",
                                "mint", False, [
                                    "pamjwt mint --alg %s (%s key) exited %d:"
                                    " %s" % (alg, which, p.returncode,
                                             p.stderr.strip()[-400:])]))
                continue
            toks[which] = (p.stdout.strip(), t0, t1)
        plan = []
        if "main" in toks:
            plan.append(("file", "accepted with the " + keyfile[1], "main",
                         keyfile))
            if not hmac_alg:
                plan.append(("jwks", "accepted with the JWK Set", "main",
                             (main + ".jwks", "jwks")))
        if "other" in toks:
            plan.append(("other", "another key's token refused by the " +
                         keyfile[1], "other", keyfile))
            if not hmac_alg:
                plan.append(("other", "another key's token refused by the "
                             "JWK Set", "other", (main + ".jwks", "jwks")))
        cells[(alg, "jwks")] = "n/a" if hmac_alg else []
        cells.setdefault((alg, "file"), [])
        cells.setdefault((alg, "other"), [])
        for col, what, which, (f, kind) in plan:
            cid = len(checks)
            tok, t0, t1 = toks[which]
            checks.append({"id": cid, "alg": alg, "token": tok, "key": kind,
                           "file": f, "audience": MINT_AUD,
                           "issuer": MINT_ISS})
            expect[cid] = (alg, col, what, which == "main", kid, t0, t1)
            cells[(alg, col)].append(cid)
    if not checks:
        return cells, results
    try:
        p = subprocess.run([node, os.path.join(HERE, "verify_node.mjs")],
                           input=json.dumps(checks), capture_output=True,
                           text=True, timeout=600, cwd=HERE)
        out, err, rc = p.stdout, p.stderr, p.returncode
    except (OSError, subprocess.TimeoutExpired) as e:
        out, err, rc = "", str(e), -1
    got = {}
    for line in out.splitlines():
        try:
            r = json.loads(line)
            got[r["id"]] = r
        except (ValueError, KeyError, TypeError):
            pass
    for cid, c in enumerate(checks):
        alg, col, what, want_ok, kid, t0, t1 = expect[cid]
        r = got.get(cid)
        if r is None:
            results.append((alg, col, what, False, [
                "no answer from verify_node.mjs (exit %d): %s" % (
                    rc, err.strip()[-600:])]))
            continue
        if not want_ok:
            ok = (not r.get("ok") and "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
                  in r.get("error", ""))
            results.append((alg, col, what, ok, [] if ok else [
                "jose: expected a failed signature check, got %s" % (
                    "success" if r.get("ok") else r.get("error"))]))
            continue
        if not r.get("ok"):
            results.append((alg, col, what, False,
                            ["jose refused it: " + r.get("error", "?"),
                             "token header: " + header_text(c["token"])]))
            continue
        probs = mint_claims_problems(c["token"], r["payload"], r["header"],
                                     alg, kid, t0, t1)
        results.append((alg, col, what, not probs, probs))
    return cells, results


def mint_claims_problems(token, payload, header, alg, kid, t0, t1):
    """What differs between the claims jose returned and the ones minted."""
    probs = []
    raw = b64u_json(token.split(".")[1])
    if payload != raw:
        probs.append("jose's claims %r differ from the payload %r" % (
            payload, raw))
    want = {"iss": MINT_ISS, "sub": "alice", "aud": MINT_AUD}
    for k, v in want.items():
        if payload.get(k) != v:
            probs.append("claim %s: %r, minted %r" % (k, payload.get(k), v))
    extra = set(payload) - {"iss", "sub", "aud", "iat", "exp", "jti"}
    if extra:
        probs.append("claims not minted: %s" % sorted(extra))
    iat, exp, jti = payload.get("iat"), payload.get("exp"), payload.get("jti")
    if not (isinstance(iat, int) and t0 <= iat <= t1):
        probs.append("iat %r is not the mint time [%d, %d]" % (iat, t0, t1))
    if not (isinstance(exp, int) and isinstance(iat, int) and
            exp == iat + MINT_TTL):
        probs.append("exp %r is not iat + %d" % (exp, MINT_TTL))
    if not (isinstance(jti, str) and len(jti) == 22 and set(jti) <= B64URL):
        probs.append("jti %r is not 128 random bits in base64url" % (jti,))
    if header != {"alg": alg, "typ": "JWT", "kid": kid}:
        probs.append("header %r, minted alg %s typ JWT kid %s" % (
            header, alg, kid))
    return probs


def header_text(token):
    h = token.split(".")[0]
    try:
        return base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return "(undecodable)"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--node", default="node")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true",
                    help="keep the work directory")
    opts = ap.parse_args()
    t0 = time.time()
    w = World(opts)
    print("interop: PyJWT %s (%s), node %s: jose %s, jsonwebtoken %s, %s" % (
        version([PYTHON, "-c", "import jwt; print(jwt.__version__)"]),
        PYTHON, version([opts.node, "--version"]),
        npm_version("jose"), npm_version("jsonwebtoken"),
        version(["openssl", "version"])))
    openssl_keys(w)
    now = str(int(time.time()))
    problems = []
    entries = run_maker([PYTHON, os.path.join(HERE, "make_pyjwt.py"),
                         w.work, now], "make_pyjwt.py", problems)
    entries += run_maker([opts.node, os.path.join(HERE, "make_node.mjs"),
                          w.work, now], "make_node.mjs", problems)

    jose_cells, jose_results = pamjwt_jose(w, opts.node, opts.jobs)

    cells = {}   # (table, maker, row, col) -> entry
    for e in entries:
        key = (e.get("table"), e.get("maker"), e.get("row"), e.get("col"))
        if key in cells:
            problems.append("cell given twice: %r" % (key,))
        cells[key] = e

    jobs = []
    for e in entries:
        for c in e.get("checks", []):
            jobs.append((e, c))
    # service files first (single-threaded), then the runs
    for e, _ in jobs:
        w.service(e["opt"])
    with concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs)) as ex:
        results = list(ex.map(lambda j: check(w, *j), jobs))

    passed = failed = 0
    status = {}  # id(entry) -> "ok" | "FAIL"
    failures = []
    for (e, c), (ok, msg) in zip(jobs, results):
        if ok:
            passed += 1
        else:
            failed += 1
            status[id(e)] = "FAIL"
            failures.append(("%s %s %s" % (e["maker"], e["row"],
                                           e.get("col", "")), msg))
    for e in entries:
        if "error" in e:
            failed += 1
            status[id(e)] = "FAIL"
            failures.append(("%s %s %s" % (e["maker"], e["row"],
                                           e.get("col", "")), [e["error"]]))

    def cell(table, maker, row, col=None):
        nonlocal failed
        e = cells.get((table, maker, row, col))
        if e is None:
            failed += 1
            failures.append(("%s %s %s" % (maker, row, col or ""),
                             ["no result from the maker"]))
            return "FAIL"
        if "unsupported" in e:
            return "unsupported"
        if "error" not in e and not e.get("checks"):
            failed += 1
            failures.append(("%s %s %s" % (maker, row, col or ""),
                             ["the maker gave no checks"]))
            return "FAIL"
        return status.get(id(e), "ok")

    unsupported = []
    print()
    print("%-22s %-18s %-18s %-18s" % (("maker x alg",) +
                                       tuple(n for _, n in COLS)))
    for maker in MAKERS:
        for alg in ALGS:
            row = [cell("matrix", maker, alg, col) for col, _ in COLS]
            for (col, name), s in zip(COLS, row):
                if s == "unsupported":
                    unsupported.append("%s %s (%s): %s" % (
                        maker, alg, name, cells[("matrix", maker, alg, col)]
                        ["unsupported"]))
            print("%-22s %-18s %-18s %-18s" % (("%s %s" % (maker, alg),) +
                                               tuple(row)))
    print()
    print("%-24s %-14s %-14s %-14s" % (("key selection",) + tuple(MAKERS)))
    for row in SELECT_ROWS:
        r = [cell("select", maker, row) for maker in MAKERS]
        for maker, s in zip(MAKERS, r):
            if s == "unsupported":
                unsupported.append("%s %s: %s" % (
                    maker, row, cells[("select", maker, row, None)]
                    ["unsupported"]))
        print("%-24s %-14s %-14s %-14s" % ((row,) + tuple(r)))
    print()
    jose_status = {}
    for alg, col, what, ok, msg in jose_results:
        if ok:
            passed += 1
        else:
            failed += 1
            jose_status[(alg, col)] = "FAIL"
            failures.append(("pamjwt mint -> jose %s %s: %s" % (alg, col,
                                                                what), msg))
    print("%-22s %-18s %-18s %-18s" % (("pamjwt mint -> jose",) +
                                       tuple(n for _, n in JOSE_COLS)))
    for alg in ALGS:
        row = []
        for col, _ in JOSE_COLS:
            ids = jose_cells.get((alg, col))
            if (alg, col) in jose_status:
                row.append("FAIL")
            elif ids == "n/a":
                row.append("n/a")
            elif not ids:
                # nothing was checked: a failure unless already counted
                row.append("FAIL")
                if not any(r[0] == alg and not r[3] for r in jose_results):
                    failed += 1
                    failures.append(("pamjwt mint -> jose %s %s" % (alg, col),
                                     ["no check was made"]))
            else:
                row.append("ok")
        print("%-22s %-18s %-18s %-18s" % (("pamjwt %s" % alg,) +
                                           tuple(row)))
    print("(n/a: keygen writes no JWK Set for an HMAC secret)")
    print()
    for u in unsupported:
        print("unsupported: " + u)
    for p in problems:
        failed += 1
        print("FAIL maker: " + p)
    for name, msg in failures:
        print("FAIL " + name)
        for line in msg:
            print("      " + line)
    print("(%d pam_driver runs, %d jose verifications of pamjwt tokens, "
          "%d unsupported cells, %.0f s)" % (
              len(jobs), len(jose_results), len(unsupported),
              time.time() - t0))
    if failed == 0 and not opts.keep:
        shutil.rmtree(w.work, ignore_errors=True)
    else:
        print("work directory kept: " + w.work)
    print("interop: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
