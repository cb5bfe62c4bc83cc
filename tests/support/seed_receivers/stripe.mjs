// A Stripe receiver as Stripe's documentation shows it: express.raw for the route, then
// stripe.webhooks.constructEvent(body, Stripe-Signature, endpoint secret) from the official library,
// then a switch on event.type.
import express from "express";
import Stripe from "stripe";
import { harness } from "./harness.mjs";

const stripe = new Stripe("sk_test_unused_no_api_calls_are_made");
const app = express();
const { config, record, listen } = harness(app);

app.post("/webhooks/stripe", express.raw({ type: "application/json" }), (request, response) => {
  let event;
  try {
    event = stripe.webhooks.constructEvent(request.body, request.headers["stripe-signature"], config.secret);
  } catch (err) {
    record({ handler: "rejected", message: err.message });
    response.status(400).send(`Webhook Error: ${err.message}`);
    return;
  }
  switch (event.type) {
    case "invoice.created":
    case "invoice.finalized":
    case "invoice.paid":
    case "invoice.payment_failed":
    case "invoice.payment_succeeded":
      record({ handler: event.type, id: event.id, object: event.object, invoice: event.data.object });
      break;
    default:
      record({ handler: "unhandled", type: event.type });
  }
  response.send();
});

listen();
