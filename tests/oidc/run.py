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
ARGS = ap.parse_args()
BUILD = os.path.abspath(ARGS.build)
TOOL = os.path.join(BUILD, "pamjwt")
T = pjtest.Tally("oidc", ARGS.only)
WORK = pjtest.tempdir("pamjwt-oidc.")
SECRET = "s3cret-of-the-service-client-0123456789abcdef"
CLIENTS = [{
    "client_id": "svc-backup", "client_secret": SECRET,
    "grant_types": ["client_credentials"], "redirect_uris": [],
    "response_types": [], "token_endpoint_auth_method": "client_secret_post",
}]
PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "svc-backup:x:1500:1500:backup:/home/svc:/bin/sh\n")


def env():
    pw, gr = pjtest.nss_files(WORK, PASSWD)
    e = pjtest.nss_env(pw, gr, base=pjtest.minimal_env())
    e["ASAN_OPTIONS"] = "verify_asan_link_order=0"
    return e


ENV = None
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
    tok = token()
    v = verify(tok, out)
    check(name + " (a token of the current key still verifies)",
          v.returncode == 0, v.stdout + v.stderr)


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
    r = fetch(out, "--force", "--min-interval", "3600")
    check(name, r.returncode == 0 and "not asked again" in r.stderr and
          P.stats()["total"] == 0, r.stderr)


@case("rate limit: after a failed attempt, exit 1 without asking")
def t_min_interval_fail(name):
    out = good_file("minintfail")
    P.admin("/mode", {"mode": "error"})
    try:
        r1 = fetch(out, "--force")
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


def main():
    global ENV, CA, OTHER_CA, P
    ENV = env()
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
