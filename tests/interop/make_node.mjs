// make_node.mjs - the npm packages `jose` and `jsonwebtoken` as token makers.
//
//     node tests/interop/make_node.mjs WORK NOW
//
// Writes keys under WORK/jose/ and WORK/jsonwebtoken/ and prints one JSON
// line per cell of the interoperability matrix (protocol: tests/interop/run.py).
//
// jose: keys from jose.generateKeyPair / a random printable secret, public
// keys exported by jose.exportSPKI (PEM) and jose.exportJWK.
// jsonwebtoken: it has no key generation or export of its own, so its keys
// come from node:crypto (what jsonwebtoken signs with), the PEM from
// KeyObject.export({type: 'spki'}) and the JWK Set from jose.exportJWK of
// the same keys.  EdDSA is not among jsonwebtoken's algorithms: the cell is
// reported "unsupported" with the error jsonwebtoken gives.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as jose from 'jose';
import jsonwebtoken from 'jsonwebtoken';

const ALGS = ['HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256',
  'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const TYPES = ['hmac', 'rsa', 'p256', 'p384', 'p521', 'ed25519'];
const CURVE = { p256: 'P-256', p384: 'P-384', p521: 'P-521' };
const EC_ALG = { p256: 'ES256', p384: 'ES384', p521: 'ES512' };

const [work, nowArg] = process.argv.slice(2);
const now = Number(nowArg);
const claims = { sub: 'alice', iat: now, exp: now + 300 };
const ossl = path.join(work, 'openssl');

function keyType(alg) {
  if (alg.startsWith('HS')) return 'hmac';
  if (alg.startsWith('RS') || alg.startsWith('PS')) return 'rsa';
  if (alg === 'EdDSA') return 'ed25519';
  return { ES256: 'p256', ES384: 'p384', ES512: 'p521' }[alg];
}

function write(file, data, mode = 0o644) {
  fs.writeFileSync(file, data, { mode, flag: 'wx' });
  return file;
}

function emit(maker, entry) {
  process.stdout.write(JSON.stringify({ maker, ...entry }) + '\n');
}

// A 64-byte printable secret (48 random bytes in base64url).
function newSecret() {
  return crypto.randomBytes(48).toString('base64url');
}

// The module's rule for secret_file: the bytes, one trailing newline off.
function readSecretFile(file) {
  const s = fs.readFileSync(file, 'latin1');
  return s.endsWith('\n') ? s.slice(0, -1) : s;
}

// One maker: how it makes keys, exports them, and signs.
const makers = {
  jose: {
    async generate(t) {
      if (t === 'hmac') return newSecret();
      const alg = t === 'rsa' ? 'RS256' : t === 'ed25519' ? 'EdDSA' : EC_ALG[t];
      const opts = { extractable: true };
      if (t === 'rsa') opts.modulusLength = 2048;
      if (t === 'ed25519') opts.crv = 'Ed25519';
      return jose.generateKeyPair(alg, opts);
    },
    async pem(t, k) {
      return jose.exportSPKI(k.publicKey);
    },
    async jwk(t, k) {
      if (t === 'hmac') return jose.exportJWK(new TextEncoder().encode(k));
      return jose.exportJWK(k.publicKey);
    },
    async openssl(t, alg) {
      if (t === 'hmac')
        return readSecretFile(path.join(ossl, 'hmac.secret'));
      const pkcs8 = fs.readFileSync(path.join(ossl, t + '.key'), 'utf8');
      return { privateKey: await jose.importPKCS8(pkcs8, alg) };
    },
    async sign(alg, k, kid) {
      const key = typeof k === 'string' ? new TextEncoder().encode(k)
        : k.privateKey;
      const header = { alg };
      if (kid) header.kid = kid;
      return new jose.SignJWT({ ...claims }).setProtectedHeader(header)
        .sign(key);
    },
  },
  jsonwebtoken: {
    unsupported: { EdDSA: true },
    async generate(t) {
      if (t === 'hmac') return newSecret();
      if (t === 'rsa')
        return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
      if (t === 'ed25519') return crypto.generateKeyPairSync('ed25519');
      return crypto.generateKeyPairSync('ec', { namedCurve: CURVE[t] });
    },
    async pem(t, k) {
      return k.publicKey.export({ type: 'spki', format: 'pem' });
    },
    async jwk(t, k) {
      if (t === 'hmac') return jose.exportJWK(new TextEncoder().encode(k));
      return jose.exportJWK(k.publicKey);
    },
    async openssl(t) {
      if (t === 'hmac')
        return readSecretFile(path.join(ossl, 'hmac.secret'));
      // the PEM text as it is, the way jsonwebtoken is usually given keys
      return { privateKey: fs.readFileSync(path.join(ossl, t + '.key'), 'utf8') };
    },
    async sign(alg, k, kid) {
      const key = typeof k === 'string' ? k : k.privateKey;
      const opts = { algorithm: alg };
      if (kid) opts.keyid = kid;
      return jsonwebtoken.sign({ ...claims }, key, opts);
    },
  },
};

async function runMaker(name) {
  const m = makers[name];
  const out = path.join(work, name);
  fs.mkdirSync(out, { mode: 0o755 });
  const mainKey = {}, otherKey = {}, opensslKey = {}, opt = {};

  async function jwks(file, entries) {
    const keys = [];
    for (const [t, k, kid] of entries)
      keys.push({ ...(await m.jwk(t, k)), kid });
    const secret = entries.some(([t]) => t === 'hmac');
    return 'jwks_file=' + write(path.join(out, file),
      JSON.stringify({ keys }, null, 1) + '\n', secret ? 0o600 : 0o644);
  }

  for (const t of TYPES) {
    mainKey[t] = await m.generate(t);
    otherKey[t] = await m.generate(t);
    if (t === 'hmac') {
      opt[`${t}/file`] = 'secret_file=' +
        write(path.join(out, 'hmac.secret'), mainKey[t], 0o600);
      opt[`${t}/openssl`] = 'secret_file=' + path.join(ossl, 'hmac.secret');
    } else {
      opt[`${t}/file`] = 'public_key_file=' +
        write(path.join(out, t + '.pem'), await m.pem(t, mainKey[t]));
      opt[`${t}/openssl`] = 'public_key_file=' + path.join(ossl, t + '.pem');
    }
    opt[`${t}/jwks`] = await jwks(t + '.jwks',
      [[t, mainKey[t], `${name}-${t}`]]);
  }

  async function tryChecks(alg, list) {
    // list: [what, key, kid, expect]; signs each, or says why it cannot
    const checks = [];
    for (const [what, k, kid, expect] of list) {
      try {
        checks.push([what, await m.sign(alg, k, kid), expect]);
      } catch (e) {
        if (m.unsupported && m.unsupported[alg])
          return { unsupported: `${name} cannot sign ${alg}: ${e.message}` };
        return { error: `${name} failed to sign ${alg}: ${e.message}` };
      }
    }
    return { checks };
  }

  for (const alg of ALGS) {
    const t = keyType(alg);
    if (opensslKey[t] === undefined || opensslKey[t].alg !== alg)
      opensslKey[t] = { alg, key: await m.openssl(t, alg) };
    const cols = [['file', mainKey[t], null],
      ['jwks', mainKey[t], `${name}-${t}`],
      ['openssl', opensslKey[t].key, null]];
    for (const [col, k, kid] of cols) {
      const r = await tryChecks(alg, [
        ['signed by the key', k, kid, 'PAM_SUCCESS'],
        ['signed by another key', otherKey[t], kid, 'PAM_AUTH_ERR']]);
      emit(name, { table: 'matrix', row: alg, col, opt: opt[`${t}/${col}`], ...r });
    }
  }

  // Key selection: a set in rotation (old RSA, new EC, next Ed25519), and
  // tokens without kid when one or two keys fit.
  const oldK = `${name}-2023-rsa`, newK = `${name}-2024-ec`,
    nxtK = `${name}-2025-ed`;
  const rot = await jwks('rotation.jwks', [['rsa', mainKey.rsa, oldK],
    ['p256', mainKey.p256, newK], ['ed25519', mainKey.ed25519, nxtK]]);
  const one = await jwks('nokid-one.jwks', [['rsa', mainKey.rsa, oldK],
    ['p256', mainKey.p256, newK]]);
  const two = await jwks('nokid-two.jwks', [['p256', mainKey.p256, newK],
    ['p256', otherKey.p256, newK + '-b']]);
  const sel = async (row, o, cases) => {
    const checks = [];
    for (const [what, alg, k, kid, expect] of cases) {
      const r = await tryChecks(alg, [[what, k, kid, expect]]);
      if (!r.checks) {
        emit(name, { table: 'select', row, opt: o, ...r });
        return;
      }
      checks.push(...r.checks);
    }
    emit(name, { table: 'select', row, opt: o, checks });
  };
  await sel('kid: RSA (old)', rot, [
    ['RS256 kid old', 'RS256', mainKey.rsa, oldK, 'PAM_SUCCESS'],
    ['PS512 kid old', 'PS512', mainKey.rsa, oldK, 'PAM_SUCCESS'],
    ['RS256 kid old, another key', 'RS256', otherKey.rsa, oldK,
      'PAM_AUTH_ERR']]);
  await sel('kid: EC (new)', rot, [
    ['ES256 kid new', 'ES256', mainKey.p256, newK, 'PAM_SUCCESS'],
    ['ES256 kid new, another key', 'ES256', otherKey.p256, newK,
      'PAM_AUTH_ERR']]);
  await sel('kid: Ed25519 (next)', rot, [
    ['EdDSA kid next', 'EdDSA', mainKey.ed25519, nxtK, 'PAM_SUCCESS'],
    ['EdDSA kid next, another key', 'EdDSA', otherKey.ed25519, nxtK,
      'PAM_AUTH_ERR']]);
  await sel('kid names another key', rot, [
    ['ES256 by the new key, kid old', 'ES256', mainKey.p256, oldK,
      'PAM_AUTH_ERR'],
    ['ES256 by the new key, unknown kid', 'ES256', mainKey.p256,
      `${name}-gone`, 'PAM_AUTH_ERR']]);
  await sel('no kid, one key fits', one, [
    ['ES256 no kid', 'ES256', mainKey.p256, null, 'PAM_SUCCESS'],
    ['RS256 no kid', 'RS256', mainKey.rsa, null, 'PAM_SUCCESS'],
    ['ES256 no kid, another key', 'ES256', otherKey.p256, null,
      'PAM_AUTH_ERR']]);
  await sel('no kid, two keys fit', two, [
    ['ES256 no kid', 'ES256', mainKey.p256, null, 'PAM_AUTH_ERR'],
    ['ES256 with kid (the set is usable)', 'ES256', mainKey.p256, newK,
      'PAM_SUCCESS']]);
}

const only = process.argv[4];
for (const name of Object.keys(makers)) {
  if (only && only !== name) continue;
  await runMaker(name);
}
