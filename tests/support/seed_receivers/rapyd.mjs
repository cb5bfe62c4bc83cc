// A Rapyd receiver as Rapyd's webhook documentation shows it: the body as the exact string received,
// signature = BASE64(HMAC-SHA256(url_path + salt + timestamp + access_key + secret_key + body_string))
// with the secret key, the HMAC written in hex before base64 as Rapyd's code samples do; then a switch
// on `type`. Keys come from /_config once the test has made the endpoint.
import crypto from "node:crypto";
import express from "express";
import { harness } from "./harness.mjs";

const app = express();
const { config, record, listen } = harness(app);

app.post("/webhooks/rapyd", express.text({ type: "*/*" }), (req, res) => {
  const body = req.body;
  const salt = req.header("salt");
  const timestamp = req.header("timestamp");
  const toSign = config.url + salt + timestamp + config.access_key + config.secret_key + body;
  const hash = crypto.createHmac("sha256", config.secret_key).update(toSign).digest("hex");
  const expected = Buffer.from(hash).toString("base64");
  const verified = expected === req.header("signature");
  const webhook = JSON.parse(body);
  switch (webhook.type) {
    case "INVOICE_PAYMENT_CREATED":
      record({ handler: "invoicePaymentCreated", verified, webhook });
      break;
    default:
      record({ handler: "other", type: webhook.type, verified });
  }
  res.sendStatus(verified ? 200 : 401);
});

listen();
