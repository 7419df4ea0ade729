// SSM Run Command in the simulator: managed instances whose agent is online only while it can
// reach SSM, asynchronous invocations (Pending -> InProgress -> Success / Failed / TimedOut),
// AWS-RunShellScript with a small shell, and the memory-capture document whose artifact is a
// generated LiME image of realistic size, uploaded with the instance role's credentials.
#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "ec2_util.h"
#include "lazy_body.h"
#include "session.h"

namespace firebreak::cloud::sim {
namespace {

constexpr std::string_view kAgentUserAgent =
    "aws-sdk-go/1.44.302 (go1.20.12; linux; amd64) amazon-ssm-agent/3.2.2086.0";

bool agent_online(World::State& s, Serial inst) {
  auto& in = s.instances[inst];
  if (!in.extra || !in.extra->ssm_agent || !in.extra->ssm_agent_running) return false;
  if (in.state != InstState::kRunning) return false;
  if (!s.reachable_aws_service(inst, "ssm")) return false;
  const auto ses = s.imds_session_for(inst);
  if (ses == 0xffffffffu) return false;
  const Caller agent = s.session_caller(ses, format_ipv4(s.enis[in.enis[0]].private_ip),
                                        std::string(kAgentUserAgent));
  return caller_allowed(s, agent, "ssm:updateinstanceinformation", "*", s.region_of(in.scope));
}

bool managed(const World::State& s, Serial inst) {
  const auto& in = s.instances[inst];
  return in.extra && in.extra->ssm_agent && in.extra->ssm_registered &&
         in.state != InstState::kTerminated && in.state != InstState::kShuttingDown;
}

struct ShellResult {
  std::string out, err;
  int code = 0;
  Duration duration{};
};

// A small shell: enough commands for triage scripts to produce plausible output.
ShellResult run_shell(World::State& s, Serial inst, const std::vector<std::string>& commands) {
  ShellResult r;
  r.duration = std::chrono::seconds(2);
  const auto& in = s.instances[inst];
  const std::string id = s.id(Kind::kInstance, inst);
  const std::string ip = format_ipv4(s.enis[in.enis[0]].private_ip);
  for (const auto& block : commands) {
    std::istringstream lines(block);
    std::string line;
    while (std::getline(lines, line)) {
      const auto first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line[first] == '#') continue;
      line = line.substr(first);
      std::string cmd = line.substr(0, line.find_first_of(" \t;|&"));
      r.duration += std::chrono::milliseconds(200);
      if (cmd == "exit") {
        r.code = std::atoi(line.substr(4).c_str());
        return r;
      }
      if (cmd == "sleep") {
        r.duration += std::chrono::seconds(std::max(0, std::atoi(line.substr(5).c_str())));
      } else if (cmd == "echo") {
        r.out += line.size() > 5 ? line.substr(5) + "\n" : "\n";
      } else if (cmd == "hostname") {
        r.out += fmt::format("ip-{}.ec2.internal\n", [&] {
          std::string x = ip;
          std::replace(x.begin(), x.end(), '.', '-');
          return x;
        }());
      } else if (cmd == "whoami" || cmd == "id") {
        r.out += cmd == "id" ? "uid=0(root) gid=0(root) groups=0(root)\n" : "root\n";
      } else if (cmd == "uname") {
        r.out += "Linux " + id + " 6.1.72-96.166.amzn2023.x86_64 #1 SMP x86_64 GNU/Linux\n";
      } else if (cmd == "uptime") {
        r.out += " 12:00:00 up 30 days,  2:14,  0 users,  load average: 0.08, 0.03, 0.01\n";
      } else if (cmd == "cat" && line.find("/etc/os-release") != std::string::npos) {
        r.out += "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\n";
      } else if (cmd == "ss" || cmd == "netstat") {
        r.out += "State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n";
        for (auto e : in.enis) {
          for (auto ci : s.enis[e].connections) {
            const auto& c = s.conns[ci];
            if (!c.alive) continue;
            r.out += fmt::format("ESTAB  0      0      {}:{}  {}:{}  {}\n", format_ip(c.local),
                                 c.local_port, format_ip(c.remote), c.remote_port,
                                 c.label.empty() ? std::string() : "users:((\"" + c.label + "\"))");
          }
        }
      } else if (cmd == "ps") {
        r.out +=
            "USER PID %CPU %MEM COMMAND\nroot 1 0.0 0.1 /sbin/init\nroot 812 0.0 0.3 "
            "/usr/bin/amazon-ssm-agent\n";
        for (auto e : in.enis)
          for (auto ci : s.enis[e].connections)
            if (s.conns[ci].alive && !s.conns[ci].label.empty())
              r.out += fmt::format("root {} 0.1 0.2 {}\n", 4000 + ci, s.conns[ci].label);
      } else if (cmd == "sha256sum" || cmd == "ls" || cmd == "true" || cmd == "tar" ||
                 cmd == "cp" || cmd == "mkdir" || cmd == "aws" || cmd == "date" || cmd == "df" ||
                 cmd == "free" || cmd == "who" || cmd == "last" || cmd == "journalctl" ||
                 cmd == "find" || cmd == "grep" || cmd == "cat" || cmd == "lsof") {
        // Known but uninteresting in the simulation: silent success.
      } else if (cmd == "false") {
        r.code = 1;
      } else {
        r.err += fmt::format("bash: line 1: {}: command not found\n", cmd);
        r.code = 127;
      }
    }
  }
  return r;
}

CommandInvocation to_invocation(const World::State& s, const InvocationRec& inv) {
  CommandInvocation out;
  out.command_id = inv.command_id;
  out.instance_id = s.id(Kind::kInstance, inv.instance);
  out.status = inv.status;
  out.response_code = inv.response_code;
  out.standard_output = inv.stdout_text.substr(0, 24000);
  out.standard_error = inv.stderr_text.substr(0, 8000);
  out.output_s3_bucket = inv.bucket;
  out.output_s3_key_prefix = inv.prefix;
  out.execution_start = inv.start;
  out.execution_end = inv.end;
  return out;
}

void finish(World::State& s, std::uint32_t idx, std::string status, std::string details, int code) {
  auto& inv = s.invocations[idx];
  if (inv.status == "Success" || inv.status == "Failed" || inv.status == "TimedOut" ||
      inv.status == "Cancelled")
    return;
  inv.status = std::move(status);
  inv.status_details = std::move(details);
  inv.response_code = code;
  inv.end = s.now();
}

// The agent uploads with the instance role, from the instance: authorised, network-checked and
// recorded like any other call.
Status agent_upload(World::State& s, Serial inst, const std::string& bucket, const std::string& key,
                    std::shared_ptr<LazyBody> lazy, std::string body) {
  const auto& in = s.instances[inst];
  const auto ses = s.imds_session_for(inst);
  if (ses == 0xffffffffu)
    return fail(ErrorCode::kPermissionDenied, "Unable to locate credentials",
                ErrorContext{.aws_code = "NoCredentialProviders"});
  Caller agent = s.session_caller(ses, format_ipv4(s.enis[in.enis[0]].private_ip),
                                  std::string(kAgentUserAgent));
  const OpDesc& op = op_desc("s3", "PutObject", true);
  Call call(s, agent, in.scope, op);
  {
    auto w = call.params_writer();
    w.begin_object()
        .field("bucketName", bucket)
        .field("Host", fmt::format("{}.s3.{}.amazonaws.com", bucket, s.region_of(in.scope)))
        .field("key", key)
        .end_object();
  }
  call.resources.emplace_back("AWS::S3::Object", fmt::format("arn:aws:s3:::{}/{}", bucket, key));
  call.resources.emplace_back("AWS::S3::Bucket", fmt::format("arn:aws:s3:::{}", bucket));
  Status st;
  if (!s.reachable_aws_service(inst, "s3")) {
    call.record = false;  // the request never reached S3
    st = fail(
        ErrorCode::kUnavailable,
        fmt::format("Could not connect to the endpoint URL: \"https://{}.s3.{}.amazonaws.com/{}\"",
                    bucket, s.region_of(in.scope), key),
        ErrorContext{.aws_code = "RequestTimeout"});
  } else {
    auto it = s.buckets.find(bucket);
    if (it == s.buckets.end()) {
      st = call.error(ErrorCode::kNotFound, "NoSuchBucket", "The specified bucket does not exist",
                      404);
    } else {
      const auto& b = it->second;
      const Policy* pol = b.policy ? b.policy->parsed.get() : nullptr;
      const std::string arn = fmt::format("arn:aws:s3:::{}/{}", bucket, key);
      if (!caller_allowed(s, agent, "s3:putobject", arn, s.region_of(in.scope), pol, b.account)) {
        st = call.error(ErrorCode::kPermissionDenied, "AccessDenied", "Access Denied", 403);
      } else {
        st = s.s3_put_internal(agent, bucket, key, std::move(lazy), std::move(body),
                               "application/octet-stream");
      }
    }
  }
  call.finish();
  return st;
}

void complete_capture(World::State& s, std::uint32_t idx) {
  auto& inv = s.invocations[idx];
  const Serial inst = inv.instance;
  if (s.instances[inst].state != InstState::kRunning) {
    finish(s, idx, "Failed", "Failed", -1);
    s.invocations[idx].stderr_text = "instance stopped during the capture\n";
    return;
  }
  if (inv.bucket.empty()) {
    inv.stderr_text = "OutputS3BucketName is required: the capture is written to S3\n";
    finish(s, idx, "Failed", "Failed", 2);
    return;
  }
  const auto& in = s.instances[inst];
  std::uint64_t mib =
      in.extra && in.extra->memory_mib ? in.extra->memory_mib : memory_for_type(s.sym(in.type));
  const std::uint64_t size = mib << 20;
  auto body = LazyBody::generate(size, s.ids.next_u64());
  const std::string inst_id = s.id(Kind::kInstance, inst);
  const std::string prefix = inv.prefix.empty() ? std::string() : inv.prefix + "/";
  const std::string key =
      fmt::format("{}{}/{}/memory/{}.lime", prefix, inv.command_id, inst_id, inst_id);
  auto st = agent_upload(s, inst, inv.bucket, key, body, {});
  if (!st) {
    inv.stderr_text = fmt::format("upload failed: {} ({})\n", st.error().message(),
                                  st.error().context().aws_code);
    finish(s, idx, "Failed", "Failed", 1);
    return;
  }
  const std::string& digest = body->sha256_hex();
  inv.stdout_text =
      fmt::format(R"({{"artifact":"s3://{}/{}","size":{},"sha256":"{}","format":"lime"}})",
                  inv.bucket, key, size, digest) +
      "\n";
  (void)agent_upload(s, inst, inv.bucket,
                     fmt::format("{}{}/{}/captureMemory/stdout", prefix, inv.command_id, inst_id),
                     nullptr, inv.stdout_text);
  finish(s, idx, "Success", "Success", 0);
}

void start_invocation(World::State& s, std::uint32_t cmd, std::uint32_t idx);

void attempt_delivery(World::State& s, std::uint32_t cmd, std::uint32_t idx) {
  auto& inv = s.invocations[idx];
  if (inv.status != "Pending" && inv.status != "Delayed") return;
  const auto& c = s.commands[cmd];
  if (s.now() - c.requested >= std::chrono::seconds(c.timeout_seconds)) {
    finish(s, idx, "TimedOut", "DeliveryTimedOut", -1);
    return;
  }
  if (agent_online(s, inv.instance)) {
    start_invocation(s, cmd, idx);
    return;
  }
  // The agent polls; retry until the delivery timeout.
  s.after(std::chrono::seconds(30), [&s, cmd, idx] { attempt_delivery(s, cmd, idx); });
}

void start_invocation(World::State& s, std::uint32_t cmd, std::uint32_t idx) {
  auto& inv = s.invocations[idx];
  const auto& c = s.commands[cmd];
  inv.status = "InProgress";
  inv.status_details = "InProgress";
  inv.start = s.now();
  int exec_timeout = 3600;
  if (auto it = c.parameters.find("executionTimeout");
      it != c.parameters.end() && !it->second.empty())
    exec_timeout = std::max(1, std::atoi(it->second.front().c_str()));
  if (c.document == kMemoryCaptureDocument) {
    const auto& in = s.instances[inv.instance];
    const std::uint64_t mib =
        in.extra && in.extra->memory_mib ? in.extra->memory_mib : memory_for_type(s.sym(in.type));
    const auto secs = std::max<std::uint64_t>(
        5, (mib << 20) / std::max<std::uint64_t>(1, s.options.memory_capture_bytes_per_second));
    const Duration d = std::chrono::seconds(secs);
    if (d > std::chrono::seconds(exec_timeout)) {
      s.after(std::chrono::seconds(exec_timeout),
              [&s, idx] { finish(s, idx, "TimedOut", "ExecutionTimedOut", -1); });
      return;
    }
    s.after(d, [&s, idx] {
      if (s.invocations[idx].status == "InProgress") complete_capture(s, idx);
    });
    return;
  }
  std::vector<std::string> commands;
  if (auto it = c.parameters.find("commands"); it != c.parameters.end()) commands = it->second;
  ShellResult r = run_shell(s, inv.instance, commands);
  if (r.duration > std::chrono::seconds(exec_timeout)) {
    s.after(std::chrono::seconds(exec_timeout),
            [&s, idx] { finish(s, idx, "TimedOut", "ExecutionTimedOut", -1); });
    return;
  }
  s.after(r.duration, [&s, idx, r] {
    auto& i = s.invocations[idx];
    if (i.status != "InProgress") return;
    if (s.instances[i.instance].state != InstState::kRunning) {
      finish(s, idx, "Failed", "Failed", -1);
      return;
    }
    i.stdout_text = r.out;
    i.stderr_text = r.err;
    if (!i.bucket.empty()) {
      const std::string prefix = i.prefix.empty() ? std::string() : i.prefix + "/";
      const std::string inst_id = s.id(Kind::kInstance, i.instance);
      (void)agent_upload(s, i.instance, i.bucket,
                         fmt::format("{}{}/{}/awsrunShellScript/0.awsrunShellScript/stdout", prefix,
                                     i.command_id, inst_id),
                         nullptr, r.out);
    }
    finish(s, idx, r.code == 0 ? "Success" : "Failed", r.code == 0 ? "Success" : "Failed", r.code);
  });
}

}  // namespace

