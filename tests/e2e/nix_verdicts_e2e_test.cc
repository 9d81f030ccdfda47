// Reference and requisite checks, case by case against Nix 2.8: each case is written once
// as a Nix expression and once as purist specs, built by both, and the verdicts (passes,
// fails the check, refuses the specifier) must agree. The cases follow the ones Nix's own
// functional tests exercise (tests/functional/check-refs and check-reqs in the Nix
// repository), plus the ones issue 11 found purist got wrong; they are written afresh here.
//
// Not ported, and why:
//  - check-refs test1/test2 assert what the scanner records, not a check's verdict (the
//    store tests cover scanning);
//  - check-refs test8 is builtins.toFile naming a derivation output, an evaluation error in
//    Nix; purist specs have no toFile;
//  - check-refs test11 uses unsafeDiscardReferences, which Nix 2.8 does not have (2.12+)
//    and purist does not offer;
// Deliberate differences are in kCases with `nix` set apart from `purist`, with the reason.

#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <grp.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <map>

namespace purist::testing {
namespace {

enum class Verdict { Pass, Fail, Refused };

const char* describe(Verdict v) {
    switch (v) {
    case Verdict::Pass:
        return "passes";
    case Verdict::Fail:
        return "fails the check";
    case Verdict::Refused:
        return "refuses the specifier";
    }
    return "?";
}

// The Nix side: plain derivations with the host's /bin/sh (bash for structured attrs,
// whose outputs are read from .attrs.sh), so no nixpkgs is needed. The bash scripts end in
// `exit 0`: when bash ends by exec-ing its last command, Nix 2.8 reports the builder
// "killed by signal 9" about one build in four here (seen with and without build users).
const char* const kNixFile = R"NIX(
let
  sh = args: derivation ({ system = builtins.currentSystem; builder = "/bin/sh";
                           PATH = "/bin:/usr/bin"; } // args);
  structured = args: derivation ({ system = builtins.currentSystem; builder = "/bin/bash";
                                   PATH = "/bin:/usr/bin"; __structuredAttrs = true; } // args);
in rec {
  dep = sh { name = "check-refs-dep"; args = [ "-c" "mkdir $out; echo dep > $out/file" ]; };
  links = checks: sh ({ name = "check-refs-links"; inherit dep;
                        args = [ "-c" "mkdir $out; ln -s $dep $out/link" ]; } // checks);
  selfRef = checks: sh ({ name = "check-refs-self";
                          args = [ "-c" "mkdir $out; ln -s $out $out/link" ]; } // checks);
  empty = sh { name = "check-refs-empty"; args = [ "-c" "mkdir $out" ]; allowedReferences = []; };

  refsEmptyWithRef = links { allowedReferences = []; };
  refsListed = links { allowedReferences = [ dep ]; };
  refsEmptyNoRef = empty;
  refsEmptySelf = selfRef { allowedReferences = []; };
  refsOutSelf = selfRef { allowedReferences = [ "out" ]; };
  refsDisallowedDep = links { disallowedReferences = [ dep ]; };
  refsInLogOnly = sh { name = "check-refs-log"; inherit dep empty;
                       args = [ "-c" "mkdir $out; echo $empty; ln -s $dep $out/link" ];
                       disallowedReferences = [ empty ]; };
  refsSelfDisallowed = selfRef { disallowedReferences = [ "out" ]; };
  refsUnknownOutput = sh { name = "check-refs-lib"; outputs = [ "out" "lib" ];
                           args = [ "-c" "mkdir $out $lib" ]; disallowedReferences = [ "dev" ]; };
  refsTypo = links { disallowedReferences = [ "check-refs-dpe" ]; };
  refsSiblingOutput = sh { name = "check-refs-sibling"; outputs = [ "out" "lib" ];
                           args = [ "-c" "mkdir $out $lib; ln -s $out $lib/link" ];
                           disallowedReferences = [ "out" ]; };

  dep1 = sh { name = "check-reqs-dep1"; args = [ "-c" "mkdir $out; touch $out/file1" ]; };
  dep2 = sh { name = "check-reqs-dep2"; args = [ "-c" "mkdir $out; touch $out/file2" ]; };
  deps = sh { name = "check-reqs-deps"; inherit dep1 dep2;
              args = [ "-c" "mkdir $out; ln -s $dep1/file1 $out/file1; ln -s $dep2/file2 $out/file2" ]; };
  reqs = checks: sh ({ name = "check-reqs"; inherit deps;
                       args = [ "-c" "mkdir $out; ln -s $deps $out/depdir1" ]; } // checks);
  reqsAll = reqs { allowedRequisites = [ dep1 dep2 deps ]; };
  reqsNoDep1 = reqs { allowedRequisites = [ dep2 deps ]; };
  reqsNoDep2 = reqs { allowedRequisites = [ dep1 deps ]; };
  reqsOnlyDeps = reqs { allowedRequisites = [ deps ]; };
  reqsEmpty = reqs { allowedRequisites = []; };
  reqsDisallowedDep1 = reqs { disallowedRequisites = [ dep1 ]; };
  reqsDisallowedUnrelated = reqs { disallowedRequisites = [ reqsAll ]; };

  outEmptyRequisites = structured { name = "check-out-reqs";
    args = [ "-c" "set -e; . .attrs.sh; mkdir \${outputs[out]}; exit 0" ];
    outputChecks.out.allowedRequisites = []; };
  outEmptyRequisitesIgnoreSelf = structured { name = "check-out-reqs-ignore";
    args = [ "-c" "set -e; . .attrs.sh; mkdir \${outputs[out]}; exit 0" ];
    outputChecks.out = { allowedRequisites = []; ignoreSelfRefs = true; }; };
  outLibRefersToOut = structured { name = "check-out-lib"; outputs = [ "out" "lib" ];
    args = [ "-c" "set -e; . .attrs.sh; mkdir \${outputs[out]} \${outputs[lib]}; ln -s \${outputs[out]} \${outputs[lib]}/link; exit 0" ];
    outputChecks.lib.disallowedReferences = [ "out" ]; };
  outOutMayReferToLib = structured { name = "check-out-out"; outputs = [ "out" "lib" ];
    args = [ "-c" "set -e; . .attrs.sh; mkdir \${outputs[out]} \${outputs[lib]}; ln -s \${outputs[lib]} \${outputs[out]}/link; exit 0" ];
    outputChecks.lib.allowedReferences = []; };
  outAllowedRequisitesListed = structured { name = "check-out-listed"; inherit dep;
    args = [ "-c" "set -e; . .attrs.sh; mkdir \${outputs[out]}; ln -s $dep \${outputs[out]}/link; exit 0" ];
    outputChecks.out.allowedRequisites = [ "out" dep ]; };
  whyTwoFiles = sh { name = "check-why-two";
    args = [ "-c" "mkdir $out; ln -s $out $out/link; echo $out > $out/file" ]; };
  outMaxSize = structured { name = "check-out-size";
    args = [ "-c" "set -e; . .attrs.sh; head -c 4096 /dev/zero > \${outputs[out]}; exit 0" ];
    outputChecks.out.maxSize = 1000; };
}
)NIX";

std::string shSpec(const std::string& name, const std::string& script,
                   const std::string& rest = "") {
    return "name: " + name + "\nbuilder: /bin/sh\nargs: [-c, '" + script +
           "']\nenv: {PATH: /bin:/usr/bin}\n" + rest;
}

// Specs shared by the cases, by file name.
const std::map<std::string, std::string>& sharedSpecs() {
    static const std::map<std::string, std::string> specs = {
        {"dep.yaml", shSpec("check-refs-dep", "mkdir $out; echo dep > $out/file")},
        {"empty.yaml",
         shSpec("check-refs-empty", "mkdir $out", "checks: {allowedReferences: []}\n")},
        {"dep1.yaml", shSpec("check-reqs-dep1", "mkdir $out; touch $out/file1")},
        {"dep2.yaml", shSpec("check-reqs-dep2", "mkdir $out; touch $out/file2")},
        {"deps.yaml",
         shSpec("check-reqs-deps",
                "mkdir $out; ln -s $dep1/file1 $out/file1; ln -s $dep2/file2 $out/file2",
                "inputs: [dep1.yaml, dep2.yaml]\n")},
        {"reqs-all.yaml", shSpec("check-reqs", "mkdir $out; ln -s $deps $out/depdir1",
                                 "inputs: [deps.yaml]\nchecks: {allowedRequisites: [dep1.yaml, "
                                 "dep2.yaml, deps.yaml]}\n")},
    };
    return specs;
}

struct Case {
    const char* attr;   ///< the Nix attribute, and the spec's file stem
    const char* checks; ///< purist: the spec's `checks:` (flow mapping)
    const char*
        kind; ///< links | self | log | lib | sibling | reqs | plain | outlib | outout | size
    Verdict purist;
    Verdict nix;
    const char* why = ""; ///< when nix differs from purist: the reason
};

const Case kCases[] = {
    {"refsEmptyWithRef", "{allowedReferences: []}", "links", Verdict::Fail, Verdict::Fail},
    {"refsListed", "{allowedReferences: [dep.yaml]}", "links", Verdict::Pass, Verdict::Pass},
    {"refsEmptyNoRef", "{allowedReferences: []}", "plain", Verdict::Pass, Verdict::Pass},
    {"refsEmptySelf", "{allowedReferences: []}", "self", Verdict::Fail, Verdict::Fail},
    {"refsOutSelf", "{allowedReferences: [out]}", "self", Verdict::Pass, Verdict::Pass},
    {"refsDisallowedDep", "{disallowedReferences: [dep.yaml]}", "links", Verdict::Fail,
     Verdict::Fail},
    {"refsInLogOnly", "{disallowedReferences: [empty.yaml]}", "log", Verdict::Pass, Verdict::Pass},
    {"refsSelfDisallowed", "{disallowedReferences: [out]}", "self", Verdict::Fail, Verdict::Fail},
    {"refsUnknownOutput", "{disallowedReferences: [dev]}", "lib", Verdict::Refused,
     Verdict::Refused},
    {"refsTypo", "{disallowedReferences: [check-refs-dpe]}", "links", Verdict::Refused,
     Verdict::Refused},
    {"refsSiblingOutput", "{disallowedReferences: [out]}", "sibling", Verdict::Fail, Verdict::Fail},
    {"reqsAll", "{allowedRequisites: [dep1.yaml, dep2.yaml, deps.yaml]}", "reqs", Verdict::Pass,
     Verdict::Pass},
    {"reqsNoDep1", "{allowedRequisites: [dep2.yaml, deps.yaml]}", "reqs", Verdict::Fail,
     Verdict::Fail},
    {"reqsNoDep2", "{allowedRequisites: [dep1.yaml, deps.yaml]}", "reqs", Verdict::Fail,
     Verdict::Fail},
    {"reqsOnlyDeps", "{allowedRequisites: [deps.yaml]}", "reqs", Verdict::Fail, Verdict::Fail},
    {"reqsEmpty", "{allowedRequisites: []}", "reqs", Verdict::Fail, Verdict::Fail},
    {"reqsDisallowedDep1", "{disallowedRequisites: [dep1.yaml]}", "reqs", Verdict::Fail,
     Verdict::Fail},
    {"reqsDisallowedUnrelated", "{disallowedRequisites: [reqs-all.yaml]}", "reqs", Verdict::Refused,
     Verdict::Pass,
     "the named build is not in the input closure, so the check can never fire: purist "
     "refuses it as it refuses a typo (issue 11); Nix accepts any store path"},
    {"outEmptyRequisites", "{outputChecks: {out: {allowedRequisites: []}}}", "plain", Verdict::Fail,
     Verdict::Fail},
    {"outEmptyRequisitesIgnoreSelf",
     "{outputChecks: {out: {allowedRequisites: [], ignoreSelfRefs: true}}}", "plain", Verdict::Pass,
     Verdict::Fail,
     "Nix (2.8, and still today) never reads ignoreSelfRefs from outputChecks, so the path "
     "stays its own requisite; purist honours the key"},
    {"outAllowedRequisitesListed", "{outputChecks: {out: {allowedRequisites: [out, dep.yaml]}}}",
     "links", Verdict::Pass, Verdict::Pass},
    {"outLibRefersToOut", "{outputChecks: {lib: {disallowedReferences: [out]}}}", "outlib",
     Verdict::Fail, Verdict::Fail},
    {"outOutMayReferToLib", "{outputChecks: {lib: {allowedReferences: []}}}", "outout",
     Verdict::Pass, Verdict::Pass},
    {"outMaxSize", "{outputChecks: {out: {maxSize: 1000}}}", "size", Verdict::Fail, Verdict::Fail},
};

// The case's spec; without `withChecks`, the same build (checks are not part of the output
// path) for the policy form of the case.
std::string specFor(const Case& c, bool withChecks = true) {
    std::string kind = c.kind, name = std::string("v-") + c.attr;
    std::string checks = withChecks ? std::string("checks: ") + c.checks + "\n" : "";
    if (kind == "links")
        return shSpec(name, "mkdir $out; ln -s $dep $out/link", "inputs: [dep.yaml]\n" + checks);
    if (kind == "self") return shSpec(name, "mkdir $out; ln -s $out $out/link", checks);
    if (kind == "plain") return shSpec(name, "mkdir $out", checks);
    if (kind == "log")
        return shSpec(name, "mkdir $out; echo $empty; ln -s $dep $out/link",
                      "inputs: [dep.yaml, empty.yaml]\n" + checks);
    if (kind == "lib") return shSpec(name, "mkdir $out $lib", "outputs: [out, lib]\n" + checks);
    if (kind == "sibling" || kind == "outlib")
        return shSpec(name, "mkdir $out $lib; ln -s $out $lib/link",
                      "outputs: [out, lib]\n" + checks);
    if (kind == "outout")
        return shSpec(name, "mkdir $out $lib; ln -s $lib $out/link",
                      "outputs: [out, lib]\n" + checks);
    if (kind == "reqs")
        return shSpec(name, "mkdir $out; ln -s $deps $out/depdir1",
                      "inputs: [deps.yaml]\n" + checks);
    if (kind == "size") return shSpec(name, "head -c 4096 /dev/zero > $out", checks);
    ADD_FAILURE() << "unknown kind " << kind;
    return "";
}

class NixVerdicts : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0 || ::getgrnam("purist-build") == nullptr) {
            PURIST_SKIP_OUTSIDE_CI("purist's strict builds here need root and the purist-build "
                                   "group (scripts/create-build-users.sh)");
        }
        if (!haveProgram("nix-build")) {
            PURIST_SKIP_OUTSIDE_CI("Nix is not installed (apt-get install nix-bin)");
        }
        dir_.emplace("nix-verdicts-");
        std::filesystem::permissions(dir_->path(), std::filesystem::perms(0755));
        makeFile(dir_->path() + "/cases.nix", kNixFile);
        for (const auto& [file, text] : sharedSpecs())
            makeFile(dir_->path() + "/" + file, text);
    }

    // A chroot store of the test's own, built as root without build users (no nixbld group
    // needed); the sandbox sees only the host's /bin, /lib and /usr, and nothing is
    // substituted (without that every build waits on the network).
    std::vector<std::string> nixBuild(const std::string& attr) {
        std::vector<std::string> argv = nixBuildCommand(dir_->path() + "/nix");
        argv.insert(argv.end(), {dir_->path() + "/cases.nix", "-A", attr});
        return argv;
    }

    Verdict nixVerdict(const std::string& attr, std::string& log, bool retry = true) {
        RunResult r = runProgram(nixBuild(attr));
        log = r.err;
        if (retry && r.exitCode != 0 && r.err.find("failed due to signal") != std::string::npos) {
            // A builder killed from outside (the OOM killer on a loaded machine, or the
            // Nix 2.8 race described at kNixFile) says nothing about the checks: one more try.
            std::cerr << "nix-build " << attr << ": builder killed, retrying once\n";
            return nixVerdict(attr, log, false);
        }
        if (r.exitCode == 0) return Verdict::Pass;
        if (r.err.find("illegal reference specifier") != std::string::npos) return Verdict::Refused;
        if (r.err.find("is not allowed to refer to") != std::string::npos ||
            r.err.find("is too large") != std::string::npos)
            return Verdict::Fail;
        ADD_FAILURE() << "nix-build failed for another reason:\n" << r.err;
        return Verdict::Refused;
    }

    RunResult puristBuild(const std::string& spec) {
        return runPurist({"--root", root(), "build", "--config",
                          std::string(PURIST_SOURCE_DIR) + "/examples/purist.yaml", "--no-out-link",
                          spec});
    }
    std::string root() const { return dir_->path() + "/root"; }

    Verdict puristVerdict(const std::string& spec, std::string& log) {
        const std::string root = this->root();
        RunResult built = puristBuild(spec);
        log = built.err;
        // The build gates on its checks, as nix-build does: a failing check fails it (3).
        if (built.exitCode == 3 && built.err.find("fail their checks") != std::string::npos)
            return Verdict::Fail;
        if (built.exitCode == 2) return Verdict::Refused;
        if (built.exitCode != 0) {
            ADD_FAILURE() << "purist build failed:\n" << built.err;
            return Verdict::Refused;
        }
        // Built: `check` on the registered outputs must agree that they pass.
        RunResult checked = runPurist({"--root", root, "check", spec});
        log += checked.out + checked.err;
        if (checked.exitCode == 0) return Verdict::Pass;
        if (checked.exitCode == 1) {
            ADD_FAILURE() << "purist build registered outputs that `check` finds failing";
            return Verdict::Fail;
        }
        if (checked.exitCode == 2 && checked.err.find("can match nothing") != std::string::npos)
            return Verdict::Refused;
        ADD_FAILURE() << "purist check failed for another reason:\n" << checked.err;
        return Verdict::Refused;
    }

    std::optional<TempDir> dir_;
};

// The same cases as policy rules (the one rule is the check; a policy has no output names,
// so `out` is the path's own name). Cases a policy cannot express are absent.
const std::map<std::string, std::string> kPolicies = {
    {"refsEmptyWithRef", "allow-only-references: []"},
    {"refsListed", "allow-only-references: {names: ['^check-refs-dep$']}"},
    {"refsEmptyNoRef", "allow-only-references: []"},
    {"refsEmptySelf", "allow-only-references: []"},
    {"refsOutSelf", "allow-only-references: {names: ['^v-refsOutSelf$']}"},
    {"refsDisallowedDep", "forbid-references: {names: ['^check-refs-dep$']}"},
    {"refsInLogOnly", "forbid-references: {names: ['^check-refs-empty$']}"},
    {"refsSelfDisallowed", "forbid-references: {names: ['^v-refsSelfDisallowed$']}"},
    {"refsSiblingOutput", "forbid-references: {names: ['^v-refsSiblingOutput$']}"},
    {"reqsAll", "allow-only-requisites: {names: ['^check-reqs-dep1$', '^check-reqs-dep2$', "
                "'^check-reqs-deps$']}"},
    {"reqsNoDep1", "allow-only-requisites: {names: ['^check-reqs-dep2$', '^check-reqs-deps$']}"},
    {"reqsNoDep2", "allow-only-requisites: {names: ['^check-reqs-dep1$', '^check-reqs-deps$']}"},
    {"reqsOnlyDeps", "allow-only-requisites: {names: ['^check-reqs-deps$']}"},
    {"reqsEmpty", "allow-only-requisites: []"},
    {"reqsDisallowedDep1", "forbid-requisites: {names: ['^check-reqs-dep1$']}"},
    {"outEmptyRequisites", "allow-only-requisites: {ignore-self-refs: false}"},
    {"outEmptyRequisitesIgnoreSelf", "allow-only-requisites: []"},
    {"outMaxSize", "max-size: 1000"},
};

TEST_F(NixVerdicts, PoliciesAgreeWithNix28) {
    for (const Case& c : kCases) {
        auto policy = kPolicies.find(c.attr);
        if (policy == kPolicies.end()) continue;
        SCOPED_TRACE(c.attr);
        std::string spec = dir_->path() + "/" + c.attr + "-plain.yaml";
        makeFile(spec, specFor(c, false));
        RunResult built = puristBuild(spec);
        ASSERT_EQ(built.exitCode, 0) << built.err;
        std::string file = dir_->path() + "/" + c.attr + "-policy.yaml";
        makeFile(file, "rules:\n  - id: case\n    " + policy->second + "\n");
        std::vector<std::string> args = {"--root", root(), "check", "--policy", file};
        std::string outputs = built.out;
        for (size_t start = 0; start < outputs.size();) {
            size_t end = outputs.find('\n', start);
            if (end == std::string::npos) end = outputs.size();
            if (end > start) args.push_back(outputs.substr(start, end - start));
            start = end + 1;
        }
        RunResult checked = runPurist(args);
        Verdict purist = checked.exitCode == 0   ? Verdict::Pass
                         : checked.exitCode == 1 ? Verdict::Fail
                                                 : Verdict::Refused;
        // The case's verdict from its table, which EveryCaseAgreesWithNix28 holds to Nix's
        // (or to purist's, where a listed reason says they differ).
        EXPECT_EQ(purist, c.purist)
            << "purist " << describe(purist) << ", expected " << describe(c.purist) << ":\n"
            << checked.out << checked.err;
    }
}

TEST_F(NixVerdicts, EveryCaseAgreesWithNix28) {
    for (const Case& c : kCases) {
        SCOPED_TRACE(c.attr);
        std::string spec = dir_->path() + "/" + c.attr + ".yaml";
        makeFile(spec, specFor(c));
        std::string nixLog, puristLog;
        Verdict nix = nixVerdict(c.attr, nixLog);
        Verdict purist = puristVerdict(spec, puristLog);
        EXPECT_EQ(nix, c.nix) << "Nix " << describe(nix) << ", expected " << describe(c.nix)
                              << ":\n"
                              << nixLog;
        EXPECT_EQ(purist, c.purist)
            << "purist " << describe(purist) << ", expected " << describe(c.purist) << ":\n"
            << puristLog;
        if (c.nix != c.purist) {
            EXPECT_STRNE(c.why, "") << "a difference needs its reason";
        }
    }
}

// `purist build` refuses a specifier that can match nothing before anything is built, at
// the entry's position; `purist check SPEC` refuses it the same way.
TEST(VacuousSpecifiers, RefusedBeforeAnythingIsBuilt) {
    if (::geteuid() != 0 || ::getgrnam("purist-build") == nullptr) {
        PURIST_SKIP_OUTSIDE_CI("purist's strict builds here need root and the purist-build "
                               "group (scripts/create-build-users.sh)");
    }
    TempDir dir("vacuous-");
    std::filesystem::permissions(dir.path(), std::filesystem::perms(0755));
    makeFile(dir.path() + "/dep.yaml", sharedSpecs().at("dep.yaml"));
    const std::string root = dir.path() + "/root";
    const std::string config = std::string(PURIST_SOURCE_DIR) + "/examples/purist.yaml";
    struct Entry {
        const char* checks;
        const char* position;
    };
    for (const Entry& e :
         {Entry{"  disallowedRequisites: [check-refs-dpe]\n", ":7:26:"},
          Entry{"  allowedReferences: [dev]\n", ":7:23:"},
          Entry{"  outputChecks:\n    out: {disallowedReferences: [/x/y]}\n", ":8:34:"}}) {
        SCOPED_TRACE(e.checks);
        std::string spec = dir.path() + "/typo.yaml";
        makeFile(spec, shSpec("typo", "mkdir $out; ln -s $dep $out/link",
                              std::string("inputs: [dep.yaml]\nchecks:\n") + e.checks));
        RunResult built =
            runPurist({"--root", root, "build", "--config", config, "--no-out-link", spec});
        EXPECT_EQ(built.exitCode, 2) << built.err;
        EXPECT_NE(built.err.find(spec + e.position), std::string::npos) << built.err;
        EXPECT_NE(built.err.find("can match nothing"), std::string::npos) << built.err;
        // Nothing was built: not the spec, not its input.
        std::error_code ec;
        size_t entries = 0;
        for (const auto& entry : std::filesystem::directory_iterator(root + "/store", ec)) {
            (void)entry;
            ++entries;
        }
        EXPECT_EQ(entries, 0u);
    }
}

std::string withoutColours(const std::string& text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\x1b') {
            while (i < text.size() && text[i] != 'm')
                ++i;
            continue;
        }
        out += text[i];
    }
    return out;
}

std::string lastLine(const std::string& text) {
    std::string t = text;
    while (!t.empty() && t.back() == '\n')
        t.pop_back();
    return t.substr(t.rfind('\n') == std::string::npos ? 0 : t.rfind('\n') + 1);
}

// Nix 2.8 registers none of a derivation's outputs when one of them breaks its checks
// (here lib refers to out, which lib's disallowedReferences forbids; out has no check), and
// neither does purist.
TEST_F(NixVerdicts, ARefusedBuildRegistersNoneOfItsOutputsAsInNix) {
    const std::string store = dir_->path() + "/nix";
    std::string log;
    ASSERT_EQ(nixVerdict("outLibRefersToOut", log), Verdict::Fail) << log;
    RunResult drv = runProgram({"nix-instantiate", "--store", store, dir_->path() + "/cases.nix",
                                "-A", "outLibRefersToOut"});
    ASSERT_EQ(drv.exitCode, 0) << drv.err;
    RunResult outputs =
        runProgram({"nix-store", "--store", store, "--query", "--outputs", lastLine(drv.out)});
    ASSERT_EQ(outputs.exitCode, 0) << outputs.err;
    size_t count = 0;
    for (size_t start = 0; start < outputs.out.size();) {
        size_t end = outputs.out.find('\n', start);
        if (end == std::string::npos) end = outputs.out.size();
        std::string path = outputs.out.substr(start, end - start);
        start = end + 1;
        if (path.empty()) continue;
        ++count;
        RunResult valid = runProgram({"nix-store", "--store", store, "--check-validity", path});
        EXPECT_NE(valid.exitCode, 0) << "Nix registered " << path;
    }
    EXPECT_EQ(count, 2u) << outputs.out;

    const Case* c = nullptr;
    for (const Case& each : kCases)
        if (std::string(each.attr) == "outLibRefersToOut") c = &each;
    ASSERT_NE(c, nullptr);
    std::string spec = dir_->path() + "/outLibRefersToOut.yaml";
    makeFile(spec, specFor(*c));
    RunResult built = puristBuild(spec);
    EXPECT_EQ(built.exitCode, 3) << built.err;
    EXPECT_NE(built.err.find("outputChecks.lib.disallowedReferences"), std::string::npos)
        << built.err;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root() + "/store", ec))
        EXPECT_EQ(entry.path().string().find("v-outLibRefersToOut"), std::string::npos)
            << entry.path();
    RunResult verify = runPurist({"--root", root(), "store", "verify"});
    EXPECT_EQ(verify.exitCode, 0) << verify.out << verify.err;
}

