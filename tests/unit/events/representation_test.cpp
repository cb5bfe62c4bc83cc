#include "events/representation.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "profiles/profile.hpp"

namespace billhook::events {
namespace {

// Shows in full only the settings named in `shown`, and records what it was asked.
class FakeProfileRules final : public ProfileRules {
 public:
  std::set<std::string, std::less<>> shown;
  mutable std::vector<std::string> asked;

  bool sends(const Endpoint&, const catalog::Catalog&, const Event&) const override { return true; }
  bool shows_setting(const Endpoint& endpoint, std::string_view name) const override {
    asked.push_back(endpoint.profile + "." + std::string(name));
    return shown.contains(name);
  }
};

Endpoint rapyd_endpoint() {
  Endpoint ep;
  ep.id = "ep_01JD3Y8F6W5Q2N4M7K9C1B3X5Z";
  ep.profile = "rapyd";
  ep.profile_settings_json = R"({"access_key":"rak_0123456789","secret_key":"rsk_abcdefghijkl","short":"abc"})";
  return ep;
}

TEST(EndpointObject, ShowsOnlyTheSettingsTheProfileRulesAllowInFull) {
  FakeProfileRules rules;
  rules.shown = {"access_key"};
  const auto json = endpoint_object(rapyd_endpoint(), rules);
  const auto& settings = json.at("profile_settings").as_object();
  EXPECT_EQ(settings.at("access_key").as_string(), "rak_0123456789");
  EXPECT_EQ(settings.at("secret_key").as_string(), "…ijkl") << "a hidden setting keeps its last four characters";
  EXPECT_EQ(settings.at("short").as_string(), "…") << "too short to show any of it";
  EXPECT_EQ(rules.asked, (std::vector<std::string>{"rapyd.access_key", "rapyd.secret_key", "rapyd.short"}));
}

// Through the real profiles: Rapyd's secret key is secret, its access key is not, and a setting the
// profile does not declare is not shown either.
TEST(EndpointObject, TheRealProfilesHideSecretAndUndeclaredSettings) {
  const auto json = endpoint_object(rapyd_endpoint(), profiles::Registry::builtin());
  const auto& settings = json.at("profile_settings").as_object();
  EXPECT_EQ(settings.at("access_key").as_string(), "rak_0123456789");
  EXPECT_EQ(settings.at("secret_key").as_string(), "…ijkl");
  EXPECT_EQ(settings.at("short").as_string(), "…");

  Endpoint unknown = rapyd_endpoint();
  unknown.profile = "no_such_profile";
  const auto hidden = endpoint_object(unknown, profiles::Registry::builtin());
  EXPECT_EQ(hidden.at("profile_settings").at("access_key").as_string(), "…6789")
      << "an unknown profile shows nothing in full";
}

}  // namespace
}  // namespace billhook::events
