#pragma once
// Running the build graph: up to N independent jobs at once, each after all of its inputs;
// a failed job stops everything that depends on it and nothing else.

#include "builds/build_graph.h"

#include <exception>
#include <functional>
#include <map>
#include <vector>

namespace purist::builds {

/// What a scheduler run did.
struct ScheduleOutcome {
    std::vector<size_t> done;                    ///< finished (built or already valid)
    std::map<size_t, std::exception_ptr> failed; ///< failed, with why
    std::vector<size_t> skipped;                 ///< not started: an input failed
};

/// The scheduler's hooks, all but `work` called on the calling thread, so they may use
/// objects that are not thread-safe (the store).
struct ScheduleHooks {
    /// Called when all of a node's inputs are done. Returns the work to run on a worker
    /// thread (on the calling thread when maxJobs is 1), or an empty function if there is
    /// nothing to do (outputs already valid). Throwing fails the node.
    std::function<std::function<void()>(size_t node)> start;
    /// Called on the calling thread after the work ran, with the exception it threw (or
    /// null). Throwing (or rethrowing `error`) fails the node.
    std::function<void(size_t node, std::exception_ptr error)> finish;
};

/// Runs `nodes` of `graph` (each node's inputs must be among them or already done) with
/// at most `maxJobs` works at once. Returns when every node is done, failed or skipped;
/// never throws for a failing node.
ScheduleOutcome runSchedule(const BuildGraph& graph, const std::vector<size_t>& nodes,
                            unsigned maxJobs, const ScheduleHooks& hooks);

} // namespace purist::builds
