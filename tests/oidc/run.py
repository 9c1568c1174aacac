#!/usr/bin/python3
"""tests/oidc/run.py - pamjwt jwks-fetch against a real OpenID Provider.

usage: /usr/bin/python3 tests/oidc/run.py --build BUILD [--node NODE]
                                          [--only REGEX]

The provider is the npm package oidc-provider (tests/oidc/provider.mjs,
installed pinned by `npm ci`), started here on 127.0.0.1 with TLS from a CA
made here with openssl, and stopped by PID.  Each case fetches into a file
of its own; the provider's faults (slow, garbage, oversized, no usable key,
another issuer, another CA, down) are switched through its admin hook.
Tokens come from the provider's real client-credentials grant.  Accounts
for `pamjwt verify` come from nss_wrapper.  One line per case, then
"oidc: N passed, M failed".
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
import pjtest  # noqa: E402
import oidcprov  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--build", required=True)
ap.add_argument("--node", default="node")
ap.add_argument("--only")
ap.add_argument("--san", action="store_true",
                help="the build is ASan+UBSan (SAN=1): preload its runtime")
ARGS = ap.parse_args()
BUILD = os.path.abspath(ARGS.build)
TOOL = os.path.join(BUILD, "pamjwt")
T = pjtest.Tally("oidc", ARGS.only)
WORK = pjtest.tempdir("pamjwt-oidc.")
SECRET = "s3cret-of-the-service-client-0123456789abcdef"
ODD_SECRET = "s&e=c r+t%41/?#~-0123456789abcdef0123456789"
CLIENTS = [{
    "client_id": "svc-backup", "client_secret": SECRET,
    "grant_types": ["client_credentials"], "redirect_uris": [],
    "response_types": [], "token_endpoint_auth_method": "client_secret_post",
}, {
    # a secret that form encoding must escape (& = space + % / ? #)
    "client_id": "odd client&=", "client_secret": ODD_SECRET,
    "grant_types": ["client_credentials"], "redirect_uris": [],
    "response_types": [], "token_endpoint_auth_method": "client_secret_post",
}, {
    "client_id": "basic-client", "client_secret": SECRET,
    "grant_types": ["client_credentials"], "redirect_uris": [],
    "response_types": [], "token_endpoint_auth_method": "client_secret_basic",
}]
PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "alice:x:1001:1001:Alice:/home/alice:/bin/sh\n"
          "svc-backup:x:1500:1500:backup:/home/svc:/bin/sh\n")


def env(wrap=None):
    """nss_wrapper accounts for the tool and the module; with wrap (a
    service directory) also pam_wrapper, whose pam_syslog writes the
    module's log lines to stderr as SYSLOG(...)."""
    pw, gr = pjtest.nss_files(WORK, PASSWD)
    base = pjtest.minimal_env()
    if wrap:
        base.update(PAM_WRAPPER="1", PAM_WRAPPER_SERVICE_DIR=wrap,
                    PAM_WRAPPER_DEBUGLEVEL="2")
    e = pjtest.nss_env(pw, gr, san=ARGS.san, base=base,
                       preload=["libpam_wrapper.so"] if wrap else [])
    if ARGS.san:
        e["UID_WRAPPER_DISABLE_DEEPBIND"] = "1"
        e["PAM_WRAPPER_DISABLE_DEEPBIND"] = "1"
        e["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=98"
        e["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    else:
        e["ASAN_OPTIONS"] = "verify_asan_link_order=0"
    return e


ENV = None
PAM_ENV = None
CA = None
OTHER_CA = None
P = None


def fetch(out, *extra, issuer=None, ca=None):
    cmd = [TOOL, "jwks-fetch", "--issuer", issuer or P.issuer, "--out", out,
           "--ca-file", ca or CA[0]] + list(extra)
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV,
                          timeout=120)


def case(name):
    def deco(fn):
        fn.case_name = name
        CASES.append(fn)
        return fn
    return deco


CASES = []


def check(name, cond, detail=""):
    T.add(cond)
    print("%s %s%s" % ("ok  " if cond else "FAIL", name,
                       "" if cond else ": " + detail))
    sys.stdout.flush()
    return cond


def out_file(name):
    return os.path.join(WORK, name + ".jwks")


def kids(path):
    with open(path) as f:
        return sorted(k.get("kid") for k in json.load(f)["keys"])


def provider_kids():
    return sorted(k["kid"] for k in P.admin("/keys")["keys"])


def read(path):
    with open(path, "rb") as f:
        return f.read()


def good_file(name):
    """A file fetched from the healthy provider (the 'last good set')."""
    out = out_file(name)
    r = fetch(out)
    if r.returncode != 0:
        raise RuntimeError("setup fetch failed: " + r.stderr)
    return out


def token():
    t = P.client_credentials("svc-backup", SECRET, scope="ssh")
    if "access_token" not in t:
        raise RuntimeError("no token from the provider: %r" % t)
    return t["access_token"]


def verify(tok, jwks):
    conf = os.path.join(WORK, "verify.conf")
    pjtest.write(conf, "jwks_file = %s\nissuer = %s\naudience = pam_jwt\n"
                 "typ = at+jwt\nrequire_claim = scope=ssh\n" %
                 (jwks, P.issuer))
    return subprocess.run([TOOL, "verify", "--config", conf, "--user",
                           "svc-backup", "-"], input=tok, capture_output=True,
                          text=True, env=ENV, timeout=60)


LAST_LOG = []


def pam(conf, tok, user="svc-backup"):
    """The module through the real libpam (pam_driver, a service file in
    WORK/pamd, under pam_wrapper): the PAM result name; its log lines are
    left in LAST_LOG."""
    pamd = os.path.join(WORK, "pamd")
    os.makedirs(pamd, exist_ok=True)
    pjtest.write(os.path.join(pamd, "oidc-test"),
                 "auth required %s config=%s\n" %
                 (os.path.join(BUILD, "pam_jwt.so"), conf))
    pjtest.write(os.path.join(pamd, "other"), "auth required pam_deny.so\n")
    tf = os.path.join(WORK, "token")
    pjtest.write(tf, tok, mode=0o600)
    r = subprocess.run([os.path.join(BUILD, "pam_driver"), pamd, "oidc-test",
                        user, "@" + tf], capture_output=True, text=True,
                       env=PAM_ENV, timeout=60)
    LAST_LOG[:] = [x for x in r.stderr.splitlines() if "SYSLOG" in x]
    if ARGS.san and "Sanitizer" in r.stderr:
        return "sanitizer report: " + r.stderr
    for w in r.stdout.split():
        if w.startswith("result="):
            return w[len("result="):]
    return "no result: " + r.stdout + r.stderr


def write_conf(name, text):
    return pjtest.write(os.path.join(WORK, name + ".conf"), text)


def mtime_ns(path):
    try:
        return os.stat(path).st_mtime_ns
    except FileNotFoundError:
        return None


def unit_command(unit, issuer, out, extra=()):
    """The ExecStart of conf/systemd/UNIT, as systemd would run it for an
    instance whose file sets ISSUER, OUT and FETCH_OPTS (the tool from the
    build, and --ca-file for the test CA)."""
    path = os.path.join(HERE, "..", "..", "conf", "systemd", unit)
    with open(path) as f:
        line = [x for x in f.read().splitlines()
                if x.startswith("ExecStart=")][0]
    words = line[len("ExecStart="):].split()
    words = [{"/usr/bin/pamjwt": TOOL, "${ISSUER}": issuer,
              "${OUT}": out}.get(w, w) for w in words]
    words = [w for w in words if w != "$FETCH_OPTS"]
    return words + ["--ca-file", CA[0]] + list(extra)


class PathUnit:
    """What pam_jwt-jwks-refresh.path does: when the request file's time
    changes, run the on-demand fetch (pam_jwt-jwks-fetch-now@.service's
    command line)."""

    def __init__(self, request, out):
        self.request = request
        self.out = out
        self.seen = mtime_ns(request)
        self.triggered = 0
        self.results = []

    def poll(self):
        now = mtime_ns(self.request)
        if now is not None and now != self.seen:
            self.seen = now
            self.triggered += 1
            r = subprocess.run(unit_command("pam_jwt-jwks-fetch-now@.service",
                                            P.issuer, self.out),
                               capture_output=True, text=True, env=ENV,
                               timeout=120)
            self.results.append(r)
            return r
        return None


# -- discovery and fetch ---------------------------------------------------

@case("fetch: discovery, exact issuer, the provider's set into the file")
def t_fetch(name):
    out = out_file("fetch")
    r = fetch(out)
    check(name, r.returncode == 0 and kids(out) == provider_kids() and
          "replaced" in r.stderr, r.stderr)
    check(name + " (mode 0644 for a new file)",
          os.stat(out).st_mode & 0o7777 == 0o644, oct(os.stat(out).st_mode))
    ino = os.stat(out).st_ino
    r = fetch(out)
    check(name + " (again: exit 0, unchanged, file not rewritten)",
          r.returncode == 0 and "unchanged" in r.stderr and
          os.stat(out).st_ino == ino, r.stderr)


@case("fetch: owner and mode of the existing file are kept")
def t_owner_mode(name):
    out = out_file("owner")
    pjtest.write(out, '{"keys":[]}', mode=0o640)
    os.chown(out, 0, 4)
    r = fetch(out)
    st = os.stat(out)
    check(name, r.returncode == 0 and st.st_mode & 0o7777 == 0o640 and
          st.st_gid == 4 and st.st_uid == 0 and kids(out) == provider_kids(),
          "%s mode %o gid %d" % (r.stderr, st.st_mode, st.st_gid))


@case("fetch: trailing slash issuer is its own issuer (exact match)")
def t_slash(name):
    out = out_file("slash")
    r = fetch(out, issuer=P.issuer + "/")
    check(name, r.returncode == 1 and not os.path.exists(out) and
          "names issuer" in r.stderr, r.stderr)


@case("http: the POST form helper and discovery (tools/http.c, oidc.c)")
def t_http_probe(name):
    probe = os.path.join(BUILD, "tests", "oidc", "http_probe")

    def run(*args):
        return subprocess.run([probe, CA[0]] + list(args),
                              capture_output=True, text=True, env=ENV,
                              timeout=60)
    d = run("discover", P.issuer)
    check(name + " (discovery: endpoints for the device flow)",
          d.returncode == 0 and "token_endpoint=%s/token" % P.issuer in
          d.stdout and "device_authorization_endpoint=%s/device/auth" %
          P.issuer in d.stdout, d.stdout + d.stderr)
    for who, args in (
            ("client_secret_post, every byte escaped",
             ("grant_type", "client_credentials", "client_id",
              "odd client&=", "client_secret", ODD_SECRET,
              "scope", "ssh sudo")),
            ("client_secret_basic", ("--basic", "basic-client", SECRET,
                                     "grant_type", "client_credentials",
                                     "scope", "ssh"))):
        r = run("post", P.issuer + "/token", *args)
        body = r.stdout.split("\n", 1)[1] if "\n" in r.stdout else ""
        ok = r.returncode == 0 and r.stdout.startswith("status=200 ")
        try:
            ok = ok and "access_token" in json.loads(body)
        except ValueError:
            ok = False
        check(name + " (token endpoint, %s)" % who, ok, r.stdout + r.stderr)
    r = run("post", P.issuer + "/token", "grant_type", "client_credentials",
            "client_id", "odd client&=", "client_secret", "wrong")
    check(name + " (a refused client: status 401, the answer kept)",
          r.returncode == 0 and r.stdout.startswith("status=401 ") and
          "invalid_client" in r.stdout, r.stdout + r.stderr)
    r = run("post", P.issuer + "/token", "grant_type")
    check(name + " (a name without a value is refused)", r.returncode == 1,
          r.stdout + r.stderr)
    r = run("get", "http://127.0.0.1:%d/jwks" % P.port)
    check(name + " (plain http refused)", r.returncode == 1 and
          "URL" in r.stderr, r.stdout + r.stderr)


# -- failures: the old file stays ------------------------------------------

def failure_case(name, mode, expect, extra=(), delay=0):
    out = good_file("fail-" + mode)
    before = read(out)
    P.admin("/mode", {"mode": mode, "delay_ms": delay})
    try:
        r = fetch(out, *extra)
    finally:
        P.admin("/mode", {"mode": "normal"})
    ok = r.returncode == 1 and read(out) == before and expect in r.stderr
    check(name, ok, "rc %d: %s" % (r.returncode, r.stderr))
    leftovers = [f for f in os.listdir(WORK) if f.startswith(".fail-")]
    check(name + " (no temporary file left)", leftovers == [], repr(leftovers))
    login_still_works(name, out)


def login_still_works(name, out):
    """A login (the module through libpam) with a token of the current key
    succeeds on the file that stayed."""
    conf = write_conf("current", "jwks_file = %s\nissuer = %s\naudience = "
                      "pam_jwt\ntyp = at+jwt\n" % (out, P.issuer))
    res = pam(conf, token())
    check(name + " (a login with the current key still works)",
          res == "PAM_SUCCESS", res)


@case("failure: discovery names another issuer")
def t_wrong_issuer(name):
    failure_case(name, "wrong-issuer", "names issuer")


@case("failure: JWK Set is garbage")
def t_garbage(name):
    failure_case(name, "garbage", "failed, file left as it was")


@case("failure: JWK Set over the size limit (streamed)")
def t_huge(name):
    failure_case(name, "huge", "answer over")


@case("failure: JWK Set with no usable key")
def t_nokeys(name):
    failure_case(name, "nokeys", "no usable key")


@case("failure: empty JWK Set")
def t_empty(name):
    failure_case(name, "empty", "failed")


@case("failure: redirect not followed")
def t_redirect(name):
    failure_case(name, "redirect", "redirects are not followed")


@case("failure: provider answers 503")
def t_error(name):
    failure_case(name, "error", "HTTP status 503")


@case("failure: JWK Set over --max-size")
def t_max_size(name):
    out = good_file("maxsize")
    before = read(out)
    r = fetch(out, "--max-size", "100")
    check(name, r.returncode == 1 and read(out) == before and
          "answer over 100 bytes" in r.stderr, r.stderr)


@case("failure: provider slow past --timeout")
def t_slow(name):
    failure_case(name, "slow", "timed out", extra=("--timeout", "2"),
                 delay=6000)


@case("failure: TLS certificate from another CA")
def t_other_ca(name):
    out = good_file("otherca")
    before = read(out)
    cert = oidcprov.make_server_cert(WORK, OTHER_CA, "other-server")
    P.admin("/tls", {"cert": cert[0], "key": cert[1]})
    try:
        r = fetch(out)
    finally:
        P.admin("/tls", {"cert": P.cert[0], "key": P.cert[1]})
    check(name, r.returncode == 1 and read(out) == before and
          "TLS" in r.stderr, r.stderr)
    login_still_works(name, out)


@case("failure: the system trust store does not know the test CA")
def t_no_ca(name):
    out = good_file("noca")
    before = read(out)
    r = subprocess.run([TOOL, "jwks-fetch", "--issuer", P.issuer, "--out",
                        out], capture_output=True, text=True, env=ENV,
                       timeout=60)
    check(name, r.returncode == 1 and read(out) == before, r.stderr)


@case("failure: provider down")
def t_down(name):
    out = good_file("down")
    before = read(out)
    P.stop()
    try:
        r = fetch(out)
    finally:
        P.start()
    check(name, r.returncode == 1 and read(out) == before and
          "cannot connect" in r.stderr, r.stderr)
    login_still_works(name, out)


@case("stale: failure with a file older than --max-age is exit 3")
def t_stale(name):
    out = good_file("stale")
    os.unlink(out + ".fetch-state")
    old = time.time() - 7200
    os.utime(out, (old, old))
    before = read(out)
    P.admin("/mode", {"mode": "error"})
    try:
        r = fetch(out, "--max-age", "3600")
        r2 = fetch(out, "--max-age", "86400")
    finally:
        P.admin("/mode", {"mode": "normal"})
    check(name, r.returncode == 3 and "STALE" in r.stderr and
          read(out) == before, r.stderr)
    check(name + " (younger than --max-age: exit 1)", r2.returncode == 1,
          r2.stderr)


# -- usage -----------------------------------------------------------------

@case("usage: plain http issuer refused without --insecure-http")
def t_http(name):
    r = fetch(out_file("http"), issuer="http://127.0.0.1:%d" % P.port)
    check(name, r.returncode == 2, r.stderr)


@case("usage: missing --out, unknown option, query in issuer")
def t_usage(name):
    r1 = subprocess.run([TOOL, "jwks-fetch", "--issuer", P.issuer],
                        capture_output=True, text=True, env=ENV)
    r2 = fetch(out_file("u"), "--bogus")
    r3 = fetch(out_file("u"), issuer=P.issuer + "?x=1")
    check(name, [r1.returncode, r2.returncode, r3.returncode] == [2, 2, 2],
          r1.stderr + r2.stderr + r3.stderr)


@case("usage: --out a symbolic link is refused")
def t_symlink(name):
    target = good_file("symtarget")
    before = read(target)
    link = out_file("symlink")
    os.symlink(target, link)
    r = fetch(link)
    check(name, r.returncode == 2 and os.path.islink(link) and
          read(target) == before, r.stderr)


# -- politeness --------------------------------------------------------------

@case("ETag: If-None-Match sent, 304 keeps the file")
def t_etag(name):
    P.admin("/cache", {"etag": True})
    try:
        out = good_file("etag")
        ino = os.stat(out).st_ino
        r = fetch(out)
        check(name, r.returncode == 0 and "not modified" in r.stderr and
              os.stat(out).st_ino == ino, r.stderr)
        # a file changed by hand is not covered by the ETag: fetched again
        pjtest.write(out, read(out) + b"\n")
        r = fetch(out)
        check(name + " (file changed by hand: fetched whole)",
              r.returncode == 0 and "replaced" in r.stderr, r.stderr)
    finally:
        P.admin("/cache", {})


@case("Cache-Control: max-age honoured, --force asks anyway")
def t_max_age(name):
    P.admin("/cache", {"max_age": 600})
    try:
        out = good_file("maxage")
        P.admin("/reset-stats", {})
        r = fetch(out)
        n1 = P.stats()["total"]
        r2 = fetch(out, "--force")
        n2 = P.stats()["total"]
    finally:
        P.admin("/cache", {})
    check(name, r.returncode == 0 and "fresh for" in r.stderr and n1 == 0,
          "%s total %d" % (r.stderr, n1))
    check(name + " (--force)", r2.returncode == 0 and n2 == 2,
          "%s total %d" % (r2.stderr, n2))


@case("rate limit: --min-interval, no request to the provider")
def t_min_interval(name):
    out = good_file("minint")
    P.admin("/reset-stats", {})
    r1 = fetch(out, "--force", "--min-interval", "3600")
    n1 = P.stats()["total"]
    r = fetch(out, "--force", "--min-interval", "3600")
    check(name + " (a periodic run before does not count)",
          r1.returncode == 0 and n1 == 2, "%s %d" % (r1.stderr, n1))
    check(name, r.returncode == 0 and "not asked again" in r.stderr and
          P.stats()["total"] == n1, r.stderr)
    os.unlink(out)
    r = fetch(out, "--force", "--min-interval", "3600")
    check(name + " (the file gone: exit 1, not 0)", r.returncode == 1 and
          "file is gone" in r.stderr and P.stats()["total"] == n1, r.stderr)


@case("rate limit: after a failed attempt, exit 1 without asking")
def t_min_interval_fail(name):
    out = good_file("minintfail")
    P.admin("/mode", {"mode": "error"})
    try:
        r1 = fetch(out, "--force", "--min-interval", "3600")
    finally:
        P.admin("/mode", {"mode": "normal"})
    P.admin("/reset-stats", {})
    r2 = fetch(out, "--force", "--min-interval", "3600")
    check(name, r1.returncode == 1 and r2.returncode == 1 and
          P.stats()["total"] == 0, r1.stderr + r2.stderr)


# -- rotation and verify -----------------------------------------------------

@case("rotation: new kid fetched; old kid dropped and its token refused")
def t_rotation(name):
    out = good_file("rotation")
    old_kid = provider_kids()[0]
    old_tok = token()
    P.admin("/rotate", {"add": "ES256", "kid": "rotated-es256"})
    new_tok = token()
    v = verify(new_tok, out)
    check(name + " (before the fetch: new kid unknown)",
          v.returncode == 1 and "kid" in v.stdout + v.stderr,
          v.stdout + v.stderr)
    r = fetch(out)
    v = verify(new_tok, out)
    check(name + " (after the fetch: new kid verifies)",
          r.returncode == 0 and "rotated-es256" in kids(out) and
          v.returncode == 0, r.stderr + v.stdout + v.stderr)
    P.admin("/rotate", {"drop": old_kid})
    r = fetch(out)
    v = verify(old_tok, out)
    check(name + " (old kid gone: its token refused)",
          r.returncode == 0 and old_kid not in kids(out) and
          v.returncode == 1, r.stderr + v.stdout + v.stderr)


@case("verify: pamjwt verify explains a provider token")
def t_verify(name):
    out = good_file("verify")
    tok = token()
    v = verify(tok, out)
    text = v.stdout + v.stderr
    check(name, v.returncode == 0 and "svc-backup" in text and
          P.issuer in text, text)


# -- the module: refresh on an unknown kid ------------------------------------

def refresh_conf(name, out, interval=60):
    run = os.path.join(WORK, "run-" + name)
    os.makedirs(run, exist_ok=True)
    req = os.path.join(run, "refresh-request")
    conf = write_conf(name, "jwks_file = %s\nissuer = %s\naudience = pam_jwt\n"
                      "typ = at+jwt\nrefresh_request = %s\n"
                      "refresh_interval = %d\n" % (out, P.issuer, req,
                                                   interval))
    return conf, req


@case("refresh: rotation picked up on demand, old kid refused after it goes")
def t_refresh_rotation(name):
    out = good_file("refresh")
    conf, req = refresh_conf("refresh", out)
    unit = PathUnit(req, out)
    old_kid = provider_kids()[0]
    old_tok = token()
    check(name + " (current key: PAM_SUCCESS)", pam(conf, old_tok) ==
          "PAM_SUCCESS")
    P.admin("/rotate", {"add": "RS256", "kid": "refresh-new"})
    new_tok = token()
    res = pam(conf, new_tok)
    check(name + " (new kid: refused at once, request left)",
          res == "PAM_AUTH_ERR" and os.path.exists(req) and
          os.path.getsize(req) == 0, res)
    check(name + " (one log line: rejected, the reason, refresh requested)",
          len(LAST_LOG) == 1 and "rejected:" in LAST_LOG[0] and
          "(JWK Set refresh requested)" in LAST_LOG[0] and
          "kid=refresh-new" in LAST_LOG[0], repr(LAST_LOG))
    pam(conf, new_tok)
    check(name + " (again within refresh_interval: already requested)",
          len(LAST_LOG) == 1 and "(JWK Set refresh already requested)" in
          LAST_LOG[0], repr(LAST_LOG))
    r = unit.poll()
    check(name + " (the path unit's fetch brings the new kid)",
          r is not None and r.returncode == 0 and
          "refresh-new" in kids(out), r.stderr if r else "not triggered")
    res = pam(conf, new_tok)
    check(name + " (new kid: PAM_SUCCESS after the refresh)",
          res == "PAM_SUCCESS", res)
    P.admin("/rotate", {"drop": old_kid})
    # the provider drops a key: the timer's next run takes the set
    r = subprocess.run(unit_command("pam_jwt-jwks-fetch@.service", P.issuer,
                                    out), capture_output=True, text=True,
                       env=ENV, timeout=120)
    res = pam(conf, old_tok)
    check(name + " (old kid gone: its token PAM_AUTH_ERR)",
          r.returncode == 0 and old_kid not in kids(out) and
          res == "PAM_AUTH_ERR", r.stderr + res)
    check(name + " (current key still PAM_SUCCESS)",
          pam(conf, token()) == "PAM_SUCCESS")


def unknown_kid_token(kid, iss):
    h = pjtest.b64u(json.dumps({"alg": "RS256", "typ": "at+jwt",
                                "kid": kid}))
    b = pjtest.b64u(json.dumps({"iss": iss, "sub": "svc-backup",
                                "aud": "pam_jwt",
                                "exp": int(time.time()) + 300}))
    return h + "." + b + "." + pjtest.b64u(b"\x00" * 256)


@case("refresh: a flood of unknown kids makes one fetch")
def t_flood(name):
    out = good_file("flood")
    conf, req = refresh_conf("flood", out)
    unit = PathUnit(req, out)
    P.admin("/reset-stats", {})
    results = set()
    n = 40
    for i in range(n):
        results.add(pam(conf, unknown_kid_token("flood-%d-%s" % (i, "x" * i),
                                                P.issuer)))
        unit.poll()
    st = P.stats()["counts"]
    check(name, results == {"PAM_AUTH_ERR"} and unit.triggered == 1 and
          st.get("/jwks", 0) == 1 and
          st.get("/.well-known/openid-configuration", 0) == 1,
          "results %r, path unit triggered %d times, provider %r" %
          (results, unit.triggered, st))
    # the request time passes refresh_interval: the module asks again, and
    # the fetcher's --min-interval still holds the provider off
    past = time.time() - 120
    os.utime(req, (past, past))
    unit.seen = mtime_ns(req)
    pam(conf, unknown_kid_token("flood-late", P.issuer))
    unit.poll()
    st = P.stats()["counts"]
    check(name + " (module asks again after refresh_interval; fetcher's "
          "--min-interval holds)", unit.triggered == 2 and
          st.get("/jwks", 0) == 1 and unit.results[-1].returncode == 0 and
          "not asked again" in unit.results[-1].stderr,
          "%d %r %s" % (unit.triggered, st, unit.results[-1].stderr))


@case("refresh: no request for a foreign issuer, a known kid (bad signature, other alg), or when off")
def t_no_refresh(name):
    out = good_file("norefresh")
    conf, req = refresh_conf("norefresh", out)
    pam(conf, unknown_kid_token("foreign", "https://evil.example"))
    tok = token()
    pam(conf, tok[:-4] + ("AAAA" if not tok.endswith("AAAA") else "BBBB"))
    # a kid the set holds, with an algorithm its key does not allow
    known = kids(out)[0]
    h = pjtest.b64u(json.dumps({"alg": "HS256", "kid": known}))
    pam(conf, h + "." + tok.split(".")[1] + "." + pjtest.b64u(b"x" * 32))
    conf_off = write_conf("norefresh-off", "jwks_file = %s\nissuer = %s\n"
                          "audience = pam_jwt\n" % (out, P.issuer))
    pam(conf_off, unknown_kid_token("off", P.issuer))
    check(name, not os.path.exists(req), "request file made")


@case("refresh: refresh_request without issuer is a configuration error")
def t_refresh_conf(name):
    conf = write_conf("refresh-noiss", "jwks_file = %s\nrefresh_request = "
                      "%s/x\n" % (good_file("noiss"), WORK))
    v = subprocess.run([TOOL, "verify", "--config", conf, "-"],
                       input=token(), capture_output=True, text=True,
                       env=ENV)
    check(name, v.returncode == 2 and "refresh_request needs issuer" in
          v.stdout + v.stderr, v.stdout + v.stderr)


@case("systemd: the units pass systemd-analyze verify")
def t_units(name):
    d = os.path.join(WORK, "units")
    os.makedirs(d, exist_ok=True)
    src = os.path.join(HERE, "..", "..", "conf", "systemd")
    names = []
    # jwks-fetch's units (pamjwt-linkd's is checked by tests/linkd)
    for f in sorted(x for x in os.listdir(src) if x.startswith("pam_jwt-jwks-")):
        with open(os.path.join(src, f)) as fh:
            text = fh.read().replace("/usr/bin/pamjwt", TOOL)
        pjtest.write(os.path.join(d, f), text)
        names.append(f.replace("@.", "@staff."))
    if len(names) < 5:
        check(name, False, "expected the 5 jwks units in conf/systemd, found %r"
              % names)
        return
    r = subprocess.run(["systemd-analyze", "verify", "--man=no"] +
                       [os.path.join(d, f) for f in names],
                       capture_output=True, text=True, cwd=d,
                       env=dict(ENV, SYSTEMD_LOG_LEVEL="warning"))
    check(name, r.returncode == 0 and r.stderr.strip() == "",
          r.stdout + r.stderr)


@case("systemd: the refresh service starts the on-demand fetch of each provider")
def t_refresh_service(name):
    """pam_jwt-jwks-refresh.service's ExecStart, unescaped as systemd does
    ($$ -> $, %% -> %), run by sh over a directory of provider files, with
    a systemctl that records what it is asked."""
    path = os.path.join(HERE, "..", "..", "conf", "systemd",
                        "pam_jwt-jwks-refresh.service")
    with open(path) as f:
        line = [x for x in f.read().splitlines()
                if x.startswith("ExecStart=")][0][len("ExecStart="):]
    script = line.split(" -c ", 1)[1].strip("'")
    script = script.replace("$$", "$").replace("%%", "%")
    d = os.path.join(WORK, "fetchconf")
    os.makedirs(os.path.join(d, "bin"), exist_ok=True)
    for n in ("staff", "partner"):
        pjtest.write(os.path.join(d, n + ".conf"), "ISSUER=x\nOUT=y\n")
    log = os.path.join(d, "systemctl.log")
    pjtest.write(os.path.join(d, "bin", "systemctl"),
                 "#!/bin/sh\necho \"$*\" >> %s\n" % log, mode=0o755)
    script = script.replace("/etc/security/pam_jwt-fetch", d)
    r = subprocess.run(["/bin/sh", "-c", script], capture_output=True,
                       text=True, env={"PATH": os.path.join(d, "bin") +
                                       ":/usr/bin:/bin"})
    with open(log) as f:
        got = sorted(f.read().splitlines())
    check(name, r.returncode == 0 and got == [
        "start --no-block pam_jwt-jwks-fetch-now@partner.service",
        "start --no-block pam_jwt-jwks-fetch-now@staff.service"],
        repr(got) + r.stderr)


# -- keys bound to issuers ------------------------------------------------------

def provider_private_jwk(prov, kid=None):
    with open(os.path.join(WORK, "provider-keys-%d.json" % prov.port)) as f:
        keys = json.load(f)["keys"]
    return [k for k in keys if kid is None or k["kid"] == kid][0]


def sign_with(jwk, claims, typ="at+jwt"):
    import jwt as pyjwt
    key = pyjwt.PyJWK(jwk).key
    return pyjwt.encode(claims, key, algorithm=jwk["alg"],
                        headers={"kid": jwk["kid"], "typ": typ})


@case("binding: a key of provider A never verifies a token claiming B")
def t_binding(name):
    global P
    a_out = good_file("bind-a")
    b = oidcprov.Provider(WORK, CA, node=ARGS.node, clients=CLIENTS)
    b.start()
    try:
        b_out = out_file("bind-b")
        r = fetch(b_out, issuer=b.issuer)
        conf = write_conf("bind", (
            "audience = pam_jwt\ntyp = at+jwt\n"
            "[issuer %s]\njwks_file = %s\n"
            "[issuer %s]\njwks_file = %s\n") % (P.issuer, a_out, b.issuer,
                                                b_out))
        tok_a = token()
        tok_b = b.client_credentials("svc-backup", SECRET, scope="ssh")[
            "access_token"]
        check(name + " (A's token, B's token: PAM_SUCCESS)",
              r.returncode == 0 and pam(conf, tok_a) == "PAM_SUCCESS" and
              pam(conf, tok_b) == "PAM_SUCCESS", r.stderr)
        # A's own signing key signs a token that claims B
        a_key = provider_private_jwk(P, json.loads(
            __import__("base64").urlsafe_b64decode(
                tok_a.split(".")[0] + "==").decode())["kid"])
        now = int(time.time())
        forged = sign_with(a_key, {"iss": b.issuer, "sub": "svc-backup",
                                   "aud": "pam_jwt", "iat": now,
                                   "exp": now + 300})
        check(name + " (A's key, iss B: PAM_AUTH_ERR)",
              pam(conf, forged) == "PAM_AUTH_ERR")
        # the same token passes the old single-section way: one set holding
        # both providers' keys, both issuers allowed -- what binding stops
        both = out_file("bind-both")
        with open(a_out) as f1, open(b_out) as f2:
            ks = json.load(f1)["keys"] + json.load(f2)["keys"]
        pjtest.write(both, json.dumps({"keys": ks}))
        flat = write_conf("bind-flat", "jwks_file = %s\nissuer = %s, %s\n"
                          "audience = pam_jwt\ntyp = at+jwt\n" %
                          (both, P.issuer, b.issuer))
        check(name + " (without binding the forged token would pass)",
              pam(flat, forged) == "PAM_SUCCESS")
        # a token of an issuer with no section, and no global keys
        other = sign_with(a_key, {"iss": "https://other.example",
                                  "sub": "svc-backup", "aud": "pam_jwt",
                                  "exp": now + 300})
        check(name + " (iss of no section, no global key: PAM_AUTH_ERR)",
              pam(conf, other) == "PAM_AUTH_ERR")
        # a section's own audience: B's tokens need another audience
        conf2 = write_conf("bind-aud", (
            "audience = pam_jwt\ntyp = at+jwt\n"
            "[issuer %s]\njwks_file = %s\n"
            "[issuer %s]\njwks_file = %s\naudience = other-aud\n") %
            (P.issuer, a_out, b.issuer, b_out))
        check(name + " (a section's audience applies to its issuer only)",
              pam(conf2, tok_a) == "PAM_SUCCESS" and
              pam(conf2, tok_b) == "PAM_AUTH_ERR")
        v = subprocess.run([TOOL, "verify", "--config", conf, "--user",
                            "svc-backup", "-"], input=tok_b,
                           capture_output=True, text=True, env=ENV)
        check(name + " (pamjwt verify follows the binding and names it)",
              v.returncode == 0 and "section: [issuer %s]" % b.issuer in
              v.stdout, v.stdout + v.stderr)
    finally:
        b.stop()


@case("binding: configuration errors")
def t_binding_conf(name):
    out = good_file("bindconf")
    bad = {
        "no key source in the section":
            "[issuer https://a.example]\naudience = x\n",
        "issuer key in the section":
            "[issuer https://a.example]\njwks_file = %s\nissuer = "
            "https://b.example\n" % out,
        "a [service] section names a key source":
            "[issuer https://a.example]\njwks_file = %s\n"
            "[service oidc-test]\njwks_file = %s\n" % (out, out),
        "two sections of one issuer":
            "[issuer https://a.example]\njwks_file = %s\n"
            "[issuer https://a.example]\njwks_file = %s\n" % (out, out),
        "unknown key in the section":
            "[issuer https://a.example]\njwks_file = %s\nbogus = 1\n" % out,
    }
    for what, text in bad.items():
        conf = write_conf("bindconf", text)
        res = pam(conf, token())
        v = subprocess.run([TOOL, "verify", "--config", conf,
                            "--service", "oidc-test", "-"], input=token(),
                           capture_output=True, text=True, env=ENV)
        check(name + " (%s)" % what, res == "PAM_SERVICE_ERR" and
              v.returncode == 2, res + v.stdout + v.stderr)


# -- recipes: docs/identity-providers.md, with tokens of each provider's shape

DOC = os.path.join(HERE, "..", "..", "docs", "identity-providers.md")


def doc_blocks(kind):
    """{NAME: text} of the fenced blocks after '<!-- KIND: NAME -->'."""
    with open(DOC) as f:
        lines = f.read().splitlines()
    out, i = {}, 0
    while i < len(lines):
        line = lines[i].strip()
        if line.startswith("<!-- %s: " % kind) and line.endswith("-->"):
            name = line[len("<!-- %s: " % kind):-3].strip()
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            k = j + 1
            while not lines[k].startswith("```"):
                k += 1
            out[name] = "\n".join(lines[j + 1:k]) + "\n"
            i = k
        i += 1
    return out


def recipe_tokens(now):
    """Per provider: (a token as it issues them, the same token failing the
    recipe's distinguishing rule).  Shapes from the providers' documented
    tokens; the example values of docs/identity-providers.md."""
    base = {"iat": now, "exp": now + 300, "nbf": now}
    kc = dict(base, iss="https://sso.example.com/realms/staff",
              aud=["pam-ssh", "account"], azp="pam-ssh", typ="Bearer",
              sub="5d1b6b6e-0d7a-4c0e-9d0a-1d4f3c2b1a00",
              preferred_username="alice", email="alice@example.com",
              email_verified=True, groups=["ssh-users", "staff"],
              realm_access={"roles": ["default-roles-staff"]},
              scope="openid email profile", sid="x", jti="kc-1")
    entra = dict(base, iss="https://login.microsoftonline.com/"
                 "11111111-2222-3333-4444-555555555555/v2.0",
                 aud="api://pam-ssh", azp="c0ffee00-0000-0000-0000-000000000001",
                 tid="11111111-2222-3333-4444-555555555555",
                 oid="0a0b0c0d-0000-0000-0000-000000000002",
                 sub="AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
                 scp="ssh.login User.Read", roles=["SSH.Users"],
                 preferred_username="alice@example.com", name="Alice",
                 ver="2.0", uti="x")
    google = dict(base, iss="https://accounts.google.com",
                  azp="123456789012-abcdefg.apps.googleusercontent.com",
                  aud="123456789012-abcdefg.apps.googleusercontent.com",
                  sub="109876543210987654321", email="alice@example.com",
                  email_verified=True, hd="example.com", at_hash="x")
    okta = dict(base, ver=1, jti="AT.okta", iss="https://example.okta.com/"
                "oauth2/default", aud="api://default",
                cid="0oa1example2client3", uid="00u1example",
                scp=["openid", "ssh"], sub="alice@example.com",
                groups=["Everyone", "ssh-users"], auth_time=now)
    ak = dict(base, iss="https://auth.example.com/application/o/pam-ssh/",
              aud="Zk3examplepamsshclientid", azp="Zk3examplepamsshclientid",
              sub="f3a1example", preferred_username="alice",
              email="alice@example.com", email_verified=True,
              groups=["authentik Admins", "ssh-users"], nickname="alice")
    return {
        "keycloak": (kc, dict(kc, groups=["staff"])),
        "entra": (entra, dict(entra, roles=["Other.Role"])),
        "google": (google, dict(google, email_verified="true")),
        "okta": (okta, dict(okta, scp=["openid"])),
        "authentik": (ak, dict(ak, email_verified=False)),
    }


@case("recipe: each provider's recipe accepts its token, refuses the rest")
def t_recipes(name):
    import jwt as pyjwt
    from cryptography.hazmat.primitives.asymmetric import rsa
    recipes = doc_blocks("recipe")
    maps = doc_blocks("recipe-map")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(pyjwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "recipe-1", "use": "sig", "alg": "RS256"})
    now = int(time.time())
    toks = recipe_tokens(now)
    check(name + " (a recipe for each provider)",
          sorted(recipes) == sorted(toks), repr(sorted(recipes)))
    for prov, (good, bad) in sorted(toks.items()):
        if prov not in recipes:
            continue
        text = recipes[prov].replace("/etc/security/", WORK + "/recipe-")
        for path in set(w for w in text.split() if w.startswith(WORK)):
            if path.endswith(".jwks"):
                pjtest.write(path, json.dumps({"keys": [jwk]}))
            elif path.endswith(".map"):
                pjtest.write(path, maps[prov])
        conf = write_conf("recipe-" + prov, text)
        for what, claims, want in (("its token", good, 0),
                                   ("without its rule", bad, 1)):
            tok = pyjwt.encode(claims, key, algorithm="RS256",
                               headers={"kid": "recipe-1", "typ": "JWT"})
            v = subprocess.run([TOOL, "verify", "--config", conf, "--user",
                                "alice", "-"], input=tok, capture_output=True,
                               text=True, env=ENV)
            why = {"keycloak": "groups=ssh-users", "entra": "roles=SSH.Users",
                   "google": "email_verified is not true",
                   "okta": "scp=ssh", "authentik":
                   "email_verified is not true"}[prov]
            check("%s (%s: %s)" % (name, prov, what), v.returncode == want
                  and (want == 0 or why in v.stdout + v.stderr),
                  v.stdout + v.stderr)


