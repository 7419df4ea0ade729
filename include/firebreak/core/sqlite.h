#pragma once
// A thin RAII wrapper over SQLite for firebreak's stores (incidents, run journal). Databases open
// in WAL mode with synchronous=FULL (a committed transaction survives kill -9 and power loss), a
// busy timeout so several firebreak processes can share one file, and foreign keys on.
// A Database is used from one thread at a time (open one per thread or guard it).

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "firebreak/core/error.h"

namespace firebreak {

class Statement;

class Database {
 public:
  // Opens (creating if needed, with 0600 permissions) the database at `path`; ":memory:" works.
  [[nodiscard]] static Result<Database> open(const std::filesystem::path& path);

  Database(Database&&) noexcept;
  Database& operator=(Database&&) noexcept;
  ~Database();

  // Runs one or more statements without results (schema, pragmas).
  [[nodiscard]] Status exec(std::string_view sql);
  [[nodiscard]] Result<Statement> prepare(std::string_view sql);

  // BEGIN IMMEDIATE … COMMIT around fn(); rolls back when fn returns an error.
  template <class F>
  [[nodiscard]] auto transaction(F&& fn) -> decltype(fn()) {
    if (Status s = exec("BEGIN IMMEDIATE"); !s) return std::unexpected(s.error());
    auto result = fn();
    if (!result) {
      (void)exec("ROLLBACK");
      return result;
    }
    if (Status s = exec("COMMIT"); !s) {
      (void)exec("ROLLBACK");
      return std::unexpected(s.error());
    }
    return result;
  }

  [[nodiscard]] std::int64_t changes() const;
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::string path_;
};

using SqlValue = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

class Statement {
 public:
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  ~Statement();

  // Binds parameters 1..n in order (replacing earlier bindings) and resets the statement.
  template <class... Args>
  Statement& bind(const Args&... args) {
    reset();
    int i = 0;
    (bind_one(++i, args), ...);
    return *this;
  }

  // Steps once: true when a row is available, false when done.
  [[nodiscard]] Result<bool> step();
  // Steps to completion (for statements without rows).
  [[nodiscard]] Status run();

  [[nodiscard]] bool is_null(int col) const;
  [[nodiscard]] std::int64_t int64(int col) const;
  [[nodiscard]] double real(int col) const;
  [[nodiscard]] std::string text(int col) const;
  [[nodiscard]] std::optional<std::string> optional_text(int col) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* s, sqlite3* db) : stmt_(s), db_(db) {}
  void reset();
  void bind_one(int i, std::nullptr_t);
  void bind_one(int i, std::int64_t v);
  void bind_one(int i, int v) { bind_one(i, static_cast<std::int64_t>(v)); }
  void bind_one(int i, bool v) { bind_one(i, static_cast<std::int64_t>(v)); }
  void bind_one(int i, double v);
  void bind_one(int i, std::string_view v);
  void bind_one(int i, const std::string& v) { bind_one(i, std::string_view(v)); }
  void bind_one(int i, const char* v) { bind_one(i, std::string_view(v)); }
  void bind_one(int i, const std::optional<std::string>& v);
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_ = nullptr;
};

}  // namespace firebreak
