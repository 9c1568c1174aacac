"""pjtest - what the Python test suites of pam_jwt share.

    sys.path.insert(0, <repository>/tests/support); import pjtest

b64u(data)                  base64url without padding (bytes or str in)
write(path, data, mode, exclusive=False)
                            a file with exactly these bytes and this mode
tempdir(prefix)             a fresh mode-0700 directory under $TMPDIR
find_lib(name)              the path of a shared library, or None
nss_files(dir, passwd, group=None, exclusive=False)
                            passwd/group files for nss_wrapper in dir (the
                            groups default to one per user's gid)
minimal_env(**extra)        PATH, LANG=C, LC_ALL=C (and extra): a base for
                            nss_env that inherits nothing else
nss_env(passwd, group, ...) the environment that preloads nss_wrapper and
                            then the given libraries (e.g. pam_wrapper),
                            after the ASan runtime when san=True
Tally(suite, only)          the "SUITE: N passed, M failed" counter and the
                            ONLY filter (make ... ONLY=REGEX) of a suite
LOG_MARK, log_mark(path, cv, lines, text)
                            where a syslog listener's next lines start
"""
import base64
import itertools
import os
import re
import subprocess
import sys
import socket
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def write(path, data, mode=0o644, exclusive=False):
    """Write data (str or bytes) to path with exactly this mode (set before
    the first byte is written, whatever the umask); returns path.
    exclusive: the file must not exist yet."""
    if isinstance(data, str):
        data = data.encode()
    flags = os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | \
        (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, mode)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), mode)
        f.write(data)
    return path


def tempdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    os.chmod(d, 0o700)
    return d


def find_lib(name):
    """/usr/lib/<multiarch>/NAME and the usual others; None if absent."""
    dirs = []
    try:
        arch = subprocess.run(["cc", "-print-multiarch"], capture_output=True,
                              text=True).stdout.strip()
        if arch:
            dirs.append("/usr/lib/" + arch)
    except OSError:
        pass
    dirs += ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
             "/usr/lib64", "/usr/lib"]
    for d in dirs:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return None


def nss_files(d, passwd, group=None, exclusive=False):
    """Write d/passwd (the text given) and d/group (given, or one group per
    distinct gid, named after its first user); returns both paths.
    exclusive: neither file may exist yet."""
    if group is None:
        seen, lines = set(), []
        for line in passwd.splitlines():
            f = line.split(":")
            if len(f) >= 4 and f[3] not in seen:
                seen.add(f[3])
                lines.append("%s:x:%s:\n" % (f[0], f[3]))
        group = "".join(lines)
    pw, gr = os.path.join(d, "passwd"), os.path.join(d, "group")
    write(pw, passwd, exclusive=exclusive)
    write(gr, group, exclusive=exclusive)
    return pw, gr


def asan_runtime():
    cc = os.environ.get("CC", "cc")
    p = subprocess.run([cc, "-print-file-name=libasan.so"],
                       capture_output=True, text=True).stdout.strip()
    return os.path.realpath(p)


def minimal_env(**extra):
    """The environment of the suites that inherit nothing from the caller
    but PATH: PATH, LANG=C, LC_ALL=C, and the variables in extra."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "LANG": "C", "LC_ALL": "C"}
    env.update(extra)
    return env


def _preload_lib(name):
    """A library for LD_PRELOAD: a path (with a slash) as given, a bare
    name looked up with find_lib (it must be installed)."""
    if "/" in name:
        return name
    p = find_lib(name)
    if p is None:
        pkg = name[:-len(".so")] if name.endswith(".so") else name
        sys.exit("%s not found (apt-get install %s)" %
                 (name, pkg.replace("_", "-")))
    return p


def nss_env(passwd, group, san=False, preload=(), base=None):
    """A copy of base (default os.environ, without NSS_WRAPPER_*) whose
    processes see the accounts of passwd/group through nss_wrapper, and
    preload the libraries in preload after it, in that order (a bare name
    such as "libpam_wrapper.so" is looked up like nss_wrapper).  san: the
    sanitizer runtime first among the preloads, and no RTLD_DEEPBIND in the
    wrapper (it would bypass ASan); without san, the ASan link-order check
    is the caller's business (ASAN_OPTIONS verify_asan_link_order=0)."""
    nss = _preload_lib("libnss_wrapper.so")
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if not k.startswith("NSS_WRAPPER")}
    env["NSS_WRAPPER_PASSWD"] = passwd
    env["NSS_WRAPPER_GROUP"] = group
    libs = [nss] + [_preload_lib(x) for x in preload]
    if san:
        libs.insert(0, asan_runtime())
        env["NSS_WRAPPER_DISABLE_DEEPBIND"] = "1"
    env["LD_PRELOAD"] = " ".join(libs)
    return env


class Tally:
    """Counts a suite's results and applies its ONLY filter.

    only: a regular expression (re.search) over the case names, or None.
    closing() is the suite's last line, "SUITE: N passed, M failed".
    ok() is False on any failure, and also when an ONLY filter matched no
    case at all: a misspelt name must not look like a pass."""

    def __init__(self, suite, only=None):
        self.suite = suite
        self.only = only or None
        self.regex = re.compile(only) if only else None
        self.passed = 0
        self.failed = 0

    def wants(self, name):
        return self.regex is None or self.regex.search(name) is not None

    def add(self, ok):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok

    def none_ran(self):
        return self.only is not None and self.passed + self.failed == 0

    def closing(self):
        if self.none_ran():
            print("%s: ONLY=%r matched no test: nothing ran" %
                  (self.suite, self.only))
        return "%s: %d passed, %d failed" % (self.suite, self.passed,
                                             self.failed)

    def ok(self):
        return self.failed == 0 and not self.none_ran()


def only_matched_nothing(suite, only, count):
    """For suites that count on their own: True (and says so) when ONLY
    was given and selected no case."""
    if only and count == 0:
        print("%s: ONLY=%r matched no test: nothing ran" % (suite, only))
        return True
    return False


LOG_MARK = "pamjwt-test log mark "
_log_marks = itertools.count(1)


def log_mark(path, cv, lines, text=lambda entry: entry):
    """For a test's syslog listener (a datagram socket at path whose thread
    appends what it reads to lines and calls cv.notify_all()): the index in
    lines where what is sent from now on starts.  Not len(lines): a program
    that has ended may have sent lines the listener has not read yet (under
    load, a sudo's last line was counted as the next scenario's).  So a
    marker (starting with LOG_MARK; the listener keeps it as a line of its
    own) goes through the same socket: datagrams queue in the order sent,
    and what follows the marker was sent after every program that has
    ended.  text(entry) gives an entry's text."""
    marker = "%s%d %d" % (LOG_MARK, os.getpid(), next(_log_marks))
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.sendto(marker.encode(), path)
    finally:
        s.close()
    deadline = time.monotonic() + 10
    with cv:
        while True:
            for i in range(len(lines) - 1, -1, -1):
                if text(lines[i]) == marker:
                    return i + 1
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError("the log listener did not read its marker "
                                   "%r in 10 s" % marker)
            cv.wait(left)