// `why X X` as `nix why-depends`: a path is in its own closure, so both answer (exit 0)
// with the self-reference and, asked for every site, every file that holds it; a path
// without one is shown alone. (For a path that is NOT a dependency Nix 2.8 also exits 0;
// purist exits 1 there on purpose, so scripts can test it: not compared.)
TEST_F(NixVerdicts, WhyAPathDependsOnItselfAsInNix) {
    for (const char* attr : {"whyTwoFiles", "dep"}) {
        SCOPED_TRACE(attr);
        RunResult nixBuilt = runProgram(nixBuild(attr));
        ASSERT_EQ(nixBuilt.exitCode, 0) << nixBuilt.err;
        std::string nixPath = lastLine(nixBuilt.out);
        RunResult nix =
            runProgram({"nix", "--extra-experimental-features", "nix-command", "why-depends",
                        "--store", dir_->path() + "/nix", "--all", "--precise", nixPath, nixPath});
        std::string nixOut = withoutColours(nix.out);
        EXPECT_EQ(nix.exitCode, 0) << nix.err;

        std::string spec = std::string(attr) == "dep" ? dir_->path() + "/dep.yaml"
                                                      : dir_->path() + "/why-two.yaml";
        makeFile(
            dir_->path() + "/why-two.yaml",
            shSpec("check-why-two", "mkdir $out; ln -s $out $out/link; echo $out > $out/file"));
        RunResult built = puristBuild(spec);
        ASSERT_EQ(built.exitCode, 0) << built.err;
        std::string path = lastLine(built.out);
        RunResult why = runPurist({"--root", root(), "why", "--all-sites", path, path});
        EXPECT_EQ(why.exitCode, 0) << why.err;
        RunResult first = runPurist({"--root", root(), "why", path, path});
        EXPECT_EQ(first.exitCode, 0) << first.err;
        if (std::string(attr) == "dep") {
            EXPECT_EQ(nixOut, nixPath + "\n");
            EXPECT_EQ(why.out, path + "\n");
            continue;
        }
        // Nix: "file: …hash…" and "link -> target"; purist: "file at byte N" and
        // "also link at byte N".
        EXPECT_NE(nixOut.find("file: …"), std::string::npos) << nixOut;
        EXPECT_NE(nixOut.find("link -> "), std::string::npos) << nixOut;
        EXPECT_NE(why.out.find("───file at byte"), std::string::npos) << why.out;
        EXPECT_NE(why.out.find("also link at byte"), std::string::npos) << why.out;
        EXPECT_NE(first.out.find("───file at byte"), std::string::npos) << first.out;
        EXPECT_EQ(first.out.find("also link"), std::string::npos) << first.out;
    }
}

} // namespace
} // namespace purist::testing
