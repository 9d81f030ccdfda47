#include "builds/build_spec.h"

#include "base/error.h"
#include "base/yaml_reader.h"
#include "rules/spec_checks.h"

#include <algorithm>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace purist::builds {

namespace {

const std::set<std::string> kReserved = {"NIX_BUILD_TOP", "TMPDIR",  "TEMPDIR",   "TMP",
                                         "TEMP",          "HOME",    "NIX_STORE", "PWD",
                                         "name",          "builder", "outputs",   "PURIST_INPUTS"};

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::string directoryOf(const std::string& file) {
    auto slash = file.rfind('/');
    return slash == 0 ? "/" : file.substr(0, slash);
}

bool isSpecFileName(const std::string& entry) {
    return entry.ends_with(".yaml") || entry.ends_with(".yml");
}

bool isVariableName(const std::string& name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

std::string variableFromStem(const std::string& specFile) {
    std::string stem = specFile.substr(specFile.rfind('/') + 1);
    stem = stem.substr(0, stem.rfind('.'));
    for (char& c : stem)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) c = '_';
    if (!stem.empty() && stem[0] >= '0' && stem[0] <= '9') stem = "_" + stem;
    return stem;
}

class SpecParser {
public:
    explicit SpecParser(std::string file) : file_(std::move(file)), dir_(directoryOf(file_)) {}

    BuildSpec parse() {
        if (!exists(file_)) throw ConfigError(file_, "spec file does not exist");
        YAML::Node root = loadYamlFile(file_);
        static const std::vector<std::string> known = {
            "name",    "builder", "args",   "env",          "inputs",
            "sources", "outputs", "checks", "fixed-output", "no-sandbox"};
        std::map<std::string, YAML::Node> keys;
        for (const YamlEntry& entry : yamlMapping(file_, root, "build spec", known))
            keys.emplace(entry.key, entry.value);
        for (const char* required : {"name", "builder"})
            if (!keys.count(required))
                throw yamlError(file_, root,
                                std::string("missing required key '") + required + "'");

        BuildSpec spec;
        spec.file = file_;
        spec.name = yamlString(file_, keys["name"], "name");
        try {
            validateStorePathName(spec.name);
        } catch (const FormatError& e) {
            throw yamlError(file_, keys["name"], e.what());
        }
        spec.builder = yamlString(file_, keys["builder"], "builder");
        if (spec.builder.empty() || spec.builder[0] != '/')
            throw yamlError(file_, keys["builder"], "builder must be an absolute path");
        if (keys.count("args")) spec.args = yamlStringList(file_, keys["args"], "args");
        if (keys.count("outputs"))
            parseOutputs(spec, keys["outputs"]);
        else
            variables_.emplace("out", "output");
        if (keys.count("env")) parseEnv(spec, keys["env"]);
        if (keys.count("sources")) parseSources(spec, keys["sources"]);
        if (keys.count("inputs")) parseInputs(spec, keys["inputs"]);
        if (keys.count("checks")) parseChecks(spec, keys["checks"]);
        if (keys.count("fixed-output")) parseFixedOutput(spec, keys["fixed-output"]);
        if (keys.count("no-sandbox")) {
            spec.noSandbox = yamlBool(file_, keys["no-sandbox"], "no-sandbox");
            spec.noSandboxPosition = yamlLocation(file_, keys["no-sandbox"]);
        }
        return spec;
    }

private:
    void claimVariable(const std::string& name, const YAML::Node& node, const std::string& what) {
        if (!isVariableName(name))
            throw yamlError(file_, node,
                            what + " '" + name + "' is not a valid environment variable name");
        if (kReserved.count(name))
            throw yamlError(file_, node, what + " '" + name + "' is set by purist for every build");
        auto [it, inserted] = variables_.emplace(name, what);
        if (!inserted)
            throw yamlError(file_, node,
                            what + " '" + name + "' clashes with the " + it->second +
                                " of that name");
    }

    void parseOutputs(BuildSpec& spec, const YAML::Node& node) {
        spec.outputs = yamlStringList(file_, node, "outputs", true);
        size_t i = 0;
        for (const auto& item : node) {
            const std::string& output = spec.outputs[i++];
            try {
                validateStorePathName(output);
            } catch (const FormatError& e) {
                throw yamlError(file_, item, "output name: " + std::string(e.what()));
            }
            claimVariable(output, item, "output");
        }
    }

    void parseEnv(BuildSpec& spec, const YAML::Node& node) {
        for (const YamlEntry& entry : yamlOpenMapping(file_, node, "env")) {
            claimVariable(entry.key, entry.keyNode, "env variable");
            spec.env[entry.key] = yamlString(file_, entry.value, "env value '" + entry.key + "'");
        }
    }

    void parseSources(BuildSpec& spec, const YAML::Node& node) {
        for (const YamlEntry& entry : yamlOpenMapping(file_, node, "sources")) {
            const std::string& var = entry.key;
            claimVariable(var, entry.keyNode, "source");
            std::string written = yamlString(file_, entry.value, "source '" + var + "'");
            if (written.empty()) throw yamlError(file_, entry.value, "source path is empty");
            std::string path = normalisePath(written, dir_);
            if (!exists(path))
                throw yamlError(file_, entry.value,
                                "source '" + var + "': " + path + " does not exist");
            spec.sources[var] = path;
        }
    }

