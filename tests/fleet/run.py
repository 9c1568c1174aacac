#!/usr/bin/python3
"""Fleet scale (pam_jwt.conf(5), Fleet and Revocation) through the real libpam.

    /usr/bin/python3 tests/fleet/run.py --build DIR [--san] [--only REGEX]

A real redis-server (Debian's package) is started by the suite on
127.0.0.1 with a free port, its own directory, no persistence, the default
user switched off and two ACL users of its own (a narrow one for the hosts,
an admin one for the suite's own commands); it is stopped by PID.  Two
"hosts" are two PAM services with their own config files (different
leeways), each pam_authenticate a separate process (DIR/pam_driver, as in
tests/replay); accounts come from nss_wrapper, log lines from pam_wrapper.

What is covered:
  store      first use PAM_SUCCESS on one host, the same token on the
             other PAM_AUTH_ERR; the record's key is PREFIX u:<64 hex>
             (no token value in a key name), it lives until exp + 86400;
             redis_prefix; SELECT of the URL's db; a token without jti
  race       64 processes, alternately host 1 and host 2, one token at the
             same instant: exactly one PAM_SUCCESS, 63 PAM_AUTH_ERR; 64
             different tokens at once: all PAM_SUCCESS
  down       Redis killed in the middle of a run of logins: every login
             after it PAM_AUTHINFO_UNAVAIL (none accepted); 16 processes
             waiting at the prompt when it dies: none accepted; nothing
             listening at all
  stall      CLIENT PAUSE (ALL, and WRITE only) and DEBUG SLEEP: the module
             gives up after redis_timeout with PAM_AUTHINFO_UNAVAIL while
             Redis is still stalled, and says so in its log line
  auth       a wrong password and an unknown user: PAM_AUTHINFO_UNAVAIL with
             one log line naming WRONGPASS, the password nowhere in it;
             an unsafe credentials file; credentials in the URL refused
  protocol   a fake server (Python, 127.0.0.1) answering errors, replies
             of the wrong type or count, a value that is no number, another
             protocol, nothing, or a reply a byte at a time (each within
             redis_timeout, the whole not): PAM_AUTHINFO_UNAVAIL with the reason in
             one log line; answering as Redis does: PAM_SUCCESS
  unix       redis+unix:///PATH?db=N: once, then refused
  tunnel     stunnel4 (Debian's) as a local TLS tunnel: host -> client
             stunnel (127.0.0.1, plain) -> TLS -> server stunnel -> Redis;
             accepted once, replay refused; the TLS port speaks no plain
             Redis
  revoke     revoked_file: a revoked jti, a subject revoked before T (older
             refused, newer accepted, no iat refused), a revoked kid
             (another kid accepted), unrevoke, entries kept forever by
             default, lapsed entries still refusing (a 3-year token revoked
             by sub) and dropped by the tool, 16 concurrent revokes all kept, owner and mode
             kept; missing, corrupt (garbage, cut last line, bad
             encoding), unsafe (group-writable) file: PAM_AUTHINFO_UNAVAIL
  redisrev   `pamjwt revoke --redis` on host 1's side: host 2 refuses the
             token right after (jti, sub before T, kid); unrevoke lets it
             in again; pamjwt verify --dry-run reads the revocations and
             records nothing
  keykid     a JWKS whose one key has kid K: a token without kid that K
             verifies is refused once K is revoked (file and Redis)
  nolib      libhiredis is opened only when Redis is used (LD_DEBUG=files:
             not by a host without Redis, by pam_jwt.so for a Redis
             host); a host where libhiredis.so.0.14 cannot be loaded
             (DIR/fleet/no_hiredis.so preloaded): a Redis store and a
             Redis revocation source PAM_AUTHINFO_UNAVAIL with one log
             line naming the library, nothing recorded; a host without
             Redis still PAM_SUCCESS
  sshd       (root) two hosts that are two network namespaces, each with
             its own sshd on 127.0.0.1:2222 and PAM service, in a private
             mount namespace (overlays on /etc, /var/log, /var/lib,
             /var/mail: the test user exists only there), sharing Redis
             over its unix socket: a token logs in over ssh on host 1 and
             is refused on host 2; 8 ssh logins of one token at once on
             both: exactly one; pamjwt revoke --redis --kid: host 2
             refuses; afterwards the host has no such user

Prints one line per case and finally "fleet: N passed, M failed"; exits 1
on any failure, 2 if it cannot run at all.
"""

import argparse
import glob
import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import pjtest  # noqa: E402

try:
    import jwt  # PyJWT (python3-jwt)
except ImportError:
    print("fleet: PyJWT missing (apt-get install python3-jwt)")
    sys.exit(2)

LEEWAY_MAX = 86400
ISS = "https://issuer.example"
SYSLOG_RE = re.compile(r"SYSLOG\((\d)\): (.*)")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def redis_key(prefix, kind, a, b):
    """lib/redis.c pj_redis_key: BLAKE2b-256 of kind, 1 (a present), the
    length of a as 8 bytes little-endian, a, b."""
    a = a.encode() if isinstance(a, str) else a
    b = b.encode() if isinstance(b, str) else (b or b"")
    h = hashlib.blake2b(digest_size=32)
    h.update(kind.encode() + b"\1" + struct.pack("<Q", len(a)) + a + b)
    return "%s%s:%s" % (prefix, kind, h.hexdigest())


def wait_port(port, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Redis:
    """A redis-server of the suite's own: started here, stopped by PID."""

    def __init__(self, tmp, name, unixsocket=False):
        self.dir = os.path.join(tmp, "redis-" + name)
        os.mkdir(self.dir, 0o700)
        self.port = free_port()
        self.user = "pamjwt"
        self.password = secrets.token_hex(16)
        self.admin_password = secrets.token_hex(16)
        self.revoker_password = secrets.token_hex(16)
        self.sock = os.path.join(self.dir, "redis.sock") if unixsocket else None
        conf = ["bind 127.0.0.1", "port %d" % self.port,
                "dir %s" % self.dir, "daemonize no", 'save ""',
                "appendonly no", "protected-mode yes",
                "enable-debug-command yes",
                "logfile %s" % os.path.join(self.dir, "log"),
                "user default off",
                # the hosts: their own keys, only the commands the module
                # uses (pam_jwt.conf(5)); the revoker: what pamjwt revoke
                # uses besides
                "user %s on >%s ~pam_jwt:* ~fleet2:* resetchannels -@all "
                "+set +mget +select" % (self.user, self.password),
                "user revoker on >%s ~pam_jwt:* resetchannels -@all "
                "+set +mget +select +get +eval +del" % self.revoker_password,
                "user admin on >%s ~* &* +@all" % self.admin_password]
        if self.sock:
            conf += ["unixsocket %s" % self.sock, "unixsocketperm 700"]
        self.conf = pjtest.write(os.path.join(self.dir, "redis.conf"),
                                 "\n".join(conf) + "\n", 0o600)
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["redis-server", self.conf],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        if not wait_port(self.port):
            raise RuntimeError("redis-server did not start: " + open(
                os.path.join(self.dir, "log")).read()[-500:])
        return self

    def stop(self, sig=signal.SIGTERM):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cli(self, *args, timeout=20):
        r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p",
                            str(self.port), "--user", "admin", "--pass",
                            self.admin_password, "--no-auth-warning"] +
                           list(args), capture_output=True, text=True,
                           timeout=timeout)
        return r.stdout.strip()

    def auth_file(self, path, user=True, password=None):
        return pjtest.write(path, "%s%s\n" % (
            (self.user + " ") if user else "", password or self.password),
            0o600)


