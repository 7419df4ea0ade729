// CloudTrail in the simulator: recording every call, event history (LookupEvents), trails with
// delivery files to S3 and EventBridge envelopes, and the CloudTrail API itself.
#include <fmt/format.h>
#include <libdeflate.h>

#include <algorithm>
#include <chrono>
#include <new>

#include "session.h"

namespace firebreak::cloud::sim {

std::string gzip_bytes(std::string_view data) {
  // Deterministic: libdeflate writes no timestamp or file name in the gzip header. One compressor
  // per thread: allocating one (hundreds of KiB of tables) per delivery file showed in profiles.
  struct Compressor {
    libdeflate_compressor* c = libdeflate_alloc_compressor(4);
    ~Compressor() { libdeflate_free_compressor(c); }
  };
  thread_local Compressor compressor;
  if (compressor.c == nullptr) sim_bug("libdeflate_alloc_compressor");
  std::string out;
  // No zero-fill of the (input-sized) bound: the compressor writes what is kept.
  out.resize_and_overwrite(
      libdeflate_gzip_compress_bound(compressor.c, data.size()), [&](char* p, std::size_t bound) {
        return libdeflate_gzip_compress(compressor.c, data.data(), data.size(), p, bound);
      });
  if (out.empty()) sim_bug("gzip compression failed");
  return out;
}

std::string date_path(TimePoint t) {
  const auto days = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{days};
  return fmt::format("{:04}/{:02}/{:02}", int(ymd.year()), unsigned(ymd.month()),
                     unsigned(ymd.day()));
}

void GrowBuffer::reserve(std::size_t n) {
  if (n <= cap_) return;
  const std::size_t cap = std::max({n, cap_ + cap_ / 2, std::size_t{4096}});
  auto* p = static_cast<char*>(std::realloc(data_, cap));
  if (p == nullptr) throw std::bad_alloc();
  data_ = p;
  cap_ = cap;
}

namespace {

bool is_global_source(std::string_view source) {
  return source == "iam.amazonaws.com" || source == "sts.amazonaws.com" ||
         source == "signin.amazonaws.com" || source == "organizations.amazonaws.com";
}

bool trail_covers(const World::State& s, const TrailRec& t, std::uint16_t recipient,
                  std::string_view region, std::string_view source) {
  if (t.deleted || !t.logging) return false;
  if (t.organization) {
    if (s.org_id.empty() && recipient != t.account) return false;
  } else if (recipient != t.account) {
    return false;
  }
  if (is_global_source(source) && !t.global_events) return false;
  if (!t.multi_region && region != t.home_region) return false;
  return true;
}

bool selectors_accept(const EventSelectorsRec& sel, bool management, bool read_only,
                      std::string_view source, std::string_view resource_arn) {
  if (management) {
    if (!sel.management) return false;
    if (read_only ? !sel.mgmt_read : !sel.mgmt_write) return false;
    return std::find(sel.excluded_sources.begin(), sel.excluded_sources.end(), source) ==
           sel.excluded_sources.end();
  }
  if (read_only ? !sel.data_read : !sel.data_write) return false;
  for (const auto& p : sel.data_prefixes) {
    if (resource_arn.starts_with(p)) return true;
  }
  return false;
}

}  // namespace

void World::State::emit_record(std::uint16_t recipient, std::string_view region,
                               std::string_view record_json, const RecordMeta& meta,
                               bool management, bool read_only, bool data_event,
                               std::string_view event_source, std::string_view resource_arn) {
  (void)data_event;
  ++record_count;
  for (const auto& sink : sinks) sink->on_record(record_json);
  if (options.keep_records)
    all_records.emplace_back(recipient, std::make_shared<const std::string>(record_json));

  for (std::uint32_t i = 0; i < trails.size(); ++i) {
    auto& t = trails[i];
    if (!trail_covers(*this, t, recipient, region, event_source)) continue;
    if (!selectors_accept(t.selectors, management, read_only, event_source, resource_arn)) continue;
    t.pending[{accounts[recipient].id, std::string(region)}].append(meta.time, record_json);
  }
  if (!management) return;

  // A management event goes to the event history and (writes, unless configured otherwise) to
  // EventBridge. Both are stored as one blob in the record arena, no allocation per record:
  //   [envelope head][record]['}'] [event id][name][source][user name][access key][resources]
  // so that the EventBridge envelope is a contiguous prefix and the history's record the part
  // inside it. The envelope's id and delivery jitter are drawn now (the order of draws from the
  // generators is part of the world's determinism).
  const bool eventbridge = (!read_only || options.eventbridge_read_only_events) &&
                           (!sinks.empty() || !eventbridge_queues.empty());
  std::string head = std::move(envelope_scratch);
  head.clear();
  Duration latency{};
  if (eventbridge) {
    head += R"({"version":"0","id":")";
    head += uuid();
    head += R"(","detail-type":"AWS API Call via CloudTrail","source":"aws.)";
    head += event_source.substr(0, event_source.find('.'));
    head += R"(","account":")";
    head += accounts[recipient].id;
    head += R"(","time":")";
    head += format_iso8601(meta.time);
    head += R"(","region":")";
    head += region;
    head += R"(","resources":[],"detail":)";
    latency = options.eventbridge_latency +
              std::chrono::duration_cast<Duration>(options.eventbridge_latency * jitter.unit());
  }
  // Resources as (type, name), each string preceded by its length (4 bytes).
  std::string packed = std::move(meta_scratch);
  packed.clear();
  for (const auto& [type, name] : meta.resources) {
    for (std::string_view v : {std::string_view(type), std::string_view(name)}) {
      const auto n = static_cast<std::uint32_t>(v.size());
      packed.append(reinterpret_cast<const char*>(&n), sizeof n);
      packed += v;
    }
  }
  const std::string_view parts[] = {
      head,          record_json,        eventbridge ? std::string_view("}") : std::string_view(),
      meta.event_id, meta.event_name,    meta.event_source,
      meta.username, meta.access_key_id, packed};
  HistoryRec h;
  h.time = meta.time;
  h.visible = meta.time + options.lookup_latency;
  h.read_only = meta.read_only;
  h.blob = record_arena.append(parts);
  std::uint32_t off = 0;
  HistoryRec::Span* spans[] = {nullptr,      &h.json_,          nullptr,
                               &h.event_id_, &h.event_name_,    &h.event_source_,
                               &h.username_, &h.access_key_id_, &h.resources_};
  for (std::size_t i = 0; i < std::size(parts); ++i) {
    const auto len = static_cast<std::uint32_t>(parts[i].size());
    if (spans[i] != nullptr) *spans[i] = {off, len};
    off += len;
  }
  const auto envelope_len = static_cast<std::uint32_t>(head.size() + record_json.size() + 1);
  envelope_scratch = std::move(head);
  meta_scratch = std::move(packed);

  if (eventbridge) {
    after(latency,
          [this, acct = recipient, reg = std::string(region), env = h.blob.sub(0, envelope_len)] {
            publish_eventbridge(acct, reg, env.view());
          });
  }

  auto& sc = scopes[scope_for(recipient, region)];
  sc.history.push_back(std::move(h));
  while (sc.history.size() > options.event_history_limit ||
         (!sc.history.empty() && now_ - sc.history.front().time > std::chrono::hours(24 * 90)))
    sc.history.pop_front();
}

