#pragma once
// Build specs: the YAML that describes one build (../shared/DESIGN.md, "Build specs").
// Parsing checks everything that can be checked without a store; every error names the
// spec file, line and column.

#include "base/source_location.h"
#include "store/hash.h"
#include "store/store_path.h"

#include <yaml-cpp/yaml.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace purist::builds {

/// One entry of `inputs`: another spec file (an entry ending in `.yaml` or `.yml`, relative
/// to the spec's directory) or an absolute store path.
struct SpecInput {
    /// The environment variable holding the input's path: the key in the mapping form
    /// (`inputs: {cc: tools.yaml}`), else the spec file's stem with every character outside
    /// [A-Za-z0-9_] replaced by `_` (`bootstrap-tools.yaml` → `bootstrap_tools`), and empty
    /// for a store path given in the list form.
    std::string variable;
    std::string specFile;  ///< absolute, normalised; empty for a store path
    std::string storePath; ///< absolute, as written; empty for a spec file
    SourceLocation position;
};

/// `fixed-output: {hash, mode}`: the output's content is known in advance.
struct FixedOutput {
    Hash hash;
    FileIngestionMethod mode = FileIngestionMethod::Flat;
};

/// A spec's `checks:` as written (key names and value types validated), for the checker.
/// Shared and read-only rather than a YAML::Node member: assigning one YAML::Node to another
/// rewrites the node both share with the document (yaml-cpp's reference semantics) and may
/// throw, which a plain-data BuildSpec must not do when it is copied or moved.
struct SpecChecks {
    std::shared_ptr<const YAML::Node> node; ///< null when the spec has no `checks:`
    explicit operator bool() const noexcept { return node != nullptr; }
    /// How many entries `checks:` has.
    size_t size() const { return node ? node->size() : 0; }
};

/// A parsed spec. Plain data; copy freely.
struct BuildSpec {
    std::string file; ///< absolute, normalised path of the spec file
    std::string name;
    std::string builder; ///< absolute path as the builder sees it
    std::vector<std::string> args;
    std::map<std::string, std::string> env;
    std::vector<SpecInput> inputs;
    /// `sources: {var: path}`: host paths (absolute, normalised; relative ones are taken
    /// from the spec's directory) that are added to the store and exposed as `$var`.
    std::map<std::string, std::string> sources;
    std::vector<std::string> outputs{"out"};
    SpecChecks checks;
    /// Spec files named in `checks:` lists (relative to this spec), resolved to absolute
    /// paths, by the string as written.
    std::map<std::string, std::string> checkSpecFiles;
    std::optional<FixedOutput> fixedOutput;
    bool noSandbox = false;
    SourceLocation noSandboxPosition;
};

/// Reads and validates the spec at `file`. Throws ConfigError with file:line:column for an
/// unknown key, a value of the wrong type, a missing required key, a bad name or hash, an
/// environment variable that clashes with one purist sets, or a missing file (the
/// position is the entry naming it; a missing spec file itself names just the file).
BuildSpec parseBuildSpec(const std::string& file);

/// `path` made absolute against `baseDir` with `.` and `..` removed (no symlinks resolved).
std::string normalisePath(const std::string& path, const std::string& baseDir);

} // namespace purist::builds
