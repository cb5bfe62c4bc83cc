#pragma once

// A strict reader of the Prometheus text format (0.0.4) for tests: every sample must belong to a family
// whose `# TYPE` came before it (a histogram's _bucket, _sum and _count to the histogram), a family's TYPE
// comes once, label values are quoted with \\, \" and \n escapes, and values are numbers. Samples are
// keyed as `name{k="v",…}` with the labels sorted by name and unescaped.

#include <map>
#include <string>
#include <string_view>

namespace billhook::testing {

struct PrometheusScrape {
  std::map<std::string, std::string> types;  // family name -> counter, gauge, histogram…
  std::map<std::string, double> samples;

  // The sample's value, or 0 when absent (a counter that has not counted yet is absent for some families).
  double value(const std::string& key) const {
    const auto it = samples.find(key);
    return it == samples.end() ? 0 : it->second;
  }
  bool has(const std::string& key) const { return samples.count(key) != 0; }
};

// Throws std::runtime_error naming the line that breaks the format.
PrometheusScrape parse_prometheus_text(std::string_view text);

}  // namespace billhook::testing
