#include "api/dashboard/sessions.hpp"

#include <span>

#include "core/crypto.hpp"

namespace billhook::api::dashboard {
namespace {
constexpr size_t kTokenBytes = 32;
}  // namespace

Sessions::Sessions(store::Store& store, const core::Clock& clock, core::Random& random, std::chrono::seconds lifetime,
                   size_t max_sessions)
    : store_(store), clock_(clock), random_(random), lifetime_(lifetime), max_sessions_(max_sessions) {}

std::string Sessions::random_token() {
  std::string bytes(kTokenBytes, '\0');
  random_.fill(std::as_writable_bytes(std::span(bytes)));
  return core::to_hex(bytes);
}

core::Result<OpenedSession> Sessions::open(std::string_view api_key_id) {
  OpenedSession opened{random_token(), random_token()};
  const int64_t now_ms = core::to_unix_ms(clock_.now());
  const store::DashboardSessionRecord record{core::sha256_hex(opened.token), std::string(api_key_id),
                                             opened.csrf_token, now_ms,
                                             now_ms + std::chrono::milliseconds(lifetime_).count()};
  auto written = write([&](store::DashboardSessionWrites& sessions) {
    return sessions.insert_dashboard_session(record, max_sessions_);
  });
  if (!written) return std::move(written).error();
  return opened;
}

core::Result<std::optional<Session>> Sessions::find(std::string_view token) {
  if (token.empty()) return std::optional<Session>();
  auto* reads = store::dashboard_session_reads(store_);
  if (!reads) return store::no_dashboard_sessions();
  auto found = reads->find_dashboard_session(core::sha256_hex(token));
  if (!found) return std::move(found).error();
  if (!*found) return std::optional<Session>();
  auto& record = **found;
  const auto expires = core::from_unix_ms(record.expires_ms);
  if (expires <= clock_.now()) return std::optional<Session>();
  return std::optional<Session>(Session{std::move(record.api_key_id), std::move(record.csrf_token), expires});
}

core::Status Sessions::revoke(std::string_view token) {
  if (token.empty()) return {};
  const std::string hash = core::sha256_hex(token);
  return write([&](store::DashboardSessionWrites& sessions) { return sessions.delete_dashboard_session(hash); });
}

core::Status Sessions::write(const std::function<core::Status(store::DashboardSessionWrites&)>& change) {
  return store_.write_and_wait([&](store::WriteTx& tx) -> core::Status {
    auto* writes = store::dashboard_session_writes(tx);
    if (!writes) return store::no_dashboard_sessions();
    return change(*writes);
  });
}

}  // namespace billhook::api::dashboard
