#include "lines.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace firebreak::evidence::detail {

Status stream_lines(const std::filesystem::path& path, std::size_t max_line,
                    const std::function<bool(const Line&)>& f) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return fail(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                fmt::format("cannot open: {}", std::strerror(err)),
                ErrorContext{.where = path.string()});
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  std::string pending;
  std::vector<char> buf(1u << 20);
  std::uint64_t number = 0;
  bool skipping = false;
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::kIo, fmt::format("read failed: {}", std::strerror(errno)),
                  ErrorContext{.where = path.string()});
    }
    if (n == 0) break;
    std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
    while (!chunk.empty()) {
      const auto lf = chunk.find('\n');
      if (!skipping) {
        pending.append(chunk.substr(0, lf));
        if (pending.size() > max_line) {
          skipping = true;
          std::string().swap(pending);
        }
      }
      if (lf == std::string_view::npos) break;
      chunk.remove_prefix(lf + 1);
      ++number;
      const bool more = f(Line{.text = skipping ? std::string_view() : std::string_view(pending),
                               .number = number,
                               .terminated = true,
                               .oversized = skipping});
      skipping = false;
      pending.clear();
      if (!more) return {};
    }
  }
  if (skipping || !pending.empty()) {
    (void)f(Line{.text = skipping ? std::string_view() : std::string_view(pending),
                 .number = number + 1,
                 .terminated = false,
                 .oversized = skipping});
  }
  return {};
}

}  // namespace firebreak::evidence::detail
