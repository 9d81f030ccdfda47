// `purist __generate man|bash|zsh`: the man page and the shell completions, written from
// the same CLI11 definitions that print `--help`, so that they cannot drift from it. The
// build runs it (cli/CMakeLists.txt) and installs what it writes; the command is hidden
// because users get its output from their package, not from it.

#include "cli/generated_docs.h"

#include "base/version.h"
#include "cli/exit_codes.h"

#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace purist::cli {
namespace {

/// A command as the documents show it: `purist`, `purist store`, `purist store add`...
struct Command {
    const CLI::App* app;
    std::string path;  ///< "purist store add"
    int depth = 0;     ///< 0 for purist itself
    bool leaf = false; ///< has no visible subcommands
};

bool visible(const CLI::App* app) {
    return !app->get_group().empty();
}
bool visible(const CLI::Option* option) {
    return !option->get_group().empty();
}

void collect(const CLI::App* app, const std::string& path, int depth, std::vector<Command>& out) {
    Command command{app, path, depth, true};
    out.push_back(command);
    const size_t self = out.size() - 1;
    for (const CLI::App* sub : app->get_subcommands({})) {
        if (!visible(sub)) continue;
        out[self].leaf = false;
        collect(sub, path + " " + sub->get_name(), depth + 1, out);
    }
}

std::vector<Command> commands(const CLI::App& root) {
    std::vector<Command> out;
    collect(&root, "purist", 0, out);
    return out;
}

std::vector<const CLI::Option*> options(const CLI::App* app, bool positional) {
    std::vector<const CLI::Option*> out;
    for (const CLI::Option* option : app->get_options({}))
        if (visible(option) && option->nonpositional() != positional) out.push_back(option);
    return out;
}

/// The named options a command accepts: its own, then the root's that it does not define
/// itself (CLI11's fallthrough passes those up: `purist store add --root R`).
std::vector<const CLI::Option*> acceptedOptions(const CLI::App& root, const Command& command) {
    std::vector<const CLI::Option*> out = options(command.app, false);
    if (command.depth == 0) return out;
    for (const CLI::Option* global : options(&root, false)) {
        bool shadowed = false;
        for (const CLI::Option* own : options(command.app, false))
            shadowed = shadowed || own->check_name(global->get_name());
        if (!shadowed && global != root.get_version_ptr()) out.push_back(global);
    }
    return out;
}

/// Every spelling of a named option: "-K", "--keep-failed".
std::vector<std::string> spellings(const CLI::Option* option) {
    std::vector<std::string> out;
    for (const auto& name : option->get_snames())
        out.push_back("-" + name);
    for (const auto& name : option->get_lnames())
        out.push_back("--" + name);
    return out;
}

// A flag (add_flag) expects no value.
bool takesValue(const CLI::Option* option) {
    return option->get_expected_max() != 0;
}

/// The values of a --sandbox TEXT:{strict,relaxed,off}-style option, or none.
std::vector<std::string> choices(const CLI::Option* option) {
    std::vector<std::string> out;
    const std::string type = option->get_type_name();
    const size_t open = type.find('{'), close = type.rfind('}');
    if (open == std::string::npos || close == std::string::npos || close < open) return out;
    std::string item;
    for (char c : type.substr(open + 1, close - open - 1)) {
        if (c == ',') {
            out.push_back(item);
            item.clear();
        } else {
            item += c;
        }
    }
    out.push_back(item);
    return out;
}

/// What an option's value is called in the man page: "TEXT", "DIR"...
std::string valueName(const CLI::Option* option) {
    std::string type = option->get_type_name();
    if (size_t colon = type.find(':'); colon != std::string::npos) type.resize(colon);
    // A pair, "[TEXT,TEXT]", reads "TEXT TEXT".
    std::string name;
    for (char c : type)
        if (c != '[' && c != ']') name += c == ',' ? ' ' : c;
    return name.empty() ? "VALUE" : name;
}

std::string join(const std::vector<std::string>& words, const std::string& separator) {
    std::string out;
    for (const auto& word : words)
        out += (out.empty() ? "" : separator) + word;
    return out;
}

// ---- man page (roff, man(7) macros) ----

/// Text safe in roff: backslashes and hyphens escaped, no line starting with a control
/// character.
std::string roff(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '\\') {
            out += "\\e";
        } else if (c == '-') {
            out += "\\-";
        } else {
            out += c;
        }
    }
    std::string safe;
    bool lineStart = true;
    for (char c : out) {
        if (lineStart && (c == '.' || c == '\'')) safe += "\\&";
        safe += c;
        lineStart = c == '\n';
    }
    return safe;
}

void manOption(std::ostream& out, const CLI::Option* option) {
    out << ".TP\n";
    std::vector<std::string> names;
    for (const auto& name : spellings(option))
        names.push_back("\\fB" + roff(name) + "\\fR");
    out << join(names, ", ");
    if (takesValue(option)) out << " \\fI" << roff(valueName(option)) << "\\fR";
    out << "\n" << roff(option->get_description());
    if (auto values = choices(option); !values.empty())
        out << " (one of: " << roff(join(values, ", ")) << ")";
    out << "\n";
}

