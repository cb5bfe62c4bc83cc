#include "billing/billing_service.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <limits>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/billing_documents.hpp"
#include "billing/customer_roles.hpp"
#include "billing/previous_attributes.hpp"
#include "core/money.hpp"
#include "events/outbox.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Error;
using core::Result;
using core::Status;

constexpr size_t kMaxNameLength = 200;
constexpr size_t kMaxEmailLength = 254;
constexpr size_t kMaxLocaleLength = 35;

// The attempt as its charge left it: what invoice.payment_created shows once the outcome is known.
PaymentRecord with_outcome(PaymentRecord attempt, const ChargeResult& charge, int64_t now) {
  if (charge.succeeded()) {
    attempt.status = PaymentAttemptStatus::succeeded;
    attempt.captured = true;
    attempt.paid_at = now;
  } else if (charge.outcome == ChargeOutcome::requires_action) {
    attempt.status = PaymentAttemptStatus::requires_action;
    attempt.next_action = charge.next_action;
  } else {
    attempt.status = PaymentAttemptStatus::failed;
    attempt.failure_code = charge.failure_code;
    attempt.failure_message = charge.failure_message;
  }
  return attempt;
}

int utc_year(int64_t unix_s) {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(sys_seconds{seconds{unix_s}})};
  return static_cast<int>(ymd.year());
}

// A card is usable through the end of its expiry month.
bool card_expired(const Card& card, int64_t now_s) {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(sys_seconds{seconds{now_s}})};
  const int now_months = static_cast<int>(ymd.year()) * 12 + static_cast<int>(static_cast<unsigned>(ymd.month()));
  return card.exp_year * 12 + card.exp_month < now_months;
}

bool issued(const Invoice& i) { return i.status == InvoiceStatus::open || i.status == InvoiceStatus::uncollectible; }

Status check_customer_fields(const CustomerChange& c) {
  auto too_long = [](const std::optional<std::optional<std::string>>& v, size_t max) {
    return v && *v && (**v).size() > max;
  };
  if (too_long(c.name, kMaxNameLength))
    return Error::invalid("parameter_invalid", fmt::format("'name' must be at most {} characters", kMaxNameLength),
                          "name");
  if (c.email && *c.email) {
    const auto& email = **c.email;
    const auto at = email.find('@');
    if (email.size() > kMaxEmailLength || at == std::string::npos || at == 0 || at + 1 == email.size())
      return Error::invalid("parameter_invalid", "'email' must be an address such as ada@example.com", "email");
  }
  if (too_long(c.locale, kMaxLocaleLength))
    return Error::invalid("parameter_invalid", "'locale' must be a BCP 47 tag such as en-GB", "locale");
  if (c.currency && *c.currency && !core::is_known_currency(**c.currency)) {
    return Error::invalid("unknown_currency",
                          fmt::format("'currency' must be an active ISO 4217 code such as EUR, not '{}'", **c.currency),
                          "currency");
  }
  for (const auto& [key, value] : c.metadata.value_or(Metadata{}))
    if (value.size() > kMaxMetadataValueLength)
      return Error::invalid("parameter_invalid", "metadata values must be at most 500 characters", "metadata." + key);
  return {};
}

void apply_customer_change(Customer& c, const CustomerChange& change) {
  if (change.name) c.name = *change.name;
  if (change.email) c.email = *change.email;
  if (change.locale) c.locale = *change.locale;
  if (change.currency) c.currency = *change.currency;
  if (change.tax_id) c.tax_id = *change.tax_id;
  if (change.address) c.address = *change.address;
  if (change.metadata) c.metadata = *change.metadata;
}

}  // namespace


BillingService::BillingService(const catalog::Catalog& catalog, const events::ProfileRules& profiles,
                               core::IdGenerator& ids, const core::Clock& clock, PaymentProcessor& processor,
                               BillingSchedule schedule)
    : catalog_(catalog),
      profiles_(profiles),
      ids_(ids),
      clock_(clock),
      processor_(processor),
      schedule_(std::move(schedule)) {}

int64_t BillingService::now_s() const { return core::to_unix_ms(clock_.now()) / 1000; }

Status BillingService::append(store::WriteTx& tx, const std::string& type, const std::string& aggregate_type,
                              const std::string& aggregate_id, json::object object, json::object previous,
                              const Origin& origin) {
  // Observers of this aggregate type see the event once it is appended (observe_events).
  const bool observed = std::any_of(observers_.begin(), observers_.end(),
                                    [&](const Observer& o) { return o.aggregate_type == aggregate_type; });
  std::optional<json::object> shown;
  if (observed) shown = object;
  events::Event event;
  event.id = ids_.next(core::IdKind::event);
  event.type = type;
  event.created_ms = core::to_unix_ms(clock_.now());
  event.aggregate = events::Aggregate{aggregate_type, aggregate_id, 0};
  event.data_json = json::serialize(
      json::object{{"object", std::move(object)}, {"previous_attributes", std::move(previous)}});
  event.request_id = origin.request_id;
  event.idempotency_key = origin.idempotency_key;
  auto appended = events::append_event(tx, catalog_, profiles_, ids_, event);
  if (!appended) return std::move(appended).error();
  if (!shown) return {};
  for (const auto& observer : observers_)
    if (observer.aggregate_type == aggregate_type)
      if (auto s = observer.react(tx, type, *shown, origin); !s) return s;
  return {};
}

