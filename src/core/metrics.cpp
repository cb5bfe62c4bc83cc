#include "core/metrics.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace billhook::core::metrics {

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()), counts_(bounds.size() + 1) {}

void Histogram::observe(double value) {
  const auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[static_cast<size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot out;
  out.bounds = bounds_;
  out.cumulative.reserve(counts_.size());
  uint64_t running = 0;
  for (const auto& c : counts_) {
    running += c.load(std::memory_order_relaxed);
    out.cumulative.push_back(running);
  }
  out.sum = sum_.load(std::memory_order_relaxed);
  return out;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

void TextWriter::family(std::string_view name, std::string_view type, std::string_view help) {
  // HELP text escapes backslash and newline only.
  std::string escaped;
  for (char c : help) {
    if (c == '\\') escaped += "\\\\";
    else if (c == '\n') escaped += "\\n";
    else escaped += c;
  }
  fmt::format_to(std::back_inserter(out_), "# HELP {} {}\n# TYPE {} {}\n", name, escaped, name, type);
}

void TextWriter::name_and_labels(std::string_view name, const Labels& labels, std::string_view le) {
  out_ += name;
  if (labels.empty() && le.empty()) return;
  out_ += '{';
  bool first = true;
  for (const auto& [key, value] : labels) {
    if (!first) out_ += ',';
    first = false;
    fmt::format_to(std::back_inserter(out_), "{}=\"{}\"", key, escape_label_value(value));
  }
  if (!le.empty()) fmt::format_to(std::back_inserter(out_), "{}le=\"{}\"", first ? "" : ",", le);
  out_ += '}';
}

void TextWriter::sample(std::string_view name, const Labels& labels, double value) {
  name_and_labels(name, labels);
  fmt::format_to(std::back_inserter(out_), " {}\n", format_value(value));
}

void TextWriter::sample(std::string_view name, const Labels& labels, uint64_t value) {
  name_and_labels(name, labels);
  fmt::format_to(std::back_inserter(out_), " {}\n", value);
}

void TextWriter::histogram(std::string_view name, const Labels& labels, const Histogram::Snapshot& snapshot) {
  const std::string bucket = fmt::format("{}_bucket", name);
  for (size_t i = 0; i < snapshot.cumulative.size(); ++i) {
    const std::string le = i < snapshot.bounds.size() ? format_value(snapshot.bounds[i]) : "+Inf";
    name_and_labels(bucket, labels, le);
    fmt::format_to(std::back_inserter(out_), " {}\n", snapshot.cumulative[i]);
  }
  sample(fmt::format("{}_sum", name), labels, snapshot.sum);
  sample(fmt::format("{}_count", name), labels, snapshot.cumulative.empty() ? uint64_t{0} : snapshot.cumulative.back());
}

}  // namespace billhook::core::metrics
