#include "pdf_tools.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

extern char** environ;

namespace billhook::render::testing {
namespace fs = std::filesystem;
namespace {

fs::path scratch_path(std::string_view suffix) {
  static int counter = 0;
  return fs::temp_directory_path() /
         ("billhook_render_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + std::string(suffix));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The tool's full path from $PATH, or "" after a test failure that names the package to install.
std::string find_tool(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  ADD_FAILURE() << name << " is not on PATH: install poppler-utils (scripts/setup.sh does)";
  return {};
}

// Runs a poppler tool without a shell and answers its standard output when `capture`; adds a test
// failure (with its standard error) when it cannot start or exits non-zero.
std::string run_tool(std::string_view name, std::vector<std::string> args, bool capture) {
  const std::string tool = find_tool(name);
  if (tool.empty()) return {};
  const fs::path out = scratch_path(".out");
  const fs::path err = scratch_path(".err");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, capture ? out.c_str() : "/dev/null",
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  args.insert(args.begin(), tool);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, tool.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  if (spawned == 0) ::waitpid(pid, &status, 0);
  const std::string output = capture ? read_file(out) : std::string();
  const std::string errors = read_file(err);
  std::error_code ignored;
  fs::remove(out, ignored);
  fs::remove(err, ignored);
  if (spawned != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ADD_FAILURE() << name << " failed (spawn " << spawned << ", status " << status << "): " << errors;
    return {};
  }
  return output;
}

}  // namespace

double GrayPage::ink_share(double top, double bottom, double left, double right) const {
  const int row_end = static_cast<int>(bottom * height);
  const int column_end = static_cast<int>(right * width);
  size_t inked = 0;
  size_t all = 0;
  for (int row = static_cast<int>(top * height); row < row_end; ++row) {
    for (int column = static_cast<int>(left * width); column < column_end; ++column) {
      ++all;
      if (pixels[static_cast<size_t>(row) * static_cast<size_t>(width) + static_cast<size_t>(column)] < 235) ++inked;
    }
  }
  return all == 0 ? 0 : static_cast<double>(inked) / static_cast<double>(all);
}

PdfFile::PdfFile(std::string_view bytes) : path_(scratch_path(".pdf")) {
  std::ofstream out(path_, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

PdfFile::~PdfFile() {
  std::error_code ignored;
  fs::remove(path_, ignored);
}

std::string PdfFile::text(int page) const {
  std::vector<std::string> args{"-layout", "-enc", "UTF-8"};
  if (page > 0) args.insert(args.end(), {"-f", std::to_string(page), "-l", std::to_string(page)});
  args.insert(args.end(), {path_.string(), "-"});
  return run_tool("pdftotext", std::move(args), true);
}

std::string PdfFile::pdfinfo() const { return run_tool("pdfinfo", {path_.string()}, true); }

int PdfFile::page_count() const {
  std::istringstream lines(pdfinfo());
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Pages:", 0) == 0) return std::atoi(line.c_str() + 6);
  }
  return 0;
}

std::pair<double, double> PdfFile::page_points() const {
  std::istringstream lines(pdfinfo());
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("Page size:", 0) != 0) continue;
    // "Page size:      595 x 842 pts (A4)"
    std::istringstream fields(line.substr(10));
    double width = 0;
    double height = 0;
    std::string times;
    if (fields >> width >> times >> height && times == "x") return {width, height};
  }
  return {0, 0};
}

// Binary PGM: "P5", width, height, maxval (255: one byte a pixel), one whitespace, then the pixels.
// `what` names the image in failures.
static GrayPage parse_pgm(const std::string& bytes, const std::string& what) {
  GrayPage gray;
  std::istringstream in(bytes);
  std::string magic;
  int max_value = 0;
  if (!(in >> magic >> gray.width >> gray.height >> max_value) || magic != "P5" || max_value != 255) {
    ADD_FAILURE() << what << " is no 8-bit PGM";
    return {};
  }
  const size_t start = static_cast<size_t>(in.tellg()) + 1;
  const size_t size = static_cast<size_t>(gray.width) * static_cast<size_t>(gray.height);
  if (bytes.size() < start + size) {
    ADD_FAILURE() << what << " is cut short";
    return {};
  }
  gray.pixels.assign(bytes.begin() + static_cast<std::ptrdiff_t>(start),
                     bytes.begin() + static_cast<std::ptrdiff_t>(start + size));
  return gray;
}

GrayPage PdfFile::gray_page(int page, int dpi) const {
  const fs::path prefix = scratch_path("");
  run_tool("pdftoppm", {"-r", std::to_string(dpi), "-gray", "-f", std::to_string(page), "-l", std::to_string(page),
                        "-singlefile", path_.string(), prefix.string()},
           false);
  const fs::path image = prefix.string() + ".pgm";
  const std::string bytes = read_file(image);
  std::error_code ignored;
  fs::remove(image, ignored);

  return parse_pgm(bytes, "pdftoppm's page " + std::to_string(page));
}

void write_pgm(const GrayPage& page, const fs::path& path) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << "P5\n" << page.width << " " << page.height << "\n255\n";
  out.write(reinterpret_cast<const char*>(page.pixels.data()), static_cast<std::streamsize>(page.pixels.size()));
  if (!out) ADD_FAILURE() << "could not write " << path;
}

GrayPage read_pgm(const fs::path& path) { return parse_pgm(read_file(path), path.string()); }

size_t count_of(std::string_view text, std::string_view needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos; at = text.find(needle, at + needle.size())) ++count;
  return count;
}

}  // namespace billhook::render::testing
