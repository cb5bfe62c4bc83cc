#include "billing/provider_sync_service.hpp"

#include <memory>
#include <string>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace billhook::billing {
namespace {

namespace json = boost::json;
using core::Error;
using core::Result;
using core::Status;

json::value nullable(const std::optional<std::string>& v) { return v ? json::value(*v) : json::value(nullptr); }
json::value nullable(const std::optional<int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }

// payment_provider as the events show it ($defs/customer's payment_provider).
json::object provider_json(const ProviderSync& sync) {
  json::value error = nullptr;
  if (sync.status == ProviderSyncStatus::failed && sync.last_error)
    error = json::object{{"code", sync.last_error->code},
                         {"message", sync.last_error->message},
                         {"param", nullable(sync.last_error->param)}};
  return json::object{{"name", sync.provider},
                      {"customer_id", nullable(sync.provider_customer_id)},
                      {"synced_at", nullable(sync.synced_at)},
                      {"error", std::move(error)}};
}

}  // namespace

ProviderSyncService::ProviderSyncService(BillingService& billing, PaymentProvider& provider)
    : billing_(billing), provider_(provider) {
  billing_.observe_events(this, "customer",
                          [this](store::WriteTx& tx, std::string_view type, const json::object& customer,
                                 const Origin&) { return on_customer_event(tx, type, customer); });
}

ProviderSyncService::~ProviderSyncService() { billing_.stop_observing(this); }

Status ProviderSyncService::on_customer_event(store::WriteTx& tx, std::string_view type,
                                              const json::object& customer) {
  // Its own outcomes (payment_provider_*) and anything else about the customer want no new sync.
  if (type != "customer.created" && type != "customer.updated") return {};
  const auto* id = customer.if_contains("id");
  if (!id || !id->is_string()) return Error::internal(fmt::format("{} without a customer id", type));
  const std::string customer_id(id->get_string());
  const int64_t now = billing_.now_s();
  auto fingerprint = mirrored_fingerprint(customer);
  const std::string sync_id = provider_sync_id(customer_id);
  auto found = kProviderSyncs.find(tx, sync_id);
  if (!found) return std::move(found).error();
  if (!*found)
    return kProviderSyncs.insert(tx, new_provider_sync(customer_id, provider_.name(), std::move(fingerprint), now),
                                 sync_id, now * 1000);
  ProviderSync sync = std::move(**found);
  if (!want_version(sync, std::move(fingerprint), now)) return {};  // a balance move: nothing the provider holds
  return kProviderSyncs.update(tx, sync, sync_id);
}

Result<bool> ProviderSyncService::on_wake(store::WriteTx& tx, const Wake& wake) {
  auto found = kProviderSyncs.find(tx, wake.id);
  if (!found) return std::move(found).error();
  if (!*found) return false;
  ProviderSync sync = std::move(**found);
  const int64_t now = billing_.now_s();
  if (!sync.next_attempt_at || *sync.next_attempt_at > now) return false;
  auto customer = billing_.load_customer(tx, sync.customer, "");
  if (!customer) return std::move(customer).error();

  // The server's provider was changed since the job was written: the old one's id means nothing here.
  if (sync.provider != provider_.name()) {
    sync.provider = std::string(provider_.name());
    sync.provider_customer_id.reset();
  }
  // This attempt is taken once: a node that read the job before another's attempt committed rolls back.
  auto claimed = tx.claim_once(fmt::format("{}:provider_sync:{}:{}", sync.customer, sync.version, sync.tries + 1),
                               sync.id, now * 1000);
  if (!claimed) return std::move(claimed).error();
  if (!*claimed)
    return Error::conflict("provider_sync_attempt_taken",
                           fmt::format("attempt {} of {} was already made", sync.tries + 1, sync.id));

  const ProviderReply reply = provider_.mirror_customer(*customer, sync.provider_customer_id);
  std::string type;
  if (reply.ok()) {
    record_synced(sync, *reply.customer_id, now);
    type = "customer.payment_provider_synced";
  } else {
    record_failed(sync, reply.error.value_or(ProviderError{.code = "provider_error", .message = "", .param = {}}),
                  now);
    type = "customer.payment_provider_sync_failed";
  }
  if (auto s = kProviderSyncs.update(tx, sync, sync.id); !s) return std::move(s).error();
  json::object object = to_json(*customer);
  object["payment_provider"] = provider_json(sync);
  // Time-driven: the event answers no request.
  if (auto s = billing_.append(tx, type, "customer", sync.customer, std::move(object), {}, Origin{}); !s)
    return std::move(s).error();
  return false;
}

Result<ProviderSync> ProviderSyncService::retry(store::WriteTx& tx, std::string_view id) {
  auto found = kProviderSyncs.find(tx, id);
  if (!found) return std::move(found).error();
  if (!*found) return kProviderSyncs.not_found(id);
  ProviderSync sync = std::move(**found);
  if (sync.status == ProviderSyncStatus::synced)
    return Error::conflict("provider_sync_not_failed",
                           fmt::format("provider sync {} is synced: there is nothing to retry", sync.id));
  if (!retry_now(sync, billing_.now_s())) return sync;  // pending: already due
  if (auto s = kProviderSyncs.update(tx, sync, sync.id); !s) return std::move(s).error();
  return sync;
}

void register_provider_sync(DocumentRegistry& registry) {
  // Made only when the server has a provider: without one no job is written and none is worked.
  registry.provide({[](const DomainDeps& deps, DomainServices& services) {
    if (deps.payment_provider)
      services.put(std::make_shared<ProviderSyncService>(deps.billing, *deps.payment_provider));
  }});

  RegisteredKind syncs = registered(kProviderSyncs, "/v1/provider-syncs", "ProviderSync");
  syncs.customer_filter = "customer";
  syncs.wake = wake_with(&ProviderSyncService::on_wake);
  DocumentCommand retry = document_command<ProviderSyncService, NoParams>(
      "POST", "retry", "Retry a failed provider sync",
      "Tries the customer's mirror at the payment provider again now, with a fresh count of attempts "
      "(`customer.payment_provider_synced` or `customer.payment_provider_sync_failed` follows). A synced one is a "
      "409 `provider_sync_not_failed`; a pending one is answered as it is. 503 when the server has no payment "
      "provider (`--payment-provider none`).",
      [](ProviderSyncService& s, store::WriteTx& tx, std::string_view id, const NoParams&,
         const Origin&) -> Result<json::object> {
        auto sync = s.retry(tx, id);
        if (!sync) return std::move(sync).error();
        return kProviderSyncs.api_json(*sync);
      });
  retry.wakes_clock = true;
  syncs.commands = {std::move(retry)};
  registry.add(std::move(syncs));
}

}  // namespace billhook::billing
