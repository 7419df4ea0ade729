// Fuzzes the expression language: compile, then evaluate against a fixed context.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "firebreak/respond/expression.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const firebreak::Json ctx = firebreak::Json::parse(
      R"({"a":{"b":[1,2,{"c":"x"}],"s":"str","n":null},"steps":{"x":{"outputs":{"y":true}}}})");
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto e = firebreak::respond::Expression::compile(text, "fuzz");
  if (e) {
    (void)e->evaluate(ctx);
  }
  auto t = firebreak::respond::Template::compile(firebreak::Json(std::string(text)), "fuzz");
  if (t) (void)t->render(ctx);
  return 0;
}
