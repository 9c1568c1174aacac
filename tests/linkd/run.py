#!/usr/bin/python3
"""pamjwt-linkd, the magic-link service, end to end with real programs.

    /usr/bin/python3 tests/linkd/run.py --build DIR [--only REGEX] [--san]

Everything listens on 127.0.0.1 (and 127.0.0.2 as a second client) and is
started here and stopped by its PID:
  - DIR/pamjwt-linkd serve, several instances with their own configs;
  - a real SMTP server that keeps what it receives (tests/linkd/smtpsink.py,
    Debian's python3-aiosmtpd);
  - a real browser: Debian's chromium, headless, through puppeteer-core
    (tests/browser/, installed by npm ci; tests/linkd/browse.mjs);
  - the token then goes through the real libpam (DIR/pam_driver,
    pam_start_confdir) with DIR/pam_jwt.so and the host side of
    conf/examples/magic-link (its pam_jwt.conf, paths moved to the temp
    dir; [service sshd] and [service sudo]), accounts from nss_wrapper.

Cases (ONLY=REGEX picks them by name):
  e2e-login    browser asks for a link for alice, the mail arrives, a mail
               scanner GETs the link twice, the browser opens it in two tabs,
               presses the button in both: the first gets the token (copy
               button, ssh and askpass commands), the second is told the link
               was used; the token is refused by sudo, accepted once by sshd
               and refused the second time
  e2e-sudo     the same for a sudo link asked for by e-mail address
  e2e-ns       two more links through the browser, then Debian's real sshd
               (ssh with SSH_ASKPASS=pamjwt-askpass, as the token page says)
               and sudo in a private mount namespace (tests/linkd/ns_login.py,
               as root; otherwise SKIP): each token works once
  admin        pamjwt-linkd send (help desk): mail sent; wrong secret,
               unknown account refused
  unknown      an unknown account gets the same page (and status and
               headers) and no mail; the time of both answers is reported,
               not asserted; mail goes only to addresses on file
  http-flow    the same flow over plain HTTP: second POST says used, every
               page's headers (CSP, X-Frame-Options, nosniff, no-store,
               no-referrer, no HSTS without TLS), no inline script or style
  expired      a link past link_ttl: GET and POST say expired, no token
  forged       random, truncated, extended ids: "not valid"; a forged POST
               does not disturb the real link
  csrf         POSTs without the form token, with a wrong one, with one of
               another cookie or another form: 403, nothing mailed or used
  escaping     HTML/JS in the form, in the configured host name and in the
               directory: never on a page unescaped, no script runs in the
               browser; a broken directory is refused (check) and a broken
               new version at run time keeps the old one
  flood        rate limits per client and per input (429), another client
               unaffected, idle connections past the per-client limit do
               not lock out other clients, and after a flood the service
               answers
  ratefull     a table of rate counters full of live windows refuses (429)
               instead of resetting a counter: an account's limit survives a
               flood of other names; rate_mails caps the service's mails
               with the same page as for an unknown account
  samework     (F8, no enumeration by timing) under valgrind's callgrind:
               a lookup of a known and of unknown addresses cost the same
               directory passes; a known and an unknown name both go through
               the store and the mail queue (the unknown one keeps nothing)
  wipe         after the token page is sent, the token is nowhere in the
               service's memory (/proc/PID/mem; the copy libmicrohttpd sent
               from is wiped)
  kinds        a kind kept off the web form (web = no) cannot be asked for
               there; the form offers the one web kind
  limits       oversized bodies and headers, wrong method, path, type
  tls          the service's own TLS (libmicrohttpd + GnuTLS): HSTS and a
               Secure __Host- cookie
  config       bad config files: exit 2 naming FILE:LINE
  audit        one audit line per request; no token and no link id ever in
               the log

Prints one line per check and "linkd: N passed, M failed"; exit 1 on any
failure, 2 when it cannot run at all.
"""

import argparse
import email
import email.policy
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import pjtest  # noqa: E402

try:
    import jwt
except ImportError:  # pragma: no cover
    print("linkd: cannot import jwt: run with /usr/bin/python3 (python3-jwt)")
    sys.exit(2)

EXAMPLE = os.path.join(ROOT, "conf", "examples", "magic-link")
HOST = "host.example.com"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; "
       "img-src 'self'; connect-src 'none'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
HOSTILE_HOST = 'h"><script>alert(1)</script>'
PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>',
            "'><svg onload=alert(1)>", "alice<b>&amp;"]
LINK_RE = re.compile(r"(https?://[^\s]+/l/[A-Za-z0-9_-]+)")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, host="127.0.0.1", timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


class Client:
    """A tiny browser-less client: one cookie jar, forms with their CSRF
    token taken from the page, a chosen source address."""

    def __init__(self, port, source="127.0.0.1", tls_ca=None):
        self.port = port
        self.source = source
        self.tls_ca = tls_ca
        self.cookies = {}

    def conn(self):
        if self.tls_ca:
            ctx = ssl.create_default_context(cafile=self.tls_ca)
            return http.client.HTTPSConnection(
                "127.0.0.1", self.port, timeout=20, context=ctx,
                source_address=(self.source, 0))
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=20,
                                          source_address=(self.source, 0))

    def req(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read().decode("utf-8", "replace")
            for v in r.headers.get_all("Set-Cookie") or []:
                k, _, rest = v.partition("=")
                self.cookies[k.strip()] = rest.split(";")[0]
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), \
                data, r.headers.get_all("Set-Cookie") or []
        finally:
            c.close()

    def get(self, path):
        return self.req("GET", path)

    def post(self, path, fields, headers=None):
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        h.update(headers or {})
        return self.req("POST", path, urllib.parse.urlencode(fields), h)

    @staticmethod
    def csrf(page):
        m = re.search(r'name="csrf" value="([^"]*)"', page)
        return m.group(1) if m else None

    def ask(self, who, kind=None):
        st, _, page, _ = self.get("/")
        f = {"csrf": self.csrf(page) or "", "who": who}
        if kind:
            f["kind"] = kind
        return self.post("/request", f)


class Mailbox:
    def __init__(self, d):
        self.d = d
        self.seen = set()

    def all(self):
        out = []
        for n in sorted(os.listdir(self.d)):
            if n.endswith(".eml"):
                with open(os.path.join(self.d, n), "rb") as f:
                    out.append((n, f.read()))
        return out

    def wait_new(self, count=1, timeout=20):
        """The next count messages not yet returned (fewer after timeout)."""
        end = time.time() + timeout
        got = []
        while time.time() < end:
            for n, data in self.all():
                if n not in self.seen:
                    self.seen.add(n)
                    got.append(email.message_from_bytes(
                        data, policy=email.policy.default))
            if len(got) >= count:
                break
            time.sleep(0.1)
        return got

    def settle(self, quiet=1.5):
        """Wait until no new message came for `quiet` seconds; the new
        ones."""
        got = []
        while True:
            new = self.wait_new(1, timeout=quiet)
            if not new:
                return got
            got += new


def link_of(msg):
    body = msg.get_body(preferencelist=("plain",))
    m = LINK_RE.search(body.get_content() if body else "")
    return m.group(1) if m else None


def claims(tok):
    return jwt.decode(tok, options={"verify_signature": False})


