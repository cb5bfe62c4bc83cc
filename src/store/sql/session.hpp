#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace billhook::store::sql {

// One parameter of a statement: NULL, text, an integer, or a list of texts (matched with
// Dialect::in_text_list: a JSON array in SQLite, a text[] in PostgreSQL).
using TextList = std::vector<std::string>;
using Value = std::variant<std::monostate, std::string, int64_t, TextList>;

// The parameters of one statement, in ?1, ?2, … order.
class Params {
 public:
  Params& add(std::string_view text) {
    values_.emplace_back(std::in_place_type<std::string>, text);
    return *this;
  }
  Params& add(const char* text) { return add(std::string_view(text)); }
  Params& add(int64_t value) {
    values_.emplace_back(std::in_place_type<int64_t>, value);
    return *this;
  }
  Params& add(int value) { return add(int64_t{value}); }
  Params& add_null() {
    values_.emplace_back(std::in_place_type<std::monostate>);
    return *this;
  }
  Params& add_optional(const std::optional<int64_t>& value) { return value ? add(*value) : add_null(); }
  Params& add_optional(const std::optional<std::string>& value) { return value ? add(*value) : add_null(); }
  // NULL for an empty string.
  Params& add_text_or_null(std::string_view text) { return text.empty() ? add_null() : add(text); }
  Params& add_list(const TextList& items) {
    values_.emplace_back(std::in_place_type<TextList>, items);
    return *this;
  }

  const std::vector<Value>& values() const { return values_; }
  size_t size() const { return values_.size(); }

 private:
  std::vector<Value> values_;
};

// The current row of a result, by 0-based column.
class Row {
 public:
  virtual ~Row() = default;
  virtual bool is_null(int column) const = 0;
  virtual std::string text(int column) const = 0;  // "" for NULL
  virtual int64_t integer(int column) const = 0;   // 0 for NULL
  std::optional<int64_t> optional_integer(int column) const {
    return is_null(column) ? std::nullopt : std::optional<int64_t>(integer(column));
  }
};

// What the two SQL dialects spell differently. Statements are written in SQLite's spelling with
// numbered placeholders (?1, ?2, …; a bare ? takes the next number); PostgreSQL's session turns
// them into $1, $2, ….
struct Dialect {
  // "column matches one of the texts in parameter n" (n bound with Params::add_list).
  std::string (*in_text_list)(std::string_view column, int n);
  // Appended to a SELECT whose rows the transaction will rewrite from what it read (a running
  // aggregate): PostgreSQL locks them against another node's transaction; SQLite has one writer.
  std::string_view lock_for_update = "";
};

// One connection, used by one thread at a time. Errors are mapped to kinds by the backend: a lost
// database or a full disk is `unavailable`, a constraint `conflict`, the rest `internal`.
class Session {
 public:
  virtual ~Session() = default;
  virtual const Dialect& dialect() const = 0;
  // Runs one statement (prepared once per connection, cached by its text), calling `each` per row
  // it returns. Answers how many rows it changed (INSERT, UPDATE, DELETE).
  virtual core::Result<int64_t> run(const std::string& sql, const Params& params, std::string_view context,
                                    const std::function<void(const Row&)>& each = {}) = 0;
  // Runs a statement whose result nobody reads (an INSERT, an UPDATE whose count does not matter). A
  // backend may hold it and send it with the next statement that is read (PostgreSQL's writer does:
  // one round trip for both): its error then comes back from that statement, or from the writer's
  // check at the end of the job, and is the job's error all the same.
  virtual core::Status send(const std::string& sql, const Params& params, std::string_view context) {
    auto ran = run(sql, params, context);
    if (!ran) return std::move(ran).error();
    return {};
  }
  // Runs a statement expected to change `expected` rows (an UPDATE guarded by what the row should
  // still hold) and answers whether it did. A backend may instead hold it and answer true (PostgreSQL's
  // writer, in a run of jobs that may run again): if it did not, the run fails when its statements are
  // sent, and its jobs run again one by one, where the answer is read.
  virtual core::Result<bool> run_expecting(const std::string& sql, const Params& params, std::string_view context,
                                           int64_t expected) {
    auto ran = run(sql, params, context);
    if (!ran) return std::move(ran).error();
    return *ran == expected;
  }
};

}  // namespace billhook::store::sql