Result<std::vector<ManagedInstance>> SimSsm::describe_instance_information(
    const std::vector<std::string>& ids) {
  SIM_OP("ssm", "DescribeInstanceInformation");
  return s_.run<Result<std::vector<ManagedInstance>>>(
      kOp, [&](Call& c) -> Result<std::vector<ManagedInstance>> {
        auto w = c.params_writer();
        w.begin_object();
        if (!ids.empty()) {
          w.key("instanceInformationFilterList")
              .begin_array()
              .begin_object()
              .field("key", "InstanceIds")
              .key("valueSet")
              .begin_array();
          for (const auto& id : ids) w.value(id);
          w.end_array().end_object().end_array();
        }
        w.end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        std::vector<Serial> candidates;
        if (!ids.empty()) {
          for (const auto& id : ids) {
            if (!IdCodec::well_formed(Kind::kInstance, id))
              return c.invalid("InvalidInstanceId", fmt::format("Invalid instance id {}", id));
            if (auto i = c.s.find(Kind::kInstance, id, c.scope)) candidates.push_back(*i);
          }
        } else {
          candidates = c.s.scopes[c.scope].instances;
        }
        std::vector<ManagedInstance> out;
        for (auto i : candidates) {
          if (!managed(c.s, i)) continue;
          const auto& in = c.s.instances[i];
          ManagedInstance m;
          m.instance_id = c.s.id(Kind::kInstance, i);
          const bool online = agent_online(c.s, i);
          m.ping_status = online ? "Online" : "ConnectionLost";
          m.platform_type =
              c.s.sym(in.extra->platform).empty() ? "Linux" : c.s.sym(in.extra->platform);
          m.platform_name = m.platform_type == "Windows"
                                ? "Microsoft Windows Server 2022 Datacenter"
                                : "Amazon Linux";
          m.agent_version = "3.2.2086.0";
          if (online) m.last_ping = c.s.now();
          out.push_back(std::move(m));
        }
        return out;
      });
}

