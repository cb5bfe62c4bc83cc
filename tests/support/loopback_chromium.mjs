// Debian's chromium, headless, through puppeteer-core (which downloads no browser), for the browser tests.
// The browser may reach nothing but loopback: every other host name resolves to nothing.
import puppeteer from 'puppeteer-core';

// Puppeteer's own waits give up after 30 s. Under the sanitizers, with the suite's other tests on the same two
// cores, starting chromium or rendering a page after an API call has taken longer than that; what bounds a
// hang is the deadline the C++ test gives the whole script.
const kWaitMs = 90_000;

export function launchLoopbackChromium() {
  return puppeteer.launch({
    executablePath: process.env.BILLHOOK_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    timeout: kWaitMs,
    args: [
      '--no-sandbox', '--no-first-run', '--no-default-browser-check', '--disable-background-networking',
      '--disable-component-update', '--disable-default-apps', '--disable-sync', '--disable-extensions',
      '--disable-domain-reliability', '--disable-client-side-phishing-detection', '--metrics-recording-only',
      '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
}

// A new tab whose waits (waitForSelector, waitForNavigation, click…) give up after kWaitMs rather than 30 s.
export async function openPage(browser) {
  const page = await browser.newPage();
  page.setDefaultTimeout(kWaitMs);
  return page;
}
