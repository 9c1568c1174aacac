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

Prints both tables, the failures, and "interop: N passed, M failed" (N, M
count pam_driver runs; a maker error or a missing cell counts as one
failure); exits 1 on any failure, 2 if it cannot run at all.
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
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)


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
        write(self.p("passwd"),
              "alice:x:1001:1001:Alice:/home/alice:/bin/sh\n")
        write(self.p("group"), "alice:x:1001:\n")
        # our own (empty) config, so /etc/security/pam_jwt.conf never counts
        self.conf = self.p("empty.conf")
        write(self.conf, "# pam_jwt interop: every option is an argument\n")
        self.services = {}
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                    "LANG": "C", "LC_ALL": "C",
                    "LD_PRELOAD": "libnss_wrapper.so",
                    "NSS_WRAPPER_PASSWD": self.p("passwd"),
                    "NSS_WRAPPER_GROUP": self.p("group")}

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
    env = dict(w.env)
    if wrapped:
        env.update({"LD_PRELOAD": "libnss_wrapper.so libpam_wrapper.so",
                    "PAM_WRAPPER": "1", "PAM_WRAPPER_SERVICE_DIR": w.pamd,
                    "PAM_WRAPPER_DEBUGLEVEL": "2"})
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
    for u in unsupported:
        print("unsupported: " + u)
    for p in problems:
        failed += 1
        print("FAIL maker: " + p)
    for name, msg in failures:
        print("FAIL " + name)
        for line in msg:
            print("      " + line)
    print("(%d pam_driver runs, %d unsupported cells, %.0f s)" % (
        len(jobs), len(unsupported), time.time() - t0))
    if failed == 0 and not opts.keep:
        shutil.rmtree(w.work, ignore_errors=True)
    else:
        print("work directory kept: " + w.work)
    print("interop: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
