#include "firebreak/event/generate.h"

#include <fmt/format.h>
#include <zlib.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <vector>

#include "firebreak/core/ids.h"
#include "firebreak/core/json.h"

namespace firebreak::event {

namespace {

constexpr std::array kAccounts = {"111122223333", "444455556666", "777788889999"};
constexpr std::array kRegions = {"us-east-1", "us-east-1", "us-east-1",
                                 "us-west-2", "eu-west-1", "ap-southeast-2"};
constexpr std::array kUsers = {"alice", "bob", "carol", "ci-deploy", "terraform"};
constexpr std::array kRoles = {
    "Admin",         "ReadOnly",           "OrganizationAccountAccessRole",
    "WebServerRole", "lambda-orders-exec", "eks-node-role"};
constexpr std::array kAgents = {
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.0-18-cloud-amd64 exe/x86_64.debian.12 prompt/off "
    "command/ec2.describe-instances",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213 md/arch#x86_64 lang/python#3.12.2 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    "aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.53.0",
    "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) "
    "terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) "
    "aws-sdk-go/1.51.6 (go1.22.1; linux; amd64)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 "
    "Safari/537.36",
};
constexpr std::array kIps = {"203.0.113.10", "203.0.113.77", "198.51.100.23",
                             "192.0.2.150",  "100.24.13.8",  "34.201.77.12"};

struct Api {
  const char* source;
  const char* name;
  double weight;
  bool read_only;
  bool data_event;
};

// Roughly the mix a busy account shows: reads dominate, S3 data events and KMS are loud, writes
// and IAM changes are rare.
constexpr std::array kApis = {
    Api{"s3.amazonaws.com", "GetObject", 18, true, true},
    Api{"s3.amazonaws.com", "PutObject", 7, false, true},
    Api{"kms.amazonaws.com", "Decrypt", 10, true, false},
    Api{"kms.amazonaws.com", "GenerateDataKey", 5, true, false},
    Api{"sts.amazonaws.com", "AssumeRole", 9, true, false},
    Api{"sts.amazonaws.com", "GetCallerIdentity", 4, true, false},
    Api{"ec2.amazonaws.com", "DescribeInstances", 8, true, false},
    Api{"ec2.amazonaws.com", "RunInstances", 1, false, false},
    Api{"ec2.amazonaws.com", "TerminateInstances", 0.6, false, false},
    Api{"ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", 0.4, false, false},
    Api{"ec2.amazonaws.com", "CreateSnapshot", 0.5, false, false},
    Api{"iam.amazonaws.com", "ListUsers", 2, true, false},
    Api{"iam.amazonaws.com", "CreateUser", 0.2, false, false},
    Api{"iam.amazonaws.com", "CreateAccessKey", 0.2, false, false},
    Api{"iam.amazonaws.com", "AttachUserPolicy", 0.2, false, false},
    Api{"logs.amazonaws.com", "CreateLogStream", 4, false, false},
    Api{"ssm.amazonaws.com", "GetParameter", 5, true, false},
    Api{"secretsmanager.amazonaws.com", "GetSecretValue", 2, true, false},
    Api{"lambda.amazonaws.com", "ListFunctions20150331", 2, true, false},
    Api{"signin.amazonaws.com", "ConsoleLogin", 0.3, false, false},
    Api{"cloudtrail.amazonaws.com", "LookupEvents", 1, true, false},
    Api{"dynamodb.amazonaws.com", "DescribeTable", 3, true, false},
};

}  // namespace

struct CorpusGenerator::State {
  GenerateOptions o;
  IdGenerator rng;
  std::uint64_t produced = 0;
  double t = 0;  // seconds since start
  double total_weight = 0;
  // A few long-lived resources per account so that records refer to the same things.
  std::vector<std::string> instances, buckets, groups, volumes;

