#include "billing/codec.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "billing/document_json.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;

template <class E, int Count>
std::optional<E> parse_enum(std::string_view text) {
  for (int i = 0; i < Count; ++i)
    if (to_string(static_cast<E>(i)) == text) return static_cast<E>(i);
  return std::nullopt;
}

template <class E>
std::optional<E> parse_enum_value(std::string_view text);
template <>
std::optional<InvoiceStatus> parse_enum_value(std::string_view t) { return parse_enum<InvoiceStatus, kInvoiceStatusCount>(t); }
template <>
std::optional<InvoiceKind> parse_enum_value(std::string_view t) { return parse_enum<InvoiceKind, 2>(t); }
template <>
std::optional<Audience> parse_enum_value(std::string_view t) { return parse_enum<Audience, 2>(t); }
template <>
std::optional<CollectionMethod> parse_enum_value(std::string_view t) { return parse_enum<CollectionMethod, 2>(t); }
template <>
std::optional<BillingReason> parse_enum_value(std::string_view t) { return parse_enum<BillingReason, 9>(t); }
template <>
std::optional<PaymentStatus> parse_enum_value(std::string_view t) { return parse_enum<PaymentStatus, 8>(t); }
template <>
std::optional<PaidVia> parse_enum_value(std::string_view t) { return parse_enum<PaidVia, 4>(t); }
template <>
std::optional<PaymentAttemptStatus> parse_enum_value(std::string_view t) {
  return parse_enum<PaymentAttemptStatus, 6>(t);
}

// One list of fields per type (describe() below) drives both directions, so that encode and decode
// cannot drift apart.
class Writer {
 public:
  json::object out;

  void operator()(std::string_view name, const std::string& v) { out[name] = v; }
  void operator()(std::string_view name, const int64_t& v) { out[name] = v; }
  void operator()(std::string_view name, const int& v) { out[name] = v; }
  void operator()(std::string_view name, const bool& v) { out[name] = v; }
  void operator()(std::string_view name, const Metadata& v) {
    json::object o;
    for (const auto& [k, value] : v) o[k] = value;
    out[name] = std::move(o);
  }
  template <class E>
    requires std::is_enum_v<E>
  void operator()(std::string_view name, const E& v) {
    out[name] = to_string(v);
  }
  template <class T>
  void operator()(std::string_view name, const std::optional<T>& v) {
    if (v) (*this)(name, *v);
  }
  template <class T>
  void operator()(std::string_view name, const std::vector<T>& v) {
    json::array a;
    for (const auto& item : v) a.push_back(nested(item));
    out[name] = std::move(a);
  }
  template <class T>
    requires std::is_class_v<T>
  void operator()(std::string_view name, const T& v) {
    out[name] = nested(v);
  }

  template <class T>
  static json::object nested(const T& v);
};

class Reader {
 public:
  explicit Reader(const json::object& in) : in_(in) {}
  bool ok = true;

  void operator()(std::string_view name, std::string& v) {
    if (const auto* f = in_.if_contains(name); f && f->is_string()) v = std::string(f->get_string());
  }
  void operator()(std::string_view name, int64_t& v) {
    if (const auto* f = in_.if_contains(name); f && f->is_int64()) v = f->get_int64();
  }
  void operator()(std::string_view name, int& v) {
    if (const auto* f = in_.if_contains(name); f && f->is_int64()) v = static_cast<int>(f->get_int64());
  }
  void operator()(std::string_view name, bool& v) {
    if (const auto* f = in_.if_contains(name); f && f->is_bool()) v = f->get_bool();
  }
  void operator()(std::string_view name, Metadata& v) {
    v.clear();
    if (const auto* f = in_.if_contains(name); f && f->is_object())
      for (const auto& item : f->get_object())
        if (item.value().is_string()) v[std::string(item.key())] = std::string(item.value().get_string());
  }
  template <class E>
    requires std::is_enum_v<E>
  void operator()(std::string_view name, E& v) {
    const auto* f = in_.if_contains(name);
    if (!f || !f->is_string()) return;
    if (auto parsed = parse_enum_value<E>(f->get_string())) v = *parsed;
    else ok = false;
  }
  template <class T>
  void operator()(std::string_view name, std::optional<T>& v) {
    if (!in_.contains(name)) {
      v.reset();
      return;
    }
    T value{};
    (*this)(name, value);
    v = std::move(value);
  }
  template <class T>
  void operator()(std::string_view name, std::vector<T>& v) {
    v.clear();
    const auto* f = in_.if_contains(name);
    if (!f || !f->is_array()) return;
    for (const auto& item : f->get_array()) {
      if (!item.is_object()) {
        ok = false;
        continue;
      }
      v.push_back(nested<T>(item.get_object()));
    }
  }
  template <class T>
    requires std::is_class_v<T>
  void operator()(std::string_view name, T& v) {
    const auto* f = in_.if_contains(name);
    if (f && f->is_object()) v = nested<T>(f->get_object());
    else ok = false;
  }

