#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "integration/integration_helpers.hpp"
#include "support/receiver.hpp"

namespace billhook::testing {

// The real server on the manual clock, allowed to deliver to a receiver on loopback: what most
// delivery tests start from.
class DeliveryTest : public ServerTest {
 protected:
  // Starts the server with these flags and `extra`.
  void start(std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--allow-networks", "127.0.0.0/8,::1/128", "--test-clock"};
    args.insert(args.end(), extra.begin(), extra.end());
    start_server(std::move(args));
  }

  // Creates an endpoint for `path` on the receiver (invoice events unless the body says
  // otherwise); answers its id.
  std::string endpoint(const std::string& path, json::object body = {}) {
    body["url"] = rx_.url(path);
    if (!body.contains("event_types") && !body.contains("categories")) body["event_types"] = json::array{"invoice.*"};
    auto r = client_->post("/v1/endpoints", body);
    if (r.status != 201) throw std::runtime_error("create endpoint: " + describe(r));
    return str(r.json().at("id"));
  }

  Receiver rx_;
};

}  // namespace billhook::testing
