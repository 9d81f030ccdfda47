// Tests for builds/fixed_output.cc: the content address a fixed output is registered with,
// and the checks of its hash and of its references before registration.

#include "builds/fixed_output.h"

#include "base/error.h"
#include "base/temp_dir.h"
#include "store/nar.h"
#include "tests/support/test_support.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

namespace purist::builds {
namespace {

using ::testing::HasSubstr;

BuildSpec fixedSpec(const Hash& hash, FileIngestionMethod mode) {
    BuildSpec spec;
    spec.name = "fetched";
    spec.file = "/specs/fetched.yaml";
    spec.fixedOutput = FixedOutput{hash, mode};
    return spec;
}

Hash narHashOf(const std::string& path) {
    HashSink sink(HashAlgorithm::Sha256);
    dumpPath(path, sink);
    return sink.finish();
}

// Nix's `ca` field: `fixed:` then `r:` for a recursive (NAR) hash.
TEST(FixedOutput, TheContentAddressSaysHowTheHashWasTaken) {
    Hash hash = hashString(HashAlgorithm::Sha256, "x");
    EXPECT_EQ(fixedOutputContentAddress({hash, FileIngestionMethod::Flat}),
              "fixed:" + hash.toNixString());
    EXPECT_EQ(fixedOutputContentAddress({hash, FileIngestionMethod::Recursive}),
              "fixed:r:" + hash.toNixString());
}

class FixedOutputCheckTest : public ::testing::Test {
protected:
    NewPath output(const std::string& location) {
        return {StorePath::fromBaseName(std::string(32, 'f') + "-fetched"), location, std::nullopt,
                ""};
    }
    TempDir dir_{"fixed-output-test-"};
};

TEST_F(FixedOutputCheckTest, AFlatOutputIsOneRegularFileWithTheDeclaredHash) {
    std::string file = dir_.path() + "/file";
    testing::makeFile(file, "fetched bytes\n");
    Hash right = hashString(HashAlgorithm::Sha256, "fetched bytes\n");
    EXPECT_NO_THROW(
        checkFixedOutput(fixedSpec(right, FileIngestionMethod::Flat), output(file), {}));

    Hash wrong = hashString(HashAlgorithm::Sha256, "other bytes\n");
    try {
        checkFixedOutput(fixedSpec(wrong, FileIngestionMethod::Flat), output(file), {});
        ADD_FAILURE() << "a wrong hash passed";
    } catch (const BuildError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "hash mismatch in fixed-output build 'fetched' (/specs/fetched.yaml):\n"
                  "  declared: " +
                      wrong.toSri() + "\n  got:      " + right.toSri());
    }

    std::string tree = dir_.path() + "/tree";
    testing::makeFile(tree + "/f", "fetched bytes\n");
    try {
        checkFixedOutput(fixedSpec(right, FileIngestionMethod::Flat), output(tree), {});
        ADD_FAILURE() << "a directory passed as a flat output";
    } catch (const BuildError& e) {
        EXPECT_THAT(e.what(), HasSubstr("has mode flat, so its output must be one regular "
                                        "file, but " +
                                        tree + " is not"));
    }
}

TEST_F(FixedOutputCheckTest, ARecursiveOutputIsHashedAsANarAndMayReferToNoInput) {
    std::string tree = dir_.path() + "/tree";
    testing::makeFile(tree + "/f", "fetched bytes\n");
    EXPECT_NO_THROW(checkFixedOutput(fixedSpec(narHashOf(tree), FileIngestionMethod::Recursive),
                                     output(tree), {}));
    EXPECT_THROW(checkFixedOutput(fixedSpec(hashString(HashAlgorithm::Sha256, "fetched bytes\n"),
                                            FileIngestionMethod::Recursive),
                                  output(tree), {}),
                 BuildError);

    StorePath input = StorePath::fromBaseName(std::string(32, 'i') + "-input");
    testing::makeFile(tree + "/g", "see /nix/store/" + input.baseName() + "\n");
    try {
        checkFixedOutput(fixedSpec(narHashOf(tree), FileIngestionMethod::Recursive), output(tree),
                         {input});
        ADD_FAILURE() << "a reference to an input passed";
    } catch (const BuildError& e) {
        EXPECT_EQ(std::string(e.what()),
                  "fixed-output build 'fetched' must not refer to other store paths, but refers "
                  "to " +
                      std::string(input.hashPart()) + " (in g)");
    }
}

} // namespace
} // namespace purist::builds
