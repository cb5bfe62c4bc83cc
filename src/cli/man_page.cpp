#include "cli/man_page.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace billhook::cli {

namespace {

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
  return text;
}

std::string option_heading(const OptionDoc& option) {
  std::string out;
  for (const auto& name : option.names) out += (out.empty() ? "\\fB" : ", \\fB") + roff_escape(name) + "\\fR";
  if (!option.value_name.empty()) out += " \\fI" + roff_escape(option.value_name) + "\\fR";
  return out;
}

std::string option_text(const OptionDoc& option) {
  std::string out = roff_escape(option.description);
  std::string notes;
  if (!option.envname.empty()) notes += "environment: \\fB" + roff_escape(option.envname) + "\\fR";
  if (!option.default_value.empty()) {
    notes += (notes.empty() ? "" : "; ") + std::string("default: ") + roff_escape(option.default_value);
  }
  if (!notes.empty()) out += "\n(" + notes + ")";
  return out;
}

// The bytes of the UTF-8 sequence a lead byte starts (1 for ASCII and for a stray continuation byte).
size_t utf8_length(unsigned char lead) {
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  if (lead >= 0xC0) return 2;
  return 1;
}

// \[uXXXX]: groff's name for a Unicode character, from the `length` bytes at `at`.
std::string groff_char_name(const std::string& text, size_t at, size_t length) {
  static constexpr unsigned kLeadMask[] = {0, 0, 0x1F, 0x0F, 0x07};
  unsigned code = static_cast<unsigned char>(text[at]) & kLeadMask[length];
  for (size_t k = 1; k < length; ++k) code = (code << 6) | (static_cast<unsigned char>(text[at + k]) & 0x3Fu);
  char name[16];
  std::snprintf(name, sizeof name, "\\[u%04X]", code);
  return name;
}

void write_command(const CommandDoc& command, bool is_root, std::string& out) {
  if (!is_root) {
    out += ".SS \"" + roff_escape(command.path) + "\"\n";
    out += roff_escape(command.description) + "\n";
  }
  for (const auto& argument : command.arguments) {
    out += ".TP\n\\fI" + roff_escape(argument.name) + "\\fR" + (argument.required ? "" : " (optional)") + "\n";
    out += roff_escape(argument.description) + "\n";
  }
  for (const auto& option : command.options) {
    if (option.help && !is_root) continue;  // the same on every command: said once, at the top
    out += ".TP\n" + option_heading(option) + "\n" + option_text(option) + "\n";
  }
  for (const auto& sub : command.subcommands) write_command(sub, false, out);
}

}  // namespace

std::string roff_escape(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    line_start = c == '\n';
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (const size_t length = utf8_length(static_cast<unsigned char>(c)); length > 1 && i + length <= text.size()) {
      // troff reads bytes, not UTF-8 (man pipes pages through preconv; groff alone does not): name the character.
      out += groff_char_name(text, i, length);
      i += length - 1;
    } else {
      out += c;
    }
  }
  return out;
}

std::string man_page(const CommandDoc& root, const ManPageText& text) {
  // "billhook: invoice events …" reads as "billhook \- invoice events …" in NAME.
  std::string summary = root.description;
  if (summary.rfind(root.name + ": ", 0) == 0) summary.erase(0, root.name.size() + 2);
  std::string out;
  out += ".TH " + upper(root.name) + " 1 \"\" \"" + roff_escape(root.name + " " + text.version) + "\" \"User Commands\"\n";
  out += ".SH NAME\n" + roff_escape(root.name) + " \\- " + roff_escape(summary) + "\n";
  out += ".SH SYNOPSIS\n.B " + roff_escape(root.name) + "\n.I command\n[\\fIoptions\\fR] [\\fIarguments\\fR]\n";
  out += ".SH DESCRIPTION\n" + roff_escape(text.description) + "\n.PP\n";
  out += "Each command's options are listed with it below; an option with an environment variable takes its\n"
         "value from it when the option is not given.\n";
  out += ".SH COMMANDS\n";
  for (const auto& sub : root.subcommands) {
    out += ".TP\n\\fB" + roff_escape(sub.name) + "\\fR\n" + roff_escape(sub.description) + "\n";
  }
  out += ".SH OPTIONS\n";
  write_command(root, true, out);
  out += text.extra_sections;
  return out;
}

}  // namespace billhook::cli
