#include "builds/build_graph.h"

#include "base/error.h"
#include "base/file_descriptor.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

namespace purist::builds {
namespace {

using purist::testing::makeFile;

class BuildGraphTest : public ::testing::Test {
protected:
    TempDir dir_{"build-graph-test-"};
    StoreDir storeDir_{"/nix/store"};
    int sourcesAdded_ = 0;

    std::string write(const std::string& name, const std::string& text) {
        std::string path = dir_.path() + "/" + name;
        makeFile(path, text);
        return path;
    }
    // Stands in for LocalStore::addSource: a content address of the file's bytes.
    StorePath fakeSource(const std::string& hostPath) {
        ++sourcesAdded_;
        return storeDir_.makeFixedOutputPath(FileIngestionMethod::Recursive,
                                             hashString(HashAlgorithm::Sha256, readFile(hostPath)),
                                             "source");
    }
    BuildGraph loadAndResolve(const std::vector<std::string>& files) {
        BuildGraph graph = BuildGraph::load(files);
        graph.resolve(storeDir_, [this](const std::string& p) { return fakeSource(p); });
        return graph;
    }
    std::vector<std::string> outputsOf(const std::string& file) {
        BuildGraph graph = loadAndResolve({file});
        return graph.outputPathsOf(file, storeDir_);
    }
    void writeChain(const std::string& libEnv, const std::string& appChecks = "") {
        write("tools.yaml", "name: tools\nbuilder: /bin/sh\n");
        write("lib.yaml",
              "name: lib\nbuilder: /bin/sh\ninputs: [tools.yaml]\nenv: {V: '" + libEnv + "'}\n");
        write("src.txt", "hello\n");
        write("app.yaml",
              "name: app\nbuilder: /bin/sh\ninputs: [lib.yaml]\nsources: {src: src.txt}\n"
              "outputs: [out, doc]\n" +
                  appChecks);
    }
};

TEST_F(BuildGraphTest, SameSpecsNameTheSameOutputs) {
    writeChain("1");
    std::string app = dir_.path() + "/app.yaml";
    std::vector<std::string> first = outputsOf(app);
    ASSERT_EQ(first.size(), 2u);
    EXPECT_TRUE(first[0].ends_with("-app")) << first[0];
    EXPECT_TRUE(first[1].ends_with("-app-doc")) << first[1];
    EXPECT_EQ(outputsOf(app), first);
}

TEST_F(BuildGraphTest, OutputsChangeWithInputsAndSources) {
    writeChain("1");
    std::string app = dir_.path() + "/app.yaml";
    std::vector<std::string> base = outputsOf(app);
    writeChain("2");
    EXPECT_NE(outputsOf(app), base) << "a changed input must change its dependants' outputs";
    writeChain("1");
    EXPECT_EQ(outputsOf(app), base);
    write("src.txt", "changed\n");
    EXPECT_NE(outputsOf(app), base) << "a changed source must change the outputs";
}

TEST_F(BuildGraphTest, ChecksDoNotChangeOutputsAndTheirSpecsAreNotWanted) {
    writeChain("1");
    std::string app = dir_.path() + "/app.yaml";
    std::vector<std::string> base = outputsOf(app);
    write("other.yaml", "name: other\nbuilder: /bin/sh\n");
    writeChain("1", "checks: {disallowedRequisites: [tools.yaml, other.yaml]}\n");
    BuildGraph graph = loadAndResolve({app});
    EXPECT_EQ(graph.outputPathsOf(app, storeDir_), base);
    EXPECT_TRUE(graph.nodes()[graph.indexOf(dir_.path() + "/tools.yaml")].wanted);
    const BuildNode& other = graph.nodes()[graph.indexOf(dir_.path() + "/other.yaml")];
    EXPECT_FALSE(other.wanted);
    EXPECT_EQ(other.outputs.size(), 1u) << "outputs of check-only specs are still computed";
}

TEST_F(BuildGraphTest, SharedInputsAreLoadedOnceAndOrderedFirst) {
    write("base.yaml", "name: base\nbuilder: /bin/sh\n");
    write("left.yaml", "name: left\nbuilder: /bin/sh\ninputs: [base.yaml]\n");
    write("right.yaml", "name: right\nbuilder: /bin/sh\ninputs: [base.yaml]\n");
    std::string top =
        write("top.yaml", "name: top\nbuilder: /bin/sh\ninputs: [left.yaml, ./right.yaml]\n");
    BuildGraph graph = loadAndResolve({top, top});
    EXPECT_EQ(graph.nodes().size(), 4u);
    EXPECT_EQ(graph.targets().size(), 1u);
    std::vector<size_t> position(graph.nodes().size());
    for (size_t i = 0; i < graph.topologicalOrder().size(); ++i)
        position[graph.topologicalOrder()[i]] = i;
    for (size_t i = 0; i < graph.nodes().size(); ++i)
        for (size_t input : graph.nodes()[i].inputNodes)
            EXPECT_LT(position[input], position[i]);
    EXPECT_EQ(graph.nodes()[graph.indexOf(dir_.path() + "/base.yaml")].dependants.size(), 2u);
}

TEST_F(BuildGraphTest, CycleIsReportedAsAChainAtTheClosingInput) {
    write("a.yaml", "name: a\nbuilder: /bin/sh\ninputs: [b.yaml]\n");
    write("b.yaml", "name: b\nbuilder: /bin/sh\ninputs:\n  - c.yaml\n");
    write("c.yaml", "name: c\nbuilder: /bin/sh\ninputs: [a.yaml]\n");
    try {
        BuildGraph::load({dir_.path() + "/a.yaml"});
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        std::string d = dir_.path();
        EXPECT_EQ(e.file(), d + "/c.yaml");
        EXPECT_EQ(e.line(), 3);
        EXPECT_EQ(e.column(), 10);
        EXPECT_NE(std::string(e.what()).find("dependency cycle: " + d + "/a.yaml -> " + d +
                                             "/b.yaml -> " + d + "/c.yaml -> " + d + "/a.yaml"),
                  std::string::npos)
            << e.what();
    }
}

TEST_F(BuildGraphTest, SelfCycle) {
    std::string self = write("self.yaml", "name: s\nbuilder: /bin/sh\ninputs: [self.yaml]\n");
    try {
        BuildGraph::load({self});
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(self + " -> " + self), std::string::npos) << e.what();
    }
}

TEST_F(BuildGraphTest, FixedOutputPathComesFromTheDeclaredHash) {
    Hash declared = hashString(HashAlgorithm::Sha256, "content\n");
    std::string file = write("fixed.yaml", "name: fetched\nbuilder: /bin/sh\nargs: [-c, a]\n"
                                           "fixed-output: {hash: '" +
                                               declared.toSri() + "'}\n");
    std::string same = write("fixed2.yaml", "name: fetched\nbuilder: /bin/sh\nargs: [-c, b]\n"
                                            "fixed-output: {hash: '" +
                                                declared.toSri() + "'}\n");
    std::vector<std::string> a = outputsOf(file);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0], storeDir_.print(storeDir_.makeFixedOutputPath(FileIngestionMethod::Flat,
                                                                  declared, "fetched")));
    EXPECT_EQ(outputsOf(same), a) << "a different builder fetching the same content";
}

TEST_F(BuildGraphTest, StoreInputsMustBeInTheStoreDir) {
    std::string good =
        write("good.yaml", "name: g\nbuilder: /bin/sh\n"
                           "inputs: [/nix/store/00000000000000000000000000000000-x]\n");
    EXPECT_EQ(loadAndResolve({good}).nodes()[0].storeInputs.size(), 1u);
    std::string bad = write("bad.yaml", "name: b\nbuilder: /bin/sh\ninputs: [/usr/lib/x]\n");
    try {
        loadAndResolve({bad});
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(e.line(), 3);
        EXPECT_EQ(e.column(), 10);
    }
}

} // namespace
} // namespace purist::builds