  explicit State(const GenerateOptions& opts) : o(opts), rng(opts.seed) {
    for (const auto& a : kApis) total_weight += a.weight;
    for (int i = 0; i < 12; ++i) instances.push_back(rng.aws_id("i"));
    for (int i = 0; i < 6; ++i) groups.push_back(rng.aws_id("sg"));
    for (int i = 0; i < 6; ++i) volumes.push_back(rng.aws_id("vol"));
    for (const char* b : {"orders-data", "app-logs", "finance-reports", "static-assets", "backups",
                          "ml-training"}) {
      buckets.push_back(fmt::format("{}-{}", b, rng.hex(6)));
    }
  }

  template <class C>
  auto pick(const C& c) -> decltype(c[0]) {
    return c[rng.uniform(c.size())];
  }

  const Api& pick_api() {
    double x = rng.unit() * total_weight;
    for (const auto& a : kApis) {
      if ((x -= a.weight) < 0) return a;
    }
    return kApis[0];
  }
};

CorpusGenerator::CorpusGenerator(const GenerateOptions& options)
    : s_(std::make_unique<State>(options)) {}
CorpusGenerator::~CorpusGenerator() = default;

bool CorpusGenerator::next(GeneratedRecord& out) {
  State& s = *s_;
  if (s.produced >= s.o.count) return false;
  ++s.produced;
  // Inter-arrival: exponential around the mean rate, with a burst (10x) one minute in fifteen.
  const double minute = std::floor(s.t / 60);
  const bool burst = static_cast<std::uint64_t>(minute) % 15 == 7;
  const double rate = s.o.events_per_second * (burst ? 10.0 : 1.0);
  s.t += -std::log(1.0 - s.rng.unit()) / rate;
  const TimePoint when =
      s.o.start + std::chrono::microseconds(static_cast<std::int64_t>(s.t * 1e6));

  const std::string account = s.pick(kAccounts);
  const std::string region = s.pick(kRegions);
  const Api& api = s.pick_api();
  const bool is_signin = std::string_view(api.name) == "ConsoleLogin";
  const std::string_view src_ip = s.pick(kIps);

  std::string& j = out.json;
  j.clear();
  JsonWriter w(j);
  w.begin_object();
  w.field("eventVersion", api.data_event ? "1.10" : "1.09");

  // Who: assumed-role sessions most of the time, IAM users, services, rarely root.
  const double who = s.rng.unit();
  std::string principal_arn;
  w.key("userIdentity").begin_object();
  if (who < 0.62 && !is_signin) {
    const std::string role = s.pick(kRoles);
    const std::string session =
        role == "WebServerRole" ? s.pick(s.instances) : std::string(s.pick(kUsers));
    const std::string role_id = "AROA" + s.rng.alnum(17);
    w.field("type", "AssumedRole");
    w.field("principalId", role_id + ":" + session);
    w.field("arn", fmt::format("arn:aws:sts::{}:assumed-role/{}/{}", account, role, session));
    w.field("accountId", account);
    w.field("accessKeyId", s.rng.access_key_id("ASIA"));
    w.key("sessionContext").begin_object();
    w.key("sessionIssuer").begin_object();
    w.field("type", "Role").field("principalId", role_id);
    w.field("arn", fmt::format("arn:aws:iam::{}:role/{}", account, role));
    w.field("accountId", account).field("userName", role);
    w.end_object();
    w.key("attributes").begin_object();
    w.field("creationDate", format_iso8601(when - std::chrono::minutes(s.rng.uniform(50))));
    w.field("mfaAuthenticated", s.rng.uniform(4) == 0 ? "true" : "false");
    w.end_object();
    if (role == "WebServerRole") w.field("ec2RoleDelivery", "2.0");
    w.end_object();
  } else if (who < 0.9 || is_signin) {
    const std::string user = s.pick(kUsers);
    w.field("type", "IAMUser");
    w.field("principalId", "AIDA" + s.rng.alnum(17));
    w.field("arn", fmt::format("arn:aws:iam::{}:user/{}", account, user));
    w.field("accountId", account);
    if (!is_signin) w.field("accessKeyId", s.rng.access_key_id("AKIA"));
    w.field("userName", user);
  } else if (who < 0.985) {
    w.field("type", "AWSService");
    w.field("invokedBy", "cloudformation.amazonaws.com");
  } else {
    w.field("type", "Root");
    w.field("principalId", account);
    w.field("arn", fmt::format("arn:aws:iam::{}:root", account));
    w.field("accountId", account);
    w.field("accessKeyId", s.rng.access_key_id("ASIA"));
  }
  w.end_object();

  w.field("eventTime", format_iso8601(when));
  w.field("eventSource", api.source);
  w.field("eventName", api.name);
  w.field("awsRegion", region);
  w.field("sourceIPAddress", who >= 0.9 && who < 0.985 ? "cloudformation.amazonaws.com" : src_ip);
  w.field("userAgent", s.pick(kAgents));

  // ~5% of calls fail, with the error codes those services return.
  const bool error = s.rng.uniform(100) < 5;
  if (error) {
    const std::string_view src(api.source);
    if (src == "ec2.amazonaws.com") {
      w.field("errorCode", "Client.UnauthorizedOperation");
      w.field("errorMessage", "You are not authorized to perform this operation.");
    } else if (src == "iam.amazonaws.com" && s.rng.uniform(2)) {
      w.field("errorCode", "NoSuchEntityException");
      w.field("errorMessage", "The user with name nobody cannot be found.");
    } else if (s.rng.uniform(4) == 0) {
      w.field("errorCode", "ThrottlingException");
      w.field("errorMessage", "Rate exceeded");
    } else {
      w.field("errorCode", "AccessDenied");
      w.field("errorMessage", fmt::format("User is not authorized to perform: {}:{}",
                                          src.substr(0, src.find('.')), api.name));
    }
  }

  // What: request and response elements shaped like the real calls.
  const std::string_view name(api.name);
  const std::string instance = s.pick(s.instances);
  const std::string bucket = s.pick(s.buckets);
  w.key("requestParameters");
  if (name == "GetObject" || name == "PutObject") {
    w.begin_object();
    w.field("bucketName", bucket);
    w.field("Host", bucket + ".s3." + region + ".amazonaws.com");
    w.field("key", fmt::format("data/{}/{}.parquet", s.rng.uniform(400), s.rng.hex(12)));
    if (name == "PutObject") w.field("x-amz-server-side-encryption", "aws:kms");
    w.end_object();
  } else if (name == "Decrypt" || name == "GenerateDataKey") {
    w.begin_object();
    w.key("encryptionContext").begin_object();
    w.field("aws:s3:arn", fmt::format("arn:aws:s3:::{}/data/{}", bucket, s.rng.hex(8)));
    w.end_object();
    w.field("encryptionAlgorithm", "SYMMETRIC_DEFAULT");
    if (name == "GenerateDataKey") w.field("keySpec", "AES_256");
    w.end_object();
  } else if (name == "AssumeRole") {
    w.begin_object();
    w.field("roleArn", fmt::format("arn:aws:iam::{}:role/{}", account, s.pick(kRoles)));
    w.field("roleSessionName", s.pick(kUsers));
    w.field("durationSeconds", 3600);
    w.end_object();
  } else if (name == "DescribeInstances") {
    w.begin_object();
    w.key("instancesSet").begin_object().key("items").begin_array();
    w.begin_object().field("instanceId", instance).end_object();
    w.end_array().end_object();
    w.key("filterSet").begin_object().end_object();
    w.end_object();
  } else if (name == "RunInstances" || name == "TerminateInstances") {
    w.begin_object();
    w.key("instancesSet").begin_object().key("items").begin_array();
    if (name == "RunInstances") {
      w.begin_object()
          .field("imageId", s.rng.aws_id("ami"))
          .field("minCount", 1)
          .field("maxCount", 1)
          .end_object();
    } else {
      w.begin_object().field("instanceId", instance).end_object();
    }
    w.end_array().end_object();
    if (name == "RunInstances") {
      w.field("instanceType", s.rng.uniform(8) == 0 ? "p4d.24xlarge" : "t3.medium");
      w.key("groupSet").begin_object().key("items").begin_array();
      w.begin_object().field("groupId", s.pick(s.groups)).end_object();
      w.end_array().end_object();
      w.field("disableApiTermination", false);
    }
    w.end_object();
  } else if (name == "AuthorizeSecurityGroupIngress") {
    w.begin_object();
    w.field("groupId", s.pick(s.groups));
    w.key("ipPermissions").begin_object().key("items").begin_array().begin_object();
    w.field("ipProtocol", "tcp").field("fromPort", 22).field("toPort", 22);
    w.key("ipRanges").begin_object().key("items").begin_array();
    w.begin_object()
        .field("cidrIp", s.rng.uniform(3) == 0 ? "0.0.0.0/0" : "10.0.0.0/8")
        .end_object();
    w.end_array().end_object();
    w.end_object().end_array().end_object();
    w.end_object();
  } else if (name == "CreateSnapshot") {
    w.begin_object()
        .field("volumeId", s.pick(s.volumes))
        .field("description", "nightly")
        .end_object();
  } else if (name == "CreateUser" || name == "CreateAccessKey" || name == "AttachUserPolicy") {
    w.begin_object();
    w.field("userName", s.pick(kUsers));
    if (name == "AttachUserPolicy")
      w.field("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess");
    w.end_object();
  } else if (name == "CreateLogStream") {
    w.begin_object();
    w.field("logGroupName", "/aws/lambda/orders-processor");
    w.field("logStreamName", fmt::format("2024/05/06/[$LATEST]{}", s.rng.hex(32)));
    w.end_object();
  } else if (name == "GetParameter") {
    w.begin_object()
        .field("name", "/prod/orders/db-host")
        .field("withDecryption", true)
        .end_object();
  } else if (name == "GetSecretValue") {
    w.begin_object()
        .field("secretId", fmt::format("arn:aws:secretsmanager:{}:{}:secret:prod/db-{}", region,
                                       account, s.rng.alnum(6)))
        .end_object();
  } else if (name == "DescribeTable") {
    w.begin_object().field("tableName", "orders").end_object();
  } else if (name == "LookupEvents") {
    w.begin_object().field("maxResults", 50).end_object();
  } else {
    w.null();
  }

  w.key("responseElements");
  if (error) {
    w.null();
  } else if (name == "RunInstances") {
    w.begin_object();
    w.field("requestId", s.rng.uuid());
    w.field("reservationId", s.rng.aws_id("r"));
    w.field("ownerId", account);
    w.key("instancesSet").begin_object().key("items").begin_array().begin_object();
    w.field("instanceId", s.rng.aws_id("i"));
    w.key("instanceState").begin_object().field("code", 0).field("name", "pending").end_object();
    w.key("networkInterfaceSet").begin_object().key("items").begin_array().begin_object();
    w.field("networkInterfaceId", s.rng.aws_id("eni"));
    w.field("privateIpAddress", fmt::format("10.0.{}.{}", s.rng.uniform(255), s.rng.uniform(255)));
    w.end_object().end_array().end_object();
    w.end_object().end_array().end_object();
    w.end_object();
  } else if (name == "AssumeRole") {
    w.begin_object();
    w.key("credentials").begin_object();
    w.field("accessKeyId", s.rng.access_key_id("ASIA"));
    w.field("sessionToken", "IQoJb3JpZ2luX2VjE" + s.rng.alnum(40));
    w.field("expiration", "May 6, 2024, 1:00:00 PM");
    w.end_object();
    w.key("assumedRoleUser").begin_object();
    w.field("assumedRoleId", "AROA" + s.rng.alnum(17) + ":session");
    w.field("arn", fmt::format("arn:aws:sts::{}:assumed-role/{}/session", account, s.pick(kRoles)));
    w.end_object();
    w.end_object();
  } else if (name == "CreateAccessKey") {
    w.begin_object().key("accessKey").begin_object();
    w.field("accessKeyId", s.rng.access_key_id("AKIA"));
    w.field("status", "Active").field("userName", s.pick(kUsers));
    w.field("createDate", "May 6, 2024, 12:00:00 PM");
    w.end_object().end_object();
  } else if (name == "CreateSnapshot") {
    w.begin_object()
        .field("snapshotId", s.rng.aws_id("snap"))
        .field("volumeId", s.pick(s.volumes))
        .field("status", "pending")
        .end_object();
  } else if (name == "ConsoleLogin") {
    w.begin_object().field("ConsoleLogin", "Success").end_object();
  } else if (name == "TerminateInstances") {
    w.begin_object().key("instancesSet").begin_object().key("items").begin_array().begin_object();
    w.field("instanceId", instance);
    w.key("currentState")
        .begin_object()
        .field("code", 32)
        .field("name", "shutting-down")
        .end_object();
    w.end_object().end_array().end_object().end_object();
  } else {
    w.null();
  }
  if (is_signin) {
    w.key("additionalEventData").begin_object();
    w.field("LoginTo", "https://console.aws.amazon.com/console/home");
    w.field("MobileVersion", "No").field("MFAUsed", s.rng.uniform(3) ? "Yes" : "No");
    w.end_object();
  }
  if (api.data_event) {
    w.key("additionalEventData").begin_object();
    w.field("SignatureVersion", "SigV4").field("CipherSuite", "ECDHE-RSA-AES128-GCM-SHA256");
    w.field("bytesTransferredIn",
            static_cast<std::int64_t>(name == "PutObject" ? s.rng.uniform(1 << 20) : 0));
    w.field("AuthenticationMethod", "AuthHeader");
    w.field("x-amz-id-2", s.rng.alnum(76));
    w.field("bytesTransferredOut",
            static_cast<std::int64_t>(name == "GetObject" ? s.rng.uniform(1 << 20) : 0));
    w.end_object();
    w.key("resources").begin_array();
    w.begin_object()
        .field("type", "AWS::S3::Object")
        .field("ARN", fmt::format("arn:aws:s3:::{}/data", bucket))
        .end_object();
    w.begin_object()
        .field("accountId", account)
        .field("type", "AWS::S3::Bucket")
        .field("ARN", "arn:aws:s3:::" + bucket)
        .end_object();
    w.end_array();
  }
  w.field("requestID", s.rng.uuid());
  w.field("eventID", s.rng.uuid());
  w.field("readOnly", api.read_only);
  w.field("eventType", is_signin ? "AwsConsoleSignIn" : "AwsApiCall");
  w.field("managementEvent", !api.data_event);
  w.field("recipientAccountId", account);
  w.field("eventCategory", api.data_event ? "Data" : "Management");
  if (!is_signin) {
    w.key("tlsDetails").begin_object();
    w.field("tlsVersion", "TLSv1.3").field("cipherSuite", "TLS_AES_128_GCM_SHA256");
    w.field(
        "clientProvidedHostHeader",
        fmt::format("{}.{}.amazonaws.com",
                    std::string_view(api.source).substr(0, std::string_view(api.source).find('.')),
                    region));
    w.end_object();
  }
  w.field("sessionCredentialFromConsole", who < 0.1 ? "true" : "false");
  w.end_object();

  out.account = account;
  out.region = region;
  out.time = when;
  return true;
}

namespace {

class GzipFile {
 public:
  static Result<GzipFile> open(const std::filesystem::path& p) {
    gzFile f = gzopen(p.c_str(), "wb6");
    if (!f) return fail(ErrorCode::kIo, "cannot create", ErrorContext{.where = p.string()});
    return GzipFile(f);
  }
  GzipFile(GzipFile&& o) noexcept : f_(std::exchange(o.f_, nullptr)) {}
  ~GzipFile() {
    if (f_) gzclose(f_);
  }
  bool write(std::string_view s) {
    return s.empty() || gzwrite(f_, s.data(), static_cast<unsigned>(s.size())) > 0;
  }
  bool close() { return gzclose(std::exchange(f_, nullptr)) == Z_OK; }

