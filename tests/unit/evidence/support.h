#pragma once
// Helpers shared by the evidence tests.

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "firebreak/core/clock.h"
#include "firebreak/core/fs.h"
#include "firebreak/evidence/locker.h"
#include "testdata.h"

namespace firebreak::evidence::test {

inline TimePoint t0() { return *parse_iso8601("2024-05-01T12:00:00Z"); }

inline std::unique_ptr<EvidenceLocker> make_locker(const std::filesystem::path& dir, Clock& clock) {
  auto l = EvidenceLocker::open(LockerOptions{.dir = dir, .clock = &clock});
  EXPECT_TRUE(l) << (l ? "" : l.error().describe());
  return std::move(*l);
}

inline std::string slurp(const std::filesystem::path& p) { return read_file(p).value(); }

// Overwrites `path` with `data`, even if it is read-only (tests run as root or owner).
inline void overwrite(const std::filesystem::path& p, const std::string& data) {
  std::error_code ec;  // the file may not exist yet
  std::filesystem::permissions(p, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add, ec);
  std::ofstream(p, std::ios::binary | std::ios::trunc) << data;
}

inline void flip_byte(const std::filesystem::path& p, std::size_t offset) {
  std::string data = slurp(p);
  ASSERT_LT(offset, data.size());
  data[offset] = static_cast<char>(data[offset] ^ 0x01);
  overwrite(p, data);
}

inline ArtifactSpec spec_for(std::string incident, std::string name) {
  ArtifactSpec s;
  s.incident = std::move(incident);
  s.name = std::move(name);
  s.source = ArtifactSource{.kind = SourceKind::kInstance, .id = "i-0abc123", .detail = ""};
  s.tool = "test";
  s.tool_version = "1";
  return s;
}

// Stores `content` as an artifact through a pipe-free writer.
inline ArtifactInfo put(ArtifactStore& store, const ArtifactSpec& spec,
                        const std::string& content) {
  auto w = store.begin(spec);
  EXPECT_TRUE(w) << (w ? "" : w.error().describe());
  EXPECT_TRUE((*w)->write(content));
  auto info = (*w)->commit();
  EXPECT_TRUE(info) << (info ? "" : info.error().describe());
  return *info;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto lf = text.find('\n', start);
    if (lf == std::string::npos) lf = text.size();
    out.push_back(text.substr(start, lf - start));
    start = lf + 1;
  }
  return out;
}

inline std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace firebreak::evidence::test
