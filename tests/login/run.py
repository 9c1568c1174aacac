#!/usr/bin/python3
"""tests/login/run.py - `pamjwt login`, `logout`, `ssh` and `askpass` from
the cache, against a real OpenID Provider with a real browser.

usage: /usr/bin/python3 tests/login/run.py --build BUILD [--node NODE]
                                           [--only REGEX]

The provider is tests/oidc/provider.mjs (npm oidc-provider, pinned) on
127.0.0.1 with TLS from a CA made here, stopped by PID; pamjwt verifies its
TLS against that CA.  The person at the browser is Debian's chromium,
headless, driven by puppeteer-core (tests/login/approve.mjs over
tests/browser/browser.mjs): it opens the verification URL (device grant) or
the authorization URL (PKCE, loopback redirect), signs in as the test user
and approves or denies.  One chromium serves the run (approve.mjs --serve),
every sign-in in a browser context of its own, and it may reach nothing
but 127.0.0.1.  Every case has a HOME of its own under the work directory;
the cases that test the sign-in sign in themselves, the ones that only need
a signed-in user get a copy of one shared sign-in's cache
(home_signed_in).  As root, tests/login/e2e_login.py then logs in with ssh
and sudo -A in a private namespace with the token from the cache.
One line per case, then "login: N passed, M failed".
"""
import argparse
import base64
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "oidc"))
import pjtest  # noqa: E402
import oidcprov  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--build", required=True)
ap.add_argument("--node", default="node")
ap.add_argument("--only")
ARGS = ap.parse_args()
BUILD = os.path.abspath(ARGS.build)
TOOL = os.path.join(BUILD, "pamjwt")
ASKPASS = os.path.join(BUILD, "pamjwt-askpass")
T = pjtest.Tally("login", ARGS.only)
WORK = pjtest.tempdir("pamjwt-login.")
CLIENT = "pamjwt-login"
CLIENTS = [{
    "client_id": CLIENT, "application_type": "native",
    "token_endpoint_auth_method": "none",
    "grant_types": ["urn:ietf:params:oauth:grant-type:device_code",
                    "authorization_code", "refresh_token"],
    "response_types": ["code"],
    "redirect_uris": ["http://127.0.0.1/callback"],
}]
ACCOUNTS = {
    "alice": {"preferred_username": "jwtlogin1",
              "groups": ["ssh-users", "jwt-admins"]},
    "bob": {"preferred_username": "jwtlogin2", "groups": ["ssh-users"]},
}
SCOPE = "openid profile groups offline_access"

CA = None
P = None        # the provider
EXTRA = {}      # providers with other lifetimes, started when a case asks
CASES = []


def case(name, browser=True, providers=()):
    """browser: the case may sign in through the browser (the default:
    the shared sign-ins need it too); providers: the lifetimes of the
    providers besides P it uses (provider_with).  Both only let main()
    start these before the first case, side by side; a case still gets
    them when it asks."""
    def deco(fn):
        fn.case_name = name
        fn.browser = browser
        fn.providers = providers
        CASES.append(fn)
        return fn
    return deco


def check(name, cond, detail=""):
    T.add(cond)
    print("%s %s%s" % ("ok  " if cond else "FAIL", name,
                       "" if cond else ": " + detail[-1500:]))
    sys.stdout.flush()
    return cond


EXPIRED_TTL = {"DeviceCode": 4}     # the expired-code case's provider
REFRESH_TTL = {"IdToken": 12}       # the refresh case's provider


def provider_of(ttl):
    """The provider whose lifetimes are ttl, made (not started) once."""
    key = json.dumps(ttl, sort_keys=True)
    if key not in EXTRA:
        EXTRA[key] = oidcprov.Provider(WORK, CA, node=ARGS.node,
                                       clients=CLIENTS, accounts=ACCOUNTS,
                                       extra={"id_token_claims": True,
                                              "ttl": ttl})
    return EXTRA[key]


def provider_with(ttl):
    """A second provider whose lifetimes are ttl, started (once)."""
    p = provider_of(ttl)
    if p.proc is None:
        p.start()
    return p


