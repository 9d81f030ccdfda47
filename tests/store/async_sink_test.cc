#include "base/error.h"
#include "store/async_sink.h"
#include "store/hash.h"

#include <gtest/gtest.h>
#include <set>
#include <thread>

namespace purist {
namespace {

TEST(AsyncSinkTest, DeliversEveryByteInOrder) {
    std::string data(1000003, '\0');
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = static_cast<char>(i * 13 + (i >> 8));
    for (size_t piece : {1, 7, 4096, 65536, 300000}) {
        StringSink target;
        AsyncSink async(target, 3, 8192);
        for (size_t i = 0; i < data.size(); i += piece)
            async.write(std::string_view(data).substr(i, piece));
        async.finish();
        EXPECT_EQ(target.data(), data) << "piece " << piece;
    }
}

TEST(AsyncSinkTest, RethrowsTheTargetsErrorAtFinish) {
    struct Failing : Sink {
        size_t seen = 0;
        void write(std::string_view data) override {
            seen += data.size();
            if (seen > 10000) throw FormatError("disk full");
        }
    } target;
    AsyncSink async(target, 2, 1024);
    for (int i = 0; i < 100; ++i)
        async.write(std::string(1000, 'x'));
    EXPECT_THROW(async.finish(), FormatError);
}

// Keeps what it is given and which threads gave it.
struct RecordingSink : Sink {
    std::string data;
    std::set<std::thread::id> threads;
    void write(std::string_view bytes) override {
        data.append(bytes);
        threads.insert(std::this_thread::get_id());
    }
};

TEST(AsyncSinkTest, SmallStreamsGoStraightToTheTarget) {
    RecordingSink target;
    AsyncSink async(target, 4, 1024);
    async.write("small");
    EXPECT_EQ(target.data, "small") << "no buffering while the stream fits in one buffer";
    async.write(std::string(1019, 's'));
    async.finish();
    EXPECT_EQ(target.data, "small" + std::string(1019, 's'));
    EXPECT_EQ(target.threads, std::set{std::this_thread::get_id()}) << "no worker thread";
}

TEST(AsyncSinkTest, AStreamOutgrowingOneBufferMovesToTheWorker) {
    RecordingSink target;
    AsyncSink async(target, 2, 1024);
    async.write(std::string(1000, 'a'));
    async.write(std::string(3000, 'b')); // past one buffer: buffered from here on
    async.finish();
    EXPECT_EQ(target.data, std::string(1000, 'a') + std::string(3000, 'b'));
    EXPECT_EQ(target.threads.size(), 2u) << "the first write inline, the rest on the worker";
}

TEST(AsyncSinkTest, HashOnWorkerEqualsHashInline) {
    std::string data(5 << 20, 'q');
    HashSink inlineHash, workerHash;
    inlineHash.write(data);
    {
        AsyncSink async(workerHash);
        async.write(data);
        async.finish();
    }
    EXPECT_EQ(workerHash.finish(), inlineHash.finish());
}

} // namespace
} // namespace purist
