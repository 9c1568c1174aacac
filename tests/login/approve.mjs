// tests/login/approve.mjs - the person at the browser, for `pamjwt login`'s
// tests: a real headless chromium (tests/browser/browser.mjs) opens the
// verification URL (device grant) or the authorization URL (PKCE), signs
// in at the test provider's login page as ACCOUNT and approves (or denies)
// the consent.
//
//   node approve.mjs URL ACCOUNT approve|deny SPKI
//
// SPKI: base64 SHA-256 of the provider's public key: chromium accepts that
// one key (--ignore-certificate-errors-spki-list) and no other untrusted
// certificate.  pamjwt itself verifies the provider against the test CA.
// Prints one JSON line: {"steps": [...], "url": final URL, "text": the
// final page's text}.  Exit 0 when the pages went as expected.
import { withBrowser } from "../browser/browser.mjs";

const [url, account, action, spki] = process.argv.slice(2);
const steps = [];

async function text(page) {
  return page.evaluate(() => (document.body ? document.body.innerText : ""));
}

// A page that posts itself (the provider's form_post of the user code)
// navigates on its own: wait until the network is quiet.
async function settle(page) {
  await page.waitForNetworkIdle({ idleTime: 300, timeout: 15000 }).catch(() => {});
}

async function run(browser, page) {
  await page.goto(url, { waitUntil: "load" });
  for (let i = 0; i < 10; i++) {
    await settle(page);
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
  return { steps, url: page.url(), text: (await text(page)).slice(0, 2000) };
}

try {
  const r = await withBrowser(run, {
    args: [`--ignore-certificate-errors-spki-list=${spki}`],
    timeout: 30000,
  });
  process.stdout.write(JSON.stringify(r) + "\n");
  process.exit(0);
} catch (e) {
  process.stdout.write(JSON.stringify({ steps, error: String(e) }) + "\n");
  process.exit(1);
}
