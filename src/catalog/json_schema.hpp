#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/fwd.hpp>

#include "core/result.hpp"

namespace billhook::catalog {

// A rule an instance broke: where (dotted path, e.g. "data.object.lines[0].amount") and why.
struct SchemaViolation {
  std::string path;
  std::string message;  // for a person: says what to fix, e.g. "must be an integer, got string"
};

// A JSON Schema (a draft 2020-12 subset, see json_schema.cpp), compiled once and used to
// validate many instances. Thread-safe for concurrent validate() calls after construction.
// Cheap to copy (shared state).
class JsonSchema {
 public:
  // Compiles `schema`. "$ref": "#/$defs/NAME" is resolved against `defs` (an object of named
  // schemas); recursive refs must work (a def that refers to itself through items/properties).
  // A malformed schema, an unknown keyword from the list of refused ones, or an unresolvable $ref
  // is an Error (ErrorKind::internal, code "invalid_schema", message naming the schema path).
  static core::Result<JsonSchema> compile(const boost::json::value& schema,
                                          const boost::json::object& defs);

  // The first violation found (depth-first, in the schema's property order), or nullopt if valid.
  // Paths are reported as base_path + ".prop" / "[index]"; with an empty base_path the leading
  // dot is dropped.
  std::optional<SchemaViolation> validate(const boost::json::value& instance,
                                          std::string_view base_path = {}) const;

 private:
  struct State;

  explicit JsonSchema(std::shared_ptr<const State> state);

  // Immutable after compile(), which is what makes concurrent validate() calls safe.
  std::shared_ptr<const State> state_;
};

}  // namespace billhook::catalog