void World::State::publish_eventbridge(std::uint16_t account, std::string_view region,
                                       std::string_view envelope) {
  (void)account;
  (void)region;
  for (const auto& sink : sinks) sink->on_eventbridge(envelope);
  for (const auto& [qacct, url] : eventbridge_queues) {
    for (auto& q : queues) {
      if (q.url != url) continue;
      QueueMsg m;
      m.id = uuid();
      m.body = std::string(envelope);
      m.md5 = md5_hex(envelope);
      m.visible_at = now_;
      q.messages.push_back(std::move(m));
    }
  }
}

void World::State::deliver_file(DeliveredFile file) {
  if (!file.bucket.empty() && buckets.contains(file.bucket)) {
    const auto& b = buckets.at(file.bucket);
    Caller svc =
        service_caller(b.account, file.kind == "cloudtrail"  ? "cloudtrail.amazonaws.com"
                                  : file.kind == "guardduty" ? "guardduty.amazonaws.com"
                                                             : "delivery.logs.amazonaws.com");
    (void)s3_put_internal(svc, file.bucket, file.key, nullptr, file.bytes, "application/x-gzip");
  }
  for (const auto& sink : sinks) sink->on_file(file);
}

void World::State::schedule_trail(std::uint32_t idx) {
  auto& t = trails[idx];
  const auto jit =
      std::chrono::duration_cast<Duration>(options.cloudtrail_delivery_jitter * jitter.unit());
  t.next_delivery = now_ + options.cloudtrail_delivery_interval + jit;
  at(t.next_delivery, [this, idx] {
    if (trails[idx].deleted && !trails[idx].has_pending()) return;
    deliver_trail(idx, false);
    if (!trails[idx].deleted || trails[idx].has_pending()) schedule_trail(idx);
  });
}

