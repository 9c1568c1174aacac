#!/usr/bin/python3
"""pam_jwt through the real libpam.

Every row of the results table (pam_jwt(8), RETURN VALUES), asserted as
the exact PAM return code, with tokens minted by PyJWT (Debian's python3-jwt,
an implementation independent of ours) for all 13 algorithms.

How a case runs: build/pam_driver (tests/pam_driver.c) starts a real libpam
handle with pam_start_confdir and either
  - "direct": calls the module's pam_sm_authenticate itself, so the line it
    prints is the module's own code (a stack would turn PAM_IGNORE into
    PAM_PERM_DENIED), or
  - "stack": runs pam_authenticate on a service file of the case, optionally
    with the helper module tests/integration/set_authtok.c that sets or
    checks PAM_AUTHTOK (use_first_pass, try_first_pass, "token or password").
Accounts come from nss_wrapper (LD_PRELOAD), the module's pam_syslog lines
from pam_wrapper (PAM_WRAPPER_DEBUGLEVEL=2 prints them on stderr as
"SYSLOG(PRIO): ...").  Every case also checks that no token, signature,
password, secret or key text appears in anything the run printed.

`pamjwt verify` must agree with the module on every case (pamjwt(1): it
"runs exactly the module's validation"): after the module's run, the same
token (its one answer, on standard input) and the same module arguments go
to `build/pamjwt verify --service S [--user U] [key=value ...] -` (the
first absolute config=FILE becomes --config FILE; the service is the
case's, or the stack file's name; --user is the PAM_USER the case sets,
none when it leaves it unset), in the same nss_wrapper environment, and
  module PAM_SUCCESS <=> exit 0, PAM_SERVICE_ERR <=> exit 2, any other
  result <=> exit 1, and the "pam:" line pamjwt prints is the module's
  exact code; on PAM_SUCCESS its "user:" is the PAM_USER the module left.
The module's exact code is the driver's line in direct mode, the stack's
result for a stack of the module alone (where libpam turns the module's
PAM_IGNORE into PAM_PERM_DENIED), or the helper's "call returned" line
(call=); in a stack with other modules only the module's decision line
tells its result (accepted, ignored, rejected at a priority, configuration
error), and pamjwt's code must be one that line stands for.  With
single_use, verify runs with --dry-run (it must not use up the token), and
only the first run of a case is compared; a case whose replay_cache cannot
be used (replay_real) runs without --dry-run, as nothing can be recorded
there.  Excluded, with the reason printed: cases whose result depends on
the conversation (continuation parts, more than one answer, the token from
PAM_AUTHTOK with use_first_pass/try_first_pass, an earlier module setting
PAM_AUTHTOK, two module instances).  Prints "agreement: N compared, M
excluded, K disagreed"; a disagreement fails its case, with both sides.

    /usr/bin/python3 tests/integration/test_pam.py [--build DIR] [--san]
        [--valgrind] [--jobs N] [-k|--only REGEX] [-v]

Prints one line per case and "integration: N passed, M failed"; exits 1 on
any failure, 2 if it cannot run at all.
"""

import argparse
import base64
import concurrent.futures
import glob
import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import shutil
import string
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "support"))
import pjtest  # noqa: E402  (tests/support/pjtest.py)

try:
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
except ImportError as e:  # pragma: no cover
    print("integration: cannot import %s: run with /usr/bin/python3 "
          "(python3-jwt, python3-cryptography)" % e.name)
    sys.exit(2)

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

ALGS = ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
        "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")

# What each code's one decision line looks like (pam_jwt(8), LOGGING; NOTES-design
# "Logging": accepted LOG_INFO, rejected LOG_NOTICE, config/key/store
# LOG_ERR, not-a-token LOG_DEBUG).
DECISION_RE = re.compile(
    r"SYSLOG\((\d)\): (accepted|rejected|ignored|configuration error|"
    r"conversation failed)\b.*")
SYSLOG_RE = re.compile(r"SYSLOG\((\d)\): (.*)")
WORD = {"PAM_SUCCESS": ("accepted", 6),
        "PAM_IGNORE": ("ignored", 7),
        "PAM_AUTH_ERR": ("rejected", 5),
        "PAM_USER_UNKNOWN": ("rejected", 5),
        "PAM_AUTHINFO_UNAVAIL": ("rejected", 3),
        "PAM_SERVICE_ERR": ("configuration error", 3)}

DEL = object()  # a claim value meaning "leave this claim out"


b64u = pjtest.b64u
write = pjtest.write


def pem_public(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo)


