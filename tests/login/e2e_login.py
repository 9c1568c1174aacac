#!/usr/bin/python3
"""tests/login/e2e_login.py - the tokens `pamjwt login` cached, used by the
real ssh and sudo: sshd (keyboard-interactive, PAM) and sudo -A in a
private mount namespace, with `pamjwt-askpass` answering from the cache.

Run by tests/login/run.py (as root) after real sign-ins:

    e2e_login.py --build BUILD --issuer URL --client ID --ca CA.pem
        --jwks FILE --home USER=HOMEDIR ... [--inside DIR]

Each HOMEDIR holds ~/.cache/pamjwt with the user's token and
~/.config/pamjwt/login.conf.  In the namespace (/etc, /var/log, /var/lib
are overlays, /run a fresh tmpfs; see tests/e2e/e2e.py) the users exist,
/etc/pam.d/sshd-jwtlogin and /etc/pam.d/sudo use pam_jwt.so with the
provider's keys; sudo also requires the group claim jwt-admins.  Prints
"ok  NAME" or "FAIL NAME: detail" per check; exit 0 only if all passed.
The host's /etc is never written; every process is stopped by PID.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import e2e  # noqa: E402  (its namespace helpers: ns_of, pids_in_ns, teardown)

TAG = "pamjwt-login-e2e"
GROUP_CLAIM = "groups=jwt-admins"


def say(ok, name, detail=""):
    print("%s %s%s" % ("ok  " if ok else "FAIL", name,
                       "" if ok else ": " + detail[-1500:]))
    sys.stdout.flush()
    return ok


def host(a):
    tmp = tempfile.mkdtemp(prefix=TAG + ".")
    os.chmod(tmp, 0o755)
    script = ["set -e", "T=%s" % tmp,
              "mount -t tmpfs -o mode=755 %s-run /run" % TAG,
              "mkdir -m 755 /run/sshd"]
    for i, d in enumerate(["/etc", "/var/log", "/var/lib"]):
        script += ["mkdir -p $T/ov/%d/u $T/ov/%d/w" % (i, i),
                   "mount -t overlay %s-%d -o lowerdir=%s,upperdir=$T/ov/%d/u,"
                   "workdir=$T/ov/%d/w %s" % (TAG, i, d, i, i, d)]
    script += ["echo ready", "exec setpriv --pdeathsig KILL -- sleep infinity"]
    holder = subprocess.Popen(
        ["unshare", "--mount", "--propagation", "private", "--",
         "/bin/sh", "-c", "\n".join(script)],
        stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    ns = None
    rc = 1
    try:
        line = holder.stdout.readline()
        ns = e2e.ns_of(holder.pid)
        if line.strip() != b"ready" or ns is None or ns == e2e.ns_of(os.getpid()):
            ns = None
            say(False, "e2e setup", "the mount namespace could not be set up")
        else:
            cmd = ["nsenter", "-t", str(holder.pid), "-m", "--",
                   "/usr/bin/python3", os.path.abspath(__file__),
                   "--inside", tmp] + sys.argv[1:]
            rc = subprocess.run(cmd, timeout=300,
                                stdin=subprocess.DEVNULL).returncode
    finally:
        e2e.teardown(ns, holder)
        shutil.rmtree(tmp, ignore_errors=True)
    return rc


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def inside(a):
    T = a.inside
    module = os.path.join(os.path.abspath(a.build), "pam_jwt.so")
    ok = True
    procs = []
    try:
        bindir = os.path.join(T, "bin")
        os.makedirs(bindir)
        shutil.copy(os.path.join(a.build, "pamjwt"), bindir)
        os.chmod(os.path.join(bindir, "pamjwt"), 0o755)
        os.symlink("pamjwt", os.path.join(bindir, "pamjwt-askpass"))
        askpass = os.path.join(bindir, "pamjwt-askpass")
        shutil.copy(a.ca, os.path.join(T, "ca.pem"))
        shutil.copy(a.jwks, os.path.join(T, "provider.jwks"))
        for f in ("ca.pem", "provider.jwks"):
            os.chmod(os.path.join(T, f), 0o644)
        users = {}
        for spec in a.home:
            user, src = spec.split("=", 1)
            h = os.path.join(T, "home", user)
            subprocess.run(["useradd", "-M", "-d", h, "-s", "/bin/sh", "-p",
                            "*", user], check=True)
            pw = subprocess.run(["getent", "passwd", user], check=True,
                                capture_output=True, text=True).stdout.split(":")
            uid, gid = int(pw[2]), int(pw[3])
            shutil.copytree(src, h, symlinks=True)
            # the cache and config as the user's own: login.conf names the
            # CA at its new place
            conf = os.path.join(h, ".config", "pamjwt", "login.conf")
            with open(conf, "w") as f:
                f.write("issuer = %s\nclient_id = %s\nca_file = %s\n" %
                        (a.issuer, a.client, os.path.join(T, "ca.pem")))
            for root, dirs, files in os.walk(h):
                os.chown(root, uid, gid)
                for x in files:
                    os.chown(os.path.join(root, x), uid, gid)
            os.chmod(h, 0o755)
            users[user] = (uid, gid, h)
        args = ("jwks_file=%s/provider.jwks issuer=%s audience=%s "
                "user_claim=preferred_username config=%s/pam_jwt.conf" %
                (T, a.issuer, a.client, T))
        # the prompt tells a user without a token what to run (the prompt
        # option; askpass answers any prompt that says "token")
        with open(os.path.join(T, "pam_jwt.conf"), "w") as f:
            f.write("prompt = Token (no token? run: pamjwt login): \n")
        os.chmod(os.path.join(T, "pam_jwt.conf"), 0o644)
        with open("/etc/pam.d/sshd-jwtlogin", "w") as f:
            f.write("auth required %s %s\naccount required pam_permit.so\n"
                    "session required pam_permit.so\n" % (module, args))
        with open("/etc/pam.d/sudo", "w") as f:
            f.write("auth required %s %s require_claim=%s\n"
                    "account required pam_permit.so\n"
                    "session required pam_permit.so\n" %
                    (module, args, GROUP_CLAIM))
        with open("/etc/sudoers.d/pamjwt-login", "w") as f:
            for u in users:
                f.write("%s ALL=(root) /usr/bin/id\n" % u)
        os.chmod("/etc/sudoers.d/pamjwt-login", 0o440)

        # sshd: its PAM service is its program name
        sdir = os.path.join(T, "sshd")
        os.makedirs(sdir)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                        os.path.join(sdir, "hostkey")], check=True)
        port = free_port()
        with open(os.path.join(sdir, "sshd_config"), "w") as f:
            f.write("Port %d\nListenAddress 127.0.0.1\nHostKey %s/hostkey\n"
                    "PidFile %s/sshd.pid\nUsePAM yes\n"
                    "KbdInteractiveAuthentication yes\n"
                    "PasswordAuthentication no\nPubkeyAuthentication no\n"
                    "AllowUsers %s\n" % (port, sdir, sdir, " ".join(users)))
        os.symlink("/usr/sbin/sshd", os.path.join(sdir, "sshd-jwtlogin"))
        sshd = subprocess.Popen([os.path.join(sdir, "sshd-jwtlogin"), "-D",
                                 "-e", "-f", os.path.join(sdir, "sshd_config")],
                                stdout=subprocess.DEVNULL,
                                stderr=open(os.path.join(T, "sshd.log"), "w"))
        procs.append(sshd)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                time.sleep(0.1)

        def as_user(u, cmd, env_extra=None):
            uid, gid, h = users[u]
            env = {"PATH": bindir + ":/usr/bin:/bin", "HOME": h,
                   "LANG": "C"}
            env.update(env_extra or {})
            return subprocess.run(
                ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid,
                 "--init-groups", "--"] + cmd, env=env, capture_output=True,
                text=True, timeout=60, stdin=subprocess.DEVNULL)

        def ssh(u):
            return as_user(u, [
                "ssh", "-F", "/dev/null", "-p", str(port),
                "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null",
                "-o", "PreferredAuthentications=keyboard-interactive",
                "-o", "PubkeyAuthentication=no",
                "-o", "NumberOfPasswordPrompts=1",
                "%s@127.0.0.1" % u, "id -un"],
                {"SSH_ASKPASS": askpass, "SSH_ASKPASS_REQUIRE": "force"})

        users_l = list(users)
        admin, plain = users_l[0], users_l[1]
        r = ssh(admin)
        ok &= say(r.returncode == 0 and r.stdout.strip() == admin,
                  "ssh with pamjwt-askpass from the cache logs in as the "
                  "mapped user, no typing",
                  "rc=%s out=%r err=%s" % (r.returncode, r.stdout, r.stderr))
        # pamjwt ssh HOST: the one-shot form sets SSH_ASKPASS itself
        uid, gid, h = users[admin]
        r = as_user(admin, [
            os.path.join(bindir, "pamjwt"), "ssh", "127.0.0.1", "-F",
            "/dev/null", "-p", str(port), "-l", admin,
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "PreferredAuthentications=keyboard-interactive",
            "-o", "PubkeyAuthentication=no", "id -un"])
        ok &= say(r.returncode == 0 and r.stdout.strip() == admin,
                  "pamjwt ssh HOST logs in with the cached token",
                  "rc=%s out=%r err=%s" % (r.returncode, r.stdout, r.stderr))
        r = ssh(plain)
        ok &= say(r.returncode == 0 and r.stdout.strip() == plain,
                  "ssh: the second user logs in as themself",
                  "rc=%s out=%r err=%s" % (r.returncode, r.stdout, r.stderr))
        sudo = ["sudo", "-A", "-k", "/usr/bin/id", "-un"]
        r = as_user(admin, sudo, {"SUDO_ASKPASS": askpass})
        ok &= say(r.returncode == 0 and r.stdout.strip() == "root",
                  "sudo -A: a token carrying the required group",
                  "rc=%s out=%r err=%s" % (r.returncode, r.stdout, r.stderr))
        r = as_user(plain, sudo, {"SUDO_ASKPASS": askpass})
        ok &= say(r.returncode != 0 and r.stdout.strip() != "root",
                  "sudo -A: a user whose token lacks the group is refused",
                  "rc=%s out=%r err=%s" % (r.returncode, r.stdout, r.stderr))
        # without a cache: askpass sends nothing and ssh fails; the prompt
        # named what to run
        uid, gid, h = users[admin]
        cache = os.path.join(h, ".cache", "pamjwt")
        os.rename(cache, cache + ".away")
        rec = os.path.join(T, "bin", "askpass-rec")
        with open(rec, "w") as f:
            f.write('#!/bin/sh\nprintf "%%s\\n" "$1" >> %s/prompts\n'
                    'exec %s "$@"\n' % (h, askpass))
        os.chmod(rec, 0o755)
        r = as_user(admin, [
            "ssh", "-F", "/dev/null", "-p", str(port),
            "-o", "StrictHostKeyChecking=no",
            "-o", "UserKnownHostsFile=/dev/null",
            "-o", "PreferredAuthentications=keyboard-interactive",
            "-o", "PubkeyAuthentication=no",
            "-o", "NumberOfPasswordPrompts=1",
            "%s@127.0.0.1" % admin, "id -un"],
            {"SSH_ASKPASS": rec, "SSH_ASKPASS_REQUIRE": "force"})
        try:
            prompts = open(os.path.join(h, "prompts")).read()
        except OSError:
            prompts = ""
        os.rename(cache + ".away", cache)
        ok &= say(r.returncode != 0 and "run: pamjwt login" in prompts,
                  "no token in the cache: ssh refused, the prompt says to "
                  "run pamjwt login",
                  "rc=%s prompts=%r err=%s" % (r.returncode, prompts,
                                               r.stderr))
    except Exception as e:  # a broken set-up is a failure
        ok = say(False, "e2e", "%s: %s" % (type(e).__name__, e))
    finally:
        for p in procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGTERM)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    os.kill(p.pid, signal.SIGKILL)
                    p.wait()
    return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--jwks", required=True)
    ap.add_argument("--home", action="append", required=True)
    ap.add_argument("--inside")
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    if a.inside:
        return inside(a)
    return host(a)


if __name__ == "__main__":
    sys.exit(main())
