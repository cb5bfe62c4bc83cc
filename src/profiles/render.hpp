#pragma once

// The one generic renderer: a profile's data applied to an event.
//
// Naming: a profile's rules for the event's canonical type (first `when` that holds wins), else the
// catalog alias of the profile's `alias_source`, else the canonical name if `others_canonical`, else
// nothing: the event is not sent to endpoints with this profile.
//
// Templates are JSON. A string starting with "=" is an expression: alternatives separated by " ?? "
// (the first that is present and not null wins), each a term followed by "|filter" steps. Terms are
// paths — event.id, event.type (canonical), event.name (the provider's name), event.created_ms,
// event.request_id, event.idempotency_key, aggregate.type/id/sequence, api_version, data.…, object.…
// (data.object), previous.… (data.previous_attributes), rule.… (the matched rule's `set`), settings.…
// (the endpoint's non-secret profile settings), item.… (inside "$each") — or literals: 'text', null,
// true, false, integers. Filters: time (unix seconds to the profile's time form), time_ms (from unix
// milliseconds), amount[:path] (minor units to the profile's amount form, currency from object.currency
// or the given path), id:<prefix> (a stable id derived from the value), uuid (a stable UUID derived from
// the value), upper, lower, string, two_digits (an integer's last two digits as text: 1 -> "01", 2025 ->
// "25"), map:<table>, camel_keys (object keys in camelCase, recursively).
// An object key starting with "=" is an expression too. {"$each": "<path>", "do": <template>} renders
// the template for each element of an array (as item).

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "catalog/catalog.hpp"
#include "core/result.hpp"
#include "events/model.hpp"
#include "profiles/profile.hpp"

namespace billhook::profiles {

// The parsed `data` of an event ({object, previous_attributes?}); an empty object if it does not parse.
boost::json::object parse_event_data(const events::Event& event);

// The matched rule and the name the profile sends `event` under; nullopt when it is not sent.
struct Naming {
  std::string name;
  const Rule* rule = nullptr;  // null when named by alias or canonical fallback
};
std::optional<Naming> name_event(const Profile& profile, const catalog::Catalog& catalog, const events::Event& event,
                                 const boost::json::object& data);
// Whether endpoints with `profile` receive `event` at all (the outbox asks this at delivery creation).
bool sends(const Profile& profile, const catalog::Catalog& catalog, const events::Event& event);

struct Rendered {
  std::string name;  // the provider's event name
  std::string body;  // the serialized envelope
  std::vector<std::pair<std::string, std::string>> headers;  // the profile's extra headers, rendered
};

// The body for `event` under a template profile (not the native one); nullopt when the profile does
// not send it. `settings` are the endpoint's profile settings (secret ones are not visible to templates).
std::optional<Rendered> render(const Profile& profile, const catalog::Catalog& catalog, const events::Event& event,
                               const boost::json::object& settings);

// Checks that every expression in `template_value` parses; used when loading profiles.
core::Status check_template(const boost::json::value& template_value, const Profile& profile);

}  // namespace billhook::profiles
