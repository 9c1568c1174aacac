#!/usr/bin/python3
"""Single-use tokens (pam_jwt.conf(5), Single use) through the real libpam.

    /usr/bin/python3 tests/replay/run.py --build DIR [--san] [-k REGEX]

Every case runs DIR/pam_driver (tests/pam_driver.c: pam_start_confdir, then
pam_authenticate on a service file written here) with DIR/pam_jwt.so and
`single_use replay_cache=<tmp>/...`; accounts come from nss_wrapper.  Tokens
are minted with PyJWT (HS256, a shared secret).

What is covered:
  basic      first use PAM_SUCCESS, replay PAM_AUTH_ERR (also with a pasted
             newline, leading spaces, CRLF), (iss, jti) pairs, missing jti
             or exp, rejected tokens do not use up their jti, the record is
             r/<sha256 of the pair> holding exp + leeway
  race       64 processes present one token at the same instant (each
             waits at the "Token: " prompt, then all are answered at once):
             exactly one PAM_SUCCESS; as is, and with every store create /
             unlink / link slowed by a random 0-20 ms (DIR/tests/replay/
             fsprobe.so, LD_PRELOAD) so that a non-atomic store would lose;
             64 different tokens at once (all succeed); races on the
             expired-record replacement path
  fault      every unusable store gives PAM_AUTHINFO_UNAVAIL and accepts
             nothing: unsafe modes, foreign owner, symlinks, a file in
             place of the store, an uncreatable parent, read-only mounts,
             chattr +i, a full disk (blocks and inodes), r/ or x/ replaced
  prune      a store pre-filled with 100,000 expired records (documented
             layout, made by DIR/tests/replay/prefill): each authentication
             removes at most 16 records, never a live one, and reads a
             bounded number of directory entries (counted by fsprobe.so),
             also when the index holds 10,000 live buckets; expired buckets
             amid live ones are still reached; drained backlogs, replaced
             records, stale index links
  hostile    jti values that look like paths, huge, unicode, with NUL:
             nothing is ever created outside the store, names are 64 hex
  magic      conf/examples/magic-link: the issuer script's token is
             accepted once through the example config and pam.d snippet

Cases that need mounts (read-only store, full disk, tmpfs for the 100k
store) run in a private mount namespace: as root the script re-executes
itself under `unshare --mount --propagation private`, so every mount
vanishes with it.  Without root (or unshare) they print SKIP.

With --san (the ASan+UBSan rerun) the suite looks for memory errors on the
same paths with less repetition, to stay within time: races of 16 processes,
two store modes, no repair controls, the single-bucket 100k case and the
pamjwt issuer path only in the plain build.

The module, driver and helpers are copied into the temp dir first, so a
rebuild of DIR while the suite runs cannot change them mid-case.

Prints one line per case and finally "replay: N passed, M failed"; exits 1
on any failure, 2 if it cannot run at all.
"""

import argparse
import hashlib
import json
import os
import re
import secrets
import shutil
import stat
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "support"))
import pjtest  # noqa: E402  (tests/support/pjtest.py)

try:
    import jwt
except ImportError:  # pragma: no cover
    print("replay: cannot import jwt: run with /usr/bin/python3 (python3-jwt)")
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(ROOT, "conf", "examples", "magic-link")
NS_FLAG = "PJ_REPLAY_IN_NS"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
PRUNE_MAX = 16      # lib/replay.c: records removed at most per authentication
# Directory entries one authentication may read, whatever the store holds:
# lib/replay.c looks at PRUNE_SCAN (64) bucket names and removes PRUNE_MAX
# records, a few hundred entries with the dots; a generous constant, so the
# check is about "bounded", not about the exact figure.
READDIR_BOUND = 1000
BUCKET = 64         # lib/replay.c: seconds per expiry bucket
KEEP = 86400        # a record lives until exp + the largest leeway allowed


def find_nss_wrapper():
    return pjtest.find_lib("libnss_wrapper.so")


def record_name(jti, iss=None):
    """lib/replay.c record_name(): sha256(0 | jti) or
    sha256(1 | len(iss) as host-order u64 | iss | jti)."""
    h = hashlib.sha256()
    if iss is None:
        h.update(b"\0")
    else:
        iss = iss.encode() if isinstance(iss, str) else iss
        h.update(b"\1" + struct.pack("=Q", len(iss)) + iss)
    h.update(jti.encode() if isinstance(jti, str) else jti)
    return h.hexdigest()


def prefill_name(tag, i):
    """The name tests/replay/prefill.c gives record i of a fill with TAG."""
    return hashlib.sha256(("%s:%d" % (tag, i)).encode()).hexdigest()


