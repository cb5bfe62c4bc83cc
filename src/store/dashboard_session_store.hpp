#pragma once

// Where the dashboard's sign-ins are kept (api/dashboard/sessions.hpp): in the store, so that every node on
// one database knows a session opened on any of them, and a sign-out on one ends it on all. A session is
// found by the SHA-256 of its token; the token itself is stored nowhere. Kept apart from store.hpp's
// interfaces, as the API keys' management is (store/api_key_store.hpp): both SQL backends implement these,
// and dashboard_session_reads()/dashboard_session_writes() find them.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "store/store.hpp"

namespace billhook::store {

struct DashboardSessionRecord {
  std::string token_hash;  // SHA-256 of the session's token, hex
  std::string api_key_id;  // the key that opened it
  std::string csrf_token;  // what its state-changing requests must carry
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
};

class DashboardSessionReads {
 public:
  virtual ~DashboardSessionReads() = default;
  // The session with this token hash, expired or not (the caller compares expires_ms with its clock).
  virtual core::Result<std::optional<DashboardSessionRecord>> find_dashboard_session(std::string_view token_hash) = 0;
};

class DashboardSessionWrites {
 public:
  virtual ~DashboardSessionWrites() = default;
  // Stores a new session. Sessions expired by its created_ms are deleted first; if `max_live` or more are
  // still left, those closest to expiring make room, so sign-ins can never be locked out.
  virtual core::Status insert_dashboard_session(const DashboardSessionRecord& record, size_t max_live) = 0;
  // Ends the session with this token hash (a sign-out); an unknown one is no error.
  virtual core::Status delete_dashboard_session(std::string_view token_hash) = 0;
};

// The dashboard sessions of a store or of one of its transactions; null for a backend without them.
inline DashboardSessionReads* dashboard_session_reads(Store& store) {
  return dynamic_cast<DashboardSessionReads*>(&store);
}
inline DashboardSessionWrites* dashboard_session_writes(WriteTx& tx) {
  return dynamic_cast<DashboardSessionWrites*>(&tx);
}

// The error for a backend without them.
inline core::Error no_dashboard_sessions() {
  return core::Error::internal("this store does not keep dashboard sessions");
}

}  // namespace billhook::store
