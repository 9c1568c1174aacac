#!/usr/bin/python3
"""tests/deb/scenario.py - what an administrator does with the packages,
run as root inside the throw-away root that tests/deb/run.py makes (never
on a real system: it installs packages and changes /etc/pam.d).

    scenario.py fixtures        a test user and a sudoers file
    scenario.py main [--only REGEX]
    scenario.py installed       (autopkgtest: debian/tests/pam-stack) the
                                fixtures, then main's use of the installed
                                packages, without installing or purging

main: apt installs /tmp/debs/libpam-jwt_*.deb and pamjwt_*.deb; the profile
is off until pam-auth-update --enable; logins with tokens through
pamtester, sshd (ssh with pamjwt-askpass), sudo and sudo -i; sudo's
timestamp cache with the default and with the sudoers line of pam_jwt(8);
fail2ban-regex with conf/fail2ban over the lines the module logged here,
hostile values included; the break-glass recipe of pam_jwt(8); reinstall
and upgrade keep the configuration, the replay store and the enabled
profile; pam-auth-update --disable; purge removes the package's files and
the replay store and leaves the administrator's own.  Counts go to
/tmp/deb-counts.json for run.py; exit 77 when ONLY matched nothing.
"""
import argparse
import glob
import json
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import pjtest  # noqa: E402

USER = "debtest"
GROUP = "tokenusers"
SUDOERS = "/etc/sudoers.d/deb-test"
CONF = "/etc/security/pam_jwt.conf"
IDP = "/etc/security/deb-test-idp"         # the "identity provider" key
BG_CONF = "/etc/security/pam_jwt-breakglass.conf"
BG_PUB = "/etc/security/pam_jwt-breakglass.pub"
BG_KEYDIR = "/root/breakglass"             # the offline key (offline!)
TS_SUDOERS = "/etc/sudoers.d/pam_jwt"
F2B_FILTER = "/etc/fail2ban/filter.d/pam_jwt.conf"
SSHD_DIR = "/tmp/sshd"
PORT = 2222
LOG = "/tmp/auth.log"

T = None


def sh(cmd, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s: exit %d\n%s%s" % (" ".join(cmd), r.returncode,
                                                  r.stdout, r.stderr))
    return r


def check(name, ok, detail=""):
    if not T.wants(name):
        return ok
    T.add(bool(ok))
    print("%s %s%s" % ("ok  " if ok else "FAIL", name,
                       "" if ok or not detail else ": " + detail.strip()[:600]))
    sys.stdout.flush()
    return ok


def fixtures():
    try:
        pwd.getpwnam(USER)
        return  # made already (check-deb runs the autopkgtest after main)
    except KeyError:
        pass
    sh(["groupadd", GROUP])
    sh(["useradd", "-m", "-s", "/bin/sh", "-G", GROUP, USER])
    sh(["usermod", "-p", "*", USER])
    pjtest.write(SUDOERS, "%s ALL=(ALL:ALL) ALL\nDefaults lecture=never\n"
                 % USER, 0o440)


# ---- syslog: the lines the module writes, as /var/log/auth.log has them ----

class Syslog:
    def __init__(self, bind_over=False):
        """bind_over: /dev/log belongs to a real system (autopkgtest): our
        socket is mounted over it, in the private mount namespace that
        debian/tests/pam-stack runs us in."""
        self.lines = []
        self.cv = threading.Condition()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if bind_over:
            path = "/tmp/pamjwt-deb-log.sock"
            if os.path.lexists(path):
                os.unlink(path)
            self.sock.bind(path)
            os.chmod(path, 0o666)
            sh(["mount", "--bind", path, "/dev/log"])
        else:
            path = "/dev/log"
            if os.path.lexists(path):
                os.unlink(path)
            self.sock.bind(path)
            os.chmod(path, 0o666)
        self.path = path
        self.host = socket.gethostname().split(".")[0] or "localhost"
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            data = self.sock.recv(65536).decode("utf-8", "replace")
            if data.startswith(pjtest.LOG_MARK):
                with self.cv:
                    self.lines.append((None, data))
                    self.cv.notify_all()
                continue
            m = re.match(r"<(\d+)>(\w{3} [ \d]\d \d\d:\d\d:\d\d) (.*)$", data,
                         re.S)
            if not m:
                continue
            line = "%s %s %s" % (m.group(2), self.host,
                                 m.group(3).rstrip("\n"))
            with self.cv:
                self.lines.append((int(m.group(1)) & 7, line))
                with open(LOG, "a") as f:
                    f.write(line + "\n")
                self.cv.notify_all()

    def mark(self):
        """Where the lines sent from now on start (pjtest.log_mark)."""
        return pjtest.log_mark(self.path, self.cv, self.lines,
                               lambda entry: entry[1])

    def since(self, mark, pattern=r"pam_jwt\("):
        """The matching lines sent by programs that have ended since mark."""
        end = self.mark()
        with self.cv:
            return [l for p, l in self.lines[mark:end - 1]
                    if p is not None and re.search(pattern, l)]