Status BillingService::append_all(store::WriteTx& tx, std::vector<InvoiceEvent> events, const Origin& origin) {
  for (auto& e : events) {
    if (auto s = append(tx, e.type, "invoice", e.invoice_id, std::move(e.object), std::move(e.previous_attributes),
                        origin);
        !s)
      return s;
  }
  return {};
}

Result<Invoice> BillingService::load_invoice(store::WriteTx& tx, std::string_view id) {
  auto found = stored::find_invoice(tx, id);
  if (!found) return std::move(found).error();
  if (!*found) return Error::not_found("invoice_not_found", fmt::format("no invoice has id '{}'", id));
  return std::move(**found);
}

Result<Customer> BillingService::load_customer(store::WriteTx& tx, std::string_view id, std::string_view param) {
  auto found = stored::find_customer(tx, id);
  if (!found) return std::move(found).error();
  if (!*found) {
    // Named in a request body, an unknown customer is a bad request; in the path, it is not found.
    if (!param.empty())
      return Error::invalid("resource_missing", fmt::format("no customer has id '{}'", id), std::string(param));
    return Error::not_found("customer_not_found", fmt::format("no customer has id '{}'", id));
  }
  return std::move(**found);
}

// The next moment one of run_time's rules fires for `invoice`: a retry, a pre-due offset, the first
// second past due, the next reminder step. Moments already reached count as `now` (run soon), unless
// run_time has just handled them (`after_pass`).
std::optional<int64_t> BillingService::next_wake(const Invoice& invoice, int64_t now, bool after_pass) const {
  if (!issued(invoice) || invoice.amount_remaining <= 0) return std::nullopt;
  if (invoice.dispute_lost_at) return std::nullopt;  // as Lago: a lost chargeback ends dunning
  std::optional<int64_t> best;
  const auto consider = [&](int64_t t) {
    if (after_pass && t <= now) return;
    t = std::max(t, now);
    best = best ? std::min(*best, t) : t;
  };
  if (invoice.next_payment_attempt) consider(*invoice.next_payment_attempt);
  if (invoice.due_date) {
    const int64_t due = *invoice.due_date;
    if (now < due)
      for (auto days : schedule_.pre_due_offsets_days) consider(due - days * kSecondsPerDay);
    consider(due + 1);
    const int64_t every = std::max<int64_t>(1, schedule_.overdue_reminder_every_days) * kSecondsPerDay;
    const int64_t step = now > due ? (now - due) / every : 0;
    consider(due + (step + 1) * every);
  }
  return best;
}

Status BillingService::save_invoice(store::WriteTx& tx, const Invoice& invoice, bool is_new, bool after_pass) {
  const auto record = stored::record_of(invoice, next_wake(invoice, now_s(), after_pass));
  return is_new ? tx.insert_document(record) : tx.update_document(record);
}

void BillingService::observe_events(const void* owner, std::string aggregate_type, EventObserver observer) {
  observers_.push_back({owner, std::move(aggregate_type), std::move(observer)});
}

void BillingService::stop_observing(const void* owner) {
  std::erase_if(observers_, [owner](const Observer& o) { return o.owner == owner; });
}

Status BillingService::save_method(store::WriteTx& tx, const PaymentMethod& method, bool is_new) {
  const auto record = stored::record_of(method);
  return is_new ? tx.insert_document(record) : tx.update_document(record);
}

Result<std::string> BillingService::mint_number(store::WriteTx& tx) {
  const int year = utc_year(now_s());
  auto n = tx.next_sequence(stored::kInvoiceNumbers, std::to_string(year));
  if (!n) return std::move(n).error();
  return fmt::format("INV-{}-{:06}", year, *n);
}

// --- customers -------------------------------------------------------------------------------------

Result<Customer> BillingService::create_customer(store::WriteTx& tx, const CustomerChange& fields,
                                                 const Origin& origin, const WriteRoles& write_roles) {
  if (auto s = check_customer_fields(fields); !s) return std::move(s).error();
  Customer c;
  c.id = ids_.next(core::IdKind::customer);
  c.created = now_s();
  apply_customer_change(c, fields);
  if (auto s = tx.insert_document(stored::record_of(c)); !s) return std::move(s).error();
  if (write_roles)
    if (auto s = write_roles(tx, c); !s) return std::move(s).error();
  auto object = customer_json(tx, c);
  if (!object) return std::move(object).error();
  if (auto s = append(tx, "customer.created", "customer", c.id, std::move(*object), {}, origin); !s)
    return std::move(s).error();
  return c;
}

Result<Customer> BillingService::update_customer(store::WriteTx& tx, std::string_view id,
                                                 const CustomerChange& change, const Origin& origin,
                                                 const WriteRoles& write_roles) {
  if (auto s = check_customer_fields(change); !s) return std::move(s).error();
  auto before = load_customer(tx, id, "");
  if (!before) return std::move(before).error();
  auto before_object = customer_json(tx, *before);
  if (!before_object) return std::move(before_object).error();
  Customer after = *before;
  apply_customer_change(after, change);
  if (after != *before)
    if (auto s = tx.update_document(stored::record_of(after)); !s) return std::move(s).error();
  if (write_roles)
    if (auto s = write_roles(tx, after); !s) return std::move(s).error();
  auto object = customer_json(tx, after);
  if (!object) return std::move(object).error();
  if (*object == *before_object) return after;  // nothing changed, nothing to tell
  auto previous = previous_attributes(*before_object, *object);
  if (auto s = append(tx, "customer.updated", "customer", after.id, std::move(*object), std::move(previous), origin);
      !s)
    return std::move(s).error();
  return after;
}

