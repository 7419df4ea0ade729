// Evidence: EBS snapshots of every volume, memory capture over SSM Run Command, and marking the
// contained resources.
#include <fmt/format.h>

#include <algorithm>

#include "common.h"
#include "firebreak/core/hash.h"

namespace firebreak::respond::actions {
namespace {

class SnapshotVolumes final : public BasicAction {
 public:
  SnapshotVolumes()
      : BasicAction(ActionSpec{
            .name = "ec2.snapshot_volumes",
            .description = "Crash-consistent snapshots of every volume of the instance "
                           "(CreateSnapshots), tagged with the incident; waits until all are "
                           "completed.",
            .params = {param("instance_id", ParamType::kString, "the instance"),
                       param("description", ParamType::kString, "snapshot description",
                             "firebreak evidence"),
                       param("wait_for_completion", ParamType::kBool,
                             "wait until every snapshot completed (false: start them and go on; "
                             "ec2.wait_snapshots waits later)",
                             true)},
            .outputs = {"snapshot_ids", "volumes"},
            .permissions = {"ec2:DescribeSnapshots", "ec2:CreateSnapshots", "ec2:CreateTags"}}) {}

  static cloud::Tags tags_for(ActionContext& ctx) {
    return {{std::string(kStepTag), ctx.idempotency_token()},
            {std::string(kIncidentTag), std::string(ctx.incident_id())},
            {"Quarantine", std::string(ctx.incident_id())}};
  }

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    FIREBREAK_TRY(auto vols, ctx.cloud().ec2().describe_volumes(
                                 {.filters = {{"attachment.instance-id", {id}}}}));
    std::vector<std::string> ids;
    for (const auto& v : vols) ids.push_back(v.volume_id);
    return std::vector<ApiCall>{
        call("ec2", "CreateSnapshots", fmt::format("{} ({})", id, fmt::join(ids, ", "))),
        call("ec2", "DescribeSnapshots", "until completed")};
  }

  // Snapshots this step created (found by tag, so a crash between creating and remembering them
  // does not create a second set).
  static Result<std::vector<cloud::Snapshot>> mine(ActionContext& ctx) {
    return ctx.cloud().ec2().describe_snapshots(
        {.filters = {{"tag:" + std::string(kStepTag), {ctx.idempotency_token()}}}});
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    FIREBREAK_TRY(auto snaps, mine(ctx));
    ApplyResult r;
    if (snaps.empty()) {
      FIREBREAK_TRY(auto created, ctx.cloud().ec2().create_snapshots(
                                      {id, str(ctx, "description"), tags_for(ctx), true}));
      snaps = std::move(created);
      r.changed = true;
      Json ids = Json::array();
      for (const auto& s : snaps) ids.push_back(s.snapshot_id);
      ctx.record("action_result", {{"created_snapshots", ids}});
    }
    Json ids = Json::array(), volumes = Json::array();
    int pending = 0;
    for (const auto& s : snaps) {
      ids.push_back(s.snapshot_id);
      volumes.push_back(s.volume_id);
      if (s.state == "error") {
        return fail(ErrorCode::kAws,
                    fmt::format("snapshot {} of {} failed", s.snapshot_id, s.volume_id));
      }
      if (s.state != "completed") ++pending;
    }
    FIREBREAK_TRY_STATUS(remember(ctx, "snapshot_ids", ids));
    if (pending > 0 && !flag(ctx, "wait_for_completion")) {
      r.outputs = {{"snapshot_ids", ids}, {"volumes", volumes}};
      r.summary = fmt::format("{} snapshot(s) started", snaps.size());
      return r;
    }
    if (pending > 0) {
      r.wait = std::chrono::seconds(30);
      r.summary = fmt::format("{} of {} snapshot(s) still pending", pending, snaps.size());
      return r;
    }
    r.outputs = {{"snapshot_ids", ids}, {"volumes", volumes}};
    r.summary = fmt::format("{} snapshot(s) completed", snaps.size());
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json& outputs) override {
    std::vector<std::string> ids;
    for (const auto& s : outputs["snapshot_ids"]) ids.push_back(s);
    if (ids.empty()) return Verification{false, "no snapshot"};
    FIREBREAK_TRY(auto snaps, ctx.cloud().ec2().describe_snapshots({.ids = ids}));
    if (snaps.size() != ids.size()) return Verification{false, "a snapshot is missing"};
    const bool all = std::all_of(snaps.begin(), snaps.end(),
                                 [](const auto& s) { return s.state == "completed"; });
    if (!flag(ctx, "wait_for_completion")) {
      return Verification{true, fmt::format("{} snapshot(s) exist", ids.size())};
    }
    return Verification{all, all ? fmt::format("{} snapshot(s) completed", ids.size())
                                 : std::string("not every snapshot is completed")};
  }
};

class WaitSnapshots final : public BasicAction {
 public:
  WaitSnapshots()
      : BasicAction(ActionSpec{
            .name = "ec2.wait_snapshots",
            .description = "Wait until the given snapshots are completed (fails if one errors).",
            .params = {param("snapshot_ids", ParamType::kStringList, "the snapshots")},
            .outputs = {"snapshot_ids"},
            .permissions = {"ec2:DescribeSnapshots"},
            .mutating = false}) {}

