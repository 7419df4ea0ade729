// S3 (REST-XML) and S3 Control. Virtual-hosted addressing on AWS's endpoints, path style for
// custom endpoints (or when configured). Large streamed bodies use multipart upload with a
// SHA-256 checksum per part; the whole body's SHA-256 is computed on the way and compared with
// the caller's. A 200 answer whose body is an <Error> document is an error.
#include <fmt/format.h>
#include <openssl/evp.h>

#include "firebreak/core/hash.h"
#include "services.h"

namespace firebreak::cloud::aws::detail {

namespace {

using Doc = std::shared_ptr<pugi::xml_document>;

constexpr std::string_view kS3Ns = "http://s3.amazonaws.com/doc/2006-03-01/";

std::string md5_base64(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
  return base64_encode(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string checksum_b64(const Sha256Digest& d) {
  return base64_encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string xml_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

bool dns_compatible(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return false;
  for (char c : bucket) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;  // dots break TLS wildcard certificates: use path style
  }
  return true;
}

ObjectInfo info_from_headers(const HttpResponse& r, const std::string& bucket,
                             const std::string& key) {
  ObjectInfo o;
  o.bucket = bucket;
  o.key = key;
  o.version_id = r.header("x-amz-version-id");
  if (o.version_id == "null") o.version_id.clear();
  const std::string len = r.header("Content-Length");
  if (!len.empty()) o.content_length = std::strtoull(len.c_str(), nullptr, 10);
  o.etag = r.header("ETag");
  o.content_type = r.header("Content-Type");
  o.checksum_sha256 = r.header("x-amz-checksum-sha256");
  o.server_side_encryption = r.header("x-amz-server-side-encryption");
  o.sse_kms_key_id = r.header("x-amz-server-side-encryption-aws-kms-key-id");
  o.lock.mode = r.header("x-amz-object-lock-mode");
  const std::string until = r.header("x-amz-object-lock-retain-until-date");
  if (!until.empty()) o.lock.retain_until = parse_iso8601(until);
  o.lock.legal_hold = r.header("x-amz-object-lock-legal-hold") == "ON";
  if (auto lm = parse_http_date(r.header("Last-Modified"))) o.last_modified = *lm;
  for (const auto& [k, v] : r.headers) {
    std::string lk = k;
    for (auto& ch : lk)
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    if (lk.starts_with("x-amz-meta-")) o.metadata[lk.substr(11)] = v;
  }
  return o;
}

PublicAccessBlock parse_pab(const pugi::xml_node& n) {
  return {xb(n, "BlockPublicAcls"), xb(n, "IgnorePublicAcls"), xb(n, "BlockPublicPolicy"),
          xb(n, "RestrictPublicBuckets")};
}

std::string pab_xml(const PublicAccessBlock& b, std::string_view ns) {
  return fmt::format(
      "<PublicAccessBlockConfiguration xmlns=\"{}\"><BlockPublicAcls>{}</BlockPublicAcls>"
      "<IgnorePublicAcls>{}</IgnorePublicAcls><BlockPublicPolicy>{}</BlockPublicPolicy>"
      "<RestrictPublicBuckets>{}</RestrictPublicBuckets></PublicAccessBlockConfiguration>",
      ns, tf(b.block_public_acls), tf(b.ignore_public_acls), tf(b.block_public_policy),
      tf(b.restrict_public_buckets));
}

class AwsS3 final : public S3 {
 public:
  explicit AwsS3(Client& c) : c_(c) {}

  // ---- plumbing ----
  RawRequest request(std::string method, const std::string& bucket, const std::string& key,
                     QueryList query = {}) {
    RawRequest raw;
    raw.method = std::move(method);
    raw.s3_signing = true;
    raw.query = std::move(query);
    const Endpoint ep = c_.endpoint(spec::kS3);
    const auto& cfg = c_.shared().config;
    const bool path_style = cfg.s3_path_style.value_or(ep.custom) || !dns_compatible(bucket);
    const std::string enc_key = uri_encode(key, /*keep_slash=*/true);
    if (bucket.empty()) {
      raw.path = "/";
    } else if (path_style) {
      raw.path = "/" + uri_encode(bucket) + "/" + enc_key;
      if (key.empty()) raw.path.pop_back();
    } else {
      raw.host_prefix = bucket + ".";
      raw.path = "/" + enc_key;
    }
    return raw;
  }

  static void set_body(RawRequest& raw, std::string body, bool md5 = true) {
    if (md5) raw.headers.emplace_back("Content-MD5", md5_base64(body));
    raw.body = std::move(body);
  }

  // Sends; turns S3's "200 with an <Error> body" into the error it is.
  Result<HttpResponse> send(std::string_view op, const RawRequest& raw,
                            const ByteSink* sink = nullptr) {
    FIREBREAK_TRY(HttpResponse resp,
                  c_.send(spec::kS3, op, !is_read_only_operation(op), raw, sink));
    if (sink == nullptr && !resp.body.empty()) {
      std::string_view b = resp.body;
      const auto lt = b.find('<');
      if (lt != std::string_view::npos && lt < 128) {
        std::string_view rest = b.substr(lt);
        if (rest.starts_with("<?xml")) {
          const auto next = rest.find('<', 1);
          rest = next == std::string_view::npos ? std::string_view() : rest.substr(next);
        }
        if (rest.starts_with("<Error>") || rest.starts_with("<Error ")) {
          HttpResponse as_error = resp;
          return fail(decode_error(Protocol::kRestXml, "s3", op, as_error));
        }
      }
    }
    return resp;
  }

  // The root element each XML answer must have: an answer of another shape (a proxy's page, an
  // emulator that does not implement the call) is an error, never a silent default.
  static std::string_view expected_root(std::string_view op) {
    static constexpr std::pair<std::string_view, std::string_view> kRoots[] = {
        {"ListBuckets", "ListAllMyBucketsResult"},
        // moto answers a never-versioned bucket with an empty <GetBucketVersioningResponse>.
        {"GetBucketVersioning", "VersioningConfiguration|GetBucketVersioningResponse"},
        {"CreateMultipartUpload", "InitiateMultipartUploadResult"},
        {"ListObjectVersions", "ListVersionsResult"},
        {"GetObjectLockConfiguration", "ObjectLockConfiguration"},
        {"GetObjectRetention", "Retention"},
        {"GetObjectLegalHold", "LegalHold"},
        {"GetBucketPolicyStatus", "PolicyStatus"},
        {"GetBucketAcl", "AccessControlPolicy"},
        {"GetPublicAccessBlock", "PublicAccessBlockConfiguration"},
        {"GetBucketOwnershipControls", "OwnershipControls"},
    };
    for (const auto& [o, r] : kRoots)
      if (o == op) return r;
    return {};
  }

  Result<Doc> send_xml(std::string_view op, const RawRequest& raw) {
    FIREBREAK_TRY(HttpResponse resp, send(op, raw));
    auto doc = parse_xml(resp.body, c_.shared().limits);
    if (!doc) return fail(doc.error().wrap(fmt::format("s3 {}", op)));
    const std::string_view name = (*doc)->document_element().name();
    const std::string_view root = expected_root(op);
    bool ok = root.empty();
    for (std::size_t pos = 0; !ok && pos <= root.size();) {
      const auto bar = root.find('|', pos);
      ok = root.substr(pos, bar == std::string_view::npos ? std::string_view::npos : bar - pos) ==
           name;
      if (bar == std::string_view::npos) break;
      pos = bar + 1;
    }
    if (!ok)
      return fail(ErrorCode::kParse, fmt::format("s3 {}: unexpected answer <{}> (expected <{}>)",
                                                 op, name.substr(0, 64), root));
    return doc;
  }

  Status simple(std::string_view op, const RawRequest& raw) {
    return c_.run(spec::kS3, op, [&]() -> Status {
      FIREBREAK_TRY(HttpResponse r, send(op, raw));
      (void)r;
      return {};
    });
  }

  // ---- buckets ----
  Status create_bucket(const CreateBucketRequest& req) override {
    RawRequest raw = request("PUT", req.bucket, "");
    const std::string region = req.region.empty() ? c_.region() : req.region;
    if (region != "us-east-1") {
      set_body(
          raw,
          fmt::format(
              "<CreateBucketConfiguration xmlns=\"{}\"><LocationConstraint>{}</LocationConstraint>"
              "</CreateBucketConfiguration>",
              kS3Ns, xml_escape(region)),
          false);
    }
    if (req.object_lock_enabled)
      raw.headers.emplace_back("x-amz-bucket-object-lock-enabled", "true");
    return simple("CreateBucket", raw);
  }

  Result<std::vector<std::string>> list_buckets() override {
    return c_.run(spec::kS3, "ListBuckets", [&]() -> Result<std::vector<std::string>> {
      std::vector<std::string> out;
      std::string token;
      for (int page = 0; page < kMaxPages; ++page) {
        QueryList q;
        if (!token.empty()) q.emplace_back("continuation-token", token);
        RawRequest raw = request("GET", "", "", q);
        FIREBREAK_TRY(Doc doc, send_xml("ListBuckets", raw));
        const auto root = doc->document_element();
        for (auto b : root.child("Buckets").children("Bucket")) out.push_back(xt(b, "Name"));
        token = xt(root, "ContinuationToken");
        if (token.empty()) return out;
      }
      return fail(ErrorCode::kLimitExceeded, "s3 ListBuckets: too many pages");
    });
  }

  Status put_bucket_versioning(const std::string& bucket, bool enabled) override {
    RawRequest raw = request("PUT", bucket, "", {{"versioning", ""}});
    set_body(
        raw,
        fmt::format(
            "<VersioningConfiguration xmlns=\"{}\"><Status>{}</Status></VersioningConfiguration>",
            kS3Ns, enabled ? "Enabled" : "Suspended"));
    return simple("PutBucketVersioning", raw);
  }

  Result<std::string> get_bucket_versioning(const std::string& bucket) override {
    return c_.run(spec::kS3, "GetBucketVersioning", [&]() -> Result<std::string> {
      FIREBREAK_TRY(Doc doc, send_xml("GetBucketVersioning",
                                      request("GET", bucket, "", {{"versioning", ""}})));
      return xt(doc->document_element(), "Status");
    });
  }

  // ---- objects ----
  void add_object_headers(RawRequest& raw, const PutObjectRequest& req) {
    if (!req.content_type.empty()) raw.headers.emplace_back("Content-Type", req.content_type);
    if (!req.sse_kms_key_id.empty()) {
      raw.headers.emplace_back("x-amz-server-side-encryption", "aws:kms");
      raw.headers.emplace_back("x-amz-server-side-encryption-aws-kms-key-id", req.sse_kms_key_id);
    }
    if (!req.lock.mode.empty()) {
      raw.headers.emplace_back("x-amz-object-lock-mode", req.lock.mode);
      if (req.lock.retain_until)
        raw.headers.emplace_back("x-amz-object-lock-retain-until-date",
                                 format_iso8601(*req.lock.retain_until, TimePrecision::kMillis));
    }
    if (req.lock.legal_hold) raw.headers.emplace_back("x-amz-object-lock-legal-hold", "ON");
    for (const auto& [k, v] : req.metadata) raw.headers.emplace_back("x-amz-meta-" + k, v);
  }

  Result<PutObjectResult> put_object(const PutObjectRequest& req) override {
    return c_.run(spec::kS3, "PutObject", [&]() -> Result<PutObjectResult> {
      if (req.source && req.content_length > c_.shared().multipart_threshold)
        return multipart_put(req);
      std::string body;
      if (req.source) {
        FIREBREAK_TRY(body, read_exactly(req.source, req.content_length));
      } else {
        body = req.body;
      }
      const std::string checksum = checksum_b64(sha256(body));
      if (!req.checksum_sha256.empty() && req.checksum_sha256 != checksum)
        return fail(
            ErrorCode::kInvalidArgument,
            fmt::format("s3 PutObject {}/{}: body does not match the given SHA-256 checksum",
                        req.bucket, req.key));
      RawRequest raw = request("PUT", req.bucket, req.key);
      add_object_headers(raw, req);
      raw.headers.emplace_back("x-amz-sdk-checksum-algorithm", "SHA256");
      raw.headers.emplace_back("x-amz-checksum-sha256", checksum);
      raw.body = std::move(body);
      FIREBREAK_TRY(HttpResponse r, send("PutObject", raw));
      PutObjectResult out{r.header("ETag"), r.header("x-amz-version-id"),
                          r.header("x-amz-checksum-sha256")};
      if (out.version_id == "null") out.version_id.clear();
      if (out.checksum_sha256.empty()) out.checksum_sha256 = checksum;
      return out;
    });
  }

  static Result<std::string> read_exactly(const ByteSource& src, std::uint64_t n) {
    std::string out;
    out.resize(static_cast<std::size_t>(n));
    std::size_t got = 0;
    while (got < n) {
      FIREBREAK_TRY(std::size_t k, src(out.data() + got, static_cast<std::size_t>(n - got)));
      if (k == 0) break;
      got += k;
    }
    if (got != n)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("body source ended after {} of {} bytes", got, n));
    return out;
  }

  Result<PutObjectResult> multipart_put(const PutObjectRequest& req) {
    const std::string op_where = fmt::format("s3 multipart upload {}/{}", req.bucket, req.key);
    RawRequest init = request("POST", req.bucket, req.key, {{"uploads", ""}});
    add_object_headers(init, req);
    init.headers.emplace_back("x-amz-checksum-algorithm", "SHA256");
    FIREBREAK_TRY(Doc idoc, send_xml("CreateMultipartUpload", init));
    const std::string upload_id = xt(idoc->document_element(), "UploadId");
    if (upload_id.empty()) return fail(ErrorCode::kParse, op_where + ": no UploadId");

    auto abort = [&]() {
      RawRequest a = request("DELETE", req.bucket, req.key, {{"uploadId", upload_id}});
      (void)send("AbortMultipartUpload", a);
    };
    // S3 allows 10000 parts: grow the part (and so the memory held) only when the body needs it.
    const std::uint64_t part_size = std::max<std::uint64_t>(
        {c_.shared().multipart_part_size, 5ull << 20, (req.content_length + 9999) / 10000});
    Sha256Stream whole;
    std::string complete = fmt::format("<CompleteMultipartUpload xmlns=\"{}\">", kS3Ns);
    std::uint64_t sent = 0;
    for (int part = 1; sent < req.content_length; ++part) {
      if (part > 10000) {
        abort();
        return fail(ErrorCode::kLimitExceeded,
                    op_where + ": more than 10000 parts (raise the part size)");
      }
      const std::uint64_t n = std::min(part_size, req.content_length - sent);
      auto chunk = read_exactly(req.source, n);
      if (!chunk) {
        abort();
        return fail(chunk.error().wrap(op_where));
      }
      whole.update(*chunk);
      const std::string checksum = checksum_b64(sha256(*chunk));
      RawRequest up = request("PUT", req.bucket, req.key,
                              {{"partNumber", std::to_string(part)}, {"uploadId", upload_id}});
      up.headers.emplace_back("x-amz-checksum-sha256", checksum);
      up.body = std::move(*chunk);
      auto r = send("UploadPart", up);
      if (!r) {
        abort();
        return fail(r.error());
      }
      complete += fmt::format(
          "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag><ChecksumSHA256>{}</ChecksumSHA256></"
          "Part>",
          part, xml_escape(r->header("ETag")), checksum);
      sent += n;
    }
    complete += "</CompleteMultipartUpload>";
    const std::string whole_checksum = checksum_b64(whole.finish());
    if (!req.checksum_sha256.empty() && req.checksum_sha256 != whole_checksum) {
      abort();
      return fail(ErrorCode::kInvalidArgument,
                  op_where + ": body does not match the given SHA-256 checksum");
    }
    RawRequest fin = request("POST", req.bucket, req.key, {{"uploadId", upload_id}});
    fin.body = std::move(complete);
    fin.headers.emplace_back("Content-Type", "application/xml");
    auto r = send("CompleteMultipartUpload", fin);
    if (!r) {
      abort();
      return fail(r.error());
    }
    auto doc = parse_xml(r->body, c_.shared().limits);
    PutObjectResult out;
    out.version_id = r->header("x-amz-version-id");
    if (out.version_id == "null") out.version_id.clear();
    if (doc) out.etag = xt((*doc)->document_element(), "ETag");
    out.checksum_sha256 = whole_checksum;
    return out;
  }

  static QueryList version_query(const std::string& version_id) {
    QueryList q;
    if (!version_id.empty()) q.emplace_back("versionId", version_id);
    return q;
  }

  Result<ObjectInfo> get_object(const std::string& bucket, const std::string& key,
                                const std::string& version_id, const ByteSink& sink) override {
    return c_.run(spec::kS3, "GetObject", [&]() -> Result<ObjectInfo> {
      RawRequest raw = request("GET", bucket, key, version_query(version_id));
      raw.headers.emplace_back("x-amz-checksum-mode", "ENABLED");
      FIREBREAK_TRY(HttpResponse r, send("GetObject", raw, &sink));
      return info_from_headers(r, bucket, key);
    });
  }

  Result<ObjectInfo> head_object(const std::string& bucket, const std::string& key,
                                 const std::string& version_id) override {
    return c_.run(spec::kS3, "HeadObject", [&]() -> Result<ObjectInfo> {
      RawRequest raw = request("HEAD", bucket, key, version_query(version_id));
      raw.headers.emplace_back("x-amz-checksum-mode", "ENABLED");
      FIREBREAK_TRY(HttpResponse r, send("HeadObject", raw));
      return info_from_headers(r, bucket, key);
    });
  }

  Status delete_object(const std::string& bucket, const std::string& key,
                       const std::string& version_id, bool bypass) override {
    RawRequest raw = request("DELETE", bucket, key, version_query(version_id));
    if (bypass) raw.headers.emplace_back("x-amz-bypass-governance-retention", "true");
    return simple("DeleteObject", raw);
  }

  Result<std::vector<ObjectVersion>> list_object_versions(const std::string& bucket,
                                                          const std::string& prefix) override {
    return c_.run(spec::kS3, "ListObjectVersions", [&]() -> Result<std::vector<ObjectVersion>> {
      std::vector<ObjectVersion> out;
      std::string key_marker, version_marker;
      for (int page = 0; page < kMaxPages; ++page) {
        QueryList q{{"versions", ""}};
        if (!prefix.empty()) q.emplace_back("prefix", prefix);
        if (!key_marker.empty()) q.emplace_back("key-marker", key_marker);
        if (!version_marker.empty()) q.emplace_back("version-id-marker", version_marker);
        FIREBREAK_TRY(Doc doc, send_xml("ListObjectVersions", request("GET", bucket, "", q)));
        const auto root = doc->document_element();
        for (auto n : root.children()) {
          const std::string_view name = n.name();
          if (name != "Version" && name != "DeleteMarker") continue;
          ObjectVersion v;
          v.key = xt(n, "Key");
          v.version_id = xt(n, "VersionId");
          v.is_latest = xb(n, "IsLatest");
          v.is_delete_marker = name == "DeleteMarker";
          v.size = static_cast<std::uint64_t>(xi(n, "Size"));
          v.last_modified = xtime(n, "LastModified");
          out.push_back(std::move(v));
        }
        if (!xb(root, "IsTruncated")) return out;
        key_marker = xt(root, "NextKeyMarker");
        version_marker = xt(root, "NextVersionIdMarker");
        if (key_marker.empty() && version_marker.empty()) return out;
      }
      return fail(ErrorCode::kLimitExceeded, "s3 ListObjectVersions: too many pages");
    });
  }

  // ---- Object Lock ----
  Result<ObjectLockConfiguration> get_object_lock_configuration(
      const std::string& bucket) override {
    return c_.run(
        spec::kS3, "GetObjectLockConfiguration", [&]() -> Result<ObjectLockConfiguration> {
          FIREBREAK_TRY(Doc doc, send_xml("GetObjectLockConfiguration",
                                          request("GET", bucket, "", {{"object-lock", ""}})));
          const auto root = doc->document_element();
          ObjectLockConfiguration c;
          c.enabled = xt(root, "ObjectLockEnabled") == "Enabled";
          const auto dr = root.child("Rule").child("DefaultRetention");
          c.default_mode = xt(dr, "Mode");
          c.default_days = static_cast<int>(xi(dr, "Days"));
          if (c.default_days == 0 && dr.child("Years"))
            c.default_days = static_cast<int>(xi(dr, "Years") * 365);
          return c;
        });
  }

  Status put_object_lock_configuration(const std::string& bucket,
                                       const ObjectLockConfiguration& c) override {
    RawRequest raw = request("PUT", bucket, "", {{"object-lock", ""}});
    std::string body = fmt::format(
        "<ObjectLockConfiguration xmlns=\"{}\"><ObjectLockEnabled>Enabled</ObjectLockEnabled>",
        kS3Ns);
    if (!c.default_mode.empty())
      body += fmt::format(
          "<Rule><DefaultRetention><Mode>{}</Mode><Days>{}</Days></DefaultRetention></Rule>",
          xml_escape(c.default_mode), c.default_days);
    body += "</ObjectLockConfiguration>";
    set_body(raw, std::move(body));
    return simple("PutObjectLockConfiguration", raw);
  }

  Result<ObjectLockSettings> get_object_retention(const std::string& bucket, const std::string& key,
                                                  const std::string& version_id) override {
    return c_.run(spec::kS3, "GetObjectRetention", [&]() -> Result<ObjectLockSettings> {
      ObjectLockSettings s;
      QueryList q = version_query(version_id);
      q.emplace_back("retention", "");
      auto doc = send_xml("GetObjectRetention", request("GET", bucket, key, q));
      if (doc) {
        const auto root = (*doc)->document_element();
        s.mode = xt(root, "Mode");
        s.retain_until = xtime_opt(root, "RetainUntilDate");
      } else if (doc.error().code() != ErrorCode::kNotFound ||
                 doc.error().context().aws_code == "NoSuchKey" ||
                 doc.error().context().aws_code == "NoSuchVersion" ||
                 doc.error().context().aws_code == "NoSuchBucket") {
        return fail(doc.error());
      }
      QueryList lq = version_query(version_id);
      lq.emplace_back("legal-hold", "");
      auto hold = send_xml("GetObjectLegalHold", request("GET", bucket, key, lq));
      if (hold) {
        s.legal_hold = xt((*hold)->document_element(), "Status") == "ON";
      } else if (hold.error().code() != ErrorCode::kNotFound &&
                 hold.error().code() != ErrorCode::kInvalidArgument) {
        return fail(hold.error());
      }
      return s;
    });
  }

  Status put_object_retention(const std::string& bucket, const std::string& key,
                              const std::string& version_id, const ObjectLockSettings& r,
                              bool bypass) override {
    QueryList q = version_query(version_id);
    q.emplace_back("retention", "");
    RawRequest raw = request("PUT", bucket, key, q);
    std::string body = fmt::format("<Retention xmlns=\"{}\">", kS3Ns);
    if (!r.mode.empty()) body += fmt::format("<Mode>{}</Mode>", xml_escape(r.mode));
    if (r.retain_until)
      body += fmt::format("<RetainUntilDate>{}</RetainUntilDate>",
                          format_iso8601(*r.retain_until, TimePrecision::kMillis));
    body += "</Retention>";
    set_body(raw, std::move(body));
    if (bypass) raw.headers.emplace_back("x-amz-bypass-governance-retention", "true");
    return simple("PutObjectRetention", raw);
  }

  Status put_object_legal_hold(const std::string& bucket, const std::string& key,
                               const std::string& version_id, bool on) override {
    QueryList q = version_query(version_id);
    q.emplace_back("legal-hold", "");
    RawRequest raw = request("PUT", bucket, key, q);
    set_body(raw, fmt::format("<LegalHold xmlns=\"{}\"><Status>{}</Status></LegalHold>", kS3Ns,
                              on ? "ON" : "OFF"));
    return simple("PutObjectLegalHold", raw);
  }

  // ---- exposure ----
  Result<std::string> get_bucket_policy(const std::string& bucket) override {
    return c_.run(spec::kS3, "GetBucketPolicy", [&]() -> Result<std::string> {
      FIREBREAK_TRY(HttpResponse r, c_.send(spec::kS3, "GetBucketPolicy", false,
                                            request("GET", bucket, "", {{"policy", ""}})));
      return r.body;
    });
  }
  Status put_bucket_policy(const std::string& bucket, const std::string& policy) override {
    RawRequest raw = request("PUT", bucket, "", {{"policy", ""}});
    raw.headers.emplace_back("Content-Type", "application/json");
    set_body(raw, policy);
    return simple("PutBucketPolicy", raw);
  }
  Status delete_bucket_policy(const std::string& bucket) override {
    return simple("DeleteBucketPolicy", request("DELETE", bucket, "", {{"policy", ""}}));
  }
  Result<bool> get_bucket_policy_status(const std::string& bucket) override {
    return c_.run(spec::kS3, "GetBucketPolicyStatus", [&]() -> Result<bool> {
      FIREBREAK_TRY(Doc doc, send_xml("GetBucketPolicyStatus",
                                      request("GET", bucket, "", {{"policyStatus", ""}})));
      return xb(doc->document_element(), "IsPublic");
    });
  }
  Result<BucketAcl> get_bucket_acl(const std::string& bucket) override {
    return c_.run(spec::kS3, "GetBucketAcl", [&]() -> Result<BucketAcl> {
      FIREBREAK_TRY(Doc doc, send_xml("GetBucketAcl", request("GET", bucket, "", {{"acl", ""}})));
      const auto root = doc->document_element();
      BucketAcl acl;
      acl.owner_id = xt(root.child("Owner"), "ID");
      for (auto g : root.child("AccessControlList").children("Grant")) {
        const auto grantee = g.child("Grantee");
        Grant gr;
        gr.grantee_type = grantee.attribute("xsi:type").as_string();
        if (gr.grantee_type.empty()) gr.grantee_type = grantee.attribute("type").as_string();
        gr.grantee = xt(grantee, "ID");
        if (gr.grantee.empty()) gr.grantee = xt(grantee, "URI");
        if (gr.grantee.empty()) gr.grantee = xt(grantee, "EmailAddress");
        if (gr.grantee_type.empty())
          gr.grantee_type = grantee.child("URI") ? "Group" : "CanonicalUser";
        gr.permission = xt(g, "Permission");
        acl.grants.push_back(std::move(gr));
      }
      return acl;
    });
  }
  Status put_bucket_acl(const std::string& bucket, const std::string& canned) override {
    RawRequest raw = request("PUT", bucket, "", {{"acl", ""}});
    raw.headers.emplace_back("x-amz-acl", canned);
    return simple("PutBucketAcl", raw);
  }
  Result<PublicAccessBlock> get_public_access_block(const std::string& bucket) override {
    return c_.run(spec::kS3, "GetPublicAccessBlock", [&]() -> Result<PublicAccessBlock> {
      FIREBREAK_TRY(Doc doc, send_xml("GetPublicAccessBlock",
                                      request("GET", bucket, "", {{"publicAccessBlock", ""}})));
      return parse_pab(doc->document_element());
    });
  }
  Status put_public_access_block(const std::string& bucket, const PublicAccessBlock& b) override {
    RawRequest raw = request("PUT", bucket, "", {{"publicAccessBlock", ""}});
    set_body(raw, pab_xml(b, kS3Ns));
    return simple("PutPublicAccessBlock", raw);
  }
  Status delete_public_access_block(const std::string& bucket) override {
    return simple("DeletePublicAccessBlock",
                  request("DELETE", bucket, "", {{"publicAccessBlock", ""}}));
  }
  Result<std::string> get_bucket_ownership_controls(const std::string& bucket) override {
    return c_.run(spec::kS3, "GetBucketOwnershipControls", [&]() -> Result<std::string> {
      FIREBREAK_TRY(Doc doc, send_xml("GetBucketOwnershipControls",
                                      request("GET", bucket, "", {{"ownershipControls", ""}})));
      return xt(doc->document_element().child("Rule"), "ObjectOwnership");
    });
  }
  Status put_bucket_ownership_controls(const std::string& bucket,
                                       const std::string& ownership) override {
    RawRequest raw = request("PUT", bucket, "", {{"ownershipControls", ""}});
    set_body(
        raw,
        fmt::format(
            "<OwnershipControls xmlns=\"{}\"><Rule><ObjectOwnership>{}</ObjectOwnership></Rule>"
            "</OwnershipControls>",
            kS3Ns, xml_escape(ownership)));
    return simple("PutBucketOwnershipControls", raw);
  }

  Status put_account_public_access_block(const std::string& account_id,
                                         const PublicAccessBlock& b) override {
    return c_.run(spec::kS3Control, "PutPublicAccessBlock", [&]() -> Status {
      RawRequest raw;
      raw.method = "PUT";
      raw.s3_signing = true;
      raw.path = "/v20180820/configuration/publicAccessBlock";
      const Endpoint ep = c_.endpoint(spec::kS3Control);
      // AWS routes S3 Control by an account-id host prefix; custom endpoints get none.
      if (!ep.custom) raw.host_prefix = account_id + ".";
      raw.headers.emplace_back("x-amz-account-id", account_id);
      set_body(raw, pab_xml(b, "http://awss3control.amazonaws.com/doc/2018-08-20/"));
      FIREBREAK_TRY(HttpResponse r, c_.send(spec::kS3Control, "PutPublicAccessBlock", true, raw));
      (void)r;
      return {};
    });
  }

 private:
  Client& c_;
};

}  // namespace

std::unique_ptr<S3> make_s3(Client& c) { return std::make_unique<AwsS3>(c); }

}  // namespace firebreak::cloud::aws::detail
