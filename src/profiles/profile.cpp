#include "profiles/profile.hpp"

#include <cstdlib>
#include <iostream>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/json.hpp"
#include "profiles/render.hpp"

namespace billhook::embedded {
extern const std::string_view profiles_json;
}

namespace billhook::profiles {
namespace {

namespace json = boost::json;
using core::Error;

Error profile_error(std::string message) {
  return Error{core::ErrorKind::internal, "invalid_profiles", std::move(message), {}};
}

std::string string_or(const json::object& o, std::string_view key, std::string fallback) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : fallback;
}

core::Result<TimeForm> parse_time_form(std::string_view s) {
  if (s == "iso8601") return TimeForm::iso8601;
  if (s == "iso8601_ms") return TimeForm::iso8601_ms;
  if (s == "iso8601_local_ms") return TimeForm::iso8601_local_ms;
  if (s == "unix_s") return TimeForm::unix_s;
  if (s == "unix_ms") return TimeForm::unix_ms;
  return profile_error(fmt::format("unknown time form '{}'", s));
}

core::Result<AmountForm> parse_amount_form(std::string_view s) {
  if (s == "minor") return AmountForm::minor;
  if (s == "major_string") return AmountForm::major_string;
  if (s == "major_number") return AmountForm::major_number;
  return profile_error(fmt::format("unknown amount form '{}'", s));
}

constexpr std::array<std::string_view, 3> kSignatureSchemes = {"stripe", "rapyd", "lago"};

core::Result<Profile> parse_profile(const json::object& o, const catalog::Catalog& catalog) {
  Profile p;
  p.name = string_or(o, "name", "");
  if (p.name.empty()) return profile_error("every profile needs a name");
  const std::string where = "profile " + p.name;
  p.description = string_or(o, "description", "");
  if (const auto* native = o.if_contains("native"); native && native->is_bool()) p.native = native->get_bool();
  auto times = parse_time_form(string_or(o, "times", "unix_s"));
  if (!times) return profile_error(where + ": " + times.error().message);
  p.times = *times;
  auto amounts = parse_amount_form(string_or(o, "amounts", "minor"));
  if (!amounts) return profile_error(where + ": " + amounts.error().message);
  p.amounts = *amounts;
  if (const auto* settings = o.if_contains("settings"); settings && settings->is_array()) {
    for (const auto& s : settings->get_array()) {
      if (!s.is_object()) return profile_error(where + ": settings must be objects");
      const auto& so = s.get_object();
      Setting setting;
      setting.name = string_or(so, "name", "");
      setting.description = string_or(so, "description", "");
      if (setting.name.empty()) return profile_error(where + ": a setting needs a name");
      if (const auto* r = so.if_contains("required"); r && r->is_bool()) setting.required = r->get_bool();
      if (const auto* r = so.if_contains("secret"); r && r->is_bool()) setting.secret = r->get_bool();
      if (const auto* values = so.if_contains("values"); values && values->is_array())
        for (const auto& v : values->get_array()) {
          if (!v.is_string()) return profile_error(where + ": setting '" + setting.name + "' values must be strings");
          setting.values.emplace_back(v.get_string());
        }
      setting.default_value = string_or(so, "default", "");
      if (!setting.default_value.empty() && !setting.values.empty() &&
          std::find(setting.values.begin(), setting.values.end(), setting.default_value) == setting.values.end())
        return profile_error(where + ": setting '" + setting.name + "' has a default that is not one of its values");
      p.settings.push_back(std::move(setting));
    }
  }
  if (const auto* signatures = o.if_contains("signatures"); signatures && signatures->is_array()) {
    for (const auto& s : signatures->get_array()) {
      if (!s.is_string() ||
          std::find(kSignatureSchemes.begin(), kSignatureSchemes.end(), s.get_string()) == kSignatureSchemes.end())
        return profile_error(fmt::format("{}: unknown signature scheme {}", where, json::serialize(s)));
      p.signatures.emplace_back(s.get_string());
    }
  }
  if (const auto* unsent = o.if_contains("unsent"); unsent && unsent->is_array()) {
    for (const auto& when : unsent->get_array()) {
      if (!when.is_object()) return profile_error(where + ": each of unsent must be a condition object");
      p.unsent.push_back(when.get_object());
    }
  }
  p.alias_source = string_or(o, "alias_source", "");
  if (const auto* others = o.if_contains("others"); others && others->is_string())
    p.others_canonical = others->get_string() == "canonical";
  if (const auto* maps = o.if_contains("maps"); maps && maps->is_object()) p.maps = maps->get_object();
  if (const auto* events = o.if_contains("events"); events && events->is_object()) {
    for (const auto& [type, rules] : events->get_object()) {
      if (!catalog.find(type))
        return profile_error(fmt::format("{}: '{}' is not a catalog event type", where, std::string_view(type)));
      if (!rules.is_array()) return profile_error(fmt::format("{}: rules of '{}' must be an array", where,
                                                              std::string_view(type)));
      std::vector<Rule> parsed;
      for (const auto& r : rules.get_array()) {
        if (!r.is_object()) return profile_error(where + ": a rule must be an object");
        const auto& ro = r.get_object();
        Rule rule;
        if (const auto* when = ro.if_contains("when"); when && when->is_object()) rule.when = when->get_object();
        if (const auto* name = ro.if_contains("name"); name && name->is_string()) rule.name = std::string(name->get_string());
        if (const auto* set = ro.if_contains("set"); set && set->is_object()) rule.set = set->get_object();
        parsed.push_back(std::move(rule));
      }
      p.events.emplace(std::string(type), std::move(parsed));
    }
  }
  if (!p.native) {
    const auto* envelope = o.if_contains("envelope");
    if (!envelope || !envelope->is_object()) return profile_error(where + ": needs an envelope template");
    p.envelope = *envelope;
    if (auto s = check_template(p.envelope, p); !s) return profile_error(s.error().message);
    if (const auto* headers = o.if_contains("headers"); headers && headers->is_object()) {
      p.headers = headers->get_object();
      if (auto s = check_template(*headers, p); !s) return profile_error(s.error().message);
    }
  }
  return p;
}

}  // namespace

