#pragma once
// Thin RAII owners for SQLite handles. Every failing call throws StoreError with the
// SQL, the database file and SQLite's message; SQLITE_BUSY past the busy timeout too.

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
    /// Opens (creating in ReadWrite mode) the database at `path`. ReadOnly never writes,
    /// not even the WAL index, so it is safe on a Nix store owned by another user.
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
    int64_t lastInsertRowId() const;
    /// Throws StoreError for SQLite result `rc` (not SQLITE_OK/ROW/DONE), naming `what`.
    [[noreturn]] void fail(int rc, std::string_view what) const;

private:
    sqlite3* db_ = nullptr;
    std::string path_;
};

/// A prepared statement, reset after every run so it can be reused. Not thread-safe.
class Statement {
public:
    Statement(Database& db, std::string_view sql);
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&&) = delete;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    /// Binders take 1-based parameter indices, as SQLite does, and return *this.
    Statement& bind(int index, int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bindNull(int index);
    Statement& bind(int index, const std::optional<std::string>& text);

    /// Steps once: true while there is a row to read.
    bool step();
    /// Steps to completion, discarding rows, then resets.
    void run();
    /// Clears bindings' effects for the next run (bindings themselves stay).
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

/// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() ran, so an
/// exception anywhere in between leaves the database as it was.
class Transaction {
public:
    explicit Transaction(Database& db);
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();
    void commit();

private:
    Database& db_;
    bool active_ = true;
};

} // namespace purist
