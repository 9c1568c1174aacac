"""oidcprov - the test OpenID Provider (tests/oidc/provider.mjs, the npm
package oidc-provider) driven from Python: a CA and a server certificate
made with openssl, the provider started on 127.0.0.1 and stopped by PID,
its admin hook, and tokens from its real grants.

    sys.path.insert(0, <repository>/tests/oidc); import oidcprov
    ca = oidcprov.make_ca(dir, "ca")             # (cert, key)
    p = oidcprov.Provider(dir, ca, clients=[...], accounts={...})
    p.start(); ...; p.stop()

Provider(dir, ca, node="node", clients=None, accounts=None, resource=None,
         token_claims=None, extra=None)   extra: more CONFIG members
                                          (id_token_claims, ttl, ...)
  .issuer, .ca_cert, .port, .admin_port, .log
  .start(), .stop() (SIGTERM to its PID, then SIGKILL), .restart()
  .admin(path, body=None)      JSON of the admin hook (see provider.mjs)
  .stats()                     {"counts": {PATH: N}, "total": N}
  .client_credentials(client_id, secret, scope=None, resource=None)
                               the token endpoint's JSON answer
  .discovery()                 the discovery document
"""
import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PROVIDER = os.path.join(HERE, "provider.mjs")


def run(cmd):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def make_ca(d, name):
    """A fresh P-256 CA in d: returns (cert, key) paths."""
    cert, key = os.path.join(d, name + ".pem"), os.path.join(d, name + ".key")
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
         "-days", "2", "-subj", "/CN=pam_jwt test CA " + name,
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
    return cert, key


def make_server_cert(d, ca, name, ip="127.0.0.1"):
    """A server certificate for ip signed by ca: returns (cert, key)."""
    cert, key = os.path.join(d, name + ".pem"), os.path.join(d, name + ".key")
    csr = os.path.join(d, name + ".csr")
    ext = os.path.join(d, name + ".ext")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\n"
                "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n" % ip)
    run(["openssl", "req", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=" + ip])
    run(["openssl", "x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
         "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext])
    return cert, key


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Provider:
    def __init__(self, d, ca, node="node", clients=None, accounts=None,
                 resource=None, token_claims=None, extra=None):
        self.dir = d
        self.ca_cert = ca[0]
        self.node = node
        self.port = free_port()
        self.admin_port = free_port()
        self.issuer = "https://127.0.0.1:%d" % self.port
        self.cert = make_server_cert(d, ca, "server-%d" % self.port)
        self.log = os.path.join(d, "provider-%d.log" % self.port)
        self.proc = None
        self.conf = os.path.join(d, "provider-%d.json" % self.port)
        with open(self.conf, "w") as f:
            json.dump(dict(extra or {}, **{
                "issuer": self.issuer, "port": self.port,
                "admin_port": self.admin_port,
                "cert": self.cert[0], "key": self.cert[1],
                "keys_file": os.path.join(d, "provider-keys-%d.json" %
                                          self.port),
                "clients": clients or [], "accounts": accounts or {},
                "resource": resource or {},
                "token_claims": token_claims or {},
            }), f)
        self.ssl = ssl.create_default_context(cafile=self.ca_cert)

    def start(self, timeout=60):
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [self.node, PROVIDER, self.conf], cwd=HERE,
            stdout=subprocess.PIPE, stderr=logf, stdin=subprocess.DEVNULL,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                 "NODE_ENV": "test", "LANG": "C"})
        logf.close()
        deadline = time.monotonic() + timeout
        line = b""
        # the first line is "ready" (or the process died: its log says why)
        os.set_blocking(self.proc.stdout.fileno(), False)
        while time.monotonic() < deadline:
            chunk = self.proc.stdout.read() or b""
            line += chunk
            if b"ready" in line:
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        with open(self.log, "rb") as f:
            tail = f.read()[-2000:].decode(errors="replace")
        raise RuntimeError("provider did not start:\n" + tail)

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc.stdout.close()
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def admin(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.admin_port, path), data=data,
            method="POST" if body is not None else "GET",
            headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def stats(self):
        return self.admin("/stats")

    def _post(self, path, form):
        req = urllib.request.Request(
            self.issuer + path, data=urllib.parse.urlencode(form).encode(),
            method="POST",
            headers={"content-type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(req, context=self.ssl,
                                        timeout=30) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            return json.loads(e.read() or b"{}")

    def client_credentials(self, client_id, secret, scope=None,
                           resource=None):
        form = {"grant_type": "client_credentials", "client_id": client_id,
                "client_secret": secret}
        if scope:
            form["scope"] = scope
        if resource:
            form["resource"] = resource
        return self._post("/token", form)

    def discovery(self):
        with urllib.request.urlopen(
                self.issuer + "/.well-known/openid-configuration",
                context=self.ssl, timeout=30) as r:
            return json.loads(r.read())
