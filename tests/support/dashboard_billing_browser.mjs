// Drives Debian's chromium (headless, through puppeteer-core) over the dashboard's billing pages for
// tests/integration/dashboard_billing_browser_test.cpp, and prints what it saw as one JSON line.
//
//   node dashboard_billing_browser.mjs <base url> <api key> <screenshot directory>
//
// It makes the records through the API (a customer whose name holds a script, a card, a subscription, an
// invoice in EUR and one in JPY, a wallet), then reads them on the pages and acts from the pages: a new
// customer (one the API refuses first), finalize, collect, a refused refund, a refund, a refused credit note,
// a credit note issued and voided, a refused dispute, a dispute opened and closed, cancelling a subscription at
// its period's end, topping up a wallet, a refused card, a card added, made the default and another marked
// invalid, and a proforma listed, refused a credit, credited and converted by a payment.
// Each page is photographed at 1280 and 360 px as <page>-desktop.png and <page>-phone.png.
import { launchLoopbackChromium, openPage } from './loopback_chromium.mjs';
import { photographer } from './page_photos.mjs';

const [base, apiKey, shotDir] = process.argv.slice(2);
const NAME = 'Ada <script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> Lovelace';

// A call with the API key; one that is refused throws, unless it is a GET or `mayFail` says it may be.
async function withKey(method, path, body, mayFail = path.endsWith('/refunds')) {
  const response = await fetch(base + path, {
    method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json().catch(() => null);
  if (!response.ok && method !== 'GET' && !mayFail) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return { status: response.status, json };
}

const browser = await launchLoopbackChromium();
const out = { steps: [] };
const step = (name, value) => { out.steps.push(name); out[name] = value; };
const text = (page, selector) => page.$eval(selector, (el) => el.textContent);
const texts = (page, selector) => page.$$eval(selector, (els) => els.map((el) => el.textContent));

const { photograph, phoneOverflow, shots } = photographer(shotDir);

// Waits until no page is being drawn (the router marks #view aria-busy meanwhile).
const settled = (page) => page.waitForFunction(() => !document.getElementById('view').hasAttribute('aria-busy'));

// Draws the page of `hash` now (reading the API again) and waits until it is drawn.
async function showHash(page, hash) {
  await page.evaluate((h) => {
    if (window.location.hash !== h) window.history.replaceState(null, '', h);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  }, hash);
  await settled(page);
}

// Shows `hash` again and again until `selector`'s text passes `test`.
async function until(page, hash, selector, test, what) {
  for (let i = 0; i < 150; ++i) {
    await showHash(page, hash);
    const value = await page.$eval(selector, (el) => el.textContent).catch(() => null);
    if (value !== null && test(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  const shown = await page.evaluate(() => document.getElementById('view')?.innerText ?? document.body.innerText);
  throw new Error(`gave up waiting for ${what}; the page showed: ${shown.slice(0, 2000)}`);
}

async function open(page, hash, selector) {
  await showHash(page, hash);
  await page.waitForSelector(selector);
}

// Clicks an action's button and fills its fields (typed into an input, chosen in a select). What the page
// said before (done or refused) is removed first, so that the caller waits for what this action makes it say.
async function fill(page, id, values = {}) {
  await settled(page);
  await page.evaluate(() => document.querySelectorAll('#view .notice').forEach((el) => el.remove()));
  await page.click(`#${id}`);
  await page.waitForSelector(`#${id}-confirm`);
  for (const [name, value] of Object.entries(values)) {
    const field = `#${id}-${name}`;
    if (await page.$eval(field, (el) => el.tagName) === 'SELECT') {
      await page.select(field, value);
      continue;
    }
    await page.$eval(field, (el) => { el.value = ''; });
    await page.type(field, value);
  }
}

// fill(), then confirms.
async function act(page, id, values = {}) {
  await fill(page, id, values);
  await page.click(`#${id}-confirm`);
}

// After an action that shows the page again: waits for its "done" line on the drawn page.
async function done(page, selector) {
  await page.waitForSelector(selector);
  await settled(page);
  return text(page, selector);
}

try {
  // The records, through the API.
  const customer = (await withKey('POST', '/v1/customers', { name: NAME, email: 'ada@example.com' })).json;
  await withKey('POST', '/v1/payment-methods', { customer: customer.id, type: 'card',
    card: { number: '4242424242424242', exp_month: 12, exp_year: 2030 } });
  const plan = (await withKey('POST', '/v1/plans', { code: 'pro-monthly', name: 'Pro', interval: 'month', amount: 2900, currency: 'EUR' })).json;
  const subscription = (await withKey('POST', '/v1/subscriptions', { customer: customer.id, plan: plan.id })).json;
  const invoice = (await withKey('POST', '/v1/invoices', { customer: customer.id, currency: 'EUR', collection_method: 'send_invoice',
    days_until_due: 14, lines: [
      { description: 'Consulting', quantity: 2, unit_amount: 5000, tax_rate_bps: 1900 },
      { description: 'Hosting <b>bold</b>', quantity: 1, unit_amount: 1999 }] })).json;
  const yenCustomer = (await withKey('POST', '/v1/customers', { name: 'Kenji' })).json;
  const yen = (await withKey('POST', '/v1/invoices', { customer: yenCustomer.id, currency: 'JPY', collection_method: 'send_invoice',
    days_until_due: 14, lines: [{ description: 'Seminar', quantity: 3, unit_amount: 1500 }] })).json;

  const page = await openPage(browser);
  await page.evaluateOnNewDocument(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective));
  });
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(`${base}/dashboard`, { waitUntil: 'load' });
  await page.type('#api_key', apiKey);
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('#sign-in')]);
  await page.waitForSelector('#stat-attempts');
  step('nav', await texts(page, '#nav a'));
  // The money module itself, on the edges the invoices above do not reach.
  step('money_cases', await page.evaluate(async () => {
    const { money, parseMoney } = await import('./assets/money.js');
    return [money(5, 'BHD'), money(-1050, 'EUR'), money(0, 'JPY'), money(12345678901, 'CLF'), money(null, 'EUR'),
      String(parseMoney('1,234.5', 'EUR')), String(parseMoney('7.5', 'JPY')), String(parseMoney('1e3', 'EUR')),
      String(parseMoney('0.001', 'BHD'))];
  }));

  // The customers: the name shown as the text it is.
  await page.click('#nav a[href="#/customers"]');
  await page.waitForSelector('#customers');
  step('customers_listed', await texts(page, '#customers tbody td:first-child'));
  step('nav_current', await text(page, '#nav a[aria-current=page]'));
  await photograph(page, 'customers');
  await page.click(`#customers a[href="#/customers/${customer.id}"]`);
  await page.waitForSelector('#customer-name');
  step('customer_name', await text(page, '#customer-name'));
  step('customer_cards', await texts(page, '#payment-methods tbody td:first-child'));
  step('customer_subscriptions', await texts(page, '#customer-subscriptions tbody td:first-child'));
  step('customer_invoice_totals', await texts(page, '#customer-invoices tbody td:nth-child(3)'));
  step('customer_events', await texts(page, '#customer-events .event-type'));
  await photograph(page, 'customer');

  // A new customer from the page: a currency the API does not know is refused with its message and creates
  // nobody; then one is created and its page opens.
  const customerCount = async () => (await withKey('GET', '/v1/customers?limit=100')).json.data.length;
  const customersBefore = await customerCount();
  await open(page, '#/customers', '#customer-new');
  await act(page, 'customer-new', { name: 'Grace', currency: 'ZZZ' });
  await page.waitForSelector('#customer-new-result .notice.error');
  step('refused_customer', await text(page, '#customer-new-result .notice.error'));
  step('api_customer_refusal', (await withKey('POST', '/v1/customers', { name: 'Grace', currency: 'ZZZ' }, true)).json.error.message);
  step('customers_after_refusal', await customerCount() - customersBefore);
  await page.click('#customer-new-cancel');
  await fill(page, 'customer-new', { name: 'Grace Hopper', email: 'grace@example.com', currency: 'eur', tax_id: 'DE123456789' });
  step('customer_new_labelled', await page.$$eval('#customer-new-section form input',
    (els) => els.every((el) => el.labels.length === 1 && el.labels[0].textContent.length > 0)));
  await photograph(page, 'customer-new');
  await page.click('#customer-new-confirm');
  step('customer_created', await done(page, '#customer-action-done'));
  step('new_customer_name', await text(page, '#customer-name'));
  const newId = await text(page, '#customer-id');
  step('new_customer_page', await page.evaluate(() => window.location.hash) === `#/customers/${newId}`);
  const created = (await withKey('GET', `/v1/customers/${newId}`)).json;
  step('new_customer_api', [created.name, created.email, created.currency, created.tax_id]);
  step('customers_after_create', await customerCount() - customersBefore);

  // The invoices list, filtered by customer and status.
  await open(page, `#/invoices?customer=${customer.id}&status=draft`, '#invoice-filters');
  step('invoices_filtered', await texts(page, '#invoices tbody td:first-child'));
  step('status_filter_kept', await page.$eval('#f-status', (el) => el.value));
  await open(page, '#/invoices', '#invoices');
  await photograph(page, 'invoices');

  // The draft: lines and totals in exact money.
  await page.click(`#invoices a[href="#/invoices/${invoice.id}"]`);
  await page.waitForSelector('#invoice-status');
  step('draft_status', await text(page, '#invoice-status'));
  step('lines', await page.$$eval('#invoice-lines tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent))));
  step('subtotal', await text(page, '#invoice-subtotal'));
  step('tax', await text(page, '#invoice-tax'));
  step('total', await text(page, '#invoice-total'));
  step('draft_actions', await page.$$eval('#invoice-actions .actions > button', (els) => els.map((el) => el.id)));

  // Finalize it from the page, then collect it (sent to the customer, it waits to be paid).
  await act(page, 'invoice-finalize');
  step('finalize_done', await done(page, '#invoice-action-done'));
  step('finalized_status', await text(page, '#invoice-status'));
  step('number', await text(page, '#invoice-number'));
  step('open_actions', await page.$$eval('#invoice-actions .actions > button', (els) => els.map((el) => el.id)));
  await act(page, 'invoice-pay');
  step('pay_done', await done(page, '#invoice-action-done'));
  step('paid_status', await text(page, '#invoice-status'));
  step('paid_amount', await text(page, '#invoice-paid'));
  step('payments', await texts(page, '#invoice-payments tbody td:nth-child(2)'));
  step('invoice_events', await until(page, `#/invoices/${invoice.id}`, '#invoice-events tbody',
    (v) => v.includes('invoice.paid'), 'the invoice.paid event').then(() => texts(page, '#invoice-events .event-type')));

  // A refund for more than was paid: the API's message, and nothing refunded.
  await act(page, 'invoice-refund', { amount: '1000.00', reason: 'too much' });
  await page.waitForSelector('#invoice-action-result .notice.error');
  step('refused_refund', await text(page, '#invoice-action-result .notice.error'));
  step('api_refusal', (await withKey('POST', `/v1/invoices/${invoice.id}/refunds`, { amount: 100000, reason: 'too much' })).json.error.message);
  step('refunds_after_refusal', (await withKey('GET', `/v1/invoices/${invoice.id}/refunds`)).json.data.length);
  // A bad amount is refused before the API is asked.
  await page.click('#invoice-refund-cancel');
  await act(page, 'invoice-refund', { amount: '10.001' });
  await page.waitForFunction(() => document.querySelector('#invoice-action-result .notice.error')?.textContent.startsWith('Amount:'));
  step('bad_amount', await text(page, '#invoice-action-result .notice.error'));
  await page.click('#invoice-refund-cancel');
  await act(page, 'invoice-refund', { amount: '10.50', reason: 'goodwill' });
  step('refund_done', await done(page, '#invoice-action-done'));
  step('refunded', await text(page, '#invoice-refunded'));
  step('refunds', await texts(page, '#invoice-refunds tbody td:nth-child(2)'));
  step('credit_notes', await texts(page, '#invoice-credit-notes tbody td:nth-child(2)'));

  // A credit note from the page. By keyboard: Enter opens the panel on its amount, every field labelled,
  // Escape closes it and gives the focus back.
  step('paid_actions', await page.$$eval('#invoice-actions .actions > button', (els) => els.map((el) => el.id)));
  await page.focus('#invoice-credit-note');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#invoice-credit-note-confirm');
  const focused = () => page.evaluate(() => document.activeElement?.id);
  const opened = await focused();
  const labelled = await page.$$eval('#invoice-actions form input, #invoice-actions form select',
    (els) => els.map((el) => `${el.id}: ${el.labels[0]?.textContent ?? ''}`));
  await page.keyboard.press('Escape');
  step('credit_note_keyboard', [opened, labelled, await page.$('#invoice-credit-note-confirm') === null, await focused()]);
  // More than the invoice can still give back: the API's message, and no credit note made.
  const notesOf = async () => (await withKey('GET', `/v1/credit-notes?invoice=${invoice.id}&limit=100`)).json.data;
  const notesBefore = (await notesOf()).length;
  await act(page, 'invoice-credit-note', { amount: '1000.00', reason: 'order_change' });
  await page.waitForSelector('#invoice-action-result .notice.error');
  step('refused_credit_note', await text(page, '#invoice-action-result .notice.error'));
  step('api_credit_refusal', (await withKey('POST', '/v1/credit-notes', { invoice: invoice.id, amount: 100000, reason: 'order_change' }, true)).json.error.message);
  step('credit_notes_after_refusal', (await notesOf()).length - notesBefore);
  await page.click('#invoice-credit-note-cancel');
  // 12.34 EUR, issued: listed with its exact amount, the money on the customer's balance.
  await fill(page, 'invoice-credit-note', { amount: '12.34', reason: 'order_change', memo: 'Two seats fewer' });
  await photograph(page, 'credit-note');
  await page.click('#invoice-credit-note-confirm');
  step('credit_note_done', await done(page, '#invoice-action-done'));
  const note = (await notesOf()).find((n) => n.total === 1234);
  step('credit_note_api', note ? [note.status, note.reason, note.memo, note.credit_amount, note.refund_amount] : null);
  const noteRow = async () => page.$$eval('#invoice-credit-notes tbody tr', (rows, number) =>
    rows.filter((r) => r.cells[0].textContent === number).map((r) => [...r.cells].slice(0, 3).map((c) => c.textContent)), note?.number);
  step('credit_note_row', await noteRow());
  step('customer_credit', await open(page, `#/customers/${customer.id}`, '#customer-credit').then(() => text(page, '#customer-credit')));
  await open(page, `#/invoices/${invoice.id}`, `#credit-note-void-${note?.id}`);
  step('credit_note_void_label', await page.$eval(`#credit-note-void-${note?.id}`, (el) => el.getAttribute('aria-label')));
  await photograph(page, 'invoice');
  // Voided from the page: shown void, no longer voidable, the credit taken back.
  await act(page, `credit-note-void-${note?.id}`);
  step('void_done', await done(page, '#invoice-action-done'));
  step('voided_row', await noteRow());
  step('void_button_gone', await page.$(`#credit-note-void-${note?.id}`) === null);
  step('voided_api', (await withKey('GET', `/v1/credit-notes/${note?.id}`)).json.status);
  step('customer_credit_after_void', await open(page, `#/customers/${customer.id}`, '#customer-credit').then(() => text(page, '#customer-credit')));

  // Disputes from the invoice page: one for more than the payment has left is refused (the API's message, no
  // dispute opened); 20.00 EUR is opened on the payment, listed, and closed as lost.
  const disputesOf = async () => (await withKey('GET', `/v1/invoices/${invoice.id}/disputes`)).json.data;
  const paymentId = (await withKey('GET', `/v1/invoices/${invoice.id}/payments`)).json.data.find((p) => p.status === 'succeeded')?.id;
  await open(page, `#/invoices/${invoice.id}`, '#invoice-dispute');
  await act(page, 'invoice-dispute', { payment: paymentId, amount: '500.00', reason: 'fraudulent' });
  await page.waitForSelector('#invoice-action-result .notice.error');
  step('refused_dispute', await text(page, '#invoice-action-result .notice.error'));
  step('dispute_labelled', await page.$$eval('#invoice-actions form input, #invoice-actions form select',
    (els) => els.every((el) => el.labels.length === 1 && el.labels[0].textContent.length > 0)));
  step('api_dispute_refusal', (await withKey('POST', `/v1/invoices/${invoice.id}/disputes`,
    { payment: paymentId, amount: 50000, reason: 'fraudulent' }, true)).json.error.message);
  step('disputes_after_refusal', (await disputesOf()).length);
  await page.click('#invoice-dispute-cancel');
  await act(page, 'invoice-dispute', { payment: paymentId, amount: '20.00', reason: 'fraudulent' });
  step('dispute_done', await done(page, '#invoice-action-done'));
  const dispute = (await disputesOf())[0];
  step('dispute_api', dispute ? [dispute.status, dispute.amount, dispute.reason, dispute.payment === paymentId] : null);
  const disputeRows = () => page.$$eval('#invoice-disputes tbody tr', (rows) => rows.map((r) => [...r.cells].slice(0, 4).map((c) => c.textContent)));
  step('dispute_rows', await disputeRows());
  step('dispute_close_label', await page.$eval(`#dispute-close-${dispute?.id}`, (el) => el.getAttribute('aria-label')));
  await fill(page, `dispute-close-${dispute?.id}`, { status: 'lost' });
  await photograph(page, 'disputes', '#disputes');
  await page.click(`#dispute-close-${dispute?.id}-confirm`);
  step('dispute_closed', await done(page, '#invoice-action-done'));
  step('closed_dispute_rows', await disputeRows());
  step('dispute_close_gone', await page.$(`#dispute-close-${dispute?.id}`) === null);
  const closedDispute = (await withKey('GET', `/v1/disputes/${dispute?.id}`)).json;
  step('closed_dispute_api', [closedDispute.status, closedDispute.closed_at > 0]);
  step('dispute_lost_at', (await withKey('GET', `/v1/invoices/${invoice.id}`)).json.dispute_lost_at > 0);
  await open(page, `#/invoices/${invoice.id}`, '#invoice-events');

  // An invoice event's own page.
  await page.click('#invoice-events tbody a');
  await page.waitForFunction(() => window.location.hash.startsWith('#/events/evt_'));
  await page.waitForSelector('#event-data');
  step('event_page', await page.evaluate(() => window.location.hash.startsWith('#/events/evt_')));

  // Yen: no decimals.
  await open(page, `#/invoices/${yen.id}`, '#invoice-total');
  step('yen_total', await text(page, '#invoice-total'));
  step('yen_unit', await text(page, '#invoice-lines tbody td:nth-child(3)'));

  // The subscription: cancelled at its period's end from the page.
  await open(page, '#/subscriptions', '#subscriptions');
  step('subscriptions_listed', await texts(page, '#subscriptions tbody td:first-child'));
  await photograph(page, 'subscriptions');
  await open(page, `#/subscriptions/${subscription.id}`, '#subscription-status');
  step('subscription_status', await text(page, '#subscription-status'));
  await act(page, 'subscription-cancel-later');
  step('subscription_cancels', await until(page, `#/subscriptions/${subscription.id}`, '#subscription-cancels', (v) => v === 'yes', 'the cancellation to show'));
  step('subscription_cancel_button_gone', await page.$('#subscription-cancel-later') === null);
  step('subscription_invoices', await texts(page, '#subscription-invoices tbody td:nth-child(3)'));
  await photograph(page, 'subscription');

  // A wallet, topped up from the page.
  const wallet = (await withKey('POST', '/v1/wallets', { customer: customer.id, currency: 'EUR', rate_amount: '0.5', name: 'Prepaid',
    granted_credits: '100' })).json;
  await open(page, '#/wallets', '#wallets');
  step('wallets_listed', await texts(page, '#wallets tbody td:nth-child(4)'));
  await photograph(page, 'wallets');
  await open(page, `#/wallets/${wallet.id}`, '#wallet-balance');
  step('wallet_balance', await text(page, '#wallet-balance'));
  await act(page, 'wallet-top-up', { granted_credits: '10' });
  step('wallet_credits_after', await until(page, `#/wallets/${wallet.id}`, '#wallet-credits', (v) => v !== '100', 'the top-up'));
  step('wallet_balance_after', await text(page, '#wallet-balance'));
  await photograph(page, 'wallet');

  // Payment methods on the customer's page. A number the sandbox does not take: the API's message, no card
  // added. Then a card added as fallback 2 (every field labelled), made the default, and the first card marked
  // invalid (the API cannot detach a card; invalid ones are never charged).
  const methodsOf = async () => (await withKey('GET', `/v1/payment-methods?customer=${customer.id}&limit=100`)).json.data;
  const methodsBefore = (await methodsOf()).length;
  await open(page, `#/customers/${customer.id}`, '#payment-method-add');
  await act(page, 'payment-method-add', { number: '4111 1111 1111 1111', exp_month: '11', exp_year: '2031' });
  await page.waitForSelector('#payment-method-result .notice.error');
  step('refused_card', await text(page, '#payment-method-result .notice.error'));
  step('api_card_refusal', (await withKey('POST', '/v1/payment-methods', { customer: customer.id, type: 'card',
    card: { number: '4111 1111 1111 1111', exp_month: 11, exp_year: 2031 } }, true)).json.error.message);
  step('cards_after_refusal', (await methodsOf()).length - methodsBefore);
  await page.click('#payment-method-add-cancel');
  await fill(page, 'payment-method-add', { number: '4000 0000 0000 9995', exp_month: '11', exp_year: '2031', fallback_order: '2' });
  step('card_form_labelled', await page.$$eval('#payment-methods-section form input, #payment-methods-section form select',
    (els) => els.map((el) => `${el.id}: ${el.labels[0]?.textContent ?? ''}`)));
  await photograph(page, 'payment-methods', '#payment-methods-section');
  await page.click('#payment-method-add-confirm');
  step('card_added', await done(page, '#customer-action-done'));
  const cardRows = () => page.$$eval('#payment-methods tbody tr', (rows) => rows.map((r) => [...r.cells].slice(0, 4).map((c) => c.textContent)));
  step('card_rows', await cardRows());
  const cardsNow = await methodsOf();
  const added = cardsNow.find((pm) => pm.card?.last4 === '9995');
  const first = cardsNow.find((pm) => pm.card?.last4 === '4242');
  step('card_api', added ? [added.status, added.is_default, added.fallback_order, added.card.exp_month, added.card.exp_year] : null);
  await act(page, `payment-method-default-${added?.id}`);
  step('card_default_done', await done(page, '#customer-action-done'));
  step('card_rows_default', await cardRows());
  await act(page, `payment-method-invalidate-${first?.id}`, { reason: 'expired' });
  step('card_invalid_done', await done(page, '#customer-action-done'));
  step('card_rows_invalid', await cardRows());
  step('card_actions_left', await page.$$eval('#payment-methods tbody .actions button', (els) => els.map((el) => el.textContent)));
  step('cards_api_after', (await methodsOf()).map((pm) => [pm.card.last4, pm.status, pm.invalid_reason, pm.is_default]));

  // A proforma of 250.00 EUR, issued through the API, then found by the nav's Proformas and acted on from its
  // page: a credit of all of it refused (the API's message, nothing credited), 12.34 EUR credited, and what is
  // left recorded as paid, which converts it into a numbered, paid tax invoice.
  const proforma = (await withKey('POST', '/v1/proformas', { customer: customer.id, currency: 'EUR', collection_method: 'send_invoice',
    days_until_due: 14, auto_finalize: true, lines: [{ description: 'Deposit <i>for</i> the project', quantity: 1, unit_amount: 25000 }] })).json;
  await page.click('#nav a[href="#/proformas"]');
  await page.waitForSelector(`#proformas a[href="#/proformas/${proforma.id}"]`);
  await settled(page);
  step('proformas_listed', await texts(page, '#proformas tbody td:first-child'));
  step('proformas_nav_current', await text(page, '#nav a[aria-current=page]'));
  await photograph(page, 'proformas');
  await page.click(`#proformas a[href="#/proformas/${proforma.id}"]`);
  await page.waitForSelector('#proforma-status');
  await settled(page);
  step('proforma_status', await text(page, '#proforma-status'));
  step('proforma_lines', await page.$$eval('#invoice-lines tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent))));
  step('proforma_total', await text(page, '#invoice-total'));
  step('proforma_actions', await page.$$eval('#proforma-actions .actions > button', (els) => els.map((el) => el.id)));
  await act(page, 'proforma-credit', { amount: '250.00', reason: 'order_change' });
  await page.waitForSelector('#proforma-action-result .notice.error');
  step('refused_proforma_credit', await text(page, '#proforma-action-result .notice.error'));
  step('api_proforma_refusal', (await withKey('POST', `/v1/proformas/${proforma.id}/credit`, { amount: 25000, reason: 'order_change' }, true)).json.error.message);
  step('proforma_credited_after_refusal', (await withKey('GET', `/v1/invoices/${proforma.id}`)).json.amount_credited);
  await page.click('#proforma-credit-cancel');
  await act(page, 'proforma-credit', { amount: '12.34', reason: 'order_change', description: 'One day fewer' });
  step('proforma_credit_done', await done(page, '#proforma-action-done'));
  const credited = (await withKey('GET', `/v1/invoices/${proforma.id}`)).json;
  step('proforma_credited_api', [credited.status, credited.amount_credited, credited.amount_remaining]);
  step('proforma_remaining', await text(page, '#invoice-remaining'));
  await fill(page, 'proforma-pay');
  step('proforma_pay_amount', await page.$eval('#proforma-pay-amount', (el) => el.value));
  await photograph(page, 'proforma');
  await page.click('#proforma-pay-confirm');
  step('proforma_pay_done', await done(page, '#proforma-action-done'));
  step('proforma_converted_status', await text(page, '#proforma-status'));
  step('proforma_actions_after', await page.$$eval('#proforma-actions .actions > button', (els) => els.map((el) => el.id)));
  const convertedProforma = (await withKey('GET', `/v1/invoices/${proforma.id}`)).json;
  const taxInvoice = convertedProforma.converted_to ? (await withKey('GET', `/v1/invoices/${convertedProforma.converted_to}`)).json : {};
  step('proforma_converted_api', [convertedProforma.status, taxInvoice.kind, taxInvoice.status, taxInvoice.number,
    taxInvoice.amount_paid, taxInvoice.converted_from === proforma.id]);
  step('proforma_converted_link', await text(page, '#proforma-converted-to') === convertedProforma.converted_to);
  // The list filtered by status (the converted proforma under converted, none open), and an invoice's id on a
  // proforma's address.
  await open(page, '#/proformas?status=converted', '#proforma-filters');
  step('proformas_converted', await texts(page, '#proformas tbody td:first-child'));
  step('proformas_status_kept', await page.$eval('#f-status', (el) => el.value));
  await open(page, '#/proformas?status=open', '#proforma-filters');
  step('proformas_open', await page.$('#proformas-empty') !== null);
  await open(page, `#/proformas/${invoice.id}`, 'h1');
  step('not_a_proforma', await page.$eval('#view', (el) => [el.querySelector('h1').textContent, el.querySelector('p a').getAttribute('href')]));

  step('script_ran', await page.evaluate(() => window.__xss ?? null));
  step('phone_overflow', phoneOverflow);
  step('screenshots', shots);
  step('csp_violations', await page.evaluate(() => window.__violations));
} catch (e) {
  out.error = String(e?.stack ?? e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
