#pragma once

// What the event layer needs to know about an endpoint's compatibility profile. The profiles
// (src/profiles) sit above this layer and implement it (profiles::Registry); the composition root
// hands that implementation to whoever appends events or shows endpoints, so that events/ never
// includes profiles/.

#include <string_view>

#include "catalog/catalog.hpp"
#include "events/model.hpp"

namespace billhook::events {

class ProfileRules {
 public:
  virtual ~ProfileRules() = default;

  // Whether `endpoint`, already subscribed to the event's type, is sent `event` at all: a profile
  // may have no name for it (Calmony names three events), and then no delivery is created. An
  // endpoint whose profile is unknown is sent everything.
  virtual bool sends(const Endpoint& endpoint, const catalog::Catalog& catalog, const Event& event) const = 0;

  // Whether the endpoint's profile setting `name` may be shown back in full. False for secret
  // settings, for settings the profile does not declare and for endpoints of an unknown profile.
  virtual bool shows_setting(const Endpoint& endpoint, std::string_view name) const = 0;

 protected:
  ProfileRules() = default;
  ProfileRules(const ProfileRules&) = default;
  ProfileRules& operator=(const ProfileRules&) = default;
};

}  // namespace billhook::events
