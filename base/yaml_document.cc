#include "base/yaml_document.h"

#include "base/error.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <sstream>
#include <string_view>

namespace purist {
namespace {

/// yaml-cpp's syntax messages ("unknown token", "end of map not found") name its grammar,
/// not what the user wrote. Says what is wrong in a user's words, with the character found
/// at the mark, and keeps yaml-cpp's words in parentheses for a search.
std::string explainSyntaxError(const std::string& text, const YAML::Exception& e) {
    const std::string& msg = e.msg;
    std::string found;
    if (!e.mark.is_null() && e.mark.pos >= 0 && static_cast<size_t>(e.mark.pos) < text.size()) {
        char c = text[static_cast<size_t>(e.mark.pos)];
        if (c >= 0x21 && c < 0x7f) found = std::string("'") + c + "'";
    }
    std::string plain;
    if (msg == YAML::ErrorMsg::UNKNOWN_TOKEN) {
        plain = "unexpected " + (found.empty() ? std::string("character") : found) +
                "; inside [...] or {...}, a value holding '?', ':', ',', '[', ']', '{', '}' or "
                "'#' must be quoted (write '/lib64?', not /lib64?)";
    } else if (msg == YAML::ErrorMsg::END_OF_SEQ_FLOW) {
        plain = "a list opened with '[' is not closed with ']'";
    } else if (msg == YAML::ErrorMsg::END_OF_MAP_FLOW) {
        plain = "a mapping opened with '{' is not closed with '}'";
    } else if (msg == YAML::ErrorMsg::END_OF_MAP || msg == YAML::ErrorMsg::END_OF_SEQ) {
        plain = "this line's indentation does not match the lines above it (indent with spaces, "
                "the same amount for every entry of a list or mapping)";
    } else if (msg == YAML::ErrorMsg::TAB_IN_INDENTATION) {
        plain = "a tab in the indentation; YAML indents with spaces only";
    } else if (msg == YAML::ErrorMsg::MAP_VALUE) {
        plain = "a ': ' where no value can start; quote text that holds ': ', or put the key "
                "on a line of its own";
    } else if (msg == YAML::ErrorMsg::BLOCK_ENTRY) {
        plain = "a '- ' list item where no list can start; indent it under its key";
    } else if (msg == YAML::ErrorMsg::MAP_KEY) {
        plain = "a key where none can start; check the indentation of this line";
    } else if (msg == YAML::ErrorMsg::EOF_IN_SCALAR) {
        plain = "a quoted string is not closed before the end of the file";
    } else if (msg.starts_with(YAML::ErrorMsg::INVALID_ESCAPE)) {
        plain = "an unknown escape in a double-quoted string; use single quotes for text with "
                "backslashes";
    } else {
        return "bad YAML: " + msg;
    }
    return "bad YAML: " + plain + " (yaml-cpp: " + msg + ")";
}

/// Follows how deep the parse is, and where the innermost collection opened so far starts.
/// yaml-cpp's own mark on its depth error is where its scanner had read to, which for flow
/// collections (`[[[[`) is the end of the file, far from anything a user could fix; and its
/// depth counts parser frames, not the lists and mappings a user wrote.
class NestingTracker : public YAML::EventHandler {
public:
    int depth = 0;
    int innermostDepth = 0;
    YAML::Mark innermost = YAML::Mark::null_mark();

