// Every event type in the catalog has an emitter in the engine (issue 18, "done when"): for each type,
// some source file under src/ outside the catalog and the profiles (which only name types) writes its
// name as a string literal that is not merely compared against ("type == \"invoice.paid\"" is an
// observer reacting to it, not a producer). A type no engine path produces fails the test, naming it.
// Since issue 16 (wallets) every type has one: no type is allowed without an emitter.

#include "catalog/catalog.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace billhook::catalog {
namespace {

namespace fs = std::filesystem;

// The engine's sources without their // comments, one string.
std::string engine_sources() {
  const fs::path src = fs::path(BILLHOOK_SOURCE_DIR) / "src";
  std::string all;
  for (const auto& entry : fs::recursive_directory_iterator(src)) {
    if (!entry.is_regular_file()) continue;
    const fs::path& path = entry.path();
    if (path.extension() != ".cpp" && path.extension() != ".hpp") continue;
    const std::string relative = fs::relative(path, src).generic_string();
    if (relative.starts_with("catalog/") || relative.starts_with("profiles/")) continue;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
      // A // outside a string literal starts a comment.
      bool in_string = false;
      for (size_t i = 0; i + 1 < line.size(); ++i) {
        if (line[i] == '"' && (i == 0 || line[i - 1] != '\\')) in_string = !in_string;
        if (!in_string && line[i] == '/' && line[i + 1] == '/') {
          line.resize(i);
          break;
        }
      }
      all += line;
      all += '\n';
    }
  }
  return all;
}

// True when `sources` has "<name>" somewhere not right after == or !=.
bool produced(const std::string& sources, const std::string& name) {
  const std::string literal = "\"" + name + "\"";
  for (size_t at = sources.find(literal); at != std::string::npos; at = sources.find(literal, at + 1)) {
    size_t before = at;
    while (before > 0 && (sources[before - 1] == ' ' || sources[before - 1] == '\n')) --before;
    const std::string_view op = before >= 2 ? std::string_view(sources).substr(before - 2, 2) : std::string_view();
    if (op != "==" && op != "!=") return true;
  }
  return false;
}

TEST(CatalogEmitters, EveryEventTypeHasAnEmitterInTheEngine) {
  const std::string sources = engine_sources();
  ASSERT_GT(sources.size(), 100'000u) << "the engine's sources were not found under " << BILLHOOK_SOURCE_DIR;
  std::vector<std::string> missing;
  for (const auto& type : Catalog::builtin().types())
    if (!produced(sources, type.name)) missing.push_back(type.name);
  EXPECT_TRUE(missing.empty()) << "no engine path produces: " << ::testing::PrintToString(missing);
}

// The check itself: a literal that is only compared is no emitter; one that is passed on is.
TEST(CatalogEmitters, AComparisonIsNotAnEmitter) {
  EXPECT_FALSE(produced("if (type == \"invoice.paid\") return;", "invoice.paid"));
  EXPECT_FALSE(produced("type !=\n   \"invoice.paid\"", "invoice.paid"));
  EXPECT_TRUE(produced("append(tx, \"invoice.paid\", \"invoice\", id);", "invoice.paid"));
  EXPECT_TRUE(produced("types = {\"invoice.paid\"};", "invoice.paid"));
  EXPECT_FALSE(produced("append(tx, \"invoice.paid_x\");", "invoice.paid"));
}

}  // namespace
}  // namespace billhook::catalog
