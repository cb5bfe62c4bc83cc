#include "store/sql/query.hpp"

#include "store/sql/records.hpp"

namespace billhook::store::sql {

std::string Filter::where() const {
  std::string sql;
  for (size_t i = 0; i < conditions.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + conditions[i];
  return sql;
}

const char* const kPrunableEvent =
    "e.created_ms < ?1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id "
    "AND d.status NOT IN ('succeeded', 'cancelled'))";

std::string prunable_events_query() {
  return fmt::format("SELECT e.id FROM events e WHERE {} ORDER BY e.created_ms LIMIT ?2", kPrunableEvent);
}

Filter document_filter(const DocumentFilter& f) {
  Filter filter;
  filter.add("kind = ?", f.kind);
  if (!f.customer_id.empty()) filter.add("customer_id = ?", f.customer_id);
  if (!f.parent_id.empty()) filter.add("parent_id = ?", f.parent_id);
  if (!f.status.empty()) filter.add("status = ?", f.status);
  if (!f.any_status.empty()) {
    std::string any;
    for (const auto& status : f.any_status) {
      any += any.empty() ? "(status = ?" : " OR status = ?";
      filter.params.add(status);
    }
    filter.conditions.push_back(any + ")");
  }
  return filter;
}

core::Result<std::vector<DocumentRecord>> find_documents(Session& db, const DocumentFilter& f) {
  const Filter filter = document_filter(f);
  return select_all<DocumentRecord>(db, fmt::format("SELECT {} FROM documents{} ORDER BY id", kDocumentColumns, filter.where()),
                                    filter.params, fmt::format("reading {} documents", f.kind), document_from_row);
}

core::Result<std::optional<DocumentRecord>> find_document(Session& db, std::string_view kind, std::string_view id) {
  return select_one<DocumentRecord>(db,
                                    fmt::format("SELECT {} FROM documents WHERE kind = ?1 AND id = ?2", kDocumentColumns),
                                    Params{}.add(kind).add(id), fmt::format("reading a {}", kind), document_from_row);
}

std::string insert_text(std::string_view table, std::string_view columns) {
  return fmt::format("INSERT INTO {} ({}) VALUES ({})", table, columns, placeholders(columns));
}

std::string select_by_id_text(std::string_view table, std::string_view columns) {
  return fmt::format("SELECT {} FROM {} WHERE id = ?1", columns, table);
}

core::Status execute(Session& db, const std::string& sql, const Params& params, std::string_view context) {
  return db.send(sql, params, context);
}

core::Status execute_on_one(Session& db, const std::string& sql, const Params& params, std::string_view what,
                            std::string_view id) {
  auto changed = db.run(sql, params, fmt::format("updating a {}", what));
  if (!changed) return std::move(changed).error();
  if (*changed == 0)
    return core::Error::not_found(fmt::format("{}_not_found", what), fmt::format("no {} has id {}", what, id));
  return {};
}

}  // namespace billhook::store::sql
