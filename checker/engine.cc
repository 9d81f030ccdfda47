#include "checker/engine.h"

#include "base/directory.h"
#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/version.h"
#include "checker/content_scanner.h"
#include "checker/evidence.h"
#include "checker/path_walker.h"
#include "checker/waivers.h"
#include "store/hash.h"
#include "store/ref_graph.h"

#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <deque>
#include <fcntl.h>
#include <grp.h>
#include <map>
#include <optional>
#include <pwd.h>
#include <span>
#include <unistd.h>
#include <unordered_map>

namespace purist::checker {

using rules::AllowOnlyCheck;
using rules::ContentCheck;
using rules::ForbidCheck;
using rules::LimitCheck;
using rules::PermissionsCheck;
using rules::Rule;

reports::Severity reportSeverity(rules::Severity severity) {
    switch (severity) {
    case rules::Severity::Info:
        return reports::Severity::Info;
    case rules::Severity::Warning:
        return reports::Severity::Warning;
    case rules::Severity::Error:
        return reports::Severity::Error;
    }
    return reports::Severity::Error;
}

std::string todayUtc() {
    std::time_t now = std::time(nullptr);
    std::tm tm{};
    if (!::gmtime_r(&now, &tm)) throw SysError("gmtime_r");
    char buffer[16];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%d", &tm);
    return buffer;
}

namespace {

std::string baseNameOf(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

namespace {

/// A store path's name without its hash and version; other strings unchanged.
std::string stableNameOf(const std::string& path) {
    std::string_view name = storePathName(path);
    return name == path ? path : nameWithoutVersion(name);
}

/// A spec check's rule id, `spec/<spec name>/<check>`, names the spec with its version.
std::string stableRuleIdOf(const std::string& ruleId) {
    if (!ruleId.starts_with("spec/")) return ruleId;
    size_t slash = ruleId.find('/', 5);
    if (slash == std::string::npos) return ruleId;
    return "spec/" + nameWithoutVersion(std::string_view(ruleId).substr(5, slash - 5)) +
           ruleId.substr(slash);
}

} // namespace

std::string fingerprintOf(const std::string& ruleId, const std::string& path,
                          const std::string& offender) {
    std::string key =
        stableRuleIdOf(ruleId) + '\0' + stableNameOf(path) + '\0' + stableNameOf(offender);
    return hashString(HashAlgorithm::Sha256, key).toHex().substr(0, 32);
}

std::string legacyFingerprintOf(const std::string& ruleId, const std::string& path,
                                const std::string& offender) {
    std::string key = ruleId + '\0' + std::string(storePathName(path)) + '\0' +
                      std::string(storePathName(offender));
    return hashString(HashAlgorithm::Sha256, key).toHex().substr(0, 32);
}

std::string formatMessage(const std::string& templ,
                          const std::vector<std::pair<std::string, std::string>>& values) {
    std::string out;
    out.reserve(templ.size() + 64);
    for (size_t i = 0; i < templ.size();) {
        if (templ[i] == '{') {
            size_t close = templ.find('}', i);
            if (close != std::string::npos) {
                std::string_view name(templ.data() + i + 1, close - i - 1);
                auto it = std::find_if(values.begin(), values.end(),
                                       [&](const auto& v) { return v.first == name; });
                if (it != values.end()) {
                    out += it->second;
                    i = close + 1;
                    continue;
                }
            }
        }
        out += templ[i++];
    }
    return out;
}

namespace {

/// Output names Nix gives non-default outputs; a path named `<name>-<one of these>` is that
/// output, anything else is `out`.
const std::set<std::string>& knownOutputNames() {
    static const std::set<std::string> names = {"bin",    "dev",   "lib",    "doc",  "man", "info",
                                                "static", "debug", "devdoc", "dist", "data"};
    return names;
}

std::string outputNameOf(std::string_view name, const std::vector<std::string>& wanted) {
    size_t dash = name.rfind('-');
    if (dash == std::string_view::npos) return "out";
    std::string suffix(name.substr(dash + 1));
    if (knownOutputNames().count(suffix) ||
        std::find(wanted.begin(), wanted.end(), suffix) != wanted.end())
        return suffix;
    return "out";
}

} // namespace

std::string nameWithoutVersion(std::string_view name) {
    std::string_view suffix;
    if (name.ends_with(".drv")) {
        suffix = ".drv";
        name.remove_suffix(suffix.size());
    }
    // Nix's DrvName: the version starts after the first '-' that is not followed by a letter.
    size_t dash = 0;
    while ((dash = name.find('-', dash)) != std::string_view::npos) {
        if (dash + 1 < name.size() && !std::isalpha(static_cast<unsigned char>(name[dash + 1])))
            break;
        ++dash;
    }
    if (dash == std::string_view::npos) return std::string(name) + std::string(suffix);
    std::string stable(name.substr(0, dash));
    // `hello-2.12-dev` is hello's dev output, a different path from `hello-2.12`.
    size_t last = name.rfind('-');
    if (last > dash && knownOutputNames().count(std::string(name.substr(last + 1))))
        stable += name.substr(last);
    return stable + std::string(suffix);
}

namespace {

/// RE2::Sets over one kind of string, remembering which rule each pattern belongs to.
///
/// More than one set because RE2 compiles a set as one regexp under a fixed budget
/// (rules::kMaxCombinedCost says why and how much): a policy listing a million names
/// filled stderr with RE2's log lines and failed. One set holds any policy a person
/// writes; a million names make about seventy.
class RuleSet {
public:
    void add(const rules::Pattern& pattern, size_t rule) {
        size_t cost = rules::combinedCost(pattern.source);
        if (sets_.empty() || sets_.back().cost + cost > rules::kMaxCombinedCost)
            sets_.emplace_back();
        Shard& shard = sets_.back();
        std::string error;
        if (shard.set.Add(pattern.source, &error) < 0)
            throw ConfigError("", "bad RE2 pattern '" + pattern.source + "': " + error);
        shard.owners.push_back(rule);
        shard.cost += cost;
    }
    void compile() {
        for (Shard& shard : sets_)
            if (!shard.set.Compile())
                throw ConfigError("", "the policy's patterns need more than RE2's " +
                                          std::to_string(kMaxMem >> 20) + " MiB to compile (" +
                                          std::to_string(shard.owners.size()) +
                                          " patterns in one set)");
    }
    bool empty() const { return sets_.empty(); }
    /// Calls `hit(rule)` for each pattern that matches `text` (a rule may come twice).
    /// Throws Error if RE2 runs out of memory: a pattern it could not try must not read as
    /// one that did not match.
    template <typename F>
    void match(std::string_view text, std::vector<int>& scratch, F hit) const {
        for (const Shard& shard : sets_) {
            scratch.clear();
            re2::RE2::Set::ErrorInfo info{};
            if (!shard.set.Match(re2::StringPiece(text.data(), text.size()), &scratch, &info)) {
                if (info.kind != re2::RE2::Set::kNoError)
                    throw Error("RE2 could not match the policy's patterns against '" +
                                std::string(text) + "' (" + describe(info.kind) + ")");
                continue;
            }
            for (int index : scratch)
                hit(shard.owners[static_cast<size_t>(index)]);
        }
    }

private:
    static constexpr int64_t kMaxMem = 64 << 20;
    static re2::RE2::Options options() {
        re2::RE2::Options o;
        o.set_log_errors(false);
        o.set_max_mem(kMaxMem);
        return o;
    }
    static std::string describe(re2::RE2::Set::ErrorKind kind) {
        switch (kind) {
        case re2::RE2::Set::kOutOfMemory:
            return "out of memory: more than " + std::to_string(kMaxMem >> 20) + " MiB";
        case re2::RE2::Set::kNotCompiled:
            return "not compiled";
        default:
            return "inconsistent result";
        }
    }
    struct Shard {
        re2::RE2::Set set{options(), re2::RE2::UNANCHORED};
        std::vector<size_t> owners;
        size_t cost = 0;
    };
    // A deque: a Set is neither copyable nor movable.
    std::deque<Shard> sets_;
};

/// A bitmap over graph nodes.
using NodeBits = std::vector<bool>;

} // namespace

struct Checker::Impl {
    const rules::Policy& policy;
    StoreView store;
    const RefGraph& graph;

    RuleSet selectNames, selectPaths, excludeSet, offenderNames;
    std::vector<bool> selectsAll; // rule has neither names nor paths in `match`
    std::unordered_map<std::string, std::vector<size_t>> offenderPaths; // base name → rules
    std::vector<bool> usesPathSet;                                      // forbid / allow-only rules

    std::unique_ptr<ContentScanner> content;
    std::vector<size_t> patternRule;               // content pattern → rule
    std::vector<std::vector<size_t>> rulePatterns; // rule → content patterns

    // Lazily computed, for the whole graph.
    bool membersComputed = false;
    std::vector<NodeBits> member;                   // rule → node is in the rule's path set
    std::vector<std::unique_ptr<NodeBits>> reaches; // rule → node reaches a violator
    std::optional<ReferrerIndex> referrers;

    // The closure of the path being checked, breadth-first from it (with shortest chains
    // back to it in `walk`), or the path alone when its closure is not needed.
    BreadthFirstWalk walk;
    std::vector<uint32_t> self{0};
    std::span<const uint32_t> closureOrder;

    std::vector<int> scratch;
    std::map<uid_t, std::string> userNames;
    std::map<gid_t, std::string> groupNames;

    Impl(const rules::Policy& p, StoreView s)
        : policy(p), store(std::move(s)), graph(*store.graph), walk(graph.size(), true) {
        const auto& rules = policy.rules;
        selectsAll.resize(rules.size());
        usesPathSet.resize(rules.size());
        rulePatterns.resize(rules.size());
        std::vector<std::string> contentSources;
        for (size_t r = 0; r < rules.size(); ++r) {
            const Rule& rule = rules[r];
            for (const auto& pattern : rule.match.names)
                selectNames.add(pattern, r);
            for (const auto& pattern : rule.match.paths)
                selectPaths.add(pattern, r);
            for (const auto& pattern : rule.match.exclude)
                excludeSet.add(pattern, r);
            selectsAll[r] = rule.match.names.empty() && rule.match.paths.empty();
            const rules::PathSet* set = nullptr;
            if (auto* f = std::get_if<ForbidCheck>(&rule.check)) set = &f->forbidden;
            if (auto* a = std::get_if<AllowOnlyCheck>(&rule.check)) set = &a->allowed;
            if (set) {
                usesPathSet[r] = true;
                for (const auto& pattern : set->names)
                    offenderNames.add(pattern, r);
                for (const auto& path : set->paths)
                    offenderPaths[baseNameOf(path)].push_back(r);
            }
            if (auto* c = std::get_if<ContentCheck>(&rule.check)) {
                for (const auto& pattern : c->patterns) {
                    rulePatterns[r].push_back(contentSources.size());
                    patternRule.push_back(r);
                    contentSources.push_back(pattern.source);
                }
            }
        }
        selectNames.compile();
        selectPaths.compile();
        excludeSet.compile();
        offenderNames.compile();
        if (!contentSources.empty()) content = std::make_unique<ContentScanner>(contentSources);
        reaches.resize(rules.size());
    }

    std::string printPath(uint32_t node) const {
        return store.storeDir + "/" + graph.paths[node].baseName();
    }
    std::string realPath(uint32_t node) const {
        return store.realPathOf(graph.paths[node].baseName());
    }

    /// Rules whose selector picks `node`, in policy order.
    std::vector<size_t> selectedRules(uint32_t node) {
        const auto& rules = policy.rules;
        std::vector<bool> chosen(selectsAll);
        std::string_view name = graph.paths[node].name();
        std::string full = printPath(node);
        selectNames.match(name, scratch, [&](size_t r) { chosen[r] = true; });
        selectPaths.match(full, scratch, [&](size_t r) { chosen[r] = true; });
        excludeSet.match(name, scratch, [&](size_t r) { chosen[r] = false; });
        excludeSet.match(full, scratch, [&](size_t r) { chosen[r] = false; });
        bool derivation = graph.paths[node].isDerivation();
        std::vector<size_t> result;
        for (size_t r = 0; r < rules.size(); ++r) {
            if (!chosen[r]) continue;
            // Derivations only where the rule asks (rules::DerivationSelection says why).
            auto which = rules[r].match.derivations;
            if (derivation ? which == rules::DerivationSelection::Exclude
                           : which == rules::DerivationSelection::Only)
                continue;
            const auto& outputs = rules[r].match.outputs;
            if (!outputs.empty() && std::find(outputs.begin(), outputs.end(),
                                              outputNameOf(name, outputs)) == outputs.end())
                continue;
            result.push_back(r);
        }
        return result;
    }

    /// One pass of the offender RE2 set over every node's name.
    void computeMembers() {
        if (membersComputed) return;
        membersComputed = true;
        member.assign(policy.rules.size(), NodeBits());
        for (size_t r = 0; r < policy.rules.size(); ++r)
            if (usesPathSet[r]) member[r].assign(graph.size(), false);
        for (uint32_t n = 0; n < graph.size(); ++n) {
            offenderNames.match(graph.paths[n].name(), scratch,
                                [&](size_t r) { member[r][n] = true; });
            if (!offenderPaths.empty()) {
                auto it = offenderPaths.find(graph.paths[n].baseName());
                if (it != offenderPaths.end())
                    for (size_t r : it->second)
                        member[r][n] = true;
            }
        }
    }

    bool violates(size_t r, uint32_t node) const {
        bool in = member[r][node];
        return std::holds_alternative<ForbidCheck>(policy.rules[r].check) ? in : !in;
    }

    /// Nodes with a path of one or more references to a node that violates rule `r`: one
    /// backward breadth-first pass from all violators at once, O(nodes + references).
    const NodeBits& reachesViolator(size_t r) {
        if (reaches[r]) return *reaches[r];
        computeMembers();
        if (!referrers) referrers.emplace(graph);
        std::vector<uint32_t> violators;
        for (uint32_t n = 0; n < graph.size(); ++n)
            if (violates(r, n)) violators.push_back(n);
        BreadthFirstWalk back(graph.size());
        back.run(referrers->edges(), violators);
        auto bits = std::make_unique<NodeBits>(graph.size(), false);
        // Every node the walk reached from a violator refers to it through one or more
        // references; a violator itself reaches one only if it refers to another node the
        // walk reached (its reference to itself does not count).
        const std::vector<uint32_t>& reached = back.order();
        for (size_t k = violators.size(); k < reached.size(); ++k)
            (*bits)[reached[k]] = true;
        for (uint32_t v : violators)
            for (uint32_t target : referencesOf(graph).of(v))
                if (target != v && back.visited(target)) {
                    (*bits)[v] = true;
                    break;
                }
        reaches[r] = std::move(bits);
        return *reaches[r];
    }

    /// Breadth-first closure of `root` into closureOrder (root first), with parent links,
    /// so the chain to any member is a shortest one.
    void computeClosure(uint32_t root) {
        uint32_t roots[] = {root};
        walk.run(referencesOf(graph), roots);
        closureOrder = walk.order();
    }

    /// closureOrder is `node` alone.
    void closureIsSelf(uint32_t node) {
        self[0] = node;
        closureOrder = self;
    }

    std::vector<reports::ChainHop> chainTo(uint32_t root, uint32_t target) const {
        std::vector<reports::ChainHop> chain;
        for (uint32_t n = target; n != root; n = walk.parent(n))
            chain.push_back(reports::ChainHop{printPath(walk.parent(n)), printPath(n), "", 0, ""});
        std::reverse(chain.begin(), chain.end());
        return chain;
    }

    reports::Finding makeFinding(size_t r, uint32_t node, const std::string& offender,
                                 std::vector<std::pair<std::string, std::string>> values) const {
        const Rule& rule = policy.rules[r];
        reports::Finding finding;
        finding.ruleId = rule.id;
        finding.severity = reportSeverity(rule.severity);
        finding.help = rule.help;
        finding.path = printPath(node);
        finding.offender = offender;
        values.emplace_back("rule", rule.id);
        values.emplace_back("path", finding.path);
        values.emplace_back("name", std::string(graph.paths[node].name()));
        values.emplace_back("offender", offender);
        values.emplace_back("offender_name", storePathName(offender));
        finding.message = formatMessage(rule.message, values);
        finding.fingerprint = fingerprintOf(rule.id, finding.path, offender);
        return finding;
    }

    // Nix's checkOutputs: the references include the path's reference to itself; the
    // requisites (its closure) include the path itself. `includeSelf` false drops the path
    // from either set (Nix's ignoreSelfRefs, which it applies to requisites only).
    void checkPathSet(size_t r, uint32_t node, bool transitive, bool includeSelf,
                      std::vector<reports::Finding>& out) {
        computeMembers();
        if (!transitive) {
            for (uint32_t target : referencesOf(graph).of(node)) {
                if ((target == node && !includeSelf) || !violates(r, target)) continue;
                reports::Finding f = makeFinding(r, node, printPath(target), {});
                f.chain.push_back(reports::ChainHop{printPath(node), printPath(target), "", 0, ""});
                out.push_back(std::move(f));
            }
            return;
        }
        if (includeSelf && violates(r, node)) {
            // The path is its own requisite: no chain, or its reference to itself as one.
            reports::Finding f = makeFinding(r, node, printPath(node), {});
            for (uint32_t target : referencesOf(graph).of(node))
                if (target == node)
                    f.chain.push_back(
                        reports::ChainHop{printPath(node), printPath(node), "", 0, ""});
            out.push_back(std::move(f));
        }
        if (!reachesViolator(r)[node]) return;
        // closureOrder holds node's closure (computed by the caller when needed).
        for (size_t k = 1; k < closureOrder.size(); ++k) {
            uint32_t target = closureOrder[k];
            if (target == node || !violates(r, target)) continue;
            reports::Finding f = makeFinding(r, node, printPath(target), {});
            f.chain = chainTo(node, target);
            out.push_back(std::move(f));
        }
    }

    void checkLimit(size_t r, uint32_t node, const LimitCheck& check, uint64_t closureBytes,
                    std::vector<reports::Finding>& out) {
        uint64_t value = 0;
        switch (check.kind) {
        case LimitCheck::Kind::ClosureSize:
            value = closureBytes;
            break;
        case LimitCheck::Kind::ClosurePaths:
            value = closureOrder.size();
            break;
        case LimitCheck::Kind::Size:
            value = graph.narSizes[node];
            break;
        }
        if (value <= check.limit) return;
        std::string size = std::to_string(
            check.kind == LimitCheck::Kind::Size ? graph.narSizes[node] : closureBytes);
        reports::Finding f = makeFinding(r, node, "",
                                         {{"size", size},
                                          {"count", std::to_string(closureOrder.size())},
                                          {"limit", std::to_string(check.limit)}});
        if (check.kind != LimitCheck::Kind::Size) {
            // The largest members are where a maintainer starts cutting.
            // A linear pass keeping the five largest: no copy of the closure.
            std::array<uint32_t, 5> top{};
            size_t shown = 0;
            auto larger = [&](uint32_t a, uint32_t b) {
                return graph.narSizes[a] > graph.narSizes[b];
            };
            for (uint32_t m : closureOrder) {
                if (shown < top.size()) {
                    top[shown++] = m;
                    std::push_heap(top.begin(), top.begin() + shown, larger);
                } else if (larger(m, top.front())) {
                    std::pop_heap(top.begin(), top.end(), larger);
                    top.back() = m;
                    std::push_heap(top.begin(), top.end(), larger);
                }
            }
            std::sort_heap(top.begin(), top.begin() + shown, larger);
            for (size_t i = 0; i < shown; ++i)
                f.largest.push_back(
                    reports::SizedMember{printPath(top[i]), graph.narSizes[top[i]]});
        }
        out.push_back(std::move(f));
    }

    void checkContent(const std::vector<size_t>& contentRules, uint32_t node, size_t maxSites,
                      std::vector<reports::Finding>& out) {
        std::string root = realPath(node);
        // One finding per (rule, pattern), with the first hit in each file as a site.
        std::map<size_t, reports::Finding> byPattern;
        std::map<size_t, size_t> extraSites;
        std::vector<bool> active(content->size(), false);
        walkPath(root, [&](const WalkEntry& entry) {
            const std::string& file = entry.relativePath;
            const struct stat& st = entry.status;
            if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) return;
            std::fill(active.begin(), active.end(), false);
            bool any = false;
            for (size_t r : contentRules) {
                const auto& check = std::get<ContentCheck>(policy.rules[r].check);
                bool skipped = std::any_of(
                    check.skipFiles.begin(), check.skipFiles.end(),
                    [&](const rules::Pattern& p) { return re2::RE2::PartialMatch(file, *p.re); });
                if (skipped) continue;
                for (size_t p : rulePatterns[r])
                    active[p] = any = true;
            }
            if (!any) return;
            auto onHit = [&](const ContentHit& hit) {
                size_t r = patternRule[hit.pattern];
                auto it = byPattern.find(hit.pattern);
                if (it == byPattern.end()) {
                    reports::Finding f =
                        makeFinding(r, node, content->source(hit.pattern),
                                    {{"file", file.empty() ? graph.paths[node].baseName() : file},
                                     {"offset", std::to_string(hit.offset)},
                                     {"match", hit.match}});
                    it = byPattern.emplace(hit.pattern, std::move(f)).first;
                }
                if (it->second.sites.size() < maxSites)
                    it->second.sites.push_back(reports::ContentSite{file, hit.offset, hit.excerpt});
                else
                    ++extraSites[hit.pattern];
            };
            if (S_ISLNK(st.st_mode)) {
                content->scanBytes(readVisitedLink(entry), active, onHit);
            } else {
                FileDescriptor fd = openVisited(entry);
                content->scanFile(fd.get(), "'" + shownPath(entry.shownPath) + "'", active, onHit);
            }
        });
        for (auto& [pattern, finding] : byPattern) {
            if (size_t extra = extraSites[pattern])
                finding.message += " (and " + std::to_string(extra) + " more files)";
            out.push_back(std::move(finding));
        }
    }

    std::string userName(uid_t uid) {
        auto it = userNames.find(uid);
        if (it != userNames.end()) return it->second;
        struct passwd pw, *result = nullptr;
        std::vector<char> buffer(16384);
        std::string name = std::to_string(uid);
        if (::getpwuid_r(uid, &pw, buffer.data(), buffer.size(), &result) == 0 && result)
            name = pw.pw_name;
        return userNames[uid] = name;
    }

    std::string groupName(gid_t gid) {
        auto it = groupNames.find(gid);
        if (it != groupNames.end()) return it->second;
        struct group gr, *result = nullptr;
        std::vector<char> buffer(16384);
        std::string name = std::to_string(gid);
        if (::getgrgid_r(gid, &gr, buffer.data(), buffer.size(), &result) == 0 && result)
            name = gr.gr_name;
        return groupNames[gid] = name;
    }

    static std::string octal(unsigned mode) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "%04o", mode);
        return buffer;
    }