Result<json::object> BillingService::customer_json(store::WriteTx& tx, const Customer& customer) {
  auto roles = roles_of(tx, customer.id);
  if (!roles) return std::move(roles).error();
  return with_roles(to_json(customer), *roles);
}

Status BillingService::credit_customer(store::WriteTx& tx, const Invoice& invoice, int64_t amount,
                                       const Origin& origin) {
  auto moved = move_balance(tx, invoice.customer_id, -amount, BalanceEntryType::overpayment, invoice.currency,
                            invoice.id, std::nullopt, origin);
  if (!moved) return std::move(moved).error();
  return {};
}

Result<BalanceTransaction> BillingService::move_balance(store::WriteTx& tx, const std::string& customer_id,
                                                        int64_t change, BalanceEntryType type,
                                                        const std::string& currency,
                                                        std::optional<std::string> invoice_id,
                                                        std::optional<std::string> credit_note_id,
                                                        const Origin& origin) {
  auto before = load_customer(tx, customer_id, "");
  if (!before) return std::move(before).error();
  Customer after = *before;
  auto balance = core::checked_add(after.balance, change);
  if (!balance) return std::move(balance).error();
  after.balance = *balance;
  if (!after.currency) after.currency = currency;
  if (auto s = tx.update_document(stored::record_of(after)); !s) return std::move(s).error();
  BalanceTransaction entry{.id = ids_.next(core::IdKind::balance_transaction),
                           .customer = customer_id,
                           .type = type,
                           .amount = change,
                           .currency = currency,
                           .ending_balance = after.balance,
                           .invoice = std::move(invoice_id),
                           .credit_note = std::move(credit_note_id),
                           .created = now_s()};
  if (auto s = kBalanceTransactions.insert(tx, entry, entry.id, core::to_unix_ms(clock_.now())); !s)
    return std::move(s).error();
  auto roles = roles_of(tx, after.id);  // a balance moving leaves them as they are
  if (!roles) return std::move(roles).error();
  auto object = with_roles(to_json(after), *roles);
  auto previous = previous_attributes(with_roles(to_json(*before), *roles), object);
  if (auto s = append(tx, "customer.updated", "customer", after.id, std::move(object), std::move(previous), origin);
      !s)
    return std::move(s).error();
  return entry;
}

// --- payment methods -------------------------------------------------------------------------------

Result<PaymentMethod> BillingService::attach_card(store::WriteTx& tx, const AttachCard& request,
                                                  const Origin& origin) {
  const auto card = sandbox_card(request.number);
  if (!card) {
    return Error::invalid("card_number_not_accepted",
                          "'card.number' must be one of the sandbox's test cards, such as 4242 4242 4242 4242",
                          "card.number");
  }
  if (request.exp_month < 1 || request.exp_month > 12)
    return Error::invalid("parameter_invalid", "'card.exp_month' must be from 1 to 12", "card.exp_month");
  if (request.exp_year < 2000 || request.exp_year > 2200)
    return Error::invalid("parameter_invalid", "'card.exp_year' must be a four-digit year", "card.exp_year");
  auto customer = load_customer(tx, request.customer_id, "customer");
  if (!customer) return std::move(customer).error();
  auto existing = stored::payment_methods_of(tx, request.customer_id);
  if (!existing) return std::move(existing).error();

  PaymentMethod m;
  m.id = ids_.next(core::IdKind::payment_method);
  m.customer_id = request.customer_id;
  m.type = "card";
  m.card = Card{card->brand, card->last4, request.exp_month, request.exp_year, std::nullopt};
  m.fallback_order = request.fallback_order;
  m.created = now_s();

  PaymentMethod* replaced = nullptr;
  if (request.replaces) {
    for (auto& other : *existing)
      if (other.id == *request.replaces) replaced = &other;
    if (!replaced)
      return Error::invalid("resource_missing",
                            fmt::format("the customer has no payment method '{}' to replace", *request.replaces),
                            "replaces");
    m.replaces = replaced->id;
  }
  const bool has_default = std::any_of(existing->begin(), existing->end(), [](const auto& o) { return o.is_default; });
  m.is_default = request.make_default || !has_default || (replaced && replaced->is_default);

  std::vector<std::pair<std::string, const PaymentMethod*>> after_events;
  // The replaced method steps aside: it is no longer valid, nor the default.
  PaymentMethod replaced_before;
  if (replaced) {
    replaced_before = *replaced;
    replaced->is_default = false;
    if (replaced->valid) {
      replaced->valid = false;
      replaced->invalid_reason = "replaced";
    }
    if (auto s = save_method(tx, *replaced, false); !s) return std::move(s).error();
  }
  if (m.is_default) {
    for (auto& other : *existing) {
      if (!other.is_default || &other == replaced) continue;
      other.is_default = false;
      if (auto s = save_method(tx, other, false); !s) return std::move(s).error();
    }
  }
  if (auto s = save_method(tx, m, true); !s) return std::move(s).error();
  const auto object = to_json(m);
  if (auto s = append(tx, "payment_method.attached", "payment_method", m.id, object, {}, origin); !s)
    return std::move(s).error();
  if (replaced) {
    if (replaced_before.valid) {
      const auto old_object = to_json(*replaced);
      if (auto s = append(tx, "payment_method.invalidated", "payment_method", replaced->id, old_object,
                          previous_attributes(to_json(replaced_before), old_object), origin);
          !s)
        return std::move(s).error();
    }
    if (auto s = append(tx, "payment_method.replaced", "payment_method", m.id, object, {}, origin); !s)
      return std::move(s).error();
  }
  if (m.is_default && has_default) {
    if (auto s = append(tx, "payment_method.default_changed", "payment_method", m.id, object, {}, origin); !s)
      return std::move(s).error();
    if (auto s = announce_to_open_invoices(tx, m, /*restored=*/false, origin); !s) return std::move(s).error();
  }
  return m;
}

