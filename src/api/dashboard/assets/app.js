// The dashboard's entry point: each page module registers its addresses with the router.
import { start } from './router.js';
import './pages/overview.js';
import './pages/endpoints.js';
import './pages/events.js';
import './pages/deliveries.js';
import './pages/customers.js';
import './pages/invoices.js';
import './pages/proformas.js';
import './pages/subscriptions.js';
import './pages/wallets.js';
import './pages/catalog.js';

start();
