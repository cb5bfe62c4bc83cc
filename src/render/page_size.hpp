#pragma once

// Which paper an invoice is printed on, from the customer's locale.

#include <string_view>

#include "render/invoice_view.hpp"

namespace billhook::render {

// The rule: a BCP 47 tag's region subtag decides ("en-US", "es_MX", "zh-Hant-TW"; case and `_` or `-`
// do not matter). US Letter for the regions that CLDR's supplemental paperSize data lists as using it —
// BZ CA CL CO CR GT MX NI PA PH PR SV US VE —, A4 everywhere else. A tag without a region ("en", "fr"),
// with a numeric one ("es-419"), or empty is A4, the CLDR default for the world (001): a language
// alone does not say where the paper is bought.
PageSize page_size_for_locale(std::string_view locale);

// A page's size in PDF points (1/72 inch): A4 is 595 × 842 (210 × 297 mm, rounded to whole points as
// PDF tools report it), Letter 612 × 792 (8.5 × 11 in).
struct PagePoints {
  double width;
  double height;
};
PagePoints page_points(PageSize size);

}  // namespace billhook::render
