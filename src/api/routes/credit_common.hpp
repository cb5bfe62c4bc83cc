#pragma once

// What the refund, dispute and credit-note routes share.

#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "api/call.hpp"
#include "api/routes/billing_common.hpp"
#include "billing/credit_service.hpp"
#include "core/text.hpp"

namespace billhook::api::routes {

inline core::Error document_not_found(std::string_view what, std::string_view code, const std::string& id) {
  return core::Error::not_found(std::string(code), fmt::format("no {} has id '{}'", what, core::clip(id, 100)));
}

// Runs `job` with a credit service in one write job and answers what it returns.
template <class Job>
void commit_credit(const std::shared_ptr<Call>& call, Job job) {
  auto billing = billing_of(*call);
  if (!billing) return call->fail(billing.error());
  call->commit([service = *billing, job = std::move(job),
                origin = origin_of(*call)](store::WriteTx& tx) -> core::Result<Reply> {
    billing::CreditService credit(*service);
    return job(credit, tx, origin);
  });
}

}  // namespace billhook::api::routes