void World::State::deliver_trail(std::uint32_t idx, bool all) {
  // A record rides in the first file written at least cloudtrail_delivery_min_age after the
  // call, so a file never carries a call made seconds before it (AWS: "about 5 minutes after
  // the call"). Records are appended in time order: the deliverable ones are a prefix.
  const TimePoint newest = all ? TimePoint::max() : now_ - options.cloudtrail_delivery_min_age;
  bool delivered = false;
  for (auto& [key, p] : trails[idx].pending) {
    const auto cut = std::find_if(p.times.begin(), p.times.end(),
                                  [&](const TimePoint& time) { return time > newest; });
    const auto n = static_cast<std::size_t>(cut - p.times.begin());
    if (n == 0) continue;
    delivered = true;
    // The file is the body up to the n-th record's ',', closed by "]}": written over that ','
    // and the byte after it for the compression, then restored.
    auto& b = p.body;
    const std::size_t end = p.ends[n - 1];
    const bool grow = end == b.size();
    if (grow) b.push_back('}');
    const char saved = b.data()[end];
    b.data()[end - 1] = ']';
    b.data()[end] = '}';
    std::string bytes = gzip_bytes(b.view().substr(0, end + 1));
    b.data()[end - 1] = ',';
    b.data()[end] = saved;
    if (grow) b.pop_back();
    // The records not delivered yet move to the front (the buffer keeps its capacity).
    const std::size_t head = PendingTrailFile::kHead.size();
    const std::size_t gone = end - head;
    b.erase(head, gone);
    p.times.erase(p.times.begin(), cut);
    p.ends.erase(p.ends.begin(), p.ends.begin() + static_cast<std::ptrdiff_t>(n));
    for (auto& e : p.ends) e -= gone;

    const auto& t = trails[idx];
    const auto& [acct, region] = key;
    DeliveredFile f;
    f.kind = "cloudtrail";
    f.account = acct;
    f.region = region;
    f.bucket = t.bucket;
    std::string prefix = t.prefix.empty() ? std::string() : t.prefix + "/";
    const std::string org = t.organization && !org_id.empty() ? org_id + "/" : std::string();
    f.key = fmt::format("{}AWSLogs/{}{}/CloudTrail/{}/{}/{}_CloudTrail_{}_{}_{}.json.gz", prefix,
                        org, acct, region, date_path(now_), acct, region,
                        format_compact_minute(now_), jitter.alnum(16));
    f.bytes = std::move(bytes);
    f.records = n;
    f.delivered = now_;
    deliver_file(std::move(f));
  }
  if (delivered) trails[idx].latest_delivery = now_;
}

// ---------------------------------------------------------------------------------------------
// World API

Result<std::string> World::add_trail(const TrailSpec& spec) {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  s.catch_up();
  auto a = s.account(spec.account);
  if (!a) return fail(ErrorCode::kNotFound, fmt::format("no account '{}'", spec.account));
  for (const auto& t : s.trails) {
    if (!t.deleted && t.account == *a && t.name == spec.name)
      return fail(ErrorCode::kAlreadyExists, fmt::format("trail '{}' already exists", spec.name));
  }
  TrailRec t;
  t.account = *a;
  t.name = spec.name;
  t.home_region = spec.home_region;
  t.arn =
      fmt::format("arn:aws:cloudtrail:{}:{}:trail/{}", spec.home_region, spec.account, spec.name);
  t.bucket = spec.bucket;
  t.prefix = spec.prefix;
  t.multi_region = spec.multi_region;
  t.organization = spec.organization;
  t.global_events = spec.include_global_service_events;
  t.logging = spec.logging;
  if (spec.logging) t.start_logging = s.now_;
  t.selectors.json = Json::parse(
      R"({"EventSelectors":[{"ReadWriteType":"All","IncludeManagementEvents":true,"DataResources":[],"ExcludeManagementEventSources":[]}]})");
  if (!spec.bucket.empty()) s.ensure_bucket(*a, spec.bucket, spec.home_region);
  const auto idx = static_cast<std::uint32_t>(s.trails.size());
  s.trails.push_back(std::move(t));
  s.schedule_trail(idx);
  s.names[spec.name] = s.trails[idx].arn;
  return s.trails[idx].arn;
}