# ---- tokens and clients -------------------------------------------------

def mint(key, aud, sub=USER, iss="deb-test", ttl=300, jti=False, kid=None,
         claims=(), alg="EdDSA"):
    cmd = ["pamjwt", "mint", "--key", key, "--alg", alg, "--sub", sub,
           "--iss", iss, "--aud", aud, "--ttl", str(ttl)]
    if kid is not None:
        cmd += ["--kid", kid]
    for c in claims:
        cmd += ["--claim", c]
    if jti:
        cmd += ["--jti"]
    return sh(cmd).stdout.strip()


def tokfile(tok, name):
    path = "/tmp/tok-%s" % name
    pjtest.write(path, tok + "\n", 0o644)
    return path


def pamtester(service, user, tok, rhost=None):
    cmd = ["pamtester"] + (["-I", "rhost=" + rhost] if rhost else []) + \
        [service, user, "authenticate"]
    r = subprocess.run(cmd, input=tok + "\n", capture_output=True, text=True)
    return r.returncode == 0, r.stdout + r.stderr


def as_user(script, stdin=""):
    pw = pwd.getpwnam(USER)
    cmd = ["setpriv", "--reuid=%d" % pw.pw_uid, "--regid=%d" % pw.pw_gid,
           "--init-groups", "--reset-env", "--", "sh", "-c", script]
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True,
                          timeout=60)


class Sshd:
    def __init__(self, name="sshd"):
        os.makedirs(SSHD_DIR, exist_ok=True)
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        hk = os.path.join(SSHD_DIR, "hostkey")
        if not os.path.exists(hk):
            sh(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hk])
        # sshd uses its program name as the PAM service name
        prog = "/usr/sbin/sshd"
        if name != "sshd":
            prog = os.path.join(SSHD_DIR, name)
            if not os.path.lexists(prog):
                os.symlink("/usr/sbin/sshd", prog)
        cfg = os.path.join(SSHD_DIR, name + ".conf")
        pjtest.write(cfg, "Port %d\nListenAddress 127.0.0.1\nHostKey %s\n"
                     "PidFile %s/%s.pid\nUsePAM yes\n"
                     "KbdInteractiveAuthentication yes\n"
                     "PasswordAuthentication no\nPubkeyAuthentication no\n"
                     "MaxAuthTries 3\n" % (PORT, hk, SSHD_DIR, name))
        self.proc = subprocess.Popen([prog, "-D", "-e", "-f", cfg],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", PORT), 0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("sshd did not start")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def ssh(user, tok):
    env = pjtest.minimal_env(SSH_ASKPASS="/usr/bin/pamjwt-askpass",
                             SSH_ASKPASS_REQUIRE="force", DISPLAY=":0",
                             PAMJWT_TOKEN_FILE=tokfile(tok, "ssh"))
    cmd = ["ssh", "-F", "/dev/null", "-p", str(PORT), "-l", user,
           "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
           "-o", "PreferredAuthentications=keyboard-interactive",
           "-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1",
           "-o", "LogLevel=ERROR", "127.0.0.1", "id", "-un"]
    r = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=60)
    return r.returncode == 0 and r.stdout.strip() == user, \
        r.stdout + r.stderr


def common_auth():
    with open("/etc/pam.d/common-auth") as f:
        return [l for l in f.read().splitlines()
                if l.startswith("auth")]