Result<PaymentMethod> BillingService::update_payment_method(store::WriteTx& tx, std::string_view id,
                                                            const PaymentMethodChange& change,
                                                            const Origin& origin) {
  auto found = stored::find_payment_method(tx, id);
  if (!found) return std::move(found).error();
  if (!*found)
    return Error::not_found("payment_method_not_found", fmt::format("no payment method has id '{}'", id));
  const PaymentMethod before = **found;
  PaymentMethod after = before;
  if (change.fallback_order) after.fallback_order = *change.fallback_order;
  if (change.valid) {
    after.valid = *change.valid;
    after.invalid_reason = *change.valid ? std::nullopt
                                         : std::optional<std::string>(change.invalid_reason.value_or("manual"));
  }
  const bool becomes_default = change.make_default && !before.is_default;
  if (becomes_default) {
    if (!after.valid)
      return Error::conflict("payment_method_invalid", "an invalid payment method cannot be the default", "default");
    after.is_default = true;
    auto others = stored::payment_methods_of(tx, after.customer_id);
    if (!others) return std::move(others).error();
    for (auto& other : *others) {
      if (other.id == after.id || !other.is_default) continue;
      other.is_default = false;
      if (auto s = save_method(tx, other, false); !s) return std::move(s).error();
    }
  }
  if (after == before) return after;
  if (auto s = save_method(tx, after, false); !s) return std::move(s).error();
  const auto object = to_json(after);
  const auto previous = previous_attributes(to_json(before), object);
  if (before.valid != after.valid) {
    if (auto s = append(tx, after.valid ? "payment_method.validated" : "payment_method.invalidated", "payment_method",
                        after.id, object, previous, origin);
        !s)
      return std::move(s).error();
  }
  if (becomes_default) {
    if (auto s = append(tx, "payment_method.default_changed", "payment_method", after.id, object, previous, origin);
        !s)
      return std::move(s).error();
  }
  if (!before.valid && after.valid) {
    if (auto s = announce_to_open_invoices(tx, after, /*restored=*/true, origin); !s) return std::move(s).error();
  }
  if (becomes_default) {
    if (auto s = announce_to_open_invoices(tx, after, /*restored=*/false, origin); !s) return std::move(s).error();
  }
  return after;
}

Status BillingService::announce_to_open_invoices(store::WriteTx& tx, const PaymentMethod& method, bool restored,
                                                 const Origin& origin) {
  auto invoices = stored::open_invoices_of(tx, method.customer_id);
  if (!invoices) return std::move(invoices).error();
  for (const auto& invoice : *invoices) {
    if (invoice.amount_remaining <= 0) continue;
    json::object extra{{"payment_method", method.id}};
    std::string_view type;
    if (restored) {
      // Only collection that failed was waiting for a usable method.
      if (invoice.payment_status != PaymentStatus::failed) continue;
      type = "invoice.payment_method_restored";
    } else {
      // Only an invoice collection already tried has a method to swap from.
      if (!invoice.payment || invoice.payment->payment_method_id == method.id) continue;
      if (invoice.payment_method_id) continue;  // it names its own method; the default does not apply
      extra["previous_payment_method"] = invoice.payment->payment_method_id
                                             ? json::value(*invoice.payment->payment_method_id)
                                             : json::value(nullptr);
      type = "invoice.payment_method_swapped";
    }
    json::object object = to_json(invoice);
    for (const auto& field : extra) object[field.key()] = field.value();
    if (auto s = append(tx, std::string(type), "invoice", invoice.id, std::move(object), {}, origin); !s) return s;
  }
  return {};
}

// --- invoices --------------------------------------------------------------------------------------

Result<InvoiceResult> BillingService::create_invoice(store::WriteTx& tx, Invoice document, bool auto_finalize,
                                                     const Origin& origin) {
  auto customer = load_customer(tx, document.customer_id, "customer");
  if (!customer) return std::move(customer).error();
  document.id = ids_.next(core::IdKind::invoice);
  const int64_t now = now_s();
  Create command{.document = document, .issued = auto_finalize};
  if (auto_finalize && document.kind == InvoiceKind::invoice) {
    // A dry run first, so that a document that cannot be issued does not use up a legal number.
    command.number = "INV-PENDING";
    if (auto probe = create(command, now); !probe) return std::move(probe).error();
    auto number = mint_number(tx);
    if (!number) return std::move(number).error();
    command.number = std::move(*number);
  }
  auto t = create(command, now);
  if (!t) return std::move(t).error();
  if (auto s = save_invoice(tx, t->invoice, true); !s) return std::move(s).error();
  if (auto s = append_all(tx, std::move(t->events), origin); !s) return std::move(s).error();
  return InvoiceResult{std::move(t->invoice), std::nullopt, std::nullopt};
}

