#include "api/call.hpp"

#include <boost/json.hpp>

#include "api/errors.hpp"
#include "core/crypto.hpp"
#include "core/log.hpp"

namespace billhook::api {

std::string to_json_text(const boost::json::value& value) { return boost::json::serialize(value); }

Call::Call(Services& s, HttpRequest req, Query q, PathParams p, std::string id, Respond respond)
    : services(s),
      request(std::move(req)),
      query(std::move(q)),
      params(std::move(p)),
      request_id(std::move(id)),
      respond_(std::move(respond)) {}

void Call::reply(int status, const boost::json::value& body) { reply(Reply{status, to_json_text(body)}); }

void Call::reply(Reply r) {
  HttpResponse response;
  response.status = r.status;
  response.body = std::move(r.body);
  send(std::move(response));
}

void Call::send(HttpResponse response) {
  response.headers.emplace_back("Request-Id", request_id);
  respond_(std::move(response));
}

void Call::fail(const core::Error& error) {
  if (error.kind == core::ErrorKind::internal || error.kind == core::ErrorKind::unavailable) {
    core::log::error("request failed", {{"request_id", request_id},
                                        {"method", request.method},
                                        {"path", query.path()},
                                        {"code", error.code},
                                        {"error", error.message}});
  }
  send(error_response(error, request_id));
}

std::string Call::idempotency_scope() const { return api_key_id + " " + request.method + " " + query.path(); }

void Call::commit(WriteJob job, std::function<void()> durable, store::Store::Rerun rerun,
                  std::vector<store::SequenceKey> draws) {
  auto self = shared_from_this();
  auto prepared = std::make_shared<Reply>();
  services.store.write_in(
      store::Store::Lane::main, store::Store::Durability::durable, rerun, std::move(draws),
      [self, job = std::move(job), prepared](store::WriteTx& tx) -> core::Status {
        auto result = job(tx);
        if (!result) return std::move(result).error();
        *prepared = std::move(*result);
        if (self->idempotency_key.empty()) return {};
        return tx.insert_idempotency(store::IdempotencyRecord{
            self->idempotency_scope(), self->idempotency_key, core::sha256_hex(self->request.body), prepared->status,
            prepared->body, core::to_unix_ms(self->services.clock.now())});
      },
      [self, prepared, durable = std::move(durable)](core::Status status) {
        if (status) {
          if (durable) durable();
          return self->reply(std::move(*prepared));
        }
        // Two requests with one key raced and the other committed first: answer as it did.
        if (status.error().code == "idempotency_key_in_use") return self->replay_recorded();
        self->fail(status.error());
      });
}

void Call::replay_recorded() {
  auto record = services.store.find_idempotency(idempotency_scope(), idempotency_key);
  if (!record) return fail(record.error());
  if (!*record) return fail(core::Error::internal("idempotency record vanished after a key conflict"));
  replay(**record);
}

void Call::replay(const store::IdempotencyRecord& record) {
  if (record.request_hash != core::sha256_hex(request.body)) {
    return fail(core::Error::conflict(
        "idempotency_key_reused",
        "this Idempotency-Key was already used with a different request body; use a new key for a new request",
        "Idempotency-Key"));
  }
  HttpResponse response;
  response.status = record.status;
  response.body = record.response_body;
  response.headers.emplace_back("Idempotent-Replayed", "true");
  send(std::move(response));
}

}  // namespace billhook::api
