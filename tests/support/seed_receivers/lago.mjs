// A Lago receiver as Lago's documentation shows it for HMAC signatures: the HMAC-SHA256 of the JSON
// payload with the HMAC key, base64, compared with X-Lago-Signature; then a switch on webhook_type.
import crypto from "node:crypto";
import express from "express";
import { harness } from "./harness.mjs";

const app = express();
const { config, record, listen } = harness(app);
app.use(express.json());

app.post("/webhooks/lago", (req, res) => {
  const signature = req.header("X-Lago-Signature");
  const hmac = crypto.createHmac("sha256", config.hmac_key);
  hmac.update(JSON.stringify(req.body));
  const verified = req.header("X-Lago-Signature-Algorithm") === "hmac" && hmac.digest("base64") === signature;
  const { webhook_type, object_type } = req.body;
  record({ handler: webhook_type, object_type, object: req.body[object_type], verified,
           unique_key: req.header("X-Lago-Unique-Key") ?? null });
  res.sendStatus(verified ? 200 : 401);
});

listen();
