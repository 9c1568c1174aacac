"""e2e_sshd - the provider's real token at a real sshd (used by run.py).

A private mount namespace (a holder process: /etc an overlay, /run a fresh
tmpfs) holds a test account, /etc/pam.d/sshd-jwtoidc and sshd on
127.0.0.1; the JWK Set is fetched by `pamjwt jwks-fetch` in the host's
namespace into the test's directory, which sshd's module reads.  The token
comes from the provider's client-credentials grant; the ssh client runs
`pamjwt askpass`.  Then the provider rotates: sshd refuses the new kid,
the module leaves its refresh request in the namespace's /run, the
on-demand fetch runs, and the same token logs in.  Every process of the
namespace, then the holder, is stopped by PID; the host must keep no
account, no PAM file and no mount.
"""
import os
import signal
import socket
import subprocess
import time

USER = "svc-backup"
SERVICE = "sshd-jwtoidc"


def ns_of(pid):
    try:
        return os.readlink("/proc/%d/ns/mnt" % pid)
    except OSError:
        return None


def pids_in_ns(ns):
    return [int(d) for d in os.listdir("/proc")
            if d.isdigit() and ns_of(int(d)) == ns]


def mountinfo():
    with open("/proc/self/mountinfo") as f:
        return sorted(line.split(" ", 4)[4] for line in f.read().splitlines())


