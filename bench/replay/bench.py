#!/usr/bin/python3
"""What single_use costs as the replay store grows.

    /usr/bin/python3 bench/replay/bench.py [--build DIR] [--reps 7]
        [--auths 40] [--sizes 0,10000,100000] [--tmpfs] [--keep]

Not a test (not part of make check): it prints a table and judges nothing.

One process drives the real libpam in a loop through ctypes
(pam_start_confdir, pam_authenticate, pam_end per authentication, HS256
tokens minted beforehand with PyJWT, accounts from nss_wrapper), alternating
two services of DIR/pam_jwt.so with the same key:
  plain   without single_use (what the module costs anyway)
  single  with single_use replay_cache=<store>
so "overhead" = single - plain is the replay store's own cost, measured under
the same machine load.  Each size is reached by pre-filling the store with
live records in the documented layout (DIR/tests/replay/prefill, or one
compiled from tests/replay/prefill.c) and measured --reps times, --auths
authentications of each service per repetition; a repetition's figure is its
median, the table shows the median of the repetitions.

Two stores, both filled to each size in the same run:
  clustered  live records expiring within the next hour (~57 buckets): what a
             busy host with short-lived tokens has
  spread     one expiry bucket (x/<B>/) per record, up to ~74 days ahead:
             what long-lived tokens (no max_ttl) can make
The store is on TMPDIR's file system (ext4 here, with fsync), or on a tmpfs
with --tmpfs (root: a private mount namespace).
"""

import argparse
import ctypes
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "support"))
import pjtest  # noqa: E402  (tests/support/pjtest.py)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

try:
    import jwt
except ImportError:
    sys.exit("bench: run with /usr/bin/python3 (python3-jwt)")


class Msg(ctypes.Structure):
    _fields_ = [("msg_style", ctypes.c_int), ("msg", ctypes.c_char_p)]


class Resp(ctypes.Structure):
    _fields_ = [("resp", ctypes.c_void_p), ("resp_retcode", ctypes.c_int)]


CONV = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int,
                        ctypes.POINTER(ctypes.POINTER(Msg)),
                        ctypes.POINTER(ctypes.POINTER(Resp)), ctypes.c_void_p)


class Conv(ctypes.Structure):
    _fields_ = [("conv", CONV), ("appdata_ptr", ctypes.c_void_p)]


class Pam:
    def __init__(self, confdir):
        self.pam = ctypes.CDLL("libpam.so.0")
        self.libc = ctypes.CDLL("libc.so.6")
        self.libc.calloc.restype = ctypes.c_void_p
        self.libc.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
        self.libc.strdup.restype = ctypes.c_void_p
        self.libc.strdup.argtypes = [ctypes.c_char_p]
        self.pam.pam_start_confdir.argtypes = [
            ctypes.c_char_p, ctypes.c_char_p, ctypes.POINTER(Conv),
            ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
        self.pam.pam_authenticate.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.pam.pam_end.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self.confdir = confdir.encode()
        self.answer = b""
        self.cb = CONV(self._conv)
        self.conv = Conv(self.cb, None)

    def _conv(self, n, msgs, resp, data):
        arr = self.libc.calloc(n, ctypes.sizeof(Resp))
        if not arr:
            return 5  # PAM_BUF_ERR
        r = ctypes.cast(arr, ctypes.POINTER(Resp))
        for i in range(n):
            if msgs[i].contents.msg_style in (1, 2):  # ECHO_OFF, ECHO_ON
                r[i].resp = self.libc.strdup(self.answer)
        resp[0] = r
        return 0

    def auth(self, service, user, token):
        """Returns (PAM code, seconds) for one whole handle's life."""
        self.answer = token.encode()
        h = ctypes.c_void_p()
        t0 = time.perf_counter()
        r = self.pam.pam_start_confdir(service.encode(), user.encode(),
                                       ctypes.byref(self.conv), self.confdir,
                                       ctypes.byref(h))
        if r == 0:
            r = self.pam.pam_authenticate(h, 0)
            self.pam.pam_end(h, r)
        return r, time.perf_counter() - t0


def find_nss_wrapper():
    return pjtest.find_lib("libnss_wrapper.so")


def prefill_tool(build, tmp):
    p = os.path.join(build, "tests", "replay", "prefill")
    if os.access(p, os.X_OK):
        return p
    p = os.path.join(tmp, "prefill")
    subprocess.run(["cc", "-O2", "-o", p,
                    os.path.join(ROOT, "tests", "replay", "prefill.c"),
                    "-lsodium"], check=True)
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--auths", type=int, default=40)
    ap.add_argument("--sizes", default="0,10000,100000")
    ap.add_argument("--tmpfs", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()
    if os.environ.get("PJ_BENCH_CHILD") != "1":
        # nss_wrapper must be preloaded; --tmpfs wants its own mounts
        env = dict(os.environ, PJ_BENCH_CHILD="1",
                   LD_PRELOAD=find_nss_wrapper())
        cmd = [sys.executable, os.path.abspath(__file__)] + sys.argv[1:]
        if args.tmpfs:
            cmd = ["unshare", "--mount", "--propagation", "private", "--"] + cmd
        os.execvpe(cmd[0], cmd, env)

    build = os.path.abspath(args.build)
    module = os.path.join(build, "pam_jwt.so")
    if not os.path.exists(module):
        sys.exit("bench: %s missing (make module)" % module)
    sizes = [int(x) for x in args.sizes.split(",")]
    tmp = tempfile.mkdtemp(prefix="pam_jwt-bench-replay.")
    try:
        if args.tmpfs:
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4g,mode=0700",
                            "tmpfs", tmp], check=True)
        run(args, build, module, sizes, tmp)
    finally:
        if args.keep:
            print("kept", tmp)
        else:
            if args.tmpfs:
                # lazily: nss_wrapper still holds the passwd file open
                subprocess.run(["umount", "-l", tmp], capture_output=True)
            shutil.rmtree(tmp, ignore_errors=True)