void World::flush_logs() {
  std::lock_guard lock(state_->mu);
  auto& s = *state_;
  s.catch_up();
  for (std::uint32_t i = 0; i < s.trails.size(); ++i) s.deliver_trail(i, true);
  s.flush_flow_logs(true);
  s.guardduty_export(true);
  // Nothing is pending any more: give back the buffers kept for the next deliveries.
  s.record_arena.release_free();
}

// ---------------------------------------------------------------------------------------------
// The CloudTrail API

namespace {

TrailRec* find_trail(World::State& s, std::uint16_t account, std::string_view name_or_arn) {
  for (auto& t : s.trails) {
    if (t.deleted) continue;
    const bool visible = t.account == account || (t.organization && !s.org_id.empty());
    if (!visible) continue;
    if (t.name == name_or_arn || t.arn == name_or_arn) return &t;
  }
  return nullptr;
}

Trail to_trail(const TrailRec& t) {
  Trail out;
  out.name = t.name;
  out.trail_arn = t.arn;
  out.home_region = t.home_region;
  out.s3_bucket_name = t.bucket;
  out.s3_key_prefix = t.prefix;
  out.is_multi_region = t.multi_region;
  out.is_organization_trail = t.organization;
  out.log_file_validation_enabled = t.validation;
  out.include_global_service_events = t.global_events;
  return out;
}

bool valid_trail_name(std::string_view n) {
  if (n.size() < 3 || n.size() > 128) return false;
  if (n.starts_with("arn:")) return true;
  if (!std::isalnum(static_cast<unsigned char>(n.front())) ||
      !std::isalnum(static_cast<unsigned char>(n.back())))
    return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace

Result<std::vector<Trail>> SimCloudTrail::describe_trails(const std::vector<std::string>& names) {
  SIM_OP("cloudtrail", "DescribeTrails");
  return s_.run<Result<std::vector<Trail>>>(kOp, [&](Call& c) -> Result<std::vector<Trail>> {
    auto w = c.params_writer();
    w.begin_object().key("trailNameList").begin_array();
    for (const auto& n : names) w.value(n);
    w.end_array().field("includeShadowTrails", true).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    std::vector<Trail> out;
    for (const auto& t : c.s.trails) {
      if (t.deleted) continue;
      const bool mine = t.account == c.account() || (t.organization && !c.s.org_id.empty());
      if (!mine) continue;
      if (!t.multi_region && t.home_region != c.session_region()) continue;
      if (!names.empty() && std::find_if(names.begin(), names.end(), [&](const std::string& n) {
                              return n == t.name || n == t.arn;
                            }) == names.end())
        continue;
      out.push_back(to_trail(t));
    }
    return out;
  });
}

Result<TrailStatus> SimCloudTrail::get_trail_status(const std::string& name) {
  SIM_OP("cloudtrail", "GetTrailStatus");
  return s_.run<Result<TrailStatus>>(kOp, [&](Call& c) -> Result<TrailStatus> {
    auto w = c.params_writer();
    w.begin_object().field("name", name).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    if (!valid_trail_name(name))
      return c.invalid("InvalidTrailNameException",
                       "Trail name must starts with a letter or number, end with a letter or "
                       "number and contain only ASCII letters, numbers, periods, underscores and "
                       "dashes.");
    const TrailRec* t = find_trail(c.s, c.account(), name);
    if (t == nullptr)
      return c.not_found("TrailNotFoundException",
                         fmt::format("Unknown trail: {} for the user: {}", name, c.account_id()));
    TrailStatus st;
    st.is_logging = t->logging;
    st.latest_delivery_time = t->latest_delivery;
    st.start_logging_time = t->start_logging;
    st.stop_logging_time = t->stop_logging;
    return st;
  });
}

namespace {

Status set_logging(SimSession& ss, const OpDesc& op, const std::string& name, bool on) {
  return ss.run<Status>(op, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("name", name).end_object();
    TrailRec* t = find_trail(c.s, c.account(), name);
    FIREBREAK_TRY_STATUS(c.authorize(t ? std::string_view(t->arn) : std::string_view("*")));
    if (!valid_trail_name(name))
      return c.invalid("InvalidTrailNameException", "Trail name is not valid.");
    if (t == nullptr)
      return c.not_found("TrailNotFoundException",
                         fmt::format("Unknown trail: {} for the user: {}", name, c.account_id()));
    if (t->home_region != c.session_region())
      return c.invalid("InvalidHomeRegionException",
                       "This operation must be called from the trail's home region.");
    if (t->account != c.account())
      return c.invalid("InvalidTrailNameException",
                       "The trail is an organization trail and can be changed only from the "
                       "management account.");
    if (t->logging != on) {
      if (on) {
        t->logging = true;
        t->start_logging = c.s.now();
      } else {
        // The trail still records the StopLogging call itself.
        c.after_record.push_back([t, now = c.s.now()] {
          t->logging = false;
          t->stop_logging = now;
        });
      }
    }
    return {};
  });
}

}  // namespace

Status SimCloudTrail::start_logging(const std::string& name) {
  SIM_OP("cloudtrail", "StartLogging");
  return set_logging(s_, kOp, name, true);
}

Status SimCloudTrail::stop_logging(const std::string& name) {
  SIM_OP("cloudtrail", "StopLogging");
  return set_logging(s_, kOp, name, false);
}

Status SimCloudTrail::delete_trail(const std::string& name) {
  SIM_OP("cloudtrail", "DeleteTrail");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    auto w = c.params_writer();
    w.begin_object().field("name", name).end_object();
    TrailRec* t = find_trail(c.s, c.account(), name);
    FIREBREAK_TRY_STATUS(c.authorize(t ? std::string_view(t->arn) : std::string_view("*")));
    if (t == nullptr)
      return c.not_found("TrailNotFoundException",
                         fmt::format("Unknown trail: {} for the user: {}", name, c.account_id()));
    if (t->home_region != c.session_region())
      return c.invalid("InvalidHomeRegionException",
                       "This operation must be called from the trail's home region.");
    c.after_record.push_back([t] {
      t->deleted = true;
      t->logging = false;
    });
    return {};
  });
}

