#pragma once
// A rule of the policy language, parsed and compiled: what it selects, what it checks,
// and how a finding is worded. See docs/rules.md for the YAML it comes from.

#include "base/source_location.h"

#include <re2/re2.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace purist::rules {

/// How serious a rule's findings are. Ordered: a run fails on findings at or above a level.
enum class Severity { Info = 0, Warning = 1, Error = 2 };

using purist::SourceLocation;

/// The longest pattern a policy may hold, in bytes of source. RE2 walks a parsed pattern
/// with a fixed budget of a million nodes and, past it, prints its own log lines to stderr
/// whatever its options say; a pattern has at most two nodes per byte, so this keeps a
/// pattern, alone or among others in one matcher (checker/engine.cc), well inside it. A
/// longer one is refused with its file:line:col.
constexpr size_t kMaxPatternBytes = 100000;

/// Patterns matched together (an RE2::Set of names, an alternation of content patterns) are
/// walked by RE2 as one regexp when compiled, under the same million-node budget: past it,
/// RE2 prints "CoalesceWalker::ShortVisit called" to stderr once per node over and fails.
/// So matchers group patterns under kMaxCombinedCost, an upper bound on their nodes: a
/// parsed pattern has at most two nodes per byte of source (`|||` is an alternation of four
/// empty matches), and combining adds three per pattern (a concatenation with its match
/// marker, its place in the alternation). Half the budget leaves room for what RE2's prefix
/// factoring adds; a pattern of kMaxPatternBytes always fits a group of its own.
constexpr size_t kMaxCombinedCost = 500000;

/// What `source` adds to a group of combined patterns (see kMaxCombinedCost).
constexpr size_t combinedCost(std::string_view source) {
    return 2 * source.size() + 3;
}

/// An RE2 pattern with the text it was written as. Compiled once, then shared read-only;
/// RE2 matching is thread-safe.
struct Pattern {
    std::string source;
    std::shared_ptr<const re2::RE2> re;
};

/// Whether a rule applies to store derivations (`.drv` files), read from `match`'s
/// `derivations` key. A derivation's closure is its build-time closure and its text names
/// every input, so rules written for outputs and sources would flag every derivation whose
/// build reaches what they forbid: derivations are left out unless a rule asks.
enum class DerivationSelection {
    Exclude, ///< default: outputs and sources only
    Include, ///< derivations too
    Only,    ///< derivations only
};

/// Which store paths a rule applies to. Empty `names` and `paths` select every path (of the
/// kinds `derivations` admits).
struct Selector {
    std::vector<Pattern> names;   ///< RE2, searched in the name (the base name minus its hash)
    std::vector<Pattern> paths;   ///< RE2, searched in the full store path
    std::vector<Pattern> exclude; ///< RE2, searched in the name and in the full path
    /// Output names (`out`, `dev`, `lib`, ...), read from the store path's name; empty: all.
    std::vector<std::string> outputs;
    DerivationSelection derivations = DerivationSelection::Exclude;
};

/// A set of store paths named by name patterns or exactly by store path.
struct PathSet {
    std::vector<Pattern> names;     ///< RE2, searched in the name of the candidate
    std::vector<std::string> paths; ///< full store paths or base names, compared exactly
};

/// forbid-requisites / forbid-references: no requisite (or direct reference) may be in the set.
struct ForbidCheck {
    bool transitive = true; ///< requisites (the closure) rather than direct references
    PathSet forbidden;
    /// Whether the checked path itself is a candidate: for references, when it refers to
    /// itself; for requisites, always (the closure holds the path). Nix's default: true for
    /// references, false for requisites (its ignoreSelfRefs); see docs/rules.md.
    bool includeSelf = false;
};

/// allow-only-requisites / allow-only-references: every requisite (or reference) must be in
/// the set; the checked path itself counts only with `includeSelf`, as for ForbidCheck.
struct AllowOnlyCheck {
    bool transitive = true;
    PathSet allowed;
    bool includeSelf = false; ///< as ForbidCheck::includeSelf
};

/// max-closure-size, max-closure-paths, max-size.
struct LimitCheck {
    enum class Kind { ClosureSize, ClosurePaths, Size };
    Kind kind = Kind::ClosureSize;
    uint64_t limit = 0; ///< bytes (sizes are NAR sizes) or a path count
};

/// forbid-content: no pattern may occur in the bytes of any file (or symlink target) of the
/// checked path.
struct ContentCheck {
    std::vector<Pattern> patterns;
    /// RE2 patterns over the file's path inside the store path; files matching one are
    /// skipped (e.g. documentation that may mention /usr/bin).
    std::vector<Pattern> skipFiles;
};

/// store-permissions: the store dir's mode and ownership, and the metadata of every entry
/// of the checked paths, as canonicalisation leaves it.
struct PermissionsCheck {
    std::optional<unsigned> storeDirMode; ///< e.g. 01735
    std::optional<std::string> storeDirOwner;
    std::optional<std::string> storeDirGroup;
    bool noWorldWritable = true;
    bool noSetuid = true;             ///< neither setuid nor setgid nor sticky on entries
    bool canonicalMtime = true;       ///< every entry's mtime is 1
    bool canonicalModes = true;       ///< files 0444 / 0555, directories 0555
    std::optional<std::string> owner; ///< user that must own every entry
    std::optional<std::string> group; ///< group that must own every entry
};

using Check = std::variant<ForbidCheck, AllowOnlyCheck, LimitCheck, ContentCheck, PermissionsCheck>;

/// The YAML key naming `check`'s kind, e.g. "forbid-requisites".
std::string checkKindName(const Check& check);

/// One compiled rule. Immutable after loading; safe to share between threads.
struct Rule {
    std::string id;
    Severity severity = Severity::Error;
    /// The message template; placeholders: {rule}, {path}, {name}, {offender},
    /// {offender_name}, {size}, {limit}, {count}, {file}, {offset}, {match}.
    std::string message;
    std::string help;
    Selector match;
    Check check;
    SourceLocation location; ///< where `id` was written
};

/// A waiver: findings of rule `ruleId` on paths matching `path` are accepted, with `reason`,
/// until the end of day `expires` (UTC, YYYY-MM-DD).
struct Waiver {
    std::string ruleId;
    Pattern path;
    std::string reason;
    std::string expires; ///< YYYY-MM-DD
    SourceLocation location;
};

/// Everything loaded from one or more policy files. Immutable after loading.
struct Policy {
    std::vector<Rule> rules;
    std::vector<Waiver> waivers;
    std::vector<std::string> files; ///< the files it was loaded from, in order
};

} // namespace purist::rules
