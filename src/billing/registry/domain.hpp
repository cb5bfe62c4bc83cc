#pragma once

// What a domain declares beside its document kinds, so that adding one touches no server wiring:
// the service the server makes for it (from the parts every domain shares), the commands the generic
// write routes run on its documents, and what time does to them (its wake handler on the document
// clock). All of it is registered in billing/registry/kinds.cpp; app/server_app.cpp and
// api/routes/document_routes.cpp serve every domain the same way.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>
#include <utility>

#include <boost/json/object.hpp>

#include "billing/origin.hpp"
#include "billing/registry/document_clock.hpp"
#include "render/invoice_view.hpp"
#include "core/described.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace billhook::catalog {
class Catalog;
}
namespace billhook::core {
class IdGenerator;
}

namespace billhook::billing {

class BillingService;
class PaymentProvider;

// The parts of a server that a domain's service is made from.
struct DomainDeps {
  const catalog::Catalog& catalog;
  core::IdGenerator& ids;
  BillingService& billing;  // and through it the clock
  unsigned batch_chunk_size = 50;  // --batch-chunk-size
  int64_t upcoming_days = 3;       // --upcoming-days
  int64_t stop_collection_after_days = 14;  // --stop-collection-after-days
  int64_t basket_abandon_after_s = 86'400;   // --basket-abandon-after
  render::Party seller = {};                 // --seller-*: the seller block on PDFs
  // The base of the links the server hands out (--public-url, or its listen address once bound).
  std::function<std::string()> public_url = {};
  // --payment-provider: where customers are mirrored; null (none) makes no provider sync.
  PaymentProvider* payment_provider = nullptr;
};

// The services of the registered domains, one per type, made once per server (make_services).
class DomainServices {
 public:
  template <class Service>
  void put(std::shared_ptr<Service> service) {
    services_[std::type_index(typeid(Service))] = std::move(service);
  }
  // Null where the server did not make it.
  template <class Service>
  Service* find() const {
    auto it = services_.find(std::type_index(typeid(Service)));
    return it == services_.end() ? nullptr : static_cast<Service*>(it->second.get());
  }

