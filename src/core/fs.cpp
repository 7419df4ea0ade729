#include "firebreak/core/fs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace firebreak {
namespace fs = std::filesystem;

namespace {
Error io_error(const fs::path& path, std::string_view what, int err) {
  return Error(ErrorCode::kIo, fmt::format("{}: {}", what, std::strerror(err)),
               ErrorContext{.where = path.string()});
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

Result<std::string> read_file(const fs::path& path, std::uint64_t max_bytes) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    const int err = errno;
    return fail(Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                      fmt::format("cannot open: {}", std::strerror(err)),
                      ErrorContext{.where = path.string()}));
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(io_error(path, "read failed", errno));
    }
    if (n == 0) break;
    if (out.size() + static_cast<std::uint64_t>(n) > max_bytes) {
      return fail(ErrorCode::kLimitExceeded,
                  fmt::format("file is larger than the {} byte limit", max_bytes),
                  ErrorContext{.where = path.string()});
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

Status write_file_atomic(const fs::path& path, std::string_view data, fs::perms perms) {
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::string tmpl = (dir / ("." + path.filename().string() + ".tmp-XXXXXX")).string();
  Fd f{::mkstemp(tmpl.data())};
  if (f.fd < 0) return fail(io_error(path, "cannot create temporary file", errno));
  auto cleanup_fail = [&](std::string_view what) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    return fail(io_error(path, what, err));
  };
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(f.fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return cleanup_fail("write failed");
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fchmod(f.fd, static_cast<mode_t>(perms)) != 0) return cleanup_fail("chmod failed");
  if (::fsync(f.fd) != 0) return cleanup_fail("fsync failed");
  if (::rename(tmpl.c_str(), path.c_str()) != 0) return cleanup_fail("rename failed");
  Fd d{::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (d.fd >= 0) ::fsync(d.fd);
  return {};
}

Result<std::vector<fs::path>> expand_paths(const std::vector<fs::path>& inputs) {
  std::vector<fs::path> out;
  for (const auto& input : inputs) {
    std::error_code ec;
    const auto st = fs::status(input, ec);
    if (ec || !fs::exists(st)) {
      return fail(ErrorCode::kNotFound, "no such file or directory",
                  ErrorContext{.where = input.string()});
    }
    if (!fs::is_directory(st)) {
      out.push_back(input);
      continue;
    }
    std::vector<fs::path> found;
    fs::recursive_directory_iterator it(input, fs::directory_options::skip_permission_denied, ec);
    if (ec) return fail(io_error(input, "cannot list directory", ec.value()));
    for (auto end = fs::recursive_directory_iterator(); it != end; it.increment(ec)) {
      if (ec) return fail(io_error(input, "cannot list directory", ec.value()));
      const auto name = it->path().filename().string();
      if (!name.empty() && name[0] == '.') {
        if (it->is_directory(ec)) it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file(ec)) found.push_back(it->path());
    }
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

}  // namespace firebreak