Result<Json> SimCloudTrail::get_event_selectors(const std::string& name) {
  SIM_OP("cloudtrail", "GetEventSelectors");
  return s_.run<Result<Json>>(kOp, [&](Call& c) -> Result<Json> {
    auto w = c.params_writer();
    w.begin_object().field("trailName", name).end_object();
    FIREBREAK_TRY_STATUS(c.authorize());
    const TrailRec* t = find_trail(c.s, c.account(), name);
    if (t == nullptr)
      return c.not_found("TrailNotFoundException",
                         fmt::format("Unknown trail: {} for the user: {}", name, c.account_id()));
    Json out = t->selectors.json;
    out["TrailARN"] = t->arn;
    return out;
  });
}

namespace {

// Compiles EventSelectors / AdvancedEventSelectors into what the recorder checks.
Result<EventSelectorsRec> compile_selectors(const Json& in) {
  EventSelectorsRec out;
  out.management = false;
  out.mgmt_read = out.mgmt_write = false;
  auto bad = [](std::string_view what) -> std::unexpected<Error> {
    return fail(ErrorCode::kInvalidArgument, what,
                ErrorContext{.aws_code = "InvalidEventSelectorsException", .http_status = 400});
  };
  if (!in.is_object()) return bad("Selectors must be an object.");
  const bool basic = in.contains("EventSelectors");
  const bool advanced = in.contains("AdvancedEventSelectors");
  if (basic == advanced)
    return bad("Specify either EventSelectors or AdvancedEventSelectors, not both or neither.");
  if (basic) {
    const auto& list = in["EventSelectors"];
    if (!list.is_array() || list.size() > 5)
      return bad("EventSelectors must be a list of at most 5.");
    for (const auto& sel : list) {
      if (!sel.is_object()) return bad("Each event selector must be an object.");
      const std::string rw = sel.value("ReadWriteType", std::string("All"));
      if (rw != "All" && rw != "ReadOnly" && rw != "WriteOnly")
        return bad("ReadWriteType must be ReadOnly, WriteOnly or All.");
      const bool r = rw != "WriteOnly", wr = rw != "ReadOnly";
      if (sel.value("IncludeManagementEvents", true)) {
        out.management = true;
        out.mgmt_read |= r;
        out.mgmt_write |= wr;
      }
      if (sel.contains("ExcludeManagementEventSources") &&
          sel["ExcludeManagementEventSources"].is_array()) {
        for (const auto& x : sel["ExcludeManagementEventSources"])
          if (x.is_string()) out.excluded_sources.push_back(x.get<std::string>());
      }
      if (sel.contains("DataResources") && sel["DataResources"].is_array()) {
        for (const auto& dr : sel["DataResources"]) {
          if (!dr.is_object() || dr.value("Type", std::string()) != "AWS::S3::Object") continue;
          if (!dr.contains("Values") || !dr["Values"].is_array()) continue;
          for (const auto& v : dr["Values"]) {
            if (!v.is_string()) continue;
            out.data_prefixes.push_back(v.get<std::string>());
            out.data_read |= r;
            out.data_write |= wr;
          }
        }
      }
    }
  } else {
    out.advanced = true;
    const auto& list = in["AdvancedEventSelectors"];
    if (!list.is_array() || list.empty())
      return bad("AdvancedEventSelectors must be a non-empty list.");
    for (const auto& sel : list) {
      if (!sel.is_object() || !sel.contains("FieldSelectors") || !sel["FieldSelectors"].is_array())
        return bad("Each advanced event selector needs FieldSelectors.");
      std::string category;
      std::optional<bool> read_only;
      std::string resource_type;
      std::vector<std::string> arn_prefixes;
      for (const auto& fs : sel["FieldSelectors"]) {
        const std::string field = fs.value("Field", std::string());
        auto first = [&](const char* k) -> std::string {
          if (fs.contains(k) && fs[k].is_array() && !fs[k].empty() && fs[k][0].is_string())
            return fs[k][0].get<std::string>();
          return {};
        };
        if (field == "eventCategory") category = first("Equals");
        if (field == "readOnly") read_only = first("Equals") == "true";
        if (field == "resources.type") resource_type = first("Equals");
        if (field == "resources.ARN") {
          if (fs.contains("StartsWith") && fs["StartsWith"].is_array())
            for (const auto& v : fs["StartsWith"])
              if (v.is_string()) arn_prefixes.push_back(v.get<std::string>());
        }
      }
      const bool r = !read_only.has_value() || *read_only;
      const bool wr = !read_only.has_value() || !*read_only;
      if (category == "Management") {
        out.management = true;
        out.mgmt_read |= r;
        out.mgmt_write |= wr;
      } else if (category == "Data" && resource_type == "AWS::S3::Object") {
        if (arn_prefixes.empty()) arn_prefixes.push_back("arn:aws:s3");
        for (auto& p : arn_prefixes) out.data_prefixes.push_back(p);
        out.data_read |= r;
        out.data_write |= wr;
      } else if (category.empty()) {
        return bad("Each advanced event selector must set eventCategory.");
      }
    }
  }
  out.json = in;
  return out;
}

}  // namespace

