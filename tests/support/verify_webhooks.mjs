// Verifies webhooks with the Standard Webhooks reference library, as a receiver would, so that
// billhook's signatures are checked by code that is not ours.
//
// stdin:  a JSON array of {secret, headers: {"webhook-id", "webhook-timestamp", "webhook-signature"}, body}
// stdout: one line per item, "ok" or "FAIL <message>"; the exit status is 1 if any failed.
//
// The library also refuses a timestamp more than 5 minutes from its clock. That is a receiver's
// replay guard, not part of the signature, so each item is verified with the library's clock set to
// the webhook's own timestamp: a real webhook of any age verifies (billhook's own `verify` tests the
// tolerance). An item may set "now" (unix seconds) to verify at that moment instead.
//
// Setup: npm ci --prefix tests/support

import { readFileSync } from "node:fs";

let Webhook;
try {
  ({ Webhook } = await import("standardwebhooks"));
} catch (error) {
  console.error(`verify_webhooks: cannot load the standardwebhooks package (${error.message});`);
  console.error("run: npm ci --prefix tests/support");
  process.exit(2);
}

function verifyAt(unixSeconds, verify) {
  const realNow = Date.now;
  if (Number.isFinite(unixSeconds)) Date.now = () => unixSeconds * 1000;
  try {
    return verify();
  } finally {
    Date.now = realNow;
  }
}

const items = JSON.parse(readFileSync(0, "utf8"));
if (!Array.isArray(items)) {
  console.error("verify_webhooks: stdin must hold a JSON array");
  process.exit(2);
}

let failed = 0;
for (const item of items) {
  const at = item.now ?? Number.parseInt(item.headers?.["webhook-timestamp"], 10);
  try {
    verifyAt(at, () => new Webhook(item.secret).verify(item.body, item.headers));
    console.log("ok");
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${error.name}: ${error.message}`.replaceAll("\n", " "));
  }
}
process.exit(failed === 0 ? 0 : 1);
