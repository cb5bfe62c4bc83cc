#include "billing/invoice.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "billing/allocation.hpp"
#include "core/money.hpp"
#include "core/text.hpp"

namespace billhook::billing {
namespace {

namespace json = boost::json;

__extension__ using Int128 = __int128;

core::Error invalid(std::string message, std::string param) {
  return core::Error::invalid("parameter_invalid", std::move(message), std::move(param));
}

std::string line_param(size_t index, std::string_view field) { return fmt::format("lines.{}.{}", index, field); }

// A failed money operation, re-aimed at the field it was computing.
core::Error at_field(core::Error error, std::string param) {
  error.param = std::move(param);
  error.message += " (" + error.param + ")";
  return error;
}

core::Status check_optional_id(const std::optional<std::string>& value, std::string_view param) {
  if (value && value->empty()) {
    return invalid(fmt::format("{} cannot be an empty string; omit it or use null", param), std::string(param));
  }
  return {};
}

json::value nullable(const std::optional<std::string>& value) {
  return value ? json::value(*value) : json::value(nullptr);
}
json::value nullable(const std::optional<int64_t>& value) {
  return value ? json::value(*value) : json::value(nullptr);
}
json::value empty_as_null(std::string_view value) { return value.empty() ? json::value(nullptr) : json::value(value); }

// A rate as a JSON number: whole percentages as integers ("19", not Boost's "1.9E1"), others as doubles.
json::value percentage(int64_t basis_points) {
  if (basis_points % 100 == 0) return json::value(basis_points / 100);
  return json::value(core::basis_points_to_percent(basis_points));
}

json::object metadata_json(const Metadata& metadata) {
  json::object out;
  for (const auto& [key, value] : metadata) out[key] = value;
  return out;
}

}  // namespace

core::Status check_invoice(const Invoice& invoice) {
  if (invoice.id.empty()) return core::Error::invalid("parameter_missing", "an invoice needs an id", "id");
  if (invoice.customer_id.empty()) {
    return core::Error::invalid("parameter_missing", "an invoice needs a customer", "customer");
  }
  if (auto exponent = core::currency_exponent(invoice.currency); !exponent) return std::move(exponent).error();
  if (invoice.lines.size() > kMaxLines) {
    return invalid(fmt::format("an invoice has at most {} lines, got {}", kMaxLines, invoice.lines.size()), "lines");
  }
  if (invoice.discount_bps < 0 || invoice.discount_bps > kMaxBasisPoints) {
    return invalid(fmt::format("the discount must be between 0 and 100 %, got {} basis points", invoice.discount_bps),
                   "discount_percentage");
  }
  for (size_t i = 0; i < invoice.lines.size(); ++i) {
    const LineItem& line = invoice.lines[i];
    if (line.quantity_milli < 0) {
      return invalid(fmt::format("a quantity cannot be negative, got {}", core::format_minor(line.quantity_milli, 3)),
                     line_param(i, "quantity"));
    }
    if (line.tax_rate_bps < 0 || line.tax_rate_bps > kMaxBasisPoints) {
      return invalid(fmt::format("a tax rate must be between 0 and 100 %, got {} basis points", line.tax_rate_bps),
                     line_param(i, "tax_rates"));
    }
    if (line.period_start.has_value() != line.period_end.has_value()) {
      return invalid("a line period needs both start and end", line_param(i, "period"));
    }
    if (line.period_start && (*line.period_start < 0 || *line.period_end < *line.period_start)) {
      return invalid("a line period must not end before it starts, and starts at 0 or later", line_param(i, "period"));
    }
  }
  if (invoice.period_start.has_value() != invoice.period_end.has_value() ||
      (invoice.period_start && (*invoice.period_start < 0 || *invoice.period_end < *invoice.period_start))) {
    return invalid("an invoice period needs both start and end, in order", "period_start");
  }
  if (invoice.days_until_due && (*invoice.days_until_due < 0 || *invoice.days_until_due > kMaxDaysUntilDue)) {
    return invalid(
        fmt::format("days_until_due must be between 0 and {}, got {}", kMaxDaysUntilDue, *invoice.days_until_due),
        "days_until_due");
  }
  if (invoice.due_date && *invoice.due_date < 0) return invalid("due_date must be a unix time (seconds)", "due_date");
  for (const auto& [param, value] : {std::pair{"subscription", &invoice.subscription_id},
                                     std::pair{"payment_method", &invoice.payment_method_id},
                                     std::pair{"duplicated_from", &invoice.duplicated_from},
                                     std::pair{"converted_from", &invoice.converted_from}}) {
    if (auto status = check_optional_id(*value, param); !status) return status;
  }
  for (const auto& [key, value] : invoice.metadata) {
    if (key.empty()) return invalid("metadata keys cannot be empty", "metadata");
    if (value.size() > kMaxMetadataValueLength) {
      return invalid(fmt::format("metadata values are at most {} characters", kMaxMetadataValueLength),
                     "metadata." + std::string(core::clip(key, 40)));
    }
  }
  return {};
}

core::Status compute_totals(Invoice& invoice) {
  if (invoice.discount_bps < 0 || invoice.discount_bps > kMaxBasisPoints) {
    return invalid(fmt::format("the discount must be between 0 and 100 %, got {} basis points", invoice.discount_bps),
                   "discount_percentage");
  }
  std::vector<LineItem> lines = invoice.lines;
  std::vector<int64_t> amounts;
  amounts.reserve(lines.size());
  int64_t subtotal = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    LineItem& line = lines[i];
    if (line.quantity_milli < 0) {
      return invalid(fmt::format("a quantity cannot be negative, got {}", core::format_minor(line.quantity_milli, 3)),
                     line_param(i, "quantity"));
    }
    if (line.tax_rate_bps < 0 || line.tax_rate_bps > kMaxBasisPoints) {
      return invalid(fmt::format("a tax rate must be between 0 and 100 %, got {} basis points", line.tax_rate_bps),
                     line_param(i, "tax_rates"));
    }
    auto amount = core::line_amount(line.quantity_milli, line.unit_amount);
    if (!amount) return at_field(std::move(amount).error(), line_param(i, "amount"));
    line.amount = *amount;
    amounts.push_back(*amount);
    auto sum = core::checked_add(subtotal, *amount);
    if (!sum) return at_field(std::move(sum).error(), "subtotal");
    subtotal = *sum;
  }