    void checkPermissions(size_t r, uint32_t node, size_t maxSites,
                          std::vector<reports::Finding>& out) {
        const auto& check = std::get<PermissionsCheck>(policy.rules[r].check);
        bool entries = check.noWorldWritable || check.noSetuid || check.canonicalMtime ||
                       check.canonicalModes || check.owner || check.group;
        if (!entries) return;
        // problem → sites, in a fixed order so reports are stable.
        std::map<std::string, std::vector<reports::ContentSite>> problems;
        std::map<std::string, size_t> extra;
        auto note = [&](const std::string& problem, const std::string& file,
                        const std::string& what) {
            auto& sites = problems[problem];
            if (sites.size() < maxSites)
                sites.push_back(reports::ContentSite{file, 0, what});
            else
                ++extra[problem];
        };
        walkPath(realPath(node), [&](const WalkEntry& entry) {
            const std::string& file = entry.relativePath;
            const struct stat& st = entry.status;
            bool link = S_ISLNK(st.st_mode);
            unsigned mode = st.st_mode & 07777;
            if (!link && check.noWorldWritable && (mode & S_IWOTH))
                note("world-writable entries", file, "mode " + octal(mode));
            if (!link && check.noSetuid && (mode & (S_ISUID | S_ISGID | S_ISVTX)))
                note("setuid, setgid or sticky entries", file, "mode " + octal(mode));
            if (check.canonicalMtime && st.st_mtime != 1)
                note("entries whose mtime is not 1", file, "mtime " + std::to_string(st.st_mtime));
            if (!link && check.canonicalModes) {
                bool ok = S_ISDIR(st.st_mode) ? mode == 0555 : (mode == 0444 || mode == 0555);
                if (!ok)
                    note("entries whose mode is not canonical (0444, 0555)", file,
                         "mode " + octal(mode));
            }
            if (check.owner && userName(st.st_uid) != *check.owner)
                note("entries not owned by " + *check.owner, file, "owner " + userName(st.st_uid));
            if (check.group && groupName(st.st_gid) != *check.group)
                note("entries not in group " + *check.group, file, "group " + groupName(st.st_gid));
        });
        for (auto& [problem, sites] : problems) {
            reports::Finding f =
                makeFinding(r, node, problem,
                            {{"file", sites.front().file},
                             {"count", std::to_string(sites.size() + extra[problem])}});
            if (extra[problem])
                f.message += " (and " + std::to_string(extra[problem]) + " more entries)";
            f.sites = std::move(sites);
            out.push_back(std::move(f));
        }
    }

