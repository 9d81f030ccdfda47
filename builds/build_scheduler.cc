#include "builds/build_scheduler.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

namespace purist::builds {

ScheduleOutcome runSchedule(const BuildGraph& graph, const std::vector<size_t>& nodes,
                            unsigned maxJobs, const ScheduleHooks& hooks) {
    ScheduleOutcome outcome;
    std::set<size_t> wanted(nodes.begin(), nodes.end());
    std::map<size_t, size_t> waitingOn; // node -> inputs not yet done
    std::deque<size_t> ready;
    // Visit in topological order so that ready jobs start in a stable order.
    for (size_t node : graph.topologicalOrder()) {
        if (!wanted.count(node)) continue;
        size_t pending = 0;
        for (size_t input : graph.nodes()[node].inputNodes)
            pending += wanted.count(input);
        waitingOn[node] = pending;
        if (pending == 0) ready.push_back(node);
    }

    // With maxJobs > 1, a pool of at most maxJobs workers, started as needed and kept for
    // the whole run: starting a thread per build costs a clone and fresh stack pages every
    // time.
    std::mutex mutex;
    std::condition_variable workReady, finished;
    std::deque<std::pair<size_t, std::function<void()>>> queue;    // guarded by mutex
    std::deque<std::pair<size_t, std::exception_ptr>> completions; // guarded by mutex
    bool closing = false;                                          // guarded by mutex
    std::vector<std::jthread> workers;
    size_t running = 0;
    std::set<size_t> skipped;

    auto workerLoop = [&] {
        for (;;) {
            std::pair<size_t, std::function<void()>> job;
            {
                std::unique_lock lock(mutex);
                workReady.wait(lock, [&] { return closing || !queue.empty(); });
                if (queue.empty()) return;
                job = std::move(queue.front());
                queue.pop_front();
            }
            std::exception_ptr error;
            try {
                job.second();
            } catch (...) {
                error = std::current_exception();
            }
            std::lock_guard lock(mutex);
            completions.emplace_back(job.first, error);
            finished.notify_one();
        }
    };
    // Whatever happens below, the workers are told to stop before they are joined.
    struct StopWorkers {
        std::mutex& mutex;
        bool& closing;
        std::condition_variable& workReady;
        ~StopWorkers() {
            {
                std::lock_guard lock(mutex);
                closing = true;
            }
            workReady.notify_all();
        }
    };

    auto skipDependants = [&](size_t failedNode) {
        std::vector<size_t> work = graph.nodes()[failedNode].dependants;
        while (!work.empty()) {
            size_t node = work.back();
            work.pop_back();
            if (!wanted.count(node) || !skipped.insert(node).second) continue;
            outcome.skipped.push_back(node);
            for (size_t d : graph.nodes()[node].dependants)
                work.push_back(d);
        }
    };
    auto complete = [&](size_t node, std::exception_ptr error) {
        try {
            hooks.finish(node, std::move(error));
        } catch (...) {
            outcome.failed[node] = std::current_exception();
            skipDependants(node);
            return;
        }
        outcome.done.push_back(node);
        for (size_t dependant : graph.nodes()[node].dependants) {
            if (!wanted.count(dependant) || skipped.count(dependant)) continue;
            if (--waitingOn[dependant] == 0) ready.push_back(dependant);
        }
    };

    StopWorkers stopWorkers{mutex, closing, workReady};
    for (;;) {
        while (!ready.empty() && running < std::max(1u, maxJobs)) {
            size_t node = ready.front();
            ready.pop_front();
            if (skipped.count(node)) continue;
            std::function<void()> work;
            try {
                work = hooks.start(node);
            } catch (...) {
                outcome.failed[node] = std::current_exception();
                skipDependants(node);
                continue;
            }
            if (!work) {
                complete(node, nullptr);
                continue;
            }
            if (maxJobs <= 1) {
                // One job at a time: the calling thread runs it, which saves two thread
                // hand-offs per build (each a wake-up of the other CPU).
                std::exception_ptr error;
                try {
                    work();
                } catch (...) {
                    error = std::current_exception();
                }
                complete(node, error);
                continue;
            }
            ++running;
            {
                std::lock_guard lock(mutex);
                queue.emplace_back(node, std::move(work));
            }
            if (workers.size() < running) workers.emplace_back(workerLoop);
            workReady.notify_one();
        }
        if (running == 0 && ready.empty()) break;
        std::pair<size_t, std::exception_ptr> done;
        {
            std::unique_lock lock(mutex);
            finished.wait(lock, [&] { return !completions.empty(); });
            done = completions.front();
            completions.pop_front();
        }
        --running;
        complete(done.first, done.second);
    }
    return outcome;
}

} // namespace purist::builds