Result<InvoiceResult> BillingService::finalize(store::WriteTx& tx, std::string_view id, const Origin& origin) {
  auto before = load_invoice(tx, id);
  if (!before) return std::move(before).error();
  const int64_t now = now_s();
  Finalize command;
  if (before->kind == InvoiceKind::invoice) {
    command.number = "INV-PENDING";
    auto probe = billing::apply(*before, command, now);
    if (!probe) return std::move(probe).error();
    if (!probe->refusal) {
      auto number = mint_number(tx);
      if (!number) return std::move(number).error();
      command.number = std::move(*number);
    }
  }
  auto t = billing::apply(*before, command, now);
  if (!t) return std::move(t).error();
  if (auto s = save_invoice(tx, t->invoice, false); !s) return std::move(s).error();
  if (auto s = append_all(tx, std::move(t->events), origin); !s) return std::move(s).error();
  return InvoiceResult{std::move(t->invoice), std::nullopt, std::move(t->refusal)};
}

Result<InvoiceResult> BillingService::duplicate(store::WriteTx& tx, std::string_view id, const Origin& origin) {
  auto before = load_invoice(tx, id);
  if (!before) return std::move(before).error();
  auto t = billing::apply(*before, Duplicate{ids_.next(core::IdKind::invoice)}, now_s());
  if (!t) return std::move(t).error();
  if (auto s = save_invoice(tx, t->invoice, false); !s) return std::move(s).error();
  if (t->spawned) {
    if (auto s = save_invoice(tx, *t->spawned, true); !s) return std::move(s).error();
  }
  if (auto s = append_all(tx, std::move(t->events), origin); !s) return std::move(s).error();
  return InvoiceResult{std::move(t->invoice), std::move(t->spawned), std::nullopt};
}

Result<InvoiceResult> BillingService::apply(store::WriteTx& tx, std::string_view id, const Command& command,
                                            const Origin& origin) {
  assert(!std::holds_alternative<Finalize>(command) && !std::holds_alternative<Duplicate>(command));
  auto before = load_invoice(tx, id);
  if (!before) return std::move(before).error();
  auto t = billing::apply(*before, command, now_s());
  if (!t) return std::move(t).error();
  return record(tx, std::move(*t), origin);
}

Result<InvoiceResult> BillingService::record(store::WriteTx& tx, Transition t, const Origin& origin) {
  if (auto s = save_invoice(tx, t.invoice, false); !s) return std::move(s).error();
  if (t.spawned) {
    if (auto s = save_invoice(tx, *t.spawned, true); !s) return std::move(s).error();
  }
  if (auto s = append_all(tx, std::move(t.events), origin); !s) return std::move(s).error();
  if (t.overpayment > 0) {
    if (auto s = credit_customer(tx, t.invoice, t.overpayment, origin); !s) return std::move(s).error();
  }
  return InvoiceResult{std::move(t.invoice), std::move(t.spawned), std::move(t.refusal)};
}

// --- payments --------------------------------------------------------------------------------------

// The events of one collection or payment, in order, each with its own snapshot of the invoice.
struct BillingService::Pending {
  std::vector<InvoiceEvent> events;

  // `extra` adds event-context fields the document does not hold (the method an event is about, …).
  void step(const Invoice& before, const Invoice& after, std::initializer_list<std::string_view> types,
            const json::object& extra = {}) {
    json::object object = to_json(after);
    for (const auto& field : extra) object[field.key()] = field.value();
    const json::object previous = previous_attributes(to_json(before), to_json(after));
    for (auto type : types) events.push_back({std::string(type), after.id, object, previous});
  }
  void add(std::vector<InvoiceEvent> more) {
    for (auto& e : more) events.push_back(std::move(e));
  }
};

Result<InvoiceResult> BillingService::pay(store::WriteTx& tx, std::string_view id, const PayRequest& request,
                                          const Origin& origin) {
  auto invoice = load_invoice(tx, id);
  if (!invoice) return std::move(invoice).error();
  if (request.external) return record_external(tx, std::move(*invoice), request, origin);
  if (request.amount || request.currency)
    return Error::invalid("parameter_invalid",
                          "'amount' and 'currency' are for a payment made elsewhere (\"external\": true); a charge "
                          "collects what remains",
                          request.amount ? "amount" : "currency");
  return collect(tx, std::move(*invoice), request, origin);
}

namespace {

// The command a payment runs as in the invoice's current status; the machine refuses the others
// with a message naming that status.
Command payment_command(const Invoice& invoice, PaymentReceived payment) {
  if (invoice.status == InvoiceStatus::uncollectible) return PayFromUncollectible{std::move(payment)};
  return RecordPayment{.payment = std::move(payment)};
}

}  // namespace

