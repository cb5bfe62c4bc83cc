#include "render/pango_text.hpp"

#include <algorithm>
#include <string>

#include "core/text.hpp"

namespace billhook::render {
namespace {

// The sans family every billhook machine has (fonts-dejavu-core: Latin, Greek, Cyrillic, Arabic);
// fontconfig falls back per character for the rest (fonts-wqy-microhei: CJK).
constexpr const char* kFamily = "DejaVu Sans,sans-serif";

// More than a page of text is never shown (layouts are capped in lines): shaping it would only cost time.
constexpr size_t kMaxBytes = 4096;

struct FontDeleter {
  void operator()(PangoFontDescription* font) const { pango_font_description_free(font); }
};

}  // namespace

std::string printable_utf8(std::string_view text) {
  std::string clean(text);
  std::replace(clean.begin(), clean.end(), '\0', ' ');
  if (g_utf8_validate(clean.data(), static_cast<gssize>(clean.size()), nullptr)) return clean;
  gchar* made = g_utf8_make_valid(clean.data(), static_cast<gssize>(clean.size()));
  std::string valid(made);
  g_free(made);
  return valid;
}

TextSetter::TextSetter(cairo_t* cr) : cr_(cr), context_(pango_cairo_create_context(cr)) {
  // The document reads left to right: text in Arabic or Hebrew is a right-to-left run inside a
  // left-to-right paragraph (pango's bidi orders its letters), so columns keep their alignment and a
  // mixed line keeps its parts in order. (The default, weak LTR, lets the first letter decide.)
  pango_context_set_base_dir(context_.get(), PANGO_DIRECTION_LTR);
}

LayoutPtr TextSetter::layout(std::string_view text, Font font, double width, Align align, int max_lines) const {
  LayoutPtr layout(pango_layout_new(context_.get()));
  std::unique_ptr<PangoFontDescription, FontDeleter> description(pango_font_description_new());
  pango_font_description_set_family(description.get(), kFamily);
  pango_font_description_set_weight(description.get(), font.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  // Absolute: in user units (points on a PDF surface), whatever resolution the context assumes.
  pango_font_description_set_absolute_size(description.get(), font.size * PANGO_SCALE);
  pango_layout_set_font_description(layout.get(), description.get());

  pango_layout_set_auto_dir(layout.get(), FALSE);  // the context's direction, as above
  pango_layout_set_width(layout.get(), width > 0 ? static_cast<int>(width * PANGO_SCALE) : -1);
  pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment(layout.get(), align == Align::right ? PANGO_ALIGN_RIGHT : PANGO_ALIGN_LEFT);
  if (max_lines > 0) {
    pango_layout_set_height(layout.get(), -max_lines);  // negative: a number of lines
    pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);
  }
  const std::string clean = printable_utf8(core::clip(text, kMaxBytes));
  pango_layout_set_text(layout.get(), clean.data(), static_cast<int>(clean.size()));
  return layout;
}

void TextSetter::draw(PangoLayout* layout, double x, double y, Color color) const {
  cairo_set_source_rgb(cr_, color.red, color.green, color.blue);
  cairo_move_to(cr_, x, y);
  pango_cairo_show_layout(cr_, layout);
}

double TextSetter::height(PangoLayout* layout) {
  int width = 0;
  int height = 0;
  pango_layout_get_size(layout, &width, &height);
  return static_cast<double>(height) / PANGO_SCALE;
}

double TextSetter::width(PangoLayout* layout) {
  PangoRectangle logical{};
  pango_layout_get_extents(layout, nullptr, &logical);
  return static_cast<double>(logical.width) / PANGO_SCALE;
}

}  // namespace billhook::render
