#pragma once

#include <map>
#include <optional>
#include <vector>

#include "store/postgres/pg_connection.hpp"
#include "store/sql/session.hpp"

namespace billhook::store::postgres {

// A PostgreSQL connection as the shared SQL core sees it: ?1 placeholders become $1, a bare ? the
// next number, and text lists are bound as text[].
//
// Pipelined (the writer's session), statements nobody reads (send) are held, and go with the next
// statement that is read, or with flush(), in one round trip (Connection::pipeline). The server runs
// them in order; once one fails it skips the rest, and what the caller is told is that first
// failure, whichever statement it was. So that a failure lands on the job that made it, the writer
// flushes what a job holds when the job ends, or when a run of jobs that may run again ends (a failure
// then makes each of them run again alone: PostgresStore::commit_batch). The writer's own commands
// between jobs (RELEASE SAVEPOINT, SAVEPOINT) are held too (hold_command); one that fails is not a
// job's failure but the batch's: fatal().
class PgSession final : public sql::Session {
 public:
  explicit PgSession(Connection& db, bool pipelined = false) : db_(db), pipelined_(pipelined) {}
  const sql::Dialect& dialect() const override;
  core::Result<int64_t> run(const std::string& sql, const sql::Params& params, std::string_view context,
                            const std::function<void(const sql::Row&)>& each) override;
  core::Status send(const std::string& sql, const sql::Params& params, std::string_view context) override;
  // Held and answered true while expectations are held (hold_expectations), read otherwise.
  core::Result<bool> run_expecting(const std::string& sql, const sql::Params& params, std::string_view context,
                                   int64_t expected) override;
  // Whether run_expecting holds its statement (pipelined sessions only): on for a run of jobs that may
  // run again, whose failure makes each of them run again alone, where it is off.
  void hold_expectations(bool on) { hold_expectations_ = on && pipelined_; }

  // Holds a command without parameters of the writer's own (pipelined sessions only).
  void hold_command(std::string sql, std::string_view context);
  // Whether statements sent by a job (not the writer's commands) are held.
  bool holds_job_statements() const;
  // Drops the held statements of a job that failed (the writer rolls it back): its commands stay.
  void drop_job_statements();
  // Sends what is held, in one round trip: the first failure, if any.
  core::Status flush();
  // Runs `sql` once for each of `params`, after what is held, all in one round trip, and calls
  // `each(i, row)` for each row the i-th run answers: the first failure, if any.
  core::Status run_each(const std::string& sql, const std::vector<sql::Params>& params, std::string_view context,
                        const std::function<void(size_t, const sql::Row&)>& each);
  // The first failure of one of the writer's commands: the transaction cannot go on.
  const core::Status& fatal() const { return fatal_; }

 private:
  struct Held {
    Statement statement;
    bool command = false;
    std::optional<int64_t> expected_changes;  // run_expecting's: a failure if it changes another number of rows
  };
  // The statement to send for SQL in SQLite's spelling, and whether it is prepared.
  static Statement statement(const std::string& sql, const sql::Params& params, std::string_view context);
  // Runs `statement` (with what is held, if anything is) and calls `each` per row.
  core::Result<int64_t> run_statement(const Statement& statement, const std::function<void(const sql::Row&)>& each);
  // Runs what is held and then `then`, in one pipeline, and empties the hold. Answers the first
  // failure among the held statements (fatal() too if a command's); `then_results` gets the results
  // of `then`, in order (skipped if a held one failed).
  core::Status run_held(std::vector<Statement> then, std::vector<core::Result<Rows>>* then_results);

  Connection& db_;
  const bool pipelined_;
  bool hold_expectations_ = false;
  std::vector<Held> held_;
  core::Status fatal_;
};

// The statement with SQLite's placeholders (?1, ?) in PostgreSQL's ($1). Only for statements with
// no question mark inside a literal or an identifier, as all of ours.
std::string numbered_placeholders(std::string_view sql);

}  // namespace billhook::store::postgres
