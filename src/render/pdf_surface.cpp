#include "render/pdf_surface.hpp"

#include <cairo-pdf.h>
#include <fmt/format.h>

namespace billhook::render {
namespace {

// cairo calls this from C: nothing may be thrown through it, so a throwing sink is a refusal.
cairo_status_t write_to_sink(void* closure, const unsigned char* data, unsigned int length) {
  const auto& sink = *static_cast<const PdfSink*>(closure);
  try {
    const bool accepted = sink(std::string_view(reinterpret_cast<const char*>(data), length));
    return accepted ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
  } catch (...) {
    return CAIRO_STATUS_WRITE_ERROR;
  }
}

core::Status to_status(cairo_status_t status) {
  if (status == CAIRO_STATUS_SUCCESS) return {};
  if (status == CAIRO_STATUS_WRITE_ERROR) {
    return core::Error{core::ErrorKind::unavailable, "pdf_write_failed",
                       "the PDF could not be written: its destination refused the bytes", {}};
  }
  return core::Error{core::ErrorKind::internal, "pdf_render_failed",
                     fmt::format("cairo could not render the PDF: {}", cairo_status_to_string(status)), {}};
}

}  // namespace

core::Result<PdfSurface> PdfSurface::open(PagePoints size, const PdfSink& sink, const std::string& title) {
  PdfSurface pdf;
  // cairo keeps the closure pointer: `sink` is the caller's, alive until after finish().
  pdf.surface_.reset(cairo_pdf_surface_create_for_stream(&write_to_sink, const_cast<PdfSink*>(&sink), size.width,
                                                         size.height));
  if (auto status = to_status(cairo_surface_status(pdf.surface_.get())); !status) return std::move(status).error();
  cairo_pdf_surface_set_metadata(pdf.surface_.get(), CAIRO_PDF_METADATA_TITLE, title.c_str());
  cairo_pdf_surface_set_metadata(pdf.surface_.get(), CAIRO_PDF_METADATA_CREATOR, "billhook");
  pdf.cr_.reset(cairo_create(pdf.surface_.get()));
  if (auto status = to_status(cairo_status(pdf.cr_.get())); !status) return std::move(status).error();
  return pdf;
}

core::Status PdfSurface::finish() {
  // The context's status holds the first drawing error; the surface's the first write error.
  const cairo_status_t drawing = cairo_status(cr_.get());
  cr_.reset();
  cairo_surface_finish(surface_.get());
  const cairo_status_t writing = cairo_surface_status(surface_.get());
  return to_status(writing != CAIRO_STATUS_SUCCESS ? writing : drawing);
}

}  // namespace billhook::render