class Namespace:
    def __init__(self, work):
        self.work = work
        self.holder = None
        self.ns = None

    def start(self):
        t = self.work
        script = "\n".join([
            "set -e",
            "mount -t tmpfs -o mode=755 oidc-e2e-run /run",
            "mkdir -m 755 /run/sshd /run/pam_jwt",
            "mkdir -p %s/ov/u %s/ov/w" % (t, t),
            "mount -t overlay oidc-e2e-etc -o lowerdir=/etc,upperdir=%s/ov/u,"
            "workdir=%s/ov/w /etc" % (t, t),
            "echo ready",
            "exec setpriv --pdeathsig KILL -- sleep infinity"])
        self.holder = subprocess.Popen(
            ["unshare", "--mount", "--propagation", "private", "--",
             "/bin/sh", "-c", script], stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL)
        line = self.holder.stdout.readline()
        self.ns = ns_of(self.holder.pid)
        if line.strip() != b"ready" or self.ns in (None, ns_of(os.getpid())):
            raise RuntimeError("the mount namespace could not be set up")

    def run(self, argv, **kw):
        return subprocess.run(["nsenter", "-t", str(self.holder.pid), "-m",
                               "--"] + argv, **kw)

    def popen(self, argv, **kw):
        # nsenter without --fork execs the program: the PID is its own
        return subprocess.Popen(["nsenter", "-t", str(self.holder.pid), "-m",
                                 "--"] + argv, **kw)

    def path(self, p):
        """A path as the namespace sees it (through the holder's root)."""
        return "/proc/%d/root%s" % (self.holder.pid, p)

    def stop(self):
        if self.holder is None:
            return
        if self.ns is not None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                victims = [p for p in pids_in_ns(self.ns)
                           if p != self.holder.pid]
                for p in victims:
                    try:
                        os.kill(p, sig)
                    except ProcessLookupError:
                        pass
                deadline = time.monotonic() + 3
                while victims and time.monotonic() < deadline:
                    victims = [p for p in pids_in_ns(self.ns)
                               if p != self.holder.pid]
                    time.sleep(0.05)
                if not victims:
                    break
        self.holder.terminate()
        try:
            self.holder.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.holder.kill()
            self.holder.wait()
        self.holder.stdout.close()
        self.holder = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_e2e(t):
    """t: run.py's module (WORK, TOOL, BUILD, P, CA, check, fetch, token,
    unit_command, kids, write_conf, pjtest).  Returns nothing; checks."""
    name = "e2e: provider token at sshd"
    if os.geteuid() != 0:
        print("SKIP %s: needs root (sshd, an account and overlays in a "
              "private mount namespace)" % name)
        return
    if subprocess.run(["mountpoint", "-q", "/"]).returncode != 0:
        print("SKIP %s: / is not a mount point (a chroot?)" % name)
        return
    if subprocess.run(["getent", "passwd", USER],
                      stdout=subprocess.DEVNULL).returncode == 0:
        t.check(name + " (setup)", False, "user %s exists on this host" % USER)
        return
    work = os.path.join(t.WORK, "e2e")
    os.makedirs(work, mode=0o755)
    os.chmod(t.WORK, 0o755)
    mounts_before = mountinfo()
    out = os.path.join(work, "idp.jwks")
    r = t.fetch(out)
    conf = t.pjtest.write(os.path.join(work, "pam_jwt.conf"), (
        "jwks_file = %s\nissuer = %s\naudience = pam_jwt\ntyp = at+jwt\n"
        "require_claim = scope=ssh\n"
        "refresh_request = /run/pam_jwt/refresh-request\n") % (out, t.P.issuer))
    ns = Namespace(work)
    sshd = None
    try:
        ns.start()
        ns.run(["useradd", "-M", "-d", "/tmp", "-s", "/bin/sh", USER],
               check=True)
        ns.run(["usermod", "-p", "*", USER], check=True)
        with open(ns.path("/etc/pam.d/" + SERVICE), "w") as f:
            f.write("auth     required  %s config=%s\n"
                    "account  required  pam_permit.so\n"
                    "session  required  pam_permit.so\n"
                    "password required  pam_deny.so\n" %
                    (os.path.join(t.BUILD, "pam_jwt.so"), conf))
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        os.path.join(work, "host_ed25519")], check=True)
        port = free_port()
        t.pjtest.write(os.path.join(work, "sshd_config"), (
            "Port %d\nListenAddress 127.0.0.1\nHostKey %s/host_ed25519\n"
            "PidFile %s/sshd.pid\nUsePAM yes\nKbdInteractiveAuthentication "
            "yes\nPasswordAuthentication no\nPubkeyAuthentication no\n"
            "AuthorizedKeysFile none\nPermitRootLogin no\nAllowUsers %s\n"
            "PrintMotd no\n") % (port, work, work, USER))
        os.symlink("/usr/sbin/sshd", os.path.join(work, SERVICE))
        os.symlink(t.TOOL, os.path.join(work, "pamjwt-askpass"))
        err = open(os.path.join(work, "sshd.stderr"), "w")
        sshd = ns.popen([os.path.join(work, SERVICE), "-D", "-e", "-f",
                         os.path.join(work, "sshd_config")],
                        stdin=subprocess.DEVNULL, stdout=err, stderr=err)
        err.close()
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.5).close()
                break
            except OSError:
                if sshd.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("sshd did not start")
                time.sleep(0.05)

        def ssh(tok):
            tf = t.pjtest.write(os.path.join(work, "token"), tok, mode=0o600)
            env = {"PATH": "/usr/bin:/bin", "HOME": work,
                   "SSH_ASKPASS": os.path.join(work, "pamjwt-askpass"),
                   "SSH_ASKPASS_REQUIRE": "force", "PAMJWT_TOKEN_FILE": tf}
            return subprocess.run(
                ["/usr/bin/ssh", "-F", "/dev/null", "-p", str(port),
                 "-o", "StrictHostKeyChecking=no",
                 "-o", "UserKnownHostsFile=/dev/null",
                 "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                 "-o", "PreferredAuthentications=keyboard-interactive",
                 "-o", "PubkeyAuthentication=no",
                 "-o", "NumberOfPasswordPrompts=1", "-o", "ConnectTimeout=10",
                 "%s@127.0.0.1" % USER, "id -un"], stdin=subprocess.DEVNULL,
                capture_output=True, text=True, env=env, timeout=60)

        tok = t.token()
        res = ssh(tok)
        t.check(name + " (client-credentials token logs in over ssh)",
                r.returncode == 0 and res.returncode == 0 and
                res.stdout.strip() == USER, r.stderr + res.stdout + res.stderr)
        # the provider rotates: sshd refuses the new kid at once and the
        # module leaves the request in the namespace's /run
        t.P.admin("/rotate", {"add": "RS256", "kid": "e2e-rotated"})
        new_tok = t.token()
        req = ns.path("/run/pam_jwt/refresh-request")
        res = ssh(new_tok)
        t.check(name + " (new kid refused, refresh request left in /run)",
                res.returncode != 0 and os.path.exists(req),
                res.stdout + res.stderr)
        r = subprocess.run(t.unit_command("pam_jwt-jwks-fetch-now@.service",
                                          t.P.issuer, out),
                           capture_output=True, text=True, env=t.ENV,
                           timeout=120)
        res = ssh(new_tok)
        t.check(name + " (after the on-demand fetch the new token logs in)",
                r.returncode == 0 and "e2e-rotated" in t.kids(out) and
                res.returncode == 0 and res.stdout.strip() == USER,
                r.stderr + res.stdout + res.stderr)
    finally:
        ns.stop()
    t.check(name + " (host unchanged: no account, no PAM file, no mount)",
            subprocess.run(["getent", "passwd", USER],
                           stdout=subprocess.DEVNULL).returncode != 0 and
            not os.path.exists("/etc/pam.d/" + SERVICE) and
            mountinfo() == mounts_before)
