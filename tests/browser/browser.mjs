// tests/browser/browser.mjs - a real browser for the tests: Debian's
// chromium, headless, driven by puppeteer-core (pinned in package-lock.json,
// installed with `npm ci` by the suites that use it; runs on Node 18).
//
//   import { launch, withBrowser } from "../browser/browser.mjs";
//   await withBrowser(async (browser, page) => { await page.goto(url); ... });
//
// launch(opts) starts chromium with an empty profile in a fresh temporary
// directory, no network of its own (no component updates, sync, QUIC,
// background requests), so that the only requests it makes are the test's.
// opts: executablePath (default $CHROMIUM or /usr/bin/chromium), args (more
// flags), timeout (ms for every wait, default 15000), ignoreHTTPSErrors.
// withBrowser(fn, opts) launches, opens one page, runs fn(browser, page),
// and always closes the browser and removes the profile directory.
// collect(page[, into]) gathers what a test wants to assert about a page:
// console messages, dialogs (alert/confirm: a script ran), page errors and
// CSP violations reported to the console.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer from "puppeteer-core";

export const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--no-default-browser-check",
  "--metrics-recording-only",
  "--disable-dev-shm-usage",
];

export async function launch(opts = {}) {
  const profile = mkdtempSync(join(tmpdir(), "pjbrowser-"));
  let browser;
  try {
    browser = await puppeteer.launch({
      executablePath: opts.executablePath || process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true,
      args: [...FLAGS, `--user-data-dir=${profile}`, ...(opts.args || [])],
      ignoreDefaultArgs: ["--enable-automation"],
      acceptInsecureCerts: !!opts.ignoreHTTPSErrors,
      timeout: opts.timeout || 15000,
      protocolTimeout: opts.timeout || 15000,
      pipe: true,
      dumpio: !!process.env.PJBROWSER_DEBUG,
    });
  } catch (e) {
    rmSync(profile, { recursive: true, force: true });
    throw e;
  }
  browser.pjProfile = profile;
  return browser;
}

export async function close(browser) {
  if (!browser) return;
  try {
    await browser.close();
  } finally {
    rmSync(browser.pjProfile, { recursive: true, force: true });
  }
}

export function collect(page, into) {
  const seen = into || { console: [], dialogs: [], errors: [] };
  page.on("console", (m) => seen.console.push(m.text()));
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("dialog", async (d) => {
    seen.dialogs.push(d.message());
    await d.dismiss();
  });
  return seen;
}

export async function withBrowser(fn, opts = {}) {
  const browser = await launch(opts);
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(opts.timeout || 15000);
    page.setDefaultNavigationTimeout(opts.timeout || 15000);
    return await fn(browser, page);
  } finally {
    await close(browser);
  }
}
