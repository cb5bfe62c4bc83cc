// A Lago receiver as Lago's documentation shows it, for either signature its endpoint may be set to:
// - jwt (Lago's default): fetch the public key once (GET /api/v1/webhooks/public_key on Lago, here
//   GET /v1/webhooks/public_key; base64 of the PEM), keep it, and check X-Lago-Signature with
//   jsonwebtoken's verify (RS256, the issuer), whose `data` claim must be the payload as JSON;
// - hmac: the HMAC-SHA256 of the JSON payload with the HMAC key, base64, compared with X-Lago-Signature.
// Then a switch on webhook_type.
import crypto from "node:crypto";
import express from "express";
import jwt from "jsonwebtoken";
import { harness } from "./harness.mjs";

const app = express();
const { config, record, listen } = harness(app);
app.use(express.json());

let publicKey = null;
async function webhooksPublicKey() {
  if (publicKey === null) {
    const res = await fetch(`${config.api_url}/v1/webhooks/public_key`, {
      headers: { Authorization: `Bearer ${config.api_key}` },
    });
    if (!res.ok) throw new Error(`public key: HTTP ${res.status}`);
    publicKey = Buffer.from(await res.text(), "base64").toString("utf8");
  }
  return publicKey;
}

async function verify(req) {
  const signature = req.header("X-Lago-Signature");
  const algorithm = req.header("X-Lago-Signature-Algorithm");
  if (algorithm !== config.algorithm) return false;
  if (algorithm === "jwt") {
    try {
      const decoded = jwt.verify(signature, await webhooksPublicKey(), { algorithms: ["RS256"], issuer: config.issuer });
      return decoded.data === JSON.stringify(req.body);
    } catch {
      return false;
    }
  }
  const hmac = crypto.createHmac("sha256", config.hmac_key);
  hmac.update(JSON.stringify(req.body));
  return hmac.digest("base64") === signature;
}

app.post("/webhooks/lago", async (req, res) => {
  const verified = await verify(req);
  const { webhook_type, object_type } = req.body;
  record({ handler: webhook_type, object_type, object: req.body[object_type], verified,
           algorithm: req.header("X-Lago-Signature-Algorithm") ?? null,
           unique_key: req.header("X-Lago-Unique-Key") ?? null });
  res.sendStatus(verified ? 200 : 401);
});

listen();
