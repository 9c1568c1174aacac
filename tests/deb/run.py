#!/usr/bin/python3
"""tests/deb/run.py - the Debian packages installed, used and purged in an
isolated copy of this system (make check-deb).

    run.py --debs DIR [--only REGEX]

As root: a private mount, PID and network namespace (unshare) in which an
overlay whose lower layer is / and whose upper layer is a tmpfs becomes the
root of a chroot, with its own /proc, /dev, /run and /tmp.  apt, dpkg,
useradd, sshd and sudo change only the upper layer, which vanishes with the
namespace.  In it, tests/deb/scenario.py runs twice: "fixtures" (a test
user, a sudoers file), then "main" (apt install, pam-auth-update, logins
through pamtester, sshd, sudo and sudo -i, fail2ban-regex, break-glass,
reinstall, upgrade, disable, purge).  Between the two, this script records
the state of every path the fixtures changed; after "main" it compares,
for every path the scenario changed at all below /etc, /usr and /var/lib
(dpkg's and apt's bookkeeping excepted), the state after the purge with the
state before the install: the overlay's upper layer is exactly the list of
paths written, so nothing can hide.

Not root, no unshare, no overlayfs, or / not a mount point: one SKIP line.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# What the scenario needs of the checkout, copied into the chroot's own
# /tmp: the checkout may itself be below /tmp (a CI clone), which the
# chroot's /tmp (a tmpfs) hides.
SRC_PARTS = ("tests/deb", "tests/support", "conf", "debian/tests")
SRC = "/tmp/src"
SCENARIO = SRC + "/tests/deb/scenario.py"
# dpkg's and apt's own records of what was installed: they change by design
EXCLUDE = ("var/lib/dpkg", "var/lib/apt")
COMPARED = ("etc", "usr", "var/lib")


def skip(why):
    print("SKIP deb: %s" % why)
    print("deb: 0 passed, 0 failed, 1 skipped")
    sys.exit(0)


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def preflight():
    if os.geteuid() != 0:
        skip("not root: installing packages needs root (a private mount "
             "namespace keeps the machine unchanged)")
    for prog in ("unshare", "chroot", "ip", "apt-get", "dpkg"):
        if shutil.which(prog) is None:
            skip("%s not found" % prog)
    if subprocess.run(["mountpoint", "-q", "/"]).returncode != 0:
        skip("/ is not a mount point (a chroot?): no private mount "
             "namespace here")
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         "d=$(mktemp -d) && mount -t tmpfs t $d && mkdir $d/u $d/w $d/m && "
         "mount -t overlay o -o lowerdir=/,upperdir=$d/u,workdir=$d/w $d/m "
         "&& test -x $d/m/usr/bin/apt-get; r=$?; umount -R $d 2>/dev/null; "
         "rmdir $d; exit $r"], capture_output=True, text=True)
    if probe.returncode != 0:
        skip("cannot mount an overlay of / in a private mount namespace "
             "(%s)" % (probe.stderr.strip() or "exit %d" % probe.returncode))


def state(path):
    """What a path is, for the before/after comparison (None: absent)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    s = {"mode": oct(st.st_mode), "uid": st.st_uid, "gid": st.st_gid}
    if stat.S_ISREG(st.st_mode):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        s["sha256"] = h.hexdigest()
    elif stat.S_ISLNK(st.st_mode):
        s["target"] = os.readlink(path)
    return s


def upper_paths(upper):
    """Every path (relative) written in the compared trees."""
    out = set()
    for top in COMPARED:
        base = os.path.join(upper, top)
        if not os.path.lexists(base):
            continue
        out.add(top)
        for d, dirs, files in os.walk(base):
            for n in dirs + files:
                rel = os.path.relpath(os.path.join(d, n), upper)
                if not any(rel == e or rel.startswith(e + "/")
                           for e in EXCLUDE):
                    out.add(rel)
    return out


