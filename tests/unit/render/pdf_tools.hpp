#pragma once

// A rendered PDF on disk, read back with poppler's command-line tools (poppler-utils: pdftotext,
// pdfinfo, pdftoppm): tests check what a reader sees — its text, its pages, its pixels —, never its
// bytes. A missing tool fails the test with the package to install; it never skips.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace billhook::render::testing {

// A grey page as pdftoppm draws it: one byte per pixel, 0 black to 255 white, row by row.
struct GrayPage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;

  // The share (0–1) of pixels darker than near-white in the rectangle of rows [top, bottom) and
  // columns [left, right), each given as a fraction of the page.
  double ink_share(double top, double bottom, double left = 0, double right = 1) const;
};

class PdfFile {
 public:
  // Writes `bytes` to a scratch file removed with this object.
  explicit PdfFile(std::string_view bytes);
  ~PdfFile();
  PdfFile(const PdfFile&) = delete;
  PdfFile& operator=(const PdfFile&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // `pdftotext -layout`, of one page when `page` > 0; "" (and a test failure) when the tool fails.
  std::string text(int page = 0) const;
  // `pdfinfo`'s "Pages:"; 0 when it cannot tell.
  int page_count() const;
  // `pdfinfo`'s "Page size:" in points, {0, 0} when it cannot tell.
  std::pair<double, double> page_points() const;
  // `pdftoppm -r <dpi> -gray -f <page> -l <page> -singlefile`, parsed; empty when it fails.
  GrayPage gray_page(int page, int dpi) const;

 private:
  std::string pdfinfo() const;
  std::filesystem::path path_;
};

// A grey page as a binary PGM (P5) file, and back; read_pgm fails the test when the file is not one.
void write_pgm(const GrayPage& page, const std::filesystem::path& path);
GrayPage read_pgm(const std::filesystem::path& path);

// Occurrences of `needle` in `text`, not overlapping.
size_t count_of(std::string_view text, std::string_view needle);

}  // namespace billhook::render::testing
