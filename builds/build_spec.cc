#include "builds/build_spec.h"

#include "base/byte_size.h"

#include "base/error.h"
#include "base/yaml_document.h"
#include "policy/yaml_file.h"

#include <algorithm>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace purist::builds {

const std::vector<std::string> kBuildCheckNames = {
    "allowedReferences",    "allowedRequisites", "disallowedReferences",
    "disallowedRequisites", "maxSize",           "maxClosureSize",
};

namespace {

using policy::yamlBool;
using policy::yamlError;
using policy::yamlScalar;
using policy::yamlString;
using policy::yamlStringList;

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
        YAML::Node root = policy::loadYamlFile(file_);
        if (!root.IsMap()) throw yamlError(file_, root, "a build spec must be a mapping");
        BuildSpec spec;
        spec.file = file_;
        std::map<std::string, YAML::Node> keys;
        for (const auto& entry : root) {
            std::string key = yamlString(file_, entry.first, "a key");
            if (keys.count(key)) throw yamlError(file_, entry.first, "duplicate key '" + key + "'");
            keys[key] = entry.second;
            keyNodes_[key] = entry.first;
        }
        static const std::vector<std::string> known = {
            "name",    "builder", "args",   "env",          "inputs",
            "sources", "outputs", "checks", "fixed-output", "no-sandbox"};
        for (const auto& [key, node] : keys) {
            if (std::find(known.begin(), known.end(), key) == known.end()) {
                std::string list;
                for (const auto& k : known)
                    list += (list.empty() ? "" : ", ") + k;
                throw yamlError(file_, keyNodes_[key],
                                "unknown key '" + key + "' (known: " + list + ")");
            }
        }
        for (const char* required : {"name", "builder"})
            if (!keys.count(required))
                throw yamlError(file_, root,
                                std::string("missing required key '") + required + "'");

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
        spec.outputs = yamlStringList(file_, node, "outputs");
        if (spec.outputs.empty()) throw yamlError(file_, node, "outputs must not be empty");
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
        if (!node.IsMap()) throw yamlError(file_, node, "env must be a mapping of strings");
        for (const auto& entry : node) {
            std::string key = yamlString(file_, entry.first, "an env name");
            claimVariable(key, entry.first, "env variable");
            spec.env[key] = yamlString(file_, entry.second, "env value '" + key + "'");
        }
    }

    void parseSources(BuildSpec& spec, const YAML::Node& node) {
        if (!node.IsMap()) throw yamlError(file_, node, "sources must be a mapping {var: path}");
        for (const auto& entry : node) {
            std::string var = yamlString(file_, entry.first, "a source variable");
            claimVariable(var, entry.first, "source");
            std::string written = yamlString(file_, entry.second, "source '" + var + "'");
            if (written.empty()) throw yamlError(file_, entry.second, "source path is empty");
            std::string path = normalisePath(written, dir_);
            if (!exists(path))
                throw yamlError(file_, entry.second,
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
        if (node.IsSequence()) {
            for (const auto& item : node)
                spec.inputs.push_back(parseInput(item, ""));
        } else if (node.IsMap()) {
            for (const auto& entry : node) {
                std::string var = yamlString(file_, entry.first, "an input variable");
                if (!isVariableName(var))
                    throw yamlError(file_, entry.first,
                                    "input '" + var + "' is not a valid environment variable name");
                spec.inputs.push_back(parseInput(entry.second, var));
            }
        } else {
            throw yamlError(file_, node, "inputs must be a list, or a mapping {var: input}");
        }
    }

    void parseChecks(BuildSpec& spec, const YAML::Node& node) {
        if (!node.IsMap()) throw yamlError(file_, node, "checks must be a mapping");
        for (const auto& entry : node) {
            std::string key = yamlString(file_, entry.first, "a check name");
            if (key == "outputChecks") {
                parseOutputChecks(spec, entry.second);
                continue;
            }
            parseCheck(spec, key, entry.first, entry.second, "outputChecks");
        }
        // The node itself, not a clone: a clone loses the marks errors are positioned by.
        spec.checks = node;
    }

    // `outputChecks: {dev: {allowedReferences: [...], ignoreSelfRefs: true}}`, Nix's
    // per-output checks.
    void parseOutputChecks(BuildSpec& spec, const YAML::Node& node) {
        if (!node.IsMap())
            throw yamlError(file_, node, "outputChecks must be a mapping {output: {check: value}}");
        for (const auto& entry : node) {
            std::string output = yamlString(file_, entry.first, "an output name");
            if (std::find(spec.outputs.begin(), spec.outputs.end(), output) == spec.outputs.end())
                throw yamlError(file_, entry.first,
                                "outputChecks names '" + output +
                                    "', which is not an output of this spec");
            if (!entry.second.IsMap())
                throw yamlError(file_, entry.second,
                                "outputChecks." + output + " must be a mapping of checks");
            for (const auto& check : entry.second) {
                std::string key = yamlString(file_, check.first, "a check name");
                if (key == "ignoreSelfRefs") {
                    yamlBool(file_, check.second, key);
                    continue;
                }
                parseCheck(spec, key, check.first, check.second, "ignoreSelfRefs");
            }
        }
    }

    void parseCheck(BuildSpec& spec, const std::string& key, const YAML::Node& keyNode,
                    const YAML::Node& value, const std::string& alsoKnown) {
        if (std::find(kBuildCheckNames.begin(), kBuildCheckNames.end(), key) ==
            kBuildCheckNames.end()) {
            std::string list;
            for (const auto& k : kBuildCheckNames)
                list += (list.empty() ? "" : ", ") + k;
            throw yamlError(file_, keyNode,
                            "unknown check '" + key + "' (known: " + list + ", " + alsoKnown + ")");
        }
        if (key == "maxSize" || key == "maxClosureSize") {
            std::string size = yamlScalar(file_, value, key);
            std::string error;
            if (!parseByteSize(size, error)) throw yamlError(file_, value, key + ": " + error);
            return;
        }
        std::vector<std::string> items = yamlStringList(file_, value, key);
        size_t i = 0;
        for (const auto& item : value) {
            const std::string& written = items[i++];
            if (!isSpecFileName(written)) continue;
            std::string path = normalisePath(written, dir_);
            if (!exists(path))
                throw yamlError(file_, item, key + ": spec " + path + " does not exist");
            spec.checkSpecFiles[written] = path;
        }
    }

    void parseFixedOutput(BuildSpec& spec, const YAML::Node& node) {
        if (!node.IsMap())
            throw yamlError(file_, node, "fixed-output must be a mapping {hash, mode}");
        FixedOutput fixed;
        bool haveHash = false;
        for (const auto& entry : node) {
            std::string key = yamlString(file_, entry.first, "a fixed-output key");
            if (key == "hash") {
                std::string text = yamlString(file_, entry.second, "hash");
                try {
                    fixed.hash = Hash::parse(text);
                } catch (const FormatError& e) {
                    throw yamlError(file_, entry.second, e.what());
                }
                haveHash = true;
            } else if (key == "mode") {
                std::string mode = yamlString(file_, entry.second, "mode");
                if (mode == "flat")
                    fixed.mode = FileIngestionMethod::Flat;
                else if (mode == "recursive")
                    fixed.mode = FileIngestionMethod::Recursive;
                else
                    throw yamlError(file_, entry.second, "mode must be flat or recursive");
            } else {
                throw yamlError(file_, entry.first,
                                "unknown fixed-output key '" + key + "' (known: hash, mode)");
            }
        }
        if (!haveHash) throw yamlError(file_, node, "fixed-output needs a hash");
        if (spec.outputs != std::vector<std::string>{"out"})
            throw yamlError(file_, node, "a fixed-output build has exactly one output, out");
        spec.fixedOutput = fixed;
    }

    std::string file_;
    std::string dir_;
    std::map<std::string, YAML::Node> keyNodes_;
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
