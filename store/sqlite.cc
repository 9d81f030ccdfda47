#include "store/sqlite.h"

#include "base/error.h"
#include "store/disk_space.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace purist {

namespace {

// A `file:` URI for `path`: SQLite treats `?`, `#` and `%` specially in URIs.
std::string fileUri(const std::string& path, std::string_view query) {
    std::string uri = "file:";
    static const char hex[] = "0123456789ABCDEF";
    for (unsigned char c : path) {
        if (c == '?' || c == '#' || c == '%' || c < 0x20 || c >= 0x7f) {
            uri += '%';
            uri += hex[c >> 4];
            uri += hex[c & 0xf];
        } else {
            uri += static_cast<char>(c);
        }
    }
    uri += '?';
    uri += query;
    return uri;
}

} // namespace

Database::Database(const std::string& path, Mode mode) : path_(path), mode_(mode) {
    // A constructor that throws runs no destructor: the handle is closed here, or every
    // failed open (a corrupt DB, a full disk) would keep its descriptor and memory.
    try {
        openChecked();
    } catch (...) {
        if (db_) sqlite3_close_v2(db_);
        db_ = nullptr;
        throw;
    }
}

void Database::openChecked() {
    if (mode_ == Mode::ReadWrite) {
        open(fileUri(path_, ""), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        return;
    }
    if (access(path_.c_str(), F_OK) != 0)
        throw StoreError(
            "cannot open store database '" + path_ + "' read-only: " +
            (errno == ENOENT ? std::string("it does not exist") : std::string(strerror(errno))));
    open(fileUri(path_, ""), SQLITE_OPEN_READONLY);
    // A WAL database needs its -shm file. A read-only connection can use an existing one
    // or create it, but in a directory it cannot write (another user's Nix store, with no
    // process holding the DB open) neither works and the first read fails.
    // Only then is immutable=1 used: it skips locking, so it is correct only while nobody
    // writes, which is the situation that made the -shm file unavailable.
    int rc = sqlite3_exec(db_, "select count(*) from sqlite_master", nullptr, nullptr, nullptr);
    if (rc == SQLITE_OK) return;
    // SQLite reports it as CANTOPEN or, when the -shm file cannot be created, as
    // READONLY_CANTINIT ("attempt to write a readonly database"), depending on the step.
    if ((rc & 0xff) != SQLITE_CANTOPEN && (rc & 0xff) != SQLITE_READONLY)
        fail(rc, "reading the schema");
    sqlite3_close_v2(db_);
    db_ = nullptr;
    open(fileUri(path_, "immutable=1"), SQLITE_OPEN_READONLY);
    immutable_ = true;
    rc = sqlite3_exec(db_, "select count(*) from sqlite_master", nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc, "reading the schema (immutable=1)");
}

void Database::open(const std::string& uri, int flags) {
    int rc =
        sqlite3_open_v2(uri.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw StoreError("cannot open store database '" + path_ + "'" +
                         (mode_ == Mode::ReadOnly ? " read-only" : "") + ": " + message);
    }
    sqlite3_extended_result_codes(db_, 1);
    setBusyTimeout(busyTimeout_);
}

Database::Database(Database&& other) noexcept
    : db_(other.db_), path_(std::move(other.path_)), mode_(other.mode_),
      immutable_(other.immutable_), busyTimeout_(other.busyTimeout_) {
    other.db_ = nullptr;
}

Database::~Database() {
    // close_v2 cannot fail for a valid handle; statements are owned by objects that the
    // owners destroy first, so this closes for real.
    if (db_) sqlite3_close_v2(db_);
}

void Database::exec(std::string_view sql) {
    std::string text(sql);
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) fail(rc, "running '" + text + "'");
}

int64_t Database::lastInsertRowId() const {
    return sqlite3_last_insert_rowid(db_);
}

void Database::setBusyTimeout(std::chrono::milliseconds timeout) {
    busyTimeout_ = timeout;
    int rc = sqlite3_busy_timeout(db_, static_cast<int>(timeout.count()));
    if (rc != SQLITE_OK) fail(rc, "setting the busy timeout");
}

void Database::fail(int rc, std::string_view what) const {
    std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    int primary = rc & 0xff;
    // A full disk reads "disk I/O error" (the -shm or -wal could not grow) or "database or
    // disk is full"; the errno of the failed write says which it was.
    if (primary == SQLITE_FULL || ((primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) && db_ &&
                                   isNoSpace(sqlite3_system_errno(db_)))) {
        size_t slash = path_.find_last_of('/');
        std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash);
        throw noSpaceError(dir.empty() ? "/" : dir,
                           "store database '" + path_ + "': " + std::string(what));
    }
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
        message += " (another process held the lock longer than the busy timeout of " +
                   std::to_string(busyTimeout_.count()) + " ms)";
    throw StoreError("store database '" + path_ + "': " + std::string(what) +
                     " failed: " + message);
}

Statement::Statement(Database& db, std::string_view sql) : db_(db), sql_(sql) {
    int rc = sqlite3_prepare_v3(db.handle(), sql_.data(), static_cast<int>(sql_.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
    if (rc != SQLITE_OK) db_.fail(rc, "preparing '" + sql_ + "'");
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), sql_(std::move(other.sql_)) {
    other.stmt_ = nullptr;
}

Statement::~Statement() {
    if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::bind(int index, int64_t value) {
    int rc = sqlite3_bind_int64(stmt_, index, value);
    if (rc != SQLITE_OK)
        db_.fail(rc, "binding parameter " + std::to_string(index) + " of '" + sql_ + "'");
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    int rc =
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    if (rc != SQLITE_OK)
        db_.fail(rc, "binding parameter " + std::to_string(index) + " of '" + sql_ + "'");
    return *this;
}

Statement& Statement::bindStatic(int index, std::string_view text) {
    int rc =
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
    if (rc != SQLITE_OK)
        db_.fail(rc, "binding parameter " + std::to_string(index) + " of '" + sql_ + "'");
    return *this;
}

Statement& Statement::bindStatic(int index, const std::optional<std::string>& text) {
    return text ? bindStatic(index, std::string_view(*text)) : bindNull(index);
}

Statement& Statement::bindNull(int index) {
    int rc = sqlite3_bind_null(stmt_, index);
    if (rc != SQLITE_OK)
        db_.fail(rc, "binding parameter " + std::to_string(index) + " of '" + sql_ + "'");
    return *this;
}

Statement& Statement::bind(int index, const std::optional<std::string>& text) {
    return text ? bind(index, std::string_view(*text)) : bindNull(index);
}

bool Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    // reset() repeats the step's error code; the step's own is the one to report.
    sqlite3_reset(stmt_);
    if (rc == SQLITE_DONE) return false;
    db_.fail(rc, "running '" + sql_ + "'");
}

void Statement::run() {
    while (step()) {
    }
}

void Statement::reset() {
    sqlite3_reset(stmt_);
}

int64_t Statement::columnInt(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

std::string Statement::columnText(int column) const {
    return std::string(columnTextView(column));
}

std::string_view Statement::columnTextView(int column) const {
    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
    if (!text) return {};
    return std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool Statement::columnIsNull(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Transaction::Transaction(Database& db) : db_(db) {
    db_.exec("begin immediate");
}

Transaction::~Transaction() {
    // A failed statement may already have rolled back (SQLite does so on some errors);
    // rolling back again would fail, so only roll back a transaction that is still open.
    if (active_ && !sqlite3_get_autocommit(db_.handle()))
        sqlite3_exec(db_.handle(), "rollback", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec("commit");
    active_ = false;
}

} // namespace purist
