// The WAL stays bounded behind purist's own long readers (issue 10, defect 5). A reader that
// walks the store as audit, check and why do (the whole reference graph, then per-path
// queries, over and over) runs beside a burst of 10,000 registrations, each in its own
// transaction as a build's outputs are; the WAL file must stay within the bound that
// StoreDb's checkpoint schedule promises.

#include "base/temp_dir.h"
#include "store/store_db.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <sys/stat.h>
#include <thread>

namespace purist {
namespace {

uint64_t fileSize(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

TEST(WalTest, StaysBoundedBehindALongReaderDuringTenThousandRegistrations) {
    constexpr int kRegistrations = 10000;
    TempDir dir("purist-wal-test-");
    const std::string dbPath = dir.path() + "/db.sqlite";
    StoreDir storeDir("/nix/store");
    StoreDb writer(dbPath, storeDir);

    std::atomic<bool> done{false};
    std::atomic<uint64_t> walks{0};
    std::thread reader([&] {
        StoreDb db(dbPath, storeDir, Database::Mode::ReadOnly);
        while (!done) {
            RefGraph graph = db.loadGraph();
            // The per-path part of a walk, spread over the whole store.
            size_t step = graph.size() / 64 + 1;
            for (size_t i = 0; i < graph.size() && !done; i += step)
                db.queryInfo(graph.paths[i]);
            ++walks;
        }
    });

    uint64_t maxWal = 0;
    std::optional<StorePath> previous;
    for (int i = 0; i < kRegistrations; ++i) {
        ValidPathInfo info{storeDir.makeOutputPath(
            "out", hashString(HashAlgorithm::Sha256, std::to_string(i)), "p" + std::to_string(i))};
        info.narHash = hashString(HashAlgorithm::Sha256, "contents " + std::to_string(i));
        info.narSize = 4096;
        // A chain with a few references each, so the reader's graph is not trivial.
        if (previous) info.references.insert(*previous);
        info.references.insert(info.path);
        writer.registerValidPaths({info});
        previous = info.path;
        if (i % 50 == 0) maxWal = std::max(maxWal, fileSize(dbPath + "-wal"));
    }
    maxWal = std::max(maxWal, fileSize(dbPath + "-wal"));
    done = true;
    reader.join();

    std::printf("WAL after %d registrations beside %llu reader walks: largest %.1f MiB, "
                "bound %.1f MiB\n",
                kRegistrations, static_cast<unsigned long long>(walks.load()), maxWal / 1048576.0,
                StoreDb::kJournalSizeLimit / 1048576.0);
    EXPECT_GT(walks.load(), 10u) << "the reader must have run beside the registrations";
    EXPECT_LE(maxWal, static_cast<uint64_t>(StoreDb::kJournalSizeLimit));
}

} // namespace
} // namespace purist
