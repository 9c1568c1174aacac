// tests/linkd/browse.mjs - the person's side of a magic link, in a real
// browser (tests/browser/browser.mjs: Debian's chromium through
// puppeteer-core).  Prints one JSON object on standard output.
//
//   node browse.mjs request BASE_URL WHO [KIND]
//       open the form, type WHO, choose KIND, press the button; the answer
//       page's status, title and text
//   node browse.mjs use LINK_URL [TIMES]
//       open the link (GET), read what it says, press the button (POST),
//       read the token from the page and the commands shown; TIMES > 1
//       goes back and presses again (the second press must say "used")
//
// Every result also holds the dialogs (a script that ran: alert), page
// errors and console messages (CSP violations) seen.
import { withBrowser, collect } from "../browser/browser.mjs";

const [cmd, url, arg3, arg4] = process.argv.slice(2);

async function text(page) {
  return page.evaluate(() => document.body ? document.body.innerText : "");
}

async function request(page, seen) {
  const first = await page.goto(url, { waitUntil: "load" });
  await page.type("#who", arg3);
  if (arg4) await page.select("#kind", arg4);
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click("#send"),
  ]);
  return {
    formStatus: first.status(),
    status: resp.status(),
    url: page.url(),
    title: await page.title(),
    text: await text(page),
    html: await page.content(),
    seen,
  };
}

async function press(page) {
  const [resp] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click("#use"),
  ]);
  const out = { status: resp.status(), title: await page.title(), text: await text(page) };
  if (await page.$("#token")) {
    out.token = await page.$eval("#token", (e) => e.value);
    // the copy button is shown by the external script only
    out.copyVisible = await page.$eval("#copy", (e) => !e.hidden);
    out.commands = await page.$$eval("pre", (es) => es.map((e) => e.innerText));
  }
  return out;
}

// TIMES tabs open the link first (each shows the button), then each tab
// presses it in turn: the first POST gets the token, every later POST
// must be told the link was used.
async function use(page, seen, browser) {
  const times = Number(arg3 || 1);
  const pages = [page];
  for (let i = 1; i < times; i++) {
    const p = await browser.newPage();
    collect(p, seen);
    pages.push(p);
  }
  const out = { opens: [], presses: [], seen };
  for (const p of pages) {
    const r = await p.goto(url, { waitUntil: "load" });
    out.opens.push({ status: r.status(), title: await p.title(), text: await text(p),
                     button: !!(await p.$("#use")) });
  }
  for (const p of pages) {
    await p.bringToFront();
    out.presses.push(await p.$("#use") ? await press(p) : { status: 0, noButton: true });
  }
  return out;
}

const result = await withBrowser(async (browser, page) => {
  const seen = collect(page);
  if (cmd === "request") return request(page, seen);
  if (cmd === "use") return use(page, seen, browser);
  throw new Error(`unknown command ${cmd}`);
});
process.stdout.write(JSON.stringify(result) + "\n");
