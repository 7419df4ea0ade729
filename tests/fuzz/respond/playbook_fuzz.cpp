// Fuzzes the playbook loader: YAML, structure validation, expressions and templates.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "firebreak/respond/playbook.h"

namespace {
using namespace firebreak::respond;

class NoopAction final : public Action {
 public:
  explicit NoopAction(std::string name) {
    spec_.name = std::move(name);
    spec_.params = {{"instance_id", ParamType::kString, true, nullptr, ""},
                    {"flag", ParamType::kBool, false, false, ""},
                    {"ids", ParamType::kStringList, false, nullptr, ""}};
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

const ActionRegistry& registry() {
  static ActionRegistry* r = [] {
    auto* reg = new ActionRegistry;
    reg->add(std::make_unique<NoopAction>("ec2.record"));
    reg->add(std::make_unique<NoopAction>("ec2.isolate"));
    return reg;
  }();
  return *r;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto pb = parse_playbook(text, "fuzz.yml", registry());
  if (pb) {
    const firebreak::Json ctx =
        firebreak::Json::parse(R"({"target":{"id":"i-1"},"steps":{},"inputs":{}})");
    for (const auto& id : pb->step_ids()) {
      const Step* s = pb->find_step(id);
      (void)s->params.render(ctx);
      if (s->when) (void)s->when->test(ctx);
    }
  } else {
    (void)pb.error().describe();
  }
  return 0;
}
