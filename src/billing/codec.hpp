#pragma once

// The stored form of the billing documents: JSON that round-trips every field exactly (the API form,
// to_json, rounds quantities and leaves derived fields out of reach). It is each struct's description
// in invoice.hpp through core/described, empty optionals left out. Only the billing service reads and
// writes it; the store keeps it as an opaque body.

#include <string>
#include <string_view>

#include "billing/invoice.hpp"
#include "core/result.hpp"

namespace billhook::billing {

std::string encode(const Invoice& invoice);
std::string encode(const Customer& customer);
std::string encode(const PaymentMethod& method);
std::string encode(const PaymentRecord& payment);

// A body that does not parse is an internal error: only encode() writes these.
core::Result<Invoice> decode_invoice(std::string_view body);
core::Result<Customer> decode_customer(std::string_view body);
core::Result<PaymentMethod> decode_payment_method(std::string_view body);
core::Result<PaymentRecord> decode_payment(std::string_view body);

}  // namespace billhook::billing
