#include "billing/proforma_service.hpp"

#include <fmt/format.h>

#include "billing/billing_documents.hpp"

namespace billhook::billing {

core::Result<InvoiceResult> credit_proforma(BillingService& service, store::WriteTx& tx, std::string_view id,
                                            const ProformaCredit& credit, const Origin& origin) {
  auto found = stored::find_invoice(tx, id);
  if (!found) return std::move(found).error();
  std::optional<Invoice> proforma;
  if (*found && (*found)->kind == InvoiceKind::proforma) proforma = std::move(*found);
  if (!proforma) return core::Error::not_found("proforma_not_found", fmt::format("no proforma has id '{}'", id));
  auto t = credit_proforma(*proforma, credit, core::to_unix_ms(service.clock().now()) / 1000);
  if (!t) return std::move(t).error();
  return service.record(tx, std::move(*t), origin);
}

}  // namespace billhook::billing