class Suite:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.tmp = pjtest.tempdir("pam_jwt-fleet.")
        self.filter = re.compile(args.only) if args.only else None
        self.passed = 0
        self.failed = []
        self.skipped = 0
        self.procs = []      # helpers to stop by PID at the end
        self.redis = []
        # a private copy of what is tested (see tests/replay/run.py)
        os.mkdir(self.p("bin"))
        for f in ("pam_jwt.so", "pam_driver", "pamjwt"):
            shutil.copy2(os.path.join(self.build, f), self.p("bin", f))
        self.module = self.p("bin", "pam_jwt.so")
        self.driver = self.p("bin", "pam_driver")
        self.tool = self.p("bin", "pamjwt")
        self.pamd = self.p("pam.d")
        os.mkdir(self.pamd)
        accounts = pjtest.nss_files(
            self.tmp, "root:x:0:0:root:/root:/bin/sh\n"
                      "alice:x:1001:1001:Alice:/home/alice:/bin/sh\n"
                      "bob:x:1002:1002:Bob:/home/bob:/bin/sh\n")
        self.secret = secrets.token_urlsafe(48).encode()
        self.secret_file = pjtest.write(self.p("secret"), self.secret + b"\n",
                                        0o600)
        base = pjtest.minimal_env(TMPDIR=self.tmp)
        env = pjtest.nss_env(*accounts, san=args.san, base=base)
        wenv = pjtest.nss_env(*accounts, san=args.san, base=dict(
            base, PAM_WRAPPER="1", PAM_WRAPPER_SERVICE_DIR=self.pamd,
            PAM_WRAPPER_DEBUGLEVEL="2"), preload=["libpam_wrapper.so"])
        if args.san:
            for e in (env, wenv):
                e["ASAN_OPTIONS"] = ("detect_leaks=1:abort_on_error=0:"
                                     "exitcode=98:verify_asan_link_order=0")
                e["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
                e["PAM_WRAPPER_DISABLE_DEEPBIND"] = "1"
        self.env = env
        self.wenv = wenv
        self.tool_env = env
        self.nsvc = 0

    # ---- plumbing -----------------------------------------------------
    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

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

    def start_redis(self, name, unixsocket=False):
        r = Redis(self.tmp, name, unixsocket).start()
        self.redis.append(r)
        return r

    def host(self, name, lines, args=""):
        """A host: a config file of its own and a service using it."""
        conf = pjtest.write(self.p("%s.conf" % name),
                            "secret_file = %s\n%s\n" %
                            (self.secret_file, "\n".join(lines)), 0o644)
        with open(os.path.join(self.pamd, name), "w") as f:
            f.write("auth required %s config=%s %s\n" % (self.module, conf,
                                                          args))
        return name

    def redis_hosts(self, r, extra=(), url=None, auth=None, tag=""):
        """Two hosts sharing Redis r (single_use), different leeways."""
        self.nsvc += 1
        auth = auth or r.auth_file(self.p("redis-auth-%d" % self.nsvc))
        url = url or "redis://127.0.0.1:%d/3" % r.port
        common = ["single_use", "replay_cache = %s" % url,
                  "redis_auth_file = %s" % auth] + list(extra)
        h1 = self.host("h1-%d%s" % (self.nsvc, tag), ["leeway = 0"] + common)
        h2 = self.host("h2-%d%s" % (self.nsvc, tag), ["leeway = 60"] + common)
        return h1, h2

    def token(self, kid=None, **claims):
        now = int(time.time())
        c = {"sub": "alice", "iss": ISS, "iat": now, "exp": now + 300,
             "jti": secrets.token_hex(16)}
        for k, v in claims.items():
            if v is None:
                c.pop(k, None)
            else:
                c[k] = v
        headers = {"kid": kid} if kid else None
        return jwt.encode(c, self.secret, algorithm="HS256", headers=headers)

    def auth(self, service, answer, user="alice", timeout=120):
        r = subprocess.run([self.driver, self.pamd, service, user, answer],
                           env=self.env, cwd=self.tmp, capture_output=True,
                           text=True, errors="replace", timeout=timeout)
        m = re.search(r"result=(\S+)", r.stdout)
        if r.returncode not in (0, 1) or m is None:
            return "ERROR rc=%d %s %s" % (r.returncode, r.stdout.strip(),
                                          r.stderr.strip()[-2000:])
        return m.group(1)

    def auth_logged(self, service, answer, user="alice", netns=False,
                    env=None):
        """auth() under pam_wrapper: (result, [log lines of the module]).
        netns: in a network namespace of its own (nothing but a downed
        loopback), for a configuration naming an address outside
        127.0.0.0/8, so that a regression cannot reach it."""
        pre = ["unshare", "--net", "--"] if netns else []
        p = subprocess.Popen(pre + [self.driver, self.pamd, service, user, answer],
                             env=env or self.wenv, cwd=self.tmp,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, errors="replace")
        try:
            out, err = p.communicate(timeout=120)
        finally:
            for d in glob.glob("/tmp/pam.?"):
                try:
                    if int(open(os.path.join(d, "pid")).read().strip()
                           or 0) == p.pid:
                        shutil.rmtree(d, ignore_errors=True)
                except (OSError, ValueError):
                    pass
        m = re.search(r"result=(\S+)", out)
        logs = [m2.group(2) for m2 in map(SYSLOG_RE.search, err.splitlines())
                if m2 and "pam_init_handlers" not in m2.group(2)]
        return (m.group(1) if m else "ERROR %s" % err[-500:]), logs, out + err

    def pamjwt(self, *args, netns=False):
        """netns: in a network namespace of its own (as auth_logged), for
        arguments naming an address outside 127.0.0.0/8 or a host name, so
        that a regression cannot reach it."""
        pre = ["unshare", "--net", "--"] if netns else []
        r = subprocess.run(pre + [self.tool] + list(args), env=self.tool_env,
                           capture_output=True, text=True, timeout=60)
        return r.returncode, r.stdout + r.stderr

    def race(self, services, tokens, user="alice"):
        """len(tokens) drivers, services taken in turn; each waits at its
        prompt; when all wait, all are answered at once."""
        procs = []
        try:
            for i, _ in enumerate(tokens):
                procs.append(subprocess.Popen(
                    [self.driver, self.pamd, services[i % len(services)],
                     user, "-"], env=self.env, cwd=self.tmp,
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, bufsize=0))
            for p in procs:
                line = p.stderr.readline()
                if not line.startswith(b"prompt:"):
                    raise RuntimeError("no prompt: %r" % line)
            for p, t in zip(procs, tokens):
                os.write(p.stdin.fileno(), (t + "\n").encode())
            for p in procs:
                p.stdin.close()
                p.stdin = None
            out = []
            for p in procs:
                so, se = p.communicate(timeout=120)
                m = re.search(rb"result=(\S+)", so)
                out.append(m.group(1).decode() if m and p.returncode in (0, 1)
                           else "ERROR rc=%s %r" % (p.returncode, se[-300:]))
            return out
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()

    def cleanup(self):
        for r in self.redis:
            r.stop()
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.failed and os.environ.get("FLEET_KEEP"):
            print("INFO kept %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # ---- store ----------------------------------------------------------
    def t_store(self):
        r = self.start_redis("store")
        h1, h2 = self.redis_hosts(r)
        jti = "../../x y\"z"
        t = self.token(jti=jti)
        exp = int(jwt.decode(t, options={"verify_signature": False})["exp"])
        self.ok("store: first use on host 1: PAM_SUCCESS",
                self.auth(h1, t) == "PAM_SUCCESS")
        self.ok("store: the same token on host 2: PAM_AUTH_ERR",
                self.auth(h2, t) == "PAM_AUTH_ERR")
        self.ok("store: and again on host 1: PAM_AUTH_ERR",
                self.auth(h1, t) == "PAM_AUTH_ERR")
        key = redis_key("pam_jwt:", "u", ISS, jti)
        keys = r.cli("-n", "3", "--scan").split()
        self.ok("store: exactly one key, PREFIX u:<64 hex>, in db 3",
                keys == [key] and re.fullmatch(r"pam_jwt:u:[0-9a-f]{64}",
                                               keys[0]) is not None, repr(keys))
        val = r.cli("-n", "3", "GET", key)
        pttl = int(r.cli("-n", "3", "PTTL", key) or -2)
        want = (exp + LEEWAY_MAX - int(time.time())) * 1000
        self.ok("store: it holds exp + 86400 and lives until then "
                "(PTTL %d ms, about %d)" % (pttl, want),
                val == str(exp + LEEWAY_MAX) and
                want - 120000 <= pttl <= want + 1000, val)
        # a prefix of one's own
        h3 = self.host("h3-prefix", [
            "single_use", "replay_cache = redis://127.0.0.1:%d" % r.port,
            "redis_auth_file = %s" % r.auth_file(self.p("auth-prefix")),
            "redis_prefix = fleet2:"])
        t = self.token()
        self.ok("store: redis_prefix fleet2: first use PAM_SUCCESS, replay "
                "PAM_AUTH_ERR", self.auth(h3, t) == "PAM_SUCCESS" and
                self.auth(h3, t) == "PAM_AUTH_ERR")
        keys = r.cli("-n", "0", "--scan").split()
        self.ok("store: the key is under fleet2: in db 0",
                len(keys) == 1 and keys[0].startswith("fleet2:u:"), repr(keys))
        self.ok("store: a token without jti: PAM_AUTH_ERR",
                self.auth(h1, self.token(jti=None)) == "PAM_AUTH_ERR")
        res, logs, _ = self.auth_logged(h1, self.token(exp=int(time.time())
                                                       - 3600))
        self.ok("store: an expired token is refused before Redis is asked",
                res == "PAM_AUTH_ERR" and len(r.cli("-n", "3", "--scan")
                                              .split()) == 1, repr(logs))
        r.stop()

    # ---- race -----------------------------------------------------------
    def t_race(self):
        r = self.start_redis("race")
        h1, h2 = self.redis_hosts(r)
        n = 16 if self.args.san else 64
        for round_ in range(2 if not self.args.san else 1):
            t = self.token()
            res = self.race([h1, h2], [t] * n)
            self.ok("race %d: %d processes on 2 hosts, one token: exactly 1 "
                    "PAM_SUCCESS, %d PAM_AUTH_ERR" % (round_ + 1, n, n - 1),
                    res.count("PAM_SUCCESS") == 1 and
                    res.count("PAM_AUTH_ERR") == n - 1,
                    repr(sorted(set(res)))[:600])
        toks = [self.token() for _ in range(n)]
        res = self.race([h1, h2], toks)
        self.ok("race: %d different tokens at once on 2 hosts: all "
                "PAM_SUCCESS" % n, res.count("PAM_SUCCESS") == n,
                repr(sorted(set(res)))[:600])
        r.stop()

    # ---- down -----------------------------------------------------------
    def t_down(self):
        r = self.start_redis("down")
        h1, h2 = self.redis_hosts(r)
        results = []
        stop = threading.Event()

        def run():
            i = 0
            while not stop.is_set() and i < 400:
                t = self.token()
                up = r.proc is not None and r.proc.poll() is None
                results.append((up, self.auth((h1, h2)[i % 2], t)))
                i += 1
        th = threading.Thread(target=run)
        th.start()
        while len(results) < 8 and th.is_alive():
            time.sleep(0.02)
        pid = r.proc.pid
        r.stop(signal.SIGKILL)
        killed = len(results)
        time.sleep(0.5)
        while len(results) < killed + 12 and th.is_alive():
            time.sleep(0.05)
        stop.set()
        th.join()
        after = [x for up, x in results if not up]
        before = [x for up, x in results if up]
        self.ok("down: logins before Redis (pid %d) was killed: "
                "PAM_SUCCESS (%d)" % (pid, len(before)),
                len(before) >= 8 and
                all(x in ("PAM_SUCCESS", "PAM_AUTHINFO_UNAVAIL")
                    for x in before) and before[:8].count("PAM_SUCCESS") == 8,
                repr(before[:20]))
        self.ok("down: every login after: PAM_AUTHINFO_UNAVAIL, none "
                "accepted (%d)" % len(after), len(after) >= 10 and
                all(x == "PAM_AUTHINFO_UNAVAIL" for x in after),
                repr(sorted(set(after))))
        # processes waiting at the prompt when Redis dies
        r.start()
        procs_tokens = [self.token() for _ in range(16)]
        holder = {}

        def race():
            holder["res"] = self.race([h1, h2], procs_tokens)
        # the drivers prompt before they touch Redis: kill it, then answer
        th = threading.Thread(target=race)
        r.stop(signal.SIGKILL)
        th.start()
        th.join()
        res = holder.get("res", [])
        self.ok("down: 16 processes on 2 hosts answered after Redis died: "
                "all PAM_AUTHINFO_UNAVAIL", len(res) == 16 and
                all(x == "PAM_AUTHINFO_UNAVAIL" for x in res),
                repr(sorted(set(res))))
        res, logs, _ = self.auth_logged(h1, self.token())
        self.ok("down: nothing listening: PAM_AUTHINFO_UNAVAIL, one log line "
                "'cannot connect'", res == "PAM_AUTHINFO_UNAVAIL" and
                len(logs) == 1 and "cannot connect" in logs[0] and
                "Connection refused" in logs[0], repr(logs))

    # ---- stall ----------------------------------------------------------
    @staticmethod
    def answers(port):
        """True if the server answers a PING within 0.3 s (NOAUTH counts:
        the default user is off)."""
        try:
            s = socket.create_connection(("127.0.0.1", port), 1)
            s.settimeout(0.3)
            s.sendall(b"PING\r\n")
            return len(s.recv(64)) > 0
        except OSError:
            return False
        finally:
            try:
                s.close()
            except (OSError, UnboundLocalError):
                pass

    def stalled(self, r, label, stall_cmd, timeout_ms=400, stall_s=6,
                where=""):
        extra = ["redis_timeout = %d" % timeout_ms]
        h1, _ = self.redis_hosts(r, extra=extra,
                                 tag="-" + re.sub(r"\W", "_", label).lower())
        t = self.token()
        holder = {}

        def stall():
            holder["out"] = r.cli(*stall_cmd, timeout=stall_s + 20)
        th = None
        if stall_cmd[0] == "DEBUG":
            th = threading.Thread(target=stall)
            th.start()
            # until the server is asleep (a PING goes unanswered): bounded
            # by time, not by a number of tries (a loaded machine may take
            # long to start redis-cli), and never while its answer is back
            asleep = False
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and th.is_alive():
                if not self.answers(r.port):
                    asleep = True
                    break
                time.sleep(0.02)
            if not asleep:
                th.join()
                self.ok("stall %s: Redis went to sleep" % label, False,
                        repr(holder.get("out")))
                return
            t0 = time.monotonic()
        else:
            holder["out"] = r.cli(*stall_cmd)
            t0 = time.monotonic()
        res, logs, _ = self.auth_logged(h1, t)
        took = time.monotonic() - t0
        # "still stalled": DEBUG SLEEP's own client has not had its answer
        # yet; a pause has not reached its end (measured from when the
        # PAUSE was answered, not from how fast we are)
        still = th.is_alive() if th is not None else took < stall_s
        self.info("stall %s: the login returned after %.2f s (redis_timeout "
                  "%d ms; Redis stalled for %d s)" % (label, took, timeout_ms,
                                                     stall_s))
        # the login must come back while Redis is still stalled (it would
        # otherwise have waited for it)
        self.ok("stall %s: PAM_AUTHINFO_UNAVAIL while Redis is still stalled, "
                "one log line saying redis_timeout" % label,
                res == "PAM_AUTHINFO_UNAVAIL" and still and
                len(logs) == 1 and "redis_timeout (%d ms)" % timeout_ms
                in logs[0] and where in logs[0],
                "%s %.1fs %r" % (res, took, logs))
        # the stall ends by itself (a paused server may not even take
        # CLIENT UNPAUSE from a new connection)
        if th is not None:
            th.join()
        time.sleep(max(0.0, stall_s + 0.5 - (time.monotonic() - t0)))
        self.ok("stall %s: after the stall the same token is accepted once "
                "(nothing was recorded)" % label,
                self.auth(h1, t) == "PAM_SUCCESS" and
                self.auth(h1, t) == "PAM_AUTH_ERR")

    def t_stall(self):
        r = self.start_redis("stall")
        s = 15 if self.args.san else 6   # ASan processes start slowly
        self.stalled(r, "CLIENT PAUSE ALL", ["CLIENT", "PAUSE", str(s * 1000),
                                             "ALL"], stall_s=s)
        self.stalled(r, "CLIENT PAUSE WRITE", ["CLIENT", "PAUSE",
                                               str(s * 1000), "WRITE"],
                     stall_s=s, where="SET NX")
        self.stalled(r, "DEBUG SLEEP", ["DEBUG", "SLEEP", str(s)], stall_s=s)
        r.stop()

    # ---- auth -----------------------------------------------------------
    def t_auth(self):
        r = self.start_redis("auth")
        wrongpw = "wrong-" + secrets.token_hex(8)
        bad = r.auth_file(self.p("auth-wrong"), password=wrongpw)
        h1, _ = self.redis_hosts(r, auth=bad, tag="-wrong")
        t = self.token()
        res, logs, raw = self.auth_logged(h1, t)
        self.ok("auth: wrong password: PAM_AUTHINFO_UNAVAIL, one log line "
                "naming WRONGPASS and redis_auth_file",
                res == "PAM_AUTHINFO_UNAVAIL" and len(logs) == 1 and
                "WRONGPASS" in logs[0] and "redis_auth_file" in logs[0],
                repr(logs))
        self.ok("auth: the password appears nowhere in the output",
                wrongpw not in raw and r.password not in raw)
        nouser = pjtest.write(self.p("auth-nouser"), r.password + "\n", 0o600)
        h1b, _ = self.redis_hosts(r, auth=nouser, tag="-nouser")
        res, logs, _ = self.auth_logged(h1b, t)
        self.ok("auth: the password without its ACL user (the default user "
                "is off): PAM_AUTHINFO_UNAVAIL", res == "PAM_AUTHINFO_UNAVAIL"
                and len(logs) == 1 and "WRONGPASS" in logs[0], repr(logs))
        good = r.auth_file(self.p("auth-open"))
        os.chmod(good, 0o644)
        h1c, _ = self.redis_hosts(r, auth=good, tag="-open")
        res, logs, _ = self.auth_logged(h1c, t)
        self.ok("auth: a credentials file readable by others: "
                "PAM_AUTHINFO_UNAVAIL", res == "PAM_AUTHINFO_UNAVAIL" and
                len(logs) == 1 and "redis_auth_file" in logs[0], repr(logs))
        two = pjtest.write(self.p("auth-two"), "%s %s\nx\n" % (r.user,
                                                              r.password),
                           0o600)
        h1d, _ = self.redis_hosts(r, auth=two, tag="-two")
        self.ok("auth: a credentials file of two lines: PAM_AUTHINFO_UNAVAIL",
                self.auth(h1d, t) == "PAM_AUTHINFO_UNAVAIL")
        h1e, _ = self.redis_hosts(
            r, url="redis://%s:%s@127.0.0.1:%d" % (r.user, r.password,
                                                   r.port), tag="-url")
        res, logs, raw = self.auth_logged(h1e, t)
        self.ok("auth: credentials in the URL: PAM_SERVICE_ERR (a "
                "configuration error)", res == "PAM_SERVICE_ERR" and
                len(logs) == 1 and "redis_auth_file" in logs[0], repr(logs))
        h1f, _ = self.redis_hosts(r, url="redis://127.0.0.1:%d/99999" % r.port,
                                  tag="-db")
        self.ok("auth: db out of range: PAM_SERVICE_ERR",
                self.auth(h1f, t) == "PAM_SERVICE_ERR")
        self.ok("auth: nothing was recorded: the token still works once",
                self.auth(self.redis_hosts(r)[0], t) == "PAM_SUCCESS")
        r.stop()

    # ---- protocol: a server that answers what Redis would not ---------
    def t_protocol(self):
        import socketserver
        replies = {}

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                self.request.settimeout(10)
                while True:
                    try:
                        data = self.request.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    for cmd in (b"AUTH", b"SELECT", b"MGET", b"SET"):
                        if b"\r\n" + cmd + b"\r\n" in data:
                            rep = replies.get(cmd.decode())
                            if rep is None:
                                break      # never answers
                            try:
                                if isinstance(rep, tuple):
                                    # ("drip", bytes, gap): a byte at a time
                                    for i in range(len(rep[1])):
                                        time.sleep(rep[2])
                                        self.request.sendall(rep[1][i:i + 1])
                                else:
                                    self.request.sendall(rep)
                            except OSError:
                                return
                            break

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
        srv = Server(("127.0.0.1", 0), Handler)
        th = threading.Thread(target=srv.serve_forever, daemon=True)
        th.start()
        port = srv.server_address[1]
        auth = pjtest.write(self.p("auth-fake"), "u p\n", 0o600)
        h1, _ = self.redis_hosts(None, url="redis://127.0.0.1:%d/2" % port,
                                 auth=auth, extra=["redis_timeout = 500"],
                                 tag="-fake")
        ok_ = b"+OK\r\n"
        # the token has jti and sub but no kid: MGET asks for 2 keys
        NIL2 = b"*2\r\n$-1\r\n$-1\r\n"
        cases = [
            ("AUTH answered with an error", {"AUTH": b"-ERR nope\r\n"},
             "Redis answered ERR nope"),
            ("AUTH answered with a number", {"AUTH": b":1\r\n"},
             "unexpected answer"),
            ("SELECT refused", {"AUTH": ok_, "SELECT": b"-ERR DB index is out "
                                b"of range\r\n"}, "SELECT"),
            ("MGET answered +OK", {"AUTH": ok_, "SELECT": ok_, "MGET": ok_},
             "MGET: unexpected answer"),
            ("MGET with too many values", {"AUTH": ok_, "SELECT": ok_,
                                           "MGET": b"*3\r\n$-1\r\n$-1\r\n"
                                                   b"$-1\r\n"},
             "MGET: unexpected answer"),
            ("MGET with a value that is no number",
             {"AUTH": ok_, "SELECT": ok_,
              "MGET": b"*2\r\n$-1\r\n$3\r\nabc\r\n"},
             "holds no number"),
            ("SET answered with a number", {
                "AUTH": ok_, "SELECT": ok_,
                "MGET": NIL2, "SET": b":1\r\n"},
             "SET NX: unexpected answer"),
            ("SET answered +QUEUED", {
                "AUTH": ok_, "SELECT": ok_,
                "MGET": NIL2,
                "SET": b"+QUEUED\r\n"}, "SET NX: unexpected answer"),
            ("not the Redis protocol", {"AUTH": b"HTTP/1.1 400 Bad\r\n\r\n"},
             "AUTH"),
            ("SET never answered", {
                "AUTH": ok_, "SELECT": ok_,
                "MGET": NIL2},
             "SET NX: no answer within redis_timeout (500 ms)"),
            ("nothing answered at all", {}, "AUTH"),
            # issue 18 F5: each byte within redis_timeout (500 ms), the
            # whole reply not (14 bytes, 200 ms apart): the deadline holds
            # across reads (without it: MGET read, SET +OK, PAM_SUCCESS)
            ("MGET answered a byte at a time", {
                "AUTH": ok_, "SELECT": ok_, "MGET": ("drip", NIL2, 0.2),
                "SET": ok_},
             "MGET: no answer within redis_timeout (500 ms)"),
        ]
        try:
            for label, rep, words in cases:
                replies.clear()
                replies.update(rep)
                res, logs, _ = self.auth_logged(h1, self.token())
                self.ok("protocol: %s: PAM_AUTHINFO_UNAVAIL, one log line "
                        "saying %r" % (label, words),
                        res == "PAM_AUTHINFO_UNAVAIL" and len(logs) == 1 and
                        words in logs[0], "%s %r" % (res, logs))
            # the same server answering like Redis: accepted (so the cases
            # above fail for the reason they name)
            replies.update({"AUTH": ok_, "SELECT": ok_, "MGET":
                            NIL2, "SET": ok_})
            self.ok("protocol: the same server answering as Redis does: "
                    "PAM_SUCCESS", self.auth(h1, self.token()) ==
                    "PAM_SUCCESS")
            # issue 18 F4, F5: localhost is 127.0.0.1 (no lookup); a name
            # or a non-loopback address is a configuration error (nothing
            # is connected to)
            hl, _ = self.redis_hosts(None, url="redis://localhost:%d/2" % port,
                                     auth=auth, tag="-localhost")
            self.ok("protocol: redis://localhost:PORT: PAM_SUCCESS",
                    self.auth(hl, self.token()) == "PAM_SUCCESS")
            for label, url, extra, words in (
                    ("a non-loopback address", "redis://10.255.255.1:6379",
                     [], "not a loopback address"),
                    ("a host name", "redis://redis.invalid:6379",
                     ["redis_insecure_network"], "names a host")):
                if os.geteuid() != 0:
                    self.skip("protocol: replay_cache at %s" % label,
                              "needs root (a network namespace, so that "
                              "nothing outside 127.0.0.0/8 can be reached)")
                    continue
                hb, _ = self.redis_hosts(None, url=url, auth=auth,
                                         extra=extra, tag="-bad%d" % len(url))
                res, logs, _ = self.auth_logged(hb, self.token(), netns=True)
                self.ok("protocol: replay_cache at %s: PAM_SERVICE_ERR, log "
                        "line saying %r" % (label, words),
                        res == "PAM_SERVICE_ERR" and any(
                            words in x for x in logs), "%s %r" % (res, logs))
        finally:
            srv.shutdown()
            srv.server_close()

    # ---- unix -----------------------------------------------------------
    def t_unix(self):
        r = self.start_redis("unix", unixsocket=True)
        h1, h2 = self.redis_hosts(r, url="redis+unix://%s?db=2" % r.sock)
        t = self.token()
        self.ok("unix: redis+unix:// socket: host 1 PAM_SUCCESS, host 2 "
                "PAM_AUTH_ERR", self.auth(h1, t) == "PAM_SUCCESS" and
                self.auth(h2, t) == "PAM_AUTH_ERR")
        keys = r.cli("-n", "2", "--scan").split()
        self.ok("unix: the record is in db 2", len(keys) == 1, repr(keys))
        r.stop()

    # ---- tunnel ---------------------------------------------------------
    def t_tunnel(self):
        stunnel = shutil.which("stunnel4") or shutil.which("stunnel")
        if stunnel is None:
            self.ok("tunnel: stunnel4 installed (apt-get install stunnel4)",
                    False)
            return
        r = self.start_redis("tunnel")
        d = self.p("stunnel")
        os.mkdir(d, 0o700)
        key, crt = os.path.join(d, "server.key"), os.path.join(d, "server.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                        "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", key, "-out", crt, "-days", "2", "-subj",
                        "/CN=redis.fleet.test", "-addext",
                        "subjectAltName=DNS:redis.fleet.test"],
                       check=True, capture_output=True)
        tls_port, plain_port = free_port(), free_port()
        server = pjtest.write(os.path.join(d, "server.conf"), "\n".join([
            "foreground = yes", "pid =", "syslog = no",
            "output = %s/server.log" % d, "debug = info",
            "[redis-tls]", "accept = 127.0.0.1:%d" % tls_port,
            "connect = 127.0.0.1:%d" % r.port, "cert = %s" % crt,
            "key = %s" % key, "sslVersionMin = TLSv1.3"]) + "\n", 0o600)
        client = pjtest.write(os.path.join(d, "client.conf"), "\n".join([
            "foreground = yes", "pid =", "syslog = no",
            "output = %s/client.log" % d, "debug = notice",
            "[redis]", "client = yes", "accept = 127.0.0.1:%d" % plain_port,
            "connect = 127.0.0.1:%d" % tls_port, "CAfile = %s" % crt,
            "verifyChain = yes", "checkHost = redis.fleet.test",
            "sslVersionMin = TLSv1.3"]) + "\n", 0o600)
        ps = []
        for conf in (server, client):
            p = subprocess.Popen([stunnel, conf], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            self.procs.append(p)
            ps.append(p)
        up = wait_port(tls_port) and wait_port(plain_port)
        self.ok("tunnel: two stunnel processes listen (TLS %d, local %d)" %
                (tls_port, plain_port), up)
        h1, h2 = self.redis_hosts(
            r, url="redis://127.0.0.1:%d/1" % plain_port, tag="-tls")
        t = self.token()
        self.ok("tunnel: through the TLS tunnel: host 1 PAM_SUCCESS, host 2 "
                "PAM_AUTH_ERR", self.auth(h1, t) == "PAM_SUCCESS" and
                self.auth(h2, t) == "PAM_AUTH_ERR")
        keys = r.cli("-n", "1", "--scan").split()
        self.ok("tunnel: the record reached Redis (db 1)", len(keys) == 1,
                repr(keys))
        log = open(os.path.join(d, "server.log"), errors="replace").read()
        self.ok("tunnel: the server side saw a TLS 1.3 connection",
                "TLSv1.3" in log, log[-400:])
        h1x, _ = self.redis_hosts(
            r, url="redis://127.0.0.1:%d/1" % tls_port, tag="-plain")
        self.ok("tunnel: plain Redis protocol on the TLS port: "
                "PAM_AUTHINFO_UNAVAIL", self.auth(h1x, self.token()) ==
                "PAM_AUTHINFO_UNAVAIL")
        for p in ps:
            p.terminate()
            p.wait(timeout=10)
        self.ok("tunnel: tunnel stopped: PAM_AUTHINFO_UNAVAIL",
                self.auth(h1, self.token()) == "PAM_AUTHINFO_UNAVAIL")
        r.stop()

    # ---- revoke (file) --------------------------------------------------
    def t_revoke(self):
        d = self.p("revdir")
        os.mkdir(d, 0o755)
        rf = os.path.join(d, "revoked")
        pjtest.write(rf, "", 0o644)
        h = self.host("rev", ["revoked_file = %s" % rf])
        now = int(time.time())
        t = self.token()
        jti = jwt.decode(t, options={"verify_signature": False})["jti"]
        self.ok("revoke: an empty revocation file: PAM_SUCCESS",
                self.auth(h, t) == "PAM_SUCCESS")
        res, logs, _ = self.auth_logged(h, self.token(iss=None))
        self.ok("revoke: a token without iss: PAM_AUTH_ERR, log line 'no "
                "iss: revocation cannot be checked'", res == "PAM_AUTH_ERR"
                and len(logs) == 1 and "no iss: revocation cannot be checked"
                in logs[0], repr(logs))
        rc, out = self.pamjwt("revoke", "--file", rf, "--iss", ISS, "--jti",
                              jti)
        self.ok("revoke: pamjwt revoke --iss --jti: exit 0", rc == 0, out)
        res, logs, _ = self.auth_logged(h, t)
        self.ok("revoke: the revoked jti: PAM_AUTH_ERR, one log line 'token "
                "revoked'", res == "PAM_AUTH_ERR" and len(logs) == 1 and
                "token revoked" in logs[0] and "(iss, jti)" in logs[0],
                repr(logs))
        self.ok("revoke: another jti: PAM_SUCCESS",
                self.auth(h, self.token()) == "PAM_SUCCESS")
        self.ok("revoke: the same jti from another issuer: PAM_SUCCESS",
                self.auth(h, self.token(jti=jti, iss="https://other"))
                == "PAM_SUCCESS")
        # subject before T
        old = self.token(iat=now - 100)
        new = self.token(iat=now)
        rc, out = self.pamjwt("revoke", "--file", rf, "--iss", ISS, "--sub",
                              "alice", "--before", str(now - 50))
        self.ok("revoke: pamjwt revoke --iss --sub --before T: exit 0",
                rc == 0, out)
        self.ok("revoke: alice's token issued before T: PAM_AUTH_ERR",
                self.auth(h, old) == "PAM_AUTH_ERR")
        self.ok("revoke: alice's token issued after T: PAM_SUCCESS",
                self.auth(h, new) == "PAM_SUCCESS")
        self.ok("revoke: alice's token without iat: PAM_AUTH_ERR",
                self.auth(h, self.token(iat=None)) == "PAM_AUTH_ERR")
        self.ok("revoke: bob's old token: PAM_SUCCESS",
                self.auth(h, self.token(sub="bob", iat=now - 100), "bob")
                == "PAM_SUCCESS")
        # kid
        rc, out = self.pamjwt("revoke", "--file", rf, "--kid", "k-leaked")
        self.ok("revoke: pamjwt revoke --kid: exit 0", rc == 0, out)
        self.ok("revoke: a token naming the revoked kid: PAM_AUTH_ERR",
                self.auth(h, self.token(kid="k-leaked")) == "PAM_AUTH_ERR")
        self.ok("revoke: a token naming another kid: PAM_SUCCESS",
                self.auth(h, self.token(kid="k-current")) == "PAM_SUCCESS")
        rc, out = self.pamjwt("unrevoke", "--file", rf, "--kid", "k-leaked")
        self.ok("revoke: unrevoke --kid: the kid's tokens PAM_SUCCESS again",
                rc == 0 and self.auth(h, self.token(kid="k-leaked")) ==
                "PAM_SUCCESS", out)
        text = open(rf).read()
        lines = [x for x in text.splitlines() if x and not x.startswith("#")]
        self.ok("revoke: the file holds the jti and the sub entry, nothing "
                "else", len(lines) == 2 and lines[0].startswith("jti ") and
                lines[1].startswith("sub "), text)
        self.ok("revoke: without --exp, --max-ttl or --until both are kept "
                "forever (UNTIL 0)", len(lines) == 2 and
                lines[0].split(" ")[1] == "0" and
                lines[1].split(" ")[1] == "0", text)
        # lapsed entries still refuse every token that could be accepted
        # (issue 18 F2); the next rewrite drops them
        year = 366 * 86400
        with open(rf, "a") as f:
            f.write("jti %d %s stale\nkid %d old-key\nsub %d %s bob %d\n" %
                    (now - 10, ISS, now - 10, now - 10, ISS, now - 20))
        self.ok("revoke: lapsed entries still apply to tokens whose exp + "
                "86400 is after them: PAM_AUTH_ERR",
                self.auth(h, self.token(jti="stale")) == "PAM_AUTH_ERR" and
                self.auth(h, self.token(kid="old-key")) == "PAM_AUTH_ERR")
        self.ok("revoke: a 3-year token of a subject revoked by a lapsed sub "
                "entry: PAM_AUTH_ERR", self.auth(h, self.token(
                    sub="bob", iat=now - 100, exp=now + 3 * year), "bob") ==
                "PAM_AUTH_ERR")
        self.ok("revoke: ... a token of that subject issued after: "
                "PAM_SUCCESS", self.auth(h, self.token(
                    sub="bob", exp=now + 3 * year), "bob") == "PAM_SUCCESS")
        rc, out = self.pamjwt("revoke", "--file", rf, "--iss", ISS, "--jti",
                              "x1", "--exp", str(now + 60))
        text = open(rf).read()
        self.ok("revoke: the next revoke drops them (3 expired dropped); "
                "--exp sets UNTIL to exp + 86400",
                rc == 0 and "3 expired dropped" in out and
                "stale" not in text and "old-key" not in text and
                "jti %d %s x1\n" % (now + 60 + LEEWAY_MAX,
                                    ISS.replace("%", "%25")) in text, out)
        # owner and mode kept, concurrent revokes all kept
        os.chown(rf, 0, 4)
        os.chmod(rf, 0o640)
        procs = [subprocess.Popen([self.tool, "revoke", "--file", rf, "--iss",
                                   ISS, "--jti", "c%02d" % i],
                                  env=self.tool_env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
                 for i in range(16)]
        rcs = [p.wait(timeout=60) for p in procs]
        text = open(rf).read()
        st = os.stat(rf)
        self.ok("revoke: 16 concurrent pamjwt revoke: all exit 0, all 16 "
                "entries in the file", rcs == [0] * 16 and
                all(" c%02d\n" % i in text for i in range(16)), text[-500:])
        self.ok("revoke: owner, group and mode kept (0:4, 0640)",
                (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, 4, 0o640),
                repr((st.st_uid, st.st_gid, oct(st.st_mode))))
        self.ok("revoke: no temporary file left",
                sorted(os.listdir(d)) == ["revoked", "revoked.lock"],
                repr(os.listdir(d)))
        os.chmod(rf, 0o644)
        good = open(rf).read()
        # fail closed
        t = self.token()
        for label, content in (
                ("a garbage line", good + "garbage\n"),
                ("the last line cut (no newline)", good + "jti 0 x y"),
                ("a bad percent escape", good + "jti 0 %s a%%zz\n" % ISS),
                ("a field too many", good + "kid 0 a b\n"),
                ("two spaces", good + "kid  0 a\n"),
                ("UNTIL not a number", good + "kid never a\n")):
            pjtest.write(rf, content, 0o644)
            res, logs, _ = self.auth_logged(h, t)
            self.ok("revoke: corrupt file (%s): PAM_AUTHINFO_UNAVAIL, the "
                    "log line names the file and line" % label,
                    res == "PAM_AUTHINFO_UNAVAIL" and len(logs) == 1 and
                    "revoked_file" in logs[0] and rf + ":" in logs[0],
                    repr(logs))
        rc, out = self.pamjwt("revoke", "--file", rf, "--kid", "x")
        self.ok("revoke: pamjwt revoke refuses to rewrite a corrupt file "
                "(exit 1, file unchanged)", rc == 1 and open(rf).read() ==
                content, out)
        pjtest.write(rf, good, 0o664)
        self.ok("revoke: a group-writable file: PAM_AUTHINFO_UNAVAIL",
                self.auth(h, t) == "PAM_AUTHINFO_UNAVAIL")
        os.chmod(rf, 0o644)
        os.rename(rf, rf + ".away")
        res, logs, _ = self.auth_logged(h, t)
        self.ok("revoke: the named file missing: PAM_AUTHINFO_UNAVAIL",
                res == "PAM_AUTHINFO_UNAVAIL" and len(logs) == 1 and
                "revoked_file" in logs[0], repr(logs))
        os.mkdir(rf)
        self.ok("revoke: a directory in its place: PAM_AUTHINFO_UNAVAIL",
                self.auth(h, t) == "PAM_AUTHINFO_UNAVAIL")
        os.rmdir(rf)
        os.rename(rf + ".away", rf)
        self.ok("revoke: the file back: PAM_SUCCESS", self.auth(h, t) ==
                "PAM_SUCCESS")
        rc, out = self.pamjwt("revoke", "--file", rf, "--jti", "x")
        self.ok("revoke: --jti without --iss: usage error (exit 2)", rc == 2,
                out)
        gone = os.path.join(d, "never-made")
        rc, out = self.pamjwt("unrevoke", "--file", gone, "--kid", "x")
        self.ok("revoke: unrevoke on a missing file: exit 0, nothing "
                "created", rc == 0 and not os.path.exists(gone) and
                not os.path.exists(gone + ".lock"), out)
        r = subprocess.run([self.tool, "revoke", "--file", "rel-list",
                            "--kid", "k-rel"], env=self.tool_env, cwd=d,
                           capture_output=True, text=True, timeout=60)
        self.ok("revoke: a relative --file is taken from the current "
                "directory", r.returncode == 0 and "kid 0 k-rel\n" in
                open(os.path.join(d, "rel-list")).read(), r.stdout + r.stderr)
        rc, out = self.pamjwt("revoke", "--file", rf, "--kid", "a",
                              "--iss", ISS, "--jti", "b")
        self.ok("revoke: two kinds at once: usage error (exit 2)", rc == 2,
                out)

    # ---- revocation through Redis --------------------------------------
    def t_redisrev(self):
        r = self.start_redis("redisrev")
        auth = pjtest.write(self.p("auth-revoker"), "revoker %s\n" %
                            r.revoker_password, 0o600)
        url = "redis://127.0.0.1:%d/3" % r.port
        h1, h2 = self.redis_hosts(r)
        now = int(time.time())

        def revoke(*what, undo=False):
            return self.pamjwt("unrevoke" if undo else "revoke", "--redis",
                               url, "--auth-file", auth, *what)
        t = self.token()
        jti = jwt.decode(t, options={"verify_signature": False})["jti"]
        rc, out = revoke("--iss", ISS, "--jti", jti)
        self.ok("redisrev: pamjwt revoke --redis --iss --jti: exit 0",
                rc == 0, out)
        res, logs, _ = self.auth_logged(h2, t)
        self.ok("redisrev: host 2 right after: PAM_AUTH_ERR, log line "
                "'token revoked' naming Redis", res == "PAM_AUTH_ERR" and
                len(logs) == 1 and "token revoked" in logs[0] and "Redis" in
                logs[0], repr(logs))
        rc, out = revoke("--iss", ISS, "--jti", jti, undo=True)
        self.ok("redisrev: unrevoke: host 1 PAM_SUCCESS again",
                rc == 0 and self.auth(h1, t) == "PAM_SUCCESS", out)
        old, new = self.token(iat=now - 100), self.token(iat=now)
        rc, out = revoke("--iss", ISS, "--sub", "alice", "--before",
                         str(now - 50))
        self.ok("redisrev: sub before T: older PAM_AUTH_ERR on host 2, newer "
                "PAM_SUCCESS", rc == 0 and self.auth(h2, old) ==
                "PAM_AUTH_ERR" and self.auth(h2, new) == "PAM_SUCCESS", out)
        rc, out = revoke("--iss", ISS, "--sub", "alice", "--before",
                         str(now - 500))
        self.ok("redisrev: a lower --before does not undo a higher one",
                rc == 0 and self.auth(h1, self.token(iat=now - 100)) ==
                "PAM_AUTH_ERR", out)
        key = redis_key("pam_jwt:", "s", ISS, "alice")
        pttl = int(r.cli("-n", "3", "PTTL", key) or -2)
        self.ok("redisrev: the sub key never expires by default (PTTL -1)",
                pttl == -1 and r.cli("-n", "3", "GET", key) == str(now - 50),
                repr(pttl))
        rc, out = revoke("--iss", ISS, "--sub", "bob", "--before",
                         str(now), "--max-ttl", "3600")
        key = redis_key("pam_jwt:", "s", ISS, "bob")
        pttl = int(r.cli("-n", "3", "PTTL", key) or -2)
        self.ok("redisrev: with --max-ttl 3600 the sub key expires at T + "
                "3600 + 86400", rc == 0 and 0 < pttl <= (3600 + 86400) * 1000
                and pttl > (3600 + 86400 - 120) * 1000, repr(pttl) + out)
        rc, out = revoke("--kid", "k-leaked")
        self.ok("redisrev: kid revoked: host 2 PAM_AUTH_ERR, another kid "
                "PAM_SUCCESS", rc == 0 and self.auth(
                    h2, self.token(kid="k-leaked")) == "PAM_AUTH_ERR" and
                self.auth(h2, self.token(kid="k-ok")) == "PAM_SUCCESS", out)
        # pamjwt verify --dry-run against the shared store: revocations
        # read, nothing recorded
        conf2 = self.p("%s.conf" % h2)
        rc, out = self.pamjwt("verify", "--config", conf2, "--user", "alice",
                              "--dry-run", self.token(kid="k-leaked"))
        self.ok("redisrev: pamjwt verify --dry-run sees the Redis revocation "
                "(exit 1, token revoked)", rc == 1 and "token revoked" in out,
                out[-400:])
        t = self.token()
        rc, out = self.pamjwt("verify", "--config", conf2, "--user", "alice",
                              "--dry-run", t)
        self.ok("redisrev: pamjwt verify --dry-run accepts a good token "
                "without using it up", rc == 0 and self.auth(h1, t) ==
                "PAM_SUCCESS", out[-400:])
        # revocation checks run without single_use too
        h3 = self.host("h3-revonly", [
            "replay_cache = %s" % url,
            "redis_auth_file = %s" % r.auth_file(self.p("auth-revonly"))])
        self.ok("redisrev: without single_use the Redis revocations still "
                "apply", self.auth(h3, self.token(kid="k-leaked")) ==
                "PAM_AUTH_ERR" and self.auth(h3, self.token(kid="k-ok")) ==
                "PAM_SUCCESS")
        # the module's rule for the address (replay_cache): checked before
        # anything changes, the file included; nothing is connected to
        rvf = self.p("rv-where")
        for bad, words in (("redis://192.0.2.1:6379/3", "not a loopback address"),
                           ("redis://redis.invalid:6379/3", "names a host")):
            if os.geteuid() != 0:
                self.skip("redisrev: pamjwt revoke --redis %s" % bad,
                          "needs root (a network namespace, so that nothing "
                          "outside 127.0.0.0/8 can be reached)")
                continue
            rc, out = self.pamjwt("revoke", "--file", rvf, "--redis", bad,
                                  "--auth-file", auth, "--kid", "k-x",
                                  netns=True)
            self.ok("redisrev: pamjwt revoke --redis %s: exit 2 (%s), the "
                    "file untouched" % (bad, words), rc == 2 and words in out
                    and not os.path.exists(rvf), out)
        rc, out = self.pamjwt("revoke", "--file", rvf, "--insecure-network",
                              "--kid", "k-x")
        self.ok("redisrev: --insecure-network without --redis: exit 2",
                rc == 2 and "goes with --redis" in out and
                not os.path.exists(rvf), out)
        rc, out = revoke("--kid", "k-local")
        self.ok("redisrev: a loopback URL is taken as before", rc == 0, out)
        r.stop()
        self.ok("redisrev: Redis down: even without single_use, "
                "PAM_AUTHINFO_UNAVAIL (revocations cannot be checked)",
                self.auth(h3, self.token()) == "PAM_AUTHINFO_UNAVAIL")
        rc, out = revoke("--kid", "x")
        self.ok("redisrev: pamjwt revoke with Redis down: exit 1", rc == 1,
                out)

    # ---- nolib: libhiredis opened on demand, fail closed without it -----
    def t_nolib(self):
        shim = os.path.join(self.build, "fleet", "no_hiredis.so")
        if not os.path.exists(shim):
            self.ok("nolib: %s built (make check-fleet builds it)" % shim,
                    False)
            return
        r = self.start_redis("nolib")
        url = "redis://127.0.0.1:%d/3" % r.port
        h1, _ = self.redis_hosts(r, tag="-nolib")
        plain = self.host("plain-nolib", [])
        revonly = self.host("revonly-nolib", [
            "replay_cache = %s" % url,
            "redis_auth_file = %s" % r.auth_file(self.p("auth-nolib"))])

        def opened(service, token):
            # (result, whether pam_jwt.so dlopened libhiredis, whether the
            # loader named it at all)
            p = subprocess.run([self.driver, self.pamd, service, "alice",
                                token], env=dict(self.env, LD_DEBUG="files"),
                               cwd=self.tmp, capture_output=True, text=True,
                               errors="replace", timeout=120)
            m = re.search(r"result=(\S+)", p.stdout)
            # loaded by pam_jwt.so (by libasan under ASan, which wraps
            # dlopen); nothing else in the driver process loads it
            o = re.search(r"file=libhiredis\.so\.0\.14 \[\d+\];  "
                          r"dynamically loaded by \S*(pam_jwt\.so|libasan)",
                          p.stderr)
            return (m.group(1) if m else "ERROR"), bool(o), \
                "libhiredis" in p.stderr
        res, _, anywhere = opened(plain, self.token())
        self.ok("nolib: a host without Redis: PAM_SUCCESS, libhiredis never "
                "loaded", res == "PAM_SUCCESS" and not anywhere,
                "%s loaded=%s" % (res, anywhere))
        res, o, _ = opened(h1, self.token())
        self.ok("nolib: a Redis host: PAM_SUCCESS, libhiredis.so.0.14 "
                "dlopened by pam_jwt.so", res == "PAM_SUCCESS" and o,
                "%s dlopened=%s" % (res, o))
        wenv = dict(self.wenv)
        wenv["LD_PRELOAD"] = wenv["LD_PRELOAD"] + " " + shim
        want = "cannot load libhiredis.so.0.14, needed for a Redis store"
        t = self.token()
        res, logs, _ = self.auth_logged(h1, t, env=wenv)
        self.ok("nolib: no libhiredis, single_use on Redis: "
                "PAM_AUTHINFO_UNAVAIL, one log line naming the library",
                res == "PAM_AUTHINFO_UNAVAIL" and len(logs) == 1 and
                want in logs[0] and url in logs[0], "%s %r" % (res, logs))
        self.ok("nolib: ... and nothing was recorded: the same token then "
                "PAM_SUCCESS with the library", self.auth(h1, t) ==
                "PAM_SUCCESS")
        res, logs, _ = self.auth_logged(revonly, self.token(), env=wenv)
        self.ok("nolib: no libhiredis, Redis revocations only: "
                "PAM_AUTHINFO_UNAVAIL, one log line naming the library",
                res == "PAM_AUTHINFO_UNAVAIL" and len(logs) == 1 and
                want in logs[0], "%s %r" % (res, logs))
        res, logs, _ = self.auth_logged(plain, self.token(), env=wenv)
        self.ok("nolib: no libhiredis, a host without Redis: PAM_SUCCESS",
                res == "PAM_SUCCESS", "%s %r" % (res, logs))
        r.stop()

    # ---- keykid: a kid revocation names the key that verified ----------
    def t_keykid(self):
        """Issue 18 F1: a token WITHOUT kid is verified by the set's one
        key that fits its alg, even when that key has a kid; revoking that
        kid must refuse it (revoked_file and Redis)."""
        import base64
        k = base64.urlsafe_b64encode(self.secret).rstrip(b"=").decode()
        jwks = pjtest.write(self.p("kk.jwks"), (
            '{"keys":[{"kty":"oct","kid":"k-jwks","alg":"HS256","k":"%s"}]}'
            % k).encode(), 0o600)
        d = self.p("kkdir")
        os.mkdir(d, 0o755)
        rf = pjtest.write(os.path.join(d, "revoked"), "", 0o644)

        def jhost(name, lines):
            conf = pjtest.write(self.p("%s.conf" % name), "jwks_file = %s\n%s\n"
                                % (jwks, "\n".join(lines)), 0o644)
            with open(os.path.join(self.pamd, name), "w") as f:
                f.write("auth required %s config=%s\n" % (self.module, conf))
            return name
        h = jhost("kk-file", ["revoked_file = %s" % rf])
        self.ok("keykid: a token without kid, verified by JWKS key k-jwks: "
                "PAM_SUCCESS", self.auth(h, self.token()) == "PAM_SUCCESS")
        rc, out = self.pamjwt("revoke", "--file", rf, "--kid", "k-jwks")
        res, logs, _ = self.auth_logged(h, self.token())
        self.ok("keykid: k-jwks revoked in revoked_file: a token without kid "
                "signed by it PAM_AUTH_ERR ('its key id (kid) is revoked')",
                rc == 0 and res == "PAM_AUTH_ERR" and len(logs) == 1 and
                "kid) is revoked" in logs[0], out + repr(logs))
        r = self.start_redis("keykid")
        auth = pjtest.write(self.p("auth-kk-revoker"), "revoker %s\n" %
                            r.revoker_password, 0o600)
        url = "redis://127.0.0.1:%d/3" % r.port
        h2 = jhost("kk-redis", [
            "replay_cache = %s" % url,
            "redis_auth_file = %s" % r.auth_file(self.p("auth-kk"))])
        self.ok("keykid: Redis host, nothing revoked: PAM_SUCCESS",
                self.auth(h2, self.token()) == "PAM_SUCCESS")
        rc, out = self.pamjwt("revoke", "--redis", url, "--auth-file", auth,
                              "--kid", "k-jwks")
        self.ok("keykid: k-jwks revoked in Redis: a token without kid signed "
                "by it PAM_AUTH_ERR", rc == 0 and self.auth(h2, self.token())
                == "PAM_AUTH_ERR", out)
        r.stop()

    # ---- sshd: two hosts, each a network namespace with its own sshd -----
    def t_sshd(self):
        need = ("/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen",
                "/usr/bin/nsenter", "/usr/bin/unshare", "/usr/sbin/useradd",
                "/usr/sbin/ip", "/usr/bin/setpriv")
        if os.geteuid() != 0:
            self.skip("sshd", "needs root (namespaces, sshd, a user)")
            return
        if subprocess.run(["mountpoint", "-q", "/"]).returncode != 0:
            self.skip("sshd", "/ is not a mount point (a chroot?)")
            return
        missing = [x for x in need if not os.path.exists(x)]
        if missing:
            self.ok("sshd: programs present (%s)" % ", ".join(missing), False)
            return
        user = "pjfleet"
        if subprocess.run(["getent", "passwd", user],
                          stdout=subprocess.DEVNULL).returncode == 0:
            self.ok("sshd: no user %s on this host beforehand" % user, False)
            return
        if self.args.san:
            self.skip("sshd", "not under ASan (sshd loads the plain module "
                      "only)")
            return
        T = self.p("sshd")
        os.mkdir(T, 0o700)   # everything here is read by root only
        r = self.start_redis("sshd", unixsocket=True)
        auth = r.auth_file(os.path.join(T, "redis-auth"))
        admin = pjtest.write(os.path.join(T, "redis-admin"), "admin %s\n" %
                             r.admin_password, 0o600)
        url = "redis+unix://%s?db=4" % r.sock
        # the mount namespace: /etc, /var/log, /var/lib, /var/mail are
        # overlays (useradd and the pam.d files stay in it), /run a tmpfs
        script = ["set -e", "mount -t tmpfs -o mode=755 pjfleet-run /run",
                  "mkdir -m 755 /run/sshd"]
        for i, d in enumerate(("/etc", "/var/log", "/var/lib", "/var/mail")):
            if os.path.isdir(d):
                script += ["mkdir -p %s/ov/%d/u %s/ov/%d/w" % (T, i, T, i),
                           "mount -t overlay pjfleet-%d -o lowerdir=%s,"
                           "upperdir=%s/ov/%d/u,workdir=%s/ov/%d/w %s"
                           % (i, d, T, i, T, i, d)]
        script += ["echo ready", "exec setpriv --pdeathsig KILL -- sleep "
                   "infinity"]
        holder = subprocess.Popen(["unshare", "--mount", "--propagation",
                                   "private", "--", "/bin/sh", "-c",
                                   "\n".join(script)],
                                  stdout=subprocess.PIPE,
                                  stdin=subprocess.DEVNULL)
        self.procs.append(holder)
        hosts = []
        try:
            if holder.stdout.readline().strip() != b"ready":
                self.ok("sshd: the mount namespace is set up", False)
                return
            H = str(holder.pid)

            def inside(pid, argv, net=False, **kw):
                return ["nsenter", "-t", str(pid), "-m"] + \
                    (["-n"] if net else []) + ["--"] + argv

            def sh_in(cmd):
                return subprocess.run(inside(H, ["/bin/sh", "-c", cmd]),
                                      capture_output=True, text=True,
                                      timeout=60)
            rr = sh_in("useradd -M -d /nonexistent -s /bin/sh -p '*' %s && "
                       "id -u %s" % (user, user))
            self.ok("sshd: user %s made inside the namespace" % user,
                    rr.returncode == 0, rr.stderr)
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                            "-f", os.path.join(T, "hostkey")], check=True)
            askpass = os.path.join(T, "pamjwt-askpass")
            os.symlink(self.tool, askpass)
            for n in (1, 2):
                name = "sshd-pjfleet%d" % n
                conf = pjtest.write(os.path.join(T, "host%d.conf" % n), "\n".join([
                    "secret_file = %s" % self.secret_file, "single_use",
                    "leeway = %d" % (0 if n == 1 else 60),
                    "replay_cache = %s" % url, "redis_auth_file = %s" % auth,
                    ""]), 0o644)
                rr = sh_in("cat > /etc/pam.d/%s <<'EOF'\n"
                           "auth required %s config=%s\n"
                           "account required pam_permit.so\n"
                           "session required pam_permit.so\n"
                           "password required pam_deny.so\nEOF" %
                           (name, self.module, conf))
                cfg = pjtest.write(os.path.join(T, "sshd%d_config" % n), "\n".join([
                    "Port 2222", "ListenAddress 127.0.0.1",
                    "HostKey %s" % os.path.join(T, "hostkey"),
                    "PidFile %s" % os.path.join(T, "sshd%d.pid" % n),
                    "UsePAM yes", "KbdInteractiveAuthentication yes",
                    "PasswordAuthentication no", "PubkeyAuthentication no",
                    "AllowUsers %s" % user, "LogLevel VERBOSE", ""]), 0o600)
                prog = os.path.join(T, name)
                os.symlink("/usr/sbin/sshd", prog)
                net = subprocess.Popen(inside(H, ["unshare", "--net", "--",
                                                  "setpriv", "--pdeathsig",
                                                  "KILL", "--", "sleep",
                                                  "infinity"]))
                self.procs.append(net)
                time.sleep(0.2)
                subprocess.run(inside(net.pid, ["ip", "link", "set", "lo",
                                                "up"], net=True), check=True)
                sshd = subprocess.Popen(
                    inside(net.pid, [prog, "-D", "-e", "-f", cfg], net=True),
                    stdout=subprocess.DEVNULL,
                    stderr=open(os.path.join(T, "sshd%d.log" % n), "w"))
                self.procs.append(sshd)
                hosts.append((net.pid, sshd))
            time.sleep(0.5)
            up = all(s.poll() is None for _, s in hosts)
            self.ok("sshd: two sshd, each in its own network namespace on "
                    "127.0.0.1:2222", up and hosts[0][0] != hosts[1][0])

            def ssh(host, token, tag):
                tf = pjtest.write(os.path.join(T, "tok-%s" % tag), token, 0o600)
                return subprocess.Popen(inside(hosts[host][0], [
                    "env", "-i", "PATH=/usr/bin:/bin",
                    "SSH_ASKPASS=%s" % askpass, "SSH_ASKPASS_REQUIRE=force",
                    "DISPLAY=:0", "PAMJWT_TOKEN_FILE=%s" % tf,
                    "ssh", "-F", "/dev/null", "-p", "2222",
                    "-o", "StrictHostKeyChecking=no",
                    "-o", "UserKnownHostsFile=/dev/null",
                    "-o", "PreferredAuthentications=keyboard-interactive",
                    "-o", "PubkeyAuthentication=no",
                    "-o", "NumberOfPasswordPrompts=1", "-o", "LogLevel=ERROR",
                    "%s@127.0.0.1" % user, "id -un"], net=True),
                    stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, text=True)

            def logged_in(p):
                o, e = p.communicate(timeout=60)
                return p.returncode == 0 and o.strip() == user
            t = self.token(sub=user)
            self.ok("sshd: a token logs in on host 1 over ssh",
                    logged_in(ssh(0, t, "a1")))
            self.ok("sshd: the same token on host 2 (its own namespace and "
                    "sshd): refused", not logged_in(ssh(1, t, "a2")))
            self.ok("sshd: a fresh token on host 2: logs in",
                    logged_in(ssh(1, self.token(sub=user), "a3")))
            t = self.token(sub=user)
            ps = [ssh(i % 2, t, "race%d" % i) for i in range(8)]
            res = [logged_in(p) for p in ps]
            self.ok("sshd: 8 ssh logins of one token at once, 4 per host: "
                    "exactly 1 logs in", res.count(True) == 1, repr(res))
            rc, out = self.pamjwt("revoke", "--redis", url, "--auth-file",
                                  admin, "--kid", "k-sshd-leaked")
            self.ok("sshd: after pamjwt revoke --redis --kid, host 2 refuses "
                    "that kid and takes another", rc == 0 and not logged_in(
                        ssh(1, self.token(sub=user, kid="k-sshd-leaked"), "k1"))
                    and logged_in(ssh(1, self.token(sub=user, kid="k-ok"),
                                      "k2")), out)
        finally:
            for _, s in hosts:
                if s.poll() is None:
                    s.terminate()
                    s.wait(timeout=10)
            for p in self.procs:
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        p.kill()
                        p.wait()
            if holder.stdout:
                holder.stdout.close()
            r.stop()
        self.ok("sshd: afterwards the host has no user %s" % user,
                subprocess.run(["getent", "passwd", user],
                               stdout=subprocess.DEVNULL).returncode != 0)

    def run(self):
        for part in ("store", "race", "down", "stall", "auth", "protocol",
                     "unix",
                     "tunnel", "revoke", "redisrev", "keykid", "nolib",
                     "sshd"):
            if self.filter is not None and not self.filter.search(part):
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
    ap.add_argument("-k", "--only", dest="only",
                    help="only the parts whose names match this regex "
                    "(make check-fleet ONLY=REGEX)")
    args = ap.parse_args()
    for f in ("pam_jwt.so", "pam_driver", "pamjwt"):
        if not os.path.exists(os.path.join(args.build, f)):
            print("fleet: %s/%s missing" % (args.build, f))
            sys.exit(2)
    if shutil.which("redis-server") is None:
        print("fleet: redis-server missing (apt-get install redis-server)")
        sys.exit(2)
    s = Suite(args)
    t0 = time.monotonic()
    try:
        s.run()
    finally:
        s.cleanup()
    print("fleet: %.1f s" % (time.monotonic() - t0))
    if s.failed:
        print("fleet: failed: " + "; ".join(s.failed))
    none = pjtest.only_matched_nothing("fleet", args.only,
                                       s.passed + len(s.failed))
    print("fleet: %d passed, %d failed" % (s.passed, len(s.failed)))
    sys.exit(1 if s.failed or none else 0)


if __name__ == "__main__":
    main()