  Result<std::vector<ApiCall>> plan(ActionContext&) override {
    return std::vector<ApiCall>{call("ec2", "DescribeSnapshots", "until completed")};
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const auto ids = strings(ctx, "snapshot_ids");
    ApplyResult r;
    r.outputs = {{"snapshot_ids", ids}};
    if (ids.empty()) return r;
    FIREBREAK_TRY(auto snaps, ctx.cloud().ec2().describe_snapshots({.ids = ids}));
    int pending = 0;
    for (const auto& s : snaps) {
      if (s.state == "error") {
        return fail(ErrorCode::kAws, fmt::format("snapshot {} failed", s.snapshot_id));
      }
      if (s.state != "completed") ++pending;
    }
    if (snaps.size() != ids.size()) {
      return fail(ErrorCode::kNotFound, "a snapshot to wait for does not exist");
    }
    if (pending > 0) {
      r.wait = std::chrono::seconds(30);
      r.summary = fmt::format("{} of {} snapshot(s) pending", pending, ids.size());
      return r;
    }
    r.summary = fmt::format("{} snapshot(s) completed", ids.size());
    return r;
  }

  Result<Verification> verify(ActionContext&, const Json&) override {
    return Verification{true, "snapshots completed"};
  }
};

// Parses "s3://bucket/key" into its parts.
std::optional<std::pair<std::string, std::string>> parse_s3_uri(std::string_view uri) {
  if (!uri.starts_with("s3://")) return std::nullopt;
  uri.remove_prefix(5);
  const auto slash = uri.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == uri.size()) return std::nullopt;
  return std::pair{std::string(uri.substr(0, slash)), std::string(uri.substr(slash + 1))};
}