def dpkg_status(pkg):
    r = sh(["dpkg-query", "-W", "-f=${db:Status-Abbrev}${Version}", pkg],
           check=False)
    return r.stdout.strip() if r.returncode == 0 else ""


def apt(*args):
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.run(["apt-get", "-y", "-q", "--no-install-recommends",
                           "-o", "Dpkg::Use-Pty=0"] + list(args), env=env,
                          capture_output=True, text=True, cwd="/tmp/debs")


def tree_state(path):
    """name -> (mode, size) of every file below path (the replay store)."""
    out = {}
    for d, _, files in os.walk(path):
        for n in files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            out[os.path.relpath(p, path)] = (st.st_mode, st.st_size)
    return out


def sha(path):
    import hashlib
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


# ---- the scenario -------------------------------------------------------

def main(installed):
    """installed: the packages are installed already (autopkgtest): only
    the use of them, and the system is left as far as possible as found."""
    log = Syslog(bind_over=installed)
    before_ca = common_auth()
    if installed:
        saved = open(CONF).read()
        use(log, before_ca)
        r = sh(["pam-auth-update", "--disable", "pam_jwt"], check=False)
        check("pam-auth-update --disable pam_jwt restores common-auth",
              r.returncode == 0 and common_auth() == before_ca,
              "\n".join(common_auth()))
        pjtest.write(CONF, saved, 0o644)
        for p in glob.glob(IDP + ".*") + [BG_PUB, BG_CONF, F2B_FILTER]:
            if os.path.lexists(p):
                os.unlink(p)
        shutil.rmtree(BG_KEYDIR, ignore_errors=True)
        return
    debs = sorted(glob.glob("/tmp/debs/*.deb"))
    lib = [d for d in debs if os.path.basename(d).startswith("libpam-jwt_")]
    tool = [d for d in debs if os.path.basename(d).startswith("pamjwt_")]

    # -- install
    r = apt("install", "./" + os.path.basename(lib[0]),
            "./" + os.path.basename(tool[0]))
    check("apt installs libpam-jwt and pamjwt from the .deb files",
          r.returncode == 0 and dpkg_status("libpam-jwt").startswith("ii") and
          dpkg_status("pamjwt").startswith("ii"), r.stdout + r.stderr)
    arch = sh(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"], check=False)
    triplet = arch.stdout.strip() or "x86_64-linux-gnu"
    check("the module is in the multiarch PAM directory",
          os.path.isfile("/lib/%s/security/pam_jwt.so" % triplet))
    conffiles = sh(["dpkg-query", "-W", "-f=${Conffiles}", "libpam-jwt"]).stdout
    check("/etc/security/pam_jwt.conf is a conffile", CONF in conffiles,
          conffiles)
    check("installing enables nothing: common-auth unchanged",
          common_auth() == before_ca and
          not any("pam_jwt" in l for l in common_auth()),
          "\n".join(common_auth()))
    pages = [sh(["man", "-w", n], check=False).stdout.strip()
             for n in ("pam_jwt", "pam_jwt.conf", "pamjwt", "pamjwt-askpass")]
    warn = ""
    env = dict(os.environ, LC_ALL="C.UTF-8", MANROFFSEQ="", MANWIDTH="80")
    for pg in pages:
        if pg:
            w = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l",
                                "-Tutf8", "-Z", pg], env=env,
                               capture_output=True, text=True)
            warn += w.stderr if w.returncode == 0 else "%s: exit %d %s" % (
                pg, w.returncode, w.stderr)
    check("the four installed man pages render without a warning",
          all(pages) and warn == "", repr(pages) + warn)

    key, t1 = use(log, before_ca)

    # -- reinstall and upgrade keep the configuration and the replay store
    upgrade_purge(log, before_ca, lib, tool, key, t1)