    void checkStoreDir(size_t r, std::vector<reports::Finding>& out) {
        const auto& check = std::get<PermissionsCheck>(policy.rules[r].check);
        if (!check.storeDirMode && !check.storeDirOwner && !check.storeDirGroup) return;
        struct stat st;
        if (::stat(store.realStoreDir.c_str(), &st) != 0)
            throw SysError("reading the metadata of the store dir '" + store.realStoreDir + "'");
        const Rule& rule = policy.rules[r];
        auto add = [&](const std::string& problem, const std::string& actual) {
            reports::Finding f;
            f.ruleId = rule.id;
            f.severity = reportSeverity(rule.severity);
            f.help = rule.help;
            f.path = store.storeDir;
            f.offender = problem;
            f.message = formatMessage(rule.message, {{"rule", rule.id},
                                                     {"path", store.storeDir},
                                                     {"name", baseNameOf(store.storeDir)},
                                                     {"offender", problem},
                                                     {"offender_name", problem}});
            f.sites.push_back(reports::ContentSite{"", 0, actual});
            f.fingerprint = fingerprintOf(rule.id, store.storeDir, problem);
            out.push_back(std::move(f));
        };
        unsigned mode = st.st_mode & 07777;
        if (check.storeDirMode && mode != *check.storeDirMode)
            add("store dir mode is " + octal(mode) + ", expected " + octal(*check.storeDirMode),
                "mode " + octal(mode));
        if (check.storeDirOwner && userName(st.st_uid) != *check.storeDirOwner)
            add("store dir owner is " + userName(st.st_uid) + ", expected " + *check.storeDirOwner,
                "owner " + userName(st.st_uid));
        if (check.storeDirGroup && groupName(st.st_gid) != *check.storeDirGroup)
            add("store dir group is " + groupName(st.st_gid) + ", expected " + *check.storeDirGroup,
                "group " + groupName(st.st_gid));
    }