def start_all(provs):
    """Start the providers side by side; one that fails to start is left
    stopped (the case that asks for it starts it again, and fails)."""
    def one(p):
        try:
            p.start()
        except RuntimeError as e:
            print("login: a provider did not start: %s" % e)
    ts = [threading.Thread(target=one, args=(p,)) for p in provs]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def home(name, prov=None, extra=""):
    """A fresh HOME with ~/.config/pamjwt/login.conf for prov."""
    prov = prov or P
    h = os.path.join(WORK, "home-" + name)
    shutil.rmtree(h, ignore_errors=True)
    os.makedirs(os.path.join(h, ".config", "pamjwt"), mode=0o755)
    pjtest.write(os.path.join(h, ".config", "pamjwt", "login.conf"),
                 "# pamjwt login, test %s\nissuer = %s\nclient_id = %s\n"
                 "ca_file = %s\nscope = %s\nwait = 90\n%s" %
                 (name, prov.issuer, CLIENT, CA[0], SCOPE, extra))
    return h


def env_of(h, **extra):
    e = pjtest.minimal_env(HOME=h)
    e["ASAN_OPTIONS"] = "verify_asan_link_order=0"
    e.update(extra)
    return e


def run(h, *args, stdin=None, **envx):
    return subprocess.run([TOOL] + list(args), capture_output=True,
                          text=True, env=env_of(h, **envx), timeout=180,
                          input=stdin)


def askpass(h, prompt="Token: ", **envx):
    return subprocess.run([ASKPASS, prompt], capture_output=True, text=True,
                          env=env_of(h, **envx), timeout=120)


SPKI = {}


def spki_of(prov):
    """base64 SHA-256 of the provider's public key (for chromium)."""
    if prov.cert[0] in SPKI:
        return SPKI[prov.cert[0]]
    pub = subprocess.run(["openssl", "x509", "-in", prov.cert[0], "-noout",
                          "-pubkey"], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"],
                         input=pub, capture_output=True, check=True).stdout
    import hashlib
    SPKI[prov.cert[0]] = base64.b64encode(
        hashlib.sha256(der).digest()).decode()
    return SPKI[prov.cert[0]]


class Whole:
    """askpass asked as the module asks: "Token: ", then "Token (part N): "
    until an empty answer; the pieces joined (like pam_jwt joins them)."""

    def __init__(self, h, **envx):
        self.returncode, self.stderr, parts = 0, "", []
        for n in range(1, 40):
            a = askpass(h, "Token: " if n == 1 else "Token (part %d): " % n,
                        **envx)
            self.stderr += a.stderr
            if a.returncode != 0:
                self.returncode = a.returncode
                break
            if a.stdout.strip() == "":
                break
            parts.append(a.stdout.strip())
        self.stdout = "".join(parts)


class Approver:
    """approve.mjs --serve: one chromium for the whole run (starting it is
    most of what a sign-in costs), a browser context of its own -- cookies,
    storage, cache: a fresh profile -- for every sign-in.  Started again
    when a provider was added (chromium accepts the providers' keys named
    when it starts) or when it broke; stopped by PID."""

    def __init__(self):
        self.proc = None
        self.spki = None
        self.lines = None
        self.log = os.path.join(WORK, "approve.log")

    def start(self, spki):
        import queue
        self.stop()
        logf = open(self.log, "a")
        # chromium's profile directory in WORK (TMPDIR), so that even one
        # left by a chromium killed on a time-out goes with the work files
        self.proc = subprocess.Popen(
            [ARGS.node, os.path.join(HERE, "approve.mjs"), "--serve", spki],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=logf,
            text=True, cwd=HERE, env=dict(os.environ, TMPDIR=WORK))
        logf.close()
        self.spki = spki
        self.lines = queue.Queue()
        proc, lines = self.proc, self.lines

        def read():
            for ln in proc.stdout:
                lines.put(ln)
            lines.put(None)
        threading.Thread(target=read, daemon=True).start()

    def stop(self):
        if self.proc is None:
            return
        try:
            self.proc.stdin.close()
            self.proc.wait(15)
        except (OSError, subprocess.TimeoutExpired):
            # chromium ends with node: its DevTools pipe closes
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def sign_in(self, url, account, action, timeout=120):
        import queue
        spki = all_spki()
        if self.proc is None or self.proc.poll() is not None or \
                spki != self.spki:
            self.start(spki)
        try:
            self.proc.stdin.write(json.dumps({"url": url, "account": account,
                                              "action": action}) + "\n")
            self.proc.stdin.flush()
            ln = self.lines.get(timeout=timeout)
        except (OSError, queue.Empty) as e:
            self.stop()
            return {"error": "approve.mjs: %r" % e}
        if ln is None:
            self.stop()
            return {"error": "approve.mjs ended; see " + self.log}
        try:
            return json.loads(ln)
        except ValueError:
            return {"error": "approve.mjs: " + ln}


