#!/usr/bin/python3
"""The host side of tests/linkd with Debian's real sshd, ssh and sudo, in a
private mount namespace (as tests/e2e does it).

    /usr/bin/python3 tests/linkd/ns_login.py SPEC.json

SPEC: {"tmp": DIR, "module": pam_jwt.so, "pamjwt": pamjwt, "conf": the
host's pam_jwt.conf, "port": P, "ssh": [USER, TOKENFILE], "sudo": [USER,
TOKENFILE]}.  Needs root.  It re-executes itself under `unshare --mount
--propagation private`; in there /etc and /var/log become overlays whose
writes land in DIR, /run a fresh tmpfs; the two users (shadow password
`*`), /etc/pam.d/sshd and /etc/pam.d/sudo (the module with the host's
config, then Debian's common-account and common-session), a sudoers rule,
and sshd on 127.0.0.1:P exist only there.  Then:
  ssh   `ssh USER@127.0.0.1 id -un` twice with SSH_ASKPASS=pamjwt-askpass
        and PAMJWT_TOKEN_FILE=TOKENFILE (the token page's command)
  sudo  as USER, `sudo -S -k true` twice with the token on standard input
Prints one JSON object: {"ssh": [rc, rc], "ssh_out": [...], "sudo": [rc,
rc], "log": [auth lines]}.  sshd is stopped by its PID; leaving the
namespace removes every mount.  Exit 2 when it cannot run.
"""
import json
import os
import shutil
import subprocess
import sys
import time


def sh(*argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def inner(spec):
    tmp = spec["tmp"]
    for d in ("etc-up", "etc-work", "log-up", "log-work"):
        os.makedirs(os.path.join(tmp, d), exist_ok=True)
    steps = [
        ["mount", "-t", "tmpfs", "-o", "mode=755", "pjlinkd-run", "/run"],
        ["mount", "-t", "overlay", "pjlinkd-etc", "-o",
         "lowerdir=/etc,upperdir=%s/etc-up,workdir=%s/etc-work" % (tmp, tmp),
         "/etc"],
        ["mount", "-t", "overlay", "pjlinkd-log", "-o",
         "lowerdir=/var/log,upperdir=%s/log-up,workdir=%s/log-work" % (tmp, tmp),
         "/var/log"],
    ]
    for st in steps:
        r = sh(*st)
        if r.returncode != 0:
            print(json.dumps({"error": "%s: %s" % (" ".join(st), r.stderr)}))
            return 2
    os.makedirs("/run/sshd", mode=0o755)
    users = sorted({spec["ssh"][0], spec["sudo"][0]})
    for u in users:
        r = sh("useradd", "-M", "-d", "/nonexistent", "-s", "/bin/sh", "-p",
               "*", u)
        if r.returncode != 0:
            print(json.dumps({"error": "useradd %s: %s" % (u, r.stderr)}))
            return 2
    line = "auth required %s config=%s\n" % (spec["module"], spec["conf"])
    rest = "@include common-account\n@include common-session-noninteractive\n"
    with open("/etc/pam.d/sshd", "w") as f:
        f.write(line + rest)
    with open("/etc/pam.d/sudo", "w") as f:
        f.write(line + rest)
    os.makedirs("/etc/sudoers.d", exist_ok=True)
    with open("/etc/sudoers.d/pjlinkd", "w") as f:
        f.write("Defaults lecture=never\n%s ALL=(ALL) ALL\n" % spec["sudo"][0])
    os.chmod("/etc/sudoers.d/pjlinkd", 0o440)
    hk = os.path.join(tmp, "hostkey")
    if not os.path.exists(hk):
        sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", hk)
    cfg = os.path.join(tmp, "sshd_config")
    with open(cfg, "w") as f:
        f.write("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s\n"
                "UsePAM yes\nKbdInteractiveAuthentication yes\n"
                "PasswordAuthentication no\nPubkeyAuthentication no\n"
                "AllowUsers %s\nPermitRootLogin no\nLogLevel VERBOSE\n" % (
                    spec["port"], hk, os.path.join(tmp, "sshd.pid"),
                    spec["ssh"][0]))
    log = open(os.path.join(tmp, "sshd.log"), "w")
    sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", cfg],
                            stdout=log, stderr=log)
    res = {"ssh": [], "ssh_out": [], "sudo": [], "sudo_err": []}
    try:
        end = time.time() + 10
        import socket
        while time.time() < end:
            try:
                socket.create_connection(("127.0.0.1", spec["port"]), 0.3).close()
                break
            except OSError:
                time.sleep(0.1)
        askpass = os.path.join(tmp, "pamjwt-askpass")
        if not os.path.exists(askpass):
            os.symlink(spec["pamjwt"], askpass)
        user, tokfile = spec["ssh"]
        env = {"PATH": "/usr/bin:/bin", "SSH_ASKPASS": askpass,
               "SSH_ASKPASS_REQUIRE": "force", "PAMJWT_TOKEN_FILE": tokfile,
               "DISPLAY": ":0"}
        for _ in range(2):
            r = subprocess.run(
                ["ssh", "-F", "/dev/null", "-p", str(spec["port"]),
                 "-o", "StrictHostKeyChecking=no",
                 "-o", "UserKnownHostsFile=/dev/null",
                 "-o", "PreferredAuthentications=keyboard-interactive",
                 "-o", "PubkeyAuthentication=no",
                 "-o", "NumberOfPasswordPrompts=1",
                 "-o", "ConnectTimeout=10",
                 "%s@127.0.0.1" % user, "id -un"],
                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                env=env, timeout=60)
            res["ssh"].append(r.returncode)
            res["ssh_out"].append(r.stdout.strip())
        user, tokfile = spec["sudo"]
        with open(tokfile) as f:
            tok = f.read().strip()
        for _ in range(2):
            r = subprocess.run(
                ["setpriv", "--reuid=" + user, "--regid=" + user,
                 "--init-groups", "--reset-env", "--", "sudo", "-S", "-k",
                 "-p", "", "true"], input=tok + "\n", capture_output=True,
                text=True, timeout=60)
            res["sudo"].append(r.returncode)
            res["sudo_err"].append(r.stderr.strip()[-200:])
    finally:
        if sshd.poll() is None:
            sshd.terminate()
            sshd.wait(10)
        log.close()
    with open(os.path.join(tmp, "sshd.log"), errors="replace") as f:
        res["log"] = [ln for ln in f.read().splitlines()
                      if "pam_jwt" in ln][-10:]
    print(json.dumps(res))
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--inner":
        with open(sys.argv[2]) as f:
            sys.exit(inner(json.load(f)))
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print(json.dumps({"skip": "needs root and unshare"}))
        sys.exit(0)
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", "--",
                        "/usr/bin/python3", os.path.abspath(__file__),
                        "--inner", sys.argv[1]], capture_output=True, text=True,
                       timeout=300)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
