// An Ezypay receiver as seed 002 lists the events: JSON body, a switch on eventType with the seed's
// names, merchantId telling merchants apart.
import express from "express";
import { harness } from "./harness.mjs";

const app = express();
const { record, listen } = harness(app);
app.use(express.json());

app.post("/webhooks/ezypay", (req, res) => {
  const { eventType, merchantId, createdOn, data } = req.body;
  switch (eventType) {
    case "customer_create":
    case "payment_method_linked":
    case "invoice_created":
    case "invoice_paid":
    case "invoice_past_due":
    case "subscription_create":
    case "subscription_activate":
    case "subscription_stopped":
    case "subscription_reactivate":
    case "subscription_cancel":
    case "subscription_completed":
    case "transaction_settled":
    case "credit_note_created":
    case "credit_note_paid":
    case "credit_note_failed":
      record({ handler: eventType, merchantId, createdOn, data });
      break;
    default:
      record({ handler: "other", eventType });
  }
  res.sendStatus(200);
});

listen();
