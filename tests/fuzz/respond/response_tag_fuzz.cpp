// Fuzzes tag-driven response: the bytes as a Response tag value, and as a CloudTrail record
// whose CreateTags request is read and mapped onto a fixed set of playbooks.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "firebreak/respond/response_tag.h"

namespace {
using namespace firebreak::respond;

class NoopAction final : public Action {
 public:
  NoopAction() {
    spec_.name = "ec2.isolate";
    spec_.params = {{"instance_id", ParamType::kString, true, nullptr, ""}};
  }
  const ActionSpec& spec() const override { return spec_; }
  firebreak::Result<std::vector<ApiCall>> plan(ActionContext&) override {
    return std::vector<ApiCall>{};
  }
  firebreak::Result<ApplyResult> apply(ActionContext&) override { return ApplyResult{}; }
  firebreak::Result<Verification> verify(ActionContext&, const firebreak::Json&) override {
    return Verification{};
  }

 private:
  ActionSpec spec_;
};

const std::vector<Playbook>& playbooks() {
  static const std::vector<Playbook>* p = [] {
    static ActionRegistry reg;
    reg.add(std::make_unique<NoopAction>());
    auto* out = new std::vector<Playbook>;
    for (const char* yaml :
         {"id: contain\ntarget: ec2-instance\ntriggers: {response_tags: [Isolate]}\n"
          "inputs: {memory_capture: {type: bool, default: true, response_tag: MemoryCapture}}\n"
          "steps: [{id: a, action: ec2.isolate, params: {instance_id: '{{ target.id }}'}}]\n",
          "id: quarantine\ntarget: ec2-instance\ntriggers: {response_tags: [Quarantine]}\n"
          "steps: [{id: a, action: ec2.isolate, params: {instance_id: '{{ target.id }}'}}]\n"}) {
      auto pb = parse_playbook(yaml, "fuzz.yml", reg);
      if (pb) out->push_back(std::move(*pb));
    }
    return out;
  }();
  return *p;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)parse_response_verbs(text);
  auto json = firebreak::parse_json(text, firebreak::JsonLimits{1u << 20, 64});
  if (!json) return 0;
  auto req = parse_response_tag_request(*json);
  if (!req) {
    (void)req.error().describe();
    return 0;
  }
  if (*req) {
    auto plan = plan_response_tag(**req, playbooks());
    for (const auto& r : plan.runs) (void)r.inputs.dump();
    (void)join_verbs((*req)->verbs.verbs);
  }
  return 0;
}
