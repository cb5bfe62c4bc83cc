#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/json/value.hpp>

#include "api/http.hpp"
#include "api/request.hpp"
#include "api/router.hpp"
#include "billing/billing_reads.hpp"
#include "billing/billing_service.hpp"
#include "billing/registry/document_reads.hpp"
#include "billing/registry/domain.hpp"
#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "core/random.hpp"
#include "profiles/profile.hpp"
#include "store/store.hpp"

namespace billhook::delivery {
class ListenHub;
}

namespace billhook::api {

// What handlers work with; owned by the composition root (app/).
struct Services {
  store::Store& store;
  const catalog::Catalog& catalog;
  const profiles::Registry& profiles;  // also what the outbox and representations ask (events::ProfileRules)
  const core::Clock& clock;
  core::IdGenerator& ids;
  core::Random& random;
  core::JsonLimits json_limits;
  // Only with `serve --test-clock`: the clock tests move through POST /v1/test/clock, and what to
  // tell when it moved.
  core::ManualClock* test_clock = nullptr;
  std::function<void()> clock_moved;
  // The billing engine; null in servers built without it (API tests of other resources).
  billing::BillingService* billing = nullptr;
  // The registered domains' services (invoice batches, …), which their commands run on; null where
  // the server serves no domain.
  const billing::DomainServices* domains = nullptr;
  // Customers, payment methods and invoices as the billing model; null where billing is not served.
  billing::BillingReads* billing_reads = nullptr;
  // Registered documents as the API shows them (the generic GET routes); null where not served.
  billing::DocumentReads* documents = nullptr;
  // Tells the document clock that a document needs time now (a batch was created); empty where
  // nothing runs it.
  std::function<void()> wake_document_clock;
  // The base of the links handed out (--public-url), without a trailing slash; empty where not set.
  std::function<std::string()> public_url;
  // The installation's public key for webhook signatures (PEM), served as Lago serves its own; empty
  // where the server signs with none.
  std::string webhook_public_key_pem;
  // Where listen sessions' requests wait for their CLI (delivery/listen_hub.hpp); null where not served.
  delivery::ListenHub* listen_hub = nullptr;
  // GET /metrics's text (Prometheus exposition format); empty where the server serves no metrics.
  std::function<std::string()> metrics_text;
};

// An answer prepared inside a write transaction: status and serialized JSON body.
struct Reply {
  int status = 200;
  std::string body;
};

// One API request in flight. Handlers answer through it exactly once: `reply`, `fail`, or
// `commit` (which answers when the write is durable).
class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(Services& services, HttpRequest request, Query query, PathParams params, std::string request_id,
       Respond respond);

  Services& services;
  const HttpRequest request;
  const Query query;
  const PathParams params;
  const std::string request_id;
  std::string api_key_id;
  std::string idempotency_key;  // empty when the request carries none

  const std::string& param(const std::string& name) const { return params.at(name); }
  // Parses the body as a JSON object with the configured limits.
  core::Result<Body> body() const { return Body::parse(request, services.json_limits); }

  void reply(int status, const boost::json::value& body);
  void reply(Reply reply);
  void fail(const core::Error& error);
  // Answers with `response` as is, adding the Request-Id header.
  void send(HttpResponse response);
  // Answers with the recorded answer to an earlier request with this Idempotency-Key, or 409 if
  // that request had another body.
  void replay(const store::IdempotencyRecord& record);

  using WriteJob = std::function<core::Result<Reply>(store::WriteTx&)>;
  // Runs `job` in a group-committed transaction and answers what it returned once it is
  // durable. With an Idempotency-Key, the answer is recorded in the same transaction, so a
  // retry gets it back even if this answer is lost on the way.
  // `durable`, if given, runs once the job's changes are durable, before the answer (to hand the new
  // state to a background worker, which reads only committed data).
  // `rerun`: whether `job` may run again after the store rolled it back (store::Store::Rerun says when).
  // `draws`: the sequences `job` takes, named ahead (store::Store::write_in says why).
  void commit(WriteJob job, std::function<void()> durable = {},
              store::Store::Rerun rerun = store::Store::Rerun::never, std::vector<store::SequenceKey> draws = {});

  // Scope an Idempotency-Key is unique in: the API key, the method and the path.
  std::string idempotency_scope() const;

 private:
  void replay_recorded();
  Respond respond_;
};

std::string to_json_text(const boost::json::value& value);

}  // namespace billhook::api