  int64_t discount = 0;
  if (subtotal > 0 && invoice.discount_bps > 0) {
    auto d = core::percent_of(subtotal, invoice.discount_bps);
    if (!d) return at_field(std::move(d).error(), "discount_amount");
    discount = *d;
  }
  const std::vector<int64_t> shares =
      discount > 0 ? allocate_largest_remainder(discount, amounts) : std::vector<int64_t>(lines.size(), 0);

  int64_t tax = 0;
  int64_t tax_included = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    LineItem& line = lines[i];
    line.discount_amount = shares[i];
    auto base = core::checked_sub(line.amount, shares[i]);
    if (!base) return at_field(std::move(base).error(), line_param(i, "amount"));
    auto line_tax =
        line.tax_inclusive ? core::tax_included_in(*base, line.tax_rate_bps) : core::percent_of(*base, line.tax_rate_bps);
    if (!line_tax) return at_field(std::move(line_tax).error(), line_param(i, "tax_amount"));
    line.tax_amount = *line_tax;
    auto sum = core::checked_add(tax, *line_tax);
    if (!sum) return at_field(std::move(sum).error(), "tax");
    tax = *sum;
    if (line.tax_inclusive) {
      auto contained = core::checked_add(tax_included, *line_tax);
      if (!contained) return at_field(std::move(contained).error(), "tax");
      tax_included = *contained;
    }
  }

  const Int128 total = static_cast<Int128>(subtotal) - discount + (static_cast<Int128>(tax) - tax_included);
  const Int128 due = std::max<Int128>(0, total - invoice.amount_credited);
  const Int128 remaining = std::max<Int128>(0, due - invoice.amount_paid);
  const Int128 overpaid = std::max<Int128>(0, static_cast<Int128>(invoice.amount_paid) - due);
  constexpr Int128 kMax = std::numeric_limits<int64_t>::max();
  constexpr Int128 kMin = std::numeric_limits<int64_t>::min();
  if (total > kMax || total < kMin || due > kMax || remaining > kMax || overpaid > kMax) {
    return core::Error::invalid("amount_out_of_range", "the invoice total does not fit in 64 bits of minor units",
                                "total");
  }

  invoice.lines = std::move(lines);
  invoice.subtotal = subtotal;
  invoice.discount_amount = discount;
  invoice.tax = tax;
  invoice.tax_included = tax_included;
  invoice.total = static_cast<int64_t>(total);
  invoice.amount_due = static_cast<int64_t>(due);
  invoice.amount_remaining = static_cast<int64_t>(remaining);
  invoice.amount_overpaid = static_cast<int64_t>(overpaid);
  return {};
}