def use(log, before_ca):
    """Configure, enable, log in (pamtester, sshd, sudo, sudo -i), the
    timestamp cache, fail2ban, break-glass.  Returns the IdP key and a
    used single-use sudo token file."""
    # -- the administrator's configuration: an IdP key, sudo and sudo -i
    sh(["pamjwt", "keygen", "--alg", "EdDSA", "--out", IDP])
    key = IDP + ".key"
    pjtest.write(CONF, """# deb test: the administrator's configuration
public_key_file = %s.pub
issuer = deb-test
audience = host
max_ttl = 600

[service sshd]
audience = ssh

[service sudo]
audience = sudo
require_claim = scope=sudo
single_use

[service sudo-i]
audience = sudo
require_claim = scope=sudo
single_use
""" % IDP, 0o644)
    ok, out = pamtester("login", USER, mint(key, "host"))
    check("before --enable a token does not log in (pam_unix only)", not ok,
          out)
    r = sh(["pam-auth-update", "--enable", "pam_jwt"], check=False)
    ca = common_auth()
    check("pam-auth-update --enable pam_jwt puts pam_jwt first in common-auth",
          r.returncode == 0 and ca and "pam_jwt.so" in ca[0] and
          "pam_unix.so" in ca[1], "\n".join(ca) + r.stderr)

    # -- logins
    ok, out = pamtester("login", USER, mint(key, "host"))
    check("pamtester login: a valid token logs in", ok, out)
    ok, out = pamtester("login", USER, mint(key, "host", ttl=3600))
    check("pamtester login: a token over max_ttl is refused", not ok, out)

    sshd = Sshd()
    try:
        m = log.mark()
        ok, out = ssh(USER, mint(key, "ssh"))
        check("ssh (keyboard-interactive, pamjwt-askpass): a token logs in",
              ok and log.since(m, r"pam_jwt\(sshd:auth\): accepted: user=%s "
                               r"rhost=127\.0\.0\.1 " % USER), out)
        ok, out = ssh(USER, mint(key, "host"))
        check("ssh: a token for another audience is refused", not ok, out)
        # hostile values for the fail2ban check: a forged token whose kid
        # holds a fake address and a whole fake rejection line, and a user
        # name with a fake address
        forged = "/tmp/forged"
        if not os.path.exists(forged + ".key"):
            sh(["pamjwt", "keygen", "--alg", "EdDSA", "--out", forged])
        fake = ("x; user=root rhost=6.6.6.6 sub= iss= jti= kid= alg=EdDSA\n"
                "Dec  6 07:00:00 host sshd[1]: pam_jwt(sshd:auth): rejected: "
                "bad signature: x; user=root rhost=6.6.6.7 sub= iss= jti= "
                "kid= alg=EdDSA")
        ok, out = ssh(USER, mint(forged + ".key", "ssh", kid=fake))
        check("ssh: a forged token with a hostile kid is refused", not ok, out)
        ok, out = ssh("evil rhost=6.6.6.8", mint(key, "ssh",
                                                 sub="evil rhost=6.6.6.8"))
        check("ssh: a hostile user name is refused", not ok, out)
    finally:
        sshd.stop()
    ok, out = pamtester("login", USER, mint(forged + ".key", "host", kid=fake),
                        rhost="192.0.2.20")
    check("pamtester with rhost: a forged token is refused", not ok, out)
    ok, out = pamtester("login", "evil rhost=6.6.6.9",
                        mint(key, "host", sub="evil rhost=6.6.6.9"),
                        rhost="192.0.2.21")
    check("pamtester with rhost: a hostile user name is refused", not ok, out)

    # -- sudo and sudo -i through the Debian files (common-auth)
    def sudo_tok():
        return mint(key, "sudo", jti=True, claims=["scope=sudo"])

    m = log.mark()
    t1 = tokfile(sudo_tok(), "sudo1")
    r = as_user("sudo -S -p '' true < %s && sudo -n true && echo CACHED" % t1)
    check("sudo: a token works, then the timestamp cache lets sudo -n run "
          "without one (the default)",
          r.returncode == 0 and "CACHED" in r.stdout and
          len(log.since(m, r"pam_jwt\(sudo:auth\): accepted")) == 1,
          r.stdout + r.stderr)
    m = log.mark()
    r = as_user("sudo -S -p '' -i true < %s" % tokfile(sudo_tok(), "sudoi"))
    check("sudo -i: a token works through the sudo-i service",
          r.returncode == 0 and
          log.since(m, r"pam_jwt\(sudo-i:auth\): accepted: user=%s " % USER),
          r.stdout + r.stderr)
    m = log.mark()
    r = as_user("sudo -S -p '' -i true < %s" % t1)
    check("sudo -i: the used sudo token is refused (single_use, shared store)",
          r.returncode != 0 and
          log.since(m, r"pam_jwt\(sudo-i:auth\): rejected: token already used"),
          r.stdout + r.stderr)
    pjtest.write(TS_SUDOERS, "Defaults:%%%s timestamp_timeout=0\n" % GROUP,
                 0o440)
    r = sh(["visudo", "-c"], check=False)
    check("visudo accepts the sudoers line of pam_jwt(8)", r.returncode == 0,
          r.stdout + r.stderr)
    t2 = tokfile(sudo_tok(), "sudo2")
    r = as_user("sudo -S -p '' true < %s && echo FIRST; sudo -n true && "
                "echo CACHED" % t2)
    check("sudo with timestamp_timeout=0: every sudo needs a fresh token",
          r.returncode != 0 and "FIRST" in r.stdout and
          "CACHED" not in r.stdout, r.stdout + r.stderr)
    r = as_user("sudo -S -p '' true < %s && echo AGAIN" % t2)
    r3 = as_user("sudo -S -p '' true < %s && echo FRESH" %
                 tokfile(sudo_tok(), "sudo3"))
    check("sudo with timestamp_timeout=0: the same token again is refused, "
          "a fresh one works", "AGAIN" not in r.stdout and
          "FRESH" in r3.stdout, r.stdout + r.stderr + r3.stdout + r3.stderr)
    os.unlink(TS_SUDOERS)

    # -- fail2ban over the lines logged above
    fail2ban_checks()

    # -- break-glass (pam_jwt(8), BREAK-GLASS ACCESS)
    breakglass(log)

    return key, t1