void writeMan(const CLI::App& root, std::ostream& out) {
    out << ".\\\" Generated by `purist __generate man` from purist's command definitions.\n"
        << ".TH PURIST 1 \"\" \"purist " << kVersion << "\" \"User Commands\"\n"
        << ".SH NAME\npurist \\- build in a sandbox, store content\\-addressed, check against "
           "policy\n"
        << ".SH SYNOPSIS\n.B purist\n[\\fIGLOBAL OPTIONS\\fR] \\fICOMMAND\\fR "
           "[\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]\n"
        << ".SH DESCRIPTION\n"
        << roff(root.get_description()) << "\n"
        << ".PP\nGlobal options may come before or after the command.\n"
        << ".SH GLOBAL OPTIONS\n";
    for (const CLI::Option* option : options(&root, false))
        manOption(out, option);
    out << ".SH COMMANDS\n";
    for (const Command& command : commands(root)) {
        if (command.depth == 0) continue;
        std::string synopsis = command.path;
        if (!command.leaf) synopsis += " COMMAND";
        if (!options(command.app, false).empty()) synopsis += " [OPTIONS]";
        for (const CLI::Option* positional : options(command.app, true)) {
            std::string name = positional->get_name(true);
            if (positional->get_items_expected_max() > 1) name += "...";
            synopsis += positional->get_required() ? " " + name : " [" + name + "]";
        }
        out << ".SS \"" << roff(synopsis) << "\"\n" << roff(command.app->get_description()) << "\n";
        for (const CLI::Option* positional : options(command.app, true)) {
            out << ".TP\n\\fI" << roff(positional->get_name(true)) << "\\fR\n"
                << roff(positional->get_description()) << "\n";
        }
        for (const CLI::Option* option : options(command.app, false))
            manOption(out, option);
    }
    out << ".SH EXIT STATUS\n"
        << ".TP\n0\nSuccess.\n"
        << ".TP\n"
        << kExitViolations << "\nA check found violations (or verify found damage).\n"
        << ".TP\n"
        << kExitUsage << "\nBad usage, or a bad configuration, policy or spec file.\n"
        << ".TP\n"
        << kExitBuildFailed << "\nA build failed.\n"
        << ".TP\n"
        << kExitSandbox << "\nThe sandbox could not be set up as asked.\n"
        << ".SH ENVIRONMENT\n"
        << ".TP\n.B PURIST_ROOT\nThe store root when \\fB\\-\\-root\\fR is not given "
           "(default: \\fI~/.local/share/purist\\fR).\n"
        << ".TP\n.B PURIST_STORE_DIR\nThe store directory when \\fB\\-\\-store\\-dir\\fR is not "
           "given (default: \\fI<root>/store\\fR).\n"
        << ".SH FILES\n"
        << ".TP\n.I <prefix>/libexec/purist/purist\\-sandbox\nThe sandbox helper every build "
           "runs through (or \\fIpurist\\-sandbox\\fR beside the purist binary).\n"
        << ".TP\n.I <prefix>/share/purist/rules/packs/\nThe rule packs purist ships, named by "
           "\\fB\\-\\-policy\\fR \\fINAME\\fR.\n"
        << ".SH SEE ALSO\n"
        << "The documentation in \\fI<prefix>/share/doc/purist/\\fR, and \\fBpurist "
           "\\fICOMMAND\\fB \\-\\-help\\fR.\n";
}

// ---- bash ----

