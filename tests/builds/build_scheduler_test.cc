#include "builds/build_scheduler.h"

#include "base/error.h"
#include "base/temp_dir.h"
#include "tests/support/test_support.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

namespace purist::builds {
namespace {

using purist::testing::makeFile;
using namespace std::chrono_literals;

class BuildSchedulerTest : public ::testing::Test {
protected:
    TempDir dir_{"build-scheduler-test-"};

    // name: list of inputs
    BuildGraph graph(const std::vector<std::pair<std::string, std::vector<std::string>>>& specs,
                     const std::vector<std::string>& targets) {
        for (const auto& [name, inputs] : specs) {
            std::string text = "name: " + name + "\nbuilder: /bin/sh\ninputs: [";
            for (const auto& i : inputs)
                text += i + ".yaml,";
            text += "]\n";
            makeFile(dir_.path() + "/" + name + ".yaml", text);
        }
        std::vector<std::string> files;
        for (const auto& t : targets)
            files.push_back(dir_.path() + "/" + t + ".yaml");
        return BuildGraph::load(files);
    }
    std::string nameOf(const BuildGraph& g, size_t node) { return g.nodes()[node].spec.name; }
    std::vector<size_t> all(const BuildGraph& g) { return g.topologicalOrder(); }
};

TEST_F(BuildSchedulerTest, RunsIndependentJobsInParallelUpToTheLimit) {
    BuildGraph g = graph({{"a", {}}, {"b", {}}, {"c", {}}, {"d", {}}, {"e", {}}, {"f", {}}},
                         {"a", "b", "c", "d", "e", "f"});
    for (unsigned jobs : {1u, 2u, 3u}) {
        std::atomic<int> now{0}, peak{0};
        ScheduleHooks hooks;
        hooks.start = [&](size_t) -> std::function<void()> {
            return [&] {
                int n = ++now;
                int seen = peak.load();
                while (n > seen && !peak.compare_exchange_weak(seen, n)) {
                }
                std::this_thread::sleep_for(30ms);
                --now;
            };
        };
        hooks.finish = [](size_t, const std::exception_ptr& e) {
            if (e) std::rethrow_exception(e);
        };
        auto begin = std::chrono::steady_clock::now();
        ScheduleOutcome out = runSchedule(g, all(g), jobs, hooks);
        auto elapsed = std::chrono::steady_clock::now() - begin;
        EXPECT_EQ(out.done.size(), 6u);
        EXPECT_EQ(peak.load(), static_cast<int>(jobs)) << "jobs=" << jobs;
        // 6 jobs of 30 ms in batches of `jobs`: at least 6/jobs rounds.
        EXPECT_GE(elapsed, 30ms * (6 / jobs)) << "jobs=" << jobs;
    }
}

TEST_F(BuildSchedulerTest, InputsFinishBeforeDependantsStart) {
    BuildGraph g =
        graph({{"base", {}}, {"left", {"base"}}, {"right", {"base"}}, {"top", {"left", "right"}}},
              {"top"});
    std::mutex m;
    std::vector<std::string> events;
    ScheduleHooks hooks;
    hooks.start = [&](size_t node) -> std::function<void()> {
        std::string name = nameOf(g, node);
        return [&, name] {
            std::lock_guard lock(m);
            events.push_back("run " + name);
        };
    };
    hooks.finish = [&](size_t node, const std::exception_ptr&) {
        std::lock_guard lock(m);
        events.push_back("done " + nameOf(g, node));
    };
    ScheduleOutcome out = runSchedule(g, all(g), 4, hooks);
    ASSERT_EQ(out.done.size(), 4u);
    auto at = [&](const std::string& e) {
        return std::find(events.begin(), events.end(), e) - events.begin();
    };
    EXPECT_LT(at("done base"), at("run left"));
    EXPECT_LT(at("done base"), at("run right"));
    EXPECT_LT(at("done left"), at("run top"));
    EXPECT_LT(at("done right"), at("run top"));
}

TEST_F(BuildSchedulerTest, AFailureSkipsItsDependantsOnly) {
    BuildGraph g = graph({{"broken", {}},
                          {"mid", {"broken"}},
                          {"top", {"mid", "fine"}},
                          {"fine", {}},
                          {"other", {"fine"}}},
                         {"top", "other"});
    ScheduleHooks hooks;
    std::atomic<int> ran{0};
    hooks.start = [&](size_t node) -> std::function<void()> {
        std::string name = nameOf(g, node);
        return [&, name] {
            ++ran;
            if (name == "broken") throw BuildError("builder for broken failed");
        };
    };
    hooks.finish = [](size_t, const std::exception_ptr& e) {
        if (e) std::rethrow_exception(e);
    };
    ScheduleOutcome out = runSchedule(g, all(g), 2, hooks);
    ASSERT_EQ(out.failed.size(), 1u);
    EXPECT_EQ(nameOf(g, out.failed.begin()->first), "broken");
    std::set<std::string> skipped, done;
    for (size_t n : out.skipped)
        skipped.insert(nameOf(g, n));
    for (size_t n : out.done)
        done.insert(nameOf(g, n));
    EXPECT_EQ(skipped, (std::set<std::string>{"mid", "top"}));
    EXPECT_EQ(done, (std::set<std::string>{"fine", "other"}));
    EXPECT_EQ(ran.load(), 3);
    try {
        std::rethrow_exception(out.failed.begin()->second);
    } catch (const BuildError& e) {
        EXPECT_STREQ(e.what(), "builder for broken failed");
    }
}

TEST_F(BuildSchedulerTest, StartAndFinishCanFailAndNothingToDoIsDone) {
    BuildGraph g =
        graph({{"valid", {}}, {"refused", {}}, {"badoutput", {}}, {"after", {"badoutput"}}},
              {"valid", "refused", "after"});
    ScheduleHooks hooks;
    hooks.start = [&](size_t node) -> std::function<void()> {
        std::string name = nameOf(g, node);
        if (name == "valid") return {};
        if (name == "refused") throw SandboxError("no sandbox for you");
        return [] {};
    };
    hooks.finish = [&](size_t node, const std::exception_ptr&) {
        if (nameOf(g, node) == "badoutput") throw BuildError("output missing");
    };
    ScheduleOutcome out = runSchedule(g, all(g), 2, hooks);
    std::set<std::string> failed;
    for (const auto& [n, e] : out.failed)
        failed.insert(nameOf(g, n));
    EXPECT_EQ(failed, (std::set<std::string>{"refused", "badoutput"}));
    ASSERT_EQ(out.done.size(), 1u);
    EXPECT_EQ(nameOf(g, out.done[0]), "valid");
    ASSERT_EQ(out.skipped.size(), 1u);
    EXPECT_EQ(nameOf(g, out.skipped[0]), "after");
}

} // namespace
} // namespace purist::builds
