// verify_node.mjs - the npm package `jose` as the verifier of tokens that
// `pamjwt mint` made (the other direction of tests/interop/make_node.mjs).
//
//     node tests/interop/verify_node.mjs < CHECKS.json
//
// Standard input: a JSON array of checks
//   {"id", "alg", "token", "key": "spki"|"secret"|"jwks", "file",
//    "audience", "issuer"}
// where "file" is what `pamjwt keygen` wrote: PREFIX.pub (PEM
// SubjectPublicKeyInfo, imported with jose.importSPKI), PREFIX.secret (the
// bytes, one trailing newline removed, as the module and mint read it) or
// PREFIX.jwks (a JWK Set, used through jose.createLocalJWKSet, which picks the
// key by the token's kid and alg).
//
// Prints one JSON line per check:
//   {"id", "ok": true, "payload": {...}, "header": {...}}
// or {"id", "ok": false, "error": "CODE: message"}.
// jwtVerify is asked for exactly the algorithm, the audience, the issuer,
// typ JWT and the claims sub, exp, iat and jti; the time checks are jose's
// own (clock tolerance 0).  Exits 0 when every check ran, whatever the
// verdicts (the caller judges them), 1 on a broken input.
import fs from 'node:fs';
import * as jose from 'jose';

function secretBytes(file) {
  const b = fs.readFileSync(file);
  return b.length > 0 && b[b.length - 1] === 0x0a ? b.subarray(0, -1) : b;
}

async function keyFor(c) {
  if (c.key === 'secret') return new Uint8Array(secretBytes(c.file));
  if (c.key === 'spki')
    return jose.importSPKI(fs.readFileSync(c.file, 'utf8'), c.alg);
  if (c.key === 'jwks')
    return jose.createLocalJWKSet(JSON.parse(fs.readFileSync(c.file, 'utf8')));
  throw new Error(`unknown key kind ${c.key}`);
}

const checks = JSON.parse(fs.readFileSync(0, 'utf8'));
if (!Array.isArray(checks)) {
  process.stderr.write('verify_node.mjs: standard input is not a JSON array\n');
  process.exit(1);
}
for (const c of checks) {
  let out;
  try {
    const key = await keyFor(c);
    const opts = { algorithms: [c.alg], typ: 'JWT',
      requiredClaims: ['sub', 'exp', 'iat', 'jti'] };
    if (c.audience !== undefined) opts.audience = c.audience;
    if (c.issuer !== undefined) opts.issuer = c.issuer;
    const r = await jose.jwtVerify(c.token, key, opts);
    out = { id: c.id, ok: true, payload: r.payload, header: r.protectedHeader };
  } catch (e) {
    out = { id: c.id, ok: false, error: `${e.code || e.name}: ${e.message}` };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