/// `text` as one single-quoted shell word.
std::string shellQuote(const std::string& text) {
    std::string out = "'";
    for (char c : text)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

void writeBash(const CLI::App& root, std::ostream& out) {
    const std::vector<Command> all = commands(root);
    out << "# bash completion for purist. Generated by `purist __generate bash` from purist's\n"
           "# command definitions.\n"
           "_purist() {\n"
           "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
           "    # The command the words so far name, e.g. \"purist store add\".\n"
           "    local path=purist i\n"
           "    for ((i = 1; i < COMP_CWORD; i++)); do\n"
           "        case \"$path ${COMP_WORDS[i]}\" in\n";
    std::vector<std::string> paths;
    for (const Command& command : all)
        if (command.depth > 0) paths.push_back("\"" + command.path + "\"");
    out << "        " << join(paths, "|") << ") path=\"$path ${COMP_WORDS[i]}\" ;;\n"
        << "        esac\n"
           "    done\n"
           "    local commands='' options='' values=''\n"
           "    case \"$path\" in\n";
    for (const Command& command : all) {
        std::vector<std::string> subs, names;
        for (const CLI::App* sub : command.app->get_subcommands({}))
            if (visible(sub)) subs.push_back(sub->get_name());
        for (const CLI::Option* option : acceptedOptions(root, command))
            for (const auto& name : spellings(option))
                names.push_back(name);
        out << "    \"" << command.path << "\") commands=" << shellQuote(join(subs, " "))
            << " options=" << shellQuote(join(names, " ")) << " ;;\n";
    }
    out << "    esac\n"
           "    # The value of an option with a fixed set of values.\n"
           "    case \"$path $prev\" in\n";
    for (const Command& command : all) {
        for (const CLI::Option* option : acceptedOptions(root, command)) {
            std::vector<std::string> values = choices(option);
            if (values.empty()) continue;
            std::vector<std::string> keys;
            for (const auto& name : spellings(option))
                keys.push_back("\"" + command.path + " " + name + "\"");
            out << "    " << join(keys, "|") << ") values=" << shellQuote(join(values, " "))
                << " ;;\n";
        }
    }
    out << "    esac\n"
           "    if [[ -n $values ]]; then\n"
           "        mapfile -t COMPREPLY < <(compgen -W \"$values\" -- \"$cur\")\n"
           "    elif [[ $cur == -* ]]; then\n"
           "        mapfile -t COMPREPLY < <(compgen -W \"$options\" -- \"$cur\")\n"
           "    elif [[ -n $commands ]]; then\n"
           "        mapfile -t COMPREPLY < <(compgen -W \"$commands\" -- \"$cur\")\n"
           "    else\n"
           "        mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
           "    fi\n"
           "}\n"
           "complete -o filenames -F _purist purist\n";
}

// ---- zsh ----

/// `text` safe inside an _arguments description: brackets and colons escaped.
std::string zshDescription(const std::string& text) {
    std::string out;
    for (char c : text) {
        if (c == '[' || c == ']' || c == ':' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::string zshFunction(const std::string& path) {
    std::string name = "_purist";
    for (char c : path.substr(std::string("purist").size()))
        name += (c == ' ' || c == '-') ? '_' : c;
    return name;
}

void zshOption(std::ostream& out, const CLI::Option* option) {
    const std::vector<std::string> names = spellings(option);
    std::string spec = zshDescription(option->get_description());
    std::string value;
    if (takesValue(option)) {
        std::vector<std::string> values = choices(option);
        value = ":" + zshDescription(valueName(option)) + ":" +
                (values.empty() ? "_files" : "(" + join(values, " ") + ")");
    }
    const bool repeatable = option->get_items_expected_max() > 1;
    std::string exclusion = names.size() > 1 ? "(" + join(names, " ") + ")" : "";
    if (repeatable) exclusion = "*";
    if (names.size() > 1 && !repeatable) {
        out << "        " << shellQuote(exclusion) << "{" << join(names, ",") << "}"
            << shellQuote("[" + spec + "]" + value) << " \\\n";
    } else {
        out << "        " << shellQuote(exclusion + names.front() + "[" + spec + "]" + value)
            << " \\\n";
    }
}

void writeZsh(const CLI::App& root, std::ostream& out) {
    const std::vector<Command> all = commands(root);
    out << "#compdef purist\n"
           "# zsh completion for purist. Generated by `purist __generate zsh` from purist's "
           "command\n# definitions.\n";
    for (const Command& command : all) {
        out << "\n"
            << zshFunction(command.path) << "() {\n"
            << "    local curcontext=$curcontext state line\n"
            << "    _arguments -C \\\n";
        for (const CLI::Option* option : acceptedOptions(root, command))
            zshOption(out, option);
        if (!command.leaf) {
            out << "        '1:command:->command' \\\n"
                << "        '*::argument:->argument'\n"
                << "    case $state in\n"
                << "    command)\n"
                << "        local -a commands=(\n";
            for (const CLI::App* sub : command.app->get_subcommands({}))
                if (visible(sub))
                    out << "            "
                        << shellQuote(sub->get_name() + ":" + sub->get_description()) << "\n";
            out << "        )\n"
                << "        _describe command commands ;;\n"
                << "    argument)\n"
                << "        local next=" << zshFunction(command.path) << "_${words[1]//-/_}\n"
                << "        (( $+functions[$next] )) && $next ;;\n"
                << "    esac\n";
        } else {
            out << "        '*:file:_files'\n";
        }
        out << "}\n";
    }
    out << "\n_purist \"$@\"\n";
}

} // namespace

void addGenerateCommand(CLI::App& app, GlobalOptions& options) {
    auto what = std::make_shared<std::string>();
    auto* generate = app.add_subcommand("__generate", "Write the man page or a completion script");
    generate->group(""); // hidden: not in --help, the man page or the completions
    generate->add_option("what", *what, "man, bash or zsh")
        ->required()
        ->check(CLI::IsMember({"man", "bash", "zsh"}));
    generate->callback([&app, &options, what] {
        options.action = [&app, what] {
            if (*what == "man") writeMan(app, std::cout);
            if (*what == "bash") writeBash(app, std::cout);
            if (*what == "zsh") writeZsh(app, std::cout);
            std::cout.flush();
            return std::cout ? kExitOk : kExitUsage;
        };
    });
}

} // namespace purist::cli