def run(args, build, module, sizes, tmp):
    os.chmod(tmp, 0o700)
    with open(os.path.join(tmp, "passwd"), "w") as f:
        f.write("alice:x:1001:1001:Alice:/home/alice:/bin/sh\n")
    with open(os.path.join(tmp, "group"), "w") as f:
        f.write("alice:x:1001:\n")
    os.environ["NSS_WRAPPER_PASSWD"] = os.path.join(tmp, "passwd")
    os.environ["NSS_WRAPPER_GROUP"] = os.path.join(tmp, "group")
    secret = secrets.token_urlsafe(48).encode()
    sf = os.path.join(tmp, "secret")
    fd = os.open(sf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, secret)
    os.close(fd)
    pamd = os.path.join(tmp, "pam.d")
    os.mkdir(pamd)
    stores = {"clustered": os.path.join(tmp, "clustered"),
              "spread": os.path.join(tmp, "spread")}
    with open(os.path.join(pamd, "plain"), "w") as f:
        f.write("auth required %s secret_file=%s\n" % (module, sf))
    for name, store in stores.items():
        with open(os.path.join(pamd, name), "w") as f:
            f.write("auth required %s secret_file=%s single_use "
                    "replay_cache=%s\n" % (module, sf, store))
    pam = Pam(pamd)
    fill = prefill_tool(build, tmp)
    fs = subprocess.run(["stat", "-f", "-c", "%T", tmp], capture_output=True,
                        text=True).stdout.strip()

    def tokens(n):
        now = int(time.time())
        return [jwt.encode({"sub": "alice", "iat": now, "exp": now + 3600,
                            "jti": secrets.token_hex(16)}, secret,
                           algorithm="HS256") for _ in range(n)]

    # warm up (page cache, the module's first load), and make the stores
    for svc in ["plain"] + list(stores):
        for t in tokens(5):
            r, _ = pam.auth(svc, "alice", t)
            if r != 0:
                sys.exit("bench: warm-up authentication with %s failed "
                         "(PAM code %d)" % (svc, r))
    now = int(time.time())
    have = {k: 0 for k in stores}
    rows = []
    for size in sizes:
        for name, store in stores.items():
            add = size - have[name]
            if add > 0:
                t0 = time.monotonic()
                if name == "clustered":
                    # expiring over the next hour: ~57 buckets
                    per = max(1, size // 57)
                    until = now + 7200
                else:
                    per = 1
                    until = now + 7200 + have[name] * 64
                subprocess.run([fill, store, str(add), str(until), str(per),
                                "bench-%d" % size], check=True,
                               stdout=subprocess.DEVNULL)
                have[name] = size
                print("  filled %s to %d live records in %.1f s" %
                      (name, size, time.monotonic() - t0), file=sys.stderr)
            plain, single = [], []
            for _ in range(args.reps):
                tp, ts = [], []
                for tk_p, tk_s in zip(tokens(args.auths), tokens(args.auths)):
                    r1, d1 = pam.auth("plain", "alice", tk_p)
                    r2, d2 = pam.auth(name, "alice", tk_s)
                    if r1 != 0 or r2 != 0:
                        sys.exit("bench: authentication failed (%d, %d)"
                                 % (r1, r2))
                    tp.append(d1)
                    ts.append(d2)
                plain.append(statistics.median(tp))
                single.append(statistics.median(ts))
            nrec = len(os.listdir(os.path.join(store, "r")))
            nbuck = len(os.listdir(os.path.join(store, "x")))
            rows.append((name, size, nrec, nbuck, statistics.median(plain),
                         statistics.median(single), min(single), max(single)))
    print()
    print("single_use cost by store size  (store on %s; %d reps x %d auths "
          "per service; ms per whole pam_start..pam_end)" %
          (fs, args.reps, args.auths))
    print()
    hdr = ("store", "live", "records", "buckets", "plain", "single",
           "overhead", "single/empty", "ovh/empty", "single range")
    print("%-9s %7s %8s %7s %7s %7s %8s %12s %9s  %s" % hdr)
    base = {}
    for name, size, nrec, nbuck, p, s, lo, hi in rows:
        ovh = s - p
        if size == sizes[0]:
            base[name] = (s, ovh)
        bs, bo = base[name]
        print("%-9s %7d %8d %7d %7.2f %7.2f %8.2f %11.2fx %8.2fx  %.2f-%.2f"
              % (name, size, nrec, nbuck, p * 1e3, s * 1e3, ovh * 1e3,
                 s / bs, ovh / bo if bo > 0 else float("nan"),
                 lo * 1e3, hi * 1e3))
    print()
    print("records/buckets: what r/ and x/ held at the end of the row "
          "(live fill + the bench's own tokens)")


if __name__ == "__main__":
    main()
