// catalog::JsonSchema: the input, as JSON, is validated against every event type's schema in the
// catalog (as a published event's data.object is), and compiled as a schema of its own (with the
// catalog's definitions) and, if it compiles, used to validate itself and the catalog's examples.
// Any input gives an answer; a violation always names what is wrong.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "catalog/catalog.hpp"
#include "catalog/json_schema.hpp"
#include "core/json.hpp"

namespace {

void check(const std::optional<billhook::catalog::SchemaViolation>& violation) {
  if (violation && violation->message.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto& catalog = billhook::catalog::Catalog::builtin();
  auto value = billhook::core::parse_json(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!value) return 0;
  for (const auto& type : catalog.types()) {
    if (type.schema) check(type.schema->validate(*value, "data.object"));
  }
  auto schema = billhook::catalog::JsonSchema::compile(*value, catalog.defs());
  if (!schema) {
    if (schema.error().message.empty()) std::abort();
    return 0;
  }
  check(schema->validate(*value));
  for (const auto& type : catalog.types()) check(schema->validate(type.example));
  return 0;
}
