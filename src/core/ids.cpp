#include "core/ids.hpp"
#include "core/text.hpp"

#include <array>

#include <fmt/format.h>

namespace billhook::core {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr size_t kUlidLength = 26;

__extension__ using Uint128 = unsigned __int128;

bool is_crockford(char c) { return kCrockford.find(c) != std::string_view::npos; }

// 128 bits: 48 time + 80 random, rendered as 26 base32 digits (the first carries 3 bits).
std::string encode_ulid(uint64_t ms, uint64_t high16, uint64_t low64) {
  // Assemble into two 64-bit halves: hi = ms(48) | high16(16), lo = low64.
  const Uint128 value = (static_cast<Uint128>((ms << 16) | (high16 & 0xFFFF)) << 64) | low64;
  std::string out(kUlidLength, '0');
  for (size_t i = 0; i < kUlidLength; ++i) {
    const unsigned shift = static_cast<unsigned>(5 * (kUlidLength - 1 - i));
    out[i] = kCrockford[static_cast<size_t>((value >> shift) & 0x1F)];
  }
  return out;
}

}  // namespace

std::string_view id_prefix(IdKind kind) {
  switch (kind) {
    case IdKind::event: return "evt";
    case IdKind::endpoint: return "ep";
    case IdKind::delivery: return "del";
    case IdKind::attempt: return "att";
    case IdKind::invoice: return "inv";
    case IdKind::customer: return "cus";
    case IdKind::payment_method: return "pm";
    case IdKind::payment: return "pay";
    case IdKind::refund: return "re";
    case IdKind::credit_note: return "cn";
    case IdKind::request: return "req";
    case IdKind::api_key: return "key";
    case IdKind::invoice_batch: return "ib";
    case IdKind::dispute: return "dp";
    case IdKind::balance_transaction: return "cbtxn";
    case IdKind::plan: return "plan";
    case IdKind::subscription: return "sub";
    case IdKind::pdf: return "pdf";
    case IdKind::hosted_link: return "hl";
    case IdKind::provider_sync: return "psync";
    case IdKind::billable_metric: return "bm";
    case IdKind::usage_event: return "uev";
    case IdKind::usage_event_error: return "uee";
    case IdKind::settlement_batch: return "po";
    case IdKind::payment_settlement: return "stl";
    case IdKind::basket: return "bsk";
    case IdKind::commission: return "com";
    case IdKind::commission_rule: return "cr";
    case IdKind::fee: return "fee";
    case IdKind::wallet: return "wal";
    case IdKind::wallet_transaction: return "wtx";
  }
  return "id";
}

bool is_valid_id(IdKind kind, std::string_view text) {
  const std::string_view prefix = id_prefix(kind);
  if (text.size() != prefix.size() + 1 + kUlidLength) return false;
  if (text.substr(0, prefix.size()) != prefix || text[prefix.size()] != '_') return false;
  const std::string_view body = text.substr(prefix.size() + 1);
  // The first digit holds only 3 bits (128 = 3 + 25*5).
  if (body[0] > '7') return false;
  for (char c : body)
    if (!is_crockford(c)) return false;
  return true;
}

Status check_id(IdKind kind, std::string_view text, std::string_view param) {
  if (is_valid_id(kind, text)) return {};
  return Error::invalid("invalid_id",
                        fmt::format("'{}' is not a valid id: expected '{}_' followed by 26 base32 characters",
                                    core::clip(text, 64), id_prefix(kind)),
                        std::string(param));
}

std::string derived_id(IdKind kind, uint64_t ms, uint64_t low64) {
  std::string out(id_prefix(kind));
  out.push_back('_');
  out.append(encode_ulid(ms & 0xFFFFFFFFFFFFull, 0, low64));
  return out;
}

std::string IdGenerator::next(IdKind kind) {
  const auto now_ms = static_cast<uint64_t>(to_unix_ms(clock_.now())) & 0xFFFFFFFFFFFFull;
  std::string ulid;
  {
    std::lock_guard lock(mutex_);
    if (now_ms > last_ms_) {
      last_ms_ = now_ms;
      std::array<std::byte, 10> bytes{};
      random_.fill(bytes);
      last_high_ = (static_cast<uint64_t>(bytes[0]) << 8) | static_cast<uint64_t>(bytes[1]);
      last_low_ = 0;
      for (size_t i = 2; i < bytes.size(); ++i) last_low_ = (last_low_ << 8) | static_cast<uint64_t>(bytes[i]);
      // Leave headroom so increments within this millisecond do not overflow the random part.
      last_high_ &= 0x7FFF;
    } else {
      // Same (or a clock that stepped back) millisecond: keep order by incrementing.
      if (++last_low_ == 0) ++last_high_;
    }
    ulid = encode_ulid(last_ms_, last_high_, last_low_);
  }
  std::string out;
  const std::string_view prefix = id_prefix(kind);
  out.reserve(prefix.size() + 1 + ulid.size());
  out.append(prefix).push_back('_');
  out.append(ulid);
  return out;
}

}  // namespace billhook::core
