#!/usr/bin/python3
"""End-to-end tests of pam_jwt with Debian's real programs: sshd and ssh,
sudo, su and login, pam-auth-update.  No mocks.

Run as root (`make check-e2e`, part of `make check`).  Everything happens in
a private mount namespace held by one process: /etc, /var/log, /var/lib,
/var/mail, /var/cache/debconf, /usr/share/pam-configs, the PAM module
directory and /dev are overlays whose writes land in a temporary directory,
/run is a fresh tmpfs.  Test users, /etc/pam.d and /etc/sudoers.d files
exist only in there.  At the end the host is checked: no user, file, mount or
process is left behind.

Output: one line per scenario ("PASS name: ..." or "FAIL name: ..."), then
"e2e: N passed, M failed".  Exit status 0 only if nothing failed.

    /usr/bin/python3 tests/e2e/e2e.py --module build/pam_jwt.so \
        --pamjwt build/pamjwt --conf conf --pamdir /lib/x86_64-linux-gnu/security
"""

import argparse
import base64
import hashlib
import json
import os
import pty
import re
import select
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "support"))
import pjtest  # noqa: E402


USER1 = "jwte2e1"   # logs in
USER2 = "jwte2e2"   # another account: its tokens must not open USER1's
TAG = "pamjwt-e2e"  # mount sources and the temp dir carry it
SUDO_PIECE = 511    # sudo refuses answers of 512 bytes or more

# paths on the host whose content must be the same after the run
HOST_FILES = [
    "/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow",
    "/etc/subuid", "/etc/subgid", "/etc/sudoers",
    "/var/log/wtmp", "/var/log/btmp", "/var/log/lastlog", "/var/log/faillog",
    "/var/cache/debconf/config.dat", "/run/utmp",
]
HOST_DIRS = [
    "/etc/pam.d", "/etc/sudoers.d", "/etc/security", "/etc/ssh",
    "/var/lib/sudo", "/var/lib/pam", "/var/lib/pam_jwt", "/var/mail",
    "/usr/share/pam-configs", "/home", "/run/sudo", "/run/sshd",
]
HOST_ABSENT = ["/dev/log"]


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# ------------------------------------------------------------------------
# host side: snapshot, namespace, teardown, leave-nothing-behind checks
# ------------------------------------------------------------------------


def file_digest(path):
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return "link:" + os.readlink(path)
    if not stat.S_ISREG(st.st_mode):
        return "type:%o" % stat.S_IFMT(st.st_mode)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        h.update(f.read())
    return "%o:%d:%d:%s" % (st.st_mode, st.st_uid, st.st_gid, h.hexdigest())


def tree_digest(root):
    res = {}
    if not os.path.lexists(root):
        return None
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            res[p] = file_digest(p) if name in filenames else "dir"
    return res


def host_snapshot(pamdir):
    snap = {}
    for p in HOST_FILES + [os.path.join(pamdir, "pam_jwt.so")]:
        snap[p] = file_digest(p)
    for d in HOST_DIRS:
        snap[d] = tree_digest(d)
    for p in HOST_ABSENT:
        snap[p] = os.path.lexists(p)
    return snap


def mountinfo():
    with open("/proc/self/mountinfo") as f:
        return f.read().splitlines()


def ns_of(pid):
    try:
        return os.readlink("/proc/%d/ns/mnt" % pid)
    except OSError:
        return None


def pids_in_ns(ns):
    res = []
    for d in os.listdir("/proc"):
        if d.isdigit() and ns_of(int(d)) == ns:
            res.append(int(d))
    return res


def host_main(args):
    if os.geteuid() != 0:
        out("SKIP e2e: needs root (it starts sshd, creates users and mounts "
            "overlays in a private mount namespace); run `make check` as root")
        return 0
    missing = [p for p in ("/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen",
                           "/usr/bin/sudo", "/usr/bin/su", "/bin/login",
                           "/usr/bin/setpriv", "/usr/bin/unshare",
                           "/usr/bin/nsenter", "/usr/sbin/useradd",
                           "/usr/sbin/chpasswd", "/usr/sbin/pam-auth-update")
               if not os.path.exists(p)]
    try:
        import jwt  # noqa: F401
        import cryptography  # noqa: F401
    except ImportError:
        missing.append("python3-jwt/python3-cryptography")
    if missing:
        out("FAIL e2e setup: missing %s (apt-get install openssh-server "
            "openssh-client sudo util-linux login passwd libpam-runtime "
            "python3-jwt python3-cryptography)" % ", ".join(missing))
        out("e2e: 0 passed, 1 failed")
        return 1
    for u in (USER1, USER2):
        if subprocess.run(["getent", "passwd", u], stdout=subprocess.DEVNULL).returncode == 0:
            out("FAIL e2e setup: user %s already exists on this host" % u)
            out("e2e: 0 passed, 1 failed")
            return 1

    t0 = time.monotonic()
    pamdir = os.path.realpath(args.pamdir)
    before = host_snapshot(pamdir)
    mounts_before = mountinfo()
    tmp = tempfile.mkdtemp(prefix=TAG + ".")
    os.chmod(tmp, 0o755)  # test users reach their askpass and token files

    overlays = ["/etc", "/var/log", "/var/lib", "/var/mail",
                "/var/cache/debconf", "/usr/share/pam-configs", pamdir, "/dev"]
    script = ["set -e", "T=%s" % tmp,
              "mount -t tmpfs -o mode=755 %s-run /run" % TAG,
              "mkdir -m 755 /run/sshd"]
    for i, d in enumerate(overlays):
        if not os.path.isdir(d):
            continue
        script += ["mkdir -p $T/ov/%d/u $T/ov/%d/w" % (i, i),
                   "mount -t overlay %s-%d -o lowerdir=%s,upperdir=$T/ov/%d/u,"
                   "workdir=$T/ov/%d/w %s" % (TAG, i, d, i, i, d)]
    # /dev is an overlay so that /dev/log (our syslog socket) exists only here
    script += ["mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 "
               "%s-pts /dev/pts" % TAG,
               "mount --bind /dev/pts/ptmx /dev/ptmx",
               "mount -t tmpfs -o mode=1777 %s-shm /dev/shm" % TAG,
               "echo ready",
               # the holder ends with this script, whatever happens to it
               "exec setpriv --pdeathsig KILL -- sleep infinity"]

    def stop(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)
    signal.signal(signal.SIGTERM, stop)
    holder = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "--",
         "/bin/sh", "-c", "\n".join(script)],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    ns = None
    inner = None
    try:
        line = holder.stdout.readline()
        ns = ns_of(holder.pid)
        if line.strip() != b"ready" or ns is None or ns == ns_of(os.getpid()):
            ns = None
            out("FAIL e2e setup: the mount namespace could not be set up")
        else:
            inner = run_inner(args, holder.pid, tmp, pamdir)
    except KeyboardInterrupt as e:
        out("FAIL e2e: interrupted (%s); cleaning up" % (e or "SIGINT"))
    finally:
        killed = teardown(ns, holder)
    return finish(tmp, inner, ns, holder, killed, before, mounts_before,
                  pamdir, t0, args.only)


