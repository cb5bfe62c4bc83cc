#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "store/sql/session.hpp"
#include "store/store.hpp"

// The shapes of statement that every table's reads and writes share, over any Session.
namespace billhook::store::sql {

// The conditions of a list query, joined by AND; each condition holds one bare `?`.
struct Filter {
  std::vector<std::string> conditions;
  Params params;
  template <class V>
  void add(std::string condition, const V& value) {
    conditions.push_back(std::move(condition));
    params.add(value);
  }
  // " WHERE a = ? AND b = ?", or "" without conditions.
  std::string where() const;
};

Filter document_filter(const DocumentFilter& f);

// Retention: an event `e` created before ?1 whose deliveries are all finished (succeeded or cancelled).
extern const char* const kPrunableEvent;
// The ids of up to ?2 such events, oldest first (WriteTx::prune's batch).
std::string prunable_events_query();

// The document of this kind and id, if there is one.
core::Result<std::optional<DocumentRecord>> find_document(Session& db, std::string_view kind, std::string_view id);
// Every document the filter matches, oldest first.
core::Result<std::vector<DocumentRecord>> find_documents(Session& db, const DocumentFilter& f);

// Every row of a statement, mapped.
template <class T, class FromRow>
core::Result<std::vector<T>> select_all(Session& db, const std::string& sql, const Params& params,
                                        std::string_view context, FromRow from_row) {
  std::vector<T> out;
  auto ran = db.run(sql, params, context, [&](const Row& row) { out.push_back(from_row(row)); });
  if (!ran) return std::move(ran).error();
  return out;
}

// The first row of a statement, if it returns one.
template <class T, class FromRow>
core::Result<std::optional<T>> select_one(Session& db, const std::string& sql, const Params& params,
                                          std::string_view context, FromRow from_row) {
  std::optional<T> out;
  auto ran = db.run(sql, params, context, [&](const Row& row) {
    if (!out) out = from_row(row);
  });
  if (!ran) return std::move(ran).error();
  return out;
}

// The statement texts of a table's rows: "INSERT INTO table (columns) VALUES (?1, …)" and "SELECT
// columns FROM table WHERE id = ?1". Their callers build each once (a function-local static): built
// for every row, they cost the store's writer more than some of its inserts' own b-tree work.
std::string insert_text(std::string_view table, std::string_view columns);
std::string select_by_id_text(std::string_view table, std::string_view columns);

// The row that `select_by_id` (select_by_id_text) finds with this id, if there is one.
template <class T, class FromRow>
core::Result<std::optional<T>> find_by_id(Session& db, const std::string& select_by_id, std::string_view id,
                                          std::string_view context, FromRow from_row) {
  return select_one<T>(db, select_by_id, Params{}.add(id), context, from_row);
}

// A cursor-paginated SELECT over `id` order, newest first. Asks for one row more than the limit
// to learn whether there is another page.
template <class T, class FromRow>
core::Result<Page<T>> select_page(Session& db, std::string_view columns, std::string_view table, Filter filter,
                                  const PageRequest& page, FromRow from_row) {
  bool backwards = false;
  if (!page.starting_after.empty()) {
    filter.add("id < ?", page.starting_after);
  } else if (!page.ending_before.empty()) {
    filter.add("id > ?", page.ending_before);
    backwards = true;
  }
  filter.params.add(int64_t{page.limit} + 1);
  const std::string sql = fmt::format("SELECT {} FROM {}{} ORDER BY id {} LIMIT ?", columns, table, filter.where(),
                                      backwards ? "ASC" : "DESC");
  auto rows = select_all<T>(db, sql, filter.params, fmt::format("listing {}", table), from_row);
  if (!rows) return std::move(rows).error();
  Page<T> out{std::move(*rows), false};
  if (out.items.size() > static_cast<size_t>(page.limit)) {
    out.items.pop_back();
    out.has_more = true;
  }
  if (backwards) std::reverse(out.items.begin(), out.items.end());
  return out;
}

// Runs a statement that returns nothing worth reading (Session::send: it may go with the next statement
// that is read).
core::Status execute(Session& db, const std::string& sql, const Params& params, std::string_view context);

// Runs an UPDATE or DELETE and turns "no row had that id" into not_found ("<what>_not_found").
core::Status execute_on_one(Session& db, const std::string& sql, const Params& params, std::string_view what,
                            std::string_view id);

}  // namespace billhook::store::sql