Result<InvoiceResult> BillingService::record_external(store::WriteTx& tx, Invoice invoice, const PayRequest& request,
                                                      const Origin& origin) {
  if (!request.amount) return Error::invalid("parameter_missing", "an external payment needs its 'amount'", "amount");
  const int64_t now = now_s();
  PaymentReceived received{.payment_id = ids_.next(core::IdKind::payment),
                           .amount = *request.amount,
                           .currency = request.currency.value_or(invoice.currency),
                           .payment_method_id = std::nullopt,
                           .payment_method_type = "external",
                           .fallback = false,
                           .paid_via = PaidVia::external};
  Command command = payment_command(invoice, received);
  if (invoice.kind == InvoiceKind::proforma && invoice.status == InvoiceStatus::open) {
    // A payment that settles a proforma converts it into a tax invoice with a legal number: a dry run
    // first, so that only a conversion that happens uses up a number.
    RecordPayment conversion{.payment = received,
                             .converted_invoice_id = "inv_pending",
                             .converted_invoice_number = "INV-PENDING"};
    auto probe = billing::apply(invoice, conversion, now);
    if (!probe) return std::move(probe).error();
    if (probe->spawned) {
      auto number = mint_number(tx);
      if (!number) return std::move(number).error();
      conversion.converted_invoice_id = ids_.next(core::IdKind::invoice);
      conversion.converted_invoice_number = std::move(*number);
    }
    command = std::move(conversion);
  }
  // The machine checks status, amount and currency; nothing is recorded when it refuses.
  auto t = billing::apply(invoice, command, now);
  if (!t) return std::move(t).error();
  Pending pending;
  Invoice created = invoice;
  // Money recorded by hand has its outcome already: it was paid.
  created.payment = PaymentRecord{.id = received.payment_id,
                                  .amount = received.amount,
                                  .currency = received.currency,
                                  .status = PaymentAttemptStatus::succeeded,
                                  .payment_method_type = "external",
                                  .captured = true,
                                  .attempt = invoice.attempt_count + 1,
                                  .created = now,
                                  .paid_at = now};
  created.attempt_count = invoice.attempt_count + 1;
  pending.step(invoice, created, {"invoice.payment_created"});
  pending.add(std::move(t->events));
  if (t->invoice.payment) {
    if (auto s = tx.insert_document(stored::payment_record(received.payment_id, invoice.id, now * 1000, *t->invoice.payment)); !s)
      return std::move(s).error();
  }
  if (auto s = save_invoice(tx, t->invoice, false); !s) return std::move(s).error();
  if (t->spawned) {
    if (auto s = save_invoice(tx, *t->spawned, true); !s) return std::move(s).error();
  }
  if (auto s = append_all(tx, std::move(pending.events), origin); !s) return std::move(s).error();
  if (t->overpayment > 0) {
    if (auto s = credit_customer(tx, t->invoice, t->overpayment, origin); !s) return std::move(s).error();
  }
  return InvoiceResult{std::move(t->invoice), std::move(t->spawned), std::nullopt};
}