APPROVER = None


def all_spki():
    """The keys chromium is to accept: every provider's made so far."""
    return ",".join(spki_of(p) for p in [P] + list(EXTRA.values()))


def browser(url, account="alice", action="approve"):
    global APPROVER
    if APPROVER is None:
        APPROVER = Approver()
    return APPROVER.sign_in(url, account, action)


class Login:
    """pamjwt login in the background; the URL it prints goes to a real
    browser (or to nobody)."""

    def __init__(self, h, *args, **envx):
        self.proc = subprocess.Popen(
            [TOOL, "login", "--no-qr"] + list(args), stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            env=env_of(h, **envx))
        self.err = []
        self.url = None
        self.seen = threading.Event()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.proc.stderr:
            self.err.append(line)
            m = re.search(r"(https://\S+user_code=\S+|https://\S+/auth\?\S+)",
                          line)
            if m and self.url is None:
                self.url = m.group(1)
                self.seen.set()
        self.seen.set()

    def wait_url(self, timeout=60):
        self.seen.wait(timeout)
        return self.url

    def finish(self, timeout=150):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.t.join(10)
        self.proc.stdout.close()
        return self.proc.returncode, "".join(self.err)


def claims(tok):
    p = tok.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))


def cache_files(h):
    d = os.path.join(h, ".cache", "pamjwt")
    if not os.path.isdir(d):
        return []
    return [os.path.join(d, f) for f in sorted(os.listdir(d))
            if f.startswith("token-")]


def signed_in(name, h, flow="--device", account="alice", prov=None):
    """A complete sign-in through the browser; returns (rc, stderr, page)."""
    if flow == "--device":
        (prov or P).admin("/device", {"interval": 1})
    lg = Login(h, flow)
    url = lg.wait_url()
    page = browser(url, account) if url else {"error": "no URL printed"}
    rc, err = lg.finish()
    return rc, err, page


SHARED = {}     # account -> the HOME of its shared sign-in


def token_left(path):
    """Seconds the cached token at path has left."""
    with open(path) as f:
        return claims(json.load(f)["token"]).get("exp", 0) - time.time()


def shared_sign_in(account="alice", need=150):
    """The HOME of one real device-grant sign-in of account at P (the
    default login.conf: ID token, audience pamjwt-login), made the first
    time a case asks for it -- so ONLY= selecting any one case works -- and
    made again when its token has less than need seconds left.

    Its copies must never renew their token: they would all hold the same
    refresh token, which the provider rotates on use (a public client), and
    the second renewal would present a spent one (the provider then revokes
    the grant).  need keeps every copy away from a renewal for the whole
    case: askpass renews under 15 s left, login, login --exec and
    pamjwt ssh under 60 s (PJT_ASKPASS_MARGIN, PJT_LOGIN_RENEW_BEFORE),
    the provider's ID tokens live 300 s.  The refresh case has a sign-in
    of its own."""
    h = SHARED.get(account)
    if h is not None:
        files = cache_files(h)
        if len(files) == 1 and token_left(files[0]) >= need:
            return h
    h = home("shared-" + account)
    rc, err, page = signed_in("shared sign-in of " + account, h, "--device",
                              account)
    files = cache_files(h)
    if rc != 0 or len(files) != 1 or token_left(files[0]) < need:
        raise RuntimeError("the shared sign-in of %s failed: rc=%s %s %r" %
                           (account, rc, err, page))
    SHARED[account] = h
    return h