class Suite:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.module = os.path.join(self.build, "pam_jwt.so")
        self.driver = os.path.join(self.build, "pam_driver")
        self.prefill = os.path.join(self.build, "tests", "replay", "prefill")
        self.fsprobe = os.path.join(self.build, "tests", "replay", "fsprobe.so")
        self.passed = 0
        self.failed = []
        self.skipped = 0
        self.mounts = []
        self.filter = re.compile(args.k) if args.k else None
        self.root = os.geteuid() == 0
        self.in_ns = os.environ.get(NS_FLAG) == "1"
        self.tmp = tempfile.mkdtemp(prefix="pam_jwt-replay.")
        os.chmod(self.tmp, 0o700)
        # a private copy of what is tested: a rebuild of DIR while the
        # suite runs (make in another tree, -j) cannot swap it mid-case
        os.mkdir(self.p("bin"))
        for attr in ("module", "driver", "prefill", "fsprobe"):
            src = getattr(self, attr)
            if os.path.exists(src):
                dst = self.p("bin", os.path.basename(src))
                shutil.copy2(src, dst)
                setattr(self, attr, dst)
        os.mkdir(self.p("tool"))
        if os.access(os.path.join(self.build, "pamjwt"), os.X_OK):
            shutil.copy2(os.path.join(self.build, "pamjwt"),
                         self.p("tool", "pamjwt"))
        self.pamd = self.p("pam.d")
        os.mkdir(self.pamd)
        os.mkdir(self.p("cwd"))
        accounts = pjtest.nss_files(
            self.tmp, "root:x:0:0:root:/root:/bin/sh\n"
                      "alice:x:1001:1001:Alice:/home/alice:/bin/sh\n"
                      "bob:x:1002:1002:Bob:/home/bob:/bin/sh\n")
        self.secret = secrets.token_urlsafe(48).encode()  # 64 characters
        self.secret_file = self.p("secret")
        fd = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                     0o600)
        os.write(fd, self.secret + b"\n")
        os.close(fd)
        if find_nss_wrapper() is None:
            print("replay: libnss_wrapper.so not found "
                  "(apt-get install libnss-wrapper)")
            sys.exit(2)
        # under ASan: the sanitizer runtime first among the preloads, and
        # no RTLD_DEEPBIND in the wrapper (it would bypass ASan)
        env = pjtest.nss_env(*accounts, san=args.san,
                             base=pjtest.minimal_env())
        if args.san:
            env["ASAN_OPTIONS"] = ("detect_leaks=1:abort_on_error=0:"
                                   "exitcode=98:verify_asan_link_order=0")
            env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        self.env = env
        self.nstore = 0

    # ---- plumbing -----------------------------------------------------
    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    def want(self, name):
        return self.filter is None or self.filter.search(name)

    def ok(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            print("PASS %s" % name)
        else:
            self.failed.append(name)
            print("FAIL %s%s" % (name, (": " + detail) if detail else ""))
        sys.stdout.flush()
        return cond

    def skip(self, name, why):
        self.skipped += 1
        print("SKIP %s: %s" % (name, why))
        sys.stdout.flush()

    def info(self, text):
        print("INFO %s" % text)
        sys.stdout.flush()

    def new_store(self, label):
        """A fresh directory for a case; returns (parent, store path)."""
        self.nstore += 1
        parent = self.p("s%03d-%s" % (self.nstore,
                                      re.sub(r"[^A-Za-z0-9.-]", "_", label)))
        os.mkdir(parent, 0o700)
        return parent, os.path.join(parent, "store")

    def service(self, name, store, extra="", control="required"):
        with open(os.path.join(self.pamd, name), "w") as f:
            f.write("auth %s %s secret_file=%s single_use replay_cache=%s %s\n"
                    % (control, self.module, self.secret_file, store, extra))
        return name

    def plain_service(self, name, extra=""):
        with open(os.path.join(self.pamd, name), "w") as f:
            f.write("auth required %s secret_file=%s %s\n"
                    % (self.module, self.secret_file, extra))
        return name

    def token(self, key=None, **claims):
        now = int(time.time())
        c = {"sub": "alice", "iat": now, "exp": now + 300,
             "jti": secrets.token_hex(16)}
        for k, v in claims.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        return jwt.encode(c, key or self.secret, algorithm="HS256")

    def auth(self, service, answer, user="alice", confdir=None):
        """One pam_authenticate; returns 'PAM_XXX' (or 'ERROR ...')."""
        r = subprocess.run([self.driver, confdir or self.pamd, service, user,
                            answer], env=self.env, cwd=self.p("cwd"),
                           capture_output=True, text=True,
                           errors="replace", timeout=120)
        m = re.search(r"result=(\S+)", r.stdout)
        if r.returncode not in (0, 1) or m is None:
            return "ERROR rc=%d %s %s" % (r.returncode, r.stdout.strip(),
                                          r.stderr.strip()[-2000:])
        return m.group(1)

    def auth_counted(self, service, answer, user="alice"):
        """auth() with tests/replay/fsprobe.so counting the directory
        entries the process reads; returns (result, entries or None)."""
        cf = self.p("readdir.count")
        if os.path.exists(cf):
            os.unlink(cf)
        env = dict(self.env, PJ_READDIR_COUNT=cf,
                   LD_PRELOAD=self.env["LD_PRELOAD"] + " " + self.fsprobe)
        r = subprocess.run([self.driver, self.pamd, service, user, answer],
                           env=env, cwd=self.p("cwd"), capture_output=True,
                           text=True, errors="replace", timeout=120)
        m = re.search(r"result=(\S+)", r.stdout)
        try:
            n = int(re.search(r"readdir (\d+)", open(cf).read()).group(1))
        except (OSError, AttributeError):
            n = None
        return (m.group(1) if m else "ERROR %s" % r.stderr[-500:]), n

    def sh(self, *cmd, check=True):
        r = subprocess.run(list(cmd), capture_output=True, text=True)
        if check and r.returncode != 0:
            raise RuntimeError("%s: %s" % (" ".join(cmd), r.stderr.strip()))
        return r

    def mount(self, *args):
        target = args[-1]
        self.sh("mount", *args)
        self.mounts.append(target)

    def umount(self, target):
        subprocess.run(["umount", target], capture_output=True)
        if target in self.mounts:
            self.mounts.remove(target)

    def can_mount(self):
        return self.root and self.in_ns

    def records(self, store):
        try:
            return set(os.listdir(os.path.join(store, "r")))
        except OSError:
            return set()

    def tree(self, top):
        out = set()
        for d, dirs, files in os.walk(top):
            for n in dirs + files:
                out.add(os.path.relpath(os.path.join(d, n), top))
        return out

    def prefill_store(self, store, count, until, per, tag):
        r = subprocess.run([self.prefill, store, str(count), str(until),
                            str(per), tag], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("prefill: " + r.stderr.strip())

    def cleanup(self):
        for t in list(reversed(self.mounts)):
            self.umount(t)
        # chattr +i or a read-only mode left behind would stop rmtree
        subprocess.run(["chattr", "-R", "-i", self.tmp], capture_output=True)
        for d, dirs, _ in os.walk(self.tmp):
            for n in dirs:
                try:
                    os.chmod(os.path.join(d, n), 0o700, follow_symlinks=False)
                except (OSError, NotImplementedError):
                    pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- basic ----------------------------------------------------------
    def t_basic(self):
        _, store = self.new_store("basic")
        svc = self.service("basic", store)
        t = self.token()
        self.ok("basic: first use is PAM_SUCCESS",
                self.auth(svc, t) == "PAM_SUCCESS")
        r = self.auth(svc, t)
        self.ok("basic: replay is PAM_AUTH_ERR", r == "PAM_AUTH_ERR", r)
        for label, ans in (("trailing newline", t + "\n"),
                           ("leading spaces", "   " + t),
                           ("CRLF", t + "\r\n"),
                           ("tabs and newlines around", "\t\n" + t + "\n\t")):
            r = self.auth(svc, ans)
            self.ok("basic: replay with %s is PAM_AUTH_ERR" % label,
                    r == "PAM_AUTH_ERR", r)
        # white space first use, then the bare token is the replay
        t2 = self.token()
        r1 = self.auth(svc, "  " + t2 + "\r\n")
        r2 = self.auth(svc, t2)
        self.ok("basic: padded first use succeeds, bare token then replays",
                (r1, r2) == ("PAM_SUCCESS", "PAM_AUTH_ERR"), "%s %s" % (r1, r2))

        # the same jti under other issuers: different pairs
        jti = "shared-" + secrets.token_hex(8)
        res = []
        for iss in (None, "https://a.example", "https://b.example"):
            tk = self.token(jti=jti, iss=iss)
            res.append((self.auth(svc, tk), self.auth(svc, tk)))
        self.ok("basic: same jti without iss, iss A, iss B: each accepted "
                "once", res == [("PAM_SUCCESS", "PAM_AUTH_ERR")] * 3, str(res))
        # (iss, jti) boundaries cannot be shifted: ("a","bc") vs ("ab","c")
        sfx = secrets.token_hex(4)
        t_a = self.token(iss="a", jti="bc" + sfx)
        t_b = self.token(iss="ab", jti="c" + sfx)
        r = (self.auth(svc, t_a), self.auth(svc, t_b))
        self.ok("basic: pairs (a, bc..) and (ab, c..) are different",
                r == ("PAM_SUCCESS", "PAM_SUCCESS"), str(r))
        # with issuer= configured, the pair is still (iss, jti)
        _, store_i = self.new_store("issuers")
        svc_i = self.service("issuers", store_i,
                             "issuer=https://a.example,https://b.example")
        jti = secrets.token_hex(8)
        ta = self.token(jti=jti, iss="https://a.example")
        tb = self.token(jti=jti, iss="https://b.example")
        r = [self.auth(svc_i, ta), self.auth(svc_i, tb), self.auth(svc_i, ta),
             self.auth(svc_i, tb)]
        self.ok("basic: issuer=A,B: same jti from A and B accepted once each",
                r == ["PAM_SUCCESS", "PAM_SUCCESS", "PAM_AUTH_ERR",
                      "PAM_AUTH_ERR"], str(r))

        # missing jti / exp
        before = self.records(store)
        nojti = self.token(jti=None)
        r = self.auth(svc, nojti)
        self.ok("basic: missing jti is PAM_AUTH_ERR", r == "PAM_AUTH_ERR", r)
        ctl = self.plain_service("plain")
        r = self.auth(ctl, nojti)
        self.ok("basic: (control) the same jti-less token without single_use "
                "is PAM_SUCCESS", r == "PAM_SUCCESS", r)
        r = self.auth(svc, self.token(exp=None))
        self.ok("basic: missing exp is PAM_AUTH_ERR", r == "PAM_AUTH_ERR", r)
        self.ok("basic: nothing recorded for the jti-less or exp-less tokens",
                self.records(store) == before,
                "new: %s" % (self.records(store) - before))

        # a rejected token does not use up its jti (replay is checked last)
        jti = secrets.token_hex(8)
        bad_sig = self.token(jti=jti, key=b"x" * 64)
        wrong_user = self.token(jti=jti)
        expired = self.token(jti=jti, exp=int(time.time()) - 3600,
                             iat=int(time.time()) - 4000)
        r = [self.auth(svc, bad_sig), self.auth(svc, wrong_user, user="bob"),
             self.auth(svc, expired), self.auth(svc, wrong_user),
             self.auth(svc, wrong_user)]
        self.ok("basic: bad signature, other user, expired with jti J do not "
                "use up J; then J once",
                r == ["PAM_AUTH_ERR", "PAM_AUTH_ERR", "PAM_AUTH_ERR",
                      "PAM_SUCCESS", "PAM_AUTH_ERR"], str(r))
        # a non-token answer is PAM_IGNORE (turned into PAM_PERM_DENIED by a
        # lone required) and records nothing
        before = self.records(store)
        r = self.auth(svc, "hunter2")
        self.ok("basic: a password records nothing",
                r != "PAM_SUCCESS" and self.records(store) == before, r)

        # the record: r/<sha256 of the pair> = exp + the largest leeway
        # allowed, linked in x/
        exp = int(time.time()) + 200
        jti = secrets.token_hex(8)
        self.auth(svc, self.token(jti=jti, iss="https://a.example", exp=exp))
        name = record_name(jti, "https://a.example")
        path = os.path.join(store, "r", name)
        try:
            content = open(path).read()
            st = os.stat(path)
            link = os.path.join(store, "x", str((exp + KEEP) // BUCKET), name)
            lst = os.stat(link)
            good = (content == "%d\n" % (exp + KEEP) and
                    st.st_ino == lst.st_ino and
                    stat.S_IMODE(st.st_mode) == 0o600)
            detail = "content %r" % content
        except OSError as e:
            good, detail = False, str(e)
        self.ok("basic: record is r/<sha256(iss, jti)> holding exp+86400 (the "
                "largest leeway), hard-linked in x/<(exp+86400)/64>", good,
                detail)
        modes = {n: stat.S_IMODE(os.stat(os.path.join(store, n)).st_mode)
                 for n in ("", "r", "x")}
        self.ok("basic: store, r and x are created 0700",
                set(modes.values()) == {0o700}, str(modes))
        # a service's own leeway does not shorten the record (issue 11.2):
        # leeway=0 and leeway=60 on one store, a token with exp = now + 3
        _, store_l = self.new_store("leeway")
        svc_0 = self.service("leeway0", store_l, "leeway=0")
        svc_60 = self.service("leeway60", store_l, "leeway=60")
        jti = secrets.token_hex(8)
        exp = int(time.time()) + 3
        tok = self.token(jti=jti, exp=exp)
        r = [self.auth(svc_0, tok), self.auth(svc_60, tok)]
        while time.time() < exp + 1.5:
            time.sleep(0.25)
        r.append(self.auth(svc_60, tok))
        try:
            content = open(os.path.join(store_l, "r", record_name(jti))).read()
        except OSError as e:
            content = str(e)
        self.ok("basic: leeway=0 and leeway=60 share a store: accepted once, "
                "refused at once and still refused after exp (record until "
                "exp+86400)",
                r == ["PAM_SUCCESS", "PAM_AUTH_ERR", "PAM_AUTH_ERR"] and
                content == "%d\n" % (exp + KEEP), "%s, record %r" % (r, content))
        # the same store shared by two services: one pair, one use
        svc2 = self.service("basic2", store)
        t3 = self.token()
        r = (self.auth(svc, t3), self.auth(svc2, t3))
        self.ok("basic: two services on one store share the pairs",
                r == ("PAM_SUCCESS", "PAM_AUTH_ERR"), str(r))

    # ---- race -----------------------------------------------------------
    def race(self, svc, tokens, user="alice", slow=0):
        """Start len(tokens) drivers; each prints its prompt and then waits
        for its answer on stdin; when all wait, answer all at once.  slow:
        with tests/replay/fsprobe.so, every store create/unlink/link first
        sleeps 0 to `slow` microseconds (20 ms: longer than handing out all
        the answers takes), so a store that is not atomic loses the race."""
        env = self.env
        if slow:
            env = dict(env, PJ_SLOWFS_US=str(slow),
                       LD_PRELOAD=env["LD_PRELOAD"] + " " + self.fsprobe)
        procs = []
        t_start = time.monotonic()
        try:
            for _ in tokens:
                procs.append(subprocess.Popen(
                    [self.driver, self.pamd, svc, user, "-"], env=env,
                    cwd=self.p("cwd"), stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    bufsize=0))
            t_spawned = time.monotonic()
            for p in procs:
                line = p.stderr.readline()
                if not line.startswith(b"prompt:"):
                    raise RuntimeError("no prompt: %r" % line)
            # all wait at the prompt; lowered below this process, they do
            # not preempt it while it hands out the answers
            for p in procs:
                os.setpriority(os.PRIO_PROCESS, p.pid, 10)
            data = [(t + "\n").encode() for t in tokens]
            t0 = time.monotonic()
            self.race_times = [t0 - t_start, t0 - t_spawned]
            for p, d in zip(procs, data):
                os.write(p.stdin.fileno(), d)
            spread = time.monotonic() - t0
            for p in procs:
                p.stdin.close()
            for p in procs:   # back to normal, so they run side by side
                try:
                    os.setpriority(os.PRIO_PROCESS, p.pid, 0)
                except OSError:
                    pass
                p.stdin = None   # or communicate() would flush it
            out = []
            for p in procs:
                so, se = p.communicate(timeout=120)
                m = re.search(rb"result=(\S+)", so)
                out.append(m.group(1).decode() if m and p.returncode in (0, 1)
                           else "ERROR rc=%s %r" % (p.returncode, se[-500:]))
            self.race_times.append(time.monotonic() - t0)
            if self.args.v:
                self.info("race: start %.2f s (prompts %.2f s), end %.2f s" %
                          tuple(self.race_times))
            return out, spread
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()

    def t_race(self):
        # Under ASan every process is ~5 times slower: there the races only
        # look for memory errors on the contended paths (a plain and a
        # slowed round of 16);
        # the plain build proves the counts (6 rounds of 64 and more).
        n = 16 if self.args.san else 64
        _, store = self.new_store("race")
        svc = self.service("race", store)
        plain_rounds = 1 if self.args.san else 3
        slow_rounds = 1 if self.args.san else 3
        have_slow = os.path.exists(self.fsprobe)
        if not have_slow:
            self.ok("race: helper %s exists" % self.fsprobe, False,
                    "make %s" % self.fsprobe)
        rounds = plain_rounds + (slow_rounds if have_slow else 0)
        for i in range(rounds):
            slow = 20000 if i >= plain_rounds else 0
            tok = self.token()
            res, spread = self.race(svc, [tok] * n, slow=slow)
            succ = res.count("PAM_SUCCESS")
            err = res.count("PAM_AUTH_ERR")
            self.ok("race %d%s: %d processes, one token: exactly 1 "
                    "PAM_SUCCESS, %d PAM_AUTH_ERR (got %d / %d; answers sent "
                    "within %.1f ms)" % (i + 1, " (slowed store calls)" if slow
                                         else "", n, n - 1, succ, err,
                                         spread * 1000),
                    succ == 1 and err == n - 1,
                    str(sorted(set(res))))
        recs = self.records(store)
        contents = set()
        for r in recs:
            with open(os.path.join(store, "r", r)) as f:
                contents.add(bool(re.match(r"^\d+\n$", f.read())))
        self.ok("race: %d records after %d rounds, none empty or partial"
                % (len(recs), rounds), len(recs) == rounds and
                contents == {True}, "%d records" % len(recs))
        # 64 different tokens at once: no false replays
        toks = [self.token() for _ in range(n)]
        res, _ = self.race(svc, toks)
        self.ok("race: %d different tokens at once: all PAM_SUCCESS" % n,
                res.count("PAM_SUCCESS") == n, str(sorted(set(res))))
        # the replacement path: the pair's record exists but has expired.
        # (1) not indexed (index links are best effort), so no prune() can
        # take it away first: every process goes through the flock'ed
        # read-unlink-create; (2) indexed, with an expired backlog that
        # keeps prune() busy under the same lock at the same time
        old = int(time.time()) - 7200
        for indexed in (False, True):
            _, store2 = self.new_store("race-expired")
            svc2 = self.service("race2", store2)
            # (the backlog only with (2): prune()'s lock would otherwise
            # line the processes up before they reach the replacement)
            self.prefill_store(store2, 2000 if indexed else 0, old, 100,
                               "backlog")
            rd = os.path.join(store2, "r")
            jti = secrets.token_hex(8)
            name = record_name(jti)
            with open(os.path.join(rd, name), "w") as f:
                f.write("%d\n" % old)
            if indexed:
                bd = os.path.join(store2, "x", str(old // BUCKET))
                os.makedirs(bd, 0o700, exist_ok=True)
                os.link(os.path.join(rd, name), os.path.join(bd, name))
            tok = self.token(jti=jti)
            # (with the backlog a shorter delay: prune()'s 16 removals a
            # process happen under the lock, one process after the other)
            res, _ = self.race(svc2, [tok] * n,
                               slow=(2000 if indexed else 20000) * have_slow)
            succ = res.count("PAM_SUCCESS")
            try:
                content = open(os.path.join(rd, name)).read()
            except OSError as e:
                content = str(e)
            self.ok("race: the pair's record has expired (%s), %d processes%s: "
                    "exactly 1 PAM_SUCCESS (got %d), record renewed" % (
                        "indexed, pruning backlog" if indexed else
                        "not indexed", n,
                        " (slowed store calls)" if have_slow else "", succ),
                    succ == 1 and res.count("PAM_AUTH_ERR") == n - 1 and
                    re.match(r"^\d+\n$", content) is not None and
                    int(content) > time.time(),
                    "%s %r" % (sorted(set(res)), content))

    # ---- faults ---------------------------------------------------------
    def fault(self, name, setup, repair=None, check_outside=None):
        """setup(parent, store) breaks the store; the token must give
        PAM_AUTHINFO_UNAVAIL twice and nothing is recorded; repair() (if
        given) fixes it, after which the same token is accepted once."""
        if not self.want("fault: " + name):
            return
        parent, store = self.new_store("fault")
        svc = self.service("fault", store)
        try:
            why = setup(parent, store)
        except Exception as e:  # noqa: BLE001
            self.ok("fault: %s (setup)" % name, False, str(e))
            return
        if why:
            self.skip("fault: " + name, why)
            return
        tok = self.token()
        try:
            r1 = self.auth(svc, tok)
            r2 = self.auth(svc, tok)
            extra = ""
            good = r1 == r2 == "PAM_AUTHINFO_UNAVAIL"
            if check_outside is not None:
                msg = check_outside(parent, store)
                if msg:
                    good, extra = False, msg
            if repair is not None and not self.args.san:
                # (the repaired store accepting the token shows the token
                # was good; the plain build checks that, ASan needn't)
                repair(parent, store)
                r3 = self.auth(svc, tok)
                r4 = self.auth(svc, tok)
                self.ok("fault: %s: PAM_AUTHINFO_UNAVAIL, nothing accepted; "
                        "repaired: accepted once" % name,
                        good and (r3, r4) == ("PAM_SUCCESS", "PAM_AUTH_ERR"),
                        "%s %s %s %s %s" % (r1, r2, r3, r4, extra))
            else:
                self.ok("fault: %s: PAM_AUTHINFO_UNAVAIL, nothing accepted"
                        % name, good, "%s %s %s" % (r1, r2, extra))
        finally:
            for t in [m for m in self.mounts if m.startswith(parent)]:
                self.umount(t)
            subprocess.run(["chattr", "-R", "-i", parent], capture_output=True)

    def t_fault(self):
        def mkstore(store, mode=0o700):
            os.mkdir(store, 0o700)
            for d in ("r", "x"):
                os.mkdir(os.path.join(store, d), 0o700)
            os.chmod(store, mode)

        def chmod_store(mode):
            def setup(parent, store):
                mkstore(store, mode)

            def repair(parent, store):
                os.chmod(store, 0o700)
            return setup, repair

        modes = (0o750, 0o707) if self.args.san else \
            (0o750, 0o707, 0o755, 0o701, 0o710, 0o777)
        for mode in modes:
            s, r = chmod_store(mode)
            self.fault("store mode %04o" % mode, s, r)

        def sub_mode(sub, mode):
            def setup(parent, store):
                mkstore(store)
                os.chmod(os.path.join(store, sub), mode)

            def repair(parent, store):
                os.chmod(os.path.join(store, sub), 0o700)
            return setup, repair

        for sub in ("r", "x"):
            s, r = sub_mode(sub, 0o750)
            self.fault("%s/ mode 0750" % sub, s, r)

        def owned(sub):
            def setup(parent, store):
                mkstore(store)
                if not self.root:
                    return "needs root to chown"
                os.chown(os.path.join(store, sub), 1001, 1001)
                return None

            def repair(parent, store):
                os.chown(os.path.join(store, sub), 0, 0)
            return setup, repair

        s, r = owned("")
        self.fault("store owned by another uid (1001)", s, r)
        s, r = owned("r")
        self.fault("r/ owned by another uid (1001)", s, r)
        s, r = owned("x")
        self.fault("x/ owned by another uid (1001)", s, r)

        # a symlink in place of the store, to a perfectly good store
        def sym_setup(parent, store):
            mkstore(os.path.join(parent, "target"))
            os.symlink(os.path.join(parent, "target"), store)

        def sym_check(parent, store):
            t = self.tree(os.path.join(parent, "target"))
            return "" if t == {"r", "x"} else "target changed: %s" % t

        def sym_repair(parent, store):
            os.unlink(store)
            os.rename(os.path.join(parent, "target"), store)
        self.fault("symlink in place of the store", sym_setup, sym_repair,
                   sym_check)

        def dangling(parent, store):
            os.symlink(os.path.join(parent, "elsewhere"), store)

        def dangling_check(parent, store):
            return "" if not os.path.lexists(os.path.join(parent, "elsewhere")) \
                else "the symlink's target was created"
        self.fault("dangling symlink in place of the store", dangling, None,
                   dangling_check)

        def file_setup(parent, store):
            with open(store, "w") as f:
                f.write("not a directory\n")

        def file_repair(parent, store):
            os.unlink(store)
        self.fault("regular file in place of the store", file_setup,
                   file_repair)

        # store = parent/m1/m2/store: the module creates one missing level
        # (0700), not two
        def deep_run():
            name = "fault: store parent not creatable (two levels missing)"
            if not self.want(name):
                return
            parent, _ = self.new_store("deep")
            store = os.path.join(parent, "m1", "m2", "store")
            svc = self.service("deep", store)
            tok = self.token()
            r = (self.auth(svc, tok), self.auth(svc, tok))
            self.ok(name + ": PAM_AUTHINFO_UNAVAIL, nothing created",
                    r == ("PAM_AUTHINFO_UNAVAIL",) * 2 and
                    self.tree(parent) == set(), "%s %s" % (r, self.tree(parent)))
            name = "fault: store parent is a regular file"
            parent, _ = self.new_store("pfile")
            with open(os.path.join(parent, "file"), "w") as f:
                f.write("x\n")
            store = os.path.join(parent, "file", "store")
            svc = self.service("pfile", store)
            r = (self.auth(svc, tok), self.auth(svc, tok))
            self.ok(name + ": PAM_AUTHINFO_UNAVAIL",
                    r == ("PAM_AUTHINFO_UNAVAIL",) * 2, str(r))
            # (documented behaviour) one missing level is created, 0700
            parent, _ = self.new_store("onelevel")
            store = os.path.join(parent, "newparent", "store")
            svc = self.service("onelevel", store)
            r = (self.auth(svc, tok), self.auth(svc, tok))
            mode = stat.S_IMODE(os.stat(os.path.dirname(store)).st_mode) \
                if os.path.isdir(os.path.dirname(store)) else None
            self.ok("store: one missing parent level is created 0700, then "
                    "the token is accepted once",
                    r == ("PAM_SUCCESS", "PAM_AUTH_ERR") and mode == 0o700,
                    "%s mode %s" % (r, oct(mode) if mode else None))
        deep_run()

        # r/ or x/ replaced by a symlink (to a good directory) or a file
        def sub_sym(sub):
            def setup(parent, store):
                mkstore(store)
                os.rmdir(os.path.join(store, sub))
                os.mkdir(os.path.join(parent, "elsewhere"), 0o700)
                os.symlink(os.path.join(parent, "elsewhere"),
                           os.path.join(store, sub))

            def check(parent, store):
                left = os.listdir(os.path.join(parent, "elsewhere"))
                return "" if not left else "written through the link: %s" % left

            def repair(parent, store):
                os.unlink(os.path.join(store, sub))
                os.mkdir(os.path.join(store, sub), 0o700)
            return setup, repair, check

        for sub in ("r", "x"):
            s, r, c = sub_sym(sub)
            self.fault("%s/ replaced by a symlink" % sub, s, r, c)

        def sub_file(sub):
            def setup(parent, store):
                mkstore(store)
                os.rmdir(os.path.join(store, sub))
                with open(os.path.join(store, sub), "w") as f:
                    f.write("x\n")

            def repair(parent, store):
                os.unlink(os.path.join(store, sub))
            return setup, repair

        for sub in ("r", "x"):
            s, r = sub_file(sub)
            self.fault("%s replaced by a regular file" % sub, s, r)

        # read-only store: as root, mode 0500 stops nothing (measured here);
        # a read-only bind mount, a read-only tmpfs and chattr +i do
        if self.want("fault: read-only"):
            parent, store = self.new_store("ro0500")
            mkstore(store, 0o500)
            for d in ("r", "x"):
                os.chmod(os.path.join(store, d), 0o500)
            svc = self.service("ro0500", store)
            r = self.auth(svc, self.token())
            if self.root:
                self.info("store, r and x mode 0500 as root: %s (root "
                          "ignores the mode; hence the mounts and chattr "
                          "below)" % r)
            else:
                self.ok("fault: store, r and x mode 0500 (not root): "
                        "PAM_AUTHINFO_UNAVAIL", r == "PAM_AUTHINFO_UNAVAIL", r)

        def ro_bind(parent, store):
            if not self.can_mount():
                return "needs root and a private mount namespace"
            mkstore(store)
            self.mount("--bind", store, store)
            self.mount("-o", "remount,bind,ro", store, store)
            return None

        def ro_repair(parent, store):
            self.umount(store)
        self.fault("read-only bind mount of the store", ro_bind, ro_repair)

        if self.want("fault: read-only bind mount keeps replays"):
            name = "fault: read-only store still refuses a recorded token"
            if not self.can_mount():
                self.skip(name, "needs root and a private mount namespace")
            else:
                parent, store = self.new_store("rolive")
                svc = self.service("rolive", store)
                tok = self.token()
                r0 = self.auth(svc, tok)
                self.mount("--bind", store, store)
                self.mount("-o", "remount,bind,ro", store, store)
                r1 = self.auth(svc, tok)
                r2 = self.auth(svc, self.token())
                self.umount(store)
                # the replay check needs the store's lock (opened for
                # writing), so the recorded token meets an unusable store:
                # PAM_AUTHINFO_UNAVAIL; PAM_AUTH_ERR would be right too
                self.ok(name + " (%s) and a fresh one (%s)" % (r1, r2),
                        r0 == "PAM_SUCCESS" and
                        r1 in ("PAM_AUTH_ERR", "PAM_AUTHINFO_UNAVAIL") and
                        r2 == "PAM_AUTHINFO_UNAVAIL",
                        "%s %s %s" % (r0, r1, r2))

        def ro_tmpfs(parent, store):
            if not self.can_mount():
                return "needs root and a private mount namespace"
            self.mount("-t", "tmpfs", "-o", "ro,size=64k,mode=0700", "tmpfs",
                       parent)
            return None

        def ro_tmpfs_repair(parent, store):
            self.sh("mount", "-o", "remount,rw", parent)
        self.fault("read-only tmpfs, store missing", ro_tmpfs, ro_tmpfs_repair)

        def immutable(sub):
            def setup(parent, store):
                mkstore(store)
                r = subprocess.run(["chattr", "+i", os.path.join(store, sub)],
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    return "chattr +i not supported here: " + r.stderr.strip()
                return None

            def repair(parent, store):
                self.sh("chattr", "-i", os.path.join(store, sub))
            return setup, repair

        s, r = immutable("r")
        self.fault("chattr +i on r/", s, r)

        # a full disk: a tiny tmpfs, filled up after the store exists
        def full(kind):
            def setup(parent, store):
                if not self.can_mount():
                    return "needs root and a private mount namespace"
                opts = "size=64k,mode=0700" if kind == "blocks" else \
                    "size=1m,nr_inodes=32,mode=0700"
                self.mount("-t", "tmpfs", "-o", opts, "tmpfs", parent)
                svc = self.service("fullpre", store)
                first = self.token()
                if self.auth(svc, first) != "PAM_SUCCESS":
                    raise RuntimeError("the store did not work before filling")
                self.full_first = first
                self.full_before = self.records(store)
                if kind == "blocks":
                    fd = os.open(os.path.join(parent, "fill"),
                                 os.O_WRONLY | os.O_CREAT, 0o600)
                    try:
                        while os.write(fd, b"\0" * 4096) > 0:
                            pass
                    except OSError:
                        pass
                    os.close(fd)
                else:
                    os.mkdir(os.path.join(parent, "fill"))
                    try:
                        for i in range(10000):
                            open(os.path.join(parent, "fill", str(i)),
                                 "w").close()
                    except OSError:
                        pass
                return None

            def check(parent, store):
                msgs = []
                if self.records(store) != self.full_before:
                    msgs.append("r/ changed: %s" % (self.records(store) -
                                                    self.full_before))
                # the recorded token is refused too: PAM_AUTH_ERR, or
                # PAM_AUTHINFO_UNAVAIL when the lock file cannot be made
                r = self.auth("fault", self.full_first)
                self.info("%s: the token recorded before is now %s" % (kind, r))
                if r not in ("PAM_AUTH_ERR", "PAM_AUTHINFO_UNAVAIL"):
                    msgs.append("the recorded token on a full disk: %s" % r)
                return "; ".join(msgs)

            def repair(parent, store):
                shutil.rmtree(os.path.join(parent, "fill"), ignore_errors=True)
                if os.path.exists(os.path.join(parent, "fill")):
                    os.unlink(os.path.join(parent, "fill"))
            return setup, repair, check

        s, r, c = full("blocks")
        self.fault("disk full (tmpfs size=64k, filled)", s, r, c)
        s, r, c = full("inodes")
        self.fault("no inodes left (tmpfs nr_inodes=32, filled)", s, r, c)

        # .lock replaced by a symlink: never followed, nothing created
        name = "fault: .lock is a dangling symlink"
        if self.want(name):
            parent, store = self.new_store("lock")
            mkstore(store)
            victim = os.path.join(parent, "victim")
            os.symlink(victim, os.path.join(store, ".lock"))
            svc = self.service("lock", store)
            tok = self.token()
            r = (self.auth(svc, tok), self.auth(svc, tok))
            self.ok(name + ": first use accepted, replay refused, the "
                    "target never created",
                    r[0] == "PAM_SUCCESS" and
                    r[1] in ("PAM_AUTH_ERR", "PAM_AUTHINFO_UNAVAIL") and
                    not os.path.lexists(victim), str(r))

    # ---- pruning --------------------------------------------------------
    def count_links(self, store):
        n = 0
        xd = os.path.join(store, "x")
        for b in os.listdir(xd):
            n += len(os.listdir(os.path.join(xd, b)))
        return n

    def timed_auth(self, svc, tok):
        t0 = time.monotonic()
        r = self.auth(svc, tok)
        return r, time.monotonic() - t0

    def prune_run(self, label, count, per_bucket, auths):
        """A store that has piled up count expired records (buckets of
        per_bucket) and 1,000 live ones before this run uses it; auths
        authentications, the first of which records the "live token"."""
        parent, store = self.new_store("prune-" + label)
        where = "ext4/disk"
        if self.can_mount():
            self.mount("-t", "tmpfs", "-o", "size=2g,mode=0700", "tmpfs",
                       parent)
            where = "tmpfs"
        try:
            svc = self.service("prune", store)
            # an empty-store baseline for the timing note
            svc0 = self.service("prune0", os.path.join(parent, "empty"))
            base = sorted(self.timed_auth(svc0, self.token())[1]
                          for _ in range(5))[2]
            now = int(time.time())
            old = now - 30 * 86400
            old = old - old % BUCKET
            t0 = time.monotonic()
            self.prefill_store(store, count, old, per_bucket, "expired")
            self.prefill_store(store, 1000, now + 7200, 100, "live")
            fill = time.monotonic() - t0
            recs = self.records(store)
            expired = {prefill_name("expired", i) for i in range(count)}
            live = {prefill_name("live", i) for i in range(1000)}
            if recs != expired | live:
                raise RuntimeError("the pre-filled store is not as expected")
            live_ino = {n: os.stat(os.path.join(store, "r", n)).st_ino
                        for n in live}
            links0 = self.count_links(store)
            self.info("prune %s: %d expired records in %d buckets + %d live, "
                      "on %s, made in %.1f s" % (
                          label, len(expired),
                          (count + per_bucket - 1) // per_bucket, len(live),
                          where, fill))
            removed, times, bad = [], [], []
            prev = recs
            new = set()
            fresh = []
            for i in range(auths):
                tk = self.token()
                fresh.append(tk)
                res, dt = self.timed_auth(svc, tk)
                times.append(dt)
                if res != "PAM_SUCCESS":
                    bad.append("auth %d: %s" % (i, res))
                cur = self.records(store)
                added = cur - prev
                gone = prev - cur
                new |= added
                removed.append(len(gone))
                if len(added) != 1:
                    bad.append("auth %d added %d records" % (i, len(added)))
                if gone - expired:
                    bad.append("auth %d removed non-expired %s" %
                               (i, sorted(gone - expired)[:3]))
                if len(cur) > len(live) + len(expired) + len(new):
                    bad.append("store grew beyond live + backlog")
                prev = cur
            res, nread = self.auth_counted(svc, self.token())
            self.ok("prune %s: one authentication reads at most %d directory "
                    "entries (read %s)" % (label, READDIR_BOUND, nread),
                    res == "PAM_SUCCESS" and nread is not None and
                    nread <= READDIR_BOUND, res)
            cur = self.records(store)
            lost = [n for n in live if n not in cur or
                    os.stat(os.path.join(store, "r", n)).st_ino != live_ino[n]]
            lost += [n for n in new if n not in cur]
            links1 = self.count_links(store)
            self.ok("prune %s: %d authentications: each removed at most %d "
                    "records (removed per auth: min %d, max %d, total %d), "
                    "only expired ones" % (label, auths, PRUNE_MAX,
                                           min(removed), max(removed),
                                           sum(removed)),
                    not bad and max(removed) <= PRUNE_MAX, "; ".join(bad[:5]))
            self.ok("prune %s: progress on every authentication while a "
                    "backlog remains" % label, min(removed) >= 1,
                    str(removed))
            self.ok("prune %s: all %d live records kept (the 1,000 with the "
                    "same inodes) and the %d new ones; index links %d -> %d"
                    % (label, len(live), len(new), links0, links1),
                    not lost and links1 >= len(live) + len(new),
                    "lost %d" % len(lost))
            replays = [self.auth(svc, t) for t in fresh[:4]]
            self.ok("prune %s: the token recorded by the first "
                    "authentication, before %d more pruned, and the next "
                    "ones are still replays" % (label, auths - 1),
                    set(replays) == {"PAM_AUTH_ERR"}, str(replays))
            med = sorted(times)[len(times) // 2]
            self.info("prune %s: median authentication %.1f ms with the "
                      "backlog vs %.1f ms on an empty store (process start "
                      "included; machine shared)" % (label, med * 1000,
                                                     base * 1000))
        finally:
            if where == "tmpfs":
                self.umount(parent)

    def t_prune(self):
        if not os.path.exists(self.prefill):
            self.ok("prune: helper %s exists" % self.prefill, False,
                    "build it: make %s" % self.prefill)
            return
        self.prune_run("100k/2000 buckets", 100000, 50,
                       6 if self.args.san else 12)
        if self.args.san:
            self.skip("prune 100k/1 bucket", "runs in the plain build only "
                      "(the same code as above; ASan makes it slow)")
        else:
            self.prune_run("100k/1 bucket", 100000, 100000, 6)

        # many live buckets and nothing expired: pruning has nothing to do,
        # and must not read the whole index to find that out (tokens with
        # long lifetimes make one bucket per 64 s of lifetime)
        parent, store = self.new_store("live-buckets")
        if self.can_mount():   # 10,000 directories: quicker made and gone
            self.mount("-t", "tmpfs", "-o", "size=512m,mode=0700", "tmpfs",
                       parent)
        svc = self.service("livebuckets", store)
        self.auth(svc, self.token())
        r0, n0 = self.auth_counted(svc, self.token())
        now = int(time.time())
        self.prefill_store(store, 10000, now + 7200, 1, "live-a")
        r1, n1 = self.auth_counted(svc, self.token())
        self.ok("prune: 10,000 live records in 10,000 buckets: one "
                "authentication reads at most %d directory entries (read %s; "
                "%s on the empty store)" % (READDIR_BOUND, n1, n0),
                (r0, r1) == ("PAM_SUCCESS", "PAM_SUCCESS") and
                n1 is not None and n1 <= READDIR_BOUND, "%s %s" % (r0, r1))
        if parent in self.mounts:
            self.umount(parent)
        shutil.rmtree(store, ignore_errors=True)

        # expired buckets in the middle of many live ones, in a store that
        # piled them up before this run: whatever order the file system
        # lists the index in, pruning that reads less than all of it must
        # still come to them (not look at the same first entries forever)
        parent, store = self.new_store("mixed")
        if self.can_mount():
            self.mount("-t", "tmpfs", "-o", "size=256m,mode=0700", "tmpfs",
                       parent)
        svc = self.service("mixed", store)
        self.prefill_store(store, 1000, now + 7200, 1, "live-a")
        self.prefill_store(store, 500, now - 86400, 5, "old")
        self.prefill_store(store, 1000, now + 7200 + 1000 * BUCKET, 1,
                           "live-b")
        expired = {prefill_name("old", i) for i in range(500)}
        live = {prefill_name(t, i) for t in ("live-a", "live-b")
                for i in range(1000)}
        n = 0
        gone = 0
        res = set()
        while n < 40 and gone < PRUNE_MAX:
            res.add(self.auth(svc, self.token()))
            n += 1
            left = self.records(store)
            gone = len(expired - left)
        self.ok("prune: 100 expired buckets amid 2,000 live ones: at least %d "
                "expired records gone within 40 authentications (%d gone "
                "after %d), no live one" % (PRUNE_MAX, gone, n),
                res == {"PAM_SUCCESS"} and gone >= PRUNE_MAX and live <= left,
                str(res))
        if parent in self.mounts:
            self.umount(parent)
        shutil.rmtree(store, ignore_errors=True)

        # drain a small backlog completely; empty buckets go too
        _, store = self.new_store("drain")
        svc = self.service("drain", store)
        now = int(time.time())
        old = now - 86400
        self.prefill_store(store, 200, old, 40, "expired")
        self.prefill_store(store, 10, now + 3600, 5, "live")
        live = {n for n in self.records(store)
                if int(open(os.path.join(store, "r", n)).read()) >= now}
        res = [self.auth(svc, self.token()) for _ in range(15)]
        recs = self.records(store)
        stale = [n for n in recs
                 if int(open(os.path.join(store, "r", n)).read()) < now]
        buckets = os.listdir(os.path.join(store, "x"))
        old_buckets = [b for b in buckets if (int(b) + 1) * BUCKET <= now]
        self.ok("prune: 200 expired records drained in 15 authentications "
                "(16 a time); expired buckets removed; 10 live kept",
                set(res) == {"PAM_SUCCESS"} and not stale and
                not old_buckets and live <= recs and len(recs) == 25,
                "%s stale=%d old_buckets=%d records=%d" % (
                    set(res), len(stale), len(old_buckets), len(recs)))

        # an expired record replaced by the same pair (accepted again once)
        _, store = self.new_store("replace")
        svc = self.service("replace", store)
        self.auth(svc, self.token())   # create the store
        jti = secrets.token_hex(8)
        name = record_name(jti)
        old = now - 3 * 86400
        rd = os.path.join(store, "r")
        with open(os.path.join(rd, name), "w") as f:
            f.write("%d\n" % old)
        os.chmod(os.path.join(rd, name), 0o600)
        tok = self.token(jti=jti)
        r = (self.auth(svc, tok), self.auth(svc, tok))
        self.ok("prune: an expired record of the pair is replaced: accepted "
                "once more, then a replay", r == ("PAM_SUCCESS", "PAM_AUTH_ERR"),
                str(r))
        # a stale index link - the same name in an expired bucket, but
        # another inode (what replacing a record leaves behind) - must not
        # take the live record with it (the inode check in prune_bucket)
        jti = secrets.token_hex(8)
        name = record_name(jti)
        tok = self.token(jti=jti)
        r1 = self.auth(svc, tok)
        bd = os.path.join(store, "x", str(old // BUCKET))
        os.makedirs(bd, 0o700, exist_ok=True)
        with open(os.path.join(bd, name), "w") as f:
            f.write("%d\n" % old)
        # a store that has existed since then has its cursor at or below it
        with open(os.path.join(store, ".cursor"), "w") as f:
            f.write("%d\n" % (old // BUCKET))
        others = [self.auth(svc, self.token()) for _ in range(2)]
        gone = not os.path.exists(bd)
        r2 = self.auth(svc, tok)
        exists = os.path.exists(os.path.join(rd, name))
        self.ok("prune: a stale index link of the same name (another inode) "
                "is pruned, the live record stays (still a replay)",
                (r1, r2) == ("PAM_SUCCESS", "PAM_AUTH_ERR") and gone and exists
                and set(others) == {"PAM_SUCCESS"},
                "%s %s stale_bucket_gone=%s record=%s" % (r1, r2, gone, exists))

    # ---- hostile jti ----------------------------------------------------
    def hostile_view(self, parent):
        """What a hostile jti could touch: everything under the store's
        parent, the entries of the temp dir above it (where "../.." from r/
        leads), the driver's working directory and /tmp itself."""
        base = os.path.basename(parent)
        view = {os.path.join(base, n) for n in self.tree(parent)}
        view |= set(os.listdir(self.tmp))
        view |= {"cwd/" + n for n in self.tree(self.p("cwd"))}
        view |= {"/tmp/" + n for n in os.listdir("/tmp")
                 if "pwned" in n or n in ("passwd", "etc")}
        return view

    def t_hostile(self):
        parent, store = self.new_store("hostile")
        svc = self.service("hostile", store)
        self.auth(svc, self.token())   # the store exists from here on
        allowed = re.compile(r"^(%s/)?store(/(r/[0-9a-f]{64}|x|r|\.lock|"
                             r"x/\d+|x/\d+/[0-9a-f]{64}))?$" %
                             re.escape(os.path.basename(parent)))
        cases = [
            ("../../etc/passwd", True), ("/", True), (".", True), ("..", True),
            ("../../../../../../tmp/pwned", True), ("r/../x", True),
            ("x" * 1024, True), ("x" * 1025, False), ("y" * 10240, False),
            ("ключ/🔑/../x", True), ("e\u0301", True), ("\u00e9", True),
            ("a\nb", True), ("a\u0000b", False), ("\u0000", False),
            ("", False), (12345, False), (None, False), (["a"], False),
            ({"a": 1}, False), (True, False),
        ]
        outside = [self.p("etc"), "/tmp/pwned", self.p("cwd")]
        for jti, accept in cases:
            if isinstance(jti, str):
                label = json.dumps(jti)
                if len(label) > 40:
                    label = "%d-byte string" % len(jti.encode())
            else:
                label = "non-string %s" % json.dumps(jti)
            before_tmp = self.hostile_view(parent)
            tok = self.token(jti=jti) if jti is not None else \
                jwt.encode({"sub": "alice", "iat": int(time.time()),
                            "exp": int(time.time()) + 300, "jti": None},
                           self.secret, algorithm="HS256")
            r = (self.auth(svc, tok), self.auth(svc, tok))
            after_tmp = self.hostile_view(parent)
            new = after_tmp - before_tmp
            bad_new = [n for n in new if not allowed.match(n)]
            want = ("PAM_SUCCESS", "PAM_AUTH_ERR") if accept else \
                ("PAM_AUTH_ERR", "PAM_AUTH_ERR")
            newrec = [n for n in new if n.startswith(
                os.path.basename(parent) + "/store/r/")]
            detail = []
            if r != want:
                detail.append("got %s %s" % r)
            if bad_new:
                detail.append("created outside the layout: %s" % bad_new[:3])
            if accept and isinstance(jti, str):
                if [n.rsplit("/", 1)[1] for n in newrec] != [record_name(jti)]:
                    detail.append("record %s, expected %s" % (newrec,
                                                              record_name(jti)))
            elif newrec:
                detail.append("a rejected token left %s" % newrec)
            if os.listdir(self.p("cwd")) or any(
                    os.path.lexists(o) for o in outside[:2]):
                detail.append("something appeared outside the store")
            self.ok("hostile jti %s: %s" % (label, "accepted once" if accept
                                            else "PAM_AUTH_ERR, nothing kept"),
                    not detail, "; ".join(detail))
        names = self.records(store)
        self.ok("hostile: every record name is 64 hex characters (%d)" %
                len(names), all(HEX64.match(n) for n in names))

    # ---- magic link example ----------------------------------------------
    def t_magic(self):
        script = os.path.join(EXAMPLE, "magic-link")
        if not os.path.exists(script):
            self.ok("magic: %s exists" % script, False)
            return
        d = self.p("magic")
        os.mkdir(d, 0o700)
        secret = os.path.join(d, "pam_jwt-magic.secret")
        if os.access(self.p("tool", "pamjwt"), os.X_OK):
            # as the README does it
            r = subprocess.run([self.p("tool", "pamjwt"), "keygen", "--alg",
                                "HS256", "--out",
                                os.path.join(d, "pam_jwt-magic")],
                               capture_output=True, text=True)
            self.ok("magic: pamjwt keygen --alg HS256 makes the secret",
                    r.returncode == 0 and os.path.exists(secret),
                    r.stderr[-300:])
        if not os.path.exists(secret):
            fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, secrets.token_urlsafe(64).encode() + b"\n")
            os.close(fd)
        store = os.path.join(d, "replay")
        conf = os.path.join(d, "pam_jwt.conf")
        with open(os.path.join(EXAMPLE, "pam_jwt.conf")) as f:
            text = f.read()
        for a, b in (("/etc/security/pam_jwt-magic.secret", secret),
                     ("/var/lib/pam_jwt/replay", store)):
            if a not in text:
                self.ok("magic: the example config names %s" % a, False)
                return
            text = text.replace(a, b)
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, 0o644)
        confdir = os.path.join(d, "pam.d")
        os.mkdir(confdir)
        with open(os.path.join(EXAMPLE, "pam.d-sshd")) as f:
            snippet = f.read()
        # the module by path, the config in the temp dir, and pam_unix
        # (the password fallback, which fails for these nss_wrapper users)
        # without its two-second fail delay; the rest as shipped
        snippet = re.sub(r"(?m)^(auth\s+\S+\s+)pam_jwt\.so",
                         lambda m: m.group(1) + self.module, snippet)
        snippet = snippet.replace("/etc/security/pam_jwt.conf", conf)
        snippet = re.sub(r"(?m)^(auth\s.*pam_unix\.so.*)$", r"\1 nodelay",
                         snippet)
        if self.module not in snippet or conf not in snippet:
            self.ok("magic: the pam.d snippet has the module line", False,
                    snippet)
            return
        with open(os.path.join(confdir, "sshd"), "w") as f:
            f.write(snippet)
        host = "host.example.com"

        def issue(backend, *extra):
            env = dict(os.environ)
            if backend == "pamjwt":
                env["PATH"] = self.p("tool") + ":" + env.get("PATH", "")
            r = subprocess.run(["sh", script, "--backend", backend, "--secret",
                                secret, "--host", host, *extra, "alice"],
                               capture_output=True, text=True, env=env)
            toks = re.findall(r"(?m)^\s*(eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+"
                              r"\.[A-Za-z0-9_\-]+)\s*$", r.stdout)
            return r, (toks[0] if len(toks) == 1 else None)

        backends = ["python"]
        if self.args.san:
            self.skip("magic: issuer script with `pamjwt mint`",
                      "checked in the plain build (the module is the same)")
        elif os.access(self.p("tool", "pamjwt"), os.X_OK):
            backends.append("pamjwt")
        else:
            self.skip("magic: issuer script with `pamjwt mint`",
                      "%s/pamjwt is not built yet" % self.build)
        for be in backends:
            r, tok = issue(be)
            if not self.ok("magic (%s): the script prints one token and how "
                           "to use it" % be,
                           r.returncode == 0 and tok is not None and
                           "ssh alice@" + host in r.stdout and
                           "Token:" in r.stdout and "askpass" in r.stdout,
                           "rc %d out %r err %r" % (r.returncode,
                                                    r.stdout[-400:],
                                                    r.stderr[-400:])):
                continue
            c = jwt.decode(tok, options={"verify_signature": False})
            h = jwt.get_unverified_header(tok)
            self.ok("magic (%s): HS256, sub alice, aud %s, jti random, "
                    "lifetime 300 s" % (be, host),
                    h.get("alg") == "HS256" and c.get("sub") == "alice" and
                    c.get("aud") in (host, [host]) and
                    isinstance(c.get("jti"), str) and len(c["jti"]) >= 16 and
                    abs(c["exp"] - int(time.time()) - 300) <= 5 and
                    c.get("iss") == "magic-link", "%s %s" % (h, c))
            if be == "pamjwt":
                # the README's check of a link that does not use it up
                v = subprocess.run(
                    [self.p("tool", "pamjwt"), "verify", "--config", conf,
                     "--service", "sshd", "--user", "alice", "--dry-run", "-"],
                    input=tok + "\n", capture_output=True, text=True,
                    env=dict(self.env, TMPDIR=self.p("cwd")))
                self.ok("magic (pamjwt): `pamjwt verify --dry-run` with the "
                        "example config accepts the link (exit %d)"
                        % v.returncode, v.returncode == 0,
                        (v.stdout + v.stderr)[-300:])
            res = (self.auth("sshd", tok, confdir=confdir),
                   self.auth("sshd", tok, confdir=confdir))
            self.ok("magic (%s): through the example config and pam.d "
                    "snippet: accepted once, then refused" % be,
                    res == ("PAM_SUCCESS", "PAM_AUTH_ERR"), str(res))
            _, tok2 = issue(be)
            res = self.auth("sshd", tok2, user="bob", confdir=confdir)
            self.ok("magic (%s): a link for alice does not log in bob" % be,
                    res == "PAM_AUTH_ERR", res)
            _, tok3 = issue(be, "--aud", "other.example.com")
            res = self.auth("sshd", tok3, confdir=confdir)
            self.ok("magic (%s): a link for another host is refused" % be,
                    res == "PAM_AUTH_ERR", res)
            _, tok4 = issue(be, "--ttl", "3600")
            res = self.auth("sshd", tok4, confdir=confdir)
            self.ok("magic (%s): an hour-long link is refused (max_ttl=300)"
                    % be, res == "PAM_AUTH_ERR", res)
            if tok2:
                c2 = jwt.decode(tok2, options={"verify_signature": False})
                self.ok("magic (%s): two links have different jtis" % be,
                        c2["jti"] != c["jti"])
        r = subprocess.run(["sh", script, "--backend", "python", "--secret",
                            secret, "--host", host, "--quiet", "alice"],
                           capture_output=True, text=True)
        tq = r.stdout.strip()
        self.ok("magic: --quiet prints the bare token",
                r.returncode == 0 and re.match(r"^eyJ[\w-]+\.[\w-]+\.[\w-]+$", tq)
                is not None, repr(r.stdout[:200]))
        r = subprocess.run(["sh", script, "--backend", "python", "--secret",
                            os.path.join(d, "missing"), "alice"],
                           capture_output=True, text=True)
        self.ok("magic: a missing secret file is an error (exit != 0, no "
                "token)", r.returncode != 0 and "eyJ" not in r.stdout,
                r.stdout + r.stderr)

    def run(self):
        for part in ("basic", "race", "fault", "prune", "hostile", "magic"):
            if self.filter is not None and not self.filter.search(part) and \
                    part != "fault":
                continue
            t0 = time.monotonic()
            try:
                getattr(self, "t_" + part)()
            except Exception as e:  # noqa: BLE001
                import traceback
                traceback.print_exc()
                self.ok("%s: ran to the end" % part, False, repr(e))
            self.info("%s took %.1f s" % (part, time.monotonic() - t0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--san", action="store_true")
    ap.add_argument("-k", "--only", dest="k",
                    help="only the parts/cases matching this regex "
                    "(make check-replay ONLY=REGEX)")
    ap.add_argument("-v", action="store_true", help="timings of each race")
    args = ap.parse_args()
    if os.geteuid() == 0 and os.environ.get(NS_FLAG) != "1" and \
            shutil.which("unshare") and subprocess.run(
                ["unshare", "--mount", "--propagation", "private", "true"],
                capture_output=True).returncode == 0:
        env = dict(os.environ)
        env[NS_FLAG] = "1"
        os.execvpe("unshare", ["unshare", "--mount", "--propagation",
                               "private", "--", sys.executable,
                               os.path.abspath(__file__)] + sys.argv[1:], env)
    for f in ("pam_jwt.so", "pam_driver"):
        if not os.path.exists(os.path.join(args.build, f)):
            print("replay: %s/%s missing (make module %s/pam_driver)"
                  % (args.build, f, args.build))
            sys.exit(2)
    s = Suite(args)
    if not s.root:
        print("SKIP (not root): the mount, chown and chattr cases")
    elif not s.in_ns:
        print("SKIP (no private mount namespace): the mount cases")
    t0 = time.monotonic()
    try:
        s.run()
    finally:
        s.cleanup()
    if s.skipped:
        print("replay: %d skipped" % s.skipped)
    print("replay: %.1f s" % (time.monotonic() - t0))
    if s.failed:
        print("replay: failed: " + "; ".join(s.failed))
    none = pjtest.only_matched_nothing("replay", args.k,
                                       s.passed + len(s.failed))
    print("replay: %d passed, %d failed" % (s.passed, len(s.failed)))
    sys.exit(1 if s.failed or none else 0)


if __name__ == "__main__":
    main()
