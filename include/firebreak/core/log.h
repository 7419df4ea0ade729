#pragma once
// Logging: one line per message, to stderr by default, every line redacted (core/redact.h) before
// it reaches the sink. Levels filter globally. Thread-safe; the sink is called under a lock, so
// lines never interleave.

#include <fmt/format.h>

#include <functional>
#include <string>
#include <string_view>

namespace firebreak::log {

enum class Level : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };

void set_level(Level level);
[[nodiscard]] Level level();
[[nodiscard]] bool enabled(Level level);

// Replaces the sink (default: "<LEVEL> <message>\n" to stderr). Pass nullptr to restore it.
using Sink = std::function<void(Level, std::string_view line)>;
void set_sink(Sink sink);

// Redacts and writes `message` at `level`.
void write(Level level, std::string_view message);

template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kDebug)) write(Level::kDebug, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kInfo)) write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kWarn)) write(Level::kWarn, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  if (enabled(Level::kError)) write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace firebreak::log
