#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace billhook::api {

// Path parameters by name, e.g. {"id": "ep_…"} for "/v1/endpoints/{id}".
using PathParams = std::unordered_map<std::string, std::string>;

// Matches method + path against patterns with `{name}` segments. Knows which methods a path
// has, so a wrong method is a 405 with an Allow header rather than a 404.
template <class Handler>
class Router {
 public:
  // `decode` turns a raw path segment into a parameter value (percent-decoding); a segment
  // it cannot decode does not match.
  explicit Router(std::function<std::optional<std::string>(std::string_view)> decode =
                      [](std::string_view s) { return std::optional<std::string>(s); })
      : decode_(std::move(decode)) {}

  void add(std::string method, std::string pattern, Handler handler) {
    routes_.push_back({std::move(method), split(pattern), std::move(pattern), std::move(handler)});
  }

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method
    PathParams params;
    std::vector<std::string> allowed;  // methods the path does have, when `handler` is null
    size_t index = 0;                  // the route's place in list(), when `handler` is set (its metrics)
  };

  Match match(std::string_view method, std::string_view path) const {
    Match out;
    const auto segments = split(path);
    for (size_t i = 0; i < routes_.size(); ++i) {
      const auto& route = routes_[i];
      PathParams params;
      if (!matches(route.segments, segments, params)) continue;
      if (route.method == method) {
        out.handler = &route.handler;
        out.params = std::move(params);
        out.index = i;
        return out;
      }
      out.allowed.push_back(route.method);
    }
    return out;
  }

  // (method, pattern) of every route, in the order added: the OpenAPI test walks these.
  std::vector<std::pair<std::string, std::string>> list() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& r : routes_) out.emplace_back(r.method, r.pattern);
    return out;
  }

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    std::string pattern;
    Handler handler;
  };

  static std::vector<std::string> split(std::string_view path) {
    std::vector<std::string> out;
    size_t start = 0;
    while (start < path.size()) {
      if (path[start] == '/') {
        ++start;
        continue;
      }
      const size_t end = path.find('/', start);
      out.emplace_back(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    return out;
  }

  bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& segments,
               PathParams& params) const {
    if (pattern.size() != segments.size()) return false;
    for (size_t i = 0; i < pattern.size(); ++i) {
      const auto& p = pattern[i];
      if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
        auto value = decode_(segments[i]);
        if (!value) return false;
        params.emplace(p.substr(1, p.size() - 2), std::move(*value));
      } else if (p != segments[i]) {
        return false;
      }
    }
    return true;
  }

  std::function<std::optional<std::string>(std::string_view)> decode_;
  std::vector<Route> routes_;
};

}  // namespace billhook::api