class CaptureMemory final : public BasicAction {
 public:
  CaptureMemory()
      : BasicAction(ActionSpec{
            .name = "ssm.capture_memory",
            .description = "Capture the instance's memory with the Firebreak-CaptureMemory SSM "
                           "document (AVML), which uploads the image to the evidence bucket; "
                           "then read it back, hash it and record the artifact.",
            .params = {param("instance_id", ParamType::kString, "the instance"),
                       param("bucket", ParamType::kString, "evidence bucket for the image"),
                       param("prefix", ParamType::kString, "key prefix", "firebreak/memory"),
                       param("document", ParamType::kString, "SSM document",
                             "Firebreak-CaptureMemory"),
                       param("timeout_seconds", ParamType::kInt, "execution timeout", 3600)},
            .outputs = {"command_id", "artifact", "size", "sha256"},
            .permissions = {"ssm:ListCommands", "ssm:DescribeInstanceInformation",
                            "ssm:SendCommand", "ssm:GetCommandInvocation", "s3:GetObject",
                            "s3:PutObject"}}) {}

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    return std::vector<ApiCall>{
        call("ssm", "ListCommands", "a capture this step already sent"),
        call("ssm", "SendCommand",
             fmt::format("{} on {} -> s3://{}/{}", str(ctx, "document"), str(ctx, "instance_id"),
                         str(ctx, "bucket"), str(ctx, "prefix"))),
        call("ssm", "GetCommandInvocation", "until done"),
        call("s3", "GetObject", "read back and hash the image")};
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const std::string id = str(ctx, "instance_id");
    auto& ssm = ctx.cloud().ssm();
    Json s = scratch(ctx);
    if (!s.contains("command_id")) {
      const std::string comment = "firebreak " + ctx.idempotency_token();
      // SendCommand takes no client token: after a crash between sending and journaling the
      // command id, the capture this step already sent is found by the token in its comment,
      // not sent again.
      FIREBREAK_TRY(auto sent, ssm.list_commands(id));
      const auto prior = std::find_if(sent.begin(), sent.end(),
                                      [&](const cloud::Command& c) { return c.comment == comment; });
      if (prior != sent.end()) {
        FIREBREAK_TRY_STATUS(remember(ctx, "command_id", prior->command_id));
        return ApplyResult{Json::object(), true, std::chrono::seconds(15),
                           "memory capture already sent (" + prior->command_id + ")"};
      }
      FIREBREAK_TRY(auto managed, ssm.describe_instance_information({id}));
      const bool online = std::any_of(managed.begin(), managed.end(), [&](const auto& m) {
        return m.instance_id == id && m.ping_status == "Online";
      });
      if (!online) {
        return fail(ErrorCode::kFailedPrecondition,
                    "instance " + id + " is not an online SSM managed instance");
      }
      cloud::SendCommandRequest req;
      req.document_name = str(ctx, "document");
      req.instance_ids = {id};
      req.comment = comment;
      req.timeout_seconds = ctx.params().value("timeout_seconds", 3600);
      req.output_s3_bucket = str(ctx, "bucket");
      req.output_s3_key_prefix =
          fmt::format("{}/{}", str(ctx, "prefix"), std::string(ctx.incident_id()));
      FIREBREAK_TRY(cloud::Command cmd, ssm.send_command(req));
      FIREBREAK_TRY_STATUS(remember(ctx, "command_id", cmd.command_id));
      ctx.record("action_result",
                 {{"command_id", cmd.command_id}, {"document", req.document_name}});
      return ApplyResult{Json::object(), true, std::chrono::seconds(15),
                         "memory capture started (" + cmd.command_id + ")"};
    }
    const std::string command_id = s["command_id"];
    auto inv = ssm.get_command_invocation(command_id, id);
    if (!inv) {
      if (inv.error().code() == ErrorCode::kNotFound) {
        return ApplyResult{Json::object(), false, std::chrono::seconds(15),
                           "invocation not registered yet"};
      }
      return fail(inv.error());
    }
    if (!inv->terminal()) {
      return ApplyResult{Json::object(), false, std::chrono::seconds(15), "capture " + inv->status};
    }
    if (inv->status != "Success") {
      return fail(ErrorCode::kAws,
                  fmt::format("memory capture {}: {}", inv->status, inv->standard_error));
    }
    // The document prints {"artifact": "s3://…", "size": N, "sha256": "…"}.
    auto report = parse_json(inv->standard_output);
    if (!report || !report->is_object() || !(*report)["artifact"].is_string()) {
      return fail(ErrorCode::kParse, "capture output is not the expected JSON report: " +
                                         inv->standard_output.substr(0, 200));
    }
    const std::string artifact = (*report)["artifact"];
    auto where = parse_s3_uri(artifact);
    if (!where) return fail(ErrorCode::kParse, "capture reported a bad location: " + artifact);
    // Hash the image ourselves while streaming it: the agent's claim is checked, not trusted.
    Sha256Stream hash;
    std::uint64_t size = 0;
    FIREBREAK_TRY(auto info, ctx.cloud().s3().get_object(where->first, where->second, "",
                                                         [&](std::string_view chunk) -> Status {
                                                           hash.update(chunk);
                                                           size += chunk.size();
                                                           return {};
                                                         }));
    const std::string digest = to_hex(hash.finish());
    const std::string claimed = report->value("sha256", "");
    if (!claimed.empty() && claimed != digest) {
      return fail(
          ErrorCode::kFailedPrecondition,
          fmt::format("memory image hash mismatch: agent said {}, image is {}", claimed, digest));
    }
    ApplyResult r;
    r.outputs = {{"command_id", command_id},
                 {"artifact", artifact},
                 {"version_id", info.version_id},
                 {"size", size},
                 {"sha256", digest}};
    ctx.record("artifact", {{"kind", "memory_image"},
                            {"source", {{"instance_id", id}, {"command_id", command_id}}},
                            {"tool", str(ctx, "document")},
                            {"location", artifact},
                            {"version_id", info.version_id},
                            {"size", size},
                            {"sha256", digest}});
    r.changed = true;
    r.summary = fmt::format("captured {} bytes of memory, sha256 {}", size, digest);
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json& outputs) override {
    auto where = parse_s3_uri(outputs.value("artifact", ""));
    if (!where) return Verification{false, "no artifact"};
    FIREBREAK_TRY(auto head, ctx.cloud().s3().head_object(where->first, where->second,
                                                          outputs.value("version_id", "")));
    if (head.content_length != outputs["size"].get<std::uint64_t>()) {
      return Verification{false, "stored image size differs"};
    }
    return Verification{true, "image stored, hash recorded"};
  }
};