// Collection (CATALOG.md §1.3): the customer's valid methods in order — the invoice's own method or
// the default first, then the fallbacks by fallback_order, then the rest oldest first — each tried
// once until one pays. After a failed round of automatic collection the next round is scheduled.
Result<InvoiceResult> BillingService::collect(store::WriteTx& tx, Invoice invoice, const PayRequest& request,
                                              const Origin& origin, int* emitted) {
  const int64_t now = now_s();
  // Let the machine phrase the refusal of an invoice that cannot take a payment now.
  if (!allows(invoice.status, invoice.kind,
              invoice.status == InvoiceStatus::uncollectible ? CommandKind::pay_from_uncollectible
                                                             : CommandKind::record_payment)) {
    auto refused = billing::apply(invoice, RecordPayment{}, now);
    assert(!refused);
    return std::move(refused).error();
  }
  if (invoice.kind == InvoiceKind::proforma)
    return Error::invalid("parameter_invalid", "a proforma is settled by recording a payment (\"external\": true)",
                          "external");
  if (invoice.amount_remaining <= 0)
    return Error::conflict("nothing_to_collect", fmt::format("invoice {} has nothing left to pay", invoice.id));

  auto all = stored::payment_methods_of(tx, invoice.customer_id);
  if (!all) return std::move(all).error();
  std::vector<PaymentMethod> methods;
  if (request.payment_method_id) {
    auto it = std::find_if(all->begin(), all->end(), [&](const auto& m) { return m.id == *request.payment_method_id; });
    if (it == all->end())
      return Error::invalid("resource_missing",
                            fmt::format("the invoice's customer has no payment method '{}'", *request.payment_method_id),
                            "payment_method");
    if (!it->valid)
      return Error::conflict("payment_method_invalid",
                             fmt::format("payment method {} is invalid ({})", it->id, it->invalid_reason.value_or("")),
                             "payment_method");
    methods.push_back(*it);
  } else {
    for (const auto& m : *all)
      if (m.valid && m.type == "card" && m.card) methods.push_back(m);
    const auto preferred = [&](const PaymentMethod& m) {
      return invoice.payment_method_id ? m.id == *invoice.payment_method_id : m.is_default;
    };
    std::stable_sort(methods.begin(), methods.end(), [&](const PaymentMethod& a, const PaymentMethod& b) {
      if (preferred(a) != preferred(b)) return preferred(a);
      const int order_a = a.fallback_order.value_or(std::numeric_limits<int>::max());
      const int order_b = b.fallback_order.value_or(std::numeric_limits<int>::max());
      return order_a < order_b;  // ties keep oldest first
    });
  }

  Pending pending;
  InvoiceResult result{invoice, std::nullopt, std::nullopt};
  Invoice& current = result.invoice;
  current.next_payment_attempt.reset();
  const auto set_payment_status = [&](PaymentStatus status) {
    if (current.payment_status == status) return;
    const Invoice before = current;
    current.payment_status = status;
    pending.step(before, current, {"invoice.payment_status_updated"});
  };

  if (methods.empty()) {
    const Invoice before = current;
    pending.step(before, current, {"invoice.payment_missing_data"},
                 json::object{{"missing_fields", json::array{"payment_method"}}});
    result.refusal = Error::conflict(
        "payment_method_missing",
        fmt::format("customer {} has no valid payment method to charge; attach one with POST /v1/payment-methods",
                    invoice.customer_id));
  }

  bool settled_or_waiting = false;
  for (size_t i = 0; i < methods.size() && !settled_or_waiting; ++i) {
    PaymentMethod& method = methods[i];
    const bool last = i + 1 == methods.size();
    const bool fallback = !method.is_default && !(invoice.payment_method_id && *invoice.payment_method_id == method.id);
    PaymentRecord attempt{.id = ids_.next(core::IdKind::payment),
                          .amount = current.amount_remaining,
                          .currency = current.currency,
                          .status = PaymentAttemptStatus::pending,
                          .payment_method_id = method.id,
                          .payment_method_type = method.type,
                          .fallback = fallback,
                          .captured = false,
                          .attempt = current.attempt_count + 1,
                          .created = now,
                          .card = method.card};

    ChargeResult charge;
    if (card_expired(*method.card, now)) {
      charge.outcome = ChargeOutcome::declined;
      charge.failure_code = "expired_card";
      charge.failure_message = fmt::format("the card expired at the end of {:02}/{}", method.card->exp_month,
                                           method.card->exp_year);
    } else {
      const auto card = sandbox_card_by_last4(method.card->last4);
      charge = processor_.charge(ChargeRequest{.payment_id = attempt.id,
                                               .amount = attempt.amount,
                                               .currency = attempt.currency,
                                               .card_number = card ? card->number : std::string(),
                                               .authentication_completed = request.authentication_completed});
    }
    {
      // The attempt counts from its creation, announced once its outcome is known (in this same
      // transaction), as seed 004's INVOICE_PAYMENT_CREATED shows a completed payment: paid, or failed,
      // or waiting for the customer's action.
      const Invoice before = current;
      current.payment = with_outcome(attempt, charge, now);
      current.attempt_count = attempt.attempt;
      pending.step(before, current, {"invoice.payment_created"});
      pending.step(current, current, {"invoice.payment_method_resolved"});
    }

    if (charge.succeeded()) {
      PaymentReceived received{.payment_id = attempt.id,
                               .amount = attempt.amount,
                               .currency = attempt.currency,
                               .payment_method_id = method.id,
                               .payment_method_type = method.type,
                               .fallback = fallback,
                               .paid_via = PaidVia::processor,
                               .card = method.card};
      Invoice base = current;
      base.payment.reset();  // the machine records (and counts) the attempt as it succeeds
      base.attempt_count = attempt.attempt - 1;
      auto t = billing::apply(base, payment_command(base, received), now);
      if (!t) return std::move(t).error();
      pending.add(std::move(t->events));
      current = std::move(t->invoice);
      if (current.payment) {
        if (auto s = tx.insert_document(stored::payment_record(attempt.id, current.id, now * 1000, *current.payment)); !s)
          return std::move(s).error();
      }
      settled_or_waiting = true;
      continue;
    }

    const Invoice before = current;
    current.attempt_count = attempt.attempt;
    attempt.failure_code = charge.failure_code;
    attempt.failure_message = charge.failure_message;
    if (charge.outcome == ChargeOutcome::requires_action) {
      attempt.status = PaymentAttemptStatus::requires_action;
      attempt.next_action = charge.next_action;
      attempt.failure_code.reset();
      attempt.failure_message.reset();
      current.payment = attempt;
      pending.step(before, current, {"invoice.payment_action_required"});
      set_payment_status(PaymentStatus::requires_action);
      if (auto s = tx.insert_document(stored::payment_record(attempt.id, current.id, now * 1000, attempt)); !s)
        return std::move(s).error();
      settled_or_waiting = true;  // the customer must act; no other method is charged behind their back
      continue;
    }

    attempt.status = PaymentAttemptStatus::failed;
    attempt.captured = false;
    current.payment = attempt;
    bool scheduled_retry = false;
    if (last && !request.payment_method_id && current.collection_method == CollectionMethod::charge_automatically) {
      // Retry rounds are counted by their notice keys, so the schedule survives restarts.
      for (size_t k = 0; k < schedule_.retry_delays_days.size(); ++k) {
        auto claimed = tx.claim_once(fmt::format("{}:retry:{}", current.id, k), current.id, now * 1000);
        if (!claimed) return std::move(claimed).error();
        if (!*claimed) continue;
        current.next_payment_attempt = now + schedule_.retry_delays_days[k] * kSecondsPerDay;
        scheduled_retry = true;
        break;
      }
    }
    // The failure's events show the invoice as the failure leaves it, its payment failed (Lago's
    // invoice.payment_failure says so); invoice.payment_status_updated follows when that is a change.
    Invoice failed = current;
    failed.payment_status = PaymentStatus::failed;
    if (charge.outcome == ChargeOutcome::capture_failed) {
      pending.step(before, failed, {"invoice.payment_capture_failed"});
    } else if (charge.failure_code == "expired_card") {
      pending.step(before, failed, {"invoice.payment_method_expired"},
                   json::object{{"payment_method", method.id}});
    }
    pending.step(before, failed, {"invoice.payment_failed"});
    set_payment_status(PaymentStatus::failed);
    if (scheduled_retry) pending.step(current, current, {"invoice.payment_retry_scheduled"});
    if (auto s = tx.insert_document(stored::payment_record(attempt.id, current.id, now * 1000, attempt)); !s)
      return std::move(s).error();

    // A card the processor calls expired stays unusable: mark it, so later rounds skip it.
    if (charge.failure_code == "expired_card" && method.valid) {
      const PaymentMethod method_before = method;
      method.valid = false;
      method.invalid_reason = "expired";
      if (auto s = save_method(tx, method, false); !s) return std::move(s).error();
      const auto object = to_json(method);
      if (auto s = append(tx, "payment_method.invalidated", "payment_method", method.id, object,
                          previous_attributes(to_json(method_before), object), origin);
          !s)
        return std::move(s).error();
    }
  }
  if (auto s = save_invoice(tx, current, false); !s) return std::move(s).error();
  if (emitted) *emitted += static_cast<int>(pending.events.size());
  if (auto s = append_all(tx, std::move(pending.events), origin); !s) return std::move(s).error();
  return result;
}

