// tests/login/approve.mjs - the person at the browser, for `pamjwt login`'s
// tests: a real headless chromium (tests/browser/browser.mjs) opens the
// verification URL (device grant) or the authorization URL (PKCE), signs
// in at the test provider's login page as ACCOUNT and approves (or denies)
// the consent.
//
//   node approve.mjs URL ACCOUNT approve|deny SPKI     one sign-in
//   node approve.mjs --serve SPKI                      many (see below)
//
// SPKI: base64 SHA-256 of the provider's public key (several, separated by
// commas): chromium accepts those keys (--ignore-certificate-errors-spki-
// list) and no other untrusted certificate.  pamjwt itself verifies the
// provider against the test CA.
// One sign-in prints one JSON line: {"steps": [...], "url": final URL,
// "text": the final page's text, "ms": when each step began and settled,
// "blocked": requests for other hosts, refused} ({"steps", "error"} when a
// page did not go as expected; exit 1 then).
//
// --serve: chromium is started once (starting it is most of a sign-in's
// time) and every sign-in asked for gets a browser context of its own --
// its own cookies, storage and cache, as a fresh profile would: nothing of
// an earlier sign-in (the provider's session cookie above all) is seen by
// the next one.  Reads one JSON request per line on standard input,
// {"url": U, "account": A, "action": "approve"|"deny"}, answers each with
// one JSON line as above; closes the browser and exits at end of input.
import { createInterface } from "node:readline";
import { launch, close, withBrowser } from "../browser/browser.mjs";

const TIMEOUT = 30000;

async function text(page) {
  return page.evaluate(() => (document.body ? document.body.innerText : ""));
}

// A page that posts itself (the provider's form_post of the user code)
// navigates on its own: wait until the network is quiet.
async function settle(page) {
  await page.waitForNetworkIdle({ idleTime: 300, timeout: 15000 }).catch(() => {});
}

// The provider's pages link a web font from fonts.googleapis.com: the
// browser must reach nothing but 127.0.0.1 (the provider and pamjwt's
// loopback redirect; data: URLs reach nothing), so every other request is
// refused here, at once, and named in the answer.  (Left to chromium, that
// request stays pending where there is no network, and every settle()
// below would wait out its whole 15 s.)
async function localOnly(page, blocked) {
  await page.setRequestInterception(true);
  page.on("request", (r) => {
    let u = null;
    try {
      u = new URL(r.url());
    } catch (e) {
      u = null;
    }
    // data: URLs (the pages' inline images) are no request to anyone
    if (u && (u.hostname === "127.0.0.1" || u.protocol === "data:")) {
      r.continue();
    } else {
      if (blocked.length < 20) blocked.push(r.url().slice(0, 200));
      r.abort("blockedbyclient");
    }
  });
}

async function signIn(page, url, account, action, steps) {
  const t0 = Date.now();
  const ms = [];      // when each step began and settled (for a slow run)
  const blocked = [];
  await localOnly(page, blocked);
  await page.goto(url, { waitUntil: "load" });
  for (let i = 0; i < 10; i++) {
    ms.push(Date.now() - t0);
    await settle(page);
    ms.push(Date.now() - t0);
    const here = page.url();
    if (here.startsWith("http://127.0.0.1:") && here.includes("/callback")) {
      steps.push("redirected");
      break;
    }
    if (await page.$('button[form="op.deviceConfirmForm"][autofocus]')) {
      steps.push("confirm-device");
      await Promise.all([
        page.waitForNavigation({ waitUntil: "load" }),
        page.click('button[form="op.deviceConfirmForm"][autofocus]'),
      ]);
      continue;
    }
    if (await page.$('input[name="login"]')) {
      steps.push("login");
      await page.type('input[name="login"]', account);
      await page.type('input[name="password"]', "any password");
      await Promise.all([
        page.waitForNavigation({ waitUntil: "load" }),
        page.click('button[type="submit"]'),
      ]);
      continue;
    }
    if (await page.$('input[name="prompt"][value="consent"]')) {
      if (action === "deny") {
        steps.push("deny");
        await Promise.all([
          page.waitForNavigation({ waitUntil: "load" }),
          page.click('a[href*="/abort"]'),
        ]);
      } else {
        steps.push("consent");
        await Promise.all([
          page.waitForNavigation({ waitUntil: "load" }),
          page.click('button[type="submit"]'),
        ]);
      }
      continue;
    }
    break;
  }
  return { steps, ms, blocked, url: page.url(), text: (await text(page)).slice(0, 2000) };
}

function browserArgs(spki) {
  return { args: [`--ignore-certificate-errors-spki-list=${spki}`], timeout: TIMEOUT };
}

async function serve(spki) {
  const browser = await launch(browserArgs(spki));
  try {
    const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === "") continue;
      const steps = [];
      let ctx;
      let r;
      try {
        const q = JSON.parse(line);
        ctx = await browser.createBrowserContext();
        const page = await ctx.newPage();
        page.setDefaultTimeout(TIMEOUT);
        page.setDefaultNavigationTimeout(TIMEOUT);
        r = await signIn(page, q.url, q.account, q.action, steps);
      } catch (e) {
        r = { steps, error: String(e) };
      } finally {
        if (ctx) await ctx.close().catch(() => {});
      }
      process.stdout.write(JSON.stringify(r) + "\n");
    }
  } finally {
    await close(browser);
  }
}

if (process.argv[2] === "--serve") {
  try {
    await serve(process.argv[3]);
    process.exit(0);
  } catch (e) {
    process.stdout.write(JSON.stringify({ steps: [], error: String(e) }) + "\n");
    process.exit(1);
  }
} else {
  const [url, account, action, spki] = process.argv.slice(2);
  const steps = [];
  try {
    const r = await withBrowser((b, page) => signIn(page, url, account, action, steps),
      browserArgs(spki));
    process.stdout.write(JSON.stringify(r) + "\n");
    process.exit(0);
  } catch (e) {
    process.stdout.write(JSON.stringify({ steps, error: String(e) }) + "\n");
    process.exit(1);
  }
}
