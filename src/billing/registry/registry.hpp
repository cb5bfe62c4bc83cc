#pragma once

// Every kind of billing document that the generic parts serve, by name: the GET routes
// (GET /v1/<path> unless the kind is not listed, and GET /v1/<path>/{id}) and the readers behind them,
// the write routes of its commands, its handler on the document clock, and its description in
// /openapi.json. A kind is registered once, from its DocumentKind (see document_kind.hpp), in
// document_kinds(), together with the services its domain needs (domain.hpp).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "billing/registry/document_kind.hpp"
#include "billing/registry/domain.hpp"

namespace billhook::billing {

// Documents of another kind shown inside one of this kind (a batch's items): their parent_id is the
// document's id; they are listed in id order under `key`.
struct ChildList {
  std::string_view kind;
  std::string_view key;
  size_t limit = 1000;
  // The child's API JSON from its stored JSON.
  std::function<core::Result<boost::json::object>(const boost::json::object& stored)> api_json;
};

struct RegisteredKind {
  std::string_view kind;
  std::string_view noun;
  std::string_view plural;  // how the documentation names several; empty: the noun and an "s"
  core::IdKind id_kind;
  std::string_view api_path;  // "/v1/invoice-batches", or empty: no generic GET routes
  bool list = true;           // GET <api_path> as well as GET <api_path>/{id}
  // Query parameters the list accepts besides its page: the customer's id, the parent's id
  // ("customer", "invoice"); empty: not accepted.
  std::string_view customer_filter = {};
  std::string_view parent_filter = {};
  // Also listed under its parent ("/v1/wallets/{id}/transactions": those whose parent_id is {id}); empty:
  // only through parent_filter.
  std::string_view nested_list = {};
  // Its schema in api/openapi.json's components ("InvoiceBatch"), which must agree with `schema`
  // (tests/unit/api/openapi_test.cpp checks it); empty if the API does not show the kind.
  std::string_view openapi_name = {};
  boost::json::object schema = {};  // the JSON Schema of its API JSON, from its field list
  // The API JSON from the stored JSON.
  std::function<core::Result<boost::json::object>(const boost::json::object& stored)> api_json;
  std::optional<ChildList> children;
  // Its write routes (create, update, actions), served by api/routes/document_routes.cpp.
  std::vector<DocumentCommand> commands = {};
  // What time does to its documents, if anything: the document clock calls it for each one due.
  WakeBinding wake = {};

  core::Error not_found(std::string_view id) const {
    return core::Error::not_found(fmt::format("{}_not_found", kind),
                                  fmt::format("no {} has id '{}'", noun, id.substr(0, 100)));
  }
};

// The RegisteredKind of a described kind: API JSON straight from its fields. `kind` must outlive
// the registry (kinds are constants).
template <class T>
RegisteredKind registered(const DocumentKind<T>& kind, std::string_view api_path, std::string_view openapi_name,
                          bool list = true) {
  return {.kind = kind.kind,
          .noun = kind.noun,
          .plural = kind.plural,
          .id_kind = kind.id_kind,
          .api_path = api_path,
          .list = list,
          .customer_filter = {},
          .parent_filter = {},
          .openapi_name = openapi_name,
          .schema = kind.api_schema(),
          .api_json = [&kind](const boost::json::object& stored) -> core::Result<boost::json::object> {
            return kind.api_json_of_stored(stored);
          },
          .children = std::nullopt};
}

class DocumentRegistry {
 public:
  // A kind's name must be new.
  void add(RegisteredKind kind);
  const RegisteredKind* find(std::string_view kind) const;
  const std::vector<RegisteredKind>& kinds() const { return kinds_; }

  // How the service of a domain is made (one per service type).
  void provide(ServiceFactory factory);
  // Every provided service, made for one server.
  DomainServices make_services(const DomainDeps& deps) const;

 private:
  std::vector<RegisteredKind> kinds_;
  std::vector<ServiceFactory> factories_;
};

// The registry of every kind billhook serves (billing/registry/kinds.cpp).
const DocumentRegistry& document_kinds();

}  // namespace billhook::billing
