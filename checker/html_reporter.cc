// The HTML audit report: one self-contained file (inline CSS, a few lines of inline JS,
// inline SVG; a Content-Security-Policy that forbids every network fetch), readable
// without a tool: the verdict and counts, findings grouped by rule with their chains, and
// each checked path's closure as a squarified treemap sized by NAR size.

#include "checker/escaping.h"
#include "checker/report_summary.h"
#include "checker/report_writers.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_map>
#include <unordered_set>

namespace purist::checker {

namespace {

/// Closures drawn, and members drawn per closure, before the rest is summarised: an audit
/// of a whole store must still give a file a browser opens.
constexpr size_t kMaxTreemaps = 50;
constexpr size_t kMaxTreemapMembers = 300;
constexpr size_t kMaxCheckedRows = 1000;
constexpr double kTreemapWidth = 1000;
constexpr double kTreemapHeight = 420;

constexpr std::string_view kStyle = R"css(
:root{--err:#c62828;--warn:#b26a00;--info:#1565c0;--ok:#2e7d32;--muted:#5f6b76;--line:#d8dee4}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 12px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:0}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px;word-break:break-all}
.meta{color:var(--muted);margin:2px 0}
.verdict{display:inline-block;font-weight:700;padding:4px 12px;border-radius:4px;color:#fff;margin:12px 0}
.verdict.fail{background:var(--err)}.verdict.pass{background:var(--ok)}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 16px;min-width:120px}
.card .n{font-size:24px;font-weight:700}.card .l{color:var(--muted)}
.card.error .n{color:var(--err)}.card.warning .n{color:var(--warn)}.card.info .n{color:var(--info)}
.filters{margin:12px 0;color:var(--muted)}.filters label{margin-right:14px}
.rule{background:#fff;border:1px solid var(--line);border-left:5px solid var(--muted);border-radius:6px;margin:14px 0;padding:12px 16px}
.rule.error{border-left-color:var(--err)}.rule.warning{border-left-color:var(--warn)}.rule.info{border-left-color:var(--info)}
.rule .desc{color:var(--muted);margin:4px 0 8px}
.badge{display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;padding:1px 6px;border-radius:3px;color:#fff;margin-right:6px;vertical-align:1px}
.badge.error{background:var(--err)}.badge.warning{background:var(--warn)}.badge.info{background:var(--info)}
.badge.waived,.badge.baseline{background:#8c959f}.badge.failing{background:#000}
.finding{border-top:1px solid var(--line);padding:8px 0}
.finding .msg{font-weight:600}
.chain,.sites{list-style:none;margin:6px 0 0;padding:0}
.chain li{margin:0;padding:2px 0 2px 18px;position:relative}
.chain li::before{content:"";position:absolute;left:6px;top:0;bottom:0;border-left:1px solid #b0b8c1}
.chain .node{font-weight:600}.chain .node.offender{color:var(--err)}
.chain .edge{color:var(--muted)}
.excerpt{background:#f3f4f6;border:1px solid var(--line);border-radius:3px;padding:0 4px;white-space:pre-wrap}
.sites li{padding:2px 0}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4}td.num{text-align:right;white-space:nowrap}
.closure{background:#fff;border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:14px 0}
.closure svg{width:100%;height:auto;display:block;margin-top:8px}
.legend{display:flex;gap:16px;flex-wrap:wrap;color:var(--muted);margin-top:6px}
.legend span.note::before{display:none}
.legend span::before{content:"";display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px;border:1px solid #8c959f;background:var(--c)}
body.hide-error .finding.error,body.hide-warning .finding.warning,body.hide-info .finding.info,
body.hide-waived .finding.waived,body.hide-baseline .finding.baseline{display:none}
)css";

// Each checkbox toggles a class on <body>; CSS hides the matching findings. Without
// JavaScript every finding stays visible.
constexpr std::string_view kScript = R"js(
document.querySelectorAll('input[data-hide]').forEach(function(box){
  box.addEventListener('change',function(){
    document.body.classList.toggle('hide-'+box.dataset.hide,!box.checked);});});
)js";

struct Colors {
    static constexpr const char* root = "#4c78a8";
    static constexpr const char* offender = "#d62728";
    static constexpr const char* waived = "#f2a7a7";
    static constexpr const char* chain = "#f28e2b";
    static constexpr const char* other = "#c9d6e3";
    static constexpr const char* rest = "#e8ecf0";
};

struct Box {
    double x = 0, y = 0, w = 0, h = 0;
};

/// Squarified treemap (Bruls, Huizing, van Wijk 2000): `areas` sorted largest first and
/// summing to the box's area; rows are laid along the shorter side, each grown while that
/// does not worsen its worst aspect ratio.
std::vector<Box> squarify(const std::vector<double>& areas, Box box) {
    std::vector<Box> placed(areas.size());
    size_t i = 0;
    while (i < areas.size()) {
        double side = std::min(box.w, box.h);
        if (side <= 0) break;
        auto worst = [&](size_t first, size_t last, double sum) {
            double s2 = sum * sum, side2 = side * side;
            return std::max(side2 * areas[first] / s2, s2 / (side2 * areas[last]));
        };
        size_t j = i;
        double sum = 0, best = INFINITY;
        while (j < areas.size()) {
            double ratio = worst(i, j, sum + areas[j]);
            if (j > i && ratio > best) break;
            best = ratio;
            sum += areas[j];
            ++j;
        }
        double thickness = sum / side;
        double along = 0;
        for (size_t k = i; k < j; ++k) {
            double length = areas[k] / thickness;
            if (box.w >= box.h)
                placed[k] = {box.x, box.y + along, thickness, length};
            else
                placed[k] = {box.x + along, box.y, length, thickness};
            along += length;
        }
        if (box.w >= box.h) {
            box.x += thickness;
            box.w -= thickness;
        } else {
            box.y += thickness;
            box.h -= thickness;
        }
        i = j;
    }
    return placed;
}

std::string number(double value) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f", value);
    return buffer;
}

class HtmlWriter {
public:
    HtmlWriter(const Report& report, ReportBuffer& buffer)
        : report_(report), buffer_(buffer), out_(buffer.text()) {}
    void write();

private:
    void esc(std::string_view text) { appendMarkupEscaped(out_, text); }
    void writeSummary(const ReportCounts& counts);
    void writeFindings();
    void writeFinding(const Finding& finding, const RuleInfo& rule);
    void writeWhere(std::string_view file, uint64_t offset, std::string_view excerpt);
    void writeHelp(std::string_view help);
    void writeChecked();
    void writeTreemap(const CheckedPath& checked);

    const Report& report_;
    ReportBuffer& buffer_;
    std::string& out_;
};

void HtmlWriter::write() {
    ReportCounts counts = countFindings(report_);
    out_ += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>purist report: ";
    out_ += counts.failing ? "FAIL" : "PASS";
    out_ += "</title>\n<style>";
    out_ += kStyle;
    out_ += "</style>\n</head>\n<body>\n<main>\n";
    writeSummary(counts);
    writeFindings();
    writeChecked();
    out_ += "</main>\n<script>";
    out_ += kScript;
    out_ += "</script>\n</body>\n</html>\n";
}

void HtmlWriter::writeSummary(const ReportCounts& counts) {
    out_ += "<h1>purist report</h1>\n<p class=\"meta\">purist ";
    esc(report_.toolVersion);
    if (!report_.startedAt.empty()) {
        out_ += " &middot; started ";
        esc(report_.startedAt);
    }
    if (!report_.storeDir.empty()) {
        out_ += " &middot; store <code>";
        esc(report_.storeDir);
        out_ += "</code>";
    }
    out_ += "</p>\n<p class=\"meta\">policy: ";
    if (report_.policyFiles.empty()) out_ += "(none)";
    for (size_t i = 0; i < report_.policyFiles.size(); ++i) {
        if (i) out_ += ", ";
        out_ += "<code>";
        esc(report_.policyFiles[i]);
        out_ += "</code>";
    }
    out_ += "</p>\n";
    bool fails = counts.failing > 0;
    out_ +=
        fails ? "<div class=\"verdict fail\">FAIL</div>" : "<div class=\"verdict pass\">PASS</div>";
    out_ += " <span class=\"meta\">" + countNoun(counts.failing, "finding", "findings") +
            " at or above <b>" + severityName(report_.failOn) + "</b> fail the run; " +
            countNoun(report_.checked.size(), "path", "paths") + " checked against " +
            countNoun(report_.rules.size(), "rule", "rules") + ".</span>\n";
    out_ += "<div class=\"cards\">\n";
    auto card = [&](const char* cls, size_t n, const char* label) {
        out_ += std::string("<div class=\"card ") + cls + "\"><div class=\"n\">" +
                std::to_string(n) + "</div><div class=\"l\">" + label + "</div></div>\n";
    };
    card("error", counts.errors, "errors");
    card("warning", counts.warnings, "warnings");
    card("info", counts.infos, "info");
    card("waived", counts.waived, "waived");
    card("baseline", counts.baseline, "in baseline");
    out_ += "</div>\n";
}

void HtmlWriter::writeHelp(std::string_view help) {
    if (help.empty()) return;
    if (help.starts_with("https://") || help.starts_with("http://")) {
        out_ += "<a href=\"";
        esc(help);
        out_ += "\" rel=\"noopener noreferrer\">";
        esc(help);
        out_ += "</a>";
    } else {
        esc(help);
    }
}

void HtmlWriter::writeFindings() {
    out_ += "<h2>Findings</h2>\n";
    if (report_.findings.empty()) {
        out_ += "<p>No findings.</p>\n";
        return;
    }
    out_ += "<div class=\"filters\">show: ";
    for (const char* kind : {"error", "warning", "info", "waived", "baseline"}) {
        out_ += std::string("<label><input type=\"checkbox\" checked data-hide=\"") + kind +
                "\"> " + kind + "</label>";
    }
    out_ += "</div>\n";
    for (const RuleGroup& group : groupFindingsByRule(report_)) {
        if (group.findings.empty()) continue;
        const char* severity = severityName(group.rule.severity);
        out_ += std::string("<section class=\"rule ") + severity + "\">\n<h3><span class=\"badge " +
                severity + "\">" + severity + "</span><code>";
        esc(group.rule.id);
        out_ += "</code> &middot; " + countNoun(group.findings.size(), "finding", "findings");
        out_ += "</h3>\n<div class=\"desc\">";
        esc(group.rule.message);
        if (!group.rule.help.empty()) {
            out_ += " &middot; ";
            writeHelp(group.rule.help);
        }
        if (!group.rule.sourceFile.empty()) {
            out_ += " &middot; <code>";
            esc(group.rule.sourceFile);
            if (group.rule.sourceLine > 0) out_ += ':' + std::to_string(group.rule.sourceLine);
            out_ += "</code>";
        }
        out_ += "</div>\n";
        for (size_t index : group.findings)
            writeFinding(report_.findings[index], group.rule);
        out_ += "</section>\n";
    }
}

void HtmlWriter::writeWhere(std::string_view file, uint64_t offset, std::string_view excerpt) {
    out_ += "<code>";
    if (file.empty())
        out_ += "(the path itself)";
    else
        esc(file);
    out_ += "</code> at byte " + std::to_string(offset);
    if (!excerpt.empty()) {
        out_ += " <code class=\"excerpt\">";
        esc(excerpt);
        out_ += "</code>";
    }
}

void HtmlWriter::writeFinding(const Finding& finding, const RuleInfo& rule) {
    const char* severity = severityName(finding.severity);
    out_ += std::string("<div class=\"finding ") + severity;
    if (finding.waiverReason) out_ += " waived";
    if (finding.inBaseline) out_ += " baseline";
    out_ += "\">\n<div>";
    if (isFailing(report_, finding)) out_ += "<span class=\"badge failing\">fails</span>";
    if (finding.waiverReason) out_ += "<span class=\"badge waived\">waived</span>";
    if (finding.inBaseline) out_ += "<span class=\"badge baseline\">baseline</span>";
    out_ += "<span class=\"msg\">";
    esc(finding.message);
    out_ += "</span></div>\n<div class=\"meta\">path <code>";
    esc(finding.path);
    out_ += "</code>";
    if (!finding.offender.empty()) {
        out_ += " &middot; offender <code>";
        esc(finding.offender);
        out_ += "</code>";
    }
    out_ += "</div>\n";
    if (finding.source) {
        out_ += "<div class=\"meta\">at <code>";
        esc(finding.source->describe());
        out_ += "</code></div>\n";
    }
    if (finding.waiverReason) {
        out_ += "<div class=\"meta\">waiver: ";
        esc(*finding.waiverReason);
        out_ += "</div>\n";
    }
    if (!finding.help.empty() && finding.help != rule.help) {
        out_ += "<div class=\"meta\">help: ";
        writeHelp(finding.help);
        out_ += "</div>\n";
    }
    if (!finding.chain.empty()) {
        // Nested lists draw the chain as a tree: each hop one level deeper.
        out_ += "<ul class=\"chain\"><li><span class=\"node\">";
        esc(finding.chain.front().from);
        out_ += "</span>\n";
        for (const ChainHop& hop : finding.chain) {
            out_ += "<ul class=\"chain\"><li><div class=\"edge\">&#8627; ";
            writeWhere(hop.file, hop.offset, hop.excerpt);
            out_ += "</div><span class=\"node";
            if (&hop == &finding.chain.back()) out_ += " offender";
            out_ += "\">";
            esc(hop.to);
            out_ += "</span>\n";
        }
        for (size_t i = 0; i <= finding.chain.size(); ++i)
            out_ += "</li></ul>";
        out_ += '\n';
    }
    if (!finding.sites.empty()) {
        out_ += "<ul class=\"sites\">\n";
        for (const ContentSite& site : finding.sites) {
            out_ += "<li>";
            writeWhere(site.file, site.offset, site.excerpt);
            out_ += "</li>\n";
        }
        out_ += "</ul>\n";
    }
    if (!finding.largest.empty()) {
        out_ += "<div class=\"meta\">largest members of the closure:</div>\n<ul class=\"sites\">\n";
        for (const SizedMember& member : finding.largest) {
            out_ += "<li><code>";
            esc(member.path);
            out_ += "</code> ";
            esc(describeSize(member.bytes));
            out_ += "</li>\n";
        }
        out_ += "</ul>\n";
    }
    out_ += "</div>\n";
}

void HtmlWriter::writeChecked() {
    out_ += "<h2>Checked paths</h2>\n";
    if (report_.checked.empty()) {
        out_ += "<p>No paths were checked.</p>\n";
        return;
    }
    std::unordered_map<std::string_view, size_t> findingsByPath;
    for (const Finding& finding : report_.findings)
        ++findingsByPath[finding.path];
    out_ += "<table>\n<tr><th>path</th><th>NAR size</th><th>closure</th><th>closure "
            "size</th><th>findings</th></tr>\n";
    size_t rows = std::min(report_.checked.size(), kMaxCheckedRows);
    for (size_t i = 0; i < rows; ++i) {
        const CheckedPath& checked = report_.checked[i];
        out_ += "<tr><td><code>";
        esc(checked.path);
        out_ += "</code></td><td class=\"num\">" + formatSize(checked.narSize) +
                "</td><td class=\"num\">" + countNoun(checked.closurePaths, "path", "paths") +
                "</td><td class=\"num\">" + formatSize(checked.closureSize) +
                "</td><td class=\"num\">";
        auto it = findingsByPath.find(checked.path);
        out_ += std::to_string(it == findingsByPath.end() ? 0 : it->second);
        out_ += "</td></tr>\n";
    }
    out_ += "</table>\n";
    if (rows < report_.checked.size())
        out_ += "<p class=\"meta\">" + std::to_string(report_.checked.size() - rows) +
                " more paths not listed; the JSON report has them all.</p>\n";

    // Closures with findings first: those are the pictures a reader came for.
    std::vector<const CheckedPath*> order;
    for (const CheckedPath& checked : report_.checked)
        order.push_back(&checked);
    std::stable_partition(order.begin(), order.end(), [&](const CheckedPath* checked) {
        return findingsByPath.count(checked->path) > 0;
    });
    out_ += "<h2>Closures</h2>\n";
    size_t drawn = 0;
    for (const CheckedPath* checked : order) {
        if (checked->closure.empty()) continue;
        if (drawn == kMaxTreemaps) {
            out_ += "<p class=\"meta\">Further closures not drawn (at most " +
                    std::to_string(kMaxTreemaps) + " per report).</p>\n";
            break;
        }
        writeTreemap(*checked);
        buffer_.drainIfFull();
        ++drawn;
    }
    if (drawn == 0)
        out_ += "<p>No closure is drawn in this report (audits list closure sizes in the table "
                "above; <code>purist check PATH --format html</code> draws one).</p>\n";
}

void HtmlWriter::writeTreemap(const CheckedPath& checked) {
    // What to highlight: offenders and the paths their chains pass through; an offender
    // only waived findings name is drawn paler, so the picture agrees with the verdict.
    std::unordered_set<std::string_view> offenders, waivedOffenders, chainPaths;
    for (const Finding& finding : report_.findings) {
        if (finding.path != checked.path) continue;
        auto& named = finding.waiverReason ? waivedOffenders : offenders;
        if (!finding.offender.empty()) named.insert(finding.offender);
        for (const ChainHop& hop : finding.chain) {
            if (&hop == &finding.chain.back())
                named.insert(hop.to);
            else
                chainPaths.insert(hop.to);
        }
    }

    std::vector<const ClosureMember*> members;
    uint64_t total = 0;
    size_t empty = 0;
    for (const ClosureMember& member : checked.closure) {
        if (member.narSize == 0) {
            ++empty;
            continue;
        }
        members.push_back(&member);
        total += member.narSize;
    }
    std::stable_sort(
        members.begin(), members.end(), [](const ClosureMember* a, const ClosureMember* b) {
            return a->narSize != b->narSize ? a->narSize > b->narSize : a->path < b->path;
        });
    uint64_t restSize = 0;
    size_t restCount = 0;
    if (members.size() > kMaxTreemapMembers) {
        for (size_t i = kMaxTreemapMembers; i < members.size(); ++i)
            restSize += members[i]->narSize;
        restCount = members.size() - kMaxTreemapMembers;
        members.resize(kMaxTreemapMembers);
    }

    out_ += "<section class=\"closure\">\n<h3><code>";
    esc(checked.path);
    out_ += "</code></h3>\n<div class=\"meta\">" +
            countNoun(checked.closure.size(), "path", "paths") + " in the closure, " +
            formatSize(total) + " in all";
    if (empty) out_ += "; " + std::to_string(empty) + " of size 0 not drawn";
    out_ += "</div>\n";
    if (total == 0) {
        out_ += "</section>\n";
        return;
    }

    std::vector<double> areas;
    double scale = kTreemapWidth * kTreemapHeight / static_cast<double>(total);
    for (const ClosureMember* member : members)
        areas.push_back(static_cast<double>(member->narSize) * scale);
    if (restCount) areas.push_back(static_cast<double>(restSize) * scale);
    // The aggregate may be larger than the last members; squarify wants areas sorted.
    std::vector<size_t> order(areas.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return areas[a] > areas[b]; });
    std::vector<double> sorted;
    for (size_t i : order)
        sorted.push_back(areas[i]);
    std::vector<Box> boxes = squarify(sorted, {0, 0, kTreemapWidth, kTreemapHeight});

    out_ += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + number(kTreemapWidth) +
            " " + number(kTreemapHeight) +
            "\" role=\"img\" font-family=\"system-ui,sans-serif\" font-size=\"11\">\n";
    out_ += "<title>closure of ";
    esc(checked.path);
    out_ += "</title>\n";
    for (size_t k = 0; k < order.size(); ++k) {
        size_t i = order[k];
        const Box& box = boxes[k];
        bool isRest = i == members.size();
        std::string_view path = isRest ? std::string_view() : members[i]->path;
        uint64_t size = isRest ? restSize : members[i]->narSize;
        const char* fill = isRest                        ? Colors::rest
                           : offenders.count(path)       ? Colors::offender
                           : waivedOffenders.count(path) ? Colors::waived
                           : chainPaths.count(path)      ? Colors::chain
                           : path == checked.path        ? Colors::root
                                                         : Colors::other;
        bool dark = fill == Colors::offender || fill == Colors::root;
        std::string label = isRest ? std::to_string(restCount) + " smaller paths"
                                   : std::string(storePathName(path));
        out_ += "<g><title>";
        if (isRest)
            out_ += label;
        else
            esc(path);
        char percent[32];
        std::snprintf(percent, sizeof percent, "%.1f%%",
                      100.0 * static_cast<double>(size) / static_cast<double>(total));
        out_ += " \xe2\x80\x94 " + formatSize(size) + " (" + percent + " of the closure)</title>";
        out_ += "<rect x=\"" + number(box.x) + "\" y=\"" + number(box.y) + "\" width=\"" +
                number(box.w) + "\" height=\"" + number(box.h) + "\" fill=\"" + fill +
                "\" stroke=\"#fff\" stroke-width=\"1\"/>";
        // A label only where it fits; about 6.2 px per character at 11 px.
        if (box.w >= 40 && box.h >= 15) {
            size_t fit = static_cast<size_t>((box.w - 6) / 6.2);
            std::string text =
                label.size() > fit ? label.substr(0, fit > 1 ? fit - 1 : 0) + "…" : label;
            const char* color = dark ? "#fff" : "#1f2328";
            out_ += "<text x=\"" + number(box.x + 3) + "\" y=\"" + number(box.y + 12) +
                    "\" fill=\"" + color + "\">";
            esc(text);
            out_ += "</text>";
            if (box.h >= 30) {
                out_ += "<text x=\"" + number(box.x + 3) + "\" y=\"" + number(box.y + 25) +
                        "\" fill=\"" + color + "\" opacity=\"0.8\">" + formatSize(size) + "</text>";
            }
        }
        out_ += "</g>\n";
    }
    out_ += "</svg>\n<div class=\"legend\">";
    out_ += std::string("<span style=\"--c:") + Colors::root + "\">checked path</span>";
    out_ += std::string("<span style=\"--c:") + Colors::offender + "\">offender</span>";
    if (!waivedOffenders.empty())
        out_ += std::string("<span style=\"--c:") + Colors::waived + "\">waived offender</span>";
    out_ +=
        std::string("<span style=\"--c:") + Colors::chain + "\">on a chain to an offender</span>";
    out_ += std::string("<span style=\"--c:") + Colors::other + "\">other closure member</span>";
    if (restCount)
        out_ +=
            std::string("<span style=\"--c:") + Colors::rest + "\">smaller paths, grouped</span>";
    out_ += "<span class=\"note\">area = NAR size; hover for details</span></div>\n</section>\n";
}

} // namespace

void renderHtmlReport(const Report& report, ReportBuffer& out) {
    HtmlWriter(report, out).write();
}

} // namespace purist::checker
