#pragma once

// Compatibility profiles as data: how one canonical event is named, shaped and signed for a receiver
// written against a seed provider's documentation. The profiles live in src/profiles/data/profiles.json
// (compiled in); render.hpp interprets them. No provider has code of its own here.

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "catalog/catalog.hpp"
#include "core/result.hpp"
#include "events/profile_rules.hpp"

namespace billhook::profiles {

inline constexpr std::string_view kDefaultProfile = "billhook";

// How instants are written: "iso8601" (2026-11-22T10:00:00Z), "iso8601_ms" (…00.123Z),
// "iso8601_local_ms" (…00.123, no zone, as Ezypay writes them), "unix_s", "unix_ms".
enum class TimeForm { iso8601, iso8601_ms, iso8601_local_ms, unix_s, unix_ms };
// How money is written: "minor" (integer minor units, 4999), "major_string" ("49.99"), or
// "major_number" (49.99 as a JSON number written exactly, digit for digit, from the ISO 4217 exponent).
enum class AmountForm { minor, major_string, major_number };

// A per-endpoint setting a profile needs (Rapyd's access and secret keys) or offers (Lago's signature
// algorithm). Secret ones are never shown back in full.
struct Setting {
  std::string name;
  std::string description;
  bool required = false;
  bool secret = false;
  std::vector<std::string> values;  // the only values allowed; empty: any text
  std::string default_value;        // what an endpoint that has not set it gets; empty: nothing
};

// One way of naming a canonical event: the first rule whose `when` holds gives the name; a rule without
// a name (null) means the event is not sent. `set` holds values the envelope template reads as rule.<key>.
struct Rule {
  boost::json::object when;  // path -> value | {"not": value} | {"in": [values]}
  std::optional<std::string> name;
  boost::json::object set;
};

struct Profile {
  std::string name;
  std::string description;
  bool native = false;  // billhook's own envelope (events/envelope), not a template
  TimeForm times = TimeForm::unix_s;
  AmountForm amounts = AmountForm::minor;
  std::vector<Setting> settings;
  std::vector<std::string> signatures;  // extra signature header schemes: "stripe", "rapyd", "lago"
  // Conditions (each as a rule's `when`) under which no event is sent at all, whatever its type: the
  // documents of a kind the provider does not have (proformas), which its receivers never saw created.
  std::vector<boost::json::object> unsent;
  std::unordered_map<std::string, std::vector<Rule>> events;  // canonical name -> rules
  // For canonical events without rules: the first catalog alias of this source names them (empty: none).
  std::string alias_source;
  // For canonical events without rules or alias: sent under the canonical name (true) or not at all.
  bool others_canonical = false;
  boost::json::value envelope;  // the template (see render.hpp)
  boost::json::object headers;  // extra HTTP headers: name -> template (e.g. X-Lago-Unique-Key)
  boost::json::object maps;     // named lookup tables for the "map:<name>" filter

  // The endpoint's value of setting `setting_name` (from its `values`, which may be null), else the setting's
  // declared default, else empty.
  std::string setting(const boost::json::object* values, std::string_view setting_name) const;
};

// Every profile, checked once against the catalog. It answers the event layer's questions about an
// endpoint's profile (events::ProfileRules): the outbox asks it whether to create a delivery, the
// endpoint representation which settings to show.
class Registry final : public events::ProfileRules {
 public:
  // Parses a profiles document and checks it: known forms and schemes, rules naming catalog events,
  // templates whose expressions parse. Errors name the profile and the place.
  static core::Result<Registry> parse(std::string_view json_text, const catalog::Catalog& catalog);
  // The compiled-in profiles over the built-in catalog; a broken file is a build defect and aborts.
  static const Registry& builtin();

  const Profile* find(std::string_view name) const;
  const std::vector<Profile>& profiles() const { return profiles_; }
  // "billhook, calmony, …" for error messages.
  std::string names() const;

  bool sends(const events::Endpoint& endpoint, const catalog::Catalog& catalog,
             const events::Event& event) const override;
  bool shows_setting(const events::Endpoint& endpoint, std::string_view name) const override;

 private:
  std::vector<Profile> profiles_;
};

}  // namespace billhook::profiles
