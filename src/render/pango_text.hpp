#pragma once

// Text set with pango on a cairo context: a measured layout that is drawn where the page wants it.
// The one place that talks to pango.

#include <memory>
#include <string>
#include <string_view>

#include <pango/pangocairo.h>

namespace billhook::render {

// `text` with NULs as spaces and bytes that are not UTF-8 as U+FFFD: what pango and cairo accept.
std::string printable_utf8(std::string_view text);

struct Color {
  double red;
  double green;
  double blue;
};

struct Font {
  double size;  // in points (PDF user units)
  bool bold = false;
};

enum class Align { left, right };

struct GObjectUnref {
  void operator()(void* object) const { g_object_unref(object); }
};
using LayoutPtr = std::unique_ptr<PangoLayout, GObjectUnref>;

class TextSetter {
 public:
  // Sets text for `cr`, which must outlive the setter.
  explicit TextSetter(cairo_t* cr);

  // `text` wrapped at `width` points (at word boundaries, inside a word when one is wider; not wrapped
  // when `width` is 0), aligned; with `max_lines` > 0, cut after that many lines with an ellipsis. Only
  // the first 4 KiB of `text` are set, through printable_utf8.
  LayoutPtr layout(std::string_view text, Font font, double width, Align align = Align::left,
                   int max_lines = 0) const;

  // Draws `layout` with its top left corner at (x, y).
  void draw(PangoLayout* layout, double x, double y, Color color) const;

  static double height(PangoLayout* layout);
  static double width(PangoLayout* layout);  // of the text itself, not of the wrap width

 private:
  cairo_t* cr_;
  std::unique_ptr<PangoContext, GObjectUnref> context_;
};

}  // namespace billhook::render
