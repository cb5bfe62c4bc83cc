#include "support/prometheus_text.hpp"

#include <cctype>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace billhook::testing {
namespace {

bool is_name_char(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  if (types.count(name)) return name;
  for (std::string_view suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.ends_with(suffix)) {
      const std::string base = name.substr(0, name.size() - suffix.size());
      const auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return {};
}

}  // namespace

PrometheusScrape parse_prometheus_text(std::string_view text) {
  PrometheusScrape out;
  size_t start = 0;
  int line_no = 0;
  while (start < text.size()) {
    const size_t end = text.find('\n', start);
    if (end == std::string_view::npos) throw std::runtime_error("prometheus: the text does not end with a newline");
    const std::string line(text.substr(start, end - start));
    start = end + 1;
    ++line_no;
    const auto fail = [&](const std::string& why) {
      throw std::runtime_error("prometheus line " + std::to_string(line_no) + " (" + line + "): " + why);
    };
    if (line.empty()) continue;
    if (line.starts_with("# TYPE ")) {
      const std::string rest = line.substr(7);
      const size_t space = rest.find(' ');
      if (space == std::string::npos) fail("TYPE without a type");
      const std::string name = rest.substr(0, space), type = rest.substr(space + 1);
      if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" && type != "untyped")
        fail("unknown type");
      if (!out.types.emplace(name, type).second) fail("a second TYPE for the family");
      continue;
    }
    if (line.starts_with("#")) continue;  // HELP and comments
    size_t i = 0;
    while (i < line.size() && is_name_char(line[i], i == 0)) ++i;
    if (i == 0) fail("no metric name");
    const std::string name = line.substr(0, i);
    if (family_of(name, out.types).empty()) fail("a sample before its family's TYPE");
    std::vector<std::pair<std::string, std::string>> labels;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const size_t name_start = i;
        while (i < line.size() && is_name_char(line[i], i == name_start)) ++i;
        if (i == name_start || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') fail("a malformed label");
        std::string label = line.substr(name_start, i - name_start), value;
        i += 2;
        for (;; ++i) {
          if (i >= line.size()) fail("an unterminated label value");
          if (line[i] == '"') break;
          if (line[i] == '\\') {
            if (++i >= line.size()) fail("a dangling escape");
            if (line[i] == 'n') value += '\n';
            else if (line[i] == '\\' || line[i] == '"') value += line[i];
            else fail("an unknown escape");
          } else {
            value += line[i];
          }
        }
        ++i;  // the closing quote
        labels.emplace_back(std::move(label), std::move(value));
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) fail("unclosed labels");
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') fail("no space before the value");
    const std::string value_text = line.substr(i + 1);
    double value = 0;
    if (value_text == "+Inf") value = std::numeric_limits<double>::infinity();
    else if (value_text == "-Inf") value = -std::numeric_limits<double>::infinity();
    else if (value_text == "NaN") value = std::numeric_limits<double>::quiet_NaN();
    else {
      char* parsed_end = nullptr;
      value = std::strtod(value_text.c_str(), &parsed_end);
      if (value_text.empty() || *parsed_end != '\0') fail("a value that is not a number");
    }
    std::map<std::string, std::string> sorted(labels.begin(), labels.end());
    if (sorted.size() != labels.size()) fail("a label given twice");
    std::string key = name;
    if (!sorted.empty()) {
      key += '{';
      bool first = true;
      for (const auto& [k, v] : sorted) {
        key += (first ? "" : ",") + k + "=\"" + v + "\"";
        first = false;
      }
      key += '}';
    }
    if (!out.samples.emplace(key, value).second) fail("a sample given twice");
  }
  return out;
}

}  // namespace billhook::testing