// --- time ------------------------------------------------------------------------------------------

Result<bool> BillingService::on_wake(store::WriteTx& tx, const Wake& wake) {
  auto emitted = run_time(tx, wake.id);
  if (!emitted) return std::move(emitted).error();
  return false;
}

Result<int> BillingService::run_time(store::WriteTx& tx, std::string_view invoice_id) {
  auto loaded = load_invoice(tx, invoice_id);
  if (!loaded) return std::move(loaded).error();
  Invoice invoice = std::move(*loaded);
  const int64_t now = now_s();
  int emitted = 0;
  const Origin origin;
  if (issued(invoice) && invoice.next_payment_attempt && *invoice.next_payment_attempt <= now &&
      invoice.amount_remaining > 0) {
    auto collected = collect(tx, invoice, PayRequest{}, origin, &emitted);
    if (!collected) return std::move(collected).error();
    invoice = std::move(collected->invoice);
  }
  if (!issued(invoice) || !invoice.due_date || invoice.amount_remaining <= 0) {
    if (auto s = save_invoice(tx, invoice, false, /*after_pass=*/true); !s) return std::move(s).error();
    return emitted;
  }

  const int64_t due = *invoice.due_date;
  Pending pending;
  const auto claim = [&](const std::string& what) -> Result<bool> {
    return tx.claim_once(fmt::format("{}:{}:{}", invoice.id, due, what), invoice.id, now * 1000);
  };
  // B1: the offsets reached, largest first, while the due date is still ahead.
  std::vector<int64_t> offsets = schedule_.pre_due_offsets_days;
  std::sort(offsets.rbegin(), offsets.rend());
  for (size_t i = 0; i < offsets.size(); ++i) {
    if (now < due - offsets[i] * kSecondsPerDay || now >= due) continue;
    auto claimed = claim(fmt::format("will_be_due:{}", offsets[i]));
    if (!claimed) return std::move(claimed).error();
    if (!*claimed) continue;
    pending.step(invoice, invoice, {"invoice.will_be_due"},
                 json::object{{"reminder", json::object{{"sequence", static_cast<int64_t>(i + 1)},
                                                        {"offset_days", -offsets[i]},
                                                        {"due_date", due}}}});
  }
  // B2 once per due date, then B3 at each step since (only the latest one when time jumped).
  if (now > due) {
    auto claimed = claim("overdue");
    if (!claimed) return std::move(claimed).error();
    // B2 for a partner invoice has its own name (seed 002's partner_invoice_past_due).
    if (*claimed)
      pending.step(invoice, invoice,
                   {invoice.audience == Audience::partner ? "partner_invoice.overdue" : "invoice.overdue"});
    const int64_t every = std::max<int64_t>(1, schedule_.overdue_reminder_every_days);
    const int64_t step = (now - due) / (every * kSecondsPerDay);
    if (step >= 1) {
      auto reminder = claim(fmt::format("reminder:{}", step));
      if (!reminder) return std::move(reminder).error();
      if (*reminder) {
        pending.step(invoice, invoice, {"invoice.overdue_reminder"},
                     json::object{{"reminder", json::object{{"sequence", step},
                                                            {"offset_days", step * every},
                                                            {"due_date", due}}}});
      }
    }
  }
  emitted += static_cast<int>(pending.events.size());
  if (auto s = append_all(tx, std::move(pending.events), origin); !s) return std::move(s).error();
  if (auto s = save_invoice(tx, invoice, false, /*after_pass=*/true); !s) return std::move(s).error();
  return emitted;
}

}  // namespace billhook::billing
