#include "firebreak/cloud/aws/signer.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <ctime>

#include "firebreak/core/hash.h"

namespace firebreak::cloud::aws {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Trimall: leading/trailing whitespace removed, inner runs of whitespace (including the line
// breaks of folded headers) collapsed to one space.
std::string trim_all(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    const bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
    if (ws) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

// Headers a proxy or the HTTP layer may change; never signed (botocore's list).
bool unsigned_header(std::string_view lname) {
  static constexpr std::array<std::string_view, 12> kSkip = {"authorization",
                                                             "connection",
                                                             "expect",
                                                             "keep-alive",
                                                             "proxy-authenticate",
                                                             "proxy-authorization",
                                                             "te",
                                                             "trailer",
                                                             "transfer-encoding",
                                                             "upgrade",
                                                             "user-agent",
                                                             "x-amzn-trace-id"};
  return std::find(kSkip.begin(), kSkip.end(), lname) != kSkip.end();
}

struct Canonical {
  std::string headers;         // "name:value\n" lines
  std::string signed_headers;  // "a;b;c"
};

Canonical canonical_headers(const HeaderList& headers) {
  // Stable grouping by lower-case name keeps repeated headers in their original order.
  std::vector<std::pair<std::string, std::string>> lowered;
  lowered.reserve(headers.size());
  for (const auto& [k, v] : headers) {
    std::string ln = lower(trim_all(k));
    if (unsigned_header(ln)) continue;
    lowered.emplace_back(std::move(ln), trim_all(v));
  }
  std::stable_sort(lowered.begin(), lowered.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Canonical c;
  for (std::size_t i = 0; i < lowered.size();) {
    const std::string& name = lowered[i].first;
    std::string value = lowered[i].second;
    std::size_t j = i + 1;
    for (; j < lowered.size() && lowered[j].first == name; ++j) {
      value += ',';
      value += lowered[j].second;
    }
    c.headers += name;
    c.headers += ':';
    c.headers += value;
    c.headers += '\n';
    if (!c.signed_headers.empty()) c.signed_headers += ';';
    c.signed_headers += name;
    i = j;
  }
  return c;
}

std::string canonical_query(const QueryList& query) {
  std::vector<std::pair<std::string, std::string>> enc;
  enc.reserve(query.size());
  for (const auto& [k, v] : query) enc.emplace_back(uri_encode(k), uri_encode(v));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out += '&';
    out += k;
    out += '=';
    out += v;
  }
  return out;
}

std::string canonical_uri(std::string_view path, const SigningParams& p) {
  std::string out = p.normalize_path ? normalize_path(path) : std::string(path);
  if (out.empty()) out = "/";
  if (p.double_encode_path) out = uri_encode(out, /*keep_slash=*/true);
  return out;
}

std::string scope_of(const SigningParams& p) {
  return fmt::format("{}/{}/{}/aws4_request", amz_date(p.time).substr(0, 8), p.region, p.service);
}

std::string signature_of(const SigningParams& p, std::string_view string_to_sign) {
  const std::string date = amz_date(p.time).substr(0, 8);
  const Sha256Digest k_date = hmac_sha256("AWS4" + p.credentials.secret_access_key, date);
  const Sha256Digest k_region = hmac_sha256(std::span<const std::uint8_t>(k_date), p.region);
  const Sha256Digest k_service = hmac_sha256(std::span<const std::uint8_t>(k_region), p.service);
  const Sha256Digest k_signing =
      hmac_sha256(std::span<const std::uint8_t>(k_service), "aws4_request");
  return to_hex(hmac_sha256(std::span<const std::uint8_t>(k_signing), string_to_sign));
}

void finish(SigningResult& r, const SignableRequest& req, const SigningParams& p,
            const QueryList& query, const HeaderList& headers, std::string_view payload_hash) {
  const Canonical ch = canonical_headers(headers);
  r.canonical_request =
      fmt::format("{}\n{}\n{}\n{}\n{}\n{}", req.method, canonical_uri(req.path, p),
                  canonical_query(query), ch.headers, ch.signed_headers, payload_hash);
  r.string_to_sign = fmt::format("{}\n{}\n{}\n{}", kAlgorithm, amz_date(p.time), scope_of(p),
                                 sha256_hex(r.canonical_request));
  r.signature = signature_of(p, r.string_to_sign);
}

}  // namespace

std::string uri_encode(std::string_view s, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() + s.size() / 2);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (unreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string percent_decode(std::string_view s) {
  auto hexval = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hexval(s[i + 1]);
      const int lo = hexval(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

std::string normalize_path(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    const std::size_t next = path.find('/', pos);
    const std::string_view seg =
        path.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  std::string result = "/";
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (i) result += '/';
    result += out[i];
  }
  if (path.back() == '/' && result.back() != '/') result += '/';
  return result;
}

std::string encode_query(const QueryList& query) {
  std::string out;
  for (const auto& [k, v] : query) {
    if (!out.empty()) out += '&';
    out += uri_encode(k);
    out += '=';
    out += uri_encode(v);
  }
  return out;
}

std::string amz_date(TimePoint t) {
  const std::time_t secs = static_cast<std::time_t>(to_unix_seconds(t));
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

SigningResult sign_headers(const SignableRequest& req, const SigningParams& p) {
  SigningResult r;
  const std::string payload_hash =
      req.payload_hash.empty() ? std::string(kEmptySha256) : req.payload_hash;
  const bool token = !p.credentials.session_token.empty();
  if (token) r.added_headers.emplace_back("X-Amz-Security-Token", p.credentials.session_token);
  r.added_headers.emplace_back("X-Amz-Date", amz_date(p.time));
  if (p.add_content_sha256_header)
    r.added_headers.emplace_back("x-amz-content-sha256", payload_hash);

  HeaderList headers;
  headers.reserve(req.headers.size() + 3);
  for (const auto& h : req.headers) {
    const std::string ln = lower(h.first);
    // The signer owns these; a stale copy from an earlier attempt must not be signed twice.
    if (ln == "x-amz-date" || ln == "authorization" || ln == "x-amz-security-token" ||
        (p.add_content_sha256_header && ln == "x-amz-content-sha256"))
      continue;
    headers.push_back(h);
  }
  for (const auto& h : r.added_headers) {
    if (p.omit_session_token && h.first == "X-Amz-Security-Token") continue;
    headers.push_back(h);
  }
  finish(r, req, p, req.query, headers, payload_hash);
  const Canonical ch = canonical_headers(headers);
  r.added_headers.emplace_back(
      "Authorization",
      fmt::format("{} Credential={}/{}, SignedHeaders={}, Signature={}", kAlgorithm,
                  p.credentials.access_key_id, scope_of(p), ch.signed_headers, r.signature));
  return r;
}

SigningResult sign_query(const SignableRequest& req, const SigningParams& p) {
  SigningResult r;
  const std::string payload_hash =
      req.payload_hash.empty() ? std::string(kEmptySha256) : req.payload_hash;
  const Canonical ch = canonical_headers(req.headers);
  r.added_query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  r.added_query.emplace_back("X-Amz-Credential",
                             fmt::format("{}/{}", p.credentials.access_key_id, scope_of(p)));
  r.added_query.emplace_back("X-Amz-Date", amz_date(p.time));
  r.added_query.emplace_back("X-Amz-SignedHeaders", ch.signed_headers);
  r.added_query.emplace_back("X-Amz-Expires", std::to_string(p.expires_seconds));
  const bool token = !p.credentials.session_token.empty();
  QueryList query = req.query;
  for (const auto& q : r.added_query) query.push_back(q);
  if (token && !p.omit_session_token)
    query.emplace_back("X-Amz-Security-Token", p.credentials.session_token);
  if (token) r.added_query.emplace_back("X-Amz-Security-Token", p.credentials.session_token);
  finish(r, req, p, query, req.headers, payload_hash);
  r.added_query.emplace_back("X-Amz-Signature", r.signature);
  return r;
}

}  // namespace firebreak::cloud::aws
