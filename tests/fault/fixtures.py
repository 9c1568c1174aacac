#!/usr/bin/python3
"""fixtures.py OUTDIR SHIM

Write the fault-injection scenarios into OUTDIR (run by tests/fault.mk
with Debian's python3, which has python3-jwt and python3-cryptography).

Each scenario is a directory OUTDIR/<name>/ with
  args      module arguments, one a line ("@R" = a fresh replay_cache)
  answers   the conversation's answers, one a line
  user      PAM_USER ("" = unset)
  expect    (optional) PAM_AUTH_ERR: a token that must be rejected, under
            every fault too; without it the scenario must succeed
  prerun    (optional) present: the harness uses the token once first
Without faults each scenario must give exactly its expected result.
OUTDIR/pam.d/fault is the service: a stack of the one module SHIM (an
absolute path, tests/support/pam_shim.c built), through which the harness runs
pam_jwt's pam_sm_authenticate.
"""
import json
import os
import sys
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "support"))
import pjtest  # noqa: E402  (tests/support/pjtest.py)

write = pjtest.write


def main(out, shim):
    os.makedirs(out, exist_ok=True)
    os.chmod(out, 0o700)
    now = int(time.time())
    secret = b"fault-injection-secret-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEF"
    write(os.path.join(out, "secret"), secret + b"\n", 0o600)
    rk = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ek = ec.generate_private_key(ec.SECP256R1())
    dk = ed25519.Ed25519PrivateKey.generate()
    write(os.path.join(out, "rsa.pem"), rk.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo))

    def jwk(cls, key, kid):
        d = json.loads(cls.to_jwk(key.public_key()))
        d["kid"] = kid
        return d
    oct_key = json.loads(jwt.algorithms.HMACAlgorithm.to_jwk(secret))
    oct_key["kid"] = "oct1"
    # an EC key and an HMAC key (kid selection, oct needs mode 0600); the
    # Ed25519 key in a set of its own
    jwks = {"keys": [jwk(jwt.algorithms.ECAlgorithm, ek, "ec1"), oct_key]}
    write(os.path.join(out, "jwks.json"), json.dumps(jwks), 0o600)
    write(os.path.join(out, "ed.json"), json.dumps(
        {"keys": [jwk(jwt.algorithms.OKPAlgorithm, dk, "ed1")]}))
    os.makedirs(os.path.join(out, "pam.d"), exist_ok=True)
    write(os.path.join(out, "pam.d", "fault"), "auth required %s\n" % shim)
    write(os.path.join(out, "map"), "# map\n*@corp.example %u\n* %s\n")
    # the config file, with a section for the harness's service
    write(os.path.join(out, "pam_jwt.conf"),
          "issuer = https://idp.example\n"
          "audience = sshd\n"
          "[service fault]\n"
          "require_claim = scope=login\n")

    claims = {"sub": "alice", "iss": "https://idp.example", "aud": "sshd",
              "exp": now + 3600, "iat": now - 10, "nbf": now - 10,
              "jti": "fault-1", "scope": "login sudo",
              "email": "alice@corp.example"}
    conf = "config=" + os.path.join(out, "pam_jwt.conf")
    scen = {
        "hs256": ([conf, "secret_file=" + os.path.join(out, "secret")],
                  [jwt.encode(claims, secret, "HS256")], "alice"),
        "rs256": ([conf, "public_key_file=" + os.path.join(out, "rsa.pem"),
                   "algorithms=RS256,PS256"],
                  [jwt.encode(claims, rk, "RS256")], "alice"),
        "jwks-es256": ([conf, "jwks_file=" + os.path.join(out, "jwks.json")],
                       [jwt.encode(claims, ek, "ES256", headers={"kid": "ec1"})],
                       "alice"),
        "single_use": ([conf, "secret_file=" + os.path.join(out, "secret"),
                        "single_use", "replay_cache=@R"],
                       [jwt.encode(claims, secret, "HS256")], "alice"),
        # a long token typed in two parts, a user map, PAM_USER unset
        "parts-map": ([conf, "jwks_file=" + os.path.join(out, "ed.json"),
                       "user_claim=email",
                       "user_map=" + os.path.join(out, "map")],
                      None, ""),
    }
    tok = jwt.encode(claims, dk, "EdDSA", headers={"kid": "ed1"})
    scen["parts-map"] = (scen["parts-map"][0], [tok[:40], tok[40:]], "")
    # [issuer URL] sections (lib/bind.c): each issuer its own key source;
    # an unknown kid leaves a refresh request (lib/refresh.c)
    write(os.path.join(out, "issuers.conf"),
          "audience = sshd\n"
          "refresh_request = %s\n"
          "[issuer https://idp.example]\njwks_file = %s\n"
          "[issuer https://other.example]\nsecret_file = %s\n" %
          (os.path.join(out, "refresh-request"), os.path.join(out, "ed.json"),
           os.path.join(out, "secret")))
    iconf = "config=" + os.path.join(out, "issuers.conf")
    scen["issuer-sections"] = ([iconf], [tok], "alice")

    def badsig(t):
        # change one character inside the signature (still strict base64url)
        h, p, sg = t.split(".")
        i = len(sg) // 2
        return "%s.%s.%s%s%s" % (h, p, sg[:i], "A" if sg[i] != "A" else "B",
                                 sg[i + 1:])
    # tokens that must be rejected, whichever call fails
    reject = {
        "hs256-badsig": (scen["hs256"][0], [badsig(scen["hs256"][1][0])],
                         "alice"),
        "rs256-badsig": (scen["rs256"][0], [badsig(scen["rs256"][1][0])],
                         "alice"),
        "es256-badsig": (scen["jwks-es256"][0],
                         [badsig(scen["jwks-es256"][1][0])], "alice"),
        "hs256-otheruser": (scen["hs256"][0], scen["hs256"][1], "bob"),
        "single_use-replayed": scen["single_use"],
        # the other issuer's key signs a token claiming idp.example
        "issuer-cross": ([iconf], [jwt.encode(claims, secret, "HS256")],
                         "alice"),
        # a kid the set lacks: refused, a refresh requested
        "issuer-newkid": ([iconf], [jwt.encode(claims, dk, "EdDSA",
                                               headers={"kid": "ed2"})],
                          "alice"),
    }
    for name, (args, answers, user) in list(scen.items()) + list(reject.items()):
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        write(os.path.join(d, "args"), "".join(a + "\n" for a in args))
        write(os.path.join(d, "answers"), "".join(a + "\n" for a in answers))
        write(os.path.join(d, "user"), user + "\n")
        if name in reject:
            write(os.path.join(d, "expect"), "PAM_AUTH_ERR\n")
        if name == "single_use-replayed":
            write(os.path.join(d, "prerun"), "")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