def upgrade_purge(log, before_ca, lib, tool, key, t1):
    conf_sum = sha(CONF)
    store = tree_state("/var/lib/pam_jwt")
    check("the replay store holds records of the single-use tokens",
          len(store) >= 3, repr(store))
    ca = common_auth()
    r = apt("install", "--reinstall", "./" + os.path.basename(lib[0]),
            "./" + os.path.basename(tool[0]))
    check("reinstall of the same version: configuration, replay store and "
          "enabled profile kept",
          r.returncode == 0 and sha(CONF) == conf_sum and
          tree_state("/var/lib/pam_jwt") == store and common_auth() == ca,
          r.stdout + r.stderr)
    newer = repack(lib[0]), repack(tool[0])
    r = apt("install", *("./" + os.path.basename(d) for d in newer))
    check("upgrade to a newer version: configuration, replay store and "
          "enabled profile kept",
          r.returncode == 0 and
          dpkg_status("libpam-jwt").endswith("+debtest1") and
          sha(CONF) == conf_sum and
          tree_state("/var/lib/pam_jwt") == store and common_auth() == ca,
          r.stdout + r.stderr + dpkg_status("libpam-jwt"))
    m = log.mark()
    r = as_user("sudo -S -p '' true < %s" % t1)
    check("after the upgrade a used token is still refused",
          r.returncode != 0 and
          log.since(m, r"rejected: token already used"), r.stdout + r.stderr)
    ok, out = pamtester("login", USER, mint(key, "host"))
    check("after the upgrade a valid token logs in", ok, out)

    # -- disable, then purge (with the profile enabled again: prerm's part)
    r = sh(["pam-auth-update", "--disable", "pam_jwt"], check=False)
    check("pam-auth-update --disable pam_jwt restores common-auth",
          r.returncode == 0 and common_auth() == before_ca,
          "\n".join(common_auth()))
    ok, out = pamtester("login", USER, mint(key, "host"))
    check("after --disable a token no longer logs in", not ok, out)
    sh(["pam-auth-update", "--enable", "pam_jwt"])
    r = apt("purge", "libpam-jwt", "pamjwt")
    check("purge: packages gone, common-auth as before, conffile and replay "
          "store removed",
          r.returncode == 0 and dpkg_status("libpam-jwt") == "" and
          common_auth() == before_ca and not os.path.exists(CONF) and
          not os.path.exists("/var/lib/pam_jwt") and
          not os.path.exists("/usr/share/pam-configs/pam_jwt"),
          r.stdout + r.stderr + "\n".join(common_auth()))
    check("purge keeps the administrator's own key files",
          os.path.exists(IDP + ".key") and os.path.exists(BG_PUB))
    # what the administrator made (not the packages): removed by the test
    # itself, so that run.py can compare the rest with the state before
    for p in glob.glob(IDP + ".*") + [BG_PUB, BG_CONF, F2B_FILTER,
                                       "/etc/pam.d/sshd-bg"]:
        if os.path.lexists(p):
            os.unlink(p)
    shutil.rmtree(BG_KEYDIR, ignore_errors=True)
    # pam-auth-update's debconf answer lives in /var/cache (not compared)


