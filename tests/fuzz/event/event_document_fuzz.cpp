// Fuzzes container documents with format detection: {"Records":[...]}, arrays, single records,
// and the splitter (small document limit) that takes over for large or malformed ones. Also
// checks the sniff's shortcut for a long first line (a document held whole in memory is parsed
// before its lines are searched): with the shortcut taken after 8 bytes instead of 64 KiB, a read
// must give what the line search gives, except that input which is one valid JSON document is
// then read as that document (the line search can take it for JSON Lines when a later line
// happens to be a whole object).
#include <simdjson.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz_common.h"
#include "input.h"
#include "reader_impl.h"

namespace {

// Reads `padded` (kReadPadding readable bytes after it) in place, as read_padded does.
std::string core_read(std::string_view padded, std::size_t sniff_head) {
  firebreak::event::ReadOptions o;
  o.max_record_bytes = 64u << 10;
  o.max_document_bytes = 1u << 20;
  firebreak::event::detail::ReaderCore core(o);
  core.set_sniff_head(sniff_head);
  firebreak::fuzz::Transcript t;
  firebreak::event::ReadSummary s;
  auto stream = firebreak::event::detail::memory_input(padded, true);
  core.read_stream(*stream, std::make_shared<const std::string>("fuzz"), t, s);
  return t.text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  firebreak::fuzz::read_one(data, size, {.format = firebreak::event::InputFormat::kAuto});
  std::string copy(reinterpret_cast<const char*>(data), size);
  copy.append(firebreak::event::kReadPadding, '\0');
  const std::string_view bytes(copy.data(), size);
  if (core_read(bytes, 8) != core_read(bytes, 64u << 10)) {
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    if (parser.parse(bytes.data(), bytes.size(), false).get(root) != simdjson::SUCCESS) {
      std::abort();
    }
  }
  return 0;
}