Status SimCloudTrail::put_event_selectors(const std::string& name, const Json& selectors) {
  SIM_OP("cloudtrail", "PutEventSelectors");
  return s_.run<Status>(kOp, [&](Call& c) -> Status {
    c.params = "{\"trailName\":";
    jstr(c.params, name);
    if (selectors.is_object()) {
      for (const auto& [k, v] : selectors.items()) {
        c.params += ',';
        jstr(c.params, std::string(1, static_cast<char>(std::tolower(k[0]))) + k.substr(1));
        c.params += ':';
        c.params += dump_json(v);
      }
    }
    c.params += '}';
    TrailRec* t = find_trail(c.s, c.account(), name);
    FIREBREAK_TRY_STATUS(c.authorize(t ? std::string_view(t->arn) : std::string_view("*")));
    if (t == nullptr)
      return c.not_found("TrailNotFoundException",
                         fmt::format("Unknown trail: {} for the user: {}", name, c.account_id()));
    if (t->home_region != c.session_region())
      return c.invalid("InvalidHomeRegionException",
                       "This operation must be called from the trail's home region.");
    auto compiled = compile_selectors(selectors);
    if (!compiled) return c.invalid("InvalidEventSelectorsException", compiled.error().message());
    t->selectors = std::move(*compiled);
    c.response = "{\"trailARN\":";
    jstr(c.response, t->arn);
    c.response += ",\"eventSelectors\":";
    c.response += dump_json(selectors.value("EventSelectors", Json::array()));
    c.response += '}';
    return {};
  });
}

