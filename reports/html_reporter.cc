// The HTML audit report: one self-contained file (inline CSS and JavaScript, inline SVG; a
// Content-Security-Policy that forbids every network fetch) that an auditor reads without
// a tool, whatever the size of the audit: the verdict and counts, contents, a summary by
// rule and by offender, the findings grouped by rule and then by offender (340 findings
// naming one offender are one collapsed group with its counts), a search and filters, the
// heaviest closures, the checked paths by name, and, when the run collected closures, each
// one as a squarified treemap sized by NAR size. Without JavaScript everything is still
// there (<details> open natively); the script adds the search, the filters, the counts of
// what is shown and sortable tables.

#include "reports/escaping.h"
#include "reports/report_summary.h"
#include "reports/report_writers.h"
#include "store/store_path.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace purist::reports {

namespace {

// Bounds that keep a whole-store audit a file a browser opens in a second, and a page of a
// few screens until the reader opens a group: beyond them the report says what it left out
// and that the JSON report has everything.
constexpr size_t kMaxTreemaps = 20;        ///< closures drawn
constexpr size_t kOpenTreemaps = 3;        ///< of which shown open
constexpr size_t kMaxTreemapMembers = 300; ///< tiles per closure before the rest is one
constexpr size_t kMaxCheckedRows = 2000;   ///< rows of the checked-paths table
constexpr size_t kOpenCheckedRows = 50;    ///< the table starts open up to this many rows
constexpr size_t kMaxFindingRows = 25000;  ///< findings listed in the whole report
constexpr size_t kRowsPerGroup = 2000;     ///< findings listed per (rule, offender) group
constexpr size_t kEvidencePerGroup = 3;    ///< findings per group shown with full evidence
constexpr size_t kMaxEvidence = 300;       ///< findings shown with full evidence in all
constexpr size_t kOpenGroupsUpTo = 30;     ///< rules start open up to this many groups
constexpr size_t kOpenFindingsUpTo = 50;   ///< groups start open up to this many findings
constexpr size_t kOffenderRowsShown = 25;  ///< offender summary rows before "more"
constexpr size_t kMaxOffenderRows = 500;   ///< offender summary rows in all
constexpr size_t kHeaviest = 25;           ///< bars in the heaviest-closures chart
constexpr double kTreemapWidth = 1000;
constexpr double kTreemapHeight = 420;

constexpr std::string_view kStyle = R"css(
:root{--err:#c62828;--warn:#b26a00;--info:#1565c0;--ok:#2e7d32;--muted:#5f6b76;--line:#d8dee4}
*{box-sizing:border-box}
html{scroll-padding-top:56px}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:#1f2328;margin:0;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 12px;border-bottom:1px solid var(--line);padding-bottom:4px}
h3{font-size:15px;margin:0}
a{color:inherit;text-decoration:none}a[href]{color:#0969da}a[href]:hover{text-decoration:underline}
code,.mono,a[title]{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px;word-break:break-all}
.meta{color:var(--muted);margin:2px 0}
.verdict{display:inline-block;font-weight:700;padding:4px 12px;border-radius:4px;color:#fff;margin:12px 0}
.verdict.fail{background:var(--err)}.verdict.pass{background:var(--ok)}
.cards{display:flex;gap:12px;flex-wrap:wrap}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 16px;min-width:120px}
.card .n{font-size:24px;font-weight:700}.card .l{color:var(--muted)}
.card.error .n{color:var(--err)}.card.warning .n{color:var(--warn)}.card.info .n{color:var(--info)}
nav.toc{margin:16px 0 0}nav.toc ol{margin:4px 0;padding-left:22px}
.bar-top{position:sticky;top:0;z-index:2;background:#f6f8fa;border-bottom:1px solid var(--line);padding:8px 0;margin-top:16px;display:flex;gap:10px;flex-wrap:wrap;align-items:center;color:var(--muted)}
.bar-top input[type=search]{flex:1 1 260px;font:inherit;padding:4px 8px;border:1px solid #8c959f;border-radius:4px}
.bar-top label{white-space:nowrap}.bar-top button{font:inherit}
details>summary{cursor:pointer}
.rule{background:#fff;border:1px solid var(--line);border-left:5px solid var(--muted);border-radius:6px;margin:10px 0;padding:8px 14px}
.rule.error{border-left-color:var(--err)}.rule.warning{border-left-color:var(--warn)}.rule.info{border-left-color:var(--info)}
.rule>summary{font-weight:600}
.rule .desc{color:var(--muted);margin:4px 0 8px}
.grp{border-top:1px solid var(--line);padding:5px 0 5px 4px}
.grp>summary code{font-weight:600}
.gb{padding:4px 0 4px 18px}
.badge,.t{display:inline-block;font-size:11px;font-weight:700;font-style:normal;text-transform:uppercase;padding:1px 6px;border-radius:3px;color:#fff;margin-right:6px;vertical-align:1px}
.badge.error{background:var(--err)}.badge.warning{background:var(--warn)}.badge.info{background:var(--info)}
.badge.waived,.badge.baseline,.t.wv,.t.bl{background:#8c959f}.badge.failing,.t.fl{background:#000}
.t{margin:0 0 0 6px}
.finding{border-top:1px dashed var(--line);padding:8px 0}
.finding .msg{font-weight:600}
ul.rows{margin:6px 0;padding-left:20px}ul.rows li{padding:1px 0}ul.rows .m{color:var(--muted)}
ul.rows li.x::after{content:"fails";display:inline-block;font-size:11px;font-weight:700;text-transform:uppercase;padding:1px 6px;border-radius:3px;color:#fff;background:#000;margin-left:6px;vertical-align:1px}
.chain,.sites{list-style:none;margin:6px 0 0;padding:0}
.chain li{margin:0;padding:2px 0 2px 18px;position:relative}
.chain li::before{content:"";position:absolute;left:6px;top:0;bottom:0;border-left:1px solid #b0b8c1}
.chain .node{font-weight:600}.chain .node.offender{color:var(--err)}
.chain .edge{color:var(--muted)}
.excerpt{background:#f3f4f6;border:1px solid var(--line);border-radius:3px;padding:0 4px;white-space:pre-wrap}
.sites li{padding:2px 0}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4}th[data-t]{cursor:pointer}td.num{text-align:right;white-space:nowrap}
td.nc{color:var(--muted);font-style:italic;text-align:right}
tr.has td:first-child{border-left:3px solid var(--err)}
.bars{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 14px}
.bars div{display:grid;grid-template-columns:minmax(0,16em) 1fr minmax(0,18em);gap:10px;align-items:center;padding:2px 0}
.bars span.b{display:block;height:12px;background:#9db4cc;border-radius:2px}
.bars div.has span.b{background:var(--err)}
.bars span.v{color:var(--muted);white-space:nowrap;text-align:right}
.closure{background:#fff;border:1px solid var(--line);border-radius:6px;padding:12px 16px;margin:14px 0}
.closure svg{width:100%;height:auto;display:block;margin-top:8px}
.legend{display:flex;gap:16px;flex-wrap:wrap;color:var(--muted);margin-top:6px}
.legend span.note::before{display:none}
.legend span::before{content:"";display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px;border:1px solid #8c959f;background:var(--c)}
body.hide-error .f.error,body.hide-warning .f.warning,body.hide-info .f.info,
body.hide-waived .f.waived,body.hide-baseline .f.baseline,.nq,.off{display:none!important}
)css";

// The search and filters work on the findings ("f" elements: a full evidence block or a
// one-line row, one per finding): a group is hidden when none of its findings is shown, a
// rule when none of its groups is; the status line counts what is shown. Without
// JavaScript every finding stays reachable by opening its group.
constexpr std::string_view kScript = R"js(
(function(){
var d=document,b=d.body;
function all(s,r){return Array.prototype.slice.call((r||d).querySelectorAll(s));}
function openTo(e){for(;e;e=e.parentElement)if(e.tagName==='DETAILS')e.open=true;}
function go(){var h=location.hash.slice(1),e=h&&d.getElementById(decodeURIComponent(h));
  if(e){openTo(e);e.scrollIntoView();}}
window.addEventListener('hashchange',go);go();
all('th[data-t]').forEach(function(th){th.addEventListener('click',function(){
  var tb=th.closest('table').tBodies[0],i=th.cellIndex,n=th.dataset.t==='n',
      dir=th.dataset.dir?(th.dataset.dir==='a'?-1:1):(n?-1:1),rows=all('tr',tb);
  th.dataset.dir=dir>0?'a':'d';
  rows.sort(function(x,y){var a=x.cells[i],c=y.cells[i],
      u=n?+a.dataset.v:a.textContent,v=n?+c.dataset.v:c.textContent;
    return (u<v?-1:u>v?1:0)*dir;});
  rows.forEach(function(r){tb.appendChild(r);});});});
var q=d.getElementById('q');if(!q)return;
var st=d.getElementById('stat'),rows=all('.f'),groups=all('details.grp'),
    rules=all('details.rule'),hide={},last='',timer=0;
rows.forEach(function(r){var a=r.querySelector('a[title]');r._g=r.closest('details.grp');
  r._t=(r.textContent+' '+(a?a.title:'')).toLowerCase();});
groups.forEach(function(g){g._k=(g.dataset.k||'').toLowerCase();});
function apply(){
  var n=q.value.trim().toLowerCase(),changed=n!==last,shown=0,gs=0,k;last=n;
  groups.forEach(function(g){g._n=0;g._m=false;g._km=!n||g._k.indexOf(n)>=0;});
  rows.forEach(function(r){var c=r.classList,g=r._g,ok=true,m=g._km||r._t.indexOf(n)>=0;
    for(k in hide)if(hide[k]&&c.contains(k))ok=false;
    c.toggle('nq',!m);
    if(ok&&m){shown++;g._n++;if(!g._km)g._m=true;}});
  groups.forEach(function(g){g.classList.toggle('off',!g._n);if(g._n)gs++;
    if(changed)g.open=n?g._m:g.hasAttribute('data-o');});
  rules.forEach(function(r){var any=!!r.querySelector('details.grp:not(.off)');
    r.classList.toggle('off',!any);if(changed)r.open=n?any:r.hasAttribute('data-o');});
  st.dataset.shown=shown;st.dataset.groups=gs;
  st.textContent=shown.toLocaleString('en')+' of '+rows.length.toLocaleString('en')+
    ' listed findings shown, in '+gs.toLocaleString('en')+' of '+
    groups.length.toLocaleString('en')+' groups';}
all('input[data-hide]').forEach(function(box){box.addEventListener('change',function(){
  hide[box.dataset.hide]=!box.checked;b.classList.toggle('hide-'+box.dataset.hide,!box.checked);
  apply();});});
q.addEventListener('input',function(){clearTimeout(timer);timer=setTimeout(apply,150);});
all('a[data-q]').forEach(function(a){a.addEventListener('click',function(){
  q.value=a.dataset.q;apply();});});
function openAll(v){rules.concat(groups).forEach(function(e){
  if(!e.classList.contains('off'))e.open=v;});}
d.getElementById('open-all').addEventListener('click',function(){openAll(true);});
d.getElementById('close-all').addEventListener('click',function(){openAll(false);});
apply();st.dataset.js='ready';
})();
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

/// "20762" → "20,762".
std::string grouped(uint64_t n) {
    std::string digits = std::to_string(n), out;
    for (size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

/// A count and its noun, with thousands separators.
std::string countOf(size_t n, std::string_view singular, std::string_view plural) {
    return grouped(n) + " " + std::string(n == 1 ? singular : plural);
}

/// The findings of one rule that name one offender (by name: the same package under two
/// hashes is one group), in the rule group's order.
struct OffenderGroup {
    std::string_view name; ///< storePathName of the offender; "" when there is none
    std::vector<size_t> findings;
    std::vector<std::string_view> offenders; ///< the distinct full offenders, sorted
    size_t paths = 0, failing = 0, waived = 0, baseline = 0;
};

struct RuleSection {
    const RuleGroup* rule = nullptr;
    std::vector<OffenderGroup> groups; ///< largest first, then by name
    size_t paths = 0, failing = 0, waived = 0, baseline = 0;
};

/// One row of the summary by offender, across rules.
struct OffenderSummary {
    std::string_view name;
    size_t findings = 0, failing = 0;
    std::vector<std::string_view> rules; ///< distinct, in order of first appearance
    std::unordered_set<std::string_view> paths;
};

class HtmlWriter {
public:
    HtmlWriter(const Report& report, ReportBuffer& buffer)
        : report_(report), buffer_(buffer), out_(buffer.text()) {}
    void write();

private:
    void prepare();
    void esc(std::string_view text) { appendMarkupEscaped(out_, text); }
    void writeHeader(const ReportCounts& counts);
    void writeContents();
    void writeToolbar();
    void writeRuleSummary();
    void writeOffenderSummary();
    void writeFindings();
    void writeGroup(const RuleSection& section, const OffenderGroup& group);
    void writeFinding(const Finding& finding, const RuleInfo& rule);
    void writeRow(const Finding& finding);
    void writeStatusClasses(const Finding& finding);
    void writePathLink(std::string_view path, bool full);
    void writeWhere(std::string_view file, uint64_t offset, std::string_view excerpt);
    void writeHelp(std::string_view help);
    void writeHeaviest();
    void writeChecked();
    void writeClosures();
    /// One checked path's closure, or with `checked` null the checked paths themselves (an
    /// audit's picture: it has no closures).
    void writeTreemap(const CheckedPath* checked, bool open);

    const Report& report_;
    ReportBuffer& buffer_;
    std::string& out_;

    std::vector<RuleGroup> ruleGroups_;
    std::vector<RuleSection> sections_;
    std::vector<OffenderSummary> offenders_; ///< most findings first
    size_t groupCount_ = 0;
    std::unordered_map<std::string_view, size_t> pathIndex_; ///< into report.checked
    std::vector<size_t> findingsOf_, failingOf_;             ///< per checked path
    std::vector<size_t> listed_; ///< checked paths in the table, by name
    std::vector<bool> isListed_;
    size_t rowsLeft_ = kMaxFindingRows, evidenceLeft_ = kMaxEvidence;
    size_t unlisted_ = 0; ///< findings over the row caps
};

void HtmlWriter::prepare() {
    for (size_t i = 0; i < report_.checked.size(); ++i)
        pathIndex_.emplace(report_.checked[i].path, i);
    findingsOf_.assign(report_.checked.size(), 0);
    failingOf_.assign(report_.checked.size(), 0);
    for (const Finding& finding : report_.findings) {
        auto it = pathIndex_.find(finding.path);
        if (it == pathIndex_.end()) continue;
        ++findingsOf_[it->second];
        if (isFailing(report_, finding)) ++failingOf_[it->second];
    }

    ruleGroups_ = groupFindingsByRule(report_);
    std::map<std::string_view, size_t> offenderIndex;
    for (const RuleGroup& rule : ruleGroups_) {
        if (rule.findings.empty()) continue;
        RuleSection section;
        section.rule = &rule;
        std::map<std::string_view, size_t> byName;
        std::unordered_set<std::string_view> rulePaths;
        for (size_t index : rule.findings) {
            const Finding& finding = report_.findings[index];
            std::string_view name = storePathName(finding.offender);
            auto [it, inserted] = byName.emplace(name, section.groups.size());
            if (inserted) {
                section.groups.emplace_back();
                section.groups.back().name = name;
            }
            OffenderGroup& group = section.groups[it->second];
            group.findings.push_back(index);
            bool failing = isFailing(report_, finding);
            group.failing += failing;
            group.waived += finding.waiverReason.has_value();
            group.baseline += finding.inBaseline && !finding.waiverReason;
            rulePaths.insert(finding.path);

            auto [o, added] = offenderIndex.emplace(name, offenders_.size());
            if (added) {
                offenders_.emplace_back();
                offenders_.back().name = name;
            }
            OffenderSummary& summary = offenders_[o->second];
            ++summary.findings;
            summary.failing += failing;
            if (summary.rules.empty() || summary.rules.back() != rule.rule.id)
                summary.rules.push_back(rule.rule.id);
            summary.paths.insert(finding.path);
        }
        for (OffenderGroup& group : section.groups) {
            std::unordered_set<std::string_view> paths;
            for (size_t index : group.findings) {
                paths.insert(report_.findings[index].path);
                group.offenders.push_back(report_.findings[index].offender);
            }
            group.paths = paths.size();
            std::sort(group.offenders.begin(), group.offenders.end());
            group.offenders.erase(std::unique(group.offenders.begin(), group.offenders.end()),
                                  group.offenders.end());
            section.failing += group.failing;
            section.waived += group.waived;
            section.baseline += group.baseline;
        }
        section.paths = rulePaths.size();
        std::stable_sort(section.groups.begin(), section.groups.end(),
                         [](const OffenderGroup& a, const OffenderGroup& b) {
                             return a.findings.size() > b.findings.size();
                         });
        groupCount_ += section.groups.size();
        sections_.push_back(std::move(section));
    }
    std::stable_sort(offenders_.begin(), offenders_.end(),
                     [](const OffenderSummary& a, const OffenderSummary& b) {
                         return std::tie(b.failing, b.findings) < std::tie(a.failing, a.findings);
                     });

    // The table lists every path with findings, then the heaviest of the rest, up to the
    // cap; shown by name (not by hash: the hash orders nothing a reader looks for).
    std::vector<size_t> chosen(report_.checked.size());
    for (size_t i = 0; i < chosen.size(); ++i)
        chosen[i] = i;
    std::stable_sort(chosen.begin(), chosen.end(), [&](size_t a, size_t b) {
        return std::make_tuple(findingsOf_[b] > 0, report_.checked[b].closureSize) <
               std::make_tuple(findingsOf_[a] > 0, report_.checked[a].closureSize);
    });
    chosen.resize(std::min(chosen.size(), kMaxCheckedRows));
    std::sort(chosen.begin(), chosen.end(), [&](size_t a, size_t b) {
        const std::string& x = report_.checked[a].path;
        const std::string& y = report_.checked[b].path;
        return std::make_tuple(storePathName(x), std::string_view(x)) <
               std::make_tuple(storePathName(y), std::string_view(y));
    });
    listed_ = std::move(chosen);
    isListed_.assign(report_.checked.size(), false);
    for (size_t i : listed_)
        isListed_[i] = true;
}

void HtmlWriter::write() {
    prepare();
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
    writeHeader(counts);
    writeContents();
    writeRuleSummary();
    writeOffenderSummary();
    writeFindings();
    writeHeaviest();
    writeChecked();
    writeClosures();
    out_ += "</main>\n<script>";
    out_ += kScript;
    out_ += "</script>\n</body>\n</html>\n";
}

void HtmlWriter::writeHeader(const ReportCounts& counts) {
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
    out_ += " <span class=\"meta\">" + countOf(counts.failing, "finding", "findings") +
            " at or above <b>" + severityName(report_.failOn) + "</b> fail the run; " +
            countOf(report_.checked.size(), "path", "paths") + " checked against " +
            countOf(report_.rules.size(), "rule", "rules") + ".</span>\n";
    out_ += "<div class=\"cards\" id=\"counts\">\n";
    auto card = [&](const char* cls, size_t n, const char* label) {
        out_ += std::string("<div class=\"card ") + cls + "\" data-n=\"" + std::to_string(n) +
                "\"><div class=\"n\">" + grouped(n) + "</div><div class=\"l\">" + label +
                "</div></div>\n";
    };
    card("error", counts.errors, "errors");
    card("warning", counts.warnings, "warnings");
    card("info", counts.infos, "info");
    card("waived", counts.waived, "waived");
    card("baseline", counts.baseline, "in baseline");
    out_ += "</div>\n";
}

void HtmlWriter::writeContents() {
    out_ += "<nav class=\"toc\" aria-label=\"contents\"><b>Contents</b><ol>\n";
    out_ += "<li><a href=\"#by-rule\">Summary by rule</a> (" +
            countOf(report_.rules.size(), "rule", "rules") + ")</li>\n";
    out_ += "<li><a href=\"#by-offender\">Summary by offender</a> (" +
            countOf(offenders_.size(), "offender", "offenders") + ")</li>\n";
    out_ += "<li><a href=\"#findings\">Findings</a> (" +
            countOf(report_.findings.size(), "finding", "findings") + " in " +
            countOf(groupCount_, "group", "groups") + ")</li>\n";
    out_ += "<li><a href=\"#heaviest\">Heaviest closures</a></li>\n";
    out_ += "<li><a href=\"#paths\">Checked paths</a> (" +
            countOf(report_.checked.size(), "path", "paths") + ")</li>\n";
    out_ += "<li><a href=\"#closures\">Closures</a></li>\n</ol></nav>\n";
}

void HtmlWriter::writeToolbar() {
    out_ += "<div class=\"bar-top\" role=\"search\"><input type=\"search\" id=\"q\" "
            "placeholder=\"search rules, offenders, paths, messages\" aria-label=\"search "
            "findings\">";
    for (const char* kind : {"error", "warning", "info", "waived", "baseline"}) {
        out_ += std::string("<label><input type=\"checkbox\" checked data-hide=\"") + kind +
                "\"> " + kind + "</label>";
    }
    out_ += "<button type=\"button\" id=\"open-all\">expand all</button><button type=\"button\" "
            "id=\"close-all\">collapse all</button><span id=\"stat\">" +
            countOf(report_.findings.size(), "finding", "findings") + " in " +
            countOf(groupCount_, "group", "groups") + "</span></div>\n";
}

void HtmlWriter::writeRuleSummary() {
    out_ += "<h2 id=\"by-rule\">Summary by rule</h2>\n";
    if (report_.rules.empty() && sections_.empty()) {
        out_ += "<p>No rules.</p>\n";
        return;
    }
    out_ += "<table><thead><tr><th data-t=\"s\">rule</th><th data-t=\"s\">severity</th>"
            "<th data-t=\"n\">findings</th><th data-t=\"n\">failing</th><th "
            "data-t=\"n\">waived</th><th data-t=\"n\">baseline</th><th "
            "data-t=\"n\">offenders</th><th data-t=\"n\">paths</th></tr></thead><tbody>\n";
    auto num = [&](size_t n) {
        out_ += "<td class=\"num\" data-v=\"" + std::to_string(n) + "\">" + grouped(n) + "</td>";
    };
    size_t s = 0;
    for (const RuleGroup& rule : ruleGroups_) {
        const RuleSection* section =
            s < sections_.size() && sections_[s].rule == &rule ? &sections_[s] : nullptr;
        out_ += "<tr><td><code>";
        if (section) out_ += "<a href=\"#r" + std::to_string(s) + "\">";
        esc(rule.rule.id);
        if (section) out_ += "</a>";
        out_ += std::string("</code></td><td>") + severityName(rule.rule.severity) + "</td>";
        num(rule.findings.size());
        num(section ? section->failing : 0);
        num(section ? section->waived : 0);
        num(section ? section->baseline : 0);
        num(section ? section->groups.size() : 0);
        num(section ? section->paths : 0);
        out_ += "</tr>\n";
        if (section) ++s;
    }
    out_ += "</tbody></table>\n";
}

void HtmlWriter::writeOffenderSummary() {
    out_ += "<h2 id=\"by-offender\">Summary by offender</h2>\n";
    if (offenders_.empty()) {
        out_ += "<p>No findings.</p>\n";
        return;
    }
    out_ += "<p class=\"meta\">What the findings name, across rules; most failing findings "
            "first. A name selects its findings below.</p>\n";
    auto head = [&] {
        out_ += "<table><thead><tr><th data-t=\"s\">offender</th><th data-t=\"n\">findings</th>"
                "<th data-t=\"n\">failing</th><th data-t=\"n\">paths</th><th "
                "data-t=\"s\">rules</th></tr></thead><tbody>\n";
    };
    head();
    size_t rows = std::min(offenders_.size(), kMaxOffenderRows);
    for (size_t i = 0; i < rows; ++i) {
        if (i == kOffenderRowsShown) {
            out_ += "</tbody></table>\n<details><summary>" +
                    countOf(rows - i, "more offender", "more offenders") + "</summary>\n";
            head();
        }
        const OffenderSummary& o = offenders_[i];
        out_ += "<tr><td><a href=\"#findings\" data-q=\"";
        esc(o.name);
        out_ += "\"><code>";
        if (o.name.empty())
            out_ += "(no offender named)";
        else
            esc(o.name);
        out_ += "</code></a></td>";
        for (size_t n : {o.findings, o.failing, o.paths.size()})
            out_ +=
                "<td class=\"num\" data-v=\"" + std::to_string(n) + "\">" + grouped(n) + "</td>";
        out_ += "<td>";
        constexpr size_t kRulesNamed = 6;
        for (size_t r = 0; r < o.rules.size() && r < kRulesNamed; ++r) {
            if (r) out_ += ", ";
            out_ += "<code>";
            esc(o.rules[r]);
            out_ += "</code>";
        }
        if (o.rules.size() > kRulesNamed)
            out_ += " and " + grouped(o.rules.size() - kRulesNamed) + " more";
        out_ += "</td></tr>\n";
    }
    out_ += "</tbody></table>\n";
    if (rows > kOffenderRowsShown) out_ += "</details>\n";
    if (rows < offenders_.size())
        out_ += "<p class=\"meta\">" +
                countOf(offenders_.size() - rows, "more offender", "more offenders") +
                " not listed; the JSON report has them all.</p>\n";
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
    out_ += "<h2 id=\"findings\">Findings</h2>\n";
    if (report_.findings.empty()) {
        out_ += "<p>No findings.</p>\n";
        return;
    }
    out_ += "<p class=\"meta\">By rule, then by offender: each group collects the findings of "
            "one rule that name one offender, with the evidence of the first few.</p>\n";
    writeToolbar();
    bool rulesOpen = groupCount_ <= kOpenGroupsUpTo;
    for (size_t s = 0; s < sections_.size(); ++s) {
        const RuleSection& section = sections_[s];
        const RuleInfo& rule = section.rule->rule;
        const char* severity = severityName(rule.severity);
        out_ += std::string("<details class=\"rule ") + severity + "\" id=\"r" + std::to_string(s) +
                "\"" + (rulesOpen ? " open data-o" : "") + "><summary><span class=\"badge " +
                severity + "\">" + severity + "</span><code>";
        esc(rule.id);
        out_ += "</code> &middot; " +
                countOf(section.rule->findings.size(), "finding", "findings") + " &middot; " +
                countOf(section.groups.size(), "offender", "offenders") + " &middot; " +
                countOf(section.paths, "path", "paths");
        if (section.failing) out_ += "<i class=\"t fl\">" + grouped(section.failing) + " fail</i>";
        out_ += "</summary>\n<div class=\"desc\">";
        esc(rule.message);
        if (!rule.help.empty()) {
            out_ += " &middot; ";
            writeHelp(rule.help);
        }
        if (!rule.sourceFile.empty()) {
            out_ += " &middot; <code>";
            esc(rule.sourceFile);
            if (rule.sourceLine > 0) out_ += ':' + std::to_string(rule.sourceLine);
            out_ += "</code>";
        }
        out_ += "</div>\n";
        for (const OffenderGroup& group : section.groups) {
            writeGroup(section, group);
            buffer_.drainIfFull();
        }
        out_ += "</details>\n";
    }
    if (unlisted_)
        out_ += "<p class=\"meta\">" + countOf(unlisted_, "finding is", "findings are") +
                " counted in the groups above but not listed (at most " + grouped(kRowsPerGroup) +
                " per group and " + grouped(kMaxFindingRows) +
                " per report); the JSON report has them all.</p>\n";
}

void HtmlWriter::writeGroup(const RuleSection& section, const OffenderGroup& group) {
    const RuleInfo& rule = section.rule->rule;
    bool open = report_.findings.size() <= kOpenFindingsUpTo;
    out_ += std::string("<details class=\"grp\"") + (open ? " open data-o" : "") + " data-k=\"";
    esc(rule.id);
    for (std::string_view offender : group.offenders) {
        out_ += ' ';
        esc(offender);
    }
    out_ += "\"><summary><code>";
    if (group.name.empty())
        out_ += "(no offender named)";
    else
        esc(group.name);
    out_ += "</code> <span class=\"meta\">" +
            countOf(group.findings.size(), "finding", "findings") + " &middot; " +
            countOf(group.paths, "path", "paths") + "</span>";
    if (group.failing) out_ += "<i class=\"t fl\">" + grouped(group.failing) + " fail</i>";
    if (group.waived) out_ += "<i class=\"t wv\">" + grouped(group.waived) + " waived</i>";
    if (group.baseline) out_ += "<i class=\"t bl\">" + grouped(group.baseline) + " baseline</i>";
    out_ += "</summary>\n<div class=\"gb\">\n";
    if (!group.name.empty() && (group.offenders.size() > 1 || group.offenders[0] != group.name)) {
        out_ += "<div class=\"meta\">offender ";
        for (size_t i = 0; i < group.offenders.size() && i < 10; ++i) {
            if (i) out_ += ", ";
            out_ += "<code>";
            esc(group.offenders[i]);
            out_ += "</code>";
        }
        if (group.offenders.size() > 10)
            out_ += " and " + grouped(group.offenders.size() - 10) + " more";
        out_ += "</div>\n";
    }
    size_t evidence = std::min({group.findings.size(), kEvidencePerGroup, evidenceLeft_});
    evidenceLeft_ -= evidence;
    for (size_t i = 0; i < evidence; ++i)
        writeFinding(report_.findings[group.findings[i]], rule);
    size_t rows = std::min({group.findings.size() - evidence, kRowsPerGroup, rowsLeft_});
    rowsLeft_ -= rows;
    if (rows) {
        out_ += "<ul class=\"rows\">\n";
        for (size_t i = evidence; i < evidence + rows; ++i) {
            writeRow(report_.findings[group.findings[i]]);
            if (i % 256 == 0) buffer_.drainIfFull();
        }
        out_ += "</ul>\n";
    }
    size_t left = group.findings.size() - evidence - rows;
    if (left) {
        unlisted_ += left;
        out_ += "<p class=\"meta\">" + countOf(left, "more finding", "more findings") +
                " of this group not listed; the JSON report has them all.</p>\n";
    }
    out_ += "</div></details>\n";
}

void HtmlWriter::writeStatusClasses(const Finding& finding) {
    out_ += severityName(finding.severity);
    if (finding.waiverReason) out_ += " waived";
    if (finding.inBaseline) out_ += " baseline";
}

/// A link to the path's row in the table when it is listed there; the full path in the
/// link's title (and text, when `full`), so a search for a hash finds it. A titled link is
/// set in the code font by the style sheet, without a <code> element per row.
void HtmlWriter::writePathLink(std::string_view path, bool full) {
    auto it = pathIndex_.find(path);
    bool linked = it != pathIndex_.end() && isListed_[it->second];
    if (linked)
        out_ += "<a href=\"#p" + std::to_string(it->second) + "\" title=\"";
    else
        out_ += "<a title=\"";
    esc(path);
    out_ += "\">";
    esc(full ? path : storePathName(path));
    out_ += "</a>";
}

void HtmlWriter::writeRow(const Finding& finding) {
    // Rows are most of a large report's bytes: "fails" is drawn by CSS from the class.
    out_ += "<li class=\"f ";
    writeStatusClasses(finding);
    if (isFailing(report_, finding)) out_ += " x";
    out_ += "\">";
    writePathLink(finding.path, false);
    out_ += " <span class=\"m\">";
    esc(finding.message);
    out_ += "</span>";
    if (finding.waiverReason) {
        out_ += "<i class=\"t wv\" title=\"";
        esc(*finding.waiverReason);
        out_ += "\">waived</i>";
    }
    if (finding.inBaseline) out_ += "<i class=\"t bl\">baseline</i>";
    out_ += "</li>\n";
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
    out_ += "<div class=\"f finding ";
    writeStatusClasses(finding);
    out_ += "\">\n<div>";
    if (isFailing(report_, finding)) out_ += "<span class=\"badge failing\">fails</span>";
    if (finding.waiverReason) out_ += "<span class=\"badge waived\">waived</span>";
    if (finding.inBaseline) out_ += "<span class=\"badge baseline\">baseline</span>";
    out_ += "<span class=\"msg\">";
    esc(finding.message);
    out_ += "</span></div>\n<div class=\"meta\">path ";
    writePathLink(finding.path, true);
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

// A computed closure holds at least the path itself, so 0 paths means the run did not
// compute it: say so rather than print a size of 0.
bool closureComputed(const CheckedPath& checked) {
    return checked.closurePaths > 0;
}

void HtmlWriter::writeHeaviest() {
    out_ += "<h2 id=\"heaviest\">Heaviest closures</h2>\n";
    std::vector<size_t> order;
    for (size_t i = 0; i < report_.checked.size(); ++i)
        if (closureComputed(report_.checked[i])) order.push_back(i);
    if (order.empty()) {
        out_ += "<p>No closure sizes were computed in this run.</p>\n";
        return;
    }
    size_t shown = std::min(order.size(), kHeaviest);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(shown),
                      order.end(), [&](size_t a, size_t b) {
                          const CheckedPath& x = report_.checked[a];
                          const CheckedPath& y = report_.checked[b];
                          return std::make_tuple(y.closureSize, std::string_view(x.path)) <
                                 std::make_tuple(x.closureSize, std::string_view(y.path));
                      });
    uint64_t largest = std::max<uint64_t>(report_.checked[order[0]].closureSize, 1);
    out_ += "<p class=\"meta\">The " + countOf(shown, "checked path", "checked paths") +
            " with the largest closures (sum of NAR sizes), of " + grouped(order.size()) +
            "; red: the path has failing findings.</p>\n<div class=\"bars\">\n";
    for (size_t k = 0; k < shown; ++k) {
        size_t i = order[k];
        const CheckedPath& checked = report_.checked[i];
        out_ += failingOf_[i] ? "<div class=\"has\">" : "<div>";
        writePathLink(checked.path, false);
        char width[32];
        std::snprintf(width, sizeof width, "%.1f%%",
                      100.0 * static_cast<double>(checked.closureSize) /
                          static_cast<double>(largest));
        out_ += std::string("<span><span class=\"b\" style=\"width:") + width +
                "\"></span></span><span class=\"v\">" + formatSize(checked.closureSize) +
                " &middot; " + countOf(checked.closurePaths, "path", "paths") + " &middot; " +
                countOf(findingsOf_[i], "finding", "findings") + "</span></div>\n";
    }
    out_ += "</div>\n";
}

void HtmlWriter::writeChecked() {
    out_ += "<h2 id=\"paths\">Checked paths</h2>\n";
    if (report_.checked.empty()) {
        out_ += "<p>No paths were checked.</p>\n";
        return;
    }
    out_ += std::string("<details") + (listed_.size() <= kOpenCheckedRows ? " open" : "") +
            "><summary>" + countOf(listed_.size(), "path", "paths") +
            " by name (those with findings first chosen); a header sorts, a findings count "
            "selects them</summary>\n";
    out_ += "<table><thead><tr><th data-t=\"s\">path</th><th data-t=\"n\">NAR size</th><th "
            "data-t=\"n\">closure</th><th data-t=\"n\">closure size</th><th "
            "data-t=\"n\">findings</th></tr></thead><tbody>\n";
    for (size_t i : listed_) {
        const CheckedPath& checked = report_.checked[i];
        out_ += std::string("<tr id=\"p") + std::to_string(i) + "\"" +
                (failingOf_[i] ? " class=\"has\"" : "") + "><td><code title=\"";
        esc(checked.path);
        out_ += "\">";
        esc(storePathName(checked.path));
        out_ += "</code></td><td class=\"num\" data-v=\"" + std::to_string(checked.narSize) +
                "\">" + formatSize(checked.narSize) + "</td>";
        if (closureComputed(checked))
            out_ += "<td class=\"num\" data-v=\"" + std::to_string(checked.closurePaths) + "\">" +
                    countOf(checked.closurePaths, "path", "paths") +
                    "</td><td class=\"num\" data-v=\"" + std::to_string(checked.closureSize) +
                    "\">" + formatSize(checked.closureSize) + "</td>";
        else
            out_ += "<td class=\"nc\" data-v=\"-1\">not computed</td><td class=\"nc\" "
                    "data-v=\"-1\">not computed</td>";
        out_ += "<td class=\"num\" data-v=\"" + std::to_string(findingsOf_[i]) + "\">";
        if (findingsOf_[i]) {
            out_ += "<a href=\"#findings\" data-q=\"";
            esc(checked.path);
            out_ += "\">" + grouped(findingsOf_[i]) + "</a>";
        } else {
            out_ += '0';
        }
        out_ += "</td></tr>\n";
        buffer_.drainIfFull();
    }
    out_ += "</tbody></table>\n</details>\n";
    if (listed_.size() < report_.checked.size())
        out_ += "<p class=\"meta\">" +
                countOf(report_.checked.size() - listed_.size(), "more path", "more paths") +
                " not listed; the JSON report has them all.</p>\n";
}

void HtmlWriter::writeClosures() {
    // Closures with findings first: those are the pictures a reader came for.
    std::vector<size_t> order;
    for (size_t i = 0; i < report_.checked.size(); ++i)
        if (!report_.checked[i].closure.empty()) order.push_back(i);
    std::stable_partition(order.begin(), order.end(), [&](size_t i) { return findingsOf_[i] > 0; });
    out_ += "<h2 id=\"closures\">Closures</h2>\n";
    if (order.empty()) {
        // An audit does not collect closures (they would repeat the store once per path):
        // its picture is the checked paths themselves, sized by NAR size.
        out_ += "<p class=\"meta\">This run collected no closures (<code>purist check PATH "
                "--format html</code> draws each checked path's); below, the checked paths "
                "themselves by NAR size, offenders in red.</p>\n";
        if (!report_.checked.empty()) writeTreemap(nullptr, true);
        return;
    }
    size_t drawn = std::min(order.size(), kMaxTreemaps);
    for (size_t k = 0; k < drawn; ++k) {
        writeTreemap(&report_.checked[order[k]], k < kOpenTreemaps);
        buffer_.drainIfFull();
    }
    if (drawn < order.size())
        out_ += "<p class=\"meta\">" +
                countOf(order.size() - drawn, "further closure", "further closures") +
                " not drawn (at most " + std::to_string(kMaxTreemaps) + " per report).</p>\n";
}

void HtmlWriter::writeTreemap(const CheckedPath* checked, bool open) {
    // What to highlight: offenders and the paths their chains pass through (in an audit's
    // picture, the paths with failing findings); an offender only waived findings name is
    // drawn paler, so the picture agrees with the verdict.
    std::unordered_set<std::string_view> offenders, waivedOffenders, chainPaths;
    for (const Finding& finding : report_.findings) {
        if (checked && finding.path != checked->path) continue;
        auto& named = finding.waiverReason ? waivedOffenders : offenders;
        if (!finding.offender.empty()) named.insert(finding.offender);
        if (!checked) {
            if (isFailing(report_, finding)) chainPaths.insert(finding.path);
            continue;
        }
        for (const ChainHop& hop : finding.chain) {
            if (&hop == &finding.chain.back())
                named.insert(hop.to);
            else
                chainPaths.insert(hop.to);
        }
    }

    struct Tile {
        std::string_view path;
        uint64_t narSize;
    };
    std::vector<Tile> members;
    uint64_t total = 0;
    size_t empty = 0, count = 0;
    auto add = [&](std::string_view path, uint64_t narSize) {
        ++count;
        if (narSize == 0) {
            ++empty;
            return;
        }
        members.push_back({path, narSize});
        total += narSize;
    };
    if (checked) {
        for (const ClosureMember& member : checked->closure)
            add(member.path, member.narSize);
    } else {
        for (const CheckedPath& path : report_.checked)
            add(path.path, path.narSize);
    }
    std::stable_sort(members.begin(), members.end(), [](const Tile& a, const Tile& b) {
        return a.narSize != b.narSize ? a.narSize > b.narSize : a.path < b.path;
    });
    uint64_t restSize = 0;
    size_t restCount = 0;
    if (members.size() > kMaxTreemapMembers) {
        for (size_t i = kMaxTreemapMembers; i < members.size(); ++i)
            restSize += members[i].narSize;
        restCount = members.size() - kMaxTreemapMembers;
        members.resize(kMaxTreemapMembers);
    }

    out_ += std::string("<details class=\"closure\"") + (open ? " open" : "") + "><summary>";
    if (checked) {
        out_ += "<code>";
        esc(checked->path);
        out_ += "</code> <span class=\"meta\">" + countOf(count, "path", "paths") +
                " in the closure, " + formatSize(total) + " in all";
    } else {
        out_ += "The " + countOf(count, "checked path", "checked paths") +
                " <span class=\"meta\">" + formatSize(total) + " in all";
    }
    if (empty) out_ += "; " + std::to_string(empty) + " of size 0 not drawn";
    out_ += "</span></summary>\n";
    if (total == 0) {
        out_ += "</details>\n";
        return;
    }

    std::vector<double> areas;
    double scale = kTreemapWidth * kTreemapHeight / static_cast<double>(total);
    for (const Tile& member : members)
        areas.push_back(static_cast<double>(member.narSize) * scale);
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
    if (checked) {
        out_ += "<title>closure of ";
        esc(checked->path);
        out_ += "</title>\n";
    } else {
        out_ += "<title>the checked paths by NAR size</title>\n";
    }
    const char* share = checked ? " of the closure)</title>" : " of the checked paths)</title>";
    for (size_t k = 0; k < order.size(); ++k) {
        size_t i = order[k];
        const Box& box = boxes[k];
        bool isRest = i == members.size();
        std::string_view path = isRest ? std::string_view() : members[i].path;
        uint64_t size = isRest ? restSize : members[i].narSize;
        const char* fill = isRest                             ? Colors::rest
                           : offenders.count(path)            ? Colors::offender
                           : waivedOffenders.count(path)      ? Colors::waived
                           : chainPaths.count(path)           ? Colors::chain
                           : checked && path == checked->path ? Colors::root
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
        out_ += " \xe2\x80\x94 " + formatSize(size) + " (" + percent + share;
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
    if (checked)
        out_ += std::string("<span style=\"--c:") + Colors::root + "\">checked path</span>";
    out_ += std::string("<span style=\"--c:") + Colors::offender + "\">offender</span>";
    if (!waivedOffenders.empty())
        out_ += std::string("<span style=\"--c:") + Colors::waived + "\">waived offender</span>";
    out_ += std::string("<span style=\"--c:") + Colors::chain + "\">" +
            (checked ? "on a chain to an offender" : "has failing findings") + "</span>";
    out_ += std::string("<span style=\"--c:") + Colors::other + "\">" +
            (checked ? "other closure member" : "other checked path") + "</span>";
    if (restCount)
        out_ +=
            std::string("<span style=\"--c:") + Colors::rest + "\">smaller paths, grouped</span>";
    out_ += "<span class=\"note\">area = NAR size; hover for details</span></div>\n</details>\n";
}

} // namespace

void renderHtmlReport(const Report& report, ReportBuffer& out) {
    HtmlWriter(report, out).write();
}

} // namespace purist::reports
