// Drives Debian's chromium (headless, through puppeteer-core, which downloads no browser) over billhook's
// hosted pages for tests/integration/hosted_pages_test.cpp, and prints what it saw as one JSON line.
//
//   node hosted_browser.mjs view <url>                  the page as a visitor sees it
//   node hosted_browser.mjs pay <url> <card number>     pays from the page; then from a second tab
//                                                       opened before, then the first form re-sent
//   node hosted_browser.mjs checkout <url> <card>       saves a card, then re-sends the same form
//
// The browser may reach nothing but loopback: every other host name resolves to nothing.
import { launchLoopbackChromium, openPage } from './loopback_chromium.mjs';

const [scenario, url, card] = process.argv.slice(2);

const browser = await launchLoopbackChromium();

// What a page shows: its status, the ids the tests look for, whether the stylesheet applied under the
// page's Content-Security-Policy, and whether a phone-sized window needs sideways scrolling.
async function look(page, response) {
  return page.evaluate((status) => {
    const text = (id) => document.getElementById(id)?.textContent ?? null;
    return {
      status,
      title: document.title,
      text: document.body.innerText,
      number: text('invoice-number'),
      amount_due: text('amount-due'),
      invoice_status: text('invoice-status'),
      customer: text('customer-name'),
      result: text('result'),
      result_detail: text('result-detail'),
      has_form: document.querySelector('form') !== null,
      styled: getComputedStyle(document.body).backgroundColor === 'rgb(244, 245, 247)',
      fits_phone: document.documentElement.scrollWidth <= window.innerWidth,
    };
  }, response ? response.status() : null);
}

async function open(targetUrl) {
  const page = await openPage(browser);
  await page.setViewport({ width: 375, height: 740 });  // a phone: the pages are responsive
  const response = await page.goto(targetUrl, { waitUntil: 'load' });
  return { page, seen: await look(page, response) };
}

async function fill_and_submit(page, number) {
  await page.bringToFront();  // a background tab's navigation may wait for it to be shown
  await page.type('#number', number);
  await page.type('#exp_month', '12');
  await page.type('#exp_year', '2035');
  // The form as it is about to be sent, to send it again afterwards as a double submit would.
  const form = await page.$eval('form', (f) => ({ action: f.action, fields: Object.fromEntries(new FormData(f)) }));
  const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#submit')]);
  return { form, seen: await look(page, response) };
}

async function resend(form) {
  const response = await fetch(form.action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form.fields).toString(),
  });
  const html = await response.text();
  return { status: response.status, result: /id="result">([^<]*)</.exec(html)?.[1] ?? null };
}

let out;
try {
  if (scenario === 'view') {
    out = (await open(url)).seen;
  } else if (scenario === 'pay') {
    const first = await open(url);
    const second = await open(url);  // another tab, opened before the first pays
    const paid = await fill_and_submit(first.page, card);
    const other_tab = await fill_and_submit(second.page, card);
    const again = await resend(paid.form);
    const after = await open(url);
    out = { before: first.seen, paid: paid.seen, other_tab: other_tab.seen, resent: again, after: after.seen };
  } else if (scenario === 'checkout') {
    const page = await open(url);
    const saved = await fill_and_submit(page.page, card);
    out = { before: page.seen, saved: saved.seen, resent: await resend(saved.form) };
  } else {
    throw new Error(`unknown scenario '${scenario}'`);
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