  template <class T>
  T nested(const json::object& in);

 private:
  const json::object& in_;
};

template <class IO, class LineT>
void describe_line(IO& io, LineT& l) {
  io("id", l.id);
  io("description", l.description);
  io("quantity_milli", l.quantity_milli);
  io("unit_amount", l.unit_amount);
  io("period_start", l.period_start);
  io("period_end", l.period_end);
  io("tax_rate_bps", l.tax_rate_bps);
  io("tax_inclusive", l.tax_inclusive);
  io("amount", l.amount);
  io("discount_amount", l.discount_amount);
  io("tax_amount", l.tax_amount);
}

template <class IO, class T>
void describe_error(IO& io, T& e) {
  io("code", e.code);
  io("message", e.message);
  io("param", e.param);
}

template <class IO, class T>
void describe_payment(IO& io, T& p) {
  io("id", p.id);
  io("amount", p.amount);
  io("currency", p.currency);
  io("status", p.status);
  io("payment_method_id", p.payment_method_id);
  io("payment_method_type", p.payment_method_type);
  io("fallback", p.fallback);
  io("captured", p.captured);
  io("attempt", p.attempt);
  io("failure_code", p.failure_code);
  io("failure_message", p.failure_message);
  io("next_action", p.next_action);
  io("created", p.created);
  io("paid_at", p.paid_at);
}

template <class IO, class T>
void describe_invoice(IO& io, T& i) {
  io("id", i.id);
  io("number", i.number);
  io("kind", i.kind);
  io("audience", i.audience);
  io("status", i.status);
  io("customer_id", i.customer_id);
  io("currency", i.currency);
  io("lines", i.lines);
  io("discount_bps", i.discount_bps);
  io("subtotal", i.subtotal);
  io("discount_amount", i.discount_amount);
  io("tax", i.tax);
  io("tax_included", i.tax_included);
  io("total", i.total);
  io("amount_due", i.amount_due);
  io("amount_remaining", i.amount_remaining);
  io("amount_overpaid", i.amount_overpaid);
  io("amount_paid", i.amount_paid);
  io("amount_credited", i.amount_credited);
  io("amount_refunded", i.amount_refunded);
  io("credit_notes_outstanding", i.credit_notes_outstanding);
  io("payment_status", i.payment_status);
  io("paid_via", i.paid_via);
  io("collection_method", i.collection_method);
  io("billing_reason", i.billing_reason);
  io("subscription_id", i.subscription_id);
  io("attempt_count", i.attempt_count);
  io("next_payment_attempt", i.next_payment_attempt);
  io("payment_method_id", i.payment_method_id);
  io("due_date", i.due_date);
  io("previous_due_date", i.previous_due_date);
  io("days_until_due", i.days_until_due);
  io("period_start", i.period_start);
  io("period_end", i.period_end);
  io("description", i.description);
  io("metadata", i.metadata);
  io("created", i.created);
  io("finalized_at", i.finalized_at);
  io("paid_at", i.paid_at);
  io("voided_at", i.voided_at);
  io("dispute_lost_at", i.dispute_lost_at);
  io("pdf_version", i.pdf_version);
  io("duplicated_from", i.duplicated_from);
  io("duplicated_to", i.duplicated_to);
  io("converted_from", i.converted_from);
  io("converted_to", i.converted_to);
  io("last_finalization_error", i.last_finalization_error);
  io("payment", i.payment);
}

