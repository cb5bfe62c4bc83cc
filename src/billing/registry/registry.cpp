#include "billing/registry/registry.hpp"

#include <cassert>

namespace billhook::billing {

void DocumentRegistry::add(RegisteredKind kind) {
  assert(find(kind.kind) == nullptr && "a document kind is registered once");
  kinds_.push_back(std::move(kind));
}

void DocumentRegistry::provide(ServiceFactory factory) { factories_.push_back(std::move(factory)); }

DomainServices DocumentRegistry::make_services(const DomainDeps& deps) const {
  DomainServices services;
  for (const auto& factory : factories_) factory.make(deps, services);
  return services;
}

const RegisteredKind* DocumentRegistry::find(std::string_view kind) const {
  for (const auto& k : kinds_)
    if (k.kind == kind) return &k;
  return nullptr;
}

}  // namespace billhook::billing