Result<std::vector<LookedUpEvent>> SimCloudTrail::lookup_events(const LookupEventsRequest& req) {
  SIM_OP("cloudtrail", "LookupEvents");
  return s_.run<Result<std::vector<LookedUpEvent>>>(
      kOp, [&](Call& c) -> Result<std::vector<LookedUpEvent>> {
        auto w = c.params_writer();
        w.begin_object();
        if (req.start_time) w.field("startTime", cloudtrail_console_time(*req.start_time, false));
        if (req.end_time) w.field("endTime", cloudtrail_console_time(*req.end_time, false));
        if (!req.attributes.empty()) {
          w.key("lookupAttributes").begin_array();
          for (const auto& a : req.attributes) {
            w.begin_object()
                .field("attributeKey", a.key)
                .field("attributeValue", a.value)
                .end_object();
          }
          w.end_array();
        }
        w.end_object();
        FIREBREAK_TRY_STATUS(c.authorize());
        if (req.attributes.size() > 1)
          return c.invalid("InvalidLookupAttributesException",
                           "You cannot specify more than one lookup attribute.");
        static constexpr std::string_view kKeys[] = {"EventId",     "EventName",    "ReadOnly",
                                                     "Username",    "ResourceType", "ResourceName",
                                                     "EventSource", "AccessKeyId"};
        for (const auto& a : req.attributes) {
          if (std::find(std::begin(kKeys), std::end(kKeys), a.key) == std::end(kKeys))
            return c.invalid("InvalidLookupAttributesException",
                             fmt::format("Invalid attribute key: {}", a.key));
        }
        if (req.start_time && req.end_time && *req.start_time > *req.end_time)
          return c.invalid("InvalidTimeRangeException",
                           "Start time must be before or equal to end time.");
        const auto& sc = c.s.scopes[c.scope];
        std::vector<LookedUpEvent> out;
        const TimePoint now = c.s.now();
        for (auto it = sc.history.rbegin(); it != sc.history.rend(); ++it) {
          if (out.size() >= req.max_events) break;
          const auto& h = *it;
          if (h.visible > now) continue;
          if (req.start_time && h.time < *req.start_time) continue;
          if (req.end_time && h.time > *req.end_time) continue;
          bool match = true;
          for (const auto& a : req.attributes) {
            if (a.key == "EventId")
              match = h.event_id() == a.value;
            else if (a.key == "EventName")
              match = h.event_name() == a.value;
            else if (a.key == "ReadOnly")
              match = (h.read_only ? "true" : "false") == a.value;
            else if (a.key == "Username")
              match = h.username() == a.value;
            else if (a.key == "EventSource")
              match = h.event_source() == a.value;
            else if (a.key == "AccessKeyId")
              match = h.access_key_id() == a.value;
            else if (a.key == "ResourceType" || a.key == "ResourceName") {
              match = h.any_resource([&](std::string_view type, std::string_view name) {
                return (a.key == "ResourceType" ? type : name) == a.value;
              });
            }
          }
          if (!match) continue;
          LookedUpEvent e;
          e.event_id = std::string(h.event_id());
          e.event_name = std::string(h.event_name());
          e.event_source = std::string(h.event_source());
          e.username = std::string(h.username());
          e.access_key_id = std::string(h.access_key_id());
          e.event_time = h.time;
          e.read_only = h.read_only;
          e.cloudtrail_event = std::string(h.json());
          out.push_back(std::move(e));
        }
        return out;
      });
}

}  // namespace firebreak::cloud::sim
