#include "cli/command_tree.hpp"

namespace billhook::cli {

namespace {

OptionDoc describe_option(const CLI::Option& option) {
  OptionDoc doc;
  for (const auto& name : option.get_lnames()) doc.names.push_back("--" + name);
  for (const auto& name : option.get_snames()) doc.names.push_back("-" + name);
  if (option.get_type_size_max() > 0) doc.value_name = option.get_type_name();
  doc.description = option.get_description();
  doc.envname = option.get_envname();
  doc.default_value = option.get_default_str();
  return doc;
}

CommandDoc describe_command(const CLI::App& app, const std::string& name, const std::string& path) {
  CommandDoc doc;
  doc.name = name;
  doc.path = path;
  doc.description = app.get_description();
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_group().empty()) continue;  // hidden
    if (option->get_positional() && option->get_lnames().empty() && option->get_snames().empty()) {
      doc.arguments.push_back({option->get_name(true), option->get_description(), option->get_required()});
    } else {
      doc.options.push_back(describe_option(*option));
      doc.options.back().help = option == app.get_help_ptr();
    }
  }
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
    doc.subcommands.push_back(describe_command(*sub, sub->get_name(), path + " " + sub->get_name()));
  }
  return doc;
}

}  // namespace

CommandDoc describe(const CLI::App& app, const std::string& program) { return describe_command(app, program, program); }

}  // namespace billhook::cli