def run_inner(args, holder_pid, tmp, pamdir):
    """The scenarios, run by this script inside the holder's namespace."""
    cmd = ["nsenter", "-t", str(holder_pid), "-m", "--",
           "/usr/bin/python3", os.path.abspath(__file__), "--inside", tmp,
           "--module", args.module, "--pamjwt", args.pamjwt,
           "--conf", os.path.abspath(args.conf), "--pamdir", pamdir]
    if args.only:
        cmd += ["--only", args.only]
    try:
        return subprocess.run(cmd, timeout=args.timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        out("FAIL e2e: scenarios did not finish within %d s" % args.timeout)
        return None


def teardown(ns, holder):
    """Stop every process of the namespace, then the holder, by pid."""
    killed = []
    if ns is not None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            victims = [p for p in pids_in_ns(ns) if p != holder.pid]
            for p in victims:
                try:
                    os.kill(p, sig)
                    killed.append(p)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 3
            while victims and time.monotonic() < deadline:
                victims = [p for p in pids_in_ns(ns) if p != holder.pid]
                time.sleep(0.05)
            if not victims:
                break
    holder.terminate()
    try:
        holder.wait(timeout=5)
    except subprocess.TimeoutExpired:
        holder.kill()
        holder.wait()
    holder.stdout.close()
    return killed


def finish(tmp, inner, ns, holder, killed, before, mounts_before, pamdir, t0,
           only=None):
    """Count, then check in the host namespace that nothing was left."""
    counts = {"passed": 0, "failed": 0}
    try:
        with open(os.path.join(tmp, "counts.json")) as f:
            counts = json.load(f)
    except (OSError, ValueError):
        counts["failed"] += 1
        out("FAIL e2e: the scenario runner left no result (%s)"
            % ("exit %d" % inner.returncode if inner else "interrupted or timed out"))

    # --- leave-nothing-behind checks, in the host namespace
    def check(name, ok, detail):
        counts["passed" if ok else "failed"] += 1
        out("%s %s: %s" % ("PASS" if ok else "FAIL", name, detail))

    left = pids_in_ns(ns) if ns else []
    check("cleanup processes", not left,
          "no process of the test namespace is left (%d stopped by pid at "
          "teardown, holder %d ended)" % (len(set(killed)), holder.pid)
          if not left else "still running: %s" % left)
    # every mount of ours carries TAG as its source (or lies under tmp);
    # mounts that others made meanwhile are only mentioned
    mounts_after = mountinfo()
    ours = [m for m in mounts_after if TAG in m or tmp in m]
    new = [m for m in mounts_after if m not in mounts_before]
    check("cleanup mounts", not ours,
          "host /proc/self/mountinfo: %d lines before, %d after, none of ours%s"
          % (len(mounts_before), len(mounts_after),
             "" if not new else " (new, not ours: %s)" % new)
          if not ours else "left: %s" % ours)
    shutil.rmtree(tmp, ignore_errors=True)
    check("cleanup temp dir", not os.path.exists(tmp), "%s removed" % tmp)
    after = host_snapshot(pamdir)
    changed = [k for k in before if before[k] != after[k]]
    users = [u for u in (USER1, USER2)
             if subprocess.run(["getent", "passwd", u],
                               stdout=subprocess.DEVNULL).returncode == 0]
    check("cleanup host files", not changed and not users,
          "unchanged on the host: %d files and %d directory trees (passwd, "
          "shadow, group, pam.d, sudoers.d, security, ssh, log files, "
          "pam-configs, pam_jwt.so in %s, ...); no user %s/%s; no /dev/log"
          % (len(HOST_FILES) + 1, len(HOST_DIRS), pamdir, USER1, USER2)
          if not changed and not users
          else "changed: %s; users left: %s" % (changed, users))
    out("e2e: took %.1f s" % (time.monotonic() - t0))
    # ONLY (--only) that matched no scenario: only the cleanup checks ran
    none = bool(only) and counts.get("scenarios", 0) == 0
    if none:
        out("e2e: ONLY=%r matched no scenario: nothing ran" % only)
    out("e2e: %d passed, %d failed" % (counts["passed"], counts["failed"]))
    return 0 if counts["failed"] == 0 and not none else 1


# ------------------------------------------------------------------------
# inside the namespace
# ------------------------------------------------------------------------


class Syslog:
    """A /dev/log that keeps every line (pam_syslog writes there)."""

    def __init__(self, path, copy):
        self.lines = []
        self.path = path
        self.cv = threading.Condition()
        self.copy = open(copy, "a")
        if os.path.lexists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        os.chmod(path, 0o666)
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            data = self.sock.recv(65536)
            text = data.decode("utf-8", "replace").rstrip("\n\0")
            with self.cv:
                self.lines.append(text)
                self.copy.write(text + "\n")
                self.copy.flush()
                self.cv.notify_all()

    def mark(self):
        """Where the next scenario's lines start (pjtest.log_mark)."""
        return pjtest.log_mark(self.path, self.cv, self.lines)

    def wait_for(self, mark, regex, timeout=2.0):
        """The first line logged since mark that matches regex, or None."""
        rx = re.compile(regex)
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for ln in self.lines[mark:]:
                    if rx.search(ln):
                        return ln
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(left)

    def between(self, mark, end):
        """The lines from mark to the marker that ends at end (both from
        mark())."""
        with self.cv:
            return list(self.lines[mark:end - 1])

    def since(self, mark):
        with self.cv:
            return list(self.lines[mark:])


def short(s, n=160):
    s = s.replace("\n", "\\n")
    return s if len(s) <= n else s[:n] + "..."


def pam_part(line):
    """'pam_jwt(svc:auth): rejected: ...' out of a syslog line."""
    i = line.find("pam_jwt(")
    return short(line[i:] if i >= 0 else line, 240)


class Runner:
    def __init__(self, a):
        self.a = a
        self.T = a.inside
        self.passed = 0
        self.failed = 0
        self.scenarios = 0  # those ONLY (--only) selected
        self.procs = []

    # --- bookkeeping -----------------------------------------------------
    def result(self, name, ok, detail):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        out("%s %s: %s" % ("PASS" if ok else "FAIL", name, detail))

    def scenario(self, name, fn):
        if self.a.only and not re.search(self.a.only, name):
            return
        self.scenarios += 1
        try:
            ok, detail = fn()
        except Exception as e:  # a scenario that crashes is a failure
            ok, detail = False, "%s: %s" % (type(e).__name__, e)
        self.result(name, ok, detail)

    def p(self, *parts):
        return os.path.join(self.T, *parts)

    def write(self, path, text, mode=0o644, owner=None):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)
        if owner is not None:
            os.chown(path, owner[0], owner[1])

    # --- set-up ----------------------------------------------------------
    def setup(self):
        import jwt
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        self.jwt = jwt
        T = self.T
        self.log = Syslog("/dev/log", self.p("syslog.txt"))
        for d in ("bin", "keys", "tok", "home", "ssh", "client", "prompts"):
            os.makedirs(self.p(d), exist_ok=True)
        os.chmod(self.p("keys"), 0o700)
        os.chmod(self.p("tok"), 0o700)

        # the test users, only in this namespace's /etc
        self.ids = {}
        for u in (USER1, USER2):
            home = self.p("home", u)
            subprocess.run(["useradd", "-M", "-d", home, "-s", "/bin/bash",
                            "-p", "*", u], check=True)
            pw = subprocess.run(["getent", "passwd", u], check=True,
                                capture_output=True, text=True).stdout.split(":")
            uid, gid = int(pw[2]), int(pw[3])
            self.ids[u] = (uid, gid)
            os.makedirs(home, mode=0o755)
            os.chown(home, uid, gid)
        # user-readable token files (for sudo -A: askpass runs as the user)
        self.utok = self.p("home", USER1, "tok")
        os.makedirs(self.utok, mode=0o700)
        os.chown(self.utok, *self.ids[USER1])

        # pamjwt (its askpass), reachable by the test users
        shutil.copy(self.a.pamjwt, self.p("bin", "pamjwt"))
        os.chmod(self.p("bin", "pamjwt"), 0o755)
        os.symlink("pamjwt", self.p("bin", "pamjwt-askpass"))
        self.askpass = self.p("bin", "pamjwt-askpass")
        # recording wrappers: log each prompt, then answer like pamjwt-askpass
        # (askpass-rec) or with the whole file at once (askpass-whole)
        self.write(self.p("bin", "askpass-rec"),
                   '#!/bin/sh\nprintf "%%s\\n" "$1" >> "$E2E_PROMPTS"\n'
                   'exec %s "$@"\n' % self.askpass, 0o755)
        self.write(self.p("bin", "askpass-whole"),
                   '#!/bin/sh\nprintf "%s\\n" "$1" >> "$E2E_PROMPTS"\n'
                   'cat "$PAMJWT_TOKEN_FILE"\n', 0o755)

        # keys: an HMAC secret, an RSA key pair; an impostor's secret
        self.secret = base64.b64encode(os.urandom(36)).decode()  # 48 chars
        self.write(self.p("keys", "hs256.secret"), self.secret + "\n", 0o600)
        self.forged_secret = base64.b64encode(os.urandom(36)).decode()
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.write(self.p("keys", "rs256.pem"), self.rsa.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode())
        self.write(self.p("keys", "empty.conf"),
                   "# no settings: the pam.d line says everything\n")
        # the config the shipped conf/ files rely on, only in this namespace
        os.makedirs("/etc/security", exist_ok=True)
        self.write("/etc/security/pam_jwt.conf", (
            "# written by tests/e2e for one run, inside a private mount namespace\n"
            "secret_file = {T}/keys/hs256.secret\n"
            "public_key_file = {T}/keys/rs256.pem\n"
            "replay_cache = {T}/replay\n"
            "[service sshd-jwttest]\naudience = ssh-e2e\n"
            "[service sudo]\naudience = sudo-e2e\n"
            "[service su]\naudience = su-e2e\n"
            "[service login]\naudience = login-e2e\n").format(T=T))
        # the module where libpam looks for "pam_jwt.so" (an overlay here)
        shutil.copy(self.a.module, os.path.join(self.a.pamdir, "pam_jwt.so"))
        os.chmod(os.path.join(self.a.pamdir, "pam_jwt.so"), 0o644)

        # sudo: the test user may run anything, and is asked every time
        self.write("/etc/sudoers.d/pamjwt-e2e", (
            "Defaults:{u} timestamp_timeout=0, lecture=never, !mail_badpass\n"
            "{u} ALL=(ALL:ALL) ALL\n").format(u=USER1), 0o440)
        subprocess.run(["visudo", "-c", "-q"], check=True)

        # sshd: own config, host key, pid file, port; PAM service sshd-jwttest
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                        "-f", self.p("ssh", "host_ed25519")], check=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.write(self.p("ssh", "sshd_config"), (
            "Port {port}\nListenAddress 127.0.0.1\n"
            "HostKey {T}/ssh/host_ed25519\nPidFile {T}/ssh/sshd.pid\n"
            "UsePAM yes\nKbdInteractiveAuthentication yes\n"
            "PasswordAuthentication yes\nPubkeyAuthentication no\n"
            "AuthorizedKeysFile none\nPermitRootLogin no\n"
            "AllowUsers {u}\nLogLevel VERBOSE\nPrintMotd no\n"
            "MaxAuthTries 6\nMaxStartups 100\n").format(port=self.port, T=T, u=USER1))
        os.symlink("/usr/sbin/sshd", self.p("ssh", "sshd-jwttest"))
        self.pam_sshd_explicit()
        self.sshd_err = open(self.p("ssh", "sshd.stderr"), "w")
        sshd = subprocess.Popen([self.p("ssh", "sshd-jwttest"), "-D", "-e",
                                 "-f", self.p("ssh", "sshd_config")],
                                stdin=subprocess.DEVNULL, stdout=self.sshd_err,
                                stderr=self.sshd_err)
        self.procs.append(sshd)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                break
            except OSError:
                if sshd.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("sshd did not start: " + open(
                        self.p("ssh", "sshd.stderr")).read())
                time.sleep(0.05)

        # tokens
        self.tokens = {}
        self.long_len = 0

    def pam_sshd_explicit(self):
        """/etc/pam.d/sshd-jwttest: the module by absolute path, every
        setting on the line, the stock account stack."""
        self.write("/etc/pam.d/sshd-jwttest", (
            "auth     required  {m} config={T}/keys/empty.conf "
            "secret_file={T}/keys/hs256.secret public_key_file={T}/keys/rs256.pem "
            "audience=ssh-e2e\n"
            "@include common-account\n"
            "session  required  pam_permit.so\n"
            "password required  pam_deny.so\n").format(m=self.a.module, T=self.T))

    def install_conf(self, name, service):
        """A shipped conf/pam.d file, verbatim, as /etc/pam.d/SERVICE."""
        shutil.copy(os.path.join(self.a.conf, "pam.d", name),
                    os.path.join("/etc/pam.d", service))

    # --- tokens ------------------------------------------------------------
    def mint(self, name, sub=USER1, aud="ssh-e2e", alg="HS256", key=None,
             ttl=600, owner=None, **claims):
        now = int(time.time())
        payload = {"sub": sub, "iat": now, "exp": now + ttl,
                   "jti": base64.urlsafe_b64encode(os.urandom(12)).decode()}
        if aud is not None:
            payload["aud"] = aud
        payload.update(claims)
        if key is None:
            key = self.secret if alg.startswith("HS") else self.rsa
        tok = self.jwt.encode(payload, key, algorithm=alg)
        if isinstance(tok, bytes):
            tok = tok.decode()
        return self.save(name, tok, owner)

    def save(self, name, tok, owner=None):
        d = self.utok if owner else self.p("tok")
        path = os.path.join(d, name)
        self.write(path, tok + "\n", 0o600, self.ids[owner] if owner else None)
        self.tokens[name] = tok
        return path

    def mint_long(self, name, target=2000, **kw):
        """An RS256 token of exactly (or just about) target characters."""
        self.mint(name, alg="RS256", pad="", **kw)
        n = max(0, (target - len(self.tokens[name])) * 3 // 4 - 4)
        best = None
        for n in range(n, n + 12):
            self.mint(name, alg="RS256", pad="x" * n, **kw)
            tok = self.tokens[name]
            if best is None or abs(len(tok) - target) < abs(len(best) - target):
                best = tok
            if len(tok) >= target:
                break
        return self.save(name, best, kw.get("owner"))

    # --- clients -------------------------------------------------------------
    def ssh(self, method, token_file, askpass=None, prompts=None, cmd="id -un",
            user=USER1):
        env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "HOME": self.p("client"),
               "SSH_ASKPASS": askpass or self.askpass,
               "SSH_ASKPASS_REQUIRE": "force", "PAMJWT_TOKEN_FILE": token_file,
               "E2E_PROMPTS": prompts or "/dev/null"}
        argv = ["/usr/bin/ssh", "-F", "/dev/null", "-p", str(self.port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "PreferredAuthentications=" + method,
                "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
                "-o", "ConnectTimeout=10", "%s@127.0.0.1" % user, cmd]
        return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, env=env, timeout=30)

    def as_user(self, user, argv, env=None, **kw):
        uid, gid = self.ids[user]
        pre = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid,
               "--init-groups", "--reset-env", "--"]
        if env:
            pre += ["env"] + ["%s=%s" % kv for kv in env.items()]
        return pre + argv

    def pty_run(self, argv, script, timeout=20):
        """Run argv on a new pseudo-terminal.  script: (regex, text) pairs:
        wait for regex in the output, then type text.  Then read until the
        program ends (or, with a final (regex, None), until regex shows and
        kill it).  Returns (exit status or None if killed, output)."""
        pid, fd = pty.fork()
        if pid == 0:
            try:
                os.execvp(argv[0], argv)
            finally:
                os._exit(127)
        buf = b""
        pos = 0
        deadline = time.monotonic() + timeout
        steps = list(script)
        killed = False
        try:
            while True:
                if steps:
                    m = re.compile(steps[0][0].encode()).search(buf, pos)
                    if m:
                        pos = m.end()
                        text = steps.pop(0)[1]
                        if text is None:
                            killed = True
                            break
                        time.sleep(0.05)
                        os.write(fd, text.encode())
                        continue
                left = deadline - time.monotonic()
                if left <= 0:
                    killed = True
                    buf += b"\n[e2e: timed out]"
                    break
                r, _, _ = select.select([fd], [], [], min(left, 0.5))
                if fd in r:
                    try:
                        data = os.read(fd, 65536)
                    except OSError:  # EIO: the terminal's last holder left
                        break
                    if not data:
                        break
                    buf += data
        finally:
            if killed:
                try:
                    os.killpg(pid, signal.SIGKILL)  # pty.fork made it a session
                except ProcessLookupError:
                    pass
            _, status = os.waitpid(pid, 0)
            os.close(fd)
        code = None if killed else os.waitstatus_to_exitcode(status)
        return code, buf.decode("utf-8", "replace")

    # --- checks ----------------------------------------------------------------
    def expect_login(self, res, mark, want=USER1):
        got = res.stdout.strip()
        line = self.log.wait_for(mark, r"pam_jwt\(.*\): accepted: user=%s " % want)
        if res.returncode == 0 and got == want and line:
            return True, "`id -un` printed %s; log: %s" % (got, pam_part(line))
        return False, "exit %d, stdout %r, stderr %r, log %s" % (
            res.returncode, got, short(res.stderr), self.log.since(mark))

    def expect_refused(self, res, mark, regex):
        line = self.log.wait_for(mark, regex)
        if (res.returncode == 255 and res.stdout == ""
                and "Permission denied" in res.stderr and line):
            return True, "refused (ssh exit 255, Permission denied); log: %s" % pam_part(line)
        return False, "exit %d, stdout %r, stderr %r, log %s" % (
            res.returncode, res.stdout, short(res.stderr), self.log.since(mark))

    def prompts(self, name):
        path = self.p("prompts", name)
        if os.path.exists(path):
            os.unlink(path)
        return path

    def read_prompts(self, path):
        """The prompts askpass was given, without the "(user@host) " that
        OpenSSH's client puts before keyboard-interactive prompts."""
        try:
            with open(path) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        return [re.sub(r"^\(%s@127\.0\.0\.1\) " % USER1, "", ln) for ln in lines]

    # --- 64 sudo at once with one single-use token ----------------------------
    RACE_N = 64

    def sudo_race(self, n):
        """RACE_N `sudo -A -k` as USER1, all with the same single-use token,
        through the shipped conf/pam.d/sudo (installed by run_all).  Each
        askpass (run by sudo as USER1 while pam_jwt waits in its
        conversation) announces itself and blocks on a pipe; when all RACE_N
        wait, one close() releases them together, so RACE_N module instances
        check the token against the replay cache at the same moment.
        Exactly one may run its command as root."""
        N = self.RACE_N
        uid, gid = self.ids[USER1]
        tokfile = self.mint("sudo-race-%d" % n, aud="sudo-e2e", scope="sudo",
                            owner=USER1)
        tok = self.tokens["sudo-race-%d" % n]
        jti = json.loads(base64.urlsafe_b64decode(
            tok.split(".")[1] + "==="))["jti"]
        d = self.p("race%d" % n)
        os.makedirs(d, mode=0o755)
        rootonly = os.path.join(d, "root-only")  # only root can create files here
        os.makedirs(rootonly, mode=0o700)
        arrive, go, released = (os.path.join(d, x) for x in ("arrive", "go", "released"))
        for f in (arrive, go):
            os.mkfifo(f, 0o600)
            os.chown(f, uid, gid)
        askpass = os.path.join(d, "askpass-barrier")
        # "< go" opens the pipe (we hold a writer, so it does not block) before
        # the announcement; cat then blocks until our last writer closes.  A
        # call after the release (a retry) must not happen: it says "late".
        self.write(askpass, (
            '#!/bin/sh\n'
            'if [ -e "$E2E_RELEASED" ]; then echo "late $$" > "$E2E_ARRIVE"; exit 1; fi\n'
            '{ echo "wait $$" > "$E2E_ARRIVE"; cat > /dev/null; } < "$E2E_GO"\n'
            'exec cat "$PAMJWT_TOKEN_FILE"\n'), 0o755)
        # one password attempt per sudo (a refused sudo would otherwise ask
        # up to 3 times), so there are exactly RACE_N decisions to count
        tries = "/etc/sudoers.d/pamjwt-e2e-race"
        self.write(tries, "Defaults:%s passwd_tries=1\n" % USER1, 0o440)
        env = {"SUDO_ASKPASS": askpass, "PAMJWT_TOKEN_FILE": tokfile,
               "E2E_ARRIVE": arrive, "E2E_GO": go, "E2E_RELEASED": released}
        afd = os.open(arrive, os.O_RDWR | os.O_NONBLOCK)
        gfd = os.open(go, os.O_RDWR)
        procs = []
        mark = self.log.mark()
        try:
            t0 = time.monotonic()
            for i in range(N):
                argv = self.as_user(USER1, [
                    "sudo", "-A", "-k", "/bin/sh", "-c",
                    'id -u && touch "$1"', "sh", os.path.join(rootonly, "ran.%d" % i)],
                    env=env)
                procs.append(subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, start_new_session=True))
            # the barrier: wait until every askpass waits
            buf, waiting = b"", set()
            deadline = time.monotonic() + 20
            while len(waiting) < N and time.monotonic() < deadline:
                if all(p.poll() is not None for p in procs):
                    break
                select.select([afd], [], [], 0.2)
                try:
                    buf += os.read(afd, 65536)
                except BlockingIOError:
                    pass
                lines = buf.split(b"\n")
                waiting.update(ln for ln in lines[:-1] if ln.startswith(b"wait "))
            t1 = time.monotonic()
            open(released, "w").close()
            os.close(gfd)  # all RACE_N blocked cat's see end-of-file now
            gfd = -1
            t2 = time.monotonic()
            res = []
            for p in procs:
                try:
                    o, e = p.communicate(timeout=max(1, deadline + 10 - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    o, e = p.communicate()
                res.append((p.returncode, o.decode(errors="replace"),
                            e.decode(errors="replace")))
            t3 = time.monotonic()
            try:
                buf += os.read(afd, 65536)
            except BlockingIOError:
                pass
            calls = [ln for ln in buf.split(b"\n") if ln]
        finally:
            for p in procs:
                if p.poll() is None:
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    p.wait()
            if gfd >= 0:
                os.close(gfd)
            os.close(afd)
            os.unlink(tries)

        # the log: every sudo has ended, so every line it sent is before
        # the next marker
        race_log = self.log.between(mark, self.log.mark())
        lines = [ln for ln in race_log if "pam_jwt(sudo:auth)" in ln]
        acc = [ln for ln in lines if re.search(
            r"pam_jwt\(sudo:auth\): accepted: user=%s .*jti=%s " % (USER1, re.escape(jti)), ln)]
        used = [ln for ln in lines if re.search(
            r"pam_jwt\(sudo:auth\): rejected: token already used: .*jti=%s " % re.escape(jti), ln)]
        other = [ln for ln in lines if ln not in acc and ln not in used]
        sessions = [ln for ln in race_log
                    if re.search(r"pam_unix\(sudo:session\): session opened for user root", ln)]

        won = [i for i, (rc, o, e) in enumerate(res) if rc == 0 and o.strip() == "0"]
        refused = [i for i, (rc, o, e) in enumerate(res) if rc == 1 and o == ""]
        odd = [(i, r) for i, r in enumerate(res) if i not in won and i not in refused]
        files = sorted(os.listdir(rootonly))
        want_files = ["ran.%d" % i for i in won]
        ok = (len(waiting) == N and len(calls) == N and len(won) == 1
              and len(refused) == N - 1 and not odd and files == want_files
              and len(acc) == 1 and len(used) == N - 1 and not other
              and len(sessions) == 1)
        timing = ("start to all %d askpass waiting %.1f s, release to all ended %.1f s"
                  % (N, t1 - t0, t3 - t2))
        if ok:
            return True, (
                "%d x `sudo -A -k` as %s, one token (jti=%s), released together "
                "once every askpass waited in the module's conversation (%s): "
                "exactly 1 ran as root (#%d: `id -u` printed 0, created %s in a "
                "root-only dir), %d refused (exit 1, nothing created); log: 1 "
                "accepted, %d \"token already used\", no other pam_jwt line, 1 "
                "root session" % (N, USER1, jti, timing, won[0], files[0],
                                  len(refused), len(used)))
        refused_msgs = sorted(set(short(e, 80) for rc, o, e in
                                  (res[i] for i in refused)))
        return False, (
            "%s; askpass waiting at release %d/%d, askpass calls %d (%s); "
            "sudo ran as root %d %s, refused %d (%s), other results %s; "
            "files in root-only dir %s; log: accepted %d %s, token already used "
            "%d, other pam_jwt lines %d %s, root sessions %d"
            % (timing, len(waiting), N, len(calls),
               short(b" ".join(c for c in calls if not c.startswith(b"wait ")).decode(), 80),
               len(won), won[:16], len(refused), refused_msgs,
               [(i, r[0], short(r[1], 40), short(r[2], 120)) for i, r in odd[:4]],
               files[:16], len(acc), sorted(set(pam_part(ln) for ln in acc)),
               len(used), len(other), [short(ln, 300) for ln in other[:4]],
               len(sessions)))

    # --- scenarios ---------------------------------------------------------------
    def run_all(self):
        S = self.scenario
        good = self.mint("good")
        self.mint("forged", key=self.forged_secret)
        self.mint("other-user", sub=USER2)
        self.mint("wrong-aud", aud="some-other-service")
        longp = self.mint_long("long")
        L = len(self.tokens["long"])
        long_tok = self.tokens["long"]
        # the same token cut: inside the signature, and inside the payload
        cut_sig = self.save("long-cut-sig", long_tok[:-100])
        cut_pay = self.save("long-cut-payload", long_tok[:1200])

        # ---- sshd, every setting on the pam.d line (module by absolute path)
        for method, mname in (("keyboard-interactive", "kbdint"), ("password", "password")):
            S("ssh %s good token" % mname, lambda m=method: self.ssh_login(m, good))
            for tname, regex in (
                    ("forged", r"rejected: bad signature"),
                    ("other-user", r"rejected: user not accepted"),
                    ("wrong-aud", r"rejected: audience not accepted")):
                S("ssh %s %s token" % (mname, tname),
                  lambda m=method, t=tname, rx=regex: self.ssh_refused(
                      m, self.p("tok", t), rx))

        # ---- the paths around the documented commands (issue 12)
        def hostkey_refused():
            # a client that has never seen the host: pamjwt-askpass must
            # refuse ssh's yes/no question, not answer it with the token
            kh = self.p("client", "known_hosts-empty")
            self.write(kh, "", 0o600)
            env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin",
                   "HOME": self.p("client"), "SSH_ASKPASS": self.askpass,
                   "SSH_ASKPASS_REQUIRE": "force", "PAMJWT_TOKEN_FILE": good}
            argv = ["/usr/bin/ssh", "-F", "/dev/null", "-p", str(self.port),
                    "-o", "StrictHostKeyChecking=ask",
                    "-o", "UserKnownHostsFile=" + kh,
                    "-o", "GlobalKnownHostsFile=/dev/null",
                    "-o", "PreferredAuthentications=keyboard-interactive",
                    "-o", "PubkeyAuthentication=no", "-o", "ConnectTimeout=10",
                    "%s@127.0.0.1" % USER1, "id -un"]
            mark = self.log.mark()
            t0 = time.monotonic()
            res = subprocess.run(argv, stdin=subprocess.DEVNULL,
                                 capture_output=True, text=True, env=env,
                                 timeout=30)
            took = time.monotonic() - t0
            time.sleep(0.3)
            asked = [ln for ln in self.log.since(mark) if "pam_jwt(" in ln]
            ok = (res.returncode == 255 and took < 20 and
                  "Host key verification failed" in res.stderr and
                  "not answering ssh's question" in res.stderr and
                  "StrictHostKeyChecking=accept-new" in res.stderr and
                  not asked and self.tokens["good"][:40] not in res.stderr)
            return ok, "ssh exit %d after %.1f s, stderr %r; pam_jwt lines %s" % (
                res.returncode, took, short(res.stderr, 240), asked)
        S("ssh askpass refuses the unknown-host-key question", hostkey_refused)

        def unknown_user():
            # sshd never passes what was typed for an account it will not
            # log in: the module must say so, not "input is not a token"
            mark = self.log.mark()
            res = self.ssh("keyboard-interactive", good, user="nosuchuser")
            return self.expect_refused(
                res, mark, r"pam_jwt\(sshd-jwttest:auth\): rejected: unknown "
                r"user: sshd passed its placeholder instead of the answer: "
                r"there is no account 'nosuchuser' on this host")
        S("ssh kbdint good token for an account that does not exist",
          unknown_user)

        def pasted_whole():
            # a person pastes a 2000-character token at a terminal: ssh
            # sends 1023, the module says why it asks for part 2
            argv = ["/usr/bin/ssh", "-F", "/dev/null", "-p", str(self.port),
                    "-o", "StrictHostKeyChecking=no",
                    "-o", "UserKnownHostsFile=/dev/null",
                    "-o", "GlobalKnownHostsFile=/dev/null",
                    "-o", "LogLevel=ERROR",
                    "-o", "PreferredAuthentications=keyboard-interactive",
                    "-o", "PubkeyAuthentication=no", "-o", "ConnectTimeout=10",
                    "%s@127.0.0.1" % USER1, "id -un"]
            code, output = self.pty_run(argv, [
                (r"Token: ", long_tok + "\r"),
                (r"Token \(part 2\): ", None)])
            want = ("The token was cut at 1023 characters (the most the ssh "
                    "client sends in one answer).")
            flat = " ".join(output.split())
            ok = want in flat and "Token (part 2): " in output
            return ok, "%d-char token pasted whole; the terminal showed: %r" % (
                L, short(flat[-400:], 400))
        S("ssh kbdint long token pasted whole at a terminal", pasted_whole)

        # ---- long tokens over ssh
        def long_ok():
            pr = self.prompts("long")
            mark = self.log.mark()
            res = self.ssh("keyboard-interactive", longp,
                           askpass=self.p("bin", "askpass-rec"), prompts=pr)
            ok, detail = self.expect_login(res, mark)
            seen = self.read_prompts(pr)
            parts = -(-L // 500)
            want = ["Token: "] + ["Token (part %d): " % i for i in range(2, parts + 1)]
            if seen != want:
                return False, "prompts %r, expected %r; %s" % (seen, want, detail)
            return ok, "%d-char RS256 token in %d pieces via pamjwt askpass, " \
                       "prompts %s; %s" % (L, parts, " | ".join(p.strip() for p in seen), detail)
        S("ssh kbdint long token via pamjwt askpass", long_ok)

        def long_cut(path, regex, what):
            def fn():
                pr = self.prompts("cut")
                mark = self.log.mark()
                res = self.ssh("keyboard-interactive", path,
                               askpass=self.p("bin", "askpass-rec"), prompts=pr)
                ok, detail = self.expect_refused(res, mark, regex)
                seen = self.read_prompts(pr)
                return ok, "%s; prompts %s; %s" % (
                    what, " | ".join(p.strip() for p in seen), detail)
            return fn
        # the module must say at notice level (<85>: auth.notice) that the
        # answers stopped before the token was whole
        S("ssh kbdint long token cut in the signature",
          long_cut(cut_sig, r"^<85>.*pam_jwt\(sshd-jwttest:auth\): rejected: .*"
                   r"\(the answers ended after %d parts, %d characters, before "
                   r"the token was whole" % (-(-(L - 100) // 500), L - 100),
                   "%d of %d chars (last 100 missing)" % (L - 100, L)))
        S("ssh kbdint long token cut in the payload",
          long_cut(cut_pay, r"^<85>.*pam_jwt\(sshd-jwttest:auth\): rejected: "
                   r".*incomplete token \(the answers ended after 3 parts, 1200 "
                   r"characters, before the token was whole",
                   "first 1200 of %d chars" % L))

        def long_password():
            pr = self.prompts("pw-long")
            mark = self.log.mark()
            res = self.ssh("password", longp, askpass=self.p("bin", "askpass-whole"),
                           prompts=pr)
            ok, detail = self.expect_refused(res, mark, r"pam_jwt\(.*\): rejected: ")
            return ok, "whole %d-char token as the password (client sends at most " \
                       "1023); %s" % (L, detail)
        S("ssh password method long token", long_password)

        # ---- sudo, every setting on the pam.d line
        self.write("/etc/pam.d/sudo", (
            "#%PAM-1.0\nsession required pam_limits.so\n"
            "auth required {m} config={T}/keys/empty.conf "
            "secret_file={T}/keys/hs256.secret public_key_file={T}/keys/rs256.pem "
            "require_claim=scope=sudo\n"
            "@include common-account\n@include common-session-noninteractive\n"
        ).format(m=self.a.module, T=self.T))
        self.mint("sudo-ok", aud=None, scope="openid sudo", owner=USER1)
        self.mint("sudo-noscope", aud=None, scope="openid", owner=USER1)
        sudo_long = self.mint_long("sudo-long", aud=None, scope="sudo", owner=USER1)
        SL = len(self.tokens["sudo-long"])

        def sudo_S(name, expect_ok, regex, what):
            def fn():
                mark = self.log.mark()
                res = subprocess.run(self.as_user(USER1, ["sudo", "-S", "-k", "-p", "",
                                                          "id", "-u"]),
                                     input=self.tokens[name] + "\n", capture_output=True,
                                     text=True, timeout=30)
                line = self.log.wait_for(mark, regex)
                if expect_ok:
                    ok = res.returncode == 0 and res.stdout.strip() == "0" and line
                    d = "`id -u` printed %s" % res.stdout.strip()
                else:
                    ok = res.returncode == 1 and res.stdout == "" and line
                    d = "refused, sudo exit %d, stderr %r" % (res.returncode,
                                                             short(res.stderr, 120))
                if ok:
                    return True, "%s: %s; log: %s" % (what, d, pam_part(line))
                return False, "%s: exit %d, stdout %r, stderr %r, log %s" % (
                    what, res.returncode, res.stdout, short(res.stderr),
                    self.log.since(mark))
            return fn
        S("sudo -S token with scope sudo",
          sudo_S("sudo-ok", True, r"pam_jwt\(sudo:auth\): accepted: user=%s " % USER1,
                 "scope \"openid sudo\""))
        S("sudo -S token without scope sudo",
          sudo_S("sudo-noscope", False, r"pam_jwt\(sudo:auth\): rejected: claim",
                 "scope \"openid\""))

        def sudo_A_long():
            mark = self.log.mark()
            res = subprocess.run(self.as_user(USER1, ["sudo", "-A", "-k", "id", "-u"],
                                              env={"SUDO_ASKPASS": self.askpass,
                                                   "PAMJWT_TOKEN_FILE": sudo_long}),
                                 stdin=subprocess.DEVNULL, capture_output=True,
                                 text=True, timeout=30)
            line = self.log.wait_for(mark, r"pam_jwt\(sudo:auth\): accepted: ")
            if res.returncode == 0 and res.stdout.strip() == "0" and line:
                return True, "%d-char token, SUDO_ASKPASS=pamjwt-askpass: `id -u` " \
                             "printed 0; log: %s" % (SL, pam_part(line))
            return False, "exit %d, stdout %r, stderr %r, log %s" % (
                res.returncode, res.stdout, short(res.stderr), self.log.since(mark))
        S("sudo -A long token via pamjwt-askpass", sudo_A_long)
        def sudo_S_long():
            # measured: sudo reads at most 1023 bytes, refuses an answer of
            # 512 or more as a conversation error, and then gives up at once
            mark = self.log.mark()
            # (libpam itself also logs a bare "conversation failed" at
            # LOG_ERR under the module's name; the module's line explains)
            ok, detail = sudo_S("sudo-long", False,
                                r"pam_jwt\(sudo:auth\): conversation failed "
                                r"\(Conversation error\): .*sudo refuses answers",
                                "%d-char token on one line of stdin" % SL)()
            lines = [ln for ln in self.log.since(mark) if "pam_jwt(" in ln]
            once = (len([ln for ln in lines if "conversation failed (" in ln]) == 1
                    and not [ln for ln in lines if "accepted" in ln or "rejected" in ln])
            return ok and once and "Conversation error" in detail, \
                "%s; the module was asked once and saw nothing%s" % (
                    detail, "" if once else " (NOT: %s)" % lines)
        S("sudo -S long token without askpass", sudo_S_long)

        # ---- the shipped conf/pam.d/sudo, verbatim: scoped and single-use
        self.install_conf("sudo", "sudo")
        self.mint("sudo-once", aud="sudo-e2e", scope="sudo", owner=USER1)

        def single_use():
            r1 = sudo_S("sudo-once", True, r"pam_jwt\(sudo:auth\): accepted: ",
                        "first use")()
            r2 = sudo_S("sudo-once", False,
                        r"pam_jwt\(sudo:auth\): rejected: token already used",
                        "same token again")()
            return r1[0] and r2[0], "%s / %s" % (r1[1], r2[1])
        S("sudo conf/pam.d/sudo single-use token", single_use)
        # 64 sudo at once with one single-use token, twice (a fresh token each)
        for n in (1, 2):
            S("sudo conf/pam.d/sudo 64 at once, one single-use token (%s)"
              % ("1st" if n == 1 else "2nd, fresh token"),
              lambda n=n: self.sudo_race(n))

        # ---- sshd with the shipped stacks, verbatim
        subprocess.run(["chpasswd"], input="%s:e2e-Secret-pw-42\n" % USER1,
                       text=True, check=True)
        self.save("password", "e2e-Secret-pw-42")
        self.save("wrong-password", "not-the-password")
        self.install_conf("sshd-token-or-password", "sshd-jwttest")

        def typed_at_token(tname, expect_ok, want_prompts, conf_note):
            def fn():
                pr = self.prompts(tname)
                mark = self.log.mark()
                res = self.ssh("keyboard-interactive", self.p("tok", tname),
                               askpass=self.p("bin", "askpass-whole"), prompts=pr)
                seen = [s.strip() for s in self.read_prompts(pr)]
                if expect_ok:
                    ok = res.returncode == 0 and res.stdout.strip() == USER1
                    d = "`id -un` printed %s" % res.stdout.strip()
                else:
                    ok = res.returncode == 255 and "Permission denied" in res.stderr
                    d = "refused (ssh exit %d)" % res.returncode
                ok = ok and seen == want_prompts
                return ok, "%s: %s; prompts %s%s" % (
                    conf_note, d, seen, "" if ok else "; stderr %r log %s" % (
                        short(res.stderr), self.log.since(mark)))
            return fn
        S("ssh conf/pam.d/sshd-token-or-password token",
          typed_at_token("good", True, ["Token:"], "token at \"Token: \""))
        S("ssh conf/pam.d/sshd-token-or-password password",
          typed_at_token("password", True, ["Token:"],
                         "Unix password typed at \"Token: \", taken by "
                         "common-auth's pam_unix (no try_first_pass there) "
                         "without a second prompt"))
        S("ssh conf/pam.d/sshd-token-or-password wrong password",
          typed_at_token("wrong-password", False, ["Token:"], "wrong password"))
        self.install_conf("sshd-token-only", "sshd-jwttest")
        S("ssh conf/pam.d/sshd-token-only token",
          typed_at_token("good", True, ["Token:"], "token"))
        S("ssh conf/pam.d/sshd-token-only password",
          typed_at_token("password", False, ["Token:"],
                         "the right Unix password is refused"))

        # ---- pam-auth-update with conf/pam-auth-update/pam_jwt
        def pau():
            shutil.copy(os.path.join(self.a.conf, "pam-auth-update", "pam_jwt"),
                        "/usr/share/pam-configs/pam_jwt")
            r = subprocess.run(["pam-auth-update", "--enable", "pam_jwt"],
                               env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                    "DEBIAN_FRONTEND": "noninteractive"},
                               capture_output=True, text=True, timeout=60)
            with open("/etc/pam.d/common-auth") as f:
                auth = [ln for ln in f.read().splitlines()
                        if ln.startswith("auth")]
            want0 = re.compile(r"^auth\s+\[success=(\d+) default=ignore\]\s+pam_jwt\.so\s*$")
            want1 = re.compile(r"^auth\s+\[success=(\d+) default=ignore\]\s+"
                               r"pam_unix\.so nullok try_first_pass\s*$")
            m0 = want0.match(auth[0]) if auth else None
            m1 = want1.match(auth[1]) if len(auth) > 1 else None
            if r.returncode != 0 or not m0 or not m1:
                return False, "pam-auth-update exit %d %r; common-auth auth lines %r" % (
                    r.returncode, short(r.stderr), auth)
            # the jumps must land on pam_permit, past pam_deny
            j0 = auth[1 + int(m0.group(1))]
            j1 = auth[2 + int(m1.group(1))]
            if "pam_permit" not in j0 or "pam_permit" not in j1:
                return False, "success jumps land on %r / %r" % (j0, j1)
            # Debian's own /etc/pam.d/sshd, unchanged, as the service
            shutil.copy("/etc/pam.d/sshd", "/etc/pam.d/sshd-jwttest")
            results = []
            for tname, expect_ok in (("good", True), ("password", True),
                                     ("forged", False)):
                ok, d = typed_at_token(tname, expect_ok, ["Token:"], tname)()
                results.append((ok, d))
            okall = all(ok for ok, _ in results)
            return okall, "common-auth: %s; stock /etc/pam.d/sshd: %s" % (
                " | ".join(re.sub(r"\s+", " ", a) for a in auth),
                "; ".join(d for _, d in results))

        # ---- su and login at a pseudo-terminal, shipped stacks verbatim
        self.install_conf("su", "su")
        self.install_conf("login", "login")
        self.mint("su-good", aud="su-e2e")
        self.mint("su-bad", aud="su-e2e", key=self.forged_secret)
        self.mint_long("su-long", aud="su-e2e")

        def su(name, expect_ok, what):
            def fn():
                mark = self.log.mark()
                code, text = self.pty_run(
                    self.as_user(USER2, ["su", USER1, "-c", "echo E2E-$(id -un)-E2E"]),
                    [(r"Token: ", self.tokens[name] + "\n")])
                got = re.search(r"E2E-(\w+)-E2E", text)
                if expect_ok and name == "password":
                    line = self.log.wait_for(
                        mark, r"pam_unix\(su:session\): session opened for user %s" % USER1)
                    ok = code == 0 and got and got.group(1) == USER1 and line
                    d = "ran as %s" % (got.group(1) if got else None)
                elif expect_ok:
                    line = self.log.wait_for(mark, r"pam_jwt\(su:auth\): accepted: ")
                    ok = code == 0 and got and got.group(1) == USER1 and line
                    d = "ran as %s" % (got.group(1) if got else None)
                else:
                    line = self.log.wait_for(mark, r"pam_jwt\(su:auth\): rejected: ")
                    ok = code == 1 and not got and "Authentication failure" in text and line
                    d = "su: Authentication failure, exit %s" % code
                if ok:
                    return True, "%s as %s: %s; log: %s" % (what, USER2, d, pam_part(line))
                return False, "exit %s, output %r, log %s" % (code, short(text, 300),
                                                              self.log.since(mark))
            return fn
        S("su good token at a terminal", su("su-good", True, "token for %s" % USER1))
        S("su bad token at a terminal", su("su-bad", False, "forged token"))
        S("su password typed at the Token prompt",
          su("password", True, "%s's Unix password (common-auth)" % USER1))
        S("su long token on one terminal line",
          su("su-long", True, "%d-char token" % len(self.tokens["su-long"])))

        self.mint("login-good", aud="login-e2e")
        self.mint("login-bad", aud="login-e2e", key=self.forged_secret)

        def login_ok():
            mark = self.log.mark()
            code, text = self.pty_run(
                ["/bin/login", USER1],
                [(r"Token: ", self.tokens["login-good"] + "\n"),
                 (r"\$ ", "echo E2E-$(id -un)-E2E; exit\n")], timeout=20)
            got = re.search(r"E2E-(\w+)-E2E", text)
            line = self.log.wait_for(mark, r"pam_jwt\(login:auth\): accepted: ")
            if got and got.group(1) == USER1 and line:
                return True, "login shell ran as %s (login exit %s); log: %s" % (
                    got.group(1), code, pam_part(line))
            return False, "exit %s, output %r, log %s" % (code, short(text, 400),
                                                          self.log.since(mark))

        def login_bad_fn():
            mark = self.log.mark()
            code, text = self.pty_run(
                ["/bin/login", USER1],
                [(r"Token: ", self.tokens["login-bad"] + "\n"),
                 (r"Login incorrect", None)], timeout=20)
            line = self.log.wait_for(mark, r"pam_jwt\(login:auth\): rejected: ")
            if "Login incorrect" in text and "E2E-" not in text and line:
                return True, "\"Login incorrect\" (login then stopped); log: %s" % pam_part(line)
            return False, "exit %s, output %r, log %s" % (code, short(text, 400),
                                                          self.log.since(mark))
        S("login good token at a terminal", login_ok)
        S("login bad token at a terminal", login_bad_fn)
        # last: it rewrites common-auth for every service in the namespace
        S("pam-auth-update conf/pam-auth-update/pam_jwt", pau)

    def ssh_login(self, method, token_file):
        mark = self.log.mark()
        return self.expect_login(self.ssh(method, token_file), mark)

    def ssh_refused(self, method, token_file, regex):
        mark = self.log.mark()
        return self.expect_refused(self.ssh(method, token_file), mark,
                                   r"pam_jwt\(sshd-jwttest:auth\): " + regex)

    def teardown(self):
        for p in self.procs:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def inside_main(a):
    r = Runner(a)
    try:
        try:
            r.setup()
        except Exception as e:
            r.result("e2e setup", False, "%s: %s" % (type(e).__name__, e))
        else:
            r.run_all()
    finally:
        r.teardown()
        with open(os.path.join(a.inside, "counts.json"), "w") as f:
            json.dump({"passed": r.passed, "failed": r.failed,
                   "scenarios": r.scenarios}, f)
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--module", required=True)
    ap.add_argument("--pamjwt", required=True)
    ap.add_argument("--conf", required=True)
    ap.add_argument("--pamdir", required=True)
    ap.add_argument("--inside")
    ap.add_argument("--only", help="regex: run only the scenarios it matches")
    ap.add_argument("--timeout", type=int, default=240)
    a = ap.parse_args()
    a.module = os.path.abspath(a.module)
    a.pamjwt = os.path.abspath(a.pamjwt)
    if a.inside:
        return inside_main(a)
    return host_main(a)


if __name__ == "__main__":
    sys.exit(main())
