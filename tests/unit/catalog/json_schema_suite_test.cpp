// catalog::JsonSchema against the official JSON Schema Test Suite (Debian's json-schema-test-suite,
// installed by scripts/setup.sh). The validator implements a subset of draft 2020-12; the newest draft
// the Debian package carries is draft 7, whose keywords in that subset mean the same in 2020-12. Every
// case of every draft 7 file runs, except those json_schema_suite_skips.json lists, each with why.
// An entry that no longer skips anything that fails is stale and fails the test, so the list stays
// exactly what the validator does not do.

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "catalog/json_schema.hpp"

namespace billhook::catalog {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// BILLHOOK_JSON_SCHEMA_SUITE overrides where the suite is (a git checkout of the upstream repository
// works too: its tests/draft7 has the same layout).
fs::path suite_dir() {
  if (const char* dir = std::getenv("BILLHOOK_JSON_SCHEMA_SUITE"); dir != nullptr && *dir != '\0') {
    return fs::path(dir) / "tests" / "draft7";
  }
  return "/usr/share/json-schema-test-suite/tests/draft7";
}

json::value read_json(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return json::parse(text);
}

// One skip: a whole file, one group of a file, or one test of a group.
struct Skip {
  std::string file;
  std::optional<std::string> group;
  std::optional<std::string> test;
  std::string reason;
  std::size_t matched = 0;  // cases it covered
  std::size_t failing = 0;  // of those, how many the validator gets wrong (0 means the entry is stale)
};

std::vector<Skip> read_skips() {
  const json::value list = read_json(fs::path(BILLHOOK_SOURCE_DIR) / "tests/unit/catalog/json_schema_suite_skips.json");
  std::vector<Skip> skips;
  for (const json::value& entry : list.at("skips").as_array()) {
    const json::object& o = entry.as_object();
    Skip skip;
    skip.file = json::value_to<std::string>(o.at("file"));
    if (const auto* g = o.if_contains("group")) skip.group = json::value_to<std::string>(*g);
    if (const auto* t = o.if_contains("test")) skip.test = json::value_to<std::string>(*t);
    skip.reason = json::value_to<std::string>(o.at("reason"));
    skips.push_back(std::move(skip));
  }
  return skips;
}

Skip* find_skip(std::vector<Skip>& skips, const std::string& file, const std::string& group, const std::string& test) {
  for (Skip& s : skips) {
    if (s.file != file) continue;
    if (s.group && *s.group != group) continue;
    if (s.test && *s.test != test) continue;
    return &s;
  }
  return nullptr;
}

std::vector<std::string> suite_files(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() && entry.path().extension() == ".json") {
      files.push_back(entry.path().lexically_relative(dir).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// What the validator says about one case: the instance is valid, invalid, or the schema did not compile.
enum class Verdict { valid, invalid, not_compiled };

struct Outcome {
  Verdict verdict;
  std::string detail;  // the compile error or the violation
};

struct Counts {
  std::size_t run = 0, passed = 0, skipped = 0, skipped_failing = 0;
};

TEST(JsonSchemaSuiteTest, Draft7PassesEveryCaseNotListedAsSkipped) {
  const fs::path dir = suite_dir();
  ASSERT_TRUE(fs::is_directory(dir)) << dir << " is missing: install Debian's json-schema-test-suite "
                                     << "(bash scripts/setup.sh) or set BILLHOOK_JSON_SCHEMA_SUITE";
  std::vector<Skip> skips = read_skips();
  Counts counts;

  for (const std::string& file : suite_files(dir)) {
    const json::value groups = read_json(dir / file);
    for (const json::value& group_value : groups.as_array()) {
      const json::object& group = group_value.as_object();
      const std::string group_name = json::value_to<std::string>(group.at("description"));
      auto compiled = JsonSchema::compile(group.at("schema"), json::object{});

      for (const json::value& case_value : group.at("tests").as_array()) {
        const json::object& test = case_value.as_object();
        const std::string test_name = json::value_to<std::string>(test.at("description"));
        const bool expected_valid = test.at("valid").as_bool();

        Outcome outcome{Verdict::not_compiled, {}};
        if (!compiled) {
          outcome.detail = "schema not compiled: " + compiled.error().message;
        } else if (auto violation = compiled->validate(test.at("data"))) {
          outcome = {Verdict::invalid, violation->path + ": " + violation->message};
        } else {
          outcome.verdict = Verdict::valid;
        }
        const bool right = outcome.verdict == (expected_valid ? Verdict::valid : Verdict::invalid);

        if (Skip* skip = find_skip(skips, file, group_name, test_name)) {
          ++skip->matched;
          ++counts.skipped;
          if (!right) {
            ++skip->failing;
            ++counts.skipped_failing;
          }
          continue;
        }
        ++counts.run;
        if (right) {
          ++counts.passed;
          continue;
        }
        ADD_FAILURE() << file << " / \"" << group_name << "\" / \"" << test_name << "\": expected "
                      << (expected_valid ? "valid" : "invalid") << ", got "
                      << (outcome.verdict == Verdict::valid ? "valid" : outcome.detail)
                      << "\n  schema: " << json::serialize(group.at("schema"))
                      << "\n  data: " << json::serialize(test.at("data"));
      }
    }
  }

  for (const Skip& skip : skips) {
    const std::string where = skip.file + (skip.group ? " / \"" + *skip.group + "\"" : std::string()) +
                              (skip.test ? " / \"" + *skip.test + "\"" : std::string());
    EXPECT_GT(skip.matched, 0u) << "the skip of " << where << " matches no case of the suite: fix its name";
    EXPECT_TRUE(skip.matched == 0 || skip.failing > 0)
        << "the skip of " << where << " covers " << skip.matched
        << " cases that all pass now: remove it from json_schema_suite_skips.json";
  }
  // 269 cases run with Debian's 2.0.0: far fewer would mean files were not found or not read.
  EXPECT_GE(counts.run, 250u);
  std::cout << "JSON Schema Test Suite, draft 7: " << counts.passed << " of " << counts.run << " cases passed; "
            << counts.skipped << " skipped (" << skips.size() << " entries in json_schema_suite_skips.json, "
            << counts.skipped_failing << " of those cases not passing)\n";
}

}  // namespace
}  // namespace billhook::catalog
