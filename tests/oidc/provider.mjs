// provider.mjs - a real OpenID Provider (the npm package oidc-provider,
// OpenID Certified) for pam_jwt's tests, on 127.0.0.1 with TLS.
//
//   node provider.mjs CONFIG.json
//
// CONFIG (JSON):
//   issuer        "https://127.0.0.1:PORT" (the provider's identifier)
//   port          TLS port on 127.0.0.1
//   admin_port    plain-HTTP admin hook on 127.0.0.1 (tests only, see below)
//   cert, key     PEM files of the server certificate and its key
//   keys_file     the provider's private JWK Set; made (one RS256 key) if
//                 absent, rewritten by the admin hook's /rotate
//   clients       oidc-provider client metadata, e.g. {"client_id": "svc",
//                 "client_secret": "...", "grant_types":
//                 ["client_credentials"], "redirect_uris": [],
//                 "response_types": []}
//   accounts      {"ID": {claims...}}: the test users (findAccount); their
//                 claims are returned for the scopes asked
//   resource      {"indicator": "https://ssh.example.test", "audience":
//                 "...", "scope": "ssh sudo", "ttl": 300}: the resource
//                 server whose access tokens are JWTs (RFC 9068 at+jwt)
//   token_claims  {"CLIENT_ID": {claims...}}: extra claims put into the
//                 access tokens of that client (extraTokenClaims)
//   id_token_claims  true: the scopes' claims go into the ID token too
//                 (conformIdTokenClaims off), e.g. groups for sudo
//   ttl           {"IdToken": N, "DeviceCode": N, ...}: over the defaults
//
// Features: client credentials, device authorization grant (RFC 8628),
// resource indicators with JWT access tokens, PKCE (on by default), the
// development login pages (any account id logs in) for part 2's flows.
//
// Admin hook (http://127.0.0.1:ADMIN_PORT, JSON in and out):
//   GET  /stats          {"counts": {PATH: N}, "total": N} of the TLS port
//   POST /reset-stats
//   POST /mode {"mode": M, "delay_ms": N}   how discovery and the JWK Set
//        are answered: normal, slow (every request waits delay_ms), garbage
//        (JWK Set is not JSON), huge (JWK Set over 2 MiB, streamed without
//        Content-Length), nokeys (a set whose only key is for encryption),
//        empty ({"keys":[]}), wrong-issuer (discovery names another
//        issuer), redirect (discovery and JWK Set answer 302), error (503)
//   POST /cache {"etag": BOOL, "max_age": N}  ETag / If-None-Match and
//        Cache-Control max-age on the JWK Set (oidc-provider sends neither)
//   POST /rotate {"add": "RS256"|"ES256"|"PS256"|"EdDSA", "kid": K,
//        "drop": KID}  add a new signing key first (it signs from now on)
//        and/or drop one; the provider is rebuilt with the new set (grants
//        are kept: the memory adapter is shared)
//   POST /tls {"cert": FILE, "key": FILE}  serve another certificate
//   GET  /keys           the public JWK Set now served
//   POST /device {"interval": N, "slow_down": K}  the device authorization
//        answer carries interval N (oidc-provider sends none: clients use
//        5); the next K device-code polls that would be
//        authorization_pending are answered slow_down instead
//   GET  /device-polls   [{"t": ms, "error": E or null}] of every
//        device-code poll of the token endpoint, in order
//
// Prints "ready" on stdout once both ports listen; stops on SIGTERM.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import Provider from 'oidc-provider';

const conf = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
let mode = { mode: 'normal', delay_ms: 0 };
let cache = { etag: false, max_age: 0 };
let device = { interval: 0, slow_down: 0 };
const devicePolls = [];
const counts = {};
let total = 0;

function newKey(alg, kid) {
  let pair;
  if (alg === 'ES256') pair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  else if (alg === 'EdDSA') pair = crypto.generateKeyPairSync('ed25519');
  else pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = pair.privateKey.export({ format: 'jwk' });
  jwk.kid = kid || crypto.randomBytes(9).toString('base64url');
  jwk.alg = alg;
  jwk.use = 'sig';
  return jwk;
}