def inner(args):
    work = args.work
    run(["mount", "-t", "tmpfs", "-o", "mode=0700,size=2g", "deb-test", work])
    up, wk, root = (os.path.join(work, x) for x in ("upper", "work", "root"))
    for d in (up, wk, root):
        os.mkdir(d)
    run(["mount", "-t", "overlay", "deb-root", "-o",
         "lowerdir=/,upperdir=%s,workdir=%s" % (up, wk), root])
    r = lambda p: os.path.join(root, p.lstrip("/"))
    run(["mount", "-t", "proc", "proc", r("/proc")])
    run(["mount", "-t", "tmpfs", "-o", "mode=0755", "deb-run", r("/run")])
    run(["mount", "-t", "tmpfs", "-o", "mode=1777", "deb-tmp", r("/tmp")])
    run(["mount", "-t", "tmpfs", "-o", "mode=0755", "deb-dev", r("/dev")])
    for n in ("null", "zero", "full", "random", "urandom", "tty"):
        open(r("/dev/" + n), "w").close()
        run(["mount", "--bind", "/dev/" + n, r("/dev/" + n)])
    os.mkdir(r("/dev/pts"))
    run(["mount", "-t", "devpts", "-o",
         "newinstance,ptmxmode=0666,mode=0620,gid=5", "devpts", r("/dev/pts")])
    os.symlink("pts/ptmx", r("/dev/ptmx"))
    os.mkdir(r("/dev/shm"))
    run(["mount", "-t", "tmpfs", "-o", "mode=1777", "deb-shm", r("/dev/shm")])
    for i, n in enumerate(("stdin", "stdout", "stderr")):
        os.symlink("/proc/self/fd/%d" % i, r("/dev/" + n))
    os.symlink("/proc/self/fd", r("/dev/fd"))
    run(["ip", "link", "set", "lo", "up"])
    os.mkdir(r("/tmp/debs"))
    for f in os.listdir(args.debs):
        if f.endswith(".deb") and "-dbgsym_" not in f:
            shutil.copy(os.path.join(args.debs, f), r("/tmp/debs"))

    for part in SRC_PARTS:
        shutil.copytree(os.path.join(ROOT, part), r(SRC + "/" + part),
                        symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__"))

    chroot = ["chroot", root, "/usr/bin/python3", SCENARIO]
    if subprocess.run(chroot + ["fixtures"]).returncode != 0:
        print("deb: the fixtures failed")
        return 1
    before = {p: state(os.path.join(root, p)) for p in upper_paths(up)}
    cmd = chroot + ["main"] + (["--only", args.only] if args.only else [])
    main_rc = subprocess.run(cmd).returncode
    try:
        with open(r("/tmp/deb-counts.json")) as f:
            counts = json.load(f)
    except (OSError, ValueError):
        counts = {"passed": 0, "failed": 1}

    # debian/tests/pam-stack as autopkgtest runs it: on the installed
    # packages (installed and purged here the way autopkgtest would)
    # main_rc 77: no check of the scenario matched ONLY (every step ran)
    outer = ("autopkgtest debian/tests/pam-stack on the installed packages",
             "purge leaves /etc, /usr and /var/lib as they were")
    if main_rc == 77:
        if not any(re.search(args.only, n) for n in outer):
            print("deb: ONLY=%r matched no test: nothing ran" % args.only)
            return 1
        main_rc = 0
    name = outer[0]
    if not args.only or re.search(args.only, name):
        script = ("cd /tmp/debs && apt-get install -y -q "
                  "--no-install-recommends ./libpam-jwt_*[0-9]_*.deb "
                  "./pamjwt_*[0-9]_*.deb >/tmp/apt.log 2>&1 && "
                  "cd %s && debian/tests/pam-stack; r=$?; "
                  "apt-get purge -y -q libpam-jwt pamjwt >>/tmp/apt.log 2>&1 "
                  "|| r=1; exit $r" % SRC)
        a = subprocess.run(["chroot", root, "sh", "-c", script],
                           capture_output=True, text=True)
        ok = a.returncode == 0
        counts["passed" if ok else "failed"] += 1
        print("%s %s" % ("ok  " if ok else "FAIL", name))
        if not ok:
            print("     " + (a.stdout + a.stderr).replace("\n", "\n     "))

    # the system after the purge against the system before the install
    diffs = []
    for p in sorted(upper_paths(up) | set(before)):
        was = before[p] if p in before else state(os.path.join("/", p))
        now = state(os.path.join(root, p))
        # (a directory is compared by type, mode and owner: its mtime
        # changes whenever a file comes and goes)
        if was != now:
            diffs.append((p, was, now))
    name = outer[1]
    wanted = not args.only or re.search(args.only, name)
    if wanted:
        if diffs:
            counts["failed"] += 1
            print("FAIL %s: %d paths differ:" % (name, len(diffs)))
            for p, was, now in diffs[:40]:
                print("     /%s\n       before %s\n       after  %s" %
                      (p, was, now))
        else:
            counts["passed"] += 1
            print("ok   %s (%d paths written by the scenario compared)" %
                  (name, len(upper_paths(up) | set(before))))
    print("deb: %d passed, %d failed" % (counts["passed"], counts["failed"]))
    return 0 if counts["failed"] == 0 and main_rc == 0 else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--debs", required=True)
    ap.add_argument("--only")
    ap.add_argument("--inner", action="store_true")
    ap.add_argument("--work")
    args = ap.parse_args()
    args.debs = os.path.abspath(args.debs)
    if args.inner:
        sys.exit(inner(args))
    preflight()
    debs = [f for f in os.listdir(args.debs) if f.endswith(".deb")]
    if not any(f.startswith("libpam-jwt_") for f in debs) or \
            not any(f.startswith("pamjwt_") for f in debs):
        print("deb: no libpam-jwt_*.deb and pamjwt_*.deb in %s" % args.debs)
        sys.exit(1)
    work = tempfile.mkdtemp(prefix="pamjwt-deb-")
    try:
        cmd = ["unshare", "--mount", "--pid", "--fork", "--net",
               "--propagation", "private", sys.executable,
               os.path.abspath(__file__), "--inner", "--work", work,
               "--debs", args.debs] + (["--only", args.only] if args.only
                                       else [])
        rc = subprocess.run(cmd).returncode
    finally:
        os.rmdir(work)  # empty on the host: the tmpfs was the namespace's
    sys.exit(rc)


if __name__ == "__main__":
    main()