    void OnSequenceStart(const YAML::Mark& at, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {
        open(at);
    }
    void OnMapStart(const YAML::Mark& at, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {
        open(at);
    }
    void OnSequenceEnd() override { --depth; }
    void OnMapEnd() override { --depth; }
    void OnDocumentStart(const YAML::Mark&) override {}
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}

private:
    void open(const YAML::Mark& at) {
        innermost = at;
        innermostDepth = ++depth;
    }
};

/// The ConfigError for text that yaml-cpp refused as nested too deeply. Parses it again,
/// only to follow the nesting up to where yaml-cpp's depth guard stops it, so this parse
/// cannot overflow the stack either.
ConfigError nestingError(const std::string& text, const std::string& file,
                         const YAML::DeepRecursion& e) {
    std::istringstream in(text);
    NestingTracker tracker;
    try {
        YAML::Parser parser(in);
        parser.HandleNextDocument(tracker);
    } catch (const YAML::Exception&) {
    }
    if (tracker.innermost.is_null())
        return yamlError(file, e.mark, "bad YAML: lists and mappings nested too deeply");
    return yamlError(file, tracker.innermost,
                     "bad YAML: lists and mappings nested " +
                         std::to_string(tracker.innermostDepth) +
                         " levels deep here, more than yaml-cpp parses; purist's files need a few");
}

bool isDigit(char c, int base) {
    if (base == 8) return c >= '0' && c <= '7';
    if (base == 16)
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    return c >= '0' && c <= '9';
}

/// Skips the digits of `base` from `i`; returns how many there were.
size_t skipDigits(std::string_view v, size_t& i, int base = 10) {
    size_t start = i;
    while (i < v.size() && isDigit(v[i], base))
        ++i;
    return i - start;
}

// [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+
bool isCoreInt(std::string_view v) {
    size_t i = 0;
    if (v.starts_with("0o") || v.starts_with("0x")) {
        i = 2;
        return skipDigits(v, i, v[1] == 'o' ? 8 : 16) > 0 && i == v.size();
    }
    if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
    return skipDigits(v, i) > 0 && i == v.size();
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)
bool isCoreFloat(std::string_view v) {
    if (v == ".nan" || v == ".NaN" || v == ".NAN") return true;
    size_t i = 0;
    if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
    std::string_view rest = v.substr(i);
    if (rest == ".inf" || rest == ".Inf" || rest == ".INF") return true;
    size_t whole = skipDigits(v, i);
    if (i < v.size() && v[i] == '.') {
        ++i;
        size_t fraction = skipDigits(v, i);
        if (whole == 0 && fraction == 0) return false;
    } else if (whole == 0) {
        return false;
    }
    if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
        ++i;
        if (i < v.size() && (v[i] == '-' || v[i] == '+')) ++i;
        if (skipDigits(v, i) == 0) return false;
    }
    return i == v.size();
}

/// Where each document parsed so far started.
class DocumentStarts : public YAML::EventHandler {
public:
    YAML::Mark last = YAML::Mark::null_mark();

    void OnDocumentStart(const YAML::Mark& at) override { last = at; }
    void OnDocumentEnd() override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
};

/// True if a line of `text` starts with `---` or `...`, the only ways a document ends or
/// another begins (YAML 1.2, 9.1).
bool mayHoldSecondDocument(std::string_view text) {
    for (size_t at = 0; at < text.size();) {
        std::string_view line = text.substr(at);
        if (line.starts_with("---") || line.starts_with("...")) return true;
        size_t newline = text.find('\n', at);
        if (newline == std::string_view::npos) break;
        at = newline + 1;
    }
    return false;
}

} // namespace

ScalarType resolveScalarType(const YAML::Node& scalar) {
    // Quoted scalars carry the non-specific tag "!"; plain ones "?". An explicit tag such as
    // !!str is honoured too. By hand rather than std::regex: a policy of 200,000 rules
    // resolves a million scalars, and four std::regex matches each took seconds.
    const std::string& tag = scalar.Tag();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return ScalarType::String;
    std::string_view v = scalar.Scalar();
    if (v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL") return ScalarType::Null;
    if (v == "true" || v == "True" || v == "TRUE" || v == "false" || v == "False" || v == "FALSE")
        return ScalarType::Bool;
    if (isCoreInt(v)) return ScalarType::Int;
    if (isCoreFloat(v)) return ScalarType::Float;
    return ScalarType::String;
}

YAML::Node parseYamlDocument(const std::string& text, const std::string& file) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::DeepRecursion& e) {
        throw nestingError(text, file, e);
    } catch (const YAML::Exception& e) {
        throw yamlError(file, e.mark, explainSyntaxError(text, e));
    }
    // YAML::Load reads the first document and ignores the rest. Only a line starting with
    // a document marker can begin another, so most files are parsed once. Not LoadAll: on
    // some malformed inputs yaml-cpp 0.7 finds empty documents for ever, which the fuzzer
    // found as a hang; two documents are all this needs to look at.
    if (!mayHoldSecondDocument(text)) return root;
    std::istringstream in(text);
    DocumentStarts starts;
    try {
        YAML::Parser parser(in);
        if (parser.HandleNextDocument(starts) && parser.HandleNextDocument(starts))
            throw yamlError(file, starts.last,
                            "a second YAML document starts here; the file must hold one");
    } catch (const YAML::Exception& e) {
        throw yamlError(file, e.mark, explainSyntaxError(text, e));
    }
    return root;
}

SourceLocation yamlLocation(const std::string& file, const YAML::Mark& mark) {
    if (mark.is_null() || mark.line < 0) return {file, 0, 0};
    return {file, mark.line + 1, mark.column + 1};
}

SourceLocation yamlLocation(const std::string& file, const YAML::Node& node) {
    return yamlLocation(file, node.IsDefined() ? node.Mark() : YAML::Mark::null_mark());
}

ConfigError yamlError(const std::string& file, const YAML::Mark& mark, const std::string& message) {
    SourceLocation at = yamlLocation(file, mark);
    if (at.line == 0) return ConfigError(file, message);
    return ConfigError(file, at.line, at.column, message);
}

} // namespace purist