 private:
  explicit GzipFile(gzFile f) : f_(f) {}
  gzFile f_;
};

struct Bucket {
  std::int64_t window = -1;  // 5-minute window index
  std::string body;
  std::uint64_t records = 0;
  TimePoint last;
};

}  // namespace

Result<GenerateSummary> write_corpus(const GenerateOptions& options,
                                     const std::filesystem::path& out_dir, CorpusLayout layout) {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return fail(ErrorCode::kIo, ec.message(), ErrorContext{.where = out_dir.string()});
  GenerateSummary summary;
  CorpusGenerator gen(options);
  GeneratedRecord rec;
  if (layout == CorpusLayout::kJsonLines) {
    const auto path = out_dir / "cloudtrail.jsonl";
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return fail(ErrorCode::kIo, "cannot create", ErrorContext{.where = path.string()});
    bool ok = true;
    while (gen.next(rec)) {
      rec.json += '\n';
      ok = ok && std::fwrite(rec.json.data(), 1, rec.json.size(), f) == rec.json.size();
      ++summary.records;
      summary.bytes += rec.json.size();
    }
    ok = (std::fclose(f) == 0) && ok;
    if (!ok) return fail(ErrorCode::kIo, "write failed", ErrorContext{.where = path.string()});
    summary.files = 1;
    return summary;
  }
  // Delivery files: one per account, region and 5-minute window, named like CloudTrail's S3 keys.
  IdGenerator names(options.seed ^ 0x9e3779b97f4a7c15ull);
  std::map<std::pair<std::string, std::string>, Bucket> open;
  auto flush = [&](const std::pair<std::string, std::string>& key, Bucket& b) -> Status {
    if (b.records == 0) return {};
    const auto [account, region] = key;
    const TimePoint window_end =
        from_unix_seconds((b.window + 1) * 300);  // delivered at the end of its window
    const std::string stamp = format_compact_minute(window_end);
    const auto dir = out_dir / "AWSLogs" / account / "CloudTrail" / region / stamp.substr(0, 4) /
                     stamp.substr(4, 2) / stamp.substr(6, 2);
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail(ErrorCode::kIo, ec.message(), ErrorContext{.where = dir.string()});
    const auto path = dir / fmt::format("{}_CloudTrail_{}_{}_{}.json.gz", account, region, stamp,
                                        names.alnum(16));
    FIREBREAK_TRY(auto gz, GzipFile::open(path));
    const bool ok = gz.write(R"({"Records":[)") && gz.write(b.body) && gz.write("]}") && gz.close();
    if (!ok) return fail(ErrorCode::kIo, "write failed", ErrorContext{.where = path.string()});
    summary.bytes += b.body.size() + 14;
    ++summary.files;
    b.body.clear();
    b.records = 0;
    return {};
  };
  while (gen.next(rec)) {
    const std::int64_t window = to_unix_seconds(rec.time) / 300;
    auto key = std::make_pair(rec.account, rec.region);
    Bucket& b = open[key];
    if (b.window != window) {
      FIREBREAK_TRY_STATUS(flush(key, b));
      b.window = window;
    }
    if (b.records) b.body += ',';
    b.body += rec.json;
    ++b.records;
    ++summary.records;
  }
  for (auto& [key, b] : open) FIREBREAK_TRY_STATUS(flush(key, b));
  return summary;
}

}  // namespace firebreak::event
