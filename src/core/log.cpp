#include "firebreak/core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "firebreak/core/redact.h"

namespace firebreak::log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};

std::mutex& sink_mutex() {
  static std::mutex m;
  return m;
}
Sink& sink() {
  static Sink s;
  return s;
}

std::string_view name(Level l) {
  switch (l) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarn: return "WARN";
    case Level::kError: return "ERROR";
    case Level::kOff: return "OFF";
  }
  return "?";
}

}  // namespace

void set_level(Level level) { g_level.store(static_cast<int>(level)); }
Level level() { return static_cast<Level>(g_level.load()); }
bool enabled(Level l) { return l != Level::kOff && static_cast<int>(l) >= g_level.load(); }

void set_sink(Sink s) {
  std::lock_guard lock(sink_mutex());
  sink() = std::move(s);
}

void write(Level l, std::string_view message) {
  if (!enabled(l)) return;
  const std::string line = redact(message);
  std::lock_guard lock(sink_mutex());
  if (sink()) {
    sink()(l, line);
    return;
  }
  std::fprintf(stderr, "%.*s %.*s\n", static_cast<int>(name(l).size()), name(l).data(),
               static_cast<int>(line.size()), line.data());
}

}  // namespace firebreak::log