    /// Fills file, offset and excerpt of every hop, scanning each referrer once for all
    /// the hash parts asked of it.
    void addEvidence(std::vector<reports::Finding>& findings) {
        std::map<std::string, std::set<std::string>> wanted; // referrer → hash parts
        for (const auto& f : findings)
            for (const auto& hop : f.chain)
                wanted[hop.from].insert(baseNameOf(hop.to).substr(0, 32));
        std::map<std::string, std::map<std::string, ReferenceEvidence>> found;
        for (const auto& [from, hashParts] : wanted) {
            std::string real = store.realPathOf(baseNameOf(from));
            found[from] = locateReferences(
                real, std::vector<std::string>(hashParts.begin(), hashParts.end()));
        }
        for (auto& f : findings)
            for (auto& hop : f.chain) {
                const auto& sites = found[hop.from];
                auto it = sites.find(baseNameOf(hop.to).substr(0, 32));
                if (it == sites.end()) continue;
                hop.file = it->second.file;
                hop.offset = it->second.offset;
                hop.excerpt = it->second.excerpt;
            }
    }
};

Checker::Checker(const rules::Policy& policy, StoreView store)
    : impl_(std::make_unique<Impl>(policy, std::move(store))) {}

Checker::~Checker() = default;

reports::Report Checker::check(const std::vector<uint32_t>& nodes, const CheckOptions& options) {
    Impl& im = *impl_;
    const auto& rules = im.policy.rules;
    reports::Report report;
    report.toolVersion = kVersion;
    report.startedAt = reports::nowRfc3339();
    report.storeDir = im.store.storeDir;
    report.policyFiles = im.policy.files;
    report.failOn = options.failOn;
    for (const auto& rule : rules)
        report.rules.push_back(reports::RuleInfo{rule.id, reportSeverity(rule.severity),
                                                 rule.message, rule.help, rule.location.file,
                                                 rule.location.line});

    std::vector<reports::Finding> findings;
    std::vector<bool> storeDirChecked(rules.size(), false);
    report.checked.reserve(nodes.size());
    // Every checked path's closure size is reported, whether or not a rule needed it. When
    // most of the graph is checked (an audit), one sweep over the whole graph
    // (closureSizes) is cheaper than a walk per path; for a few paths, the walks are.
    std::vector<ClosureSize> allSizes;
    if (!options.closures && nodes.size() * 8 >= im.graph.size() && !nodes.empty())
        allSizes = closureSizes(im.graph);
    size_t done = 0;
    for (uint32_t node : nodes) {
        if (node >= im.graph.size())
            throw StoreError("node " + std::to_string(node) + " is not in the graph");
        std::vector<size_t> selected = im.selectedRules(node);
        bool needClosure = options.closures;
        std::vector<size_t> contentRules;
        for (size_t r : selected) {
            const auto& check = rules[r].check;
            if (auto* l = std::get_if<LimitCheck>(&check))
                needClosure |= l->kind != LimitCheck::Kind::Size;
            if (auto* f = std::get_if<ForbidCheck>(&check); f && f->transitive)
                needClosure |= static_cast<bool>(im.reachesViolator(r)[node]);
            if (auto* a = std::get_if<AllowOnlyCheck>(&check); a && a->transitive)
                needClosure |= static_cast<bool>(im.reachesViolator(r)[node]);
        }
        uint64_t closureBytes = 0, closurePaths = 0;
        if (needClosure || allSizes.empty()) {
            im.computeClosure(node);
            for (uint32_t m : im.closureOrder)
                closureBytes += im.graph.narSizes[m];
            closurePaths = im.closureOrder.size();
        } else {
            im.closureIsSelf(node);
            closureBytes = allSizes[node].narSize;
            closurePaths = allSizes[node].paths;
        }
        for (size_t r : selected) {
            const auto& check = rules[r].check;
            if (auto* f = std::get_if<ForbidCheck>(&check))
                im.checkPathSet(r, node, f->transitive, f->includeSelf, findings);
            if (auto* a = std::get_if<AllowOnlyCheck>(&check))
                im.checkPathSet(r, node, a->transitive, a->includeSelf, findings);
            if (auto* l = std::get_if<LimitCheck>(&check))
                im.checkLimit(r, node, *l, closureBytes, findings);
            if (std::holds_alternative<ContentCheck>(check)) contentRules.push_back(r);
            if (std::holds_alternative<PermissionsCheck>(check)) {
                if (!storeDirChecked[r]) {
                    storeDirChecked[r] = true;
                    im.checkStoreDir(r, findings);
                }
                im.checkPermissions(r, node, options.maxSites, findings);
            }
        }
        if (!contentRules.empty()) im.checkContent(contentRules, node, options.maxSites, findings);

        reports::CheckedPath checked;
        checked.path = im.printPath(node);
        checked.narSize = im.graph.narSizes[node];
        checked.closureSize = closureBytes;
        checked.closurePaths = closurePaths;
        checked.rules.assign(selected.begin(), selected.end());
        if (options.closures) {
            for (uint32_t m : im.closureOrder) {
                reports::ClosureMember member{im.printPath(m), im.graph.narSizes[m], {}};
                for (uint32_t target : referencesOf(im.graph).of(m))
                    member.references.push_back(im.printPath(target));
                checked.closure.push_back(std::move(member));
            }
        }
        report.checked.push_back(std::move(checked));
        if (options.progress) options.progress(++done, nodes.size());
    }
    if (options.evidence) im.addEvidence(findings);

    std::string today = options.today.empty() ? todayUtc() : options.today;
    if (applyWaivers(im.policy.waivers, today, findings))
        report.rules.push_back(expiredWaiverRuleInfo());
    for (auto& f : findings)
        f.inBaseline = baselineCovers(options.baseline, f);

    // Sort through an index, so each rule id is looked up once rather than per comparison.
    std::unordered_map<std::string, size_t> ruleOrder;
    for (size_t i = 0; i < report.rules.size(); ++i)
        ruleOrder.emplace(report.rules[i].id, i);
    std::vector<std::pair<size_t, size_t>> order; // (rule position, finding)
    order.reserve(findings.size());
    for (size_t i = 0; i < findings.size(); ++i)
        order.emplace_back(ruleOrder.at(findings[i].ruleId), i);
    std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first < b.first;
        const reports::Finding& fa = findings[a.second];
        const reports::Finding& fb = findings[b.second];
        if (fa.path != fb.path) return fa.path < fb.path;
        return fa.offender < fb.offender;
    });
    std::vector<reports::Finding> sorted;
    sorted.reserve(findings.size());
    for (const auto& [rule, index] : order)
        sorted.push_back(std::move(findings[index]));
    findings = std::move(sorted);
    report.findings = std::move(findings);
    return report;
}

} // namespace purist::checker
