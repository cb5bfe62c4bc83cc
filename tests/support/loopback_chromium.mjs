// Debian's chromium, headless, through puppeteer-core (which downloads no browser), for the browser tests.
// The browser may reach nothing but loopback: every other host name resolves to nothing.
import puppeteer from 'puppeteer-core';

export function launchLoopbackChromium() {
  return puppeteer.launch({
    executablePath: process.env.BILLHOOK_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--no-first-run', '--no-default-browser-check', '--disable-background-networking',
      '--disable-component-update', '--disable-default-apps', '--disable-sync', '--disable-extensions',
      '--disable-domain-reliability', '--disable-client-side-phishing-detection', '--metrics-recording-only',
      '--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication',
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
    ],
  });
}