json::object to_json(const LineItem& line) {
  json::object out;
  if (!line.id.empty()) out["id"] = line.id;
  out["object"] = "line_item";
  out["description"] = line.description;
  // The catalog wants an integer; the exact value travels in quantity_decimal.
  auto whole = core::line_amount(line.quantity_milli, 1);
  out["quantity"] = whole ? *whole : 0;
  out["quantity_decimal"] = [&] {
    std::string text = core::format_minor(line.quantity_milli, 3);
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
  }();
  out["unit_amount"] = line.unit_amount;
  out["amount"] = line.amount;
  out["discount_amount"] = line.discount_amount;
  out["tax_amount"] = line.tax_amount;
  if (line.period_start && line.period_end) {
    out["period"] = json::object{{"start", *line.period_start}, {"end", *line.period_end}};
  }
  json::array rates;
  if (line.tax_rate_bps > 0) {
    rates.push_back(json::object{{"percentage", percentage(line.tax_rate_bps)},
                                 {"inclusive", line.tax_inclusive}});
  }
  out["tax_rates"] = std::move(rates);
  if (line.usage) out["usage"] = core::described::to_json(*line.usage);
  return out;
}

json::object to_json(const PaymentRecord& payment) {
  json::object out;
  out["id"] = payment.id;
  out["object"] = "payment";
  out["amount"] = payment.amount;
  out["currency"] = payment.currency;
  out["status"] = to_string(payment.status);
  out["paid"] = payment.status == PaymentAttemptStatus::succeeded;
  out["captured"] = payment.captured;
  out["payment_method"] = nullable(payment.payment_method_id);
  out["payment_method_type"] = empty_as_null(payment.payment_method_type);
  out["fallback"] = payment.fallback;
  out["attempt"] = payment.attempt;
  out["failure_code"] = nullable(payment.failure_code);
  out["failure_message"] = nullable(payment.failure_message);
  out["next_action"] = nullable(payment.next_action);
  out["created"] = payment.created;
  out["paid_at"] = nullable(payment.paid_at);
  if (payment.card)
    out["card"] = json::object{{"brand", payment.card->brand},
                               {"last4", payment.card->last4},
                               {"exp_month", payment.card->exp_month},
                               {"exp_year", payment.card->exp_year},
                               {"country", nullable(payment.card->country)}};
  return out;
}