template <class IO, class T>
void describe_address(IO& io, T& a) {
  io("line1", a.line1);
  io("line2", a.line2);
  io("city", a.city);
  io("state", a.state);
  io("postal_code", a.postal_code);
  io("country", a.country);
}

template <class IO, class T>
void describe_customer(IO& io, T& c) {
  io("id", c.id);
  io("name", c.name);
  io("email", c.email);
  io("locale", c.locale);
  io("currency", c.currency);
  io("balance", c.balance);
  io("address", c.address);
  io("tax_id", c.tax_id);
  io("metadata", c.metadata);
  io("created", c.created);
}

template <class IO, class T>
void describe_card(IO& io, T& c) {
  io("brand", c.brand);
  io("last4", c.last4);
  io("exp_month", c.exp_month);
  io("exp_year", c.exp_year);
  io("country", c.country);
}

template <class IO, class T>
void describe_method(IO& io, T& m) {
  io("id", m.id);
  io("customer_id", m.customer_id);
  io("type", m.type);
  io("card", m.card);
  io("valid", m.valid);
  io("invalid_reason", m.invalid_reason);
  io("is_default", m.is_default);
  io("fallback_order", m.fallback_order);
  io("replaces", m.replaces);
  io("created", m.created);
}

template <class IO, class T>
void describe(IO& io, T& v) {
  using U = std::remove_const_t<T>;
  if constexpr (std::is_same_v<U, LineItem>) describe_line(io, v);
  else if constexpr (std::is_same_v<U, ErrorDetail>) describe_error(io, v);
  else if constexpr (std::is_same_v<U, PaymentRecord>) describe_payment(io, v);
  else if constexpr (std::is_same_v<U, Invoice>) describe_invoice(io, v);
  else if constexpr (std::is_same_v<U, Address>) describe_address(io, v);
  else if constexpr (std::is_same_v<U, Customer>) describe_customer(io, v);
  else if constexpr (std::is_same_v<U, Card>) describe_card(io, v);
  else describe_method(io, v);
}

template <class T>
json::object Writer::nested(const T& v) {
  Writer w;
  describe(w, v);
  return std::move(w.out);
}

template <class T>
T Reader::nested(const json::object& in) {
  Reader r(in);
  T v{};
  describe(r, v);
  ok = ok && r.ok;
  return v;
}

template <class T>
std::string encode_any(const T& v) {
  return json::serialize(Writer::nested(v));
}

template <class T>
core::Result<T> decode_any(std::string_view body, std::string_view what) {
  auto object = doc_json::parse_object(body, what);
  if (!object) return std::move(object).error();
  Reader r(*object);
  T out{};
  describe(r, out);
  if (!r.ok) return core::Error::internal(fmt::format("a stored {} has a field of the wrong kind", what));
  return out;
}

}  // namespace

std::string encode(const Invoice& invoice) { return encode_any(invoice); }
std::string encode(const Customer& customer) { return encode_any(customer); }
std::string encode(const PaymentMethod& method) { return encode_any(method); }
std::string encode(const PaymentRecord& payment) { return encode_any(payment); }

core::Result<Invoice> decode_invoice(std::string_view body) { return decode_any<Invoice>(body, "invoice"); }
core::Result<Customer> decode_customer(std::string_view body) { return decode_any<Customer>(body, "customer"); }
core::Result<PaymentMethod> decode_payment_method(std::string_view body) {
  return decode_any<PaymentMethod>(body, "payment method");
}

}  // namespace billhook::billing