def home_signed_in(name, account="alice"):
    """A fresh HOME (as home(name)) holding a copy of account's shared
    sign-in: ~/.cache/pamjwt with its modes (0700, the token file 0600),
    as `pamjwt login --device` leaves it.  The case owns its copy: what it
    does to it (chmod, logout, a symbolic link) touches no other case."""
    src = shared_sign_in(account)
    h = home(name)
    shutil.copytree(os.path.join(src, ".cache"), os.path.join(h, ".cache"),
                    symlinks=True)
    return h


def verify_token(tok, user, extra=""):
    """The token through the module's own decision (pamjwt verify) with the
    provider's keys fetched by jwks-fetch."""
    jwks = os.path.join(WORK, "provider.jwks")
    if not os.path.exists(jwks):
        r = subprocess.run([TOOL, "jwks-fetch", "--issuer", P.issuer, "--out",
                            jwks, "--ca-file", CA[0]], capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise RuntimeError("jwks-fetch: " + r.stderr)
    conf = os.path.join(WORK, "verify-%s.conf" % user)
    pjtest.write(conf, "jwks_file = %s\nissuer = %s\naudience = %s\n"
                 "user_claim = preferred_username\n%s" %
                 (jwks, P.issuer, CLIENT, extra))
    pw, gr = pjtest.nss_files(WORK, "%s:x:1601:1601::/home/x:/bin/sh\n" % user)
    e = pjtest.nss_env(pw, gr, base=pjtest.minimal_env())
    e["ASAN_OPTIONS"] = "verify_asan_link_order=0"
    return subprocess.run([TOOL, "verify", "--config", conf, "--user", user,
                           "-"], input=tok, capture_output=True, text=True,
                          env=e, timeout=60)


# -- the two flows, completed by a real browser -----------------------------

@case("device grant: browser approves, token verified and cached 0600 in 0700")
def t_device(name):
    h = home("device")
    rc, err, page = signed_in(name, h, "--device")
    files = cache_files(h)
    if not check(name, rc == 0 and len(files) == 1 and
                 page.get("steps", [])[:1] == ["confirm-device"],
                 "rc=%s err=%s page=%r" % (rc, err, page)):
        return
    d = os.path.dirname(files[0])
    dmode = stat.S_IMODE(os.stat(d).st_mode)
    fmode = stat.S_IMODE(os.stat(files[0]).st_mode)
    a = Whole(h)
    tok = a.stdout.strip()
    c = claims(tok) if tok.count(".") == 2 else {}
    v = verify_token(tok, "jwtlogin1")
    check(name + " (askpass, modes, claims, pamjwt verify)",
          a.returncode == 0 and dmode == 0o700 and fmode == 0o600 and
          c.get("aud") == CLIENT and c.get("iss") == P.issuer and
          "jwt-admins" in c.get("groups", []) and v.returncode == 0 and
          tok not in err,
          "askpass rc=%s %s dmode=%o fmode=%o claims=%r verify=%s" %
          (a.returncode, a.stderr, dmode, fmode, c, v.stdout + v.stderr))
    # reused while valid: a second login makes no request for a token
    P.admin("/reset-stats", {})
    r = run(h, "login", "--no-qr")
    check(name + " (second login reuses the cache)",
          r.returncode == 0 and P.stats()["total"] == 0,
          r.stderr + json.dumps(P.stats()))


@case("pkce: browser signs in, loopback redirect, state/nonce, token cached")
def t_pkce(name):
    h = home("pkce")
    rc, err, page = signed_in(name, h, "--browser")
    a = Whole(h)
    tok = a.stdout.strip()
    c = claims(tok) if tok.count(".") == 2 else {}
    check(name, rc == 0 and page.get("steps", [])[-1:] == ["redirected"] and
          "Signed in" in page.get("text", "") and a.returncode == 0 and
          c.get("aud") == CLIENT and c.get("nonce") and
          "code_challenge=" in err and "code_challenge_method=S256" in err,
          "rc=%s err=%s page=%r askpass=%s" % (rc, err, page, a.stderr))


@case("pkce: a redirect with another state is refused, the login goes on")
def t_pkce_state(name):
    h = home("pkce-state")
    lg = Login(h, "--browser")
    url = lg.wait_url()
    m = re.search(r"redirect_uri=http%3A%2F%2F127\.0\.0\.1%3A(\d+)", url or "")
    got = None
    if m:
        import urllib.request
        import urllib.error
        try:
            urllib.request.urlopen(
                "http://127.0.0.1:%s/callback?code=forged&state=wrong" %
                m.group(1), timeout=10)
        except urllib.error.HTTPError as e:
            got = e.code
    page = browser(url) if url else {}
    rc, err = lg.finish()
    check(name, got == 400 and rc == 0 and len(cache_files(h)) == 1,
          "forged answered %r; rc=%s %s %r" % (got, rc, err, page))


# -- failure paths -----------------------------------------------------------

@case("consent denied in the browser: device grant fails, nothing cached")
def t_deny_device(name):
    h = home("deny-device")
    P.admin("/device", {"interval": 1})
    lg = Login(h, "--device")
    url = lg.wait_url()
    page = browser(url, action="deny") if url else {}
    rc, err = lg.finish()
    check(name, rc == 1 and "denied" in err and not cache_files(h),
          "rc=%s err=%s page=%r" % (rc, err, page))


@case("consent denied in the browser: PKCE fails, nothing cached")
def t_deny_pkce(name):
    h = home("deny-pkce")
    lg = Login(h, "--browser")
    url = lg.wait_url()
    page = browser(url, action="deny") if url else {}
    rc, err = lg.finish()
    check(name, rc == 1 and "denied" in err and not cache_files(h),
          "rc=%s err=%s page=%r" % (rc, err, page))


@case("device code expires before anyone approves: stops, nothing cached",
      browser=False, providers=(EXPIRED_TTL,))
def t_expired_code(name):
    short = provider_with(EXPIRED_TTL)
    h = home("expired-code", short)
    short.admin("/device", {"interval": 1})
    lg = Login(h, "--device")
    rc, err = lg.finish()
    polls = short.admin("/device-polls")
    check(name, rc == 1 and "expired" in err and not cache_files(h) and
          len(polls) >= 1, "rc=%s err=%s polls=%r" % (rc, err, polls))


@case("slow_down: the poll interval grows by 5 s each time, then succeeds")
def t_slow_down(name):
    h = home("slow-down")
    before = len(P.admin("/device-polls"))
    P.admin("/device", {"interval": 1, "slow_down": 2})
    lg = Login(h, "--device")
    url = lg.wait_url()
    # approve only after the provider answered slow_down twice
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        polls = P.admin("/device-polls")[before:]
        if sum(1 for p in polls if p["error"] == "slow_down") >= 2:
            break
        time.sleep(0.5)
    page = browser(url) if url else {}
    rc, err = lg.finish()
    polls = P.admin("/device-polls")[before:]
    gaps = [(polls[i]["t"] - polls[i - 1]["t"]) / 1000.0
            for i in range(1, len(polls))]
    # the poll after the first slow_down waits >= 6 s, after the second
    # >= 11 s (interval 1, +5 each: RFC 8628 3.5)
    kinds = [p["error"] for p in polls]
    ok = (rc == 0 and kinds[:2] == ["slow_down", "slow_down"] and
          len(gaps) >= 2 and gaps[0] >= 5.5 and gaps[1] >= 10.5 and
          err.count("slow down") == 2)
    check(name, ok, "rc=%s err=%s polls=%r gaps=%r page=%r" %
          (rc, err, kinds, gaps, page))


@case("provider down: login fails with a clear message, nothing cached",
      browser=False)
def t_down(name):
    port = oidcprov.free_port()
    h = home("down")
    r = run(h, "login", "--no-qr", "--issuer", "https://127.0.0.1:%d" % port)
    check(name, r.returncode == 1 and "cannot be reached" in r.stderr and
          not cache_files(h), "rc=%s %s" % (r.returncode, r.stderr))


@case("cache file readable by others: refused with how to fix it")
def t_perm_file(name):
    # what is tested is how askpass and login treat the file's and the
    # directory's modes and a link, not how the cache was made: a copy of
    # a sign-in's cache (modes kept) is the same file
    h = home_signed_in("perm-file")
    files = cache_files(h)
    a = askpass(h)
    if not check(name + " (setup)", len(files) == 1 and a.returncode == 0
                 and a.stdout.count(".") == 2, a.stderr):
        return
    os.chmod(files[0], 0o644)
    a = askpass(h)
    r = run(h, "login", "--no-qr")
    check(name, a.returncode == 1 and a.stdout == "" and
          "chmod 600 " + files[0] in a.stderr and r.returncode == 1 and
          "chmod 600" in r.stderr,
          "askpass rc=%s out=%r err=%s; login %s" %
          (a.returncode, a.stdout[:20], a.stderr, r.stderr))
    os.chmod(files[0], 0o600)
    os.chmod(os.path.dirname(files[0]), 0o755)
    a = askpass(h)
    check(name + " (directory 0755)", a.returncode == 1 and a.stdout == "" and
          "chmod 700" in a.stderr, a.stderr)
    os.chmod(os.path.dirname(files[0]), 0o700)
    link = files[0] + ".real"
    os.rename(files[0], link)
    os.symlink(link, files[0])
    a = askpass(h)
    check(name + " (symbolic link)", a.returncode == 1 and a.stdout == "" and
          "symbolic link" in a.stderr, a.stderr)


@case("expired token in the cache: renewed with the refresh token, else login asked",
      providers=(REFRESH_TTL,))
def t_refresh(name):
    # these ID tokens live 12 s: less than the 15 s askpass wants left, so
    # the first piece askpass gives renews the token; the later pieces come
    # from that same token
    short = provider_with(REFRESH_TTL)
    h = home("refresh", short)
    short.admin("/device", {"interval": 1})
    lg = Login(h, "--device")
    url = lg.wait_url()
    page = browser(url) if url else {}
    rc, err = lg.finish()
    files = cache_files(h)
    if not check(name + " (setup)", rc == 0 and files,
                 "rc=%s %s %r" % (rc, err, page)):
        return
    with open(files[0]) as f:
        first = json.load(f)
    a = Whole(h)
    with open(files[0]) as f:
        second = json.load(f)
    check(name, a.returncode == 0 and first.get("refresh_token") and
          a.stdout.strip() == second["token"] and
          second["token"] != first["token"] and "renewed" in a.stderr,
          "rc=%s %s first=%r" % (a.returncode, a.stderr, list(first)))
    # without a refresh token: nothing to send, the user is told to log in
    second.pop("refresh_token", None)
    os.unlink(files[0])
    pjtest.write(files[0], json.dumps(second), mode=0o600)
    a = askpass(h)
    check(name + " (no refresh token: login asked)",
          a.returncode == 1 and a.stdout == "" and
          "pamjwt login" in a.stderr, "rc=%s %s" % (a.returncode, a.stderr))


@case("a token for another audience never leaves the cache")
def t_other_audience(name):
    # a valid token for pamjwt-login in the cache is all this needs: a
    # copy of the shared sign-in's cache, checked to be sent for its own
    # audience first (so the refusals below are about the audience)
    h = home_signed_in("audience")
    files = cache_files(h)
    own = askpass(h)
    if not check(name + " (setup)", len(files) == 1 and own.returncode == 0
                 and own.stdout.count(".") == 2, own.stderr):
        return
    tok = json.load(open(files[0]))["token"]
    # the host expects another audience: no entry for it, nothing sent
    a = askpass(h, PAMJWT_AUDIENCE="host-web1")
    ok1 = a.returncode == 1 and a.stdout == ""
    # even a cache file placed under that audience's name holds back a
    # token whose aud is not the host's
    entry = json.load(open(files[0]))
    entry["audience"] = "host-web1"
    other = os.path.join(WORK, "other-audience.conf")
    pjtest.write(other, "issuer = %s\nclient_id = %s\nca_file = %s\n"
                 "audience = host-web1\n" % (P.issuer, CLIENT, CA[0]))
    # the file name of (issuer, client, "id", audience): BLAKE2b-128 of
    # the four values, each with its NUL (tools/cache.c)
    import hashlib
    hh = hashlib.blake2b(digest_size=16)
    for v in (P.issuer, CLIENT, "id", "host-web1"):
        hh.update(v.encode() + b"\0")
    target = os.path.join(os.path.dirname(files[0]),
                          "token-%s.json" % hh.hexdigest())
    pjtest.write(target, json.dumps(entry), mode=0o600)
    b = askpass(h, PAMJWT_LOGIN_CONF=other)
    check(name, ok1 and b.returncode == 1 and b.stdout == "" and
          tok not in b.stderr and "another audience" in b.stderr,
          "a=%s %s b=%s %s" % (a.returncode, a.stderr, b.returncode,
                               b.stderr))


@case("logout removes the cached token; askpass then sends nothing")
def t_logout(name):
    # logout removes what login cached: a copy of a sign-in's cache is
    # that; askpass is shown to send the token before logout, so that its
    # silence after it is logout's doing
    h = home_signed_in("logout")
    before = cache_files(h)
    a0 = askpass(h)
    r = run(h, "logout")
    a = askpass(h)
    check(name, len(before) == 1 and a0.returncode == 0 and
          a0.stdout.count(".") == 2 and r.returncode == 0 and
          not cache_files(h) and a.returncode == 1 and a.stdout == "",
          "before=%s askpass before=%s logout=%s askpass=%s" %
          (before, a0.stderr, r.stderr, a.stderr))


@case("usage: no issuer, unknown config key, --exec without a command",
      browser=False)
def t_usage(name):
    h = os.path.join(WORK, "home-empty")
    os.makedirs(h, exist_ok=True)
    a = run(h, "login")
    bad = os.path.join(WORK, "bad.conf")
    pjtest.write(bad, "issuer = https://x\nclient_id = c\ncolour = blue\n")
    b = run(h, "login", "--config", bad)
    c = run(h, "login", "--issuer", "https://x", "--client-id", "c", "--exec")
    check(name, a.returncode == 2 and "issuer" in a.stderr and
          b.returncode == 2 and "unknown key" in b.stderr and
          c.returncode == 2, a.stderr + b.stderr + c.stderr)


@case("login --exec: the command gets SSH_ASKPASS/SUDO_ASKPASS and the token through askpass")
def t_exec(name):
    # login --exec with a valid token cached runs the command at once; a
    # copy of a sign-in's cache is that state, as the same login run just
    # after a sign-in would find it
    h = home_signed_in("exec")
    rc, err = (0, "") if len(cache_files(h)) == 1 else (1, "no cache")
    r = run(h, "login", "--no-qr", "--exec", "sh", "-c",
            'test "$SSH_ASKPASS" = "$SUDO_ASKPASS" && '
            'test "$SSH_ASKPASS_REQUIRE" = force && '
            '"$SSH_ASKPASS" "Token (part 2): "')
    tok = json.load(open(cache_files(h)[0]))["token"] if rc == 0 else "?"
    check(name, rc == 0 and r.returncode == 0 and len(tok) > 500 and
          r.stdout.strip() == tok[500:1000],
          "rc=%s %s exec=%s %s" % (rc, err, r.returncode, r.stderr))


@case("access token: --token access for an API audience naming the hosts (RFC 9068)")
def t_access(name):
    h = home("access", extra="token = access\naudience = pam_jwt\n"
             "resource = https://ssh.example.test\n"
             "scope = openid ssh offline_access\n")
    rc, err, page = signed_in(name, h)
    a = Whole(h, PAMJWT_AUDIENCE="pam_jwt")
    tok = a.stdout
    c = claims(tok) if tok.count(".") == 2 else {}
    hdr = json.loads(base64.urlsafe_b64decode(
        tok.split(".")[0] + "=" * (-len(tok.split(".")[0]) % 4))) if c else {}
    b = askpass(h, PAMJWT_AUDIENCE="pamjwt-login")
    check(name, rc == 0 and a.returncode == 0 and c.get("aud") == "pam_jwt"
          and hdr.get("typ", "").lower() == "at+jwt" and
          "ssh" in c.get("scope", "").split() and
          b.returncode == 1 and b.stdout == "",
          "rc=%s %s page=%r askpass=%s claims=%r hdr=%r b=%s" %
          (rc, err, page, a.stderr, c, hdr, b.stderr))


@case("e2e: ssh and sudo -A in a namespace with the cached tokens (root)")
def t_e2e(name):
    if os.geteuid() != 0:
        print("SKIP %s: needs root (sshd, users, a mount namespace)" % name)
        return
    if subprocess.run(["mountpoint", "-q", "/"]).returncode != 0:
        print("SKIP %s: / is not a mount point (a chroot?)" % name)
        return
    # ssh and sudo use what is cached; copies of the two accounts' shared
    # sign-ins are that (e2e_login.py copies them again, as the users'
    # own, into the namespace)
    homes = []
    for acct, user in (("alice", "jwtlogin1"), ("bob", "jwtlogin2")):
        h = home_signed_in("e2e-" + user, acct)
        files = cache_files(h)
        if not check("%s (sign-in of %s)" % (name, acct), len(files) == 1,
                     "cache of %s: %r" % (acct, files)):
            return
        homes += ["--home", "%s=%s" % (user, h)]
    jwks = os.path.join(WORK, "e2e.jwks")
    r = subprocess.run([TOOL, "jwks-fetch", "--issuer", P.issuer, "--out",
                        jwks, "--ca-file", CA[0]], capture_output=True,
                       text=True, timeout=60)
    if not check(name + " (jwks-fetch)", r.returncode == 0, r.stderr):
        return
    r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "e2e_login.py"),
                        "--build", BUILD, "--issuer", P.issuer, "--client",
                        CLIENT, "--ca", CA[0], "--jwks", jwks] + homes,
                       capture_output=True, text=True, timeout=400)
    lines = [ln for ln in r.stdout.splitlines()
             if ln.startswith("ok  ") or ln.startswith("FAIL")]
    for ln in lines:
        T.add(ln.startswith("ok  "))
        print(ln)
    check(name, r.returncode == 0 and len(lines) >= 6,
          "rc=%s %s %s" % (r.returncode, r.stdout, r.stderr))


