#include "render/page_size.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace billhook::render {
namespace {

// CLDR supplementalData.xml, <paperSize type="US-Letter" territories="…">.
constexpr std::array<std::string_view, 14> kLetterRegions = {"BZ", "CA", "CL", "CO", "CR", "GT", "MX",
                                                             "NI", "PA", "PH", "PR", "SV", "US", "VE"};

bool is_alpha(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isalpha(c) != 0; });
}

// The alphabetic region subtag of a BCP 47 tag, upper case, or "" when it has none. The region is the
// first two-letter subtag after the language: the script subtag has four letters and variants five or
// more, so a two-letter subtag in second or third place can only be a region.
std::string region_of(std::string_view locale) {
  size_t position = 0;
  for (int index = 0; position <= locale.size() && index < 3; ++index) {
    const size_t end = std::min(locale.find_first_of("-_", position), locale.size());
    const std::string_view subtag = locale.substr(position, end - position);
    if (index > 0 && subtag.size() == 2 && is_alpha(subtag)) {
      std::string region(subtag);
      std::transform(region.begin(), region.end(), region.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      return region;
    }
    position = end + 1;
  }
  return {};
}

}  // namespace

PageSize page_size_for_locale(std::string_view locale) {
  const std::string region = region_of(locale);
  const bool letter = std::find(kLetterRegions.begin(), kLetterRegions.end(), region) != kLetterRegions.end();
  return letter ? PageSize::letter : PageSize::a4;
}

PagePoints page_points(PageSize size) {
  switch (size) {
    case PageSize::letter:
      return {612, 792};
    case PageSize::a4:
      break;
  }
  return {595, 842};
}

}  // namespace billhook::render
