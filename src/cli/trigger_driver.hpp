#pragma once

// What every trigger scenario shares: API calls that create the usual resources (recording each one
// created, for the command's output), sandbox card numbers, the test clock, and waiting for an event.

#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli/api_client.hpp"

namespace billhook::cli {

namespace card {
constexpr std::string_view kGood = "4242424242424242";
constexpr std::string_view kNoFunds = "4000000000009995";
constexpr std::string_view kExpired = "4000000000000069";
constexpr std::string_view kNeeds3ds = "4000000000003220";
constexpr std::string_view kCaptureFails = "4000000000000341";
constexpr std::string_view kRefundsFail = "4000000000005126";
}  // namespace card

constexpr int64_t kDay = 86'400;

struct CreatedResource {
  std::string kind;  // "customer", "invoice", …
  std::string id;
};

class TriggerDriver {
 public:
  explicit TriggerDriver(ApiClient& api) : api_(api) {}

  ApiClient& api() { return api_; }
  const std::vector<CreatedResource>& created() const { return created_; }
  // Records a resource the scenario made and answers its id.
  std::string remember(std::string kind, const boost::json::object& resource);

  std::string customer(boost::json::object fields = {});
  std::string card(const std::string& customer_id, std::string_view number, boost::json::object extra = {});
  // A customer with one card `number`.
  std::string customer_with_card(std::string_view number);
  // An invoice of 2 × 50.00 EUR at 19 % tax; issued at once unless `draft`. `extra` adds or replaces fields.
  static boost::json::object invoice_body(const std::string& customer_id, boost::json::object extra = {});
  std::string invoice(const std::string& customer_id, boost::json::object extra = {}, bool draft = false);
  // An issued invoice sent for manual payment (due in `days` days) to a new customer without a card.
  std::string unpaid_invoice(int64_t days = 10);
  // An invoice paid at once with `card_number`; answers its id.
  std::string paid_invoice(std::string_view card_number = card::kGood);
  boost::json::object pay(const std::string& invoice_id, boost::json::object body = {});
  std::string first_payment_of(const std::string& invoice_id);

  // A monthly plan at 25.00 EUR; `extra` adds or replaces fields. Answers its id.
  std::string plan(boost::json::object extra = {});
  std::string subscription(const std::string& customer_id, const std::string& plan_id, boost::json::object extra = {});
  // A metric summing the property "gb" under a fresh code; answers the code.
  std::string metric();
  void usage(const std::string& subscription_id, const std::string& code, std::string_view amount);

  // Moves the server's test clock (it must run with --test-clock).
  void advance(int64_t seconds);
  // The server's time, read from a resource made now.
  int64_t now();
  // Waits for an event of `type` about `aggregate_id` (any aggregate when empty); throws if none comes.
  void await_event(std::string_view type, std::string_view aggregate_id);
  // Waits until GET `path` answers a non-empty "data" list; throws naming `what` if it does not.
  void await_nonempty(const std::string& path, std::string_view what);

  // A code unique to this run ("trg-<random>-n").
  std::string unique(std::string_view what);

 private:
  ApiClient& api_;
  std::vector<CreatedResource> created_;
  std::string run_tag_;
  int counter_ = 0;
};

}  // namespace billhook::cli
