#pragma once
// Shared by the event unit tests: a minimal CloudTrail record and gzip of test bytes.

#include <zlib.h>

#include <string>

namespace firebreak::event::test {

// A CloudTrail RunInstances record with eventID `id`; `extra` is spliced in as more members
// (it starts with a comma).
inline std::string rec(const std::string& id, const std::string& extra = "") {
  return R"({"eventVersion":"1.09","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","eventTime":"2024-05-06T07:00:00Z","eventID":")" +
         id + "\"" + extra + "}";
}

// `in` as one gzip member.
inline std::string gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(in.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace firebreak::event::test
