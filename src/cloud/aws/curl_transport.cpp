#include <curl/curl.h>
#include <fmt/format.h>

#include <mutex>
#include <vector>

#include "firebreak/cloud/aws/http.h"

namespace firebreak::cloud::aws {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::once_flag g_curl_init;

struct Transfer {
  const HttpRequest* req = nullptr;
  const ByteSink* sink = nullptr;
  HttpResponse* resp = nullptr;
  std::size_t max_bytes = 0;
  std::size_t body_offset = 0;  // for buffered uploads
  std::uint64_t streamed = 0;
  std::optional<Error> error;  // error raised inside a callback
  bool status_seen = false;
};

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    // A new status line (after 100-continue or a redirect): start over.
    t->resp->headers.clear();
    const auto sp = line.find(' ');
    if (sp != std::string_view::npos)
      t->resp->status = std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
    return size * n;
  }
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    t->resp->headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * n;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  if (t->sink != nullptr && t->resp->status >= 200 && t->resp->status < 300) {
    if (Status s = (*t->sink)(std::string_view(data, len)); !s) {
      t->error = s.error();
      return 0;  // aborts the transfer
    }
    t->streamed += len;
    return len;
  }
  if (t->resp->body.size() + len > t->max_bytes) {
    t->error = Error(ErrorCode::kLimitExceeded,
                     fmt::format("response body exceeds {} bytes", t->max_bytes));
    return 0;
  }
  t->resp->body.append(data, len);
  return len;
}

std::size_t on_read(char* buf, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t cap = size * n;
  if (t->req->body_source) {
    auto got = t->req->body_source(buf, cap);
    if (!got) {
      t->error = got.error();
      return CURL_READFUNC_ABORT;
    }
    return *got;
  }
  const std::size_t left = t->req->body.size() - t->body_offset;
  const std::size_t take = std::min(left, cap);
  std::memcpy(buf, t->req->body.data() + t->body_offset, take);
  t->body_offset += take;
  return take;
}

// Rewinds a buffered body when curl must resend it (a redirect or a dropped kept-alive
// connection). Streaming sources cannot rewind; curl then fails and the client retries.
int on_seek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (t->req->body_source || origin != SEEK_SET) return CURL_SEEKFUNC_CANTSEEK;
  if (offset < 0 || static_cast<std::size_t>(offset) > t->req->body.size())
    return CURL_SEEKFUNC_FAIL;
  t->body_offset = static_cast<std::size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(TransportOptions o) : opts_(std::move(o)) {
    std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }
  ~CurlTransport() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  Result<HttpResponse> send(const HttpRequest& req, const ByteSink* sink) override {
    CURL* h = acquire();
    if (h == nullptr) return fail(ErrorCode::kInternal, "curl_easy_init failed");
    HttpResponse resp;
    Transfer t{&req, sink, &resp, opts_.max_response_bytes};
    curl_slist* headers = nullptr;
    bool has_content_type = false;
    for (const auto& [k, v] : req.headers) {
      if (iequals(k, "content-type")) has_content_type = true;
      // "Name;" sends an empty header; "Name:" would remove it.
      const std::string line = v.empty() ? k + ";" : k + ": " + v;
      headers = curl_slist_append(headers, line.c_str());
    }
    headers = curl_slist_append(headers, "Expect:");
    if (!has_content_type) headers = curl_slist_append(headers, "Content-Type:");
    headers = curl_slist_append(headers, "Accept:");

    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(opts_.connect_timeout.count()));
    const bool streaming = static_cast<bool>(req.body_source) || sink != nullptr;
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
                     streaming ? 0L : static_cast<long>(opts_.request_timeout.count()));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                     std::max(1L, static_cast<long>(opts_.stall_timeout.count() / 1000)));
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, nullptr);
    if (!opts_.proxy.empty()) curl_easy_setopt(h, CURLOPT_PROXY, opts_.proxy.c_str());
    if (!opts_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, opts_.ca_file.c_str());

    const std::uint64_t body_len = req.body_source ? req.body_length : req.body.size();
    if (req.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (req.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &on_read);
      curl_easy_setopt(h, CURLOPT_READDATA, &t);
      curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, &on_seek);
      curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body_len));
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }

    const CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(headers);
    Result<HttpResponse> out = std::move(resp);
    if (t.error) {
      out = std::unexpected(*t.error);
    } else if (rc != CURLE_OK) {
      out = std::unexpected(transport_error(rc, req));
    }
    release(h, rc == CURLE_OK);
    return out;
  }

 private:
  static Error transport_error(CURLcode rc, const HttpRequest& req) {
    // The URL carries no secret (presigned URLs are not sent through here) but strip the query.
    std::string where = req.url.substr(0, req.url.find('?'));
    const std::string msg = fmt::format("{} {}: {}", req.method, where, curl_easy_strerror(rc));
    switch (rc) {
      case CURLE_OPERATION_TIMEDOUT: return Error(ErrorCode::kTimeout, msg);
      case CURLE_URL_MALFORMAT:
      case CURLE_UNSUPPORTED_PROTOCOL: return Error(ErrorCode::kInvalidArgument, msg);
      default:
        // Refused, reset, truncated (PARTIAL_FILE), nothing received, TLS trouble: the next
        // attempt may well succeed.
        return Error(ErrorCode::kUnavailable, msg);
    }
  }

  CURL* acquire() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        curl_easy_reset(h);  // keeps the connection cache
        return h;
      }
    }
    return curl_easy_init();
  }

  void release(CURL* h, bool healthy) {
    std::lock_guard lock(mu_);
    if (healthy && idle_.size() < opts_.max_idle_handles) {
      idle_.push_back(h);
      return;
    }
    curl_easy_cleanup(h);
  }

  TransportOptions opts_;
  std::mutex mu_;
  std::vector<CURL*> idle_;
};

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return {};
}

bool HttpResponse::has_header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return true;
  }
  return false;
}

std::shared_ptr<HttpTransport> make_curl_transport(TransportOptions options) {
  return std::make_shared<CurlTransport>(std::move(options));
}

}  // namespace firebreak::cloud::aws
