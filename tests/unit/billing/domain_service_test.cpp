// What a domain declares beside its kinds (billing/registry/domain.hpp), on each store backend: its
// service made once per server, its commands reading their bodies with errors that name the field
// before anything is written and running in the request's transaction, and its wake handler; and the
// registry keeping its promises (every kind that time acts on gets a handler on the document clock).
#include <memory>
#include <string>
#include <vector>

#include <boost/describe.hpp>
#include <boost/json.hpp>

#include "billing/payment_provider.hpp"
#include "billing/registry/domain.hpp"
#include "billing/registry/registry.hpp"
#include "billing_fixture.hpp"

namespace billhook::billing::testing {
namespace {

namespace json = boost::json;

struct RenameParams {
  std::string name;
  std::optional<int64_t> priority;
};
BOOST_DESCRIBE_STRUCT(RenameParams, (), (name, priority))

// A domain's service as small as it gets: it records what its commands and handler were given.
class ToyService {
 public:
  core::Result<json::object> create(store::WriteTx&, const RenameParams& params, const Origin& origin) {
    calls.push_back("create " + params.name + " " + origin.request_id);
    if (params.name == "taken") return core::Error::conflict("name_taken", "that name is taken");
    return json::object{{"name", params.name}};
  }
  core::Result<json::object> rename(store::WriteTx&, std::string_view id, const RenameParams& params,
                                    const Origin&) {
    calls.push_back("rename " + std::string(id) + " " + params.name + " " + std::to_string(params.priority.value_or(0)));
    return json::object{{"id", id}, {"name", params.name}};
  }
  core::Result<bool> on_wake(store::WriteTx&, const Wake& wake) {
    calls.push_back("wake " + std::string(wake.id));
    return false;
  }
  std::vector<std::string> calls;
};

class DomainTest : public BillingFixture {
 protected:
  DomainTest() : BillingFixture(31) {}

  // The services of a server with every optional part configured (a payment provider): a domain
  // whose service only such a server makes must still have it then.
  DomainServices all_domain_services(PaymentProvider& provider) {
    return document_kinds().make_services(
        {.catalog = service_->catalog(), .ids = ids_, .billing = *service_, .payment_provider = &provider});
  }

  DomainServices services_with_toy() {
    DomainServices services;
    services.put(std::make_shared<ToyService>());
    return services;
  }

  // Runs a prepared command's job in one write transaction.
  core::Result<json::object> run(const CommandJob& job) {
    return write([&](store::WriteTx& tx) { return job(tx); });
  }
};

TEST_P(DomainTest, ACreateCommandReadsItsBodyIntoItsParametersAndRunsInTheTransaction) {
  const auto command = create_command("Create a toy", "Makes a toy.", &ToyService::create);
  EXPECT_EQ(command.status, 201);
  EXPECT_FALSE(command.on_document);
  EXPECT_EQ(command.request_schema, core::described::schema_of<RenameParams>());

  const auto services = services_with_toy();
  const json::object body{{"name", "Ada"}};
  const Origin origin{.request_id = "req_1", .idempotency_key = ""};
  auto job = command.prepare(services, {.id = "", .body = body, .origin = origin});
  ASSERT_TRUE(job.ok()) << job.error().message;
  EXPECT_TRUE(services.find<ToyService>()->calls.empty()) << "reading the body writes nothing";
  auto answer = run(*job);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->at("name"), "Ada");
  EXPECT_EQ(services.find<ToyService>()->calls, std::vector<std::string>{"create Ada req_1"});
}

TEST_P(DomainTest, ABadBodyIsRefusedNamingTheFieldBeforeAnythingRuns) {
  const auto command = create_command("Create a toy", "Makes a toy.", &ToyService::create);
  const auto services = services_with_toy();
  const Origin origin{};
  struct Case {
    json::object body;
    std::string code;
    std::string param;
  };
  const std::vector<Case> cases = {
      {{}, "missing_field", "name"},
      {{{"name", 7}}, "invalid_type", "name"},
      {{{"name", "Ada"}, {"colour", "red"}}, "unknown_parameter", "colour"},
      {{{"name", "Ada"}, {"priority", "high"}}, "invalid_type", "priority"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(json::serialize(c.body));
    auto job = command.prepare(services, {.id = "", .body = c.body, .origin = origin});
    ASSERT_FALSE(job.ok());
    EXPECT_EQ(job.error().kind, core::ErrorKind::invalid_request);
    EXPECT_EQ(job.error().code, c.code);
    EXPECT_EQ(job.error().param, c.param);
  }
  EXPECT_TRUE(services.find<ToyService>()->calls.empty());
}

TEST_P(DomainTest, ACommandsRefusalRollsItsTransactionBack) {
  const auto command = create_command("Create a toy", "Makes a toy.", &ToyService::create);
  const auto services = services_with_toy();
  const json::object body{{"name", "taken"}};
  const Origin origin{};
  auto job = command.prepare(services, {.id = "", .body = body, .origin = origin});
  ASSERT_TRUE(job.ok());
  auto answer = run(*job);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().kind, core::ErrorKind::conflict);
  EXPECT_EQ(answer.error().code, "name_taken");
}

TEST_P(DomainTest, ADocumentCommandActsOnTheDocumentItNames) {
  const auto command = document_command("POST", "rename", "Rename a toy", "Renames it.", &ToyService::rename);
  EXPECT_TRUE(command.on_document);
  EXPECT_EQ(command.action, "rename");
  EXPECT_EQ(command.status, 200);
  const auto services = services_with_toy();
  const json::object body{{"name", "Grace"}, {"priority", 3}};
  const Origin origin{};
  auto job = command.prepare(services, {.id = "toy_1", .body = body, .origin = origin});
  ASSERT_TRUE(job.ok()) << job.error().message;
  auto answer = run(*job);
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->at("id"), "toy_1");
  EXPECT_EQ(services.find<ToyService>()->calls, std::vector<std::string>{"rename toy_1 Grace 3"});
}

