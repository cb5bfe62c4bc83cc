#pragma once

// Reading registered documents as the API shows them: what the generic GET routes call, so that no
// route reads the store or decodes a stored body itself.

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include "billing/registry/registry.hpp"
#include "store/store.hpp"

namespace billhook::billing {

class DocumentReads {
 public:
  DocumentReads(store::Store& store, const DocumentRegistry& registry) : store_(store), registry_(registry) {}

  const DocumentRegistry& registry() const { return registry_; }

  // One document's API JSON, with its children if the kind has them; nullopt if there is none.
  core::Result<std::optional<boost::json::object>> get(const RegisteredKind& kind, std::string_view id);
  // A page of a kind's documents, newest first; `filter.kind` is set from `kind`.
  core::Result<store::Page<boost::json::object>> list(const RegisteredKind& kind, const store::PageRequest& page,
                                                      store::DocumentFilter filter = {});

 private:
  store::Store& store_;
  const DocumentRegistry& registry_;
};

}  // namespace billhook::billing
