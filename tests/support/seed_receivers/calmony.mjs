// A Calmony Pay receiver written as seed 001 shows it: express, JSON body, a switch on event.event,
// 200 "OK". The three handle* functions record what they were given.
import express from "express";
import { harness } from "./harness.mjs";

const app = express();
const { record, listen } = harness(app);
app.use(express.json());

const handleInvoiceCreated = (data) => record({ handler: "handleInvoiceCreated", data });
const handleInvoicePaid = (data) => record({ handler: "handleInvoicePaid", data });
const handleInvoicePaymentFailed = (data) => record({ handler: "handleInvoicePaymentFailed", data });

app.post('/webhooks/calmony', (req, res) => {
  const event = req.body;

  switch (event.event) {
    case 'invoice.created':
      // Record or notify on invoice generation
      handleInvoiceCreated(event.data);
      break;

    case 'invoice.paid':
      // Fulfil order, activate subscription
      handleInvoicePaid(event.data);
      break;

    case 'invoice.payment_failed':
      // Trigger dunning, notify customer
      handleInvoicePaymentFailed(event.data);
      break;

    default:
      // Safely ignore unhandled events
      record({ handler: "ignored", event: event.event ?? null });
      break;
  }

  res.status(200).send('OK');
});

listen();
