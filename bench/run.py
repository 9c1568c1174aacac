#!/usr/bin/python3
"""make bench: pam_jwt's cost, every row a ratio against a baseline measured
in the same run (the machines are shared and noisy: medians of repeats).

Rows (issues 7 and 14):
 1 per authentication through libpam in a long-lived process, new handle
   each time, keys named by their files (secret or PEM file, JWK Set of 1
   and of 100 keys; the file again, named in a configuration file), vs the
   floor: the same PAM cycle with a trivial module
   that asks once and succeeds (floor_trivial.so, -z nodelete like
   pam_jwt.so) plus the raw signature primitive with the key in memory;
   target 1.25;
 1i the same in instructions counted by callgrind (repeatable on a shared,
   loaded machine; system calls count only their user-space part);
 1d row 1's file case against a floor that also looks the account up and
   writes one pam_syslog line, as the contract asks of any module (no
   target: for comparison);
 1m for comparison with row 1's target: the floor of 1d plus one fstatat
   of each file a login depends on (the default configuration file, absent
   here, and the key file), against row 1's baseline: the least a module
   scores that does the contract's duties and checks each kept file with
   one system call (pam_jwt's rule needs a faccessat more).  Where 1m is
   above 1.25, no such module meets row 1's target in that run;
 2i the fresh process in instructions (callgrind: the loader's relocations
   and the libraries' initialisation, not the kernel's exec, mmap and page
   faults, which dominate a small process's time: no target);
 2 one authentication in a fresh process vs the same with the trivial
   module; targets 1.5 (HS256, EdDSA) and 1.75 (RS256, PS256, ES256).
   Beside it, floor modules that only do the raw signature primitive there
   (bench/floor_module.c) with the library each would load: libsodium,
   OpenSSL's libcrypto (what pam_jwt loaded for RSA and EC before issue 14)
   and Nettle's libhogweed (what it loads since);
 3 the library's validation (key file read, verify, claims) vs PyJWT and
   node jose / jsonwebtoken doing the same work on the same tokens;
 4 scale: JWK Sets of 1, 10, 100 keys; single_use store of 0, 10k, 100k live
   records; tokens of 0.3, 1, 4, 16 KiB; single_use on a Redis server of the
   bench's own vs the local store, and revoked_file of 0, 1,000, 10,000
   entries vs none (issue 18; needs redis-server);
 5 memory: heap peak of one authentication; growth over 10,000;
 6 pamjwt-linkd, the magic-link service (bench/linkd.py): requests/s of the
   form and of a link request against a static file served by the same
   library, and the cost of minting a token.
Prints a table and writes BUILD/bench.json.  make bench BENCH_ARGS=...:
--quick (fewer iterations), --rows 1,1i,2,2i (only those rows; default all).
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

import jwt
from jwt.algorithms import RSAAlgorithm, ECAlgorithm, OKPAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa, ec, ed25519
from cryptography.hazmat.primitives import serialization as S

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALGS = ["HS256", "RS256", "PS256", "ES256", "EdDSA"]
# lib/options.h PJ_DEFAULT_CONFIG: read at every login if it exists
DEFAULT_CONFIG = "/etc/security/pam_jwt.conf"


def sh(cmd, env=None, check=True):
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        sys.exit("bench: %s failed (%d): %s %s" % (cmd[0], p.returncode,
                                                    p.stdout[-500:], p.stderr[-500:]))
    return p.stdout


def median_us(out):
    for line in out.splitlines():
        if line.startswith("median_us="):
            return float(line.split("=", 1)[1])
    sys.exit("bench: no median in output: " + out[-300:])


class Setup:
    def __init__(self, build, quick):
        self.build = os.path.abspath(build)
        self.module = os.path.join(self.build, "pam_jwt.so")
        self.d = tempfile.mkdtemp(prefix="pamjwt-bench.")
        self.quick = quick
        os.chmod(self.d, 0o700)
        self.pamd = os.path.join(self.d, "pam.d")
        # an empty "other": libpam reads it at every pam_start and loads
        # (and at pam_end unloads) every module it names, and logs an error
        # when it is missing.  A pam_deny.so there cost ~100 of the ~140 us
        # of a floor cycle on this VM kind, the same for every service, and
        # so hid most of the module's own work in row 1's ratios (HS256
        # 1.17 with it, 1.5 without); a missing file costs a syslog attempt
        # (~5 us).  Empty, the floor cycle is the ~40 us the issue measured.
        os.mkdir(self.pamd)
        open(os.path.join(self.pamd, "other"), "w").close()
        with open(self.p("passwd"), "w") as f:
            f.write("alice:x:1001:1001:Alice:/home/alice:/bin/sh\n")
        with open(self.p("group"), "w") as f:
            f.write("alice:x:1001:\n")
        self.env = dict(os.environ, LD_PRELOAD="libnss_wrapper.so",
                        NSS_WRAPPER_PASSWD=self.p("passwd"),
                        NSS_WRAPPER_GROUP=self.p("group"))
        self.secret = os.urandom(48).hex().encode()[:64]
        self.write("secret", self.secret, 0o600)
        now = int(time.time())
        # an issuer, as real tokens have (revocation needs one: row 4d)
        self.claims = {"iss": "https://idp.bench.example", "sub": "alice",
                       "iat": now, "exp": now + 3600}
        self.priv, self.pub, self.jwk = {}, {}, {}
        keys = {
            "RS256": rsa.generate_private_key(65537, 2048),
            "ES256": ec.generate_private_key(ec.SECP256R1()),
            "EdDSA": ed25519.Ed25519PrivateKey.generate(),
        }
        keys["PS256"] = keys["RS256"]
        for alg in ALGS:
            if alg == "HS256":
                self.priv[alg] = self.secret
                self.jwk[alg] = {"kty": "oct", "k": jwt.utils.base64url_encode(self.secret).decode()}
                continue
            k = keys[alg]
            self.priv[alg] = k
            self.write("pub-" + alg + ".pem", k.public_key().public_bytes(
                S.Encoding.PEM, S.PublicFormat.SubjectPublicKeyInfo), 0o644)
            J = {"RS256": RSAAlgorithm, "PS256": RSAAlgorithm,
                 "ES256": ECAlgorithm, "EdDSA": OKPAlgorithm}[alg]
            self.jwk[alg] = json.loads(J.to_jwk(k.public_key()))
        for alg in ALGS:
            self.write("jwks-" + alg + ".json", json.dumps(
                {"keys": [dict(self.jwk[alg], kid="k-" + alg)]}).encode(),
                0o600 if alg == "HS256" else 0o644)
            self.write("tok-" + alg, self.token(alg).encode(), 0o600)
            # the same key named in a configuration file (config=), as a
            # deployment with /etc/security/pam_jwt.conf has it
            self.write("conf-" + alg, (self.keyopt(alg, "file").replace(
                "=", " = ", 1) + "\n").encode(), 0o644)
            self.floor_spec(alg, keys.get(alg))
        # JWK Sets of 100 keys: 99 others of the same family, the token's last
        others = []
        for i in range(99):
            k = ec.generate_private_key(ec.SECP256R1())
            others.append(dict(json.loads(ECAlgorithm.to_jwk(k.public_key())),
                               kid="other-%d" % i))
        for alg in ALGS:
            if alg == "HS256":
                ks = [{"kty": "oct", "kid": "other-%d" % i,
                       "k": jwt.utils.base64url_encode(os.urandom(32)).decode()}
                      for i in range(99)]
            else:
                ks = list(others)
            ks.append(dict(self.jwk[alg], kid="k-" + alg))
            self.write("jwks100-" + alg + ".json", json.dumps({"keys": ks}).encode(),
                       0o600 if alg == "HS256" else 0o644)
        # the cache keeps only files whose times (mtime and ctime) are 2 s
        # old or more (lib/file.h, PJ_FILE_SETTLE_S).  utime can age mtime
        # but sets ctime to now, so wait until every ctime has aged: a row
        # that starts sooner reads its files at every authentication (once
        # HS256 JWKS 100 measured 2.1 instead of 1.2 in a --quick run).
        old = time.time() - 10
        for name in os.listdir(self.d):
            if os.path.isfile(self.p(name)):
                os.utime(self.p(name), (old, old))
        self.settle()

    def settle(self):
        newest = max(os.stat(self.p(n)).st_ctime for n in os.listdir(self.d)
                     if os.path.isfile(self.p(n)))
        time.sleep(max(0.0, newest + 3 - time.time()))

    def floor_spec(self, alg, key):
        """The raw material for bench/floor_module.c: key numbers, signing
        input and signature of tok-ALG."""
        from cryptography.hazmat.primitives.asymmetric.utils import \
            encode_dss_signature
        tok = open(self.p("tok-" + alg)).read()
        msg, sig = tok.rsplit(".", 1)
        sig = jwt.utils.base64url_decode(sig)
        lines = ["alg " + alg, "msg " + msg.encode().hex()]
        if alg == "HS256":
            lines.append("key " + self.secret.hex())
        elif alg == "EdDSA":
            lines.append("key " + key.public_key().public_bytes(
                S.Encoding.Raw, S.PublicFormat.Raw).hex())
        elif alg == "ES256":
            lines.append("key " + key.public_key().public_bytes(
                S.Encoding.X962, S.PublicFormat.UncompressedPoint).hex())
            h = len(sig) // 2
            lines.append("rawsig " + sig.hex())
            sig = encode_dss_signature(int.from_bytes(sig[:h], "big"),
                                       int.from_bytes(sig[h:], "big"))
        else:
            nums = key.public_key().public_numbers()
            lines.append("key " + nums.n.to_bytes((nums.n.bit_length() + 7) // 8,
                                                  "big").hex())
            lines.append("e " + nums.e.to_bytes(3, "big").hex())
        lines.append("sig " + sig.hex())
        self.write("floor-" + alg, ("\n".join(lines) + "\n").encode(), 0o600)

    def p(self, name):
        return os.path.join(self.d, name)

    def write(self, name, data, mode):
        with open(self.p(name), "wb") as f:
            f.write(data)
        os.chmod(self.p(name), mode)

    def token(self, alg, extra=None, kid=None):
        c = dict(self.claims)
        c.update(extra or {})
        return jwt.encode(c, self.priv[alg], algorithm=alg,
                          headers={"kid": kid or "k-" + alg})

    def keyopt(self, alg, source):
        if source == "file":
            return ("secret_file=" + self.p("secret")) if alg == "HS256" else \
                ("public_key_file=" + self.p("pub-" + alg + ".pem"))
        if source == "jwks100":
            return "jwks_file=" + self.p("jwks100-" + alg + ".json")
        if source == "conf":
            return "config=" + self.p("conf-" + alg)
        return "jwks_file=" + self.p("jwks-" + alg + ".json")

    def service(self, name, line):
        # libpam lowercases service names
        with open(os.path.join(self.pamd, name.lower()), "w") as f:
            f.write(line + "\n")

    def cleanup(self):
        shutil.rmtree(self.d, ignore_errors=True)


def pam_runs(s, iters, reps, subjects):
    """subjects: [(service, tokenfile)]; one process, services alternating.
    Returns {service: [us per repeat]}."""
    cmd = [os.path.join(s.build, "bench", "pam_bench"), s.pamd, "alice",
           str(iters), str(reps)]
    for svc, tok in subjects:
        cmd += [svc.lower(), tok]
    out = sh(cmd, env=s.env)
    res = {}
    for line in out.splitlines():
        kv = dict(x.split("=", 1) for x in line.split())
        res.setdefault(kv["service"], []).append(float(kv["us"]))
    return res


def paired(a, b):
    """Median of a, median of b, median of the per-repeat ratios a/b."""
    return (statistics.median(a), statistics.median(b),
            statistics.median([x / y for x, y in zip(a, b)]))


def lib(s, mode, tokfile, iters, reps, opts):
    return median_us(sh([os.path.join(s.build, "bench", "lib_bench"), mode,
                         tokfile, str(iters), str(reps)] + opts, env=s.env))


def cg_total(s, cmd):
    """Instructions callgrind counts for one run of cmd."""
    out = s.p("cg.out")
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] +
                   cmd, env=s.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    for line in open(out):
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    sys.exit("bench: no callgrind total for %s" % cmd)


def cg_per(s, cmd, n):
    """Instructions per iteration: cmd has one "%d" for the iterations."""
    one = cg_total(s, [c.replace("%d", "1") for c in cmd])
    many = cg_total(s, [c.replace("%d", str(n + 1)) for c in cmd])
    return (many - one) / n


def fresh_processes(s, subjects, runs):
    """subjects: [(service, token)].  runs fresh processes of each, one of
    each in turn, so that a burst of other work on a shared machine lands
    on every subject alike.  Returns the mean us per process of each."""
    drv = os.path.join(s.build, "pam_driver")
    total = [0.0] * len(subjects)
    for _ in range(runs):
        for i, (svc, token) in enumerate(subjects):
            t0 = time.perf_counter()
            out = subprocess.run([drv, s.pamd, svc.lower(), "alice", token], env=s.env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True).stdout
            total[i] += time.perf_counter() - t0
            if "result=PAM_SUCCESS" not in out:
                sys.exit("bench: fresh process run failed: " + out)
    return [t / runs * 1e6 for t in total]


PY_PEER = r'''
import sys, time, statistics, jwt
alg, keyfile, tokfile, iters, reps = sys.argv[1:6]
tok = open(tokfile).read().strip()
per = []
for _ in range(int(reps)):
    t0 = time.perf_counter()
    for _ in range(int(iters)):
        key = open(keyfile, "rb").read()
        if alg == "HS256":
            key = key.rstrip(b"\n")
        c = jwt.decode(tok, key, algorithms=[alg], options={"require": ["exp"]})
        assert c["sub"] == "alice"
    per.append((time.perf_counter() - t0) / int(iters) * 1e6)
print("median_us=%.3f" % statistics.median(per))
'''

NODE_PEER = r'''
import fs from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(process.env.NODE_MODULES_DIR + "/");
const jose = require("jose");
const jsonwebtoken = require("jsonwebtoken");
const [lib, alg, keyfile, tokfile, iters, reps] = process.argv.slice(2);
const tok = fs.readFileSync(tokfile, "utf8").trim();
const per = [];
for (let r = 0; r < +reps; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < +iters; i++) {
    const text = fs.readFileSync(keyfile, "utf8");
    if (lib === "jose") {
      const key = alg === "HS256" ? new TextEncoder().encode(text.replace(/\n$/, ""))
                                  : await jose.importSPKI(text, alg);
      const { payload } = await jose.jwtVerify(tok, key, { algorithms: [alg] });
      if (payload.sub !== "alice") throw new Error("sub");
    } else {
      const key = alg === "HS256" ? text.replace(/\n$/, "") : text;
      const p = jsonwebtoken.verify(tok, key, { algorithms: [alg] });
      if (p.sub !== "alice") throw new Error("sub");
    }
  }
  per.push(Number(process.hrtime.bigint() - t0) / 1000 / +iters);
}
per.sort((a, b) => a - b);
console.log("median_us=" + per[Math.floor(per.length / 2)].toFixed(3));
'''


def node_modules():
    for d in ("tests/interop/node_modules", "bench/node_modules"):
        p = os.path.join(ROOT, d)
        if os.path.isdir(os.path.join(p, "jose")) and \
                os.path.isdir(os.path.join(p, "jsonwebtoken")):
            return p
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--quick", action="store_true", help="fewer iterations")
    ap.add_argument("--rows", default="1,1i,2,2i,3,4,5,6",
                    help="which rows, e.g. 1,1i,2,2i (default: all)")
    a = ap.parse_args()
    only = set(a.rows.split(","))
    q = 4 if a.quick else 1
    s = Setup(a.build, a.quick)
    rows = []
    table = []

    def row(group, name, value, base, ratio=None, target=None):
        if ratio is None and base:
            ratio = value / base
        rows.append({"row": group, "case": name, "value_us": round(value, 2),
                     "baseline_us": round(base, 2) if base else None,
                     "ratio": round(ratio, 3) if ratio else None,
                     "target": target,
                     "met": (ratio <= target) if (ratio and target) else None})
        table.append("%-3s %-44s %10.1f %10s %7s %7s" % (
            group, name, value, "%.1f" % base if base else "-",
            "%.2f" % ratio if ratio else "-",
            ("<=%.2f" % target) if target else ""))

    try:
        # what a system call costs here: most of a PAM cycle's time
        sc = sh([os.path.join(s.build, "bench", "syscalls"), s.p("secret")]).strip()
        table.append("system calls here, us each: " + sc)
        rows.append({"row": "0", "case": "system call costs (us)",
                     "values": dict(kv.split("=") for kv in sc.split())})
        iters, reps = 400 // q, 9
        # 1: the PAM cycle against the trivial module plus the raw primitive
        s.service("trivial", "auth required %s" % os.path.join(
            s.build, "bench", "floor_trivial.so"))
        s.service("duties", "auth required %s duties" % os.path.join(
            s.build, "bench", "floor_trivial.so"))
        sources = ("file", "jwks", "jwks100", "conf")
        srcname = {"file": "file", "jwks": "JWKS 1", "jwks100": "JWKS 100",
                   "conf": "config="}
        for alg in ALGS:
            for src in sources:
                s.service("jwt-%s-%s" % (alg, src), "auth required %s %s" % (
                    s.module, s.keyopt(alg, src)))
            s.service("least-" + alg, "auth required %s duties stat=%s stat=%s" % (
                os.path.join(s.build, "bench", "floor_trivial.so"), DEFAULT_CONFIG,
                s.keyopt(alg, "file").split("=", 1)[1]))
        out_of_reach = []
        for alg in ALGS if "1" in only else ():
            # the raw primitive runs in a process of its own, so it is
            # measured before and after the PAM cycles and the lower of the
            # two taken: a slow moment of the machine must not raise the
            # floor (once ES256's raw verify measured 213 us against 125)
            def raw_now():
                return lib(s, "raw", s.p("tok-" + alg), 4000 // q, 7,
                           [s.keyopt(alg, "file")])
            raw_before = raw_now()
            subjects = [("trivial", s.p("tok-" + alg)), ("duties", s.p("tok-" + alg)),
                        ("least-" + alg, s.p("tok-" + alg))]
            for src in sources:
                subjects.append(("jwt-%s-%s" % (alg, src), s.p("tok-" + alg)))
            res = pam_runs(s, iters, reps, subjects)
            raw = min(raw_before, raw_now())
            base = [t + raw for t in res["trivial"]]
            for src in sources:
                t, b, ratio = paired(res[("jwt-%s-%s" % (alg, src)).lower()], base)
                row("1", "%s %s vs trivial+raw (raw %.1f us)" % (alg, srcname[src], raw),
                    t, b, ratio, target=1.25)
            # 1d: the same against a floor that also does what the contract
            # asks of any module besides the signature (the account looked
            # up, one pam_syslog audit line): no target, for comparison
            based = [t + raw for t in res["duties"]]
            t, b, ratio = paired(res[("jwt-%s-file" % alg).lower()], based)
            row("1d", "%s file vs trivial+duties+raw" % alg, t, b, ratio)
            # 1m: the duties and one stat per file, against row 1's
            # baseline: no target of its own, compared with row 1's
            t, b, ratio = paired([t + raw for t in res[("least-" + alg).lower()]], base)
            row("1m", "%s duties+stat per file vs trivial+raw" % alg, t, b, ratio)
            if ratio > 1.25:
                out_of_reach.append(alg)
        if "1" in only:
            rows.append({"row": "1m", "case": "above row 1's target (1.25)",
                         "algorithms": out_of_reach})
            table.append("1m  above row 1's target (1.25) in this run, so no module "
                         "that does the duties and stats its files meets it: %s" % (
                             ", ".join(out_of_reach) or "none"))
        # 1i: the same comparison in instructions (callgrind), which the
        # other users of a shared machine do not disturb: per authentication
        # = (total of N+1 cycles - total of 1 cycle) / N, so that loading
        # and the first, uncached authentication are not counted.  No
        # target: the target is on time (row 1), and here a system call
        # counts only its user-space part (on this VM kind a system call
        # costs ~1 us).  This row shows the user-space share alone.
        if "1i" not in only:
            pass
        elif shutil.which("valgrind"):
            n = 50 // q
            for alg in ALGS:
                rawi = cg_per(s, [os.path.join(s.build, "bench", "lib_bench"), "raw",
                                  s.p("tok-" + alg), "%d", "1", s.keyopt(alg, "file")],
                              1000 // q)
                triv = cg_per(s, [os.path.join(s.build, "bench", "pam_bench"), s.pamd,
                                  "alice", "%d", "1", "trivial", s.p("tok-" + alg)], n)
                for src in sources:
                    svc = ("jwt-%s-%s" % (alg, src)).lower()
                    ours = cg_per(s, [os.path.join(s.build, "bench", "pam_bench"), s.pamd,
                                      "alice", "%d", "1", svc, s.p("tok-" + alg)], n)
                    rows.append({"row": "1i", "case": "%s %s" % (alg, srcname[src]),
                                 "instructions": round(ours), "baseline": round(triv + rawi),
                                 "ratio": round(ours / (triv + rawi), 3)})
                    table.append("%-3s %-44s %10s %10s %7.2f" % (
                        "1i", "%s %s, instructions (raw %dk)" % (alg, srcname[src],
                                                                  rawi / 1000),
                        "%.0fk" % (ours / 1000), "%.0fk" % ((triv + rawi) / 1000),
                        ours / (triv + rawi)))
        else:
            table.append("1i  (instruction counts skipped: no valgrind)")
        # 2: one authentication in a fresh process, alternating; beside it
        # the floor modules (the raw primitive alone, in a fresh process)
        runs = 60 // q
        for alg in ALGS if "2" in only else ():
            tok = open(s.p("tok-" + alg)).read()
            floors = ["floor_sodium.so"] if alg in ("HS256", "EdDSA") else \
                ["floor_ossl.so", "floor_nettle.so"]
            for fl in floors:
                s.service("floor-%s-%s" % (alg, fl[6:-3]), "auth required %s file=%s" % (
                    os.path.join(s.build, "bench", fl), s.p("floor-" + alg)))
            a_, b_, f_ = [], [], {fl: [] for fl in floors}
            # 9 rounds, each one process of every subject in turn: one slow
            # block on a shared machine once moved the median of 5 blocked
            # rounds by 0.3 (PS256 1.80 once, 1.42-1.43 in three other runs)
            for _ in range(9):
                got = fresh_processes(s, [("trivial", "x")] + [
                    ("floor-%s-%s" % (alg, fl[6:-3]), "x") for fl in floors] + [
                    ("jwt-%s-file" % alg, tok)], runs)
                b_.append(got[0])
                for i, fl in enumerate(floors):
                    f_[fl].append(got[1 + i])
                a_.append(got[-1])
            t, b, ratio = paired(a_, b_)
            row("2", "%s fresh process vs trivial" % alg, t, b, ratio,
                target=1.5 if alg in ("HS256", "EdDSA") else 1.75)
            for fl in floors:
                t, b, ratio = paired(f_[fl], b_)
                row("2", "  %s floor, raw primitive with %s, vs trivial" % (
                    alg, {"floor_sodium.so": "libsodium", "floor_ossl.so": "libcrypto",
                          "floor_nettle.so": "libhogweed"}[fl]), t, b, ratio)
        # 2i: the fresh process in instructions (callgrind counts the dynamic
        # loader's relocations and the libraries' initialisation, not the
        # kernel's page faults and mmap): one run each
        if "2i" in only and shutil.which("valgrind"):
            drv = os.path.join(s.build, "pam_driver")
            for alg in ALGS:
                tok = open(s.p("tok-" + alg)).read()
                triv = cg_total(s, [drv, s.pamd, "trivial", "alice", "x"])
                ours = cg_total(s, [drv, s.pamd, ("jwt-%s-file" % alg).lower(), "alice", tok])
                ratio = ours / triv
                # no target: the targets are for time, and a process's time
                # is mostly the kernel's (exec, mmap, page faults)
                rows.append({"row": "2i", "case": "%s fresh process" % alg,
                             "instructions": ours, "baseline": triv,
                             "ratio": round(ratio, 3)})
                table.append("%-3s %-44s %10s %10s %7.2f" % (
                    "2i", "%s fresh process, instructions" % alg,
                    "%.0fk" % (ours / 1000), "%.0fk" % (triv / 1000), ratio))
                fls = ["floor_sodium.so"] if alg in ("HS256", "EdDSA") else \
                    ["floor_ossl.so", "floor_nettle.so"]
                for fl in fls:
                    s.service("floor-%s-%s" % (alg, fl[6:-3]), "auth required %s file=%s" % (
                        os.path.join(s.build, "bench", fl), s.p("floor-" + alg)))
                    f = cg_total(s, [drv, s.pamd, ("floor-%s-%s" % (alg, fl[6:-3])).lower(),
                                     "alice", "x"])
                    table.append("%-3s %-44s %10s %10s %7.2f" % (
                        "2i", "  %s floor with %s, instructions" % (alg, {
                            "floor_sodium.so": "libsodium", "floor_ossl.so": "libcrypto",
                            "floor_nettle.so": "libhogweed"}[fl]),
                        "%.0fk" % (f / 1000), "%.0fk" % (triv / 1000), f / triv))
        # 3: the library against PyJWT and node, round by round
        if "3" in only:
            nm = node_modules()
            with open(s.p("peer.py"), "w") as f:
                f.write(PY_PEER)
            with open(s.p("peer.mjs"), "w") as f:
                f.write(NODE_PEER)
            nenv = dict(os.environ, NODE_MODULES_DIR=nm or "")
            for alg in ALGS:
                opts = [s.keyopt(alg, "file")]
                keyfile = s.p("secret") if alg == "HS256" else s.p("pub-" + alg + ".pem")
                tokf = s.p("tok-" + alg)
                ours, best, names = [], [], {}
                for _ in range(5):
                    o = lib(s, "verify", tokf, 1000 // q, 3, opts)
                    peers = {"PyJWT": median_us(sh(["/usr/bin/python3", s.p("peer.py"),
                                                     alg, keyfile, tokf, str(200 // q), "3"]))}
                    if nm:
                        for libname in ("jose", "jsonwebtoken"):
                            if libname == "jsonwebtoken" and alg == "EdDSA":
                                continue  # jsonwebtoken has no EdDSA
                            peers[libname] = median_us(sh(
                                ["node", s.p("peer.mjs"), libname, alg, keyfile, tokf,
                                 str(400 // q), "3"], env=nenv))
                    ours.append(o)
                    best.append(min(peers.values()))
                    for k, v in peers.items():
                        names.setdefault(k, []).append(v)
                t, b, ratio = paired(ours, best)
                row("3", "%s library vs fastest peer (%s)" % (alg, ", ".join(
                    "%s %.0f" % (k, statistics.median(v)) for k, v in sorted(names.items()))),
                    t, b, ratio, target=0.5)
            if not nm:
                table.append("3   (node peers skipped: no node_modules with jose and "
                             "jsonwebtoken in tests/interop or bench)")
        # 4a: JWK Set size, the token's key last, through the PAM cycle
        if "4" in only:
            subjects = []
            for n in (1, 10, 100):
                keys = []
                for i in range(n - 1):
                    k = ec.generate_private_key(ec.SECP256R1())
                    keys.append(dict(json.loads(ECAlgorithm.to_jwk(k.public_key())),
                                     kid="other-%d" % i))
                keys.append(dict(s.jwk["ES256"], kid="k-ES256"))
                s.write("jwks-%d.json" % n, json.dumps({"keys": keys}).encode(), 0o644)
                os.utime(s.p("jwks-%d.json" % n), (time.time() - 10,) * 2)
                s.service("jwks%d" % n, "auth required %s jwks_file=%s" % (
                    s.module, s.p("jwks-%d.json" % n)))
                subjects.append(("jwks%d" % n, s.p("tok-ES256")))
            s.settle()
            res = pam_runs(s, iters // 2, reps, subjects)
            for n in (10, 100):
                t, b, ratio = paired(res["jwks%d" % n], res["jwks1"])
                row("4", "JWK Set of %d keys vs 1 key (ES256, PAM cycle)" % n, t, b,
                    ratio, target={10: 1.2, 100: 2.0}[n])
            # 4b: token size, through the PAM cycle
            subjects, lens = [], {}
            for size in (300, 1024, 4096, 16384):
                pad = "x" * max(0, int(size * 3 / 4) - 130)
                tok = s.token("HS256", {"pad": pad})
                while len(tok) > 16384:
                    pad = pad[:-16]
                    tok = s.token("HS256", {"pad": pad})
                s.write("tok-size-%d" % size, tok.encode(), 0o600)
                s.service("size%d" % size, "auth required %s %s" % (
                    s.module, s.keyopt("HS256", "file")))
                subjects.append(("size%d" % size, s.p("tok-size-%d" % size)))
                lens[size] = len(tok)
            res = pam_runs(s, iters, reps, subjects)
            t300 = statistics.median(res["size300"])
            for size in (1024, 4096, 16384):
                t, b, ratio = paired(res["size%d" % size], res["size300"])
                row("4", "HS256 token of %d chars vs %d (%.0f us per extra KiB)" % (
                    lens[size], lens[300], (t - t300) / ((lens[size] - lens[300]) / 1024)),
                    t, b, ratio)
            # 4c: single_use store size, a fresh token each cycle
            subjects = []
            for live in (0, 10000, 100000):
                store = s.p("store%d" % live)
                prefill(store, live)
                need = 20 + iters // 2 * reps
                toks = [s.token("HS256", {"jti": "b-%d-%d" % (live, i)}) for i in range(need)]
                s.write("toks%d" % live, ("\n".join(toks) + "\n").encode(), 0o600)
                s.service("su%d" % live, "auth required %s %s single_use replay_cache=%s" % (
                    s.module, s.keyopt("HS256", "file"), store))
                subjects.append(("su%d" % live, s.p("toks%d" % live)))
            res = pam_runs(s, iters // 2, reps, subjects)
            for live in (10000, 100000):
                t, b, ratio = paired(res["su%d" % live], res["su0"])
                row("4", "single_use with %d live records vs empty store" % live,
                    t, b, ratio, target=1.2)
            # 4d: fleet (pam_jwt.conf(5), Fleet and Revocation): single_use on
            # a real redis-server of our own (127.0.0.1, ACL user, stopped by
            # PID) vs the local store; revoked_file vs none
            fleet_rows(s, iters, reps, row)
        # 5: memory
        if "5" in only:
            out = sh([os.path.join(s.build, "bench", "lib_bench"), "growth",
                      s.p("tok-RS256"), str(10000 // q), s.keyopt("RS256", "file")],
                     env=s.env)
            kv = dict(x.split("=") for x in out.split())
            growth = int(kv["heap_after_N"]) - int(kv["heap_after_1"])
            out2 = sh([os.path.join(s.build, "bench", "lib_bench"), "growth",
                       s.p("tok-RS256"), str(1000 // q), s.keyopt("RS256", "file")],
                      env=s.env)
            kv2 = dict(x.split("=") for x in out2.split())
            late = int(kv["heap_after_N"]) - int(kv2["heap_after_N"])
            # allocator and OpenSSL caches settle in the first authentications;
            # growth means more heap after 10,000 than after 1,000
            rows.append({"row": "5", "case": "heap after %s vs after %s verifications"
                         % (kv["N"], kv2["N"]), "bytes": late, "met": late <= 1024})
            table.append("5   heap in use after 1: %s B, after %s: %s B, after %s: %s B "
                         "(growth from %s to %s: %d B)" % (
                             kv["heap_after_1"], kv2["N"], kv2["heap_after_N"], kv["N"],
                             kv["heap_after_N"], kv2["N"], kv["N"], late))
            peak = massif_peak(s)
            if peak is not None:
                rows.append({"row": "5", "case": "heap peak of one PAM authentication (RS256)",
                             "bytes": peak})
                table.append("5   heap peak of one PAM authentication (RS256, massif): %d B" % peak)
        # 6: the magic-link service
        if "6" in only:
            import linkd as linkd_bench
            linkd_bench.rows(s.build, q, row, table)
    finally:
        s.cleanup()
    print("%-3s %-44s %10s %10s %7s %7s" % ("row", "case", "us", "base us",
                                            "ratio", "target"))
    for line in table:
        print(line)
    out = os.path.join(os.path.abspath(a.build), "bench.json")
    with open(out, "w") as f:
        json.dump({"rows": rows, "time": int(time.time())}, f, indent=1)
    print("written:", out)


def start_redis(d):
    """A redis-server of the bench's own: (process, port, auth file)."""
    import socket
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    rd = os.path.join(d, "redis")
    os.mkdir(rd, 0o700)
    pw = os.urandom(16).hex()
    with open(os.path.join(rd, "redis.conf"), "w") as f:
        f.write("bind 127.0.0.1\nport %d\ndir %s\nsave \"\"\nappendonly no\n"
                "daemonize no\nuser default off\n"
                "user pamjwt on >%s ~pam_jwt:* -@all +set +mget\n" % (port, rd, pw))
    auth = os.path.join(d, "redis-auth")
    with open(auth, "w") as f:
        f.write("pamjwt %s\n" % pw)
    os.chmod(auth, 0o600)
    p = subprocess.Popen(["redis-server", os.path.join(rd, "redis.conf")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return p, port, auth
        except OSError:
            time.sleep(0.05)
    p.kill()
    p.wait()
    sys.exit("bench: redis-server did not start")


def fleet_rows(s, iters, reps, row):
    if shutil.which("redis-server") is None:
        print("bench: redis-server missing: no fleet rows")
        return
    proc, port, auth = start_redis(s.d)
    try:
        need = 20 + iters // 2 * reps
        subjects = []
        for name, opts in (
                ("fl-local", "single_use replay_cache=%s" % s.p("fl-store")),
                ("fl-redis", "single_use replay_cache=redis://127.0.0.1:%d "
                 "redis_auth_file=%s" % (port, auth))):
            toks = [s.token("HS256", {"jti": "%s-%d" % (name, i)})
                    for i in range(need)]
            s.write("toks-" + name, ("\n".join(toks) + "\n").encode(), 0o600)
            s.service(name, "auth required %s %s %s" % (
                s.module, s.keyopt("HS256", "file"), opts))
            subjects.append((name, s.p("toks-" + name)))
        # revocation: a file of N entries none of which names the token
        # (the whole file is read and parsed at every login)
        now = int(time.time())
        for n in (0, 1000, 10000):
            lines = ["jti %d https://issuer.example jti-%d\n" % (now + 86400, i)
                     for i in range(n // 2)]
            lines += ["sub %d https://issuer.example user-%d %d\n" % (
                now + 86400, i, now) for i in range(n - n // 2)]
            s.write("revoked%d" % n, "".join(lines).encode(), 0o644)
            s.service("rev%d" % n, "auth required %s %s revoked_file=%s" % (
                s.module, s.keyopt("HS256", "file"), s.p("revoked%d" % n)))
            subjects.append(("rev%d" % n, s.p("tok-HS256")))
        s.service("rev-none", "auth required %s %s" % (
            s.module, s.keyopt("HS256", "file")))
        subjects.append(("rev-none", s.p("tok-HS256")))
        res = pam_runs(s, iters // 2, reps, subjects)
        t, b, ratio = paired(res["fl-redis"], res["fl-local"])
        row("4", "single_use on Redis (TCP 127.0.0.1) vs local store", t, b,
            ratio)
        for n in (0, 1000, 10000):
            t, b, ratio = paired(res["rev%d" % n], res["rev-none"])
            row("4", "revoked_file of %d entries vs none" % n, t, b, ratio)
    finally:
        proc.terminate()
        proc.wait()


def prefill(store, live):
    """A store with `live` live records in the layout lib/replay.c uses."""
    os.makedirs(os.path.join(store, "r"), mode=0o700)
    os.makedirs(os.path.join(store, "x"), mode=0o700)
    os.chmod(store, 0o700)
    until = int(time.time()) + 3600
    b = os.path.join(store, "x", str(until // 64))
    os.makedirs(b, mode=0o700, exist_ok=True)
    with open(os.path.join(store, ".cursor"), "w") as f:
        f.write("%d\n" % (int(time.time()) // 64))
    for i in range(live):
        name = "%064x" % (i + 1)
        p = os.path.join(store, "r", name)
        with open(p, "w") as f:
            f.write("%d\n" % until)
        os.link(p, os.path.join(b, name))


def massif_peak(s):
    if not shutil.which("valgrind"):
        return None
    out = s.p("massif.out")
    subprocess.run(["valgrind", "--tool=massif", "--massif-out-file=" + out,
                    os.path.join(s.build, "bench", "pam_bench"), s.pamd, "alice",
                    "1", "1", "jwt-rs256-file", s.p("tok-RS256")],
                   env=s.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    try:
        for line in open(out):
            if line.startswith("mem_heap_B="):
                peak = max(peak, int(line.split("=")[1]))
    except OSError:
        return None
    return peak


if __name__ == "__main__":
    main()