class Suite:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.t = pjtest.Tally("linkd", args.only)
        self.procs = []
        self.d = pjtest.tempdir("pjlinkd-")
        self.linkd = os.path.join(self.build, "pamjwt-linkd")
        self.tokens = []        # every token seen: never in a log
        self.ids = []           # every link id seen: never in a log
        self.logs = []
        self.services = []

    # ---- reporting -------------------------------------------------------
    def ok(self, name, cond, detail=""):
        print("%s %s%s" % ("PASS" if cond else "FAIL", name,
                           "" if cond or not detail else ": " + str(detail)[:600]))
        self.t.add(bool(cond))
        return bool(cond)

    def p(self, *a):
        return os.path.join(self.d, *a)

    # ---- processes ---------------------------------------------------------
    def start(self, argv, log, **kw):
        f = open(log, "ab")
        proc = subprocess.Popen(argv, stdout=f, stderr=f, **kw)
        f.close()
        self.procs.append(proc)
        return proc

    def stop(self, proc):
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait()
        return proc.returncode

    def cleanup(self):
        for proc in reversed(self.procs):
            self.stop(proc)
        shutil.rmtree(self.d, ignore_errors=True)

    # ---- set-up ------------------------------------------------------------
    def setup(self):
        for prog in ("pamjwt-linkd", "pamjwt", "pam_jwt.so", "pam_driver"):
            if not os.path.exists(os.path.join(self.build, prog)):
                print("linkd: %s/%s is not built" % (self.build, prog))
                sys.exit(2)
        r = subprocess.run([os.path.join(self.build, "pamjwt"), "keygen",
                            "--alg", "HS256", "--out", self.p("signing")],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("linkd: keygen failed: " + r.stderr)
            sys.exit(2)
        self.secret = self.p("signing.secret")
        pjtest.write(self.p("admin.secret"), secrets.token_urlsafe(40) + "\n",
                     0o600)
        pjtest.write(self.p("other-admin.secret"),
                     secrets.token_urlsafe(40) + "\n", 0o600)
        self.directory = pjtest.write(self.p("directory"), (
            "# test directory\n"
            "alice      alice@example.com\n"
            "bob        robert.smith@example.org\n"
            "ops-*      %s@ops.example.net\n"
            "pjlinkd?   %s@ns.example.net\n"), 0o644)
        self.addresses = {"alice@example.com", "robert.smith@example.org"}
        os.mkdir(self.p("mail"), 0o700)
        self.mailbox = Mailbox(self.p("mail"))
        self.smtp_port = free_port()
        sink = self.start(["/usr/bin/python3", os.path.join(HERE, "smtpsink.py"),
                           str(self.smtp_port), self.p("mail")],
                          self.p("smtp.log"))
        end = time.time() + 15
        while not os.path.exists(self.p("mail", "ready")) and time.time() < end:
            if sink.poll() is not None:
                break
            time.sleep(0.05)
        if not os.path.exists(self.p("mail", "ready")):
            print("linkd: the SMTP sink did not start: " +
                  open(self.p("smtp.log")).read()[-500:])
            sys.exit(2)
        # the host: conf/examples/magic-link with its paths moved here
        with open(os.path.join(EXAMPLE, "pam_jwt.conf")) as f:
            text = f.read()
        for a, b in (("/etc/security/pam_jwt-magic.secret", self.secret),
                     ("/var/lib/pam_jwt/replay", self.p("replay"))):
            if a not in text:
                print("linkd: the example pam_jwt.conf does not name " + a)
                sys.exit(2)
            text = text.replace(a, b)
        self.hostconf = pjtest.write(self.p("pam_jwt.conf"), text, 0o644)
        os.mkdir(self.p("pam.d"))
        module = os.path.join(self.build, "pam_jwt.so")
        for svc in ("sshd", "sudo"):
            pjtest.write(self.p("pam.d", svc),
                         "auth required %s config=%s\n" % (module, self.hostconf))
        pw, gr = pjtest.nss_files(self.d, (
            "alice:x:1001:1001::/home/alice:/bin/sh\n"
            "bob:x:1002:1002::/home/bob:/bin/sh\n"
            "ops-db:x:1003:1003::/home/ops-db:/bin/sh\n"))
        self.env = pjtest.nss_env(pw, gr, san=self.args.san,
                                  base=pjtest.minimal_env())
        # the browser's npm packages (make installs them with npm ci)
        if not os.path.isdir(os.path.join(ROOT, "tests", "browser",
                                          "node_modules", "puppeteer-core")):
            print("linkd: tests/browser/node_modules is missing (npm ci)")
            sys.exit(2)
        self.a = self.service("a", extra=(
            "rate_per_client = 100000\nrate_per_input = 100000\n"
            "rate_per_account = 100000\n"
            "admin_secret_file = %s\n" % self.p("admin.secret")))

    def conf_text(self, name, port, extra="", host=HOST, base=None):
        return (
            "# test service %s\n"
            "listen = 127.0.0.1:%d\n"
            "base_url = %s\n"
            "directory = %s\n"
            "host = %s\n"
            "issuer = magic-link\n"
            "key_file = %s\n"
            "smtp_url = smtp://127.0.0.1:%d\n"
            "smtp_starttls = no\n"
            "smtp_timeout = 10\n"
            "mail_from = links@example.com\n"
            "%s"
            "[kind login]\nscope = login\nshow = ssh\n"
            "[kind sudo]\nscope = sudo\nshow = sudo\ntoken_ttl = 120\n") % (
                name, port, base or "http://127.0.0.1:%d" % port,
                self.directory, host, self.secret, self.smtp_port, extra)

    def service(self, name, extra="", host=HOST, scheme="http", kinds=None):
        port = free_port()
        text = self.conf_text(name, port, extra, host,
                              "%s://127.0.0.1:%d" % (scheme, port))
        if kinds is not None:
            text = text[:text.index("[kind login]")] + kinds
        conf = pjtest.write(self.p("linkd-%s.conf" % name), text, 0o644)
        log = self.p("linkd-%s.log" % name)
        proc = self.start([self.linkd, "--config", conf, "serve"], log)
        if not wait_port(port, proc):
            print("linkd: service %s did not start: %s" % (
                name, open(log).read()[-800:]))
            sys.exit(2)
        self.logs.append(log)
        self.services.append({"name": name, "proc": proc, "log": log})
        return {"name": name, "port": port, "conf": conf, "log": log,
                "proc": proc, "base": "%s://127.0.0.1:%d/" % (scheme, port)}

    # ---- helpers -------------------------------------------------------------
    def browse(self, *argv):
        r = subprocess.run([self.args.node, os.path.join(HERE, "browse.mjs"),
                            *argv], capture_output=True, text=True, timeout=120,
                           cwd=HERE)
        if r.returncode != 0:
            return None, r.stderr[-1500:]
        try:
            return json.loads(r.stdout), ""
        except ValueError:
            return None, r.stdout[-500:] + r.stderr[-500:]

    def pam(self, service, user, token):
        r = subprocess.run([os.path.join(self.build, "pam_driver"),
                            self.p("pam.d"), service, user, token],
                           capture_output=True, text=True, env=self.env,
                           timeout=60)
        m = re.search(r"result=(\S+)", r.stdout)
        return m.group(1) if m else "no result: " + r.stdout + r.stderr

    def mail_for(self, addr, timeout=20):
        for msg in self.mailbox.wait_new(1, timeout):
            if addr in msg.get_all("X-Envelope-To", []):
                return msg
            return None
        return None

    def path_of(self, link):
        return urllib.parse.urlsplit(link).path

    def log_lines(self, svc):
        with open(svc["log"], errors="replace") as f:
            return f.read().splitlines()

    # ---- cases ---------------------------------------------------------------
    def e2e(self, kind, who, account, addr, pam=True):
        n = "e2e-%s" % kind
        res, err = self.browse("request", self.a["base"], who, kind)
        if not self.ok(n + ": the browser asks for a link (form, then the "
                       "answer page)", res is not None and res["formStatus"] == 200
                       and res["status"] == 200 and
                       res["title"] == "Check your mail", err or res):
            return
        self.ok(n + ": no script ran, no page error, no CSP violation",
                not res["seen"]["dialogs"] and not res["seen"]["errors"] and
                not any("Content Security Policy" in c
                        for c in res["seen"]["console"]), res["seen"])
        msg = self.mail_for(addr)
        if not self.ok(n + ": one mail to the address on file (%s), from "
                       "mail_from, with the link" % addr,
                       msg is not None and msg["To"] == addr and
                       msg["From"] == "links@example.com" and
                       link_of(msg) is not None, msg and str(msg)[:400]):
            return
        link = link_of(msg)
        self.ids.append(link.rsplit("/", 1)[1])
        text = msg.get_body(preferencelist=("plain",)).get_content()
        self.ok(n + ": the mail says what the link is for",
                HOST in text and account in text and
                ("sudo" in text) == (kind == "sudo"), text[:300])
        # a mail scanner fetches the link (GET, no cookies) twice
        scan = Client(self.a["port"])
        s1 = scan.get(self.path_of(link))
        s2 = Client(self.a["port"]).get(self.path_of(link))
        self.ok(n + ": a scanner's two GETs see the page and use up nothing",
                s1[0] == 200 and s2[0] == 200 and 'id="use"' in s2[2] and
                ("as <strong id=\"account\">%s</strong>" % account) in s1[2],
                s1[:1])
        res, err = self.browse("use", link, "2")
        if not self.ok(n + ": the browser opens the link in two tabs: both "
                       "show the button", res is not None and
                       all(o["status"] == 200 and o["button"] for o in
                           res["opens"]), err or res):
            return
        o = res["opens"][0]["text"]
        self.ok(n + ": the link page says %s %s as %s and the expiry" % (
                "Use sudo on" if kind == "sudo" else "Sign in to", HOST,
                account),
                ("%s %s as %s" % ("Use sudo on" if kind == "sudo" else
                                  "Sign in to", HOST, account)) in o and
                "expires at" in o, o)
        p1, p2 = res["presses"]
        tok = p1.get("token", "")
        if tok:
            self.tokens.append(tok)
        if not self.ok(n + ": the first press shows the token once, with the "
                       "copy button (shown by the external script)",
                       p1["status"] == 200 and tok.startswith("eyJ") and
                       p1.get("copyVisible") is True, p1):
            return
        cmds = p1.get("commands", [])
        if kind == "sudo":
            want = any(c.startswith("sudo ") for c in cmds) and \
                any("SUDO_ASKPASS=" in c and "PAMJWT_TOKEN_FILE=" in c
                    for c in cmds)
        else:
            want = ("ssh %s@%s" % (account, HOST)) in cmds and \
                any("SSH_ASKPASS=pamjwt-askpass" in c and
                    c.endswith("ssh %s@%s" % (account, HOST)) for c in cmds)
        self.ok(n + ": the page shows the exact commands", want, cmds)
        self.ok(n + ": the second tab's press (a second POST) says the link "
                "was used", p2["status"] == 410 and
                "used" in p2.get("text", "") and "token" not in p2, p2)
        self.ok(n + ": no script ran, no page error, no CSP violation in the "
                "link pages", not res["seen"]["dialogs"] and
                not res["seen"]["errors"] and
                not any("Content Security Policy" in c
                        for c in res["seen"]["console"]), res["seen"])
        c = claims(tok)
        ttl = 120 if kind == "sudo" else 300
        self.ok(n + ": the token: sub %s, aud %s, iss magic-link, scope %s, "
                "a fresh jti, %d s" % (account, HOST, kind, ttl),
                c.get("sub") == account and c.get("aud") == HOST and
                c.get("iss") == "magic-link" and c.get("scope") == kind and
                isinstance(c.get("jti"), str) and len(c["jti"]) >= 22 and
                c["exp"] - c["iat"] == ttl and abs(c["iat"] - time.time()) < 60,
                c)
        if not pam:
            return tok
        other = "sshd" if kind == "sudo" else "sudo"
        mine = "sudo" if kind == "sudo" else "sshd"
        r0 = self.pam(other, account, tok)
        self.ok(n + ": the host's %s refuses it (scope)" % other,
                r0 == "PAM_AUTH_ERR", r0)
        r1, r2 = self.pam(mine, account, tok), self.pam(mine, account, tok)
        self.ok(n + ": the host's %s (real libpam, the example config) accepts "
                "it once and refuses it the second time" % mine,
                (r1, r2) == ("PAM_SUCCESS", "PAM_AUTH_ERR"), (r1, r2))
        return tok

    def t_e2e_login(self):
        self.e2e("login", "alice", "alice", "alice@example.com")

    def t_e2e_sudo(self):
        self.e2e("sudo", "Robert.Smith@example.org", "bob",
                 "robert.smith@example.org")

    def t_e2e_ns(self):
        """Real sshd, ssh and sudo in a private mount namespace."""
        if os.geteuid() != 0:
            print("SKIP e2e-ns: needs root (a private mount namespace)")
            return
        if self.args.san:
            print("SKIP e2e-ns: Debian's sshd and sudo cannot load a module "
                  "built with ASan (the plain build runs this case)")
            return
        if subprocess.run(["mountpoint", "-q", "/"]).returncode != 0:
            print("SKIP e2e-ns: / is not a mount point (a chroot?): a private "
                  "mount namespace cannot be made here")
            return
        t1 = self.e2e("login", "pjlinkd1", "pjlinkd1",
                      "pjlinkd1@ns.example.net", pam=False)
        t2 = self.e2e("sudo", "pjlinkd2@ns.example.net", "pjlinkd2",
                      "pjlinkd2@ns.example.net", pam=False)
        if not (t1 and t2):
            self.ok("e2e-ns: two tokens from the browser", False)
            return
        nsdir = self.p("ns")
        os.mkdir(nsdir, 0o700)
        f1 = pjtest.write(os.path.join(nsdir, "login.token"), t1 + "\n", 0o600)
        f2 = pjtest.write(os.path.join(nsdir, "sudo.token"), t2 + "\n", 0o600)
        spec = pjtest.write(os.path.join(nsdir, "spec.json"), json.dumps({
            "tmp": nsdir, "module": os.path.join(self.build, "pam_jwt.so"),
            "pamjwt": os.path.join(self.build, "pamjwt"),
            "conf": self.hostconf, "port": free_port(),
            "ssh": ["pjlinkd1", f1], "sudo": ["pjlinkd2", f2]}), 0o600)
        watched = ("/etc/passwd", "/etc/shadow", "/etc/pam.d/sshd",
                   "/etc/pam.d/sudo")

        def digest():
            out = {}
            for w in watched:
                try:
                    with open(w, "rb") as fh:
                        out[w] = hash(fh.read())
                except OSError:
                    out[w] = None
            return out
        before = digest()
        mounts = open("/proc/self/mountinfo").read().count("pjlinkd-")
        r = subprocess.run(["/usr/bin/python3", os.path.join(HERE, "ns_login.py"),
                            spec], capture_output=True, text=True, timeout=400)
        self.ok("e2e-ns: the host kept nothing (passwd, shadow, pam.d files as "
                "before, no mount left)", digest() == before and
                open("/proc/self/mountinfo").read().count("pjlinkd-") == mounts
                and subprocess.run(["getent", "passwd", "pjlinkd1"],
                                   capture_output=True).returncode != 0)
        try:
            res = json.loads(r.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            res = {"error": r.stdout[-500:] + r.stderr[-500:]}
        if "skip" in res:
            print("SKIP e2e-ns: " + res["skip"])
            return
        if not self.ok("e2e-ns: the namespace with sshd and sudo was set up",
                       "error" not in res, res.get("error")):
            return
        self.ok("e2e-ns: real sshd: `ssh pjlinkd1@127.0.0.1` with the page's "
                "askpass command logs in once (id -un = pjlinkd1) and is "
                "refused the second time", res["ssh"][0] == 0 and
                res["ssh_out"][0] == "pjlinkd1" and res["ssh"][1] != 0, res)
        self.ok("e2e-ns: real sudo: the sudo link's token works once for "
                "pjlinkd2 and is refused the second time",
                res["sudo"][0] == 0 and res["sudo"][1] != 0, res)

    def t_admin(self):
        def send(conf, *a):
            return subprocess.run([self.linkd, "--config", conf, "send", *a],
                                  capture_output=True, text=True, timeout=60)
        r = send(self.a["conf"], "--kind", "sudo", "ops-db")
        msg = self.mail_for("ops-db@ops.example.net")
        self.ok("admin: send --kind sudo ops-db: exit 0, a sudo link mailed to "
                "ops-db@ops.example.net (the directory's glob line)",
                r.returncode == 0 and "queued" in r.stdout and msg is not None
                and link_of(msg) is not None, (r.returncode, r.stdout,
                                               r.stderr))
        if msg is not None and link_of(msg):
            self.ids.append(link_of(msg).rsplit("/", 1)[1])
            st, _, page, _ = Client(self.a["port"]).get(
                self.path_of(link_of(msg)))
            self.ok("admin: the link is a sudo link for ops-db",
                    st == 200 and "Use sudo on" in page and
                    '"account">ops-db<' in page, st)
        text = open(self.a["conf"]).read().replace(
            self.p("admin.secret"), self.p("other-admin.secret"))
        wrong = pjtest.write(self.p("linkd-a-wrong.conf"), text, 0o644)
        r = send(wrong, "alice")
        r2 = send(self.a["conf"], "nosuch")
        r3 = send(self.a["conf"], "--kind", "nosuch", "alice")
        r4 = send(self.a["conf"], "<b>x")
        got = self.mailbox.settle()
        self.ok("admin: a wrong secret (exit 1, HTTP 401), an unknown account "
                "(exit 1), an unknown kind or a bad name (exit 2): no mail",
                r.returncode == 1 and "401" in r.stderr and
                r2.returncode == 1 and r3.returncode == 2 and
                r4.returncode == 2 and not got,
                [(x.returncode, x.stderr[-120:]) for x in (r, r2, r3, r4)] +
                [len(got)])

    def t_unknown(self):
        c = Client(self.a["port"])
        known, unknown, tk, tu = [], [], [], []
        rounds = 15
        for i in range(rounds):
            for who, acc, ts in (("alice", known, tk), ("nosuch", unknown, tu)):
                st, _, page, _ = c.get("/")
                f = {"csrf": c.csrf(page), "who": who, "kind": "login"}
                t0 = time.perf_counter()
                res = c.post("/request", f)
                ts.append(time.perf_counter() - t0)
                acc.append(res)
        ks, kh, kb, _ = known[-1]
        us, uh, ub, _ = unknown[-1]
        drop = {"date", "content-length"}
        self.ok("unknown: the same status, headers and page (but for the "
                "name typed) for a known and an unknown account",
                ks == us == 200 and
                {k: v for k, v in kh.items() if k not in drop} ==
                {k: v for k, v in uh.items() if k not in drop} and
                kb.replace("alice", "X") == ub.replace("nosuch", "X"),
                (ks, us))
        print("INFO unknown: answer time over %d requests each: known median "
              "%.2f ms (min %.2f, max %.2f), unknown median %.2f ms (min "
              "%.2f, max %.2f) (reported, not asserted)" % (
                  rounds, statistics.median(tk) * 1e3, min(tk) * 1e3,
                  max(tk) * 1e3, statistics.median(tu) * 1e3, min(tu) * 1e3,
                  max(tu) * 1e3))
        for who in ("nobody@example.com", "alice@evil.example",
                    "attacker@ops.example.net", "ops-x@evil.example",
                    "ALICE"):
            st, _, page, _ = c.ask(who)
        got = self.mailbox.settle()
        to = [m.get_all("X-Envelope-To", []) for m in got]
        self.ok("unknown: %d mails, all to alice@example.com: none for the "
                "unknown account, nor for addresses not on file" % rounds,
                len(got) == rounds and
                all(t == ["alice@example.com"] for t in to), (len(got), to[:3]))
        for m in got:
            if link_of(m):
                self.ids.append(link_of(m).rsplit("/", 1)[1])
        st, _, page, _ = c.ask("alice\r\nBcc: attacker@evil.example")
        got = self.mailbox.settle()
        self.ok("unknown: a name with CR/LF is refused (400), nothing mailed",
                st == 400 and not got, (st, len(got)))

    def t_http_flow(self):
        c = Client(self.a["port"])
        pages = []
        r = c.get("/")
        pages.append(("form", r))
        self.ok("http-flow: the form sets an HttpOnly SameSite=Strict CSRF "
                "cookie", any("linkd_csrf=" in v and "HttpOnly" in v and
                              "SameSite=Strict" in v for v in r[3]), r[3])
        r = c.post("/request", {"csrf": c.csrf(r[2]), "who": "alice",
                                "kind": "login"})
        pages.append(("answer", r))
        msg = self.mail_for("alice@example.com")
        link = link_of(msg) if msg else None
        if not self.ok("http-flow: mail with a link", link is not None):
            return
        lid = link.rsplit("/", 1)[1]
        self.ids.append(lid)
        self.ok("http-flow: the link id is 43 base64url characters (256 bits)",
                re.fullmatch(r"[A-Za-z0-9_-]{43}", lid) is not None, lid)
        r = c.get(self.path_of(link))
        pages.append(("link", r))
        tokpost = c.post(self.path_of(link), {"csrf": c.csrf(r[2])})
        pages.append(("token", tokpost))
        m = re.search(r'<textarea id="token"[^>]*>([^<]*)</textarea>',
                      tokpost[2])
        if m:
            self.tokens.append(m.group(1))
        again = c.post(self.path_of(link), {"csrf": c.csrf(r[2])})
        pages.append(("used", again))
        self.ok("http-flow: POST gives the token, a second POST says used "
                "(410)", tokpost[0] == 200 and m is not None and
                again[0] == 410 and "used" in again[2] and "eyJ" not in again[2],
                (tokpost[0], again[0]))
        pages.append(("404", c.get("/nothing")))
        pages.append(("js", c.get("/static/linkd.js")))
        pages.append(("css", c.get("/static/linkd.css")))
        for name, (st, h, body, _) in pages:
            good = (h.get("content-security-policy") == CSP and
                    h.get("x-frame-options") == "DENY" and
                    h.get("x-content-type-options") == "nosniff" and
                    h.get("referrer-policy") == "no-referrer" and
                    h.get("cache-control") == "no-store" and
                    "strict-transport-security" not in h)
            self.ok("http-flow: %s (%d): CSP, X-Frame-Options DENY, nosniff, "
                    "no-referrer, no-store, no HSTS without TLS" % (name, st),
                    good, h)
            if h.get("content-type", "").startswith("text/html"):
                inline = re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", body) + \
                    re.findall(r"<[^>]+\son[a-z]+\s*=", body) + \
                    re.findall(r"<[^>]+\sstyle\s*=", body) + \
                    re.findall(r"<style", body)
                self.ok("http-flow: %s: no inline script, handler or style"
                        % name, not inline, inline)

    def t_expired(self):
        b = self.service("expired", extra="link_ttl = 2\n")
        c = Client(b["port"])
        c.ask("alice")
        msg = self.mail_for("alice@example.com")
        link = link_of(msg) if msg else None
        if not self.ok("expired: a link with link_ttl = 2", link is not None):
            return
        self.ids.append(link.rsplit("/", 1)[1])
        st, _, page, _ = c.get(self.path_of(link))
        time.sleep(3)
        st2, _, page2, _ = c.get(self.path_of(link))
        st3, _, page3, _ = c.post(self.path_of(link), {"csrf": c.csrf(page)})
        self.ok("expired: shown while fresh; after expiry GET and POST say "
                "expired (410), no token", st == 200 and st2 == 410 and
                "expired" in page2 and st3 == 410 and "expired" in page3 and
                "eyJ" not in page3, (st, st2, st3))

    def t_forged(self):
        c = Client(self.a["port"])
        c.ask("alice")
        msg = self.mail_for("alice@example.com")
        link = link_of(msg) if msg else None
        if not self.ok("forged: a real link to compare with", link is not None):
            return
        lid = link.rsplit("/", 1)[1]
        self.ids.append(lid)
        st, _, page, _ = c.get("/l/" + lid)
        tok = c.csrf(page)
        flip = ("B" if lid[5] != "B" else "C")
        variants = {
            "random": secrets.token_urlsafe(32),
            "truncated": lid[:-1],
            "half": lid[:21],
            "extended": lid + "A",
            "one character changed": lid[:5] + flip + lid[6:],
            "padding": lid + "=",
            "path": lid + "/..",
            "empty": "",
            "encoded slash": lid[:20] + "%2F" + lid[23:],
        }
        for name, v in variants.items():
            st, _, body, _ = c.get("/l/" + v)
            ps, _, pbody, _ = c.post("/l/" + v, {"csrf": tok})
            self.ok("forged: %s id: GET and POST say not valid (404)" % name,
                    st == 404 and ps == 404 and "not valid" in body and
                    "eyJ" not in pbody, (st, ps))
        st, _, page, _ = c.get("/l/" + lid)
        st2, _, page2, _ = c.post("/l/" + lid, {"csrf": c.csrf(page)})
        m = re.search(r'<textarea id="token"[^>]*>([^<]*)</textarea>', page2)
        if m:
            self.tokens.append(m.group(1))
        self.ok("forged: the real link still works after all that",
                st == 200 and st2 == 200 and m is not None, (st, st2))

    def t_csrf(self):
        c = Client(self.a["port"])
        st, _, page, _ = c.get("/")
        good = c.csrf(page)
        other = Client(self.a["port"])
        other_tok = other.csrf(other.get("/")[2])
        cases = {
            "no token": {"who": "alice"},
            "empty token": {"csrf": "", "who": "alice"},
            "wrong token": {"csrf": secrets.token_urlsafe(32), "who": "alice"},
            "another cookie's token": {"csrf": other_tok, "who": "alice"},
        }
        for name, f in cases.items():
            r = c.post("/request", f)
            self.ok("csrf: /request with %s: 403" % name, r[0] == 403, r[0])
        nocookie = Client(self.a["port"])
        r = nocookie.post("/request", {"csrf": good, "who": "alice"})
        self.ok("csrf: /request with the token but without the cookie: 403",
                r[0] == 403, r[0])
        got = self.mailbox.settle()
        self.ok("csrf: nothing was mailed", not got, len(got))
        c.post("/request", {"csrf": good, "who": "alice"})
        msg = self.mail_for("alice@example.com")
        link = link_of(msg) if msg else None
        if not self.ok("csrf: the real token works", link is not None):
            return
        self.ids.append(link.rsplit("/", 1)[1])
        path = self.path_of(link)
        lpage = c.get(path)[2]
        ltok = c.csrf(lpage)
        for name, f in (("no token", {}), ("the request form's token",
                                           {"csrf": good}),
                        ("another cookie's token", {"csrf": other_tok}),
                        ("a wrong token", {"csrf": ltok[:-2] + "AA"})):
            r = c.post(path, f)
            self.ok("csrf: the link's button with %s: 403, no token" % name,
                    r[0] == 403 and "eyJ" not in r[2], r[0])
        r = Client(self.a["port"]).post(path, {"csrf": ltok})
        self.ok("csrf: the link's token without the cookie: 403", r[0] == 403,
                r[0])
        st, _, page, _ = c.get(path)
        r = c.post(path, {"csrf": c.csrf(page)})
        m = re.search(r'<textarea id="token"[^>]*>([^<]*)</textarea>', r[2])
        if m:
            self.tokens.append(m.group(1))
        self.ok("csrf: the link was not used up by those: it still gives its "
                "token", st == 200 and r[0] == 200 and m is not None,
                (st, r[0]))

    def t_escaping(self):
        c = Client(self.a["port"])
        for p in PAYLOADS:
            st, h, body, _ = c.ask(p)
            esc = p.replace("&", "&amp;").replace("<", "&lt;").replace(
                ">", "&gt;").replace('"', "&quot;").replace("'", "&#39;")
            self.ok("escaping: %r typed in the form comes back escaped only"
                    % p, st == 200 and p not in body and esc in body,
                    (st, body[:300]))
        self.mailbox.settle()
        res, err = self.browse("request", self.a["base"], PAYLOADS[1], "login")
        self.ok("escaping: in the browser, the hostile name runs no script",
                res is not None and not res["seen"]["dialogs"] and
                not res["seen"]["errors"] and PAYLOADS[1] in res["text"],
                err or (res and res["seen"]))
        hostile = self.service("hostile", host=HOSTILE_HOST)
        hc = Client(hostile["port"])
        st, _, form, _ = hc.get("/")
        hc.post("/request", {"csrf": hc.csrf(form), "who": "alice"})
        msg = self.mail_for("alice@example.com")
        link = link_of(msg) if msg else None
        lpage = ""
        if link:
            self.ids.append(link.rsplit("/", 1)[1])
            lpage = hc.get(self.path_of(link))[2]
        self.ok("escaping: a host name with HTML in the config is escaped on "
                "the form and the link page", HOSTILE_HOST not in form and
                "h&quot;&gt;&lt;script&gt;" in form and link is not None and
                HOSTILE_HOST not in lpage and "h&quot;&gt;&lt;script&gt;" in
                lpage, form[:300])
        if link:
            res, err = self.browse("use", link, "1")
            self.ok("escaping: in the browser, the hostile host name runs no "
                    "script on the link and token pages",
                    res is not None and not res["seen"]["dialogs"] and
                    not res["seen"]["errors"] and
                    res["presses"][0].get("token", "").startswith("eyJ"),
                    err or (res and res["seen"]))
            if res and res["presses"][0].get("token"):
                self.tokens.append(res["presses"][0]["token"])
        # the directory: HTML in it is refused, at start and at run time
        bad = pjtest.write(self.p("bad-directory"),
                           "alice alice@example.com\n<script> x@example.com\n"
                           "bob <b>@example.com\n", 0o644)
        text = open(self.a["conf"]).read().replace(self.directory, bad)
        badconf = pjtest.write(self.p("linkd-bad.conf"), text, 0o644)
        r = subprocess.run([self.linkd, "--config", badconf, "check"],
                           capture_output=True, text=True)
        self.ok("escaping: check refuses a directory with HTML, naming the "
                "line (exit 1)", r.returncode == 1 and
                (bad + ":2:") in r.stderr, r.stderr)
        with open(self.directory) as f:
            good = f.read()
        pjtest.write(self.directory, good + "<img> a@example.com\n", 0o644)
        try:
            st, _, page, _ = c.ask("alice")
            msg = self.mail_for("alice@example.com")
            if msg and link_of(msg):
                self.ids.append(link_of(msg).rsplit("/", 1)[1])
            badline = ":%d:" % (good.count("\n") + 1)
            logged = any("directory:" in ln and badline in ln
                         for ln in self.log_lines(self.a))
            self.ok("escaping: a broken new directory at run time is refused "
                    "(logged) and the previous one stays in use",
                    st == 200 and msg is not None and logged, (st, logged))
        finally:
            pjtest.write(self.directory, good, 0o644)
        logs = "\n".join(self.log_lines(self.a))
        self.ok("escaping: the audit lines hold the typed names escaped "
                "(no '<', no quote, no space inside a value)",
                "<script>" not in logs and "onerror=alert" not in logs and
                "who=\\x3cscript\\x3ealert" in logs, "")

    def t_flood(self):
        b = self.service("flood", extra=(
            "rate_per_client = 5\nrate_per_input = 3\nrate_per_account = 2\n"
            "connection_timeout = 2\nmax_connections = 32\n"
            "max_per_client = 8\n"))
        c = Client(b["port"])
        st = [c.ask("bob")[0] for _ in range(4)]
        self.ok("flood: the same name four times: 200 200 200 then 429 "
                "(rate_per_input = 3)", st == [200, 200, 200, 429], st)
        mails = self.mailbox.settle()
        self.ok("flood: two mails for bob (rate_per_account = 2; the third "
                "answer is the same page, without a mail)",
                len(mails) == 2, len(mails))
        for m in mails:
            if link_of(m):
                self.ids.append(link_of(m).rsplit("/", 1)[1])
        st = [c.ask("flood%d" % i)[0] for i in range(16)]
        self.ok("flood: then the client limit: one more 200, then 429 "
                "(rate_per_client = 5)", st == [200] + [429] * 15, st)
        other = Client(b["port"], source="127.0.0.2")
        r = other.ask("alice")
        self.ok("flood: another client (127.0.0.2) is not limited", r[0] == 200,
                r[0])
        msg = self.mail_for("alice@example.com")
        if msg and link_of(msg):
            self.ids.append(link_of(msg).rsplit("/", 1)[1])
        # a concurrent flood of 400 requests from 8 threads
        counts = {}
        lock = threading.Lock()

        def worker():
            cl = Client(b["port"])
            for _ in range(50):
                try:
                    s = cl.get("/")[0]
                except OSError as e:
                    s = type(e).__name__
                with lock:
                    counts[s] = counts.get(s, 0) + 1
        ths = [threading.Thread(target=worker) for _ in range(8)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        r = Client(b["port"], source="127.0.0.2").get("/")
        self.ok("flood: 400 concurrent requests are answered, then the form "
                "still is", counts.get(200, 0) > 0 and r[0] == 200,
                (counts, r[0]))
        # idle connections up to the per-client limit and beyond
        held = []
        for _ in range(12):
            try:
                s = socket.create_connection(("127.0.0.1", b["port"]), timeout=2)
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")   # never finished
                held.append(s)
            except OSError:
                pass
        r = Client(b["port"], source="127.0.0.2").get("/")
        self.ok("flood: 12 idle connections from one client do not lock out "
                "another", r[0] == 200, r[0])
        time.sleep(3.5)
        alive = 0
        for s in held:
            try:
                s.settimeout(0.5)
                if s.recv(1) == b"":
                    continue
                alive += 1
            except socket.timeout:
                alive += 1
            except OSError:
                pass
            finally:
                s.close()
        r = Client(b["port"]).get("/")
        self.ok("flood: idle connections are closed after connection_timeout, "
                "and the first client is answered again",
                alive == 0 and r[0] == 200, (alive, r[0]))
        self.ok("flood: the service is still running", b["proc"].poll() is None)

    def t_ratefull(self):
        b = self.service("ratefull", extra=(
            "rate_slots = 16\nrate_per_account = 2\nrate_per_client = 1000\n"
            "rate_per_input = 1000\n"))
        c = Client(b["port"])
        st = [c.ask("alice")[0] for _ in range(3)]
        mails = self.mailbox.settle()
        for m in mails:
            if link_of(m):
                self.ids.append(link_of(m).rsplit("/", 1)[1])
        self.ok("ratefull: alice three times: 200 each, two mails "
                "(rate_per_account = 2)", st == [200] * 3 and len(mails) == 2,
                (st, len(mails)))
        time.sleep(1.1)     # the windows above begin earlier than the next
        st = [c.ask("nobody%d" % i)[0] for i in range(16)]
        self.ok("ratefull: 16 other names fill the table of 16 counters: "
                "200 until it is full, then 429 (no counter is evicted)",
                st[0] == 200 and st[-1] == 429 and
                set(st) == {200, 429}, st)
        r = c.ask("alice")
        got = self.mailbox.settle()
        self.ok("ratefull: alice again: no mail (her counter was not reset "
                "by the flood)", r[0] in (200, 429) and not got,
                (r[0], len(got)))
        other = Client(b["port"], source="127.0.0.2")
        r = other.ask("bob")
        got = self.mailbox.settle()
        self.ok("ratefull: a new client while the table is full: 429, no mail",
                r[0] == 429 and not got, (r[0], len(got)))
        m = self.service("mailcap", extra=(
            "rate_mails = 3\nrate_per_account = 100\nrate_per_client = 100\n"
            "rate_per_input = 100\n"))
        c = Client(m["port"])
        st = [c.ask(w)[0] for w in ("alice", "bob", "alice", "bob", "nobody")]
        pages = [c.ask(w)[2] for w in ("bob", "nobody")]
        mails = self.mailbox.settle()
        for msg in mails:
            if link_of(msg):
                self.ids.append(link_of(msg).rsplit("/", 1)[1])
        self.ok("ratefull: rate_mails = 3: five requests and two more, all "
                "200, three mails", st == [200] * 5 and len(mails) == 3,
                (st, len(mails)))
        strip = [re.sub(r"<strong>[^<]*</strong>|name=\"csrf\"[^>]*", "", p)
                 for p in pages]
        log = "\n".join(self.log_lines(m))
        self.ok("ratefull: over the service cap, a known account gets the "
                "page an unknown one gets (audit service-rate-limited)",
                strip[0] == strip[1] and
                "outcome=service-rate-limited" in log, strip)

    def callgrind(self, argv, collect):
        """Run argv under callgrind, counting only inside the functions in
        collect (instructions, deterministic): the total, or None."""
        out = self.p("callgrind.out")
        if os.path.exists(out):
            os.unlink(out)
        cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + \
            ["--toggle-collect=" + f for f in collect] + argv
        subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if not os.path.exists(out):
            return None
        with open(out) as f:
            m = re.search(r"(?m)^(?:summary|totals): (\d+)", f.read())
        return int(m.group(1)) if m else None

    def t_samework(self):
        if self.args.san or not shutil.which("valgrind"):
            print("SKIP samework: needs valgrind and a build without ASan")
            return
        # a large directory; the known address is on its last line
        lines = ["user%d  user%d@big.example.com" % (i, i) for i in range(3000)]
        big = pjtest.write(self.p("bigdir"), "\n".join(lines) + "\n", 0o644)
        conf = pjtest.write(self.p("samework.conf"), self.conf_text(
            "samework", free_port()).replace(self.directory, big), 0o644)
        ir = {}
        for who in ("user2999@big.example.com", "nouser@big.example.com",
                    "user2999@elsewhere.example.com"):
            ir[who] = self.callgrind([self.linkd, "--config", conf, "lookup",
                                      who], ["lf_dir_lookup"])
        k = ir["user2999@big.example.com"]
        self.ok("samework: lookup of a known address and of two unknown ones "
                "in 3000 lines: the same directory passes (instructions "
                "within 10%)", k and all(
                    v and abs(v - k) < k * 0.10 for v in ir.values()), ir)

        # issue(): a known and an unknown account both reach the store and
        # the mail queue (an unknown one's calls keep nothing)
        def serve(who):
            port = free_port()
            c = pjtest.write(self.p("samework.conf"),
                             self.conf_text("samework", port), 0o644)

            cmd = ["valgrind", "--tool=callgrind",
                   "--callgrind-out-file=" + self.p("callgrind.serve"),
                   "--toggle-collect=lf_store_add",
                   "--toggle-collect=lf_mailer_push",
                   self.linkd, "--config", c, "serve"]
            log = open(self.p("samework.log"), "a")
            proc = subprocess.Popen(cmd, stdout=log, stderr=log)
            try:
                if not wait_port(port, proc, timeout=120):
                    return None
                st = Client(port).ask(who)[0]
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=120)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                log.close()
            with open(self.p("callgrind.serve")) as f:
                m = re.search(r"(?m)^(?:summary|totals): (\d+)", f.read())
            return (st, int(m.group(1)) if m else None)
        known = serve("alice")
        unknown = serve("nobody-here")
        got = self.mailbox.settle()
        for msg in got:
            if link_of(msg):
                self.ids.append(link_of(msg).rsplit("/", 1)[1])
        self.ok("samework: a known and an unknown name both pass through "
                "lf_store_add and lf_mailer_push (instructions there > 0; one "
                "mail, for the known one)",
                known and unknown and known[0] == 200 and unknown[0] == 200
                and known[1] and unknown[1] and len(got) == 1,
                (known, unknown, len(got)))

    def mem_holds(self, pid, needles):
        """Which of needles (bytes) are anywhere in the process's writable
        memory (/proc/PID/mem; the test's own child), read in chunks that
        overlap by the longest needle.  With ASan (--san) the shadow and
        the allocator's reserve are writable mappings of terabytes that hold
        no bytes of the program's (its heap is in mappings of its own, read
        here): mappings over 1 GiB are skipped then, and only then."""
        found = set()
        chunk, over = 1 << 22, max(len(n) for n in needles) - 1
        with open("/proc/%d/maps" % pid) as maps, \
                open("/proc/%d/mem" % pid, "rb", 0) as mem:
            for ln in maps:
                f = ln.split()
                lo, hi = (int(x, 16) for x in f[0].split("-"))
                if "w" not in f[1] or (len(f) > 5 and f[5].startswith("[v")):
                    continue
                if self.args.san and hi - lo > 1 << 30:
                    continue
                at, tail = lo, b""
                while at < hi:
                    try:
                        mem.seek(at)
                        data = tail + mem.read(min(chunk, hi - at))
                    except (OSError, ValueError, OverflowError):
                        break
                    for n in needles:
                        if n in data:
                            found.add(n)
                    tail = data[-over:] if over > 0 else b""
                    at += chunk
        return found

    def t_wipe(self):
        w = self.service("wipe")
        c = Client(w["port"])
        c.ask("alice")
        msg = self.mail_for("alice@example.com")
        link = link_of(msg) if msg else None
        if not self.ok("wipe: mail with a link", link is not None):
            return
        self.ids.append(link.rsplit("/", 1)[1])
        r = c.get(self.path_of(link))
        tp = c.post(self.path_of(link), {"csrf": c.csrf(r[2])})
        m = re.search(r'<textarea id="token"[^>]*>([^<]*)</textarea>', tp[2])
        if not self.ok("wipe: the token page", tp[0] == 200 and m, tp[0]):
            return
        tok = m.group(1)
        self.tokens.append(tok)
        time.sleep(0.5)     # the answer is sent and its connection closed
        parts = tok.split(".")
        # the signature part: in no other string the service keeps
        # the control: the account's address, which the service keeps in
        # its directory, is found by the same scan (a scan that finds
        # nothing proves nothing)
        control = b"alice@example.com"
        held = self.mem_holds(w["proc"].pid, [parts[2].encode(), control])
        self.ok("wipe: the memory scan finds what the service keeps (the "
                "address on file)", control in held, held)
        held.discard(control)
        self.ok("wipe: once the token page is sent, the token's signature is "
                "nowhere in the service's memory (the page copy is wiped)",
                not held, held)

    def t_kinds(self):
        k = self.service("kinds", kinds=(
            "[kind sudo]\nscope = sudo\nshow = sudo\nweb = no\n"
            "[kind login]\nscope = login\n"))
        c = Client(k["port"])
        st, _, page, _ = c.get("/")
        self.ok("kinds: with one kind on the web (not the first), the form "
                "names it and offers no choice", st == 200 and
                '<select' not in page and
                '<input type="hidden" name="kind" value="login">' in page, page)
        r = c.post("/request", {"csrf": c.csrf(page), "who": "alice",
                                "kind": "login"})
        msg = self.mail_for("alice@example.com")
        link = link_of(msg) if msg else None
        lpage = c.get(self.path_of(link))[2] if link else ""
        if link:
            self.ids.append(link.rsplit("/", 1)[1])
        self.ok("kinds: the form's link is a login link", r[0] == 200 and
                "Sign in to" in lpage, (r[0], lpage[:200]))
        r = c.post("/request", {"csrf": c.csrf(page), "who": "alice",
                                "kind": "sudo"})
        r2 = c.post("/request", {"csrf": c.csrf(page), "who": "alice",
                                 "kind": "nosuch"})
        got = self.mailbox.settle()
        r3 = c.post("/request", {"csrf": c.csrf(page), "who": "alice"})
        msg = self.mail_for("alice@example.com")
        link = link_of(msg) if msg else None
        lpage = c.get(self.path_of(link))[2] if link else ""
        if link:
            self.ids.append(link.rsplit("/", 1)[1])
        self.ok("kinds: a form without a kind means the first web kind "
                "(login), not the first kind (sudo)", r3[0] == 200 and
                "Sign in to" in lpage, (r3[0], lpage[:200]))
        self.ok("kinds: a kind with web = no, or no such kind, from the form: "
                "400, no mail", r[0] == 400 and r2[0] == 400 and not got,
                (r[0], r2[0], len(got)))

    def t_limits(self):
        c = Client(self.a["port"])
        st, _, page, _ = c.get("/")
        tok = c.csrf(page)
        big = urllib.parse.urlencode({"csrf": tok, "who": "a" * 5000})
        r = c.req("POST", "/request", big,
                  {"Content-Type": "application/x-www-form-urlencoded"})
        self.ok("limits: a 5 KB form body: 413", r[0] == 413, r[0])
        s = socket.create_connection(("127.0.0.1", self.a["port"]), timeout=5)
        s.sendall(b"POST /request HTTP/1.1\r\nHost: x\r\nContent-Type: "
                  b"application/x-www-form-urlencoded\r\nContent-Length: "
                  b"100000000\r\n\r\n")
        ans = s.recv(200)
        s.close()
        self.ok("limits: Content-Length 100 MB: 413 before any body is read",
                ans.startswith(b"HTTP/1.1 413"), ans[:40])
        try:
            r = c.req("GET", "/", headers={"X-Big": "a" * 40000})
            hs = r[0]
        except (OSError, http.client.HTTPException) as e:
            hs = type(e).__name__
        self.ok("limits: a 40 KB header is refused (431 or closed)",
                hs in (431, 413, 400) or isinstance(hs, str), hs)
        r = c.req("PUT", "/request", "x")
        self.ok("limits: PUT: 405", r[0] == 405, r[0])
        r = c.req("DELETE", "/l/" + "A" * 43)
        self.ok("limits: DELETE on a link: 405", r[0] == 405, r[0])
        r = c.post("/request", {"csrf": tok, "who": "alice"},
                   {"Content-Type": "text/plain"})
        self.ok("limits: a form of another type: 400", r[0] == 400, r[0])
        r = c.req("POST", "/request", "csrf=%s&who=a&who=b" % tok,
                  {"Content-Type": "application/x-www-form-urlencoded"})
        self.ok("limits: a field given twice: 400", r[0] == 400, r[0])
        r = c.req("POST", "/request", "csrf=%s&who=a%%00b" % tok,
                  {"Content-Type": "application/x-www-form-urlencoded"})
        self.ok("limits: a NUL in a field: 400", r[0] == 400, r[0])
        r = c.get("/admin/send")
        self.ok("limits: GET /admin/send: 405", r[0] == 405, r[0])
        r = c.post("/admin/send", {"account": "alice"},
                   {"Authorization": "Bearer " + "x" * 50})
        self.ok("limits: /admin/send with a wrong secret: 401", r[0] == 401,
                r[0])
        self.mailbox.settle()

    def t_tls(self):
        key, crt = self.p("tls.key"), self.p("tls.crt")
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                            "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                            "-keyout", key, "-out", crt, "-days", "2",
                            "-subj", "/CN=127.0.0.1",
                            "-addext", "subjectAltName=IP:127.0.0.1"],
                           capture_output=True, text=True)
        if not self.ok("tls: a self-signed certificate", r.returncode == 0,
                       r.stderr):
            return
        os.chmod(key, 0o600)
        d = self.service("tls", scheme="https", extra=(
            "tls_cert_file = %s\ntls_key_file = %s\n" % (crt, key)))
        c = Client(d["port"], tls_ca=crt)
        st, h, page, cookies = c.get("/")
        self.ok("tls: https answers, with HSTS, and a Secure __Host- cookie",
                st == 200 and h.get("strict-transport-security") ==
                "max-age=31536000" and any(v.startswith("__Host-linkd_csrf=")
                                          and "Secure" in v for v in cookies),
                (st, h.get("strict-transport-security"), cookies))
        r = c.post("/request", {"csrf": c.csrf(page), "who": "alice"})
        msg = self.mail_for("alice@example.com")
        link = link_of(msg) if msg else None
        self.ok("tls: the form works over TLS and the link is https",
                r[0] == 200 and link is not None and link.startswith("https://"),
                (r[0], link))
        if link:
            self.ids.append(link.rsplit("/", 1)[1])
        try:
            socket.create_connection(("127.0.0.1", d["port"]), timeout=2)
            hc = http.client.HTTPConnection("127.0.0.1", d["port"], timeout=5)
            hc.request("GET", "/")
            plain = hc.getresponse().status
        except (OSError, http.client.HTTPException) as e:
            plain = type(e).__name__
        self.ok("tls: plain HTTP to the TLS port gets no page",
                plain != 200, plain)

    def t_config(self):
        base = self.conf_text("cfg", 1)
        cases = {
            "unknown key": (self.conf_text("cfg", 1, "colour = blue\n"),
                            ":12: unknown key"),
            "bad number": (base.replace("smtp_timeout = 10",
                                        "smtp_timeout = ten"), ":10:"),
            "relative path": (base.replace("directory = /", "directory = "),
                              ":4:"),
            "missing host": (re.sub(r"(?m)^host = .*\n", "", base), "host is "
                             "required"),
            "key twice": (base.replace("issuer = magic-link",
                                       "issuer = a\nissuer = b"), ":7:"),
            "bad kind key": (base + "[kind x]\ncolour = red\n", ":"),
            "CR LF in mail_from": (base.replace(
                "mail_from = links@example.com",
                "mail_from = a@b.c\r\nBcc: x@y.z"), ":"),
            "bad listen": (base.replace("listen = 127.0.0.1:1",
                                        "listen = localhost:1"), ":2:"),
        }
        for name, (text, want) in cases.items():
            f = pjtest.write(self.p("cfg.conf"), text, 0o644)
            r = subprocess.run([self.linkd, "--config", f, "check"],
                               capture_output=True, text=True)
            self.ok("config: %s: exit 2 naming the problem" % name,
                    r.returncode == 2 and want in r.stderr,
                    (r.returncode, r.stderr))
        # STARTTLS: the mailed link is a credential (F7)
        far = base.replace("smtp_url = smtp://127.0.0.1:%d" % self.smtp_port,
                           "smtp_url = smtp://192.0.2.25:25")
        pwf = pjtest.write(self.p("smtp.password"), "pw\n", 0o600)
        user = "smtp_user = linkd\nsmtp_password_file = %s\n" % pwf
        for name, text, rc, want in (
                ("a far relay, no smtp_starttls: required",
                 far.replace("smtp_starttls = no\n", ""), 0,
                 "smtp: STARTTLS required"),
                ("a loopback relay, no smtp_starttls: try",
                 base.replace("smtp_starttls = no\n", ""), 0,
                 "smtp: STARTTLS try"),
                ("localhost relay, no smtp_starttls: try",
                 base.replace("smtp_starttls = no\n", "").replace(
                     "smtp://127.0.0.1:", "smtp://LocalHost:"), 0,
                 "smtp: STARTTLS try"),
                ("a [::1] relay with smtp_user and try: accepted",
                 base.replace("smtp_starttls = no\n",
                              "smtp_starttls = try\n" + user).replace(
                     "smtp://127.0.0.1:", "smtp://[::1]:"), 0,
                 "smtp: STARTTLS try"),
                ("a far relay with smtp_user and try: refused",
                 far.replace("smtp_starttls = no\n",
                             "smtp_starttls = try\n" + user), 2,
                 "smtp_starttls = try with smtp_user"),
                ("a far relay with smtp_user and no: refused",
                 far.replace("smtp_starttls = no\n",
                             "smtp_starttls = no\n" + user), 2,
                 "smtp_starttls = no with smtp_user"),
                ("a relay named 127.0.0.1.example.com is not loopback",
                 base.replace("smtp_starttls = no\n", "").replace(
                     "smtp://127.0.0.1:", "smtp://127.0.0.1.example.com:"), 0,
                 "smtp: STARTTLS required"),
                ("smtps:// with smtp_user: accepted",
                 far.replace("smtp_starttls = no\n", user).replace(
                     "smtp://192.0.2.25:25", "smtps://192.0.2.25:465"), 0,
                 "smtp: TLS (smtps)")):
            f = pjtest.write(self.p("cfg.conf"), text, 0o644)
            r = subprocess.run([self.linkd, "--config", f, "check"],
                               capture_output=True, text=True)
            self.ok("config: starttls: %s" % name, r.returncode == rc and
                    want in r.stdout + r.stderr, (r.returncode, r.stdout,
                                                  r.stderr))
        pjtest.write(self.p("cfg.conf"), base, 0o666)
        os.chmod(self.p("cfg.conf"), 0o666)
        r = subprocess.run([self.linkd, "--config", self.p("cfg.conf"),
                            "check"], capture_output=True, text=True)
        self.ok("config: a world-writable config is refused (exit 2)",
                r.returncode == 2, (r.returncode, r.stderr))
        os.chmod(self.secret, 0o644)
        pjtest.write(self.p("cfg.conf"), base, 0o644)
        r = subprocess.run([self.linkd, "--config", self.p("cfg.conf"),
                            "check"], capture_output=True, text=True)
        os.chmod(self.secret, 0o600)
        self.ok("config: a signing key readable by others is refused (exit 1)",
                r.returncode == 1 and "key_file" in r.stderr,
                (r.returncode, r.stderr))
        # the example configs are usable once their paths are moved here
        for ex, subs in (
                (os.path.join(EXAMPLE, "linkd.conf"),
                 (("/etc/pamjwt-linkd/directory", self.directory),
                  ("/etc/pamjwt-linkd/private/signing.secret", self.secret),
                  ("/etc/pamjwt-linkd/private/admin.secret",
                   self.p("admin.secret")))),
                (os.path.join(ROOT, "conf", "linkd.conf"),
                 (("/etc/pamjwt-linkd/directory", self.directory),
                  ("/etc/pamjwt-linkd/private/signing.secret", self.secret)))):
            with open(ex) as f:
                text = f.read()
            for a, b_ in subs:
                text = text.replace(a, b_)
            f = pjtest.write(self.p("example.conf"), text, 0o644)
            r = subprocess.run([self.linkd, "--config", f, "check"],
                               capture_output=True, text=True)
            self.ok("config: %s passes check" % os.path.relpath(ex, ROOT),
                    r.returncode == 0, r.stdout + r.stderr)
        r = subprocess.run([self.linkd, "--config", f, "lookup",
                            "ALICE@example.COM"], capture_output=True, text=True)
        self.ok("config: lookup by an address on file, "
                "case aside", r.returncode == 0 and "account=alice " in r.stdout,
                r.stdout + r.stderr)
        # the systemd unit: hardened as documented, and systemd accepts it
        unit = os.path.join(ROOT, "conf", "systemd", "pamjwt-linkd.service")
        with open(unit) as f:
            utext = f.read()
        want = ["User=pamjwt-linkd", "NoNewPrivileges=yes",
                "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
                "StateDirectory=pamjwt-linkd", "CapabilityBoundingSet=\n",
                "UMask=0077", "RestrictAddressFamilies="]
        self.ok("config: the unit has %s" % ", ".join(w.strip() for w in want),
                all(w in utext for w in want),
                [w for w in want if w not in utext])
        if shutil.which("systemd-analyze"):
            copy = pjtest.write(self.p("pamjwt-linkd.service"), utext.replace(
                "/usr/sbin/pamjwt-linkd", self.linkd), 0o644)
            r = subprocess.run(["systemd-analyze", "verify", "--man=no", copy],
                               capture_output=True, text=True)
            self.ok("config: systemd-analyze verify accepts the unit",
                    r.returncode == 0 and not r.stderr.strip(), r.stderr)
        # every key of the program is documented and in the example config
        with open(os.path.join(ROOT, "tools", "linkd", "conf.c")) as f:
            src = f.read()
        keys = re.findall(r'\{ "([a-z_]+)", K_', src) + \
            re.findall(r'strcmp\(key, "([a-z_]+)"\)', src)
        with open(os.path.join(ROOT, "man", "pamjwt-linkd.8")) as f:
            man = f.read().replace("\\-", "-").replace("\\fB", "").replace(
                "\\fR", "").replace("\\fP", "")
        with open(os.path.join(ROOT, "conf", "linkd.conf")) as f:
            example = f.read()
        undoc = [k for k in keys if not re.search(
            r"(?m)^\.BI? %s\b|, %s " % (k, k), man)]
        missing = [k for k in set(keys) - {"scope", "show", "web"}
                   if not re.search(r"(?m)^#?%s = " % k, example)]
        self.ok("config: every key (%d) is in pamjwt-linkd(8) and in "
                "conf/linkd.conf" % len(set(keys)),
                len(keys) > 40 and not undoc and not missing,
                (undoc, missing))
        r = subprocess.run([self.linkd, "--config", self.p("cfg.conf"),
                            "lookup", "ops-web@OPS.example.net"],
                           capture_output=True, text=True)
        self.ok("config: lookup by address through a %s line",
                r.returncode == 0 and
                "account=ops-web address=ops-web@ops.example.net" in r.stdout,
                r.stdout + r.stderr)

    def t_audit(self):
        if not self.tokens:
            self.t_http_flow()      # something to look for in the logs
        c = Client(self.a["port"])
        before = len(self.log_lines(self.a))
        c.get("/")
        c.get("/static/linkd.css")
        c.get("/nothing")
        c.post("/request", {"who": "x"})
        c.get("/l/" + "A" * 43)

        def audit():
            return [ln for ln in self.log_lines(self.a)[before:]
                    if ln.startswith("pamjwt-linkd: audit ")]
        # each line is written when its request is done, which may be just
        # after the answer: wait for five (10 s at most), then a moment for
        # any extra one
        deadline = time.monotonic() + 10
        while len(audit()) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        new = audit()
        self.ok("audit: five requests, five audit lines", len(new) == 5, new)
        alltext = ""
        for log in self.logs:
            with open(log, errors="replace") as f:
                alltext += f.read()
        leaked = [t[:20] for t in self.tokens if t and t in alltext] + \
            [i[:8] for i in self.ids if i and i in alltext]
        self.ok("audit: none of the %d tokens and %d link ids seen in this "
                "run is in any service log" % (len(self.tokens), len(self.ids)),
                not leaked and self.tokens and self.ids, leaked)

    def run(self):
        cases = [("e2e-login", self.t_e2e_login), ("e2e-sudo", self.t_e2e_sudo),
                 ("e2e-ns", self.t_e2e_ns),
                 ("admin", self.t_admin), ("unknown", self.t_unknown),
                 ("http-flow", self.t_http_flow), ("expired", self.t_expired),
                 ("forged", self.t_forged), ("csrf", self.t_csrf),
                 ("escaping", self.t_escaping), ("flood", self.t_flood),
                 ("ratefull", self.t_ratefull), ("samework", self.t_samework),
                 ("wipe", self.t_wipe),
                 ("kinds", self.t_kinds), ("limits", self.t_limits), ("tls", self.t_tls),
                 ("config", self.t_config), ("audit", self.t_audit)]
        chosen = [(n, f) for n, f in cases if self.t.wants(n)]
        if not chosen:
            print(self.t.closing())
            return 1
        self.setup()
        for n, f in chosen:
            try:
                f()
            except Exception as e:  # a crash in a case is its failure
                import traceback
                traceback.print_exc()
                self.ok("%s: ran to the end" % n, False, repr(e))
            self.mailbox.settle(0.5)
        for svc in self.services:
            alive = svc["proc"].poll() is None
            rc = self.stop(svc["proc"])
            with open(svc["log"], errors="replace") as f:
                bad = [ln for ln in f.read().splitlines() if re.search(
                    r"AddressSanitizer|LeakSanitizer|runtime error|"
                    r"Sanitizer", ln)]
            self.ok("the service %s ran throughout, stops on SIGTERM (exit 0; "
                    "with ASan: no leak) and logged no sanitizer report"
                    % svc["name"], alive and rc == 0 and not bad,
                    (alive, rc, bad[:3]))
        print(self.t.closing())
        return 0 if self.t.ok() else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--only")
    ap.add_argument("--node", default="node")
    ap.add_argument("--san", action="store_true",
                    help="the build has ASan+UBSan (SAN=1)")
    args = ap.parse_args()
    s = Suite(args)
    try:
        rc = s.run()
    finally:
        s.cleanup()
    sys.exit(rc)


if __name__ == "__main__":
    main()
