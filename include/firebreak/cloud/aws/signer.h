#pragma once
// AWS Signature Version 4: header signing (Authorization) and query signing (presigned URLs),
// including S3's rules (no path normalisation, no second URI-encoding of the path,
// x-amz-content-sha256, UNSIGNED-PAYLOAD for presigned requests).
//
// The request handed to the signer is the one that goes on the wire: `path` is already
// percent-encoded as it will be sent ("/bucket/a%20b"); `query` holds decoded key/value pairs that
// the transport encodes with uri_encode(). Pure functions, thread-safe.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "firebreak/cloud/types.h"
#include "firebreak/core/clock.h"

namespace firebreak::cloud::aws {

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using QueryList = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view kEmptySha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// RFC 3986 encoding as SigV4 wants it: every byte but A-Z a-z 0-9 - _ . ~ becomes %XX (upper
// case); '/' is kept when `keep_slash`.
[[nodiscard]] std::string uri_encode(std::string_view s, bool keep_slash = false);
// Decodes %XX escapes ('+' stays '+'); malformed escapes are kept verbatim.
[[nodiscard]] std::string percent_decode(std::string_view s);
// Removes "." and ".." segments and empty segments ("//a/./b/../" -> "/a/"), as botocore and
// aws-c-auth normalise non-S3 paths.
[[nodiscard]] std::string normalize_path(std::string_view path);
// "k1=v1&k2=v2" with keys and values uri_encode()d, in the given order.
[[nodiscard]] std::string encode_query(const QueryList& query);

struct SignableRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // wire path (percent-encoded), starts with '/'
  QueryList query;     // decoded pairs
  HeaderList headers;  // must include Host
  // Hex SHA-256 of the body, or kUnsignedPayload. Empty: the hash of an empty body.
  std::string payload_hash;
};

struct SigningParams {
  Credentials credentials;
  std::string region;
  std::string service;  // signing name: "ec2", "s3", "execute-api", ...
  TimePoint time{};
  // Non-S3 services: remove dot segments and encode the (already encoded) path a second time.
  // S3: both false.
  bool normalize_path = true;
  bool double_encode_path = true;
  // Adds x-amz-content-sha256 (signed) to header-signed requests; S3 always needs it.
  bool add_content_sha256_header = false;
  // Adds X-Amz-Security-Token after signing instead of signing it (some services want that).
  bool omit_session_token = false;
  int expires_seconds = 3600;  // presigned requests only
};

struct SigningResult {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // lower-case hex
  // Header signing: headers to add to the request, in order (X-Amz-Security-Token, X-Amz-Date,
  // x-amz-content-sha256, Authorization). Query signing: query parameters to append, in order
  // (X-Amz-Algorithm, -Credential, -Date, -SignedHeaders, -Expires, -Security-Token, -Signature).
  HeaderList added_headers;
  QueryList added_query;
};

// "20150830T123600Z".
[[nodiscard]] std::string amz_date(TimePoint t);

// Signs with an Authorization header.
[[nodiscard]] SigningResult sign_headers(const SignableRequest& req, const SigningParams& params);
// Signs in the query string (presigned URL). Every header of `req` is signed (keep it to Host and
// what the caller must send); S3 presigning passes payload_hash = kUnsignedPayload.
[[nodiscard]] SigningResult sign_query(const SignableRequest& req, const SigningParams& params);

}  // namespace firebreak::cloud::aws