core::Result<Registry> Registry::parse(std::string_view json_text, const catalog::Catalog& catalog) {
  auto parsed = core::parse_json(json_text);
  if (!parsed) return profile_error("profiles.json does not parse: " + parsed.error().message);
  if (!parsed->is_object() || !parsed->get_object().contains("profiles") ||
      !parsed->get_object().at("profiles").is_array())
    return profile_error("profiles.json must be {\"profiles\": [...]}");
  Registry registry;
  for (const auto& entry : parsed->get_object().at("profiles").get_array()) {
    if (!entry.is_object()) return profile_error("each profile must be an object");
    auto profile = parse_profile(entry.get_object(), catalog);
    if (!profile) return std::move(profile).error();
    if (registry.find(profile->name)) return profile_error("profile " + profile->name + " is defined twice");
    registry.profiles_.push_back(std::move(*profile));
  }
  if (!registry.find(kDefaultProfile)) return profile_error("the billhook profile is missing");
  return registry;
}

const Registry& Registry::builtin() {
  static const Registry registry = [] {
    auto parsed = parse(embedded::profiles_json, catalog::Catalog::builtin());
    if (!parsed) {
      std::cerr << "the built-in profiles are invalid: " << parsed.error().message << "\n";
      std::abort();
    }
    return std::move(*parsed);
  }();
  return registry;
}

std::string Profile::setting(const json::object* values, std::string_view setting_name) const {
  if (values)
    if (const auto* v = values->if_contains(setting_name); v && v->is_string()) return std::string(v->get_string());
  for (const auto& s : settings)
    if (s.name == setting_name) return s.default_value;
  return {};
}

const Profile* Registry::find(std::string_view name) const {
  for (const auto& p : profiles_)
    if (p.name == name) return &p;
  return nullptr;
}

std::string Registry::names() const {
  std::string out;
  for (const auto& p : profiles_) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

bool Registry::sends(const events::Endpoint& endpoint, const catalog::Catalog& catalog,
                     const events::Event& event) const {
  const Profile* profile = find(endpoint.profile);
  return !profile || profiles::sends(*profile, catalog, event);
}

bool Registry::shows_setting(const events::Endpoint& endpoint, std::string_view name) const {
  const Profile* profile = find(endpoint.profile);
  if (!profile) return false;
  for (const auto& setting : profile->settings)
    if (setting.name == name) return !setting.secret;
  return false;
}

}  // namespace billhook::profiles