# -- end to end: sshd in a private mount namespace (tests/oidc/e2e_sshd.py) --
# last: it rotates the provider's key

@case("e2e: provider token at sshd, rotation picked up on demand")
def t_e2e(name):
    if ARGS.san:
        # sshd has no sanitizer runtime to load an ASan-built module with
        print("SKIP %s: not under ASan (check-oidc in the normal build runs "
              "it)" % name)
        return
    import e2e_sshd
    e2e_sshd.run_e2e(sys.modules[__name__])


def main():
    global ENV, PAM_ENV, CA, OTHER_CA, P
    ENV = env()
    PAM_ENV = env(wrap=os.path.join(WORK, "pamd"))
    CA = oidcprov.make_ca(WORK, "ca")
    OTHER_CA = oidcprov.make_ca(WORK, "other-ca")
    wanted = [c for c in CASES if T.wants(c.case_name)]
    if wanted:
        P = oidcprov.Provider(WORK, CA, node=ARGS.node, clients=CLIENTS)
        P.start()
    try:
        for c in wanted:
            try:
                c(c.case_name)
            except Exception as e:  # a case that breaks is a failure
                check(c.case_name, False, "exception: %r" % e)
                P.admin("/mode", {"mode": "normal"}) if P.proc else None
    finally:
        if P is not None:
            P.stop()
    print(T.closing())
    if T.ok():
        shutil.rmtree(WORK, ignore_errors=True)
    else:
        print("oidc: work files kept in %s" % WORK)
    sys.exit(0 if T.ok() else 1)


main()