 private:
  std::unordered_map<std::type_index, std::shared_ptr<void>> services_;
};

// How a service of type Service is made; registered once per type.
struct ServiceFactory {
  std::function<void(const DomainDeps&, DomainServices&)> make;
};

template <class Service, class Make>
ServiceFactory service_factory(Make make) {
  return {[make = std::move(make)](const DomainDeps& deps, DomainServices& services) {
    services.put<Service>(std::shared_ptr<Service>(make(deps)));
  }};
}

// One request to a command: the document it names (empty for a create) and its body.
struct CommandInput {
  std::string_view id;
  const boost::json::object& body;
  const Origin& origin;
};

// The write a command does once its body has been read: in the request's transaction, answering the
// document as the API shows it.
using CommandJob = std::function<core::Result<boost::json::object>(store::WriteTx& tx)>;

// A write on documents of a kind, served by the generic routes at
//   POST <api_path>                      a create (on_document false),
//   <method> <api_path>/{id}             an update (action empty),
//   POST <api_path>/{id}/<action>        an action ("cancel").
// Its body is a described struct: read with errors naming the field (a 400 before anything is
// written), documented in /openapi.json from the same struct.
struct DocumentCommand {
  std::string_view method = "POST";
  std::string_view action = {};
  bool on_document = true;
  std::string_view summary;      // "Cancel a subscription"
  std::string_view description;  // what it does and which events it sends
  int status = 200;              // 201 for a create
  bool wakes_clock = false;      // the document clock should look at once (time acts on it now)
  boost::json::object request_schema;
  // Reads the body; the job it returns does the write.
  std::function<core::Result<CommandJob>(const DomainServices&, const CommandInput&)> prepare;
};

namespace detail {
// What a command needs before its write: its domain's service, and its body read into Params (a 400
// naming the field).
template <class Service, class Params>
struct ReadCommand {
  Service* service;
  Params params;
};

template <class Service, class Params>
core::Result<ReadCommand<Service, Params>> read_command(const DomainServices& services, const CommandInput& in) {
  auto* service = services.find<Service>();
  if (!service) return core::Error::unavailable("this kind of document is not served by this server");
  auto params = core::described::from_json<Params>(in.body);
  if (!params) return std::move(params).error();
  return ReadCommand<Service, Params>{service, std::move(*params)};
}
}  // namespace detail

// POST <api_path>: `create(service, tx, params, origin)` makes the document and answers its API JSON
// (a member function of Service, or any callable taking the service first).
template <class Service, class Params, class Create>
DocumentCommand create_command(std::string_view summary, std::string_view description, Create create) {
  DocumentCommand command{.method = "POST",
                          .on_document = false,
                          .summary = summary,
                          .description = description,
                          .status = 201,
                          .request_schema = core::described::schema_of<Params>()};
  command.prepare = [create](const DomainServices& services, const CommandInput& in) -> core::Result<CommandJob> {
    auto read = detail::read_command<Service, Params>(services, in);
    if (!read) return std::move(read).error();
    return CommandJob([service = read->service, create, params = std::move(read->params), origin = in.origin](
                          store::WriteTx& tx) -> core::Result<boost::json::object> {
      return std::invoke(create, *service, tx, params, origin);
    });
  };
  return command;
}

template <class Service, class Params>
DocumentCommand create_command(std::string_view summary, std::string_view description,
                               core::Result<boost::json::object> (Service::*create)(store::WriteTx&, const Params&,
                                                                                    const Origin&)) {
  return create_command<Service, Params, decltype(create)>(summary, description, create);
}

// <method> <api_path>/{id}[/<action>]: `run(service, tx, id, params, origin)` acts on the document.
template <class Service, class Params, class Run>
DocumentCommand document_command(std::string_view method, std::string_view action, std::string_view summary,
                                 std::string_view description, Run run) {
  DocumentCommand command{.method = method,
                          .action = action,
                          .on_document = true,
                          .summary = summary,
                          .description = description,
                          .status = 200,
                          .request_schema = core::described::schema_of<Params>()};
  command.prepare = [run](const DomainServices& services, const CommandInput& in) -> core::Result<CommandJob> {
    auto read = detail::read_command<Service, Params>(services, in);
    if (!read) return std::move(read).error();
    return CommandJob([service = read->service, run, id = std::string(in.id), params = std::move(read->params),
                       origin = in.origin](store::WriteTx& tx) -> core::Result<boost::json::object> {
      return std::invoke(run, *service, tx, std::string_view(id), params, origin);
    });
  };
  return command;
}

template <class Service, class Params>
DocumentCommand document_command(std::string_view method, std::string_view action, std::string_view summary,
                                 std::string_view description,
                                 core::Result<boost::json::object> (Service::*run)(store::WriteTx&, std::string_view id,
                                                                                   const Params&, const Origin&)) {
  return document_command<Service, Params, decltype(run)>(method, action, summary, description, run);
}

// A command that takes no fields: its body is empty or `{}`.
struct NoParams {};
BOOST_DESCRIBE_STRUCT(NoParams, (), ())

// What time does to a kind's documents: `on_wake(tx, wake)` of its service.
using WakeBinding = std::function<WakeHandler(const DomainServices&)>;

template <class Service>
WakeBinding wake_with(core::Result<bool> (Service::*on_wake)(store::WriteTx&, const Wake&)) {
  return [on_wake](const DomainServices& services) -> WakeHandler {
    Service* service = services.find<Service>();
    if (!service) return {};
    return [service, on_wake](store::WriteTx& tx, const Wake& wake) { return (service->*on_wake)(tx, wake); };
  };
}

}  // namespace billhook::billing