json::object to_json(const Invoice& invoice) {
  json::object out;
  out["id"] = invoice.id;
  out["object"] = "invoice";
  out["kind"] = to_string(invoice.kind);
  out["audience"] = to_string(invoice.audience);
  out["number"] = nullable(invoice.number);
  out["status"] = to_string(invoice.status);
  out["customer"] = invoice.customer_id;
  out["currency"] = invoice.currency;
  json::array lines;
  for (const LineItem& line : invoice.lines) lines.push_back(to_json(line));
  out["lines"] = std::move(lines);
  out["subtotal"] = invoice.subtotal;
  out["discount_percentage"] = percentage(invoice.discount_bps);
  out["discount_amount"] = invoice.discount_amount;
  out["tax"] = invoice.tax;
  out["tax_included"] = invoice.tax_included;
  out["total"] = invoice.total;
  out["amount_due"] = invoice.amount_due;
  out["amount_paid"] = invoice.amount_paid;
  out["amount_remaining"] = invoice.amount_remaining;
  out["amount_credited"] = invoice.amount_credited;
  out["amount_refunded"] = invoice.amount_refunded;
  out["amount_overpaid"] = invoice.amount_overpaid;
  out["payment_status"] = to_string(invoice.payment_status);
  out["paid_via"] = invoice.paid_via ? json::value(to_string(*invoice.paid_via)) : json::value(nullptr);
  out["collection_method"] = to_string(invoice.collection_method);
  out["billing_reason"] = to_string(invoice.billing_reason);
  out["subscription"] = nullable(invoice.subscription_id);
  out["attempt_count"] = invoice.attempt_count;
  out["next_payment_attempt"] = nullable(invoice.next_payment_attempt);
  out["payment_method"] = nullable(invoice.payment_method_id);
  out["due_date"] = nullable(invoice.due_date);
  out["previous_due_date"] = nullable(invoice.previous_due_date);
  out["days_until_due"] = nullable(invoice.days_until_due);
  if (invoice.period_start && invoice.period_end) {
    out["period_start"] = *invoice.period_start;
    out["period_end"] = *invoice.period_end;
  }
  out["description"] = nullable(invoice.description);
  out["metadata"] = metadata_json(invoice.metadata);
  out["created"] = invoice.created;
  out["finalized_at"] = nullable(invoice.finalized_at);
  out["paid_at"] = nullable(invoice.paid_at);
  out["voided_at"] = nullable(invoice.voided_at);
  out["dispute_lost_at"] = nullable(invoice.dispute_lost_at);
  out["pdf_version"] = invoice.pdf_version;
  out["pdf_url"] = nullable(invoice.pdf_url);
  out["duplicated_from"] = nullable(invoice.duplicated_from);
  out["duplicated_to"] = nullable(invoice.duplicated_to);
  out["converted_from"] = nullable(invoice.converted_from);
  out["converted_to"] = nullable(invoice.converted_to);
  if (invoice.last_finalization_error) {
    const ErrorDetail& error = *invoice.last_finalization_error;
    out["last_finalization_error"] =
        json::object{{"code", error.code}, {"message", error.message}, {"param", empty_as_null(error.param)}};
  }
  if (invoice.payment) out["payment"] = to_json(*invoice.payment);
  return out;
}

json::object to_json(const Customer& customer) {
  json::object out;
  out["id"] = customer.id;
  out["object"] = "customer";
  out["name"] = nullable(customer.name);
  out["email"] = nullable(customer.email);
  out["locale"] = nullable(customer.locale);
  out["currency"] = nullable(customer.currency);
  out["balance"] = customer.balance;
  const Address& a = customer.address;
  if (a == Address{}) {
    out["address"] = nullptr;
  } else {
    out["address"] = json::object{{"line1", nullable(a.line1)},       {"line2", nullable(a.line2)},
                                  {"city", nullable(a.city)},         {"state", nullable(a.state)},
                                  {"postal_code", nullable(a.postal_code)}, {"country", nullable(a.country)}};
  }
  out["tax_id"] = nullable(customer.tax_id);
  out["metadata"] = metadata_json(customer.metadata);
  out["created"] = customer.created;
  return out;
}

json::object to_json(const PaymentMethod& method) {
  json::object out;
  out["id"] = method.id;
  out["object"] = "payment_method";
  out["customer"] = method.customer_id;
  out["type"] = method.type;
  if (method.card) {
    const Card& card = *method.card;
    out["card"] = json::object{{"brand", card.brand},         {"last4", card.last4},
                               {"exp_month", card.exp_month}, {"exp_year", card.exp_year},
                               {"country", nullable(card.country)}};
  }
  out["status"] = method.valid ? "valid" : "invalid";
  out["invalid_reason"] = method.valid ? json::value(nullptr) : nullable(method.invalid_reason);
  out["is_default"] = method.is_default;
  out["fallback_order"] = method.fallback_order ? json::value(*method.fallback_order) : json::value(nullptr);
  out["replaces"] = nullable(method.replaces);
  out["created"] = method.created;
  return out;
}

}  // namespace billhook::billing
