#pragma once
// Shared by the AWS response-codec fuzz targets: a transport that answers the first request of
// an operation with the fuzz input (status chosen by the first byte: 200, 400 or 503) and every
// later request with an empty 200, so pagination always ends; a provider over it with one
// attempt per call, a simulated clock and no environment.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "firebreak/cloud/aws/provider.h"

namespace fuzz {

using namespace firebreak;
using namespace firebreak::cloud;
using namespace firebreak::cloud::aws;

class FuzzTransport final : public HttpTransport {
 public:
  FuzzTransport(std::string body, int status, std::string content_type)
      : body_(std::move(body)), status_(status), type_(std::move(content_type)) {}
  void rearm() { armed_ = true; }
  Result<HttpResponse> send(const HttpRequest&, const ByteSink* sink) override {
    HttpResponse r;
    r.headers.emplace_back("Content-Type", type_);
    r.headers.emplace_back("x-amzn-RequestId", "fuzz");
    if (!armed_) {
      r.status = 200;
      return r;
    }
    armed_ = false;
    r.status = status_;
    if (status_ == 200 && sink != nullptr) {
      if (auto s = (*sink)(body_); !s) return std::unexpected(s.error());
      return r;
    }
    r.body = body_;
    // Header-borne fields (S3 HeadObject, x-amzn-ErrorType) come from the input too.
    if (body_.size() > 4 && body_[0] == 'H') {
      const auto nl = body_.find('\n');
      r.headers.emplace_back(body_.substr(1, std::min<std::size_t>(nl, 40)),
                             body_.substr(std::min(nl, body_.size())));
    }
    return r;
  }

 private:
  std::string body_;
  int status_;
  std::string type_;
  bool armed_ = true;
};

struct Harness {
  SimClock clock{TimePoint{}};
  std::shared_ptr<FuzzTransport> transport;
  std::shared_ptr<AwsSession> session;

  Harness(const std::uint8_t* data, std::size_t size, std::string content_type) {
    int status = 200;
    std::string body(reinterpret_cast<const char*>(data), size);
    if (!body.empty()) {
      const auto sel = static_cast<unsigned char>(body[0]) % 4;
      status = sel == 1 ? 400 : sel == 2 ? 503 : 200;
    }
    transport = std::make_shared<FuzzTransport>(body, status, std::move(content_type));
    AwsProviderConfig cfg;
    cfg.env = fixed_environment({});
    cfg.clock = &clock;
    cfg.transport = transport;
    cfg.options.region = "us-east-1";
    cfg.options.endpoint_url = "http://fuzz.invalid";
    cfg.options.access_key_id = "AKIAFUZZ";
    cfg.options.secret_access_key = "fuzzSecretKey0123456789";
    cfg.options.account_id = "123456789012";
    cfg.retry.max_attempts = 1;
    cfg.jitter_seed = 1;
    cfg.max_response_bytes = 1u << 20;
    auto p = make_aws_provider(cfg);
    if (!p) return;
    auto s = (*p)->aws_session({});
    if (s) session = *s;
  }

  template <class F>
  void each(F&& call) {
    transport->rearm();
    (void)call();
  }
};

}  // namespace fuzz