function loadKeys() {
  if (!fs.existsSync(conf.keys_file)) {
    saveKeys({ keys: [newKey('RS256')] });
  }
  return JSON.parse(fs.readFileSync(conf.keys_file, 'utf8'));
}

function saveKeys(jwks) {
  fs.writeFileSync(conf.keys_file + '.tmp', JSON.stringify(jwks), { mode: 0o600 });
  fs.renameSync(conf.keys_file + '.tmp', conf.keys_file);
}

function publicKeys(jwks) {
  return {
    keys: jwks.keys.map((k) => {
      const pub = crypto.createPublicKey({ key: k, format: 'jwk' }).export({ format: 'jwk' });
      return { ...pub, kid: k.kid, alg: k.alg, use: 'sig' };
    }),
  };
}

function build() {
  const jwks = loadKeys();
  const algs = [...new Set(jwks.keys.map((k) => k.alg))];
  const res = conf.resource || {};
  const p = new Provider(conf.issuer, {
    clients: conf.clients || [],
    // the newest key's algorithm signs ID tokens too (after a rotation to
    // another key type the clients' default RS256 would not be possible)
    clientDefaults: {
      grant_types: ['authorization_code'],
      id_token_signed_response_alg: algs[0],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    jwks,
    cookies: { keys: ['pam_jwt test provider cookie key'] },
    findAccount: async (ctx, id) => {
      const acct = (conf.accounts || {})[id];
      if (!acct) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...acct }) };
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['preferred_username', 'name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'offline_access', 'email', 'profile', 'groups'],
    enabledJWA: {
      idTokenSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => res.indicator || 'https://ssh.example.test',
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: res.scope || 'ssh sudo',
          audience: res.audience || 'pam_jwt',
          accessTokenTTL: res.ttl || 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: algs[0] } },
        }),
      },
    },
    extraTokenClaims: async (ctx, token) => {
      const c = (conf.token_claims || {})[token.clientId];
      return c || undefined;
    },
    ttl: { AccessToken: 300, ClientCredentials: 300, IdToken: 300, DeviceCode: 600, ...(conf.ttl || {}) },
    ...(conf.id_token_claims ? { conformIdTokenClaims: false } : {}),
  });
  p.proxy = false;
  // the device grant's test knobs (admin /device) and its poll record
  p.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/device/auth' && ctx.status === 200 && device.interval) {
      ctx.body = { ...ctx.body, interval: device.interval };
    }
    let grant;
    try { grant = ctx.oidc && ctx.oidc.params && ctx.oidc.params.grant_type; } catch (e) { grant = undefined; }
    if (ctx.path === '/token' && grant === 'urn:ietf:params:oauth:grant-type:device_code') {
      if (ctx.status === 400 && ctx.body && ctx.body.error === 'authorization_pending' && device.slow_down > 0) {
        device.slow_down -= 1;
        ctx.body = { error: 'slow_down', error_description: 'test provider: poll less often' };
      }
      devicePolls.push({ t: Date.now(), error: (ctx.body && ctx.body.error) || null });
    }
  });
  return { provider: p, callback: p.callback(), jwks };
}

let current = build();