def repack(deb):
    """The same package as version +debtest1: a real upgrade path
    (prerm upgrade, new files unpacked, postinst configure)."""
    d = "/tmp/repack"
    shutil.rmtree(d, ignore_errors=True)
    sh(["dpkg-deb", "-R", deb, d])
    ctl = os.path.join(d, "DEBIAN", "control")
    with open(ctl) as f:
        text = f.read()
    text = re.sub(r"^Version: (.*)$", r"Version: \1+debtest1", text, flags=re.M)
    with open(ctl, "w") as f:
        f.write(text)
    out = os.path.join("/tmp/debs", os.path.basename(deb).replace(
        "_", "_", 1).replace(".deb", "+debtest1.deb"))
    sh(["dpkg-deb", "-b", d, out])
    shutil.rmtree(d)
    return out


def f2b_section(out, head):
    """The lines fail2ban-regex lists under "|- HEAD line(s):"."""
    m = re.search(r"^\|- %s line\(s\):\n(.*?)^`-" % head, out, re.M | re.S)
    if not m:
        return []
    return [l[3:] for l in m.group(1).splitlines() if l.startswith("|  ")]


COUNTED = ("token too long|malformed token|algorithm not allowed|"
           "unacceptable header|no key for token|bad signature|token expired|"
           "token not yet valid|claim missing or wrong|issuer not accepted|"
           "audience not accepted|lifetime not accepted|typ not accepted|"
           "token already used|user not accepted|account not allowed|"
           "unknown user")


def fail2ban_checks():
    name = "fail2ban-regex: exactly the real rejection lines with rhost match"
    if shutil.which("fail2ban-regex") is None:
        print("SKIP %s: fail2ban is not installed" % name)
        return
    shutil.copy(os.path.join(ROOT, "conf/fail2ban/filter.d/pam_jwt.conf"),
                F2B_FILTER)
    r = sh(["fail2ban-regex", "-v", "--print-all-matched", LOG, "pam_jwt"],
           check=False)
    out = r.stdout
    with open(LOG) as f:
        lines = f.read().splitlines()
    want = [l for l in lines if re.search(
        r"pam_jwt\(\S+:auth\): rejected: (?:%s): .* rhost=" % COUNTED, l)]
    matched = f2b_section(out, "Matched")
    hosts = set(re.findall(r"^\|\s+(\d+\.\d+\.\d+\.\d+)\s+\w{3} \w{3} ",
                           out, re.M))
    check(name, r.returncode == 0 and len(want) >= 4 and
          sorted(matched) == sorted(want) and
          hosts == {"127.0.0.1", "192.0.2.20", "192.0.2.21"},
          "want %d lines, matched %d, hosts %r\n%s" %
          (len(want), len(matched), hosts, out[-3000:]))
    hostile = [l for l in lines if "6.6.6" in l]
    check("fail2ban: hostile kid and user name logged escaped, no fake "
          "address taken",
          len(hostile) >= 2 and not any(h.startswith("6.6.6") for h in hosts)
          and all(re.search(r"\\x20rhost\\x3d6\.6\.6\.", l)
                  for l in hostile), "\n".join(hostile))
    bad = [l for l in matched if re.search(r"pam_jwt\(\S+\): accepted:", l)
           or re.search(r"pam_jwt\(sudo(?:-i)?:auth\)", l)]
    check("fail2ban: accepted lines and lines without rhost (sudo, sudo -i) "
          "do not match",
          any(re.search(r"pam_jwt\(\S+\): accepted:", l) for l in lines) and
          any("pam_jwt(sudo-i:auth): rejected" in l for l in lines) and
          not bad, "matched:\n" + "\n".join(bad) + "\nlog:\n" +
          "\n".join(l for l in lines if "pam_jwt(sudo" in l))