def main():
    global CA, P, APPROVER
    CA = oidcprov.make_ca(WORK, "ca")
    wanted = [c for c in CASES if T.wants(c.case_name)]
    if wanted:
        P = oidcprov.Provider(WORK, CA, node=ARGS.node, clients=CLIENTS,
                              accounts=ACCOUNTS,
                              resource={"indicator":
                                        "https://ssh.example.test",
                                        "audience": "pam_jwt",
                                        "scope": "ssh sudo"},
                              extra={"id_token_claims": True})
        # every provider the cases need, made now, so that chromium is
        # started once, knowing all their keys, while they start
        for c in wanted:
            for ttl in c.providers:
                provider_of(ttl)
    try:
        if wanted:
            if any(c.browser for c in wanted):
                APPROVER = Approver()
                APPROVER.start(all_spki())
            start_all([P] + list(EXTRA.values()))
            if P.proc is None:
                P.start()   # again: its error ends the run
        for c in wanted:
            try:
                c(c.case_name)
            except Exception as e:  # a case that breaks is a failure
                check(c.case_name, False, "exception: %r" % e)
    finally:
        if APPROVER is not None:
            APPROVER.stop()
        for p in [P] + list(EXTRA.values()):
            if p is not None:
                p.stop()
    print(T.closing())
    if T.ok():
        shutil.rmtree(WORK, ignore_errors=True)
    else:
        print("login: work files kept in %s" % WORK)
    sys.exit(0 if T.ok() else 1)


main()
