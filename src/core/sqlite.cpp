#include "firebreak/core/sqlite.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace firebreak {
namespace {

Error sql_error(sqlite3* db, std::string_view what) {
  const int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;
  const int primary = code & 0xff;
  ErrorCode ec = ErrorCode::kIo;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)
    ec = ErrorCode::kUnavailable;
  else if (primary == SQLITE_CONSTRAINT)
    ec = ErrorCode::kAlreadyExists;
  else if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
    ec = ErrorCode::kParse;
  else if (primary == SQLITE_ERROR)
    ec = ErrorCode::kInternal;
  return Error(ec, fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : "out of memory"));
}

}  // namespace

Result<Database> Database::open(const std::filesystem::path& path) {
  const std::string p = path.string();
  if (p != ":memory:") {
    // Create the file with owner-only permissions before SQLite does (it would use the umask).
    const int fd = ::open(p.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
      return fail(ErrorCode::kIo, fmt::format("cannot open database: {}", std::strerror(errno)),
                  ErrorContext{.where = p});
    }
    ::close(fd);
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(p.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    Error e = sql_error(db, "cannot open database").at(p);
    sqlite3_close(db);
    return fail(std::move(e));
  }
  Database d(db, p);
  sqlite3_busy_timeout(db, 10000);
  if (Status s = d.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                        "PRAGMA foreign_keys=ON;");
      !s) {
    return fail(s.error().at(p));
  }
  return d;
}

Database::Database(Database&& o) noexcept : db_(o.db_), path_(std::move(o.path_)) {
  o.db_ = nullptr;
}
Database& Database::operator=(Database&& o) noexcept {
  if (this != &o) {
    if (db_) sqlite3_close_v2(db_);
    db_ = o.db_;
    path_ = std::move(o.path_);
    o.db_ = nullptr;
  }
  return *this;
}
Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

Status Database::exec(std::string_view sql) {
  char* msg = nullptr;
  const std::string s(sql);
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    Error e = sql_error(db_, "SQL failed");
    sqlite3_free(msg);
    return fail(std::move(e));
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return fail(sql_error(db_, "cannot prepare statement"));
  }
  return Statement(stmt, db_);
}

std::int64_t Database::changes() const { return sqlite3_changes64(db_); }

Statement::Statement(Statement&& o) noexcept : stmt_(o.stmt_), db_(o.db_) { o.stmt_ = nullptr; }
Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    stmt_ = o.stmt_;
    db_ = o.db_;
    o.stmt_ = nullptr;
  }
  return *this;
}
Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = sql_error(db_, "SQL step failed");
  sqlite3_reset(stmt_);
  return fail(std::move(e));
}

Status Statement::run() {
  for (;;) {
    FIREBREAK_TRY(bool row, step());
    if (!row) break;
  }
  sqlite3_reset(stmt_);
  return {};
}

bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t Statement::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::real(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}
std::optional<std::string> Statement::optional_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}

void Statement::bind_one(int i, std::nullptr_t) { sqlite3_bind_null(stmt_, i); }
void Statement::bind_one(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
void Statement::bind_one(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
void Statement::bind_one(int i, std::string_view v) {
  // A default string_view has a null data pointer, which SQLite would bind as NULL: bind "".
  sqlite3_bind_text(stmt_, i, v.data() ? v.data() : "", static_cast<int>(v.size()),
                    SQLITE_TRANSIENT);
}
void Statement::bind_one(int i, const std::optional<std::string>& v) {
  if (v)
    bind_one(i, std::string_view(*v));
  else
    sqlite3_bind_null(stmt_, i);
}

}  // namespace firebreak