def breakglass(log):
    """pam_jwt(8), BREAK-GLASS ACCESS: an offline key, its own configuration
    (single_use, short lifetime, own audience), the profile
    pam_jwt-breakglass; the identity provider's key gone."""
    os.makedirs(BG_KEYDIR, mode=0o700, exist_ok=True)
    sh(["pamjwt", "keygen", "--alg", "EdDSA", "--out", BG_KEYDIR + "/bg"])
    shutil.copy(BG_KEYDIR + "/bg.pub", BG_PUB)
    os.chmod(BG_PUB, 0o644)
    pjtest.write(BG_CONF, """# break-glass: tokens signed offline
public_key_file = %s
issuer = breakglass
audience = breakglass
require_claim = scope=breakglass
single_use
max_ttl = 900
""" % BG_PUB, 0o644)
    r = sh(["pam-auth-update", "--enable", "pam_jwt-breakglass"], check=False)
    ca = common_auth()
    check("break-glass: the profile comes second, taking the first line's "
          "answer", r.returncode == 0 and len(ca) > 2 and
          "pam_jwt.so" in ca[0] and "breakglass" not in ca[0] and
          "use_first_pass config=%s" % BG_CONF in ca[1] and
          "pam_unix" in ca[2], "\n".join(ca))
    # the identity provider is gone: its key file too
    os.rename(IDP + ".pub", IDP + ".pub.gone")
    bkey = BG_KEYDIR + "/bg.key"
    tok = mint(bkey, "breakglass", iss="breakglass", ttl=600, jti=True,
               claims=["scope=breakglass"])
    sshd = Sshd()
    try:
        m = log.mark()
        ok, out = ssh(USER, tok)
        check("break-glass: the offline token logs in over sshd with the "
              "IdP's key gone", ok and log.since(
                  m, r"pam_jwt\(sshd:auth\): accepted: user=%s rhost=\S+ "
                  r"sub=%s iss=breakglass " % (USER, USER)), out)
        m = log.mark()
        ok, out = ssh(USER, tok)
        check("break-glass: the same token the second time is refused",
              not ok and log.since(m, r"rejected: token already used"), out)
        ok, out = ssh(USER, mint(bkey, "breakglass", iss="breakglass",
                                 ttl=3600, jti=True,
                                 claims=["scope=breakglass"]))
        check("break-glass: a token living longer than max_ttl is refused",
              not ok, out)
        ok, out = ssh(USER, mint(bkey, "breakglass", iss="breakglass",
                                 ttl=600, claims=["scope=breakglass"]))
        check("break-glass: a token without jti is refused", not ok, out)
    finally:
        sshd.stop()
    ok, out = pamtester("login", USER, mint(bkey, "breakglass",
                                            iss="breakglass", ttl=600,
                                            jti=True,
                                            claims=["scope=breakglass"]))
    check("break-glass: at the console (login service) once", ok, out)
    os.rename(IDP + ".pub.gone", IDP + ".pub")
    ok, out = pamtester("login", USER, mint(IDP + ".key", "host"))
    check("break-glass: the IdP's tokens work as before beside it", ok, out)
    sh(["pam-auth-update", "--disable", "pam_jwt-breakglass"])


def run_main(installed):
    try:
        main(installed)
    except Exception as e:  # a step that could not run is a failure
        T.add(False)
        print("FAIL the scenario stopped: %s" % e)
    with open("/tmp/deb-counts.json", "w") as f:
        json.dump({"passed": T.passed, "failed": T.failed}, f)
    if T.none_ran():
        return 77
    return 0 if T.failed == 0 else 1


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("phase", choices=("fixtures", "main", "installed"))
    ap.add_argument("--only")
    a = ap.parse_args()
    if a.phase == "fixtures":
        fixtures()
        sys.exit(0)
    T = pjtest.Tally("deb", a.only)
    if a.phase == "installed":
        fixtures()
    sys.exit(run_main(a.phase == "installed"))