    SpecInput parseInput(const YAML::Node& node, std::string variable) {
        std::string written = yamlString(file_, node, "an input");
        SpecInput input;
        input.position = yamlLocation(file_, node);
        if (isSpecFileName(written)) {
            input.specFile = normalisePath(written, dir_);
            if (!exists(input.specFile))
                throw yamlError(file_, node, "input spec " + input.specFile + " does not exist");
            if (variable.empty()) variable = variableFromStem(input.specFile);
        } else if (!written.empty() && written[0] == '/') {
            input.storePath = written;
        } else {
            throw yamlError(file_, node,
                            "input '" + written +
                                "' is neither a spec file (*.yaml) nor an absolute store path");
        }
        if (!variable.empty()) claimVariable(variable, node, "input");
        input.variable = std::move(variable);
        return input;
    }

    void parseInputs(BuildSpec& spec, const YAML::Node& node) {
        if (node.IsMap()) {
            for (const YamlEntry& entry : yamlOpenMapping(file_, node, "inputs")) {
                if (!isVariableName(entry.key))
                    throw yamlError(file_, entry.keyNode,
                                    "input '" + entry.key +
                                        "' is not a valid environment variable name");
                spec.inputs.push_back(parseInput(entry.value, entry.key));
            }
            return;
        }
        if (!node.IsSequence())
            throw yamlError(file_, node,
                            "inputs must be a list or a mapping {var: input}, not " +
                                describeYamlValue(node));
        for (const auto& item : node)
            spec.inputs.push_back(parseInput(item, ""));
    }

    void parseChecks(BuildSpec& spec, const YAML::Node& node) {
        for (const YamlEntry& entry : yamlMapping(file_, node, "checks", rules::specChecksKeys())) {
            if (entry.key == "outputChecks")
                parseOutputChecks(spec, entry.value);
            else
                parseCheck(spec, entry.key, entry.value, "checks." + entry.key);
        }
        spec.checks.node = std::make_shared<const YAML::Node>(node);
    }

    // `outputChecks: {dev: {allowedReferences: [...], ignoreSelfRefs: true}}`, Nix's
    // per-output checks.
    void parseOutputChecks(BuildSpec& spec, const YAML::Node& node) {
        for (const YamlEntry& output : yamlOpenMapping(file_, node, "outputChecks")) {
            if (std::find(spec.outputs.begin(), spec.outputs.end(), output.key) ==
                spec.outputs.end())
                throw yamlError(file_, output.keyNode,
                                "outputChecks names '" + output.key +
                                    "', which is not an output of this spec");
            std::string where = "outputChecks." + output.key;
            for (const YamlEntry& check :
                 yamlMapping(file_, output.value, where, rules::outputChecksKeys())) {
                if (check.key == "ignoreSelfRefs")
                    yamlBool(file_, check.value, where + "." + check.key);
                else
                    parseCheck(spec, check.key, check.value, where + "." + check.key);
            }
        }
    }

    void parseCheck(BuildSpec& spec, const std::string& key, const YAML::Node& value,
                    const std::string& what) {
        if (key == "maxSize" || key == "maxClosureSize") {
            yamlByteSize(file_, value, what);
            return;
        }
        std::vector<std::string> items = yamlStringList(file_, value, what);
        size_t i = 0;
        for (const auto& item : value) {
            const std::string& written = items[i++];
            if (!isSpecFileName(written)) continue;
            std::string path = normalisePath(written, dir_);
            if (!exists(path))
                throw yamlError(file_, item, what + ": spec " + path + " does not exist");
            spec.checkSpecFiles[written] = path;
        }
    }

    void parseFixedOutput(BuildSpec& spec, const YAML::Node& node) {
        FixedOutput fixed;
        bool haveHash = false;
        for (const YamlEntry& entry : yamlMapping(file_, node, "fixed-output", {"hash", "mode"})) {
            if (entry.key == "hash") {
                std::string text = yamlString(file_, entry.value, "hash");
                try {
                    fixed.hash = Hash::parse(text);
                } catch (const FormatError& e) {
                    throw yamlError(file_, entry.value, e.what());
                }
                haveHash = true;
            } else {
                std::string mode = yamlString(file_, entry.value, "mode");
                if (mode == "flat")
                    fixed.mode = FileIngestionMethod::Flat;
                else if (mode == "recursive")
                    fixed.mode = FileIngestionMethod::Recursive;
                else
                    throw yamlError(file_, entry.value, "mode must be flat or recursive");
            }
        }
        if (!haveHash) throw yamlError(file_, node, "fixed-output needs a hash");
        if (spec.outputs != std::vector<std::string>{"out"})
            throw yamlError(file_, node, "a fixed-output build has exactly one output, out");
        spec.fixedOutput = fixed;
    }

    std::string file_;
    std::string dir_;
    std::map<std::string, std::string> variables_; // variable name -> what claimed it
};

} // namespace

std::string normalisePath(const std::string& path, const std::string& baseDir) {
    std::string full = !path.empty() && path[0] == '/' ? path : baseDir + "/" + path;
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= full.size()) {
        size_t end = full.find('/', start);
        if (end == std::string::npos) end = full.size();
        std::string part = full.substr(start, end - start);
        if (part == "..") {
            if (!parts.empty()) parts.pop_back();
        } else if (!part.empty() && part != ".") {
            parts.push_back(part);
        }
        start = end + 1;
    }
    std::string out;
    for (const auto& p : parts)
        out += "/" + p;
    return out.empty() ? "/" : out;
}

BuildSpec parseBuildSpec(const std::string& file) {
    char cwd[4096];
    if (!::getcwd(cwd, sizeof cwd)) throw SysError("getcwd");
    return SpecParser(normalisePath(file, cwd)).parse();
}

} // namespace purist::builds