Result<Command> SimSsm::send_command(const SendCommandRequest& req) {
  SIM_OP("ssm", "SendCommand");
  return s_.run<Result<Command>>(kOp, [&](Call& c) -> Result<Command> {
    auto w = c.params_writer();
    w.begin_object().field("documentName", req.document_name).key("instanceIds").begin_array();
    for (const auto& id : req.instance_ids) w.value(id);
    w.end_array().field("interactive", false).field("parameters", "HIDDEN_DUE_TO_SECURITY_REASONS");
    if (!req.comment.empty()) w.field("comment", req.comment);
    w.field("timeoutSeconds", req.timeout_seconds);
    if (!req.output_s3_bucket.empty()) w.field("outputS3BucketName", req.output_s3_bucket);
    if (!req.output_s3_key_prefix.empty()) w.field("outputS3KeyPrefix", req.output_s3_key_prefix);
    w.end_object();
    FIREBREAK_TRY_STATUS(c.authorize(
        fmt::format("arn:aws:ssm:{}::document/{}", c.session_region(), req.document_name)));
    for (const auto& id : req.instance_ids)
      FIREBREAK_TRY_STATUS(c.authorize(
          fmt::format("arn:aws:ec2:{}:{}:instance/{}", c.session_region(), c.account_id(), id)));
    const bool shell = req.document_name == "AWS-RunShellScript";
    if (!shell && req.document_name != kMemoryCaptureDocument)
      return c.invalid("InvalidDocument",
                       fmt::format("Document with name {} does not exist.", req.document_name));
    if (req.instance_ids.empty() || req.instance_ids.size() > 50)
      return c.invalid("ValidationException",
                       "1 validation error detected: Value at 'instanceIds' failed to satisfy "
                       "constraint: Member must have length between 1 and 50");
    if (req.timeout_seconds < 30 || req.timeout_seconds > 2592000)
      return c.invalid("ValidationException",
                       "1 validation error detected: Value at 'timeoutSeconds' failed to satisfy "
                       "constraint: Member must have value between 30 and 2592000");
    if (shell && (!req.parameters.contains("commands") || req.parameters.at("commands").empty()))
      return c.invalid("InvalidParameters", "Parameter \"commands\" is required.");
    std::vector<Serial> instances;
    std::vector<std::string> bad;
    for (const auto& id : req.instance_ids) {
      auto i = IdCodec::well_formed(Kind::kInstance, id) ? c.s.find(Kind::kInstance, id, c.scope)
                                                         : std::nullopt;
      if (!i || !managed(c.s, *i))
        bad.push_back(id);
      else
        instances.push_back(*i);
    }
    if (!bad.empty()) {
      std::string list;
      for (const auto& b : bad) list += (list.empty() ? "" : ", ") + b;
      return c.not_found("InvalidInstanceId",
                         fmt::format("Instances [[{}]] not in a valid state for account {}", list,
                                     c.account_id()));
    }
    CommandRec cmd;
    cmd.id = c.s.uuid();
    cmd.account = c.account();
    cmd.region = c.session_region();
    cmd.document = req.document_name;
    cmd.comment = req.comment;
    cmd.instances = instances;
    cmd.parameters = req.parameters;
    cmd.requested = c.s.now();
    cmd.timeout_seconds = req.timeout_seconds;
    cmd.bucket = req.output_s3_bucket;
    cmd.prefix = req.output_s3_key_prefix;
    cmd.caller = c.caller;
    const auto cmd_idx = static_cast<std::uint32_t>(c.s.commands.size());
    for (auto i : instances) {
      InvocationRec inv;
      inv.command_id = cmd.id;
      inv.instance = i;
      inv.document = cmd.document;
      inv.bucket = cmd.bucket;
      inv.prefix = cmd.prefix;
      cmd.invocations.push_back(static_cast<std::uint32_t>(c.s.invocations.size()));
      c.s.invocations.push_back(std::move(inv));
    }
    c.s.command_index[cmd.id] = cmd_idx;
    c.s.commands.push_back(std::move(cmd));
    for (auto idx : c.s.commands[cmd_idx].invocations) {
      auto& st = c.s;
      st.after(std::chrono::seconds(1),
               [&st, cmd_idx, idx] { attempt_delivery(st, cmd_idx, idx); });
    }
    const auto& cr = c.s.commands[cmd_idx];
    Command out{cr.id, cr.document, cr.comment, "Pending", req.instance_ids, cr.requested};
    auto rw = c.response_writer();
    rw.begin_object()
        .key("command")
        .begin_object()
        .field("commandId", cr.id)
        .field("documentName", cr.document)
        .field("documentVersion", "$DEFAULT")
        .field("comment", req.comment)
        .field("expiresAfter",
               cloudtrail_console_time(cr.requested + std::chrono::seconds(cr.timeout_seconds) +
                                       std::chrono::hours(1)))
        .field("parameters", "HIDDEN_DUE_TO_SECURITY_REASONS")
        .key("instanceIds")
        .begin_array();
    for (const auto& id : req.instance_ids) rw.value(id);
    rw.end_array()
        .key("targets")
        .begin_array()
        .end_array()
        .field("requestedDateTime", cloudtrail_console_time(cr.requested))
        .field("status", "Pending")
        .field("statusDetails", "Pending")
        .field("outputS3Region", c.session_region())
        .field("outputS3BucketName", cr.bucket)
        .field("outputS3KeyPrefix", cr.prefix)
        .field("maxConcurrency", "50")
        .field("maxErrors", "0")
        .field("targetCount", static_cast<int>(req.instance_ids.size()))
        .field("completedCount", 0)
        .field("errorCount", 0)
        .field("deliveryTimedOutCount", 0)
        .field("serviceRole", "")
        .field("timeoutSeconds", cr.timeout_seconds)
        .field("interactive", false)
        .end_object()
        .end_object();
    for (const auto& id : req.instance_ids)
      c.history_resources.emplace_back("AWS::EC2::Instance", id);
    return out;
  });
}

