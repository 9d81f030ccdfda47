#include "checker/why.h"

#include "checker/evidence.h"
#include "checker/path_walker.h"
#include "store/ref_graph.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <memory>
#include <set>

namespace purist::checker {

namespace {

std::string baseNameOf(const std::string& path) {
    return path.substr(path.rfind('/') + 1);
}

struct Walker {
    const RefGraph& graph;
    const StoreView& store;
    uint32_t to;
    size_t limit;
    std::vector<bool> canReach, onStack;
    std::vector<uint32_t> stack;
    WhyResult& result;

    std::string print(uint32_t n) const { return store.storeDir + "/" + graph.paths[n].baseName(); }

    // Depth-first over nodes that can reach `to`, so no branch is explored in vain.
    void visit(uint32_t n) {
        if (result.truncated) return;
        if (n == to) {
            if (result.chains.size() >= limit) {
                result.truncated = true;
                return;
            }
            std::vector<reports::ChainHop> chain;
            for (size_t i = 0; i + 1 < stack.size(); ++i)
                chain.push_back(reports::ChainHop{print(stack[i]), print(stack[i + 1]), "", 0, ""});
            result.chains.push_back(std::move(chain));
            return;
        }
        for (uint32_t m : referencesOf(graph).of(n)) {
            if (m == n || !canReach[m] || onStack[m]) continue;
            onStack[m] = true;
            stack.push_back(m);
            visit(m);
            stack.pop_back();
            onStack[m] = false;
        }
    }
};

// Every further file of `referrer` holding one of `parts`: each regular file and symlink
// is scanned on its own (one read of the tree in all), its first hit being its site.
void addMoreSites(const StoreView& store, const std::string& referrer,
                  const std::set<std::string>& parts,
                  const std::map<std::string, ReferenceEvidence>& first, size_t maxSites,
                  WhyResult& result) {
    const std::string root = store.realPathOf(baseNameOf(referrer));
    struct stat st;
    if (::lstat(root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return; // one file: one site
    std::set<std::string> open(parts.begin(), parts.end()); // parts still below the bound
    std::map<std::string, std::string> target;              // hash part -> printed path
    for (const auto& chain : result.chains)
        for (const auto& hop : chain)
            if (hop.from == referrer) target[baseNameOf(hop.to).substr(0, 32)] = hop.to;
    // Once every reference has its bound, the rest of the tree is not read.
    struct Done {};
    try {
        walkPath(root, [&](const WalkEntry& entry) {
            if (!S_ISREG(entry.status.st_mode) && !S_ISLNK(entry.status.st_mode)) return;
            const std::string& file = entry.relativePath;
            const std::vector<std::string> list(open.begin(), open.end());
            for (auto& [part, evidence] : locateReferences(root + "/" + file, list)) {
                auto key = std::make_pair(referrer, target[part]);
                auto f = first.find(part);
                if (f != first.end() && f->second.file == file) continue; // the hop's own site
                auto& more = result.moreSites[key];
                if (more.size() + 1 >= maxSites) {
                    result.sitesTruncated.insert(key);
                    open.erase(part);
                    continue;
                }
                more.push_back(reports::ChainHop{referrer, key.second, file, evidence.offset,
                                                 evidence.excerpt});
            }
            if (open.empty()) throw Done{};
        });
    } catch (const Done&) {
    }
}

} // namespace

WhyResult whyDepends(const StoreView& store, uint32_t from, uint32_t to, bool all, size_t limit,
                     bool evidence, size_t maxSites) {
    const RefGraph& graph = *store.graph;
    WhyResult result;
    result.root = store.storeDir + "/" + graph.paths[from].baseName();
    if (from == to) {
        // Nix counts a path in its own closure: the answer is its reference to itself
        // (with the file that holds it), or the path alone.
        std::vector<reports::ChainHop> chain;
        for (uint32_t target : referencesOf(graph).of(from))
            if (target == from)
                chain.push_back(reports::ChainHop{result.root, result.root, "", 0, ""});
        result.chains.push_back(std::move(chain));
    } else if (!all) {
        BreadthFirstWalk walk(graph.size(), true);
        uint32_t roots[] = {from};
        walk.run(referencesOf(graph), roots, to);
        if (!walk.visited(to)) return result;
        std::vector<reports::ChainHop> chain;
        for (uint32_t n = to; n != from; n = walk.parent(n))
            chain.push_back(
                reports::ChainHop{store.storeDir + "/" + graph.paths[walk.parent(n)].baseName(),
                                  store.storeDir + "/" + graph.paths[n].baseName(), "", 0, ""});
        std::reverse(chain.begin(), chain.end());
        result.chains.push_back(std::move(chain));
    } else {
        // Nodes from which `to` is reachable: a backward pass over the edges.
        BreadthFirstWalk back(graph.size());
        uint32_t roots[] = {to};
        back.run(ReferrerIndex(graph).edges(), roots);
        std::vector<bool> canReach(graph.size(), false);
        for (uint32_t n : back.order())
            canReach[n] = true;
        if (!canReach[from]) return result;
        Walker walker{
            graph,  store, to, limit, std::move(canReach), std::vector<bool>(graph.size(), false),
            {from}, result};
        walker.onStack[from] = true;
        walker.visit(from);
        std::stable_sort(result.chains.begin(), result.chains.end(),
                         [](const auto& a, const auto& b) { return a.size() < b.size(); });
    }
    if (evidence) {
        std::map<std::string, std::set<std::string>> wanted;
        for (const auto& chain : result.chains)
            for (const auto& hop : chain)
                wanted[hop.from].insert(baseNameOf(hop.to).substr(0, 32));
        std::map<std::string, std::map<std::string, ReferenceEvidence>> found;
        for (const auto& [referrer, parts] : wanted)
            found[referrer] =
                locateReferences(store.realPathOf(baseNameOf(referrer)),
                                 std::vector<std::string>(parts.begin(), parts.end()));
        for (auto& chain : result.chains)
            for (auto& hop : chain) {
                auto& sites = found[hop.from];
                auto it = sites.find(baseNameOf(hop.to).substr(0, 32));
                if (it == sites.end()) continue;
                hop.file = it->second.file;
                hop.offset = it->second.offset;
                hop.excerpt = it->second.excerpt;
            }
        if (maxSites > 1)
            for (const auto& [referrer, parts] : wanted)
                addMoreSites(store, referrer, parts, found[referrer], maxSites, result);
    }
    return result;
}

namespace {

struct TreeNode {
    const reports::ChainHop* hop = nullptr; // the hop that leads here
    std::vector<std::pair<std::string, std::unique_ptr<TreeNode>>> children; // by target path
};

void draw(const TreeNode& node, const std::string& indent, const WhyResult& result,
          std::string& out) {
    for (size_t i = 0; i < node.children.size(); ++i) {
        bool last = i + 1 == node.children.size();
        const TreeNode& child = *node.children[i].second;
        const reports::ChainHop& hop = *child.hop;
        out += indent + (last ? "└───" : "├───");
        if (hop.file.empty() && hop.excerpt.empty())
            out += "(reference recorded in the store DB; not found in the files)";
        else
            out += (hop.file.empty() ? std::string(".") : hop.file) + " at byte " +
                   std::to_string(hop.offset) + ": …" + hop.excerpt + "…";
        out += "\n";
        std::string next = indent + (last ? "    " : "│   ");
        auto key = std::make_pair(hop.from, hop.to);
        auto more = result.moreSites.find(key);
        if (more != result.moreSites.end())
            for (const reports::ChainHop& site : more->second)
                out += next + "also " + site.file + " at byte " + std::to_string(site.offset) +
                       ": …" + site.excerpt + "…\n";
        if (result.sitesTruncated.count(key))
            out += next + "(more files hold it; raise --max-sites)\n";
        out += next + "→ " + hop.to + "\n";
        draw(child, next, result, out);
    }
}

} // namespace

std::string renderWhyTree(const WhyResult& result) {
    if (result.chains.empty()) return "";
    TreeNode root;
    for (const auto& chain : result.chains) {
        TreeNode* node = &root;
        for (const auto& hop : chain) {
            auto it = std::find_if(node->children.begin(), node->children.end(),
                                   [&](const auto& c) { return c.first == hop.to; });
            if (it == node->children.end()) {
                auto child = std::make_unique<TreeNode>();
                child->hop = &hop;
                node->children.emplace_back(hop.to, std::move(child));
                it = node->children.end() - 1;
            }
            node = it->second.get();
        }
    }
    std::string out = result.root + "\n";
    draw(root, "", result, out);
    if (result.truncated) out += "(more chains exist; the list stops here)\n";
    return out;
}

std::vector<uint32_t> closureMembersNamed(const RefGraph& graph, uint32_t from,
                                          std::string_view name) {
    uint32_t roots[] = {from};
    std::vector<uint32_t> exact, partial;
    for (uint32_t n : breadthFirstClosure(graph, roots)) {
        std::string_view member = graph.paths[n].name();
        if (member == name)
            exact.push_back(n);
        else if (member.find(name) != std::string_view::npos)
            partial.push_back(n);
    }
    return exact.empty() ? partial : exact;
}

} // namespace purist::checker
