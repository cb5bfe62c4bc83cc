#pragma once

// A cairo PDF surface that streams into a PdfSink, and cairo's status as a core::Error. The one place
// that creates and finishes cairo surfaces.

#include <memory>
#include <string>

#include <cairo.h>

#include "core/result.hpp"
#include "render/page_size.hpp"
#include "render/pdf.hpp"

namespace billhook::render {

class PdfSurface {
 public:
  // A surface of pages of `size` writing into `sink`, which must outlive it; `title` goes into the
  // PDF's metadata. Errors as `finish`.
  static core::Result<PdfSurface> open(PagePoints size, const PdfSink& sink, const std::string& title);

  cairo_t* cr() const { return cr_.get(); }

  // Ends the current page and starts the next.
  void show_page() { cairo_show_page(cr_.get()); }

  // Writes what is left and reports the first failure of the drawing or of the sink: unavailable
  // "pdf_write_failed" when the sink refused bytes, internal "pdf_render_failed" otherwise.
  core::Status finish();

 private:
  struct SurfaceDeleter {
    void operator()(cairo_surface_t* surface) const { cairo_surface_destroy(surface); }
  };
  struct ContextDeleter {
    void operator()(cairo_t* cr) const { cairo_destroy(cr); }
  };
  // Destroyed in reverse: the context before its surface.
  std::unique_ptr<cairo_surface_t, SurfaceDeleter> surface_;
  std::unique_ptr<cairo_t, ContextDeleter> cr_;
};

}  // namespace billhook::render