Result<std::vector<Command>> SimSsm::list_commands(const std::string& instance_id) {
  SIM_OP("ssm", "ListCommands");
  return s_.run<Result<std::vector<Command>>>(kOp, [&](Call& c) -> Result<std::vector<Command>> {
    auto w = c.params_writer();
    w.begin_object().field("instanceId", instance_id).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    if (!IdCodec::well_formed(Kind::kInstance, instance_id))
      return c.invalid("InvalidInstanceId", fmt::format("Invalid instance id {}", instance_id));
    std::vector<Command> out;
    for (auto k = c.s.commands.size(); k-- > 0;) {  // newest first, as AWS lists them
      const auto& cr = c.s.commands[k];
      if (cr.account != c.account() || cr.region != c.session_region()) continue;
      std::vector<std::string> ids;
      bool targets = false;
      for (auto i : cr.instances) {
        ids.push_back(c.s.id(Kind::kInstance, i));
        targets = targets || ids.back() == instance_id;
      }
      if (!targets) continue;
      // A command's status summarises its invocations: in progress until all have ended.
      std::string status = "Success";
      for (auto idx : cr.invocations) {
        const auto inv = to_invocation(c.s, c.s.invocations[idx]);
        if (!inv.terminal()) {
          status = "InProgress";
          break;
        }
        if (inv.status != "Success") status = inv.status;
      }
      out.push_back(Command{cr.id, cr.document, cr.comment, status, std::move(ids), cr.requested});
    }
    return out;
  });
}

Result<CommandInvocation> SimSsm::get_command_invocation(const std::string& command_id,
                                                         const std::string& instance_id) {
  SIM_OP("ssm", "GetCommandInvocation");
  return s_.run<Result<CommandInvocation>>(kOp, [&](Call& c) -> Result<CommandInvocation> {
    auto w = c.params_writer();
    w.begin_object().field("commandId", command_id).field("instanceId", instance_id).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    if (!IdCodec::well_formed(Kind::kInstance, instance_id))
      return c.invalid("InvalidInstanceId", fmt::format("Invalid instance id {}", instance_id));
    auto it = c.s.command_index.find(command_id);
    if (it == c.s.command_index.end() || c.s.commands[it->second].account != c.account() ||
        c.s.commands[it->second].region != c.session_region())
      return c.not_found("InvocationDoesNotExist", "An error occurred (InvocationDoesNotExist)");
    for (auto idx : c.s.commands[it->second].invocations) {
      const auto& inv = c.s.invocations[idx];
      if (c.s.id(Kind::kInstance, inv.instance) == instance_id) return to_invocation(c.s, inv);
    }
    return c.not_found("InvocationDoesNotExist", "An error occurred (InvocationDoesNotExist)");
  });
}

}  // namespace firebreak::cloud::sim
