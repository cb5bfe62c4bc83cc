// Every (profile, event type) pair a profile sends, rendered from the catalog's example payload with a
// fixed id and time, compared with tests/golden/profiles/<profile>/<event_type>.json.
// BILLHOOK_UPDATE_GOLDEN=1 rewrites the files (review the diff by hand before committing it).

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "catalog/catalog.hpp"
#include "events/envelope.hpp"
#include "profiles/render.hpp"

namespace billhook::profiles {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kCreatedMs = 1796083200123;  // 2026-12-01T00:00:00.123Z

// The catalog example as it is, or, for a profile that names the event only after a draft (Calmony's
// invoice.created on finalization), the example as a just-finalized draft.
events::Event as_finalized_draft(events::Event e) {
  auto data = boost::json::parse(e.data_json).as_object();
  data["object"].as_object()["status"] = "open";
  data["previous_attributes"] = boost::json::object{{"status", "draft"}};
  e.data_json = boost::json::serialize(data);
  return e;
}

events::Event example_event(const catalog::EventType& type) {
  events::Event e;
  e.id = "evt_01KGOLDEN0000000000000000";
  e.type = type.name;
  e.created_ms = kCreatedMs;
  std::string aggregate_id = "unknown";
  if (type.example.is_object())
    if (const auto* id = type.example.get_object().if_contains("id"); id && id->is_string())
      aggregate_id = std::string(id->get_string());
  e.aggregate = events::Aggregate{type.aggregate, aggregate_id, 3};
  e.data_json = boost::json::serialize(boost::json::object{{"object", type.example}});
  e.request_id = "req_01KGOLDEN0000000000000000";
  return e;
}

// Indents compact JSON without re-reading its numbers, so "49.90" stays "49.90".
std::string pretty(std::string_view compact) {
  std::string out;
  int depth = 0;
  bool in_string = false;
  auto newline = [&] { out += "\n" + std::string(static_cast<size_t>(depth) * 2, ' '); };
  for (size_t i = 0; i < compact.size(); ++i) {
    const char ch = compact[i];
    if (in_string) {
      out.push_back(ch);
      if (ch == '\\') out.push_back(compact[++i]);
      else if (ch == '"') in_string = false;
      continue;
    }
    switch (ch) {
      case '"': in_string = true; out.push_back(ch); break;
      case '{':
      case '[':
        out.push_back(ch);
        if (i + 1 < compact.size() && (compact[i + 1] == '}' || compact[i + 1] == ']')) {
          out.push_back(compact[++i]);
        } else {
          ++depth;
          newline();
        }
        break;
      case '}':
      case ']': --depth; newline(); out.push_back(ch); break;
      case ',': out.push_back(ch); newline(); break;
      case ':': out += ": "; break;
      default: out.push_back(ch);
    }
  }
  return out + "\n";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST(ProfileGolden, EveryPairMatchesItsGoldenFile) {
  const auto& catalog = catalog::Catalog::builtin();
  const auto& registry = Registry::builtin();
  const fs::path root = BILLHOOK_GOLDEN_DIR;
  const bool update = std::getenv("BILLHOOK_UPDATE_GOLDEN") != nullptr;
  size_t compared = 0;
  for (const auto& profile : registry.profiles()) {
    const fs::path dir = root / profile.name;
    std::set<std::string> expected_files;
    for (const auto& type : catalog.types()) {
      const auto event = example_event(type);
      std::string body;
      if (profile.native) {
        body = boost::json::serialize(events::render_envelope(event, catalog.api_version()));
      } else {
        const boost::json::object settings{{"merchant_id", "m_golden"}};
        auto rendered = render(profile, catalog, event, settings);
        if (!rendered && type.example.is_object() && type.example.get_object().contains("status"))
          rendered = render(profile, catalog, as_finalized_draft(event), settings);
        if (!rendered) continue;
        body = rendered->body;
      }
      const std::string text = pretty(body);
      const fs::path file = dir / (type.name + ".json");
      expected_files.insert(file.filename().string());
      if (update) {
        fs::create_directories(dir);
        std::ofstream(file, std::ios::binary) << text;
        continue;
      }
      ASSERT_TRUE(fs::exists(file)) << file << " is missing; run with BILLHOOK_UPDATE_GOLDEN=1 and review it";
      EXPECT_EQ(read_file(file), text) << "profile " << profile.name << ", event " << type.name;
      ++compared;
    }
    if (update || !fs::exists(dir)) continue;
    for (const auto& entry : fs::directory_iterator(dir))
      EXPECT_TRUE(expected_files.contains(entry.path().filename().string()))
          << entry.path() << " is a golden file for an event the profile no longer sends";
  }
  if (!update) {
    EXPECT_GT(compared, 100u);
  }
}

TEST(ProfileGolden, PrettyKeepsNumbersAndStringsAsWritten) {
  EXPECT_EQ(pretty(R"({"a":49.90,"b":"x,{y}:","c":[],"d":[1]})"),
            "{\n  \"a\": 49.90,\n  \"b\": \"x,{y}:\",\n  \"c\": [],\n  \"d\": [\n    1\n  ]\n}\n");
}

}  // namespace
}  // namespace billhook::profiles
