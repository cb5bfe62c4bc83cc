// Drives Debian's chromium (headless, through puppeteer-core) over billhook's dashboard for
// tests/integration/dashboard_browser_test.cpp, and prints what it saw as one JSON line.
//
//   node dashboard_browser.mjs <base url> <api key> <screenshot directory>
//
// It runs its own webhook receiver on 127.0.0.1 (port 0) that fails (with an HTML body holding a script)
// or succeeds as the steps need. The browser may reach nothing but loopback. Each page is photographed
// at desktop (1280 px) and phone (360 px) width into the screenshot directory as <page>-desktop.png and
// <page>-phone.png (scripts/screenshots.sh refreshes docs/screenshots/ this way).
import http from 'node:http';
import { launchLoopbackChromium, openPage } from './loopback_chromium.mjs';
import { photographer } from './page_photos.mjs';

const [base, apiKey, shotDir] = process.argv.slice(2);
const XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2">';

let failing = true;
const received = [];
const receiver = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    received.push({ headers: req.headers, body });
    if (failing) {
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end(XSS);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    }
  });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const receiverUrl = `http://127.0.0.1:${receiver.address().port}/hook`;

async function withKey(method, path, body) {
  const response = await fetch(base + path, {
    method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json().catch(() => null) };
}

const browser = await launchLoopbackChromium();

const out = { steps: [] };
const step = (name, value) => { out.steps.push(name); out[name] = value; };
const text = (page, selector) => page.$eval(selector, (el) => el.textContent);

const { photograph, phoneOverflow, shots } = photographer(shotDir);

// Shows `hash` again and again (the page reads the API each time) until `selector`'s text passes `test`.
async function until(page, hash, selector, test, what) {
  for (let i = 0; i < 150; ++i) {
    await page.evaluate((h) => { if (window.location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange')); else window.location.hash = h; }, hash);
    try {
      await page.waitForSelector(selector, { timeout: 2000 });
      const value = await text(page, selector);
      if (test(value)) return value;
    } catch { /* not there yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const shown = await page.evaluate(() => document.getElementById('view')?.innerText ?? document.body.innerText);
  throw new Error(`gave up waiting for ${what}; the page showed: ${shown.slice(0, 2000)}`);
}

try {
  const page = await openPage(browser);
  await page.evaluateOnNewDocument(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective));
  });
  await page.setViewport({ width: 1200, height: 900 });

  // Sign in.
  await page.goto(`${base}/dashboard`, { waitUntil: 'load' });
  step('sign_in_page', await page.$('#api_key') !== null);
  await photograph(page, 'sign-in');
  await page.type('#api_key', apiKey);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#sign-in')]);
  await page.waitForSelector('#stat-attempts');
  step('lands_on_overview', await page.evaluate(() => window.location.hash === '' || window.location.hash.startsWith('#/overview')));
  step('signed_in', (await page.cookies()).some((c) => c.name === 'billhook_session' && c.httpOnly && c.sameSite === 'Strict'));

  // Create an endpoint to the receiver, which fails for now.
  await page.evaluate(() => { window.location.hash = '#/endpoints/new'; });
  await page.waitForSelector('#endpoint-form');
  await page.type('#ep-url', receiverUrl);
  await page.type('#ep-event_types', 'invoice.paid');
  await page.type('#ep-retry_schedule', '1');
  await page.type('#ep-rate_limit', '50');
  await page.$eval('#ep-max_in_flight', (input) => { input.value = ''; });
  await page.type('#ep-max_in_flight', '4');
  await page.click('#save-endpoint');
  await page.waitForSelector('#endpoint-id');
  const endpointId = await text(page, '#endpoint-id');
  step('endpoint_created', endpointId.startsWith('ep_'));
  const created = (await withKey('GET', `/v1/endpoints/${endpointId}`)).json;
  step('endpoint_limits', { rate_limit: created.rate_limit, max_in_flight: created.max_in_flight });

  // Publish, and find the failed delivery.
  const type = await withKey('GET', '/v1/event-types/invoice.paid');
  const published = await withKey('POST', '/v1/events', { type: 'invoice.paid', data: { object: type.json.example } });
  step('published', published.status);
  await until(page, `#/deliveries?endpoint_id=${endpointId}&status=failed`, 'table.deliveries tbody a', (v) => v.startsWith('del_'), 'the failed delivery');
  await photograph(page, 'deliveries');
  await Promise.all([page.waitForFunction(() => window.location.hash.startsWith('#/deliveries/del_')), page.click('table.deliveries tbody a')]);
  await page.waitForSelector('#delivery-status');
  step('failed_status', await text(page, '#delivery-status'));
  step('attempt_status', await text(page, '#attempt-1 .attempt-status'));
  step('attempt_body', await text(page, '#attempt-1 .response-body'));
  step('attempt_request', (await text(page, '#attempt-1 .request-body')).includes('"type":"invoice.paid"')
    && (await text(page, '#attempt-1 pre.headers')).includes('webhook-signature: v1,'));
  step('script_ran', await page.evaluate(() => window.__xss ?? null));
  step('images_injected', await page.evaluate(() => document.querySelectorAll('#view img').length));
  await photograph(page, 'delivery');

  // The receiver is fixed; retry, and see it succeed.
  failing = false;
  const hash = await page.evaluate(() => window.location.hash);
  await page.click('#retry');
  step('retried_status', await until(page, hash, '#delivery-status', (v) => v === 'succeeded', 'the retried delivery to succeed'));

  // The overview counts those attempts (two failed, then the retry that succeeded).
  step('overview_attempts', Number(await until(page, '#/overview?window=hour', '#stat-attempts', (v) => Number(v) >= 3, 'the overview to count the attempts')));
  step('overview_success', await text(page, '#stat-success'));
  await page.waitForSelector('#chart-deliveries');
  step('overview_bars', await page.evaluate(() => document.querySelectorAll('#chart-deliveries rect.bar-ok, #chart-deliveries rect.bar-bad').length));
  step('overview_latency', await text(page, '#stat-p50'));
  await page.click('#window-week');
  step('overview_week_attempts', Number(await until(page, '#/overview?window=week', '#stat-attempts', (v) => Number(v) >= 3, 'the week to count them too')));

  // Rotate the secret: shown once, the one the API now has.
  await page.evaluate((id) => { window.location.hash = `#/endpoints/${id}`; }, endpointId);
  await page.waitForSelector('#rotate-secret');
  await page.click('#rotate-secret');
  await page.waitForSelector('#new-secret');
  const shown = await text(page, '#new-secret');
  const stored = await withKey('GET', `/v1/endpoints/${endpointId}/secret`);
  step('rotated_secret_matches', shown.startsWith('whsec_') && shown === stored.json.secret);

  // Send a test event; the receiver gets it.
  const before = received.length;
  await page.click('#send-test');
  await page.waitForSelector('#test-delivery');
  const testDelivery = await text(page, '#test-delivery');
  await until(page, `#/deliveries/${testDelivery}`, '#delivery-status', (v) => v === 'succeeded', 'the test event to arrive');
  const got = received.slice(before).map((r) => JSON.parse(r.body).type);
  step('test_event_received', got);

  // Recover since a time: two deliveries fail for good, the overview and the endpoint show it failing,
  // the dry run counts the two, and resending them succeeds now that the receiver is fixed again.
  failing = true;
  for (let i = 0; i < 2; ++i) await withKey('POST', '/v1/events', { type: 'invoice.paid', data: { object: type.json.example } });
  await until(page, `#/deliveries?endpoint_id=${endpointId}&status=failed`, 'table.deliveries tbody',
    (v) => (v.match(/del_/g) ?? []).length === 2, 'the two deliveries to fail');
  step('overview_failing', await until(page, '#/overview?window=hour', '#view', (v) => v.includes(receiverUrl), 'the overview to list the failing endpoint')
    .then(() => text(page, '#failing-endpoints tbody td:nth-child(2)')));
  await photograph(page, 'overview');
  step('endpoints_health', await until(page, '#/endpoints', `#endpoint-row-${endpointId} .endpoint-health`, (v) => v.startsWith('failing'), 'the list to show the endpoint failing'));
  await photograph(page, 'endpoints');
  step('endpoint_streak', await until(page, `#/endpoints/${endpointId}`, '#endpoint-failure-streak', (v) => Number(v) >= 2, 'the endpoint page to show the streak'));
  step('endpoint_last_success', await page.$eval('#endpoint-last-success time', (el) => Number(el.title) > 0).catch(() => false));
  await photograph(page, 'endpoint');
  await page.evaluate((id) => { window.location.hash = `#/endpoints/${id}/recover`; }, endpointId);
  await page.waitForSelector('#recover-since');
  await page.$eval('#recover-since', (el) => {
    const d = new Date(Date.now() - 10 * 60 * 1000);
    const p = (n) => String(n).padStart(2, '0');
    el.value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
  });
  await page.click('#recover-count');
  await page.waitForSelector('#recover-count-result');
  step('recover_dry_run', await text(page, '#recover-count-result'));
  step('recover_failed_before', (await withKey('GET', `/v1/deliveries?endpoint_id=${endpointId}&status=failed`)).json.data.length);
  await photograph(page, 'recover');
  failing = false;
  await page.click('#recover-confirm');
  await page.waitForSelector('#recovered');
  step('recovered', await text(page, '#recovered'));
  for (let i = 0; i < 150; ++i) {
    const left = await withKey('GET', `/v1/deliveries?endpoint_id=${endpointId}&status=failed`);
    if (left.json.data.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  step('failed_after_recover', (await withKey('GET', `/v1/deliveries?endpoint_id=${endpointId}&status=failed`)).json.data.length);

  // The event log.
  await page.evaluate(() => { window.location.hash = '#/events'; });
  await page.waitForSelector('#event-filters');
  await photograph(page, 'events');

  // The catalog page lists the types with their examples.
  await page.evaluate(() => { window.location.hash = '#/catalog?q=invoice.paid'; });
  await page.waitForSelector('#type-invoice\\.paid');
  step('catalog_shows', await text(page, '#type-invoice\\.paid summary'));
  await photograph(page, 'catalog');
  step('phone_overflow', phoneOverflow);
  step('screenshots', shots);

  step('csp_violations', await page.evaluate(() => window.__violations));
  step('fits_phone', await (async () => {
    await page.setViewport({ width: 360, height: 740 });
    return page.evaluate(() => {
      if (document.documentElement.scrollWidth <= window.innerWidth) return true;
      // What sticks out, to say so in the failure.
      return [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > window.innerWidth)
        .slice(0, 5).map((el) => `${el.tagName}#${el.id}.${el.className} ${Math.round(el.getBoundingClientRect().right)}px`);
    });
  })());

  // Sign out; the old cookie opens nothing any more.
  const session = (await page.cookies()).find((c) => c.name === 'billhook_session');
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#sign-out')]);
  step('signed_out_page', await page.$('#api_key') !== null);
  const after = await fetch(`${base}/dashboard/api/v1/endpoints`, { headers: { cookie: `billhook_session=${session.value}` } });
  step('old_cookie_status', after.status);
} catch (e) {
  out.error = String(e?.stack ?? e);
} finally {
  await browser.close();
  receiver.close();
}
console.log(JSON.stringify(out));