def pem_private(key):
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def int_bytes(n, size=None):
    if size is None:
        size = max(1, (n.bit_length() + 7) // 8)
    return n.to_bytes(size, "big")


def jwk_of(pub, kid):
    """RFC 7517/7518 public JWK, written here from the key's numbers (EC
    coordinates at their full size, as RFC 7518 6.2.1.2 requires)."""
    if isinstance(pub, rsa.RSAPublicKey):
        nums = pub.public_numbers()
        return {"kty": "RSA", "kid": kid, "n": b64u(int_bytes(nums.n)),
                "e": b64u(int_bytes(nums.e))}
    if isinstance(pub, ec.EllipticCurvePublicKey):
        crv, size = {"secp256r1": ("P-256", 32), "secp384r1": ("P-384", 48),
                     "secp521r1": ("P-521", 66)}[pub.curve.name]
        nums = pub.public_numbers()
        return {"kty": "EC", "kid": kid, "crv": crv,
                "x": b64u(int_bytes(nums.x, size)),
                "y": b64u(int_bytes(nums.y, size))}
    if isinstance(pub, ed25519.Ed25519PublicKey):
        raw = pub.public_bytes(serialization.Encoding.Raw,
                               serialization.PublicFormat.Raw)
        return {"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64u(raw)}
    raise TypeError(pub)


def printable_secret(n):
    alphabet = string.ascii_letters + string.digits + "-_"
    return "".join(secrets.choice(alphabet) for _ in range(n))


class World:
    """The temp dir: keys, config files, service files, fake accounts."""

    def __init__(self, build):
        self.build = os.path.abspath(build)
        self.module = os.path.join(self.build, "pam_jwt.so")
        self.driver = os.path.join(self.build, "pam_driver")
        self.helper = os.path.join(self.build, "integration",
                                   "pam_set_authtok.so")
        self.tool = os.path.join(self.build, "pamjwt")
        self.nocrypto = os.path.join(self.build, "integration",
                                     "no_hogweed.so")
        for f in (self.module, self.driver, self.helper, self.tool,
                  self.nocrypto):
            if not os.path.exists(f):
                raise SystemExit("integration: %s is missing (make "
                                 "check-integration builds it)" % f)
        self.tmp = tempfile.mkdtemp(prefix="pam_jwt-integration.")
        os.chmod(self.tmp, 0o755)
        self.sensitive = []   # texts that must never be printed
        for d in ("keys", "pamd", "wrap", "nss", "tok", "conf"):
            os.mkdir(self.p(d))
        self._accounts()
        self._keys()
        self._configs()
        write(self.p("pamd", "other"), "auth required pam_deny.so\n")
        write(self.p("wrap", "other"), "auth required pam_deny.so\n")
        self.seq = itertools.count(1)  # names of stack and token files

    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _accounts(self):
        self.passwd, self.group = pjtest.nss_files(
            self.p("nss"),
            "root:x:0:0:root:/root:/bin/sh\n"
            "bin:x:2:2:bin:/bin:/usr/sbin/nologin\n"
            "alice:x:1001:1001:Alice:/home/alice:/bin/sh\n"
            "bob:x:1002:1002:Bob:/home/bob:/bin/sh\n"
            "Alice:x:1003:1003:Other Alice:/home/Alice:/bin/sh\n")

    def _secret(self, name, text, mode=0o600):
        self.sensitive.append(text)
        return write(self.p("keys", name), text + "\n", mode)

    def _keys(self):
        k = self.p("keys")
        # HMAC: 64 printable bytes (HS512 needs 64), one trailing newline
        self.secret = printable_secret(64)
        self.secret_file = self._secret("secret", self.secret)
        self.other_secret = printable_secret(64)
        self._secret("other-secret", self.other_secret)
        self._secret("secret-0640", self.secret, 0o640)
        self._secret("secret-0604", self.secret, 0o604)
        self._secret("secret-short", printable_secret(20))
        self._secret("secret-32", printable_secret(32))
        weak = "ab" * 20
        self._secret("secret-weak", weak)
        os.symlink(self.secret_file, self.p("keys", "secret-link"))
        os.mkdir(self.p("keys", "secret-dir"), 0o700)
        # asymmetric keys, one per algorithm family
        self.rsa = rsa.generate_private_key(65537, 2048)
        self.rsa_other = rsa.generate_private_key(65537, 2048)
        self.rsa1024 = rsa.generate_private_key(65537, 1024)
        self.ec256 = ec.generate_private_key(ec.SECP256R1())
        self.ec256_other = ec.generate_private_key(ec.SECP256R1())
        self.ec384 = ec.generate_private_key(ec.SECP384R1())
        self.ec521 = ec.generate_private_key(ec.SECP521R1())
        self.ed = ed25519.Ed25519PrivateKey.generate()
        self.ed_other = ed25519.Ed25519PrivateKey.generate()
        self.k256k1 = ec.generate_private_key(ec.SECP256K1())
        self.pem = {}
        for name, key in (("rsa", self.rsa), ("rsa1024", self.rsa1024),
                          ("ec256", self.ec256), ("ec384", self.ec384),
                          ("ec521", self.ec521), ("ed", self.ed),
                          ("k256k1", self.k256k1)):
            data = pem_public(key)
            self.pem[name] = write(os.path.join(k, name + ".pem"), data)
            # the key's base64 body must never be logged either
            self.sensitive.append(data.decode().splitlines()[1])
        rsa_pem = pem_public(self.rsa)
        self.pem["rsa-0664"] = write(os.path.join(k, "rsa-0664.pem"),
                                     rsa_pem, 0o664)
        self.pem["rsa-0646"] = write(os.path.join(k, "rsa-0646.pem"),
                                     rsa_pem, 0o646)
        self.pem["malformed"] = write(
            os.path.join(k, "malformed.pem"),
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A"
            "not!base64@all\n-----END PUBLIC KEY-----\n")
        self.pem["private"] = write(os.path.join(k, "private.pem"),
                                    pem_private(self.rsa), 0o600)
        self.sensitive.append(pem_private(self.rsa).decode().splitlines()[1])
        self.pem["two"] = write(os.path.join(k, "two.pem"),
                                rsa_pem + pem_public(self.ec256))
        # JWK Sets
        keys = [jwk_of(self.rsa.public_key(), "rsa-1"),
                jwk_of(self.ec256.public_key(), "ec-256"),
                jwk_of(self.ec384.public_key(), "ec-384"),
                jwk_of(self.ec521.public_key(), "ec-521"),
                jwk_of(self.ed.public_key(), "ed-1")]
        octk = {"kty": "oct", "kid": "hs-1", "k": b64u(self.secret.encode())}
        self.sensitive.append(octk["k"])
        self.jwks = write(self.p("keys", "jwks.json"),
                          json.dumps({"keys": keys + [octk]}), 0o600)
        self.jwks_pub = write(self.p("keys", "jwks-pub.json"),
                              json.dumps({"keys": keys}))
        self.jwks_oct_0644 = write(self.p("keys", "jwks-oct-0644.json"),
                                   json.dumps({"keys": keys + [octk]}))
        # an oct key too short to use is still a secret
        short = {"kty": "oct", "kid": "hs-short",
                 "k": b64u(printable_secret(20).encode())}
        self.sensitive.append(short["k"])
        self.jwks_short_oct_0644 = write(
            self.p("keys", "jwks-short-oct-0644.json"),
            json.dumps({"keys": keys + [short]}))
        priv = jwk_of(self.rsa.public_key(), "rsa-1")
        priv["d"] = b64u(int_bytes(self.rsa.private_numbers().d))
        self.sensitive.append(priv["d"])
        self.jwks_private = write(self.p("keys", "jwks-private.json"),
                                  json.dumps({"keys": [priv]}), 0o600)
        self.jwks_dup = write(self.p("keys", "jwks-dup.json"), json.dumps(
            {"keys": [keys[0], dict(keys[1], kid="rsa-1")]}))
        self.jwks_garbage = write(self.p("keys", "jwks-garbage.json"),
                                  "{\"keys\": [")
        # an EC key whose point is not on P-256 (y + 1), beside good keys:
        # found only when a token selects it (issue 11.4)
        off = jwk_of(self.ec256.public_key(), "ec-off")
        y = int.from_bytes(base64.urlsafe_b64decode(off["y"] + "=="), "big")
        off["y"] = b64u(int_bytes((y + 1) % (2 ** 256), 32))
        self.jwks_offcurve = write(self.p("keys", "jwks-offcurve.json"),
                                   json.dumps({"keys": keys + [off]}))
        # no RSA or EC key: nothing in it needs libhogweed
        self.jwks_sodium = write(self.p("keys", "jwks-sodium.json"),
                                 json.dumps({"keys": [keys[4], octk]}), 0o600)

    def _configs(self):
        c = self.p("conf")
        self.cfg_empty = write(os.path.join(c, "empty.conf"),
                               "# nothing: everything from arguments\n")
        self.cfg_sections = write(os.path.join(c, "sections.conf"), (
            "# global keys, then per-service overrides\n"
            "secret_file = %s\n"
            "audience = global-aud\n"
            "\n"
            "[service svc-a]\n"
            "audience = aud-a\n"
            "\n"
            "[service svc-b]\n"
            "audience = aud-b\n"
            "issuer = https://b.example\n") % self.secret_file)
        # a section that names a key source trusts only its own (issue
        # 12.2): svc-rsa has the RSA key alone, others the global secret
        self.cfg_keysrc = write(os.path.join(c, "key-sources.conf"), (
            "secret_file = %s\n"
            "[service svc-rsa]\n"
            "public_key_file = %s\n"
            "[service svc-aud]\n"
            "audience = aud-x\n") % (self.secret_file, self.pem["rsa"]))
        # the same service's section twice: an error for every service
        # (issue 12.4), as an error anywhere in the file is
        self.cfg_twice = write(os.path.join(c, "section-twice.conf"), (
            "secret_file = %s\n[service svc-a]\naudience = a\n"
            "[service svc-b]\naudience = b\n[service svc-a]\n"
            "audience = a2\n") % self.secret_file)
        self.cfg_bad_other_section = write(
            os.path.join(c, "bad-other-section.conf"),
            "secret_file = %s\n[service svc-z]\nfrobnicate = 1\n"
            % self.secret_file)
        self.cfg_0664 = write(os.path.join(c, "group-writable.conf"),
                              "secret_file = %s\n" % self.secret_file, 0o664)
        self.cfg_unknown = write(os.path.join(c, "unknown.conf"),
                                 "secret_file = %s\nfrobnicate = yes\n"
                                 % self.secret_file)
        self.cfg_badsection = write(os.path.join(c, "bad-section.conf"),
                                    "secret_file = %s\n[sshd]\n"
                                    % self.secret_file)
        self.cfg_config_key = write(os.path.join(c, "config-key.conf"),
                                    "config = /etc/other.conf\n")
        self.cfg_full = write(os.path.join(c, "full.conf"), (
            "secret_file = %s\n"
            "issuer = https://idp.example\n"
            "audience = ssh\n"
            "leeway = 30\n") % self.secret_file)
        self.user_map = write(os.path.join(c, "users.map"),
                              "# PATTERN LOCALUSER\n"
                              "bob@partner.example alice\n"
                              "*@example.com %u\n")
        d = self.p("replay-0755")
        os.mkdir(d)
        os.chmod(d, 0o755)

    # ---- tokens ---------------------------------------------------------

    def key_for(self, alg):
        return {"HS": self.secret.encode(), "RS": self.rsa, "PS": self.rsa,
                "ES": {"ES256": self.ec256, "ES384": self.ec384,
                       "ES512": self.ec521}.get(alg),
                "Ed": self.ed}[alg[:2]]

    def args_for(self, alg):
        if alg.startswith("HS"):
            return ["secret_file=" + self.secret_file]
        if alg[:2] in ("RS", "PS"):
            return ["public_key_file=" + self.pem["rsa"]]
        return ["public_key_file=" + self.pem[{
            "ES256": "ec256", "ES384": "ec384", "ES512": "ec521",
            "EdDSA": "ed"}[alg]]]

    def kid_for(self, alg):
        return {"HS": "hs-1", "RS": "rsa-1", "PS": "rsa-1", "Ed": "ed-1"}.get(
            alg[:2]) or {"ES256": "ec-256", "ES384": "ec-384",
                         "ES512": "ec-521"}[alg]


def claims(**kw):
    now = int(time.time())
    c = {"sub": "alice", "iat": now, "exp": now + 600}
    for k, v in kw.items():
        if v is DEL:
            c.pop(k, None)
        else:
            c[k] = v
    return c


def rel(seconds):
    return int(time.time()) + seconds


def raw_token(header, payload_bytes, key_bytes):
    """A hand-made HS256 token (for inputs PyJWT will not produce)."""
    h = b64u(json.dumps(header).encode())
    p = b64u(payload_bytes)
    sig = hmac.new(key_bytes, (h + "." + p).encode(), hashlib.sha256).digest()
    return h + "." + p + "." + b64u(sig)


class Case:
    """One run (or a few with the same answers) and what must hold."""

    def __init__(self, name, expect, answers=(), args=None, stack=None,
                 user="alice", service="pjtest", want_user=None, prompts=None,
                 log=None, prio=None, decisions=None, has=(), lacks=(),
                 valgrind=False, replay_real=False, crypto=None,
                 nocrypto=False, check=None, rhost=None):
        self.name = name
        self.expect = expect if isinstance(expect, list) else [expect]
        self.answers = answers      # list, or a function returning one
        self.args = args            # direct: module arguments
        self.stack = stack          # stack: service file text (function ok)
        self.user = user
        self.service = service
        self.want_user = want_user
        self.prompts = prompts
        self.log = log
        self.prio = prio
        self.decisions = decisions
        self.has = has
        self.lacks = lacks
        self.valgrind = valgrind    # in the valgrind subset
        # single_use with a replay_cache that cannot be used: pamjwt verify
        # runs on it without --dry-run (nothing can be recorded there)
        self.replay_real = replay_real
        # "loaded" or "absent": whether libhogweed.so.6 is opened (the
        # module opens it only for RSA, EC and HS384 keys; LD_DEBUG=files);
        # libcrypto.so.3 must never be (the module does not use it)
        self.crypto = crypto
        # a host where libhogweed.so.6 cannot be loaded (no_hogweed.so)
        self.nocrypto = nocrypto
        # check(decision_lines) -> None, or why the lines are wrong
        self.check = check
        # PAM_RHOST for the run (pam_driver's PAM_DRIVER_RHOST)
        self.rhost = rhost


def driver_escape(user):
    """PAM_USER as pam_driver prints it: bytes outside '!'..'~', and '%',
    as %XX."""
    return "".join(chr(b) if 0x21 <= b <= 0x7e and b != 0x25 else
                   "%%%02X" % b for b in user.encode("utf-8",
                                                     "surrogateescape"))


# ---- log lines a token cannot forge ----------------------------------------
# Every value from a token or a client is written by pj_logval (lib/logval.h):
# [A-Za-z0-9] and these bytes as they are, every other byte as \xHH, at
# most CAP bytes, then "[cut]".
LOG_SAFE = set(b"-._~@:/+,abcdefghijklmnopqrstuvwxyz"
               b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
LOG_CAP = {"user": 64, "sub": 64, "iss": 128, "jti": 128, "kid": 64}
FIELDS = ("user", "sub", "iss", "jti", "kid", "alg")
ACCEPT_LINE = re.compile(
    r"SYSLOG\(6\): (?:pam_jwt\([^()]*\): )?accepted: user=(\S*) sub=(\S*) "
    r"iss=(\S*) jti=(\S*) kid=(\S*) alg=(\S*)$")
REJECT_LINE = re.compile(
    r"SYSLOG\(\d\): (?:pam_jwt\([^()]*\): )?rejected: (.*); user=(\S*) "
    r"sub=(\S*) iss=(\S*) jti=(\S*) kid=(\S*) alg=(\S*)"
    r"( \(claims unverified\))?$")


RHOST_LINE = re.compile(
    r"SYSLOG\(\d\): (?:pam_jwt\([^()]*\): )?(accepted|rejected): (?:.*; )?"
    r"user=\S* rhost=(\S*) sub=\S* iss=\S* jti=\S* kid=\S* alg=\S*"
    r"( \(claims unverified\))?$")


def rhost_check(outcome, value):
    """A check for Case: one decision line of this outcome whose rhost=
    field (after user=, present once) reads back to value, capped at 255
    bytes."""
    def check(lines):
        if len(lines) != 1:
            return "expected one decision line, got %d" % len(lines)
        m = RHOST_LINE.search(lines[0])
        if not m or m.group(1) != outcome:
            return "no %s line with rhost=: %r" % (outcome, lines[0][:300])
        if lines[0].count(" rhost=") != 1:
            return "' rhost=' appears %d times" % lines[0].count(" rhost=")
        b = value.encode("utf-8", "surrogateescape")
        if log_unescape(m.group(2)) != (b[:255], len(b) > 255):
            return "rhost=%r does not read back to %r" % (m.group(2)[:80],
                                                          value[:80])
        return None
    return check


def log_escape(value, cap):
    b = value.encode("utf-8", "surrogateescape")
    return "".join(chr(c) if c in LOG_SAFE else "\\x%02x" % c
                   for c in b[:cap]) + ("[cut]" if len(b) > cap else "")


def log_unescape(text):
    """(bytes, cut) from a logged value; None if it is not pj_logval's."""
    cut = text.endswith("[cut]")
    if cut:
        text = text[:-5]
    out, i = bytearray(), 0
    while i < len(text):
        if text[i] == "\\":
            m = re.match(r"\\x([0-9a-f]{2})", text[i:])
            if not m:
                return None
            out.append(int(m.group(1), 16))
            i += 4
        elif ord(text[i]) in LOG_SAFE:
            out.append(ord(text[i]))
            i += 1
        else:
            return None
    return bytes(out), cut


def log_fields_check(outcome, want, unverified=False, absent=()):
    """A check for Case: exactly one decision line, of this outcome
    ("accepted" or "rejected"), whose fields read back to the values in
    want (field -> str; capped values as their prefix and "[cut]"); no
    rejection line holds the text of an acceptance; with unverified, the
    claims are not shown and the values in absent appear nowhere in the
    free-text reason, neither raw nor escaped."""
    def check(lines):
        if len(lines) != 1:
            return "expected one decision line, got %d" % len(lines)
        line = lines[0]
        m = (ACCEPT_LINE if outcome == "accepted" else REJECT_LINE).search(
            line)
        if not m:
            return "the %s line does not parse: %r" % (outcome, line[:300])
        got = m.groups()
        reason = ""
        if outcome == "rejected":
            reason, got, unv = got[0], got[1:7], got[7]
            if "accepted: user=" in line:
                return "a rejection line holds an acceptance: %r" % line[:300]
            if bool(unv) != unverified:
                return "'(claims unverified)' %s" % (
                    "missing" if unverified else "where claims verified")
        for key in (" user=", " sub=", " iss=", " jti=", " kid=", " alg="):
            if line.count(key) != 1:
                return "%r appears %d times: %r" % (key, line.count(key),
                                                   line[:300])
        for name, text in zip(FIELDS, got):
            back = log_unescape(text)
            if back is None:
                return "field %s=%r is not escaped" % (name, text[:80])
            if name not in want:
                continue
            value = want[name].encode("utf-8", "surrogateescape")
            cap = LOG_CAP[name]
            if back != (value[:cap], len(value) > cap):
                return "field %s=%r does not read back to %r" % (
                    name, text[:80], want[name][:80])
        if unverified and any(got[i] for i in (1, 2, 3)):
            return "claims of an unverified token are logged: %r" % line[:300]
        for v in absent:
            for form in (v[:16], log_escape(v, 16)[:40]):
                if form and form in reason:
                    return "unverified %r appears in the reason %r" % (
                        form, reason[:200])
        return None
    return check


def pwrap_cleanup(pid):
    """pam_wrapper copies the service dir to /tmp/pam.X (a fixed place) and
    removes it when the process exits, but not always (under valgrind it
    initialises more than once and removes only the last copy).  Remove the
    ones whose pid file names this process of ours, and nothing else."""
    for d in glob.glob("/tmp/pam.?"):
        try:
            with open(os.path.join(d, "pid")) as f:
                owner = int(f.read().strip() or 0)
        except (OSError, ValueError):
            continue
        if owner == pid:
            shutil.rmtree(d, ignore_errors=True)


class Runner:
    def __init__(self, world, opts):
        self.w = world
        self.opts = opts
        # nss_wrapper, then pam_wrapper; under ASan the sanitizer runtime
        # leads LD_PRELOAD (instead of turning the link-order check off
        # with verify_asan_link_order=0), and nss_wrapper does not use
        # RTLD_DEEPBIND (ASan refuses it)
        env = pjtest.nss_env(world.passwd, world.group, san=opts.san,
                             preload=["libpam_wrapper.so"],
                             base=pjtest.minimal_env(
                                 PAM_WRAPPER="1",
                                 PAM_WRAPPER_SERVICE_DIR=world.p("wrap"),
                                 PAM_WRAPPER_DEBUGLEVEL="2",
                                 TMPDIR=world.tmp))
        if opts.san:
            # nor do the other wrappers (pam_wrapper 1.1.4 reads
            # UID_WRAPPER_DISABLE_DEEPBIND)
            env["UID_WRAPPER_DISABLE_DEEPBIND"] = "1"
            env["PAM_WRAPPER_DISABLE_DEEPBIND"] = "1"
            # Leak detection stays on, without suppressions: none of
            # libpam, pam_wrapper or nss_wrapper leaks on these paths.
            env["ASAN_OPTIONS"] = ("detect_leaks=1:abort_on_error=0:"
                                   "exitcode=98:"
                                   "detect_stack_use_after_return=1")
            env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
        self.env = env
        # pamjwt verify: the same accounts (nss_wrapper) and sanitizer
        # settings; pam_wrapper is left out (the tool does not use libpam,
        # and the wrapper would make a /tmp/pam.X copy for nothing)
        self.tool_env = {k: v for k, v in env.items()
                         if not k.startswith("PAM_WRAPPER")}
        self.tool_env["LD_PRELOAD"] = " ".join(
            x for x in env["LD_PRELOAD"].split() if "pam_wrapper" not in x)
        self.prefix = []
        if opts.valgrind:
            # No suppression file: no definite or indirect leak and no
            # error shows up in libpam, libc or the wrappers on these paths.
            self.prefix = ["valgrind", "-q", "--error-exitcode=99",
                           "--leak-check=full",
                           "--errors-for-leak-kinds=definite,indirect",
                           "--show-leak-kinds=definite,indirect",
                           "--num-callers=30"]

    def _stack_file(self, text):
        name = "st-%d" % next(self.w.seq)
        write(self.w.p("pamd", name), text)
        return name

    def _answer_files(self, answers):
        """Long answers go to files (@FILE), the rest to argv."""
        out = []
        for a in answers:
            if len(a) > 1000:
                path = self.w.p("tok", "t%d" % next(self.w.seq))
                write(path, a, 0o600)
                out.append("@" + path)
            else:
                out.append(a)
        return out

    def _sensitive(self, answers, stack_text):
        s = list(self.w.sensitive)
        texts = list(answers) + re.findall(r"[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]"
                                           r"*\.[A-Za-z0-9_-]*", stack_text)
        texts += re.findall(r"(?:set|expect)=(\S+)", stack_text)
        for a in texts:
            t = a.strip()
            if len(t) >= 6:
                s.append(t)
            parts = t.split(".")
            if len(parts) == 3:
                s.extend(x for x in parts[1:] if len(x) >= 12)
        return s

    def run(self, case):
        """Returns (ok, message, agreement), agreement being ("compared",
        note), ("excluded", reason) or None (the case failed first)."""
        answers = case.answers() if callable(case.answers) else list(
            case.answers)
        stack_text = ""
        if case.stack is not None:
            stack_text = case.stack() if callable(case.stack) else case.stack
            service = self._stack_file(stack_text)
            cmd = [self.w.driver, self.w.p("pamd"), service, case.user]
            plan = self._stack_plan(stack_text)
        else:
            args = list(case.args)
            if not any(a.startswith("config=") for a in args):
                args.insert(0, "config=" + self.w.cfg_empty)
            cmd = [self.w.driver, "--direct", self.w.module] + args + \
                ["--", self.w.p("pamd"), case.service, case.user]
            service = case.service
            plan = self._plan(args, "direct")
        if isinstance(plan, dict) and len(answers) != 1:
            plan = "%d answers: the token comes in continuation parts" % (
                len(answers)) if answers else "no answer: the token comes " \
                "from PAM_AUTHTOK"
        cmd = self.prefix + cmd + self._answer_files(answers)
        secret_texts = self._sensitive(answers, stack_text)
        agreement = ("excluded", plan) if isinstance(plan, str) else None
        if case.nocrypto:
            agreement = ("excluded", "libhogweed is hidden from the module "
                         "run only")
        for i, want in enumerate(case.expect):
            ok, msg, res = self._one(case, cmd, want, secret_texts, i)
            if not ok:
                return False, msg, None
            if i == 0 and agreement is None:
                agreement = self._agree(case, plan, service, answers[0], res,
                                        secret_texts)
                if agreement[0] == "disagreed":
                    return False, agreement[1], agreement
        if agreement[0] == "compared" and len(case.expect) > 1:
            agreement = ("compared", "first of %d runs (single_use: later "
                         "runs depend on the replay store)" %
                         len(case.expect))
        return True, "", agreement

    # ---- pamjwt verify agreement ------------------------------------------

    def _plan(self, margs, how):
        """How to compare a module run with pamjwt verify: a dict, or the
        reason (a string) why the run cannot be compared."""
        first_pass = [a for a in margs
                      if a.split("=")[0] in ("use_first_pass",
                                             "try_first_pass")]
        if len(first_pass) == 1:
            return "%s: the token comes from PAM_AUTHTOK" % first_pass[0]
        # (both together: a configuration error, whatever the conversation)
        return {"margs": margs, "how": how}

    def _stack_plan(self, text):
        lines = [l.split() for l in text.splitlines()
                 if l.strip() and not l.lstrip().startswith("#")]
        mine = []
        for words in lines:
            if len(words) >= 3 and words[2] == self.w.module:
                mine.append((words[3:], "stack"))
            elif len(words) >= 4 and words[2] == self.w.helper and \
                    words[3] == "call=" + self.w.module:
                mine.append((words[4:], "call"))
        for words in lines:
            for a in words[3:]:
                if a.startswith(("use_first_pass", "try_first_pass")):
                    return "%s: the token comes from PAM_AUTHTOK" % a
                if a.startswith(("set=", "setfile=")):
                    return "an earlier module sets PAM_AUTHTOK"
        if len(mine) != 1:
            return "%d module instances share one conversation" % len(mine)
        margs, how = mine[0]
        if how == "stack" and len(lines) > 1:
            how = "decision"   # other modules decide the stack's result
        return self._plan(margs, how)

    def _verify_argv(self, margs, service, user, dry_run):
        argv = [self.w.tool, "verify", "--service", service]
        if user != "-":
            argv += ["--user", user]
        if dry_run:
            argv.append("--dry-run")
        words, config = [], None
        for a in margs:
            # the first absolute config= is --config; a relative one (which
            # --config would take from the current directory, the module
            # refuses) or a second one stays a module argument
            if config is None and a.startswith("config=") and \
                    os.path.isabs(a[7:]):
                config = a[7:]
                argv += ["--config", config]
            else:
                words.append(a)
        return argv + words + ["-"]

    def _module_codes(self, plan, res):
        """(exact code or None, the codes the module's result may be)."""
        how = plan["how"]
        if how == "direct":
            return res["got"], {res["got"]}
        if how == "stack":
            # a stack of the module alone: its result is the stack's, but
            # libpam turns a lone PAM_IGNORE into PAM_PERM_DENIED (the
            # module itself never returns PAM_PERM_DENIED)
            got = res["got"]
            code = "PAM_IGNORE" if got == "PAM_PERM_DENIED" else got
            return code, {code}
        if how == "call":
            m = re.search(r"set_authtok: call returned (PAM_\w+)", res["err"])
            code = m.group(1) if m else "(no 'call returned' line)"
            return code, {code}
        # "decision": only the module's decision line shows its result
        dec = [d for d in (DECISION_RE.search(l)
                           for l in res["err"].splitlines()) if d]
        if len(dec) != 1:
            return "(%d decision lines)" % len(dec), set()
        word, prio = dec[0].group(2), int(dec[0].group(1))
        codes = {c for c, wp in WORD.items() if wp == (word, prio)} or \
            {c for c, wp in WORD.items() if wp[0] == word}
        return "a '%s' line at priority %d (%s)" % (
            word, prio, " or ".join(sorted(codes)) or "?"), codes

    def _agree(self, case, plan, service, token, res, secret_texts):
        """Run pamjwt verify on what the module got; ("compared", note) or
        ("disagreed", message) or ("excluded", reason)."""
        if res["prompts"] > 1:
            return ("excluded", "the module asked for continuation parts "
                    "(%d prompts): its result depends on the conversation"
                    % res["prompts"])
        if re.search(r"SYSLOG\(\d\): conversation failed", res["err"]):
            return ("excluded", "the conversation failed")
        margs = plan["margs"]
        single_use = "single_use" in margs or any(
            a.startswith("single_use=") for a in margs)
        dry = single_use and not case.replay_real
        argv = self._verify_argv(margs, service, case.user, dry)
        cmd = self.prefix + argv
        try:
            p = subprocess.run(cmd, input=token, env=self.tool_env,
                               capture_output=True, text=True,
                               errors="replace", cwd=self.w.tmp,
                               timeout=600 if self.opts.valgrind else 60)
            out, err, rc = p.stdout, p.stderr, p.returncode
        except subprocess.TimeoutExpired:
            out, err, rc = "", "(timed out)", -1
        exact, codes = self._module_codes(plan, res)
        m = re.search(r"^pam: +(\S+)$", out, re.M)
        tool_code = m.group(1) if m else None
        u = re.search(r"^user: +(\S*)$", out, re.M)
        problems = []
        if rc == 99:
            problems.append("valgrind reported errors in pamjwt")
        if rc in (98, -6) or "Sanitizer" in err or "runtime error:" in err:
            problems.append("sanitizer reported errors in pamjwt (exit %d)"
                            % rc)
        want_rc = {"PAM_SUCCESS": {0}, "PAM_SERVICE_ERR": {2}}
        rcs = set()
        for c in codes:
            rcs |= want_rc.get(c, {1})
        if rc not in rcs:
            problems.append("exit %d, expected %s" % (
                rc, " or ".join(str(x) for x in sorted(rcs)) or "?"))
        if tool_code is not None and tool_code not in codes:
            problems.append("pam: %s, the module's is %s" % (tool_code,
                                                            exact))
        if tool_code is None and rc != 2:
            problems.append("no 'pam:' line")
        if codes == {"PAM_SUCCESS"} and res["user"] and u and \
                u.group(1) != res["user"]:
            problems.append("user: %s, the module set PAM_USER=%s" % (
                u.group(1), res["user"]))
        for t in secret_texts:
            if t in out or t in err:
                problems.append("sensitive text %r... in pamjwt's output" %
                                t[:12])
                break
        if not problems:
            return ("compared", None)
        return ("disagreed", "pamjwt verify disagrees with the module: %s\n"
                "      module: %s (%s)\n"
                "      pamjwt: %s\n"
                "      pamjwt output: %s" % (
                    "; ".join(problems), exact, plan["how"],
                    " ".join(x if len(x) < 120 else x[:60] + "..."
                             for x in argv[1:]) + " < token",
                    " | ".join((out + err).strip().splitlines()[:8])))

    def _one(self, case, cmd, want, secret_texts, step):
        timeout = 600 if self.opts.valgrind else 120
        env = self.env
        crypto = case.crypto if not self.opts.valgrind else None
        if crypto is not None:
            env = dict(env, LD_DEBUG="files")
        if case.nocrypto:
            env = dict(env, LD_PRELOAD=env["LD_PRELOAD"] + " " +
                       self.w.nocrypto)
        if case.rhost is not None:
            env = dict(env, PAM_DRIVER_RHOST=case.rhost)
        for attempt in range(5):
            p = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True,
                                 errors="replace", cwd=self.w.tmp)
            try:
                p.stdout, p.stderr = p.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
                return False, "timed out after %ds" % timeout, None
            finally:
                pwrap_cleanup(p.pid)
            # pam_wrapper's own set-up can collide under parallel starts
            # (two processes pick the same /tmp/pam.X; the loser exits
            # before main): that is not the module, run it again
            if attempt < 4 and ("(pam_start)" in p.stdout or (
                    not p.stdout and "Failed to create pam_wrapper config "
                    "dir" in p.stderr)):
                time.sleep(0.1 + 0.2 * secrets.randbelow(5))
                continue
            break
        out, err = p.stdout, p.stderr
        detail = "\n      ".join(
            ["cmd: " + " ".join(cmd[-8:])[:400], "stdout: " + out.strip()] +
            ["stderr: " + line[:300] for line in err.splitlines()[-25:]])
        step_s = " (run %d)" % (step + 1) if len(case.expect) > 1 else ""

        def fail(why):
            return False, why + step_s + "\n      " + detail, None

        if p.returncode == 99:
            return fail("valgrind reported errors")
        if p.returncode in (98, -6) or "Sanitizer" in err or \
                "runtime error:" in err:
            return fail("sanitizer reported errors (exit %d)" % p.returncode)
        if p.returncode != 0:
            return fail("driver exit status %d" % p.returncode)
        m = re.search(r"^result=(\S+) user=(\S*) prompts=(\d+)", out, re.M)
        if not m:
            return fail("no result line")
        got, user, prompts = m.group(1), m.group(2), int(m.group(3))
        if got != want:
            return fail("expected %s, got %s" % (want, got))
        want_user = case.want_user
        if want_user is None:
            want_user = "" if case.user == "-" else case.user
        want_user = driver_escape(want_user)
        if user != want_user:
            return fail("expected user=%s, got user=%s" % (want_user, user))
        if case.prompts is not None and prompts != case.prompts:
            return fail("expected %d prompts, got %d" % (case.prompts,
                                                         prompts))
        # never a token, signature, password, secret or key in the output
        for s in secret_texts:
            if s in err or (s in out):
                return fail("sensitive text %r... appears in the output" %
                            s[:12])
        # one decision line, naming the outcome at the right priority
        dec = [d for d in (DECISION_RE.search(l) for l in err.splitlines())
               if d]
        syslog = [l for l in err.splitlines() if SYSLOG_RE.search(l)]
        ndec = case.decisions
        if ndec is None:
            ndec = 1 if case.stack is None else None
        if ndec is not None and len(dec) != ndec:
            return fail("expected %d decision lines, got %d" % (ndec,
                                                               len(dec)))
        if case.stack is None and len(syslog) != 1:
            return fail("expected exactly one log line, got %d" % len(syslog))
        if case.stack is None and dec:
            word, prio = WORD.get(want, (None, None))
            if case.prio is not None:
                prio = case.prio
            if word is not None and dec[0].group(2) != word:
                return fail("decision line says %r for %s" % (dec[0].group(2),
                                                              want))
            if prio is not None and int(dec[0].group(1)) != prio:
                return fail("decision logged at priority %s, expected %d" % (
                    dec[0].group(1), prio))
        if case.log is not None:
            if not any(re.search(case.log, d.group(0)) for d in dec):
                return fail("no decision line matches %r" % case.log)
        if case.check is not None:
            why = case.check([d.group(0) for d in dec])
            if why:
                return fail(why)
        for h in case.has:
            if not re.search(h, err, re.M):
                return fail("stderr lacks %r" % h)
        for h in case.lacks:
            if re.search(h, err, re.M):
                return fail("stderr has %r" % h)
        if crypto is not None:
            # loaded by pam_jwt.so (by libasan under ASan, which wraps
            # dlopen); nothing else in the driver process loads it
            opened = re.search(r"file=libhogweed\.so\.6 \[\d+\];  "
                               r"dynamically loaded by \S*(pam_jwt\.so|libasan)",
                               err)
            if (crypto == "loaded") != bool(opened):
                return fail("libhogweed.so.6 %s, expected %s" % (
                    "was loaded" if opened else "was not loaded", crypto))
            # issue 14: the module verifies with Nettle; libcrypto (5 ms
            # and 16x a trivial module in a fresh process) is never loaded
            if re.search(r"file=libcrypto\.so\.3 \[\d+\]", err):
                return fail("libcrypto.so.3 was loaded (by %s)" % (
                    re.search(r"file=libcrypto\.so\.3 \[\d+\];\s+"
                              r"(.*)", err).group(1)))
        return True, "", {"got": got, "user": user, "prompts": prompts,
                          "err": err}


def build_cases(w):
    C = []
    M = w.module
    H = w.helper
    S = "secret_file=" + w.secret_file
    RSA = "public_key_file=" + w.pem["rsa"]
    sec = w.secret.encode()

    def hs(c=None, headers=None, key=None, alg="HS256"):
        return jwt.encode(c if c is not None else claims(), key or sec,
                          algorithm=alg, headers=headers)

    def add(*a, **kw):
        C.append(Case(*a, **kw))

    # ---- 1. every algorithm: PAM_SUCCESS --------------------------------
    for alg in ALGS:
        key = w.key_for(alg)
        add("valid %s, PAM_USER set" % alg, "PAM_SUCCESS",
            lambda alg=alg, key=key: [jwt.encode(claims(), key,
                                                 algorithm=alg)],
            args=w.args_for(alg), prompts=1,
            log=r"accepted: user=alice sub=alice .*alg=%s$" % alg,
            valgrind=True,
            crypto="loaded" if alg[:2] in ("RS", "PS", "ES") or
            alg == "HS384" else "absent")
        add("valid %s, PAM_USER unset: the module sets it" % alg,
            "PAM_SUCCESS",
            lambda alg=alg, key=key: [jwt.encode(claims(), key,
                                                 algorithm=alg)],
            args=w.args_for(alg), user="-", want_user="alice", prompts=1)
        add("valid %s from the JWK Set by kid" % alg, "PAM_SUCCESS",
            lambda alg=alg, key=key: [jwt.encode(
                claims(), key, algorithm=alg,
                headers={"kid": w.kid_for(alg)})],
            args=["jwks_file=" + w.jwks], prompts=1,
            log=r"accepted: .*kid=%s alg=%s$" % (w.kid_for(alg), alg))
        add("valid %s through 'auth required pam_jwt.so'" % alg,
            "PAM_SUCCESS",
            lambda alg=alg, key=key: [jwt.encode(claims(), key,
                                                 algorithm=alg)],
            stack="auth required %s config=%s %s\n" % (
                M, w.cfg_empty, " ".join(w.args_for(alg))),
            prompts=1, decisions=1)
    # a host where libhogweed.so.6 cannot be loaded: RSA, EC and HS384 keys
    # are unavailable (not a bad token), the others still verify
    NOCRYPTO_LOG = r"key unavailable: .*cannot load libhogweed\.so\.6"
    for alg in ("RS256", "PS384", "ES256", "ES512", "HS384"):
        add("no libhogweed: %s from its file is unavailable" % alg,
            "PAM_AUTHINFO_UNAVAIL",
            lambda alg=alg: [jwt.encode(claims(), w.key_for(alg),
                                        algorithm=alg)],
            args=w.args_for(alg), prompts=1, nocrypto=True,
            log=NOCRYPTO_LOG)
        add("no libhogweed: %s from the JWK Set is unavailable" % alg,
            "PAM_AUTHINFO_UNAVAIL",
            lambda alg=alg: [jwt.encode(claims(), w.key_for(alg),
                                        algorithm=alg,
                                        headers={"kid": w.kid_for(alg)})],
            args=["jwks_file=" + w.jwks], prompts=1, nocrypto=True,
            log=NOCRYPTO_LOG)
    for alg in ("HS256", "HS512", "EdDSA"):
        add("no libhogweed: %s still verifies (JWK Set with RSA and EC keys)"
            % alg, "PAM_SUCCESS",
            lambda alg=alg: [jwt.encode(claims(), w.key_for(alg),
                                        algorithm=alg,
                                        headers={"kid": w.kid_for(alg)})],
            args=["jwks_file=" + w.jwks], prompts=1, nocrypto=True)
    for alg in ("HS256", "HS384", "HS512", "EdDSA"):
        add("valid %s from a JWK Set of Ed25519 and oct keys" % alg,
            "PAM_SUCCESS",
            lambda alg=alg: [jwt.encode(claims(), w.key_for(alg),
                                        algorithm=alg,
                                        headers={"kid": w.kid_for(alg)})],
            args=["jwks_file=" + w.jwks_sodium], prompts=1,
            crypto="loaded" if alg == "HS384" else "absent")
    add("valid EdDSA, PAM_USER unset, through a stack", "PAM_SUCCESS",
        lambda: [jwt.encode(claims(), w.ed, algorithm="EdDSA")],
        stack="auth required %s config=%s public_key_file=%s\n" % (
            M, w.cfg_empty, w.pem["ed"]),
        user="-", want_user="alice", prompts=1, decisions=1, valgrind=True)
    add("JWK Set without kid: the one key that fits ES384", "PAM_SUCCESS",
        lambda: [jwt.encode(claims(), w.ec384, algorithm="ES384")],
        args=["jwks_file=" + w.jwks_pub])
    add("accepted line names sub, iss, jti, kid, alg", "PAM_SUCCESS",
        lambda: [jwt.encode(claims(iss="https://idp.example", jti="j-4711"),
                            w.rsa, algorithm="PS384",
                            headers={"kid": "rsa-1"})],
        args=["jwks_file=" + w.jwks_pub, "issuer=https://idp.example"],
        log=r"accepted: user=alice sub=alice iss=https://idp\.example "
            r"jti=j-4711 kid=rsa-1 alg=PS384$")
    add("accepted line names rhost after user when PAM_RHOST is set",
        "PAM_SUCCESS", lambda: [hs()], args=[S], rhost="192.0.2.7",
        check=rhost_check("accepted", "192.0.2.7"))
    # ---- hostile values in the log (issue 11.1) ---------------------------
    forged = ("x' for EdDSA; user=bob (claims unverified)\rpam_jwt(sshd:auth):"
              " accepted: user=root sub=root iss= jti= kid= alg=HS256")
    hostile = (("forged record", forged),
               ("quotes ; = space", "a\"b'c;d=e f\\g"),
               ("accepted:", "accepted: user=root"),
               ("CR LF", "one\r\ntwo\nthree\r"),
               ("binary", "\x01\x1b[2J\x7f\u00e9\u2028\ufeff%s"),
               ("10 KiB", "k" * 10240))
    other = b"another secret of 32 bytes or more, not ours"
    for label, v in hostile:
        big = len(v) > 256
        # kid: any kid fits the kid-less secret_file key; over 256 bytes
        # the header is refused
        add("log: hostile kid (%s), valid token" % label,
            "PAM_AUTH_ERR" if big else "PAM_SUCCESS",
            lambda v=v: [hs(headers={"kid": v})], args=[S],
            check=log_fields_check("rejected" if big else "accepted",
                                   {"user": "alice", "sub": "" if big else
                                    "alice"} if big else
                                   {"user": "alice", "sub": "alice",
                                    "kid": v},
                                   unverified=big, absent=(v,)))
        add("log: hostile rhost (%s), forged signature" % label,
            "PAM_AUTH_ERR", lambda: [hs(key=other)], args=[S],
            rhost=v.replace("\0", ""), check=rhost_check("rejected",
                                                       v.replace("\0", "")))
        add("log: hostile kid (%s), forged signature" % label,
            "PAM_AUTH_ERR",
            lambda v=v: [hs(headers={"kid": v}, key=other)], args=[S],
            check=log_fields_check("rejected", {"user": "alice"} if big else
                                   {"user": "alice", "kid": v},
                                   unverified=True, absent=(v,)))
        add("log: hostile kid (%s), no key with that kid" % label,
            "PAM_AUTH_ERR",
            lambda v=v: [jwt.encode(claims(), w.rsa, algorithm="RS256",
                                    headers={"kid": v})],
            args=["jwks_file=" + w.jwks_pub],
            check=log_fields_check("rejected", {"user": "alice"} if big else
                                   {"user": "alice", "kid": v},
                                   unverified=True, absent=(v,)))
        for claim in ("iss", "jti"):
            add("log: hostile %s (%s), valid token" % (claim, label),
                "PAM_SUCCESS", lambda v=v, claim=claim: [hs(claims(**{
                    claim: v}))], args=[S],
                check=log_fields_check("accepted", {"user": "alice",
                                                    claim: v}))
            add("log: hostile %s (%s), forged signature" % (claim, label),
                "PAM_AUTH_ERR", lambda v=v, claim=claim: [hs(claims(**{
                    claim: v}), key=other)], args=[S],
                check=log_fields_check("rejected", {"user": "alice"},
                                       unverified=True, absent=(v,)))
        add("log: hostile sub (%s), valid token" % label, "PAM_AUTH_ERR",
            lambda v=v: [hs(claims(sub=v))], args=[S],
            check=log_fields_check("rejected", {"user": "alice", "sub": v}))
        add("log: hostile sub (%s), PAM_USER unset" % label, "PAM_AUTH_ERR",
            lambda v=v: [hs(claims(sub=v))], args=[S], user="-",
            check=log_fields_check("rejected", {"user": "", "sub": v}))
        add("log: hostile PAM_USER (%s), token for alice" % label,
            "PAM_AUTH_ERR", lambda: [hs()], args=[S], user=v,
            check=log_fields_check("rejected", {"user": v, "sub": "alice"}))
    add("full config file (issuer, audience, leeway)", "PAM_SUCCESS",
        lambda: [hs(claims(iss="https://idp.example", aud="ssh"))],
        args=["config=" + w.cfg_full], valgrind=True)

    # ---- 2. not a compact JWS: PAM_IGNORE -------------------------------
    for label, ans in (("a password", "hunter2-Secret"),
                       ("'a.b'", "a.b"),
                       ("an empty answer", ""),
                       ("four parts", "aaaa.bbbb.cccc.dddd"),
                       ("empty payload part", "eyJhbGciOiJIUzI1NiJ9..c2ln"),
                       ("non-base64url characters", "p@ss.w0rd!.x+y/z"),
                       ("a passphrase with spaces",
                        "correct horse battery staple"),
                       ("only white space", "  \t \n")):
        add("not a token (%s): PAM_IGNORE, one prompt" % label, "PAM_IGNORE",
            [ans], args=[S], prompts=1, lacks=[r"part 2"],
            log=r"ignored: input is not a token$",
            valgrind=label == "a password")
    add("not a token, PAM_USER unset: stays unset", "PAM_IGNORE",
        ["hunter2-Secret"], args=[S], user="-", prompts=1)
    add("a password while the key is missing: PAM_IGNORE (shape first)",
        "PAM_IGNORE", ["hunter2-Secret"],
        args=["secret_file=" + w.p("keys", "missing")], prompts=1)
    add("a password with 'debug': ignored logged at LOG_INFO", "PAM_IGNORE",
        ["hunter2-Secret"], args=[S, "debug"], prio=6)
    # The module cannot tell an answer that merely begins like a token from
    # a token cut short: once it has asked for a part, an answer that never
    # became whole is a rejected token (the "cut token" cases below), and a
    # later module still gets it as PAM_AUTHTOK (see the stack case).
    add("an answer beginning like a token (eyJ) that never completes: part "
        "prompt, then rejected", "PAM_AUTH_ERR", ["eyJustMyPassword"],
        args=[S], prompts=2, has=[r"^prompt: Token \(part 2\): $"],
        log=r"rejected: ")

    # ---- 3. rejections: PAM_AUTH_ERR -----------------------------------
    add("bad signature (HS256, another secret)", "PAM_AUTH_ERR",
        lambda: [hs(key=w.other_secret.encode())], args=[S],
        log=r"rejected: bad signature: ", valgrind=True)
    add("bad signature (RS256, another RSA key)", "PAM_AUTH_ERR",
        lambda: [jwt.encode(claims(), w.rsa_other, algorithm="RS256")],
        args=[RSA], log=r"rejected: bad signature: .*alg=RS256")
    add("bad signature (ES256, another P-256 key)", "PAM_AUTH_ERR",
        lambda: [jwt.encode(claims(), w.ec256_other, algorithm="ES256")],
        args=["public_key_file=" + w.pem["ec256"]], log=r"bad signature")
    add("bad signature (EdDSA, another Ed25519 key)", "PAM_AUTH_ERR",
        lambda: [jwt.encode(claims(), w.ed_other, algorithm="EdDSA")],
        args=["public_key_file=" + w.pem["ed"]], log=r"bad signature")

    def flip(tok):
        h, p, s = tok.split(".")
        i = len(s) // 2
        return "%s.%s.%s%s%s" % (h, p, s[:i], "A" if s[i] != "A" else "B",
                                 s[i + 1:])
    add("bad signature (PS256, one signature character changed)",
        "PAM_AUTH_ERR",
        lambda: [flip(jwt.encode(claims(), w.rsa, algorithm="PS256"))],
        args=[RSA], log=r"bad signature")
    add("payload changed after signing (sub bob -> alice)", "PAM_AUTH_ERR",
        lambda: [(lambda t: t[0] + "." + b64u(json.dumps(claims()).encode())
                  + "." + t[2])(hs(claims(sub="bob")).split("."))],
        args=[S], log=r"bad signature")
    add("algorithm not allowed by algorithms= (HS256 token, HS512 only)",
        "PAM_AUTH_ERR", lambda: [hs()], args=[S, "algorithms=HS512"],
        log=r"rejected: algorithm not allowed")
    add("algorithm not allowed by algorithms= (PS256 token, RS256 only)",
        "PAM_AUTH_ERR",
        lambda: [jwt.encode(claims(), w.rsa, algorithm="PS256")],
        args=[RSA, "algorithms=RS256"], log=r"algorithm not allowed")
    add("allowed by algorithms= (RS256 token, 'RS256, PS256')", "PAM_SUCCESS",
        lambda: [jwt.encode(claims(), w.rsa, algorithm="RS256")],
        args=[RSA, "algorithms=RS256,PS256"])
    add("alg none (PyJWT, empty signature)", "PAM_AUTH_ERR",
        lambda: [jwt.encode(claims(), None, algorithm="none")], args=[S],
        log=r"rejected: (algorithm not allowed|bad signature|malformed)",
        valgrind=True)
    add("alg none with a signature", "PAM_AUTH_ERR",
        lambda: [raw_token({"alg": "none", "typ": "JWT"},
                           json.dumps(claims()).encode(), sec)],
        args=[S], log=r"algorithm not allowed")
    add("alg 'None' spelled otherwise", "PAM_AUTH_ERR",
        lambda: [raw_token({"alg": "None"}, json.dumps(claims()).encode(),
                           sec)], args=[S])
    add("alg HS256 header on a token verified by an RSA key "
        "(key confusion: HMAC with the public PEM as secret)",
        "PAM_AUTH_ERR",
        lambda: [raw_token({"alg": "HS256", "typ": "JWT"},
                           json.dumps(claims()).encode(),
                           open(w.pem["rsa"], "rb").read())],
        args=[RSA], log=r"algorithm not allowed|no key")
    add("HS384 token with a 32-byte secret (too short for HS384)",
        "PAM_AUTH_ERR",
        lambda: [hs(alg="HS384",
                    key=open(w.p("keys", "secret-32"), "rb").read().strip())],
        args=["secret_file=" + w.p("keys", "secret-32")])
    add("ES256 token against a P-384 key", "PAM_AUTH_ERR",
        lambda: [jwt.encode(claims(), w.ec256, algorithm="ES256")],
        args=["public_key_file=" + w.pem["ec384"]])
    add("expired (exp an hour ago)", "PAM_AUTH_ERR",
        lambda: [hs(claims(exp=rel(-3600), iat=rel(-7200)))], args=[S],
        log=r"rejected: token expired", valgrind=True)
    add("expired 30 s ago: inside the default leeway (60)", "PAM_SUCCESS",
        lambda: [hs(claims(exp=rel(-30), iat=rel(-600)))], args=[S])
    add("expired 30 s ago with leeway=0", "PAM_AUTH_ERR",
        lambda: [hs(claims(exp=rel(-30), iat=rel(-600)))],
        args=[S, "leeway=0"], log=r"token expired")
    add("expired 90 s ago with leeway=120", "PAM_SUCCESS",
        lambda: [hs(claims(exp=rel(-90), iat=rel(-600)))],
        args=[S, "leeway=120"])
    add("expired 90 s ago with the default leeway", "PAM_AUTH_ERR",
        lambda: [hs(claims(exp=rel(-90), iat=rel(-600)))], args=[S],
        log=r"token expired")
    add("nbf an hour ahead", "PAM_AUTH_ERR",
        lambda: [hs(claims(nbf=rel(3600)))], args=[S],
        log=r"rejected: token not yet valid")
    add("nbf 30 s ahead: inside the leeway", "PAM_SUCCESS",
        lambda: [hs(claims(nbf=rel(30)))], args=[S])
    add("nbf 30 s ahead with leeway=0", "PAM_AUTH_ERR",
        lambda: [hs(claims(nbf=rel(30)))], args=[S, "leeway=0"],
        log=r"not yet valid")
    add("iat an hour ahead (beyond leeway)", "PAM_AUTH_ERR",
        lambda: [hs(claims(iat=rel(3600), exp=rel(4000)))], args=[S],
        log=r"rejected: token not yet valid")
    add("iat 30 s ahead: inside the leeway", "PAM_SUCCESS",
        lambda: [hs(claims(iat=rel(30)))], args=[S])
    add("missing exp", "PAM_AUTH_ERR", lambda: [hs(claims(exp=DEL))],
        args=[S], log=r"rejected: claim missing or wrong: token has no 'exp'")
    add("exp not a number", "PAM_AUTH_ERR",
        lambda: [hs(claims(exp=str(rel(600))))], args=[S])
    add("wrong iss", "PAM_AUTH_ERR",
        lambda: [hs(claims(iss="https://evil.example"))],
        args=[S, "issuer=https://idp.example"],
        log=r"rejected: issuer not accepted")
    add("missing iss while issuer is configured", "PAM_AUTH_ERR",
        lambda: [hs()], args=[S, "issuer=https://idp.example"])
    add("iss one of a list", "PAM_SUCCESS",
        lambda: [hs(claims(iss="https://b.example"))],
        args=[S, "issuer=https://a.example,https://b.example"])
    add("aud string matches", "PAM_SUCCESS",
        lambda: [hs(claims(aud="ssh"))], args=[S, "audience=ssh"])
    add("aud array contains one", "PAM_SUCCESS",
        lambda: [hs(claims(aud=["web", "ssh"]))],
        args=[S, "audience=sudo,ssh"])
    add("wrong aud", "PAM_AUTH_ERR", lambda: [hs(claims(aud="web"))],
        args=[S, "audience=ssh"], log=r"rejected: audience not accepted")
    add("wrong aud array", "PAM_AUTH_ERR",
        lambda: [hs(claims(aud=["web", "mail"]))], args=[S, "audience=ssh"])
    add("missing aud while audience is configured", "PAM_AUTH_ERR",
        lambda: [hs()], args=[S, "audience=ssh"], log=r"audience")
    add("aud present, no audience configured (RFC 7519 4.1.3)",
        "PAM_AUTH_ERR", lambda: [hs(claims(aud="ssh"))], args=[S],
        log=r"rejected: audience not accepted")
    add("typ required and matching (case-insensitive)", "PAM_SUCCESS",
        lambda: [hs()], args=[S, "typ=jwt"])
    add("typ required, token has at+jwt", "PAM_AUTH_ERR",
        lambda: [hs(headers={"typ": "at+jwt"})], args=[S, "typ=JWT"],
        log=r"typ not accepted")
    add("require_claim scope word present", "PAM_SUCCESS",
        lambda: [hs(claims(scope="openid sudo"))],
        args=[S, "require_claim=scope=sudo"])
    add("require_claim scope word absent", "PAM_AUTH_ERR",
        lambda: [hs(claims(scope="openid sudoers"))],
        args=[S, "require_claim=scope=sudo"], log=r"claim")
    add("max_ttl exceeded", "PAM_AUTH_ERR",
        lambda: [hs(claims(exp=rel(3600)))], args=[S, "max_ttl=600"],
        log=r"lifetime not accepted")
    add("max_age exceeded", "PAM_AUTH_ERR",
        lambda: [hs(claims(iat=rel(-7200), exp=rel(600)))],
        args=[S, "max_age=3600"], log=r"lifetime not accepted")
    add("token for bob while PAM_USER=alice", "PAM_AUTH_ERR",
        lambda: [hs(claims(sub="bob"))], args=[S],
        log=r"rejected: user not accepted: .*'bob'.*'alice'", valgrind=True)
    add("token for bob, PAM_USER=bob", "PAM_SUCCESS",
        lambda: [hs(claims(sub="bob"))], args=[S], user="bob")
    add("token for 'Alice' while PAM_USER=alice", "PAM_AUTH_ERR",
        lambda: [hs(claims(sub="Alice"))], args=[S])
    add("token for 'Alice', PAM_USER unset", "PAM_SUCCESS",
        lambda: [hs(claims(sub="Alice"))], args=[S], user="-",
        want_user="Alice")
    add("uid 2 below min_uid (default 1000)", "PAM_AUTH_ERR",
        lambda: [hs(claims(sub="bin"))], args=[S], user="bin",
        log=r"rejected: account not allowed: .*uid 2")
    add("uid 2 with min_uid=2", "PAM_SUCCESS",
        lambda: [hs(claims(sub="bin"))], args=[S, "min_uid=2"], user="bin")
    add("uid 1001 below min_uid=1002", "PAM_AUTH_ERR",
        lambda: [hs()], args=[S, "min_uid=1002"])
    add("root without allow_root", "PAM_AUTH_ERR",
        lambda: [hs(claims(sub="root"))], args=[S], user="root",
        log=r"rejected: account not allowed: 'root' has uid 0")
    add("root without allow_root, PAM_USER unset: stays unset",
        "PAM_AUTH_ERR", lambda: [hs(claims(sub="root"))], args=[S], user="-")
    add("root with allow_root", "PAM_SUCCESS",
        lambda: [hs(claims(sub="root"))], args=[S, "allow_root"],
        user="root")
    add("root with allow_root=yes and min_uid=1000 (root is allow_root's)",
        "PAM_SUCCESS", lambda: [hs(claims(sub="root"))],
        args=[S, "allow_root=yes", "min_uid=1000"], user="-",
        want_user="root")
    for label, sub in (("a space", "alice smith"),
                       ("a path", "../../etc/passwd"),
                       ("leading '-'", "-alice"),
                       ("leading '.'", ".alice"),
                       ("all digits", "1001"),
                       ("a newline", "alice\n"),
                       ("an escape sequence", "alice\x1b[31m"),
                       ("33 characters", "a" * 33),
                       ("empty", ""),
                       ("non-ASCII", "\u00e4lice"),
                       ("an '@'", "alice@example.com"),
                       ("a number", 1001),
                       ("an array", ["alice"]),
                       ("missing", DEL)):
        add("user claim not a valid name (%s)" % label, "PAM_AUTH_ERR",
            lambda sub=sub: [hs(claims(sub=sub))], args=[S],
            log=r"rejected: user not accepted")
    add("user_claim=preferred_username", "PAM_SUCCESS",
        lambda: [hs(claims(sub="00u1x2y3", preferred_username="alice"))],
        args=[S, "user_claim=preferred_username"])
    add("user_map: '*@example.com %u'", "PAM_SUCCESS",
        lambda: [hs(claims(sub="alice@example.com"))],
        args=[S, "user_map=" + w.user_map])
    add("user_map: exact line wins", "PAM_SUCCESS",
        lambda: [hs(claims(sub="bob@partner.example"))],
        args=[S, "user_map=" + w.user_map])
    add("user_map: no line matches", "PAM_AUTH_ERR",
        lambda: [hs(claims(sub="alice@evil.example"))],
        args=[S, "user_map=" + w.user_map], log=r"matches no line")

    def sized(total, key=sec):
        """An HS256 token of exactly `total` characters, padded in a claim
        (one header spelling or the other reaches every length)."""
        for headers in (None, {"kid": "k"}, {"kid": "kk"}):
            base = len(hs(claims(pad=""), headers=headers, key=key))
            for extra in range(0, 12):
                n = max(0, (total - base) * 3 // 4 - 6 + extra)
                t = hs(claims(pad="x" * n), headers=headers, key=key)
                if len(t) == total:
                    return t
        raise RuntimeError("cannot make a token of %d characters" % total)
    add("exactly 16384 characters: accepted", "PAM_SUCCESS",
        lambda: [sized(16384)], args=[S], prompts=1)
    add("16385 characters: too long", "PAM_AUTH_ERR",
        lambda: [sized(16385)], args=[S], prompts=1,
        log=r"rejected: token too long", valgrind=True)
    add("16384 characters with a newline around: accepted", "PAM_SUCCESS",
        lambda: ["\n" + sized(16384) + "\r\n"], args=[S])
    add("64 KiB token: too long", "PAM_AUTH_ERR",
        lambda: [sized(65536)], args=[S], log=r"token too long")
    add("unparseable header (not JSON)", "PAM_AUTH_ERR",
        ["eyJub3QganNvbg.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl"
         "c2lnbmF0dXJlc2lnbmF0dXJlc2lnbmF0dXI"], args=[S])
    add("payload not JSON (signed)", "PAM_AUTH_ERR",
        lambda: [raw_token({"alg": "HS256"}, b"not json at all", sec)],
        args=[S], log=r"malformed")
    add("payload a JSON array (signed)", "PAM_AUTH_ERR",
        lambda: [raw_token({"alg": "HS256"}, b"[1,2,3]", sec)], args=[S])
    add("duplicate claim names (signed)", "PAM_AUTH_ERR",
        lambda: [raw_token({"alg": "HS256"}, (
            '{"sub":"bob","sub":"alice","exp":%d}' % rel(600)).encode(),
            sec)], args=[S])
    add("header with crit (signed)", "PAM_AUTH_ERR",
        lambda: [hs(headers={"crit": ["exp"]})], args=[S],
        log=r"unacceptable header")
    add("kid that no key has", "PAM_AUTH_ERR",
        lambda: [jwt.encode(claims(), w.rsa, algorithm="RS256",
                            headers={"kid": "nobody"})],
        args=["jwks_file=" + w.jwks_pub], log=r"no key")
    add("JWK Set EC key not on its curve: PAM_AUTHINFO_UNAVAIL, as pamjwt "
        "verify says (the continuation check builds no key)",
        "PAM_AUTHINFO_UNAVAIL",
        lambda: [jwt.encode(claims(), w.ec256, algorithm="ES256",
                            headers={"kid": "ec-off"})],
        args=["jwks_file=" + w.jwks_offcurve],
        log=r"rejected: key unavailable: .*not a point on prime256v1")
    add("JWK Set with an EC key not on its curve: the other keys still work",
        "PAM_SUCCESS",
        lambda: [jwt.encode(claims(), w.ec256, algorithm="ES256",
                            headers={"kid": "ec-256"})],
        args=["jwks_file=" + w.jwks_offcurve])
    add("kid of a key of another type (ES256 key for RS256)",
        "PAM_AUTH_ERR",
        lambda: [jwt.encode(claims(), w.rsa, algorithm="RS256",
                            headers={"kid": "ec-256"})],
        args=["jwks_file=" + w.jwks_pub])
    replay = w.p("replay")
    add("single_use: first use accepted, replay rejected",
        ["PAM_SUCCESS", "PAM_AUTH_ERR"],
        lambda: [hs(claims(jti=secrets.token_hex(8),
                           iss="https://idp.example"))],
        args=[S, "single_use", "replay_cache=" + replay],
        log=r"(accepted: .*jti=|rejected: token already used)",
        valgrind=True)
    add("single_use: token without jti", "PAM_AUTH_ERR",
        lambda: [hs()], args=[S, "single_use", "replay_cache=" + replay],
        log=r"jti")
    # ---- 4. unknown account: PAM_USER_UNKNOWN --------------------------
    add("no account 'carol', PAM_USER=carol", "PAM_USER_UNKNOWN",
        lambda: [hs(claims(sub="carol"))], args=[S], user="carol",
        log=r"rejected: unknown user: no local account 'carol'",
        valgrind=True)
    add("no account 'carol', PAM_USER unset", "PAM_USER_UNKNOWN",
        lambda: [hs(claims(sub="carol"))], args=[S], user="-")
    add("no account 'carol', PAM_USER=alice", "PAM_USER_UNKNOWN",
        lambda: [hs(claims(sub="carol"))], args=[S])
    add("user_map to an account that does not exist", "PAM_USER_UNKNOWN",
        lambda: [hs(claims(sub="carol@example.com"))],
        args=[S, "user_map=" + w.user_map], user="-")

    # ---- 5. key material: PAM_AUTHINFO_UNAVAIL --------------------------
    def unavail(label, args, tok=None, log=r"rejected: key unavailable",
                valgrind=False, replay_real=False):
        add("key: %s" % label, "PAM_AUTHINFO_UNAVAIL",
            tok or (lambda: [hs()]), args=args, log=log, valgrind=valgrind,
            replay_real=replay_real)
    unavail("secret file missing",
            ["secret_file=" + w.p("keys", "missing")], valgrind=True)
    unavail("secret readable by group (0640)",
            ["secret_file=" + w.p("keys", "secret-0640")],
            log=r"key unavailable: .*unsafe permissions 0640")
    unavail("secret readable by others (0604)",
            ["secret_file=" + w.p("keys", "secret-0604")])
    unavail("secret shorter than 32 bytes",
            ["secret_file=" + w.p("keys", "secret-short")])
    unavail("weak secret (2 distinct bytes)",
            ["secret_file=" + w.p("keys", "secret-weak")], log=r"weak")
    unavail("secret is a symbolic link",
            ["secret_file=" + w.p("keys", "secret-link")],
            log=r"symbolic link")
    unavail("secret is a directory",
            ["secret_file=" + w.p("keys", "secret-dir")])
    rs = lambda: [jwt.encode(claims(), w.rsa, algorithm="RS256")]
    unavail("public key writable by group (0664)",
            ["public_key_file=" + w.pem["rsa-0664"]], rs,
            log=r"unsafe permissions 0664")
    unavail("public key writable by others (0646)",
            ["public_key_file=" + w.pem["rsa-0646"]], rs)
    unavail("malformed PEM", ["public_key_file=" + w.pem["malformed"]], rs,
            log=r"malformed", valgrind=True)
    unavail("RSA-1024", ["public_key_file=" + w.pem["rsa1024"]],
            lambda: [jwt.encode(claims(), w.rsa1024, algorithm="RS256")],
            log=r"1024 bits")
    unavail("private key PEM as public_key_file",
            ["public_key_file=" + w.pem["private"]], rs)
    unavail("two PEM blocks", ["public_key_file=" + w.pem["two"]], rs)
    unavail("EC key on secp256k1", ["public_key_file=" + w.pem["k256k1"]],
            lambda: [jwt.encode(claims(), w.ec256, algorithm="ES256")])
    unavail("public key file missing",
            ["public_key_file=" + w.p("keys", "missing.pem")], rs)
    unavail("JWK Set with an oct key readable by others (RS256 token)",
            ["jwks_file=" + w.jwks_oct_0644], rs)
    unavail("JWK Set with an oct key readable by others (HS256 token "
            "with its kid)", ["jwks_file=" + w.jwks_oct_0644],
            lambda: [hs(headers={"kid": "hs-1"})])
    unavail("JWK Set with an unusable (short) oct key readable by others",
            ["jwks_file=" + w.jwks_short_oct_0644], rs)
    unavail("JWK Set with a private RSA member",
            ["jwks_file=" + w.jwks_private], rs)
    unavail("JWK Set with a duplicate kid", ["jwks_file=" + w.jwks_dup], rs)
    unavail("JWK Set not JSON", ["jwks_file=" + w.jwks_garbage], rs)
    unavail("replay_cache is a regular file (single_use)",
            [S, "single_use", "replay_cache=" + w.cfg_empty],
            lambda: [hs(claims(jti="j1"))],
            log=r"rejected: replay store unavailable", replay_real=True)
    unavail("replay_cache directory mode 0755 (single_use)",
            [S, "single_use", "replay_cache=" + w.p("replay-0755")],
            lambda: [hs(claims(jti="j2"))], log=r"replay store unavailable",
            replay_real=True)

    # ---- 6. configuration errors: PAM_SERVICE_ERR, before any prompt ---
    def conf(label, args, log=r"configuration error: ", valgrind=False):
        add("config: %s" % label, "PAM_SERVICE_ERR", lambda: [hs()],
            args=args, prompts=0, log=log, valgrind=valgrind)
    conf("unknown option", [S, "frobnicate=1"], log=r"unknown option "
         r"'frobnicate'", valgrind=True)
    conf("unknown bare flag", [S, "nodelay"])
    conf("misspelt option (alow_root)", [S, "alow_root"])
    conf("malformed leeway", [S, "leeway=abc"], log=r"leeway")
    conf("negative leeway", [S, "leeway=-5"])
    conf("leeway out of range", [S, "leeway=86401"])
    conf("malformed min_uid", [S, "min_uid=1k"])
    conf("flag with a bad value", [S, "allow_root=maybe"])
    conf("max_ttl=0", [S, "max_ttl=0"])
    conf("empty value", [S, "issuer="])
    conf("empty list item", [S, "audience=ssh,,sudo"])
    conf("require_claim without '='", [S, "require_claim=scope"])
    conf("relative secret_file", ["secret_file=keys/secret"])
    conf("option given twice", [S, "leeway=1", "leeway=2"])
    conf("use_first_pass with try_first_pass",
         [S, "use_first_pass", "try_first_pass"])
    conf("missing named config file",
         ["config=" + w.p("conf", "nonexistent.conf")], valgrind=True)
    conf("relative config path", ["config=conf/empty.conf", S])
    conf("config given twice",
         ["config=" + w.cfg_empty, "config=" + w.cfg_empty, S])
    conf("no key source", [], log=r"no key source")
    conf("no key source, config file has none either",
         ["config=" + w.cfg_empty, "debug"])
    conf("algorithms=none", [S, "algorithms=none"], log=r"algorithms")
    conf("algorithms=HS256,none", [S, "algorithms=HS256,none"])
    conf("algorithms=hs256 (names are case-sensitive)",
         [S, "algorithms=hs256"])
    conf("algorithms=RS256 with only an HMAC secret",
         [S, "algorithms=RS256"], log=r"fits")
    conf("config file writable by group", ["config=" + w.cfg_0664])
    conf("config file with an unknown key", ["config=" + w.cfg_unknown],
         log=r"unknown.conf:2: unknown option")
    conf("config file with a bad section line",
         ["config=" + w.cfg_badsection])
    conf("config file sets 'config'", ["config=" + w.cfg_config_key, S])
    conf("unknown key in another service's section",
         ["config=" + w.cfg_bad_other_section])
    for svc in ("svc-a", "svc-b", "other-svc"):
        add("config: a service's section twice breaks every service (%s)" %
            svc, "PAM_SERVICE_ERR", lambda: [hs()],
            args=["config=" + w.cfg_twice], service=svc, prompts=0,
            log=r"configuration error: .*section-twice\.conf:6: a second "
                r"\[service svc-a\] section")

    # ---- 7. white space around the token --------------------------------
    for label, fmt in (("a trailing newline", "%s\n"),
                       ("spaces and a newline", "  %s\n"),
                       ("tab and CRLF", "\t%s \r\n"),
                       ("leading newline", "\n%s")):
        add("white space around the token (%s)" % label, "PAM_SUCCESS",
            lambda fmt=fmt: [fmt % hs()], args=[S], prompts=1)

    # ---- sshd's placeholder for an account it will not log in (12.5) ----
    junk = "\b\n\r\x7fINCORRECT"
    placeholder = (junk * 40)[:300]   # sshd repeats it to the answer's length
    add("sshd's placeholder answer for an unknown account: PAM_USER_UNKNOWN, "
        "said so", "PAM_USER_UNKNOWN", [placeholder], args=[S], user="carol",
        log=r"rejected: unknown user: sshd passed its placeholder instead of "
            r"the answer: there is no account 'carol' on this host; user=carol")
    add("sshd's placeholder answer for an existing account (root, "
        "PermitRootLogin): PAM_AUTH_ERR, said so", "PAM_AUTH_ERR",
        [placeholder], args=[S],
        log=r"rejected: user not accepted: sshd passed its placeholder "
            r"instead of the answer: it will not log 'alice' in")
    for n in (1, 2, 14, 16, 17, 1023):
        add("sshd's placeholder of %d bytes (trimmed as any answer) is "
            "recognised" % n, "PAM_USER_UNKNOWN", [(junk * 80)[:n]], args=[S],
            user="carol", log=r"there is no account 'carol'")
    add("a password that merely contains INCORRECT is still a password",
        "PAM_IGNORE", ["INCORRECT"], args=[S])
    add("a password that starts like sshd's placeholder but differs is still "
        "a password", "PAM_IGNORE", [junk + "x"], args=[S], user="carol")

    # ---- 8. [service NAME] sections --------------------------------------
    CS = "config=" + w.cfg_sections
    for svc, aud, iss, want in (
            ("svc-a", "aud-a", None, "PAM_SUCCESS"),
            ("svc-a", "global-aud", None, "PAM_AUTH_ERR"),
            ("svc-b", "aud-b", "https://b.example", "PAM_SUCCESS"),
            ("svc-b", "aud-b", None, "PAM_AUTH_ERR"),
            ("svc-b", "aud-a", "https://b.example", "PAM_AUTH_ERR"),
            ("other-svc", "global-aud", None, "PAM_SUCCESS"),
            ("other-svc", "aud-a", None, "PAM_AUTH_ERR")):
        c = {"aud": aud}
        if iss:
            c["iss"] = iss
        add("config section: service %s, aud %s%s" % (
            svc, aud, ", iss" if iss else ""), want,
            lambda c=c: [hs(claims(**c))], args=[CS], service=svc)
    add("config section overridden by an argument (arg-aud accepted)",
        "PAM_SUCCESS", lambda: [hs(claims(aud="arg-aud"))],
        args=[CS, "audience=arg-aud"], service="svc-a")
    add("config section overridden by an argument (aud-a refused)",
        "PAM_AUTH_ERR", lambda: [hs(claims(aud="aud-a"))],
        args=[CS, "audience=arg-aud"], service="svc-a")
    # a section (or the arguments) naming a key source replaces the
    # global key sources instead of adding to them (issue 12.2)
    KS = "config=" + w.cfg_keysrc
    rs256 = lambda: [jwt.encode(claims(), w.rsa, algorithm="RS256")]
    add("key sources: a section's public_key_file replaces the global "
        "secret_file (HS256 refused)", "PAM_AUTH_ERR", lambda: [hs()],
        args=[KS], service="svc-rsa", log=r"algorithm not allowed")
    add("key sources: a section's public_key_file verifies RS256",
        "PAM_SUCCESS", rs256, args=[KS], service="svc-rsa")
    add("key sources: a section without key sources keeps the global ones",
        "PAM_SUCCESS", lambda: [hs(claims(aud="aud-x"))], args=[KS],
        service="svc-aud")
    add("key sources: other services keep the global secret (RS256 refused)",
        "PAM_AUTH_ERR", rs256, args=[KS], service="other-svc")
    add("key sources: an argument's jwks_file replaces the file's sources",
        "PAM_AUTH_ERR", lambda: [hs()],
        args=[KS, "jwks_file=" + w.jwks_pub], service="other-svc")
    add("key sources: two arguments together make the set",
        "PAM_SUCCESS", rs256,
        args=[KS, "secret_file=" + w.secret_file, "public_key_file=" +
              w.pem["rsa"]], service="other-svc")
    add("config section through a stack (service name from pam_start)",
        "PAM_SUCCESS", lambda: [hs(claims(aud="global-aud"))],
        stack="auth required %s %s\n" % (M, CS), decisions=1)

    # ---- 9. continuation prompts -----------------------------------------
    def long_rs(n=2600, alg="RS256", key=None):
        return jwt.encode(claims(pad="y" * n), key or w.rsa, algorithm=alg)

    def pieces(tok, size):
        return [tok[i:i + size] for i in range(0, len(tok), size)]

    def part_prompts(n):
        return [r"^prompt: Token \(part %d\): $" % i for i in range(2, n + 1)]

    t = long_rs()
    np_ = len(pieces(t, 500))
    add("long RS256 token (%d chars) in 500-char parts" % len(t),
        "PAM_SUCCESS", lambda: pieces(long_rs(), 500), args=[RSA],
        prompts=np_, has=[r"^prompt: Token: $"] + part_prompts(np_),
        lacks=[r"part %d\)" % (np_ + 1)], valgrind=True)
    # a person who pasted it whole at ssh (cut at 1023) is told why the
    # module asks again, once, before the first part prompt (issue 12.6)
    add("a token cut at 1023 characters: one message says why part 2 is "
        "asked, then the rest completes it", "PAM_SUCCESS",
        lambda: (lambda tk: [tk[:1023], tk[1023:]])(long_rs()), args=[RSA],
        prompts=2, has=[r"^message: The token was cut at 1023 characters "
                        r"\(the most the ssh client sends in one answer\)\.  "
                        r"Paste the rest at the next prompts",
                        r"^prompt: Token \(part 2\): $"],
        lacks=[r"part 3\)"])
    add("a token in 500-character pieces (askpass, sudo -A): no message, "
        "which sudo would print on standard output", "PAM_SUCCESS",
        lambda: pieces(long_rs(), 500), args=[RSA], prompts=np_,
        lacks=[r"^message: "])
    add("long RS256 token in parts, PAM_USER unset", "PAM_SUCCESS",
        lambda: pieces(long_rs(), 500), args=[RSA], user="-",
        want_user="alice", prompts=np_)
    add("long token in parts, each with a pasted newline", "PAM_SUCCESS",
        lambda: [p + "\n" for p in pieces(long_rs(), 500)], args=[RSA],
        prompts=np_)
    add("long token in 200-char parts (cut inside the signature)",
        "PAM_SUCCESS", lambda: pieces(long_rs(), 200), args=[RSA],
        prompts=len(pieces(t, 200)))
    add("long EdDSA token in 300-char parts", "PAM_SUCCESS",
        lambda: pieces(long_rs(1500, "EdDSA", w.ed), 300),
        args=["public_key_file=" + w.pem["ed"]])
    add("long ES512 token from the JWK Set in 400-char parts", "PAM_SUCCESS",
        lambda: pieces(jwt.encode(claims(pad="z" * 1200), w.ec521,
                                  algorithm="ES512",
                                  headers={"kid": "ec-521"}), 400),
        args=["jwks_file=" + w.jwks])
    add("long token whole in one answer: no part prompt", "PAM_SUCCESS",
        lambda: [long_rs()], args=[RSA], prompts=1, lacks=[r"part 2",
                                                           r"^message: "])
    add("cut token: two parts, then an empty answer", "PAM_AUTH_ERR",
        lambda: pieces(long_rs(), 500)[:2], args=[RSA], prompts=3,
        has=part_prompts(3), lacks=[r"part 4\)"], log=r"rejected: ")
    add("cut token: all but the last part (cut inside the payload), then "
        "an empty answer", "PAM_AUTH_ERR",
        lambda: pieces(long_rs(), 500)[:-1], args=[RSA], prompts=np_,
        log=r"rejected: ")
    add("cut token: header only, then an empty answer", "PAM_AUTH_ERR",
        lambda: [long_rs().split(".")[0]], args=[RSA], prompts=2,
        log=r"rejected: ")
    add("cut token: cut inside the signature, then an empty answer",
        "PAM_AUTH_ERR", lambda: pieces(long_rs()[:-100], 500), args=[RSA],
        prompts=len(pieces(t[:-100], 500)) + 1, log=r"rejected: ")
    add("cut short token: signature half there, then an empty answer",
        "PAM_AUTH_ERR", lambda: [hs()[:-20]], args=[S], prompts=2,
        has=part_prompts(2), log=r"rejected: ")
    add("short token: never asked for part 2", "PAM_SUCCESS",
        lambda: [hs()], args=[S], prompts=1, lacks=[r"part"])
    add("plain password: never asked for part 2", "PAM_IGNORE",
        ["Tr0ub4dor&3"], args=[S], prompts=1, lacks=[r"part"])
    add("parts past 16 KiB: stop asking, too long", "PAM_AUTH_ERR",
        lambda: pieces(long_rs(20000), 500), args=[RSA],
        log=r"token too long",
        lacks=[r"part %d\)" % (16384 // 500 + 3)])

    # ---- 10. real stacks ----------------------------------------------
    req = "auth required %s config=%s %s\n" % (M, w.cfg_empty, S)
    add("stack required: expired", "PAM_AUTH_ERR",
        lambda: [hs(claims(exp=rel(-3600)))], stack=req, decisions=1)
    add("stack required: a password (PAM_IGNORE alone -> PAM_PERM_DENIED)",
        "PAM_PERM_DENIED", ["hunter2-Secret"], stack=req, decisions=1)
    add("stack required: unknown account", "PAM_USER_UNKNOWN",
        lambda: [hs(claims(sub="carol"))], stack=req, user="carol",
        decisions=1)
    add("stack required: missing secret", "PAM_AUTHINFO_UNAVAIL",
        lambda: [hs()], stack="auth required %s config=%s secret_file=%s\n"
        % (M, w.cfg_empty, w.p("keys", "missing")), decisions=1)
    add("stack required: configuration error", "PAM_SERVICE_ERR",
        lambda: [hs()], stack="auth required %s config=%s %s bogus\n"
        % (M, w.cfg_empty, S), prompts=0, decisions=1)

    tp = "auth sufficient %s config=%s %s\n" % (M, w.cfg_empty, S)
    add("token or password: a password falls through, PAM_AUTHTOK set",
        "PAM_SUCCESS", ["hunter2-Secret"],
        stack=tp + "auth required %s expect=hunter2-Secret\n" % H,
        prompts=1, decisions=1, has=[r"set_authtok: authtok matches"],
        valgrind=True)
    add("token or password: a wrong password fails in the next module",
        "PAM_AUTH_ERR", ["letmein-Wrong"],
        stack=tp + "auth required %s expect=hunter2-Secret\n" % H,
        prompts=1, has=[r"set_authtok: authtok differs"])
    add("token or password: a token succeeds, next module never runs",
        "PAM_SUCCESS", lambda: [hs()],
        stack=tp + "auth required %s expect=hunter2-Secret\n" % H,
        prompts=1, lacks=[r"set_authtok:"])
    add("token or password: a password beginning with eyJ still reaches "
        "the next module", "PAM_SUCCESS", ["eyJustMyPassword"],
        stack=tp + "auth required %s expect=eyJustMyPassword\n" % H,
        prompts=2, decisions=1, has=[r"set_authtok: authtok matches"])
    # after a success the verified token is not handed on (issue 11.9)
    req_s = "auth required %s config=%s %s" % (M, w.cfg_empty, S)
    kept = hs()
    add("after success, later modules get no PAM_AUTHTOK (the token is a "
        "bearer credential)", "PAM_SUCCESS", [kept],
        stack=req_s + "\nauth required %s expect_unset\n" % H, prompts=1,
        decisions=1, has=[r"set_authtok: authtok unset"], valgrind=True)
    add("after success with keep_authtok, later modules get the token",
        "PAM_SUCCESS", [kept],
        stack=req_s + " keep_authtok\nauth required %s expect=%s\n" % (
            H, kept), prompts=1, decisions=1,
        has=[r"set_authtok: authtok matches"])
    add("after success with use_first_pass, the earlier module's token is "
        "removed too", "PAM_SUCCESS", [],
        stack="auth required %s set=%s\n%s use_first_pass\n"
              "auth required %s expect_unset\n" % (H, kept, req_s, H),
        prompts=0, decisions=1, has=[r"set_authtok: authtok unset"])
    add("a refused token stays in PAM_AUTHTOK (as a password would)",
        "PAM_AUTH_ERR", lambda: [hs(claims(exp=rel(-3600)))],
        stack="auth optional %s config=%s %s\nauth required %s "
              "expect_unset\n" % (M, w.cfg_empty, S, H),
        prompts=1, decisions=1, has=[r"set_authtok: authtok set"])
    add("token or password: password then pam_permit", "PAM_SUCCESS",
        ["hunter2-Secret"], stack=tp + "auth required pam_permit.so\n",
        prompts=1)
    add("token or password: password then pam_deny", "PAM_AUTH_ERR",
        ["hunter2-Secret"], stack=tp + "auth required pam_deny.so\n",
        prompts=1)
    add("token or password: token then pam_deny", "PAM_SUCCESS",
        lambda: [hs()], stack=tp + "auth required pam_deny.so\n", prompts=1)
    add("token or password: expired token then pam_deny", "PAM_AUTH_ERR",
        lambda: [hs(claims(exp=rel(-3600)))],
        stack=tp + "auth required pam_deny.so\n", prompts=1,
        log=r"token expired")
    add("module's exact code inside a stack (call=): a password",
        "PAM_PERM_DENIED", ["hunter2-Secret"],
        stack="auth required %s call=%s config=%s %s\n" % (
            H, M, w.cfg_empty, S),
        prompts=1, has=[r"set_authtok: call returned PAM_IGNORE"])

    # ---- 11. use_first_pass / try_first_pass -----------------------------
    def setter(tok_fn):
        return lambda: "auth required %s set=%s\n" % (H, tok_fn())

    def first(opt, tok_fn, helper_call=False):
        def text():
            pre = "auth required %s set=%s\n" % (H, tok_fn()) if tok_fn \
                else ""
            if helper_call:
                return pre + "auth required %s call=%s config=%s %s %s\n" % (
                    H, M, w.cfg_empty, S, opt)
            return pre + "auth required %s config=%s %s %s\n" % (
                M, w.cfg_empty, S, opt)
        return text
    add("use_first_pass: a token from an earlier module", "PAM_SUCCESS", [],
        stack=first("use_first_pass", hs), prompts=0, decisions=1,
        valgrind=True)
    add("use_first_pass: PAM_USER unset, token from an earlier module",
        "PAM_SUCCESS", [], stack=first("use_first_pass", hs), user="-",
        want_user="alice", prompts=0)
    add("use_first_pass: nothing earlier", "PAM_AUTH_ERR", [],
        stack=first("use_first_pass", None), prompts=0, decisions=1,
        log=r"rejected: use_first_pass")
    add("use_first_pass: an expired token earlier", "PAM_AUTH_ERR", [],
        stack=first("use_first_pass",
                    lambda: hs(claims(exp=rel(-3600)))), prompts=0,
        log=r"token expired")
    add("use_first_pass: a password earlier (exact code PAM_IGNORE)",
        "PAM_PERM_DENIED", [],
        stack=first("use_first_pass", lambda: "hunter2-Secret", True),
        prompts=0, has=[r"set_authtok: call returned PAM_IGNORE"])
    add("use_first_pass: a token for bob earlier (exact code)",
        "PAM_AUTH_ERR", [],
        stack=first("use_first_pass", lambda: hs(claims(sub="bob")), True),
        prompts=0, has=[r"set_authtok: call returned PAM_AUTH_ERR"])
    add("try_first_pass: a token from an earlier module", "PAM_SUCCESS", [],
        stack=first("try_first_pass", hs), prompts=0, decisions=1)
    add("try_first_pass: nothing earlier, so it asks", "PAM_SUCCESS",
        lambda: [hs()], stack=first("try_first_pass", None), prompts=1,
        decisions=1)
    add("try_first_pass: a password earlier (exact code PAM_IGNORE, "
        "no prompt, as pam_unix)", "PAM_PERM_DENIED", [],
        stack=first("try_first_pass", lambda: "hunter2-Secret", True),
        prompts=0, has=[r"set_authtok: call returned PAM_IGNORE"])
    add("try_first_pass: an expired token earlier, not asked again "
        "(as pam_unix)", "PAM_AUTH_ERR", [],
        stack=first("try_first_pass", lambda: hs(claims(exp=rel(-3600)))),
        prompts=0)
    add("use_first_pass: token with white space around from earlier",
        "PAM_SUCCESS", [],
        stack=lambda: "auth required %s setfile=%s\n"
        "auth required %s config=%s %s use_first_pass\n" % (
            H, write(w.p("tok", "ws"), "  %s \n\n" % hs(), 0o600), M,
            w.cfg_empty, S), prompts=0)
    add("use_first_pass: long token (3 KiB) from earlier, no part prompts",
        "PAM_SUCCESS", [],
        stack=lambda: "auth required %s setfile=%s\n"
        "auth required %s config=%s %s use_first_pass\n" % (
            H, write(w.p("tok", "long"), long_rs(3000), 0o600), M,
            w.cfg_empty, RSA), prompts=0, lacks=[r"part"])
    add("two instances: the first asks and refuses (audience), the second "
        "(try_first_pass) takes the same token", "PAM_SUCCESS",
        lambda: [hs(claims(aud="sudo"))],
        stack="auth sufficient %s config=%s %s audience=ssh\n"
        "auth required %s config=%s %s audience=sudo try_first_pass\n" % (
            M, w.cfg_empty, S, M, w.cfg_empty, S),
        prompts=1, decisions=2)
    add("two instances: a password passes both as PAM_IGNORE",
        "PAM_SUCCESS", ["hunter2-Secret"],
        stack="auth sufficient %s config=%s %s\n"
        "auth sufficient %s config=%s %s try_first_pass\n"
        "auth required %s expect=hunter2-Secret\n" % (
            M, w.cfg_empty, S, M, w.cfg_empty, S, H),
        prompts=1, decisions=2, has=[r"authtok matches"])
    return C


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--san", action="store_true",
                    help="the build is ASan+UBSan (SAN=1)")
    ap.add_argument("--valgrind", action="store_true",
                    help="every driver run under valgrind memcheck")
    ap.add_argument("--all", action="store_true",
                    help="with --valgrind: every case, not the subset")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("-k", "--only", dest="filter",
                    help="only cases matching REGEX (make ... ONLY=REGEX)")
    ap.add_argument("-v", dest="verbose", action="store_true")
    opts = ap.parse_args()
    if opts.valgrind and not shutil.which("valgrind"):
        print("integration: valgrind is not installed")
        return 2
    w = World(opts.build)
    try:
        cases = build_cases(w)
        if opts.valgrind and not opts.all:
            cases = [c for c in cases if c.valgrind]
        if opts.filter:
            cases = [c for c in cases if re.search(opts.filter, c.name)]
        names = [c.name for c in cases]
        assert len(names) == len(set(names)), "duplicate case names"
        runner = Runner(w, opts)
        passed = failed = 0
        agree = {"compared": 0, "excluded": 0, "disagreed": 0}
        excluded = []
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(opts.jobs) as pool:
            results = pool.map(runner.run, cases)
            for c, (ok, msg, ag) in zip(cases, results):
                if ag is not None:
                    agree[ag[0]] += 1
                    if ag[0] == "excluded":
                        excluded.append((c.name, ag[1]))
                if ok:
                    passed += 1
                    note = ""
                    if ag is not None and ag[0] == "compared":
                        note = "  [pamjwt verify agrees%s]" % (
                            ": " + ag[1] if ag[1] else "")
                    print("ok    %s -> %s%s" % (c.name, "/".join(c.expect),
                                                note if opts.verbose else ""))
                else:
                    failed += 1
                    print("FAIL  %s: %s" % (c.name, msg))
                sys.stdout.flush()
        mode = " (valgrind)" if opts.valgrind else \
            " (ASan+UBSan)" if opts.san else ""
        for name, why in excluded:
            print("not compared with pamjwt verify: %s: %s" % (name, why))
        unknown = len(cases) - sum(agree.values())
        print("agreement with pamjwt verify: %d compared, %d excluded, "
              "%d disagreed%s" % (
                  agree["compared"], agree["excluded"], agree["disagreed"],
                  ", %d not reached (the case failed first)" % unknown
                  if unknown else ""))
        if opts.verbose:
            print("%d cases in %.1f s%s" % (len(cases), time.time() - start,
                                            mode))
        none = pjtest.only_matched_nothing("integration", opts.filter,
                                           passed + failed)
        print("integration: %d passed, %d failed" % (passed, failed))
        return 1 if failed or none else 0
    finally:
        w.close()


if __name__ == "__main__":
    sys.exit(main())
