// /v1/api-keys: creating, listing and revoking the keys the API accepts. A key's secret is shown once, in
// the answer that creates it; the store keeps only its SHA-256, its first characters and its name.

#include "api/routes/api_key_routes.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/representations.hpp"
#include "core/crypto.hpp"
#include "core/text.hpp"
#include "store/api_key_store.hpp"

namespace billhook::api::routes {
namespace {

using core::Error;

constexpr size_t kMaxNameLength = 100;

boost::json::value seconds_or_null(const std::optional<int64_t>& ms) {
  return ms ? boost::json::value(*ms / 1000) : boost::json::value(nullptr);
}

// The key as every answer shows it: never its secret or hash. `last_used_at` is what this node knows:
// the stored last use or a later one seen here (other nodes' uses are stored within a minute).
boost::json::object api_key_json(const store::ApiKeyInfo& info, const ApiKeys& keys) {
  return {{"id", info.key.id},
          {"object", "api_key"},
          {"name", info.key.label},
          {"prefix", info.prefix.empty() ? boost::json::value(nullptr) : boost::json::value(info.prefix)},
          {"created_at", info.key.created_ms / 1000},
          {"last_used_at", seconds_or_null(keys.last_used_ms(info.key.id, info.last_used_ms))}};
}

core::Status check_api_key_id(const std::string& id) {
  if (core::is_valid_id(core::IdKind::api_key, id)) return {};
  return Error::not_found("api_key_not_found", fmt::format("no API key has id '{}'", core::clip(id, 100)));
}

// Like Call::commit, except for what an Idempotency-Key keeps: the answer without the secret, since the
// secret must be stored nowhere. A retry thus gets the same key (201), with `secret` null.
void create_api_key(const std::shared_ptr<Call>& call, ApiKeys& keys) {
  auto body = call->body();
  if (!body) return call->fail(body.error());
  if (auto st = body->allow_only({"name"}); !st) return call->fail(st.error());
  auto name = body->required_string("name", kMaxNameLength);
  if (!name) return call->fail(name.error());
  auto& s = call->services;
  const std::string secret = ApiKeys::generate(s.random);
  const int64_t now_ms = core::to_unix_ms(s.clock.now());
  const store::ApiKeyInfo info{{s.ids.next(core::IdKind::api_key), core::sha256_hex(secret), std::move(*name), now_ms},
                               ApiKeys::prefix_of(secret),
                               std::nullopt};
  auto answer = api_key_json(info, keys);
  auto replayed = answer;
  replayed["secret"] = nullptr;
  answer["secret"] = secret;
  s.store.write(
      [call, info, replay_body = to_json_text(replayed), now_ms](store::WriteTx& tx) -> core::Status {
        auto* writes = store::api_key_writes(tx);
        if (!writes) return store::no_api_key_management();
        if (auto st = writes->insert_api_key(info.key, info.prefix); !st) return st;
        if (call->idempotency_key.empty()) return {};
        return tx.insert_idempotency({call->idempotency_scope(), call->idempotency_key,
                                      core::sha256_hex(call->request.body), 201, replay_body, now_ms});
      },
      [call, info, answer = std::move(answer), &keys](core::Status status) {
        if (status) {
          keys.add(info.key);  // works on this node as soon as its creator has it
          return call->reply(201, answer);
        }
        // Two requests with one Idempotency-Key raced and the other committed first: answer as it did.
        if (status.error().code != "idempotency_key_in_use") return call->fail(status.error());
        auto record = call->services.store.find_idempotency(call->idempotency_scope(), call->idempotency_key);
        if (!record) return call->fail(record.error());
        if (!*record) return call->fail(Error::internal("idempotency record vanished after a key conflict"));
        call->replay(**record);
      });
}

void revoke_api_key(const std::shared_ptr<Call>& call, ApiKeys& keys) {
  const std::string id = call->param("id");
  if (auto st = check_api_key_id(id); !st) return call->fail(st.error());
  const int64_t now_ms = core::to_unix_ms(call->services.clock.now());
  call->commit(
      [id, now_ms](store::WriteTx& tx) -> core::Result<Reply> {
        auto* writes = store::api_key_writes(tx);
        if (!writes) return store::no_api_key_management();
        if (auto st = writes->revoke_api_key(id, now_ms); !st) return std::move(st).error();
        return Reply{200, to_json_text(boost::json::object{{"id", id}, {"object", "api_key"}, {"deleted", true}})};
      },
      // Refused on this node from the answer on, by requests and by dashboard sessions opened with it.
      [id, &keys] { keys.remove(id); });
}

}  // namespace

void register_api_key_routes(Routes& routes, ApiKeys& keys) {
  routes.add("POST", "/v1/api-keys", [&keys](const std::shared_ptr<Call>& call) { create_api_key(call, keys); });
  routes.add("GET", "/v1/api-keys", [&keys](const std::shared_ptr<Call>& call) {
    if (auto s = call->query.allow_only({"limit", "starting_after", "ending_before"}); !s) return call->fail(s.error());
    auto page = call->query.page(core::IdKind::api_key);
    if (!page) return call->fail(page.error());
    auto* reads = store::api_key_reads(call->services.store);
    if (!reads) return call->fail(store::no_api_key_management());
    auto result = reads->list_api_keys(*page);
    if (!result) return call->fail(result.error());
    boost::json::array data;
    for (const auto& info : result->items) data.push_back(api_key_json(info, keys));
    call->reply(200, list_json(std::move(data), result->has_more, "/v1/api-keys"));
  });
  routes.add("GET", "/v1/api-keys/{id}", [&keys](const std::shared_ptr<Call>& call) {
    const std::string& id = call->param("id");
    if (auto st = check_api_key_id(id); !st) return call->fail(st.error());
    auto* reads = store::api_key_reads(call->services.store);
    if (!reads) return call->fail(store::no_api_key_management());
    auto found = reads->find_api_key(id);
    if (!found) return call->fail(found.error());
    if (!*found) return call->fail(Error::not_found("api_key_not_found", fmt::format("no API key has id '{}'", id)));
    call->reply(200, api_key_json(**found, keys));
  });
  routes.add("DELETE", "/v1/api-keys/{id}", [&keys](const std::shared_ptr<Call>& call) { revoke_api_key(call, keys); });
}

}  // namespace billhook::api::routes
