#pragma once

#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace billhook::core::metrics {

// A count that only goes up. Relaxed: a scrape needs no ordering with anything else.
class Counter {
 public:
  void add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// Observations counted into fixed buckets (upper bounds, ascending), with their sum. Observing is a
// search over a dozen bounds and two relaxed atomic adds: no lock, no allocation.
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  void observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (the count)
    double sum = 0;
  };
  // Read bucket by bucket while others observe: the counts may be a few observations apart, which a
  // scrape tolerates; cumulative counts never decrease.
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<uint64_t>> counts_;  // per bound, then the overflow
  std::atomic<double> sum_{0};
};

// Latencies, in seconds: from a millisecond (an in-memory answer) to half a minute (a slow receiver).
inline constexpr double kLatencyBounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                            0.25,  0.5,    1,     2.5,  5,     10,   30};

using Labels = std::vector<std::pair<std::string_view, std::string_view>>;

// A label value as the text format writes it between quotes: backslash, double quote and newline escaped.
std::string escape_label_value(std::string_view value);

// Writes the Prometheus text exposition format (version 0.0.4): each family's HELP and TYPE once,
// then its samples. Families must be written whole, one after another.
class TextWriter {
 public:
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

  // type: "counter", "gauge" or "histogram".
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, const Labels& labels, double value);
  void sample(std::string_view name, const Labels& labels, uint64_t value);
  // The _bucket (with `le`), _sum and _count samples of a histogram family named `name`.
  void histogram(std::string_view name, const Labels& labels, const Histogram::Snapshot& snapshot);

  const std::string& text() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void name_and_labels(std::string_view name, const Labels& labels, std::string_view le = {});
  std::string out_;
};

// A double as the text format spells it: shortest round-trip form, +Inf/-Inf/NaN.
std::string format_value(double value);

}  // namespace billhook::core::metrics