function send(res, status, body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

function path(req) {
  return new URL(req.url, 'https://x').pathname;
}

async function front(req, res) {
  const p = path(req);
  counts[p] = (counts[p] || 0) + 1;
  total += 1;
  const isDisc = p === '/.well-known/openid-configuration';
  const isJwks = p === '/jwks';
  if (mode.mode === 'slow') await new Promise((r) => setTimeout(r, mode.delay_ms || 5000));
  if (isDisc || isJwks) {
    switch (mode.mode) {
      case 'error': return send(res, 503, { error: 'down for maintenance' });
      case 'redirect': return send(res, 302, '', { location: 'https://127.0.0.2' + p });
      default: break;
    }
  }
  if (isDisc && mode.mode === 'wrong-issuer') {
    return send(res, 200, { issuer: conf.issuer + '/other', jwks_uri: conf.issuer + '/jwks' });
  }
  if (isJwks) {
    const pub = publicKeys(current.jwks);
    switch (mode.mode) {
      case 'garbage': return send(res, 200, '<html>this is no JWK Set</html>', { 'content-type': 'text/html' });
      case 'empty': return send(res, 200, { keys: [] });
      case 'nokeys':
        return send(res, 200, { keys: pub.keys.map((k) => ({ ...k, use: 'enc', alg: undefined })) });
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const one = JSON.stringify(pub.keys[0]);
        res.write('{"keys":[' + one);
        const chunk = (',' + one).repeat(64);
        for (let n = 0; n < (2 * 1024 * 1024) / chunk.length + 1; n++) {
          if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
          if (res.destroyed) return undefined;
        }
        return res.end(']}');
      }
      default: break;
    }
    if (cache.etag || cache.max_age) {
      const body = JSON.stringify(pub);
      const etag = '"' + crypto.createHash('sha256').update(body).digest('base64url').slice(0, 16) + '"';
      const h = { 'content-type': 'application/jwk-set+json' };
      if (cache.etag) h.etag = etag;
      if (cache.max_age) h['cache-control'] = 'public, max-age=' + cache.max_age;
      if (cache.etag && req.headers['if-none-match'] === etag) {
        res.writeHead(304, h);
        return res.end();
      }
      return send(res, 200, body, h);
    }
  }
  return current.callback(req, res);
}

const server = https.createServer({
  cert: fs.readFileSync(conf.cert),
  key: fs.readFileSync(conf.key),
}, (req, res) => {
  front(req, res).catch((e) => {
    process.stderr.write(`front: ${e.stack}\n`);
    if (!res.headersSent) send(res, 500, { error: 'server_error' });
  });
});

async function readJson(req) {
  let s = '';
  for await (const c of req) {
    s += c;
    if (s.length > 65536) throw new Error('admin request too large');
  }
  return s ? JSON.parse(s) : {};
}

const admin = http.createServer(async (req, res) => {
  try {
    const p = path(req);
    const body = req.method === 'POST' ? await readJson(req) : {};
    if (p === '/stats') return send(res, 200, { counts, total });
    if (p === '/reset-stats') {
      for (const k of Object.keys(counts)) delete counts[k];
      total = 0;
      return send(res, 200, { ok: true });
    }
    if (p === '/mode') {
      mode = { mode: body.mode || 'normal', delay_ms: body.delay_ms || 0 };
      return send(res, 200, mode);
    }
    if (p === '/cache') {
      cache = { etag: !!body.etag, max_age: body.max_age || 0 };
      return send(res, 200, cache);
    }
    if (p === '/rotate') {
      const jwks = loadKeys();
      if (body.drop) jwks.keys = jwks.keys.filter((k) => k.kid !== body.drop);
      if (body.add) jwks.keys.unshift(newKey(body.add, body.kid));
      saveKeys(jwks);
      current = build();
      return send(res, 200, { kids: jwks.keys.map((k) => k.kid) });
    }
    if (p === '/tls') {
      server.setSecureContext({ cert: fs.readFileSync(body.cert), key: fs.readFileSync(body.key) });
      return send(res, 200, { ok: true });
    }
    if (p === '/keys') return send(res, 200, publicKeys(current.jwks));
    if (p === '/device') {
      device = { interval: body.interval || 0, slow_down: body.slow_down || 0 };
      return send(res, 200, device);
    }
    if (p === '/device-polls') return send(res, 200, devicePolls);
    return send(res, 404, { error: 'unknown admin path' });
  } catch (e) {
    return send(res, 500, { error: String(e) });
  }
});

let up = 0;
function listening() {
  up += 1;
  if (up === 2) process.stdout.write('ready\n');
}
server.listen(conf.port, '127.0.0.1', listening);
admin.listen(conf.admin_port, '127.0.0.1', listening);

process.on('SIGTERM', () => {
  server.close();
  admin.close();
  process.exit(0);
});
