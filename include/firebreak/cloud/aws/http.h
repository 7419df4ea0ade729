#pragma once
// The HTTP transport of the AWS client. The client builds, signs and retries requests; a transport
// only moves bytes. make_curl_transport() is the real one (libcurl, a pool of reusable handles so
// connections are kept alive across calls and threads, timeouts, the usual proxy variables);
// tests substitute their own or point the real one at a local server that misbehaves.
//
// Thread-safety: HttpTransport::send may be called from several threads at once.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "firebreak/cloud/aws/signer.h"
#include "firebreak/cloud/s3.h"
#include "firebreak/core/clock.h"
#include "firebreak/core/error.h"

namespace firebreak::cloud::aws {

struct HttpRequest {
  std::string method = "GET";
  std::string url;  // "https://host[:port]/path?query", already encoded
  HeaderList headers;
  std::string body;               // used when body_source is empty
  ByteSource body_source;         // streams exactly body_length bytes
  std::uint64_t body_length = 0;  // for body_source
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;  // in arrival order; names as sent
  std::string body;    // empty when the body went to a sink
  // First header named `name` (case-insensitive), or empty.
  [[nodiscard]] std::string header(std::string_view name) const;
  [[nodiscard]] bool has_header(std::string_view name) const;
};

struct TransportOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  // Whole-request deadline for requests with small bodies; 0 = none.
  std::chrono::milliseconds request_timeout{120'000};
  // A transfer slower than 1 byte/s for this long is abandoned (large uploads/downloads).
  std::chrono::milliseconds stall_timeout{60'000};
  std::size_t max_response_bytes = 64u << 20;  // buffered bodies beyond this fail
  std::size_t max_idle_handles = 16;           // pooled curl handles (kept-alive connections)
  std::string proxy;    // explicit proxy; empty: libcurl reads https_proxy/http_proxy/no_proxy
  std::string ca_file;  // CA bundle override (AWS_CA_BUNDLE); empty: system default
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends one request. A transport failure (no connection, timeout, truncated reply) is an
  // Error (kUnavailable / kTimeout); any HTTP status is a response. When `sink` is non-null and
  // the status is 2xx, the body is streamed to it instead of being buffered.
  [[nodiscard]] virtual Result<HttpResponse> send(const HttpRequest& req,
                                                  const ByteSink* sink = nullptr) = 0;
};

[[nodiscard]] std::shared_ptr<HttpTransport> make_curl_transport(TransportOptions options = {});

}  // namespace firebreak::cloud::aws
