#include "billing/codec.hpp"

#include "billing/document_json.hpp"

// The stored form is each struct's description (invoice.hpp) through core/described; the names
// below only give the messages their noun.
namespace billhook::billing {

std::string encode(const Invoice& invoice) { return doc_json::write_described(invoice); }
std::string encode(const Customer& customer) { return doc_json::write_described(customer); }
std::string encode(const PaymentMethod& method) { return doc_json::write_described(method); }
std::string encode(const PaymentRecord& payment) { return doc_json::write_described(payment); }

core::Result<Invoice> decode_invoice(std::string_view body) {
  return doc_json::read_described<Invoice>(body, "invoice");
}
core::Result<Customer> decode_customer(std::string_view body) {
  return doc_json::read_described<Customer>(body, "customer");
}
core::Result<PaymentMethod> decode_payment_method(std::string_view body) {
  return doc_json::read_described<PaymentMethod>(body, "payment method");
}
core::Result<PaymentRecord> decode_payment(std::string_view body) {
  return doc_json::read_described<PaymentRecord>(body, "payment");
}

}  // namespace billhook::billing