TEST_P(DomainTest, ACommandOfAServiceTheServerDidNotMakeIsUnavailable) {
  const auto command = create_command("Create a toy", "Makes a toy.", &ToyService::create);
  const DomainServices none;
  const json::object body{{"name", "Ada"}};
  const Origin origin{};
  auto job = command.prepare(none, {.id = "", .body = body, .origin = origin});
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.error().kind, core::ErrorKind::unavailable);
  EXPECT_FALSE(wake_with(&ToyService::on_wake)(none)) << "no handler without its service";
}

TEST_P(DomainTest, AWakeBindingCallsItsServicesHandler) {
  const auto services = services_with_toy();
  const auto handler = wake_with(&ToyService::on_wake)(services);
  ASSERT_TRUE(handler);
  auto more = write([&](store::WriteTx& tx) { return handler(tx, Wake{.id = "toy_9", .round = 0}); });
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
  EXPECT_EQ(services.find<ToyService>()->calls, std::vector<std::string>{"wake toy_9"});
}

// Every kind that declares what time does to it gets its handler from the services the registry
// makes, so a server (and the fixture's run_scheduler) runs it: a wake binding whose service is not
// provided would silently never run.
TEST_P(DomainTest, EveryRegisteredWakeHandlerHasItsServiceProvided) {
  SandboxPaymentProvider provider;
  const auto services = all_domain_services(provider);
  int kinds_with_time = 0;
  for (const auto& kind : document_kinds().kinds()) {
    if (!kind.wake) continue;
    ++kinds_with_time;
    EXPECT_TRUE(kind.wake(services)) << kind.kind << " declares a wake handler but its service is not provided";
  }
  EXPECT_GE(kinds_with_time, 3) << "invoices, invoice batches and refunds are acted on by time";
}

// Every command of every registered kind has what its route and its documentation need.
TEST_P(DomainTest, EveryRegisteredCommandIsComplete) {
  SandboxPaymentProvider provider;
  const auto services = all_domain_services(provider);
  for (const auto& kind : document_kinds().kinds()) {
    for (const auto& command : kind.commands) {
      SCOPED_TRACE(std::string(kind.kind) + " " + std::string(command.action));
      EXPECT_FALSE(kind.api_path.empty()) << "a command needs its kind's API path";
      EXPECT_FALSE(command.summary.empty());
      EXPECT_FALSE(command.description.empty());
      EXPECT_TRUE(command.prepare);
      EXPECT_EQ(command.request_schema.at("type"), "object");
      // Its service exists: an empty body is refused as a body, not as a missing service.
      const json::object empty;
      const Origin origin{};
      auto job = command.prepare(services, {.id = "x", .body = empty, .origin = origin});
      if (!job.ok()) {
        EXPECT_NE(job.error().kind, core::ErrorKind::unavailable) << job.error().message;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, DomainTest, kBackends, backend_name);

}  // namespace
}  // namespace billhook::billing::testing
