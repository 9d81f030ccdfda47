#pragma once
// Thin RAII owners for SQLite handles. Every failing call throws StoreError with the
// SQL, the database file and SQLite's message; SQLITE_BUSY past the busy timeout too.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace purist {

/// One connection. Not thread-safe: one thread per connection (SQLITE_OPEN_NOMUTEX).
class Database {
public:
    enum class Mode { ReadWrite, ReadOnly };

    /// How long a statement waits for another connection's lock before SQLITE_BUSY.
    static constexpr std::chrono::milliseconds kDefaultBusyTimeout{30000};

    /// Opens (creating in ReadWrite mode) the database at `path`, with the busy timeout
    /// kDefaultBusyTimeout. ReadOnly opens with SQLITE_OPEN_READONLY and never modifies
    /// the database file; like any reader of a WAL database, SQLite may create the `-wal`
    /// and `-shm` coordination files beside it if the directory is writable. Where they
    /// can be neither found nor created (a Nix store owned by another user), it falls back
    /// to `immutable=1`, which reads without any locking. Throws StoreError naming `path`.
    Database(const std::string& path, Mode mode);
    Database(Database&& other) noexcept;
    Database& operator=(Database&&) = delete;
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;
    ~Database();

    /// Runs one or more statements that return no rows.
    void exec(std::string_view sql);
    sqlite3* handle() const { return db_; }
    const std::string& path() const { return path_; }
    Mode mode() const { return mode_; }
    /// True if the connection fell back to `immutable=1` (ReadOnly in a directory it could
    /// not use for SQLite's coordination files).
    bool immutable() const { return immutable_; }
    int64_t lastInsertRowId() const;
    std::chrono::milliseconds busyTimeout() const { return busyTimeout_; }
    /// Changes how long a statement waits for a lock held by another connection.
    void setBusyTimeout(std::chrono::milliseconds timeout);
    /// Throws StoreError for SQLite result `rc` (not SQLITE_OK/ROW/DONE), naming `what`.
    [[noreturn]] void fail(int rc, std::string_view what) const;

private:
    void openChecked();
    void open(const std::string& uri, int flags);

    sqlite3* db_ = nullptr;
    std::string path_;
    Mode mode_;
    bool immutable_ = false;
    std::chrono::milliseconds busyTimeout_ = kDefaultBusyTimeout;
};

/// A prepared statement, reset after every run so it can be reused. Holds a reference to
/// its Database, which must outlive it. Not thread-safe.
class Statement {
public:
    /// Prepares `sql` (one statement); throws StoreError naming the SQL.
    Statement(Database& db, std::string_view sql);
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    /// Binders take 1-based parameter indices, as SQLite does, and return *this. Text is
    /// copied. A statement that has stepped must be reset() before it is bound again.
    Statement& bind(int index, int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bind(int index, const std::string& text) {
        return bind(index, std::string_view(text));
    }
    Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
    /// Binds `text` without copying it: it must stay alive and unchanged until the
    /// statement is reset. For hot loops that bind and run at once.
    Statement& bindStatic(int index, std::string_view text);
    Statement& bindStatic(int index, const std::string& text) {
        return bindStatic(index, std::string_view(text));
    }
    /// bindStatic() for a present optional, NULL for an empty one.
    Statement& bindStatic(int index, const std::optional<std::string>& text);
    Statement& bindNull(int index);
    /// Binds NULL for an empty optional.
    Statement& bind(int index, const std::optional<std::string>& text);

    /// Steps once: true while there is a row to read. When the rows run out the statement
    /// resets itself, so `while (s.step())` leaves it ready for the next use.
    bool step();
    /// Steps to completion, discarding rows, then resets.
    void run();
    /// Makes the statement runnable again (bindings stay).
    void reset();

    int64_t columnInt(int column) const;
    std::string columnText(int column) const;
    std::string_view columnTextView(int column) const; ///< valid until the next step
    bool columnIsNull(int column) const;

private:
    Database& db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string sql_;
};

/// BEGIN IMMEDIATE on construction (waiting up to the busy timeout for other writers);
/// ROLLBACK on destruction unless commit() ran, so an exception anywhere in between leaves
/// the database as it was.
class Transaction {
public:
    explicit Transaction(Database& db);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();
    /// Commits; throws StoreError (and the destructor rolls back) if COMMIT fails.
    void commit();

private:
    Database& db_;
    bool active_ = true;
};

} // namespace purist