class TagResources final : public BasicAction {
 public:
  TagResources()
      : BasicAction(ActionSpec{
            .name = "ec2.tag_resources",
            .description = "Tag EC2 resources (e.g. Quarantine=<incident>) so everyone sees they "
                           "are under investigation.",
            .params = {param("resource_ids", ParamType::kStringList, "instances, volumes, ..."),
                       param("tags", ParamType::kObject, "tags to set")},
            .outputs = {"resource_ids", "tags"},
            .permissions = {"ec2:CreateTags", "ec2:DescribeInstances"}}) {}

  static cloud::Tags tags_of(const ActionContext& ctx) {
    cloud::Tags tags;
    for (const auto& [k, v] : ctx.params()["tags"].items()) {
      tags.push_back({k, v.is_string() ? v.get<std::string>() : dump_json(v)});
    }
    return tags;
  }

  Result<std::vector<ApiCall>> plan(ActionContext& ctx) override {
    return std::vector<ApiCall>{call("ec2", "CreateTags",
                                     fmt::format("{} on {}", dump_json(ctx.params()["tags"]),
                                                 fmt::join(strings(ctx, "resource_ids"), ", ")))};
  }

  Result<ApplyResult> apply(ActionContext& ctx) override {
    const auto ids = strings(ctx, "resource_ids");
    ApplyResult r;
    r.outputs = {{"resource_ids", ids}, {"tags", ctx.params()["tags"]}};
    if (ids.empty()) {
      r.summary = "nothing to tag";
      return r;
    }
    // Read first (instances): a resumed step does not tag again what already carries the tags.
    const cloud::Tags want = tags_of(ctx);
    std::vector<std::string> todo, instances;
    for (const auto& id : ids) (id.starts_with("i-") ? instances : todo).push_back(id);
    if (!instances.empty()) {
      FIREBREAK_TRY(auto found, ctx.cloud().ec2().describe_instances({.ids = instances}));
      for (const auto& id : instances) {
        const auto it = std::find_if(found.begin(), found.end(),
                                     [&](const auto& i) { return i.instance_id == id; });
        bool tagged = it != found.end();
        for (const auto& t : want) {
          if (tagged && cloud::find_tag(it->tags, t.key) != t.value) tagged = false;
        }
        if (!tagged) todo.push_back(id);
      }
    }
    if (todo.empty()) {
      r.summary = "already tagged";
      return r;
    }
    FIREBREAK_TRY_STATUS(ctx.cloud().ec2().create_tags(todo, want));
    r.changed = true;
    r.summary = fmt::format("tagged {} resource(s)", todo.size());
    return r;
  }

  Result<Verification> verify(ActionContext& ctx, const Json&) override {
    std::vector<std::string> instances;
    for (const auto& id : strings(ctx, "resource_ids")) {
      if (id.starts_with("i-")) instances.push_back(id);
    }
    if (instances.empty()) return Verification{true, "tags set"};
    FIREBREAK_TRY(auto found, ctx.cloud().ec2().describe_instances({.ids = instances}));
    for (const auto& i : found) {
      for (const auto& t : tags_of(ctx)) {
        if (cloud::find_tag(i.tags, t.key) != t.value) {
          return Verification{false, fmt::format("{} lacks tag {}", i.instance_id, t.key)};
        }
      }
    }
    return Verification{true, "tags set"};
  }
};

}  // namespace

std::unique_ptr<Action> make_ec2_snapshot_volumes() { return std::make_unique<SnapshotVolumes>(); }
std::unique_ptr<Action> make_ec2_wait_snapshots() { return std::make_unique<WaitSnapshots>(); }
std::unique_ptr<Action> make_ssm_capture_memory() { return std::make_unique<CaptureMemory>(); }
std::unique_ptr<Action> make_ec2_tag_resources() { return std::make_unique<TagResources>(); }

}  // namespace firebreak::respond::actions
