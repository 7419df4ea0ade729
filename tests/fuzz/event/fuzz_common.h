#pragma once
// Shared by the event fuzz targets: a sink that touches everything a consumer touches (the
// normalised fields, field paths, entities, the JSON text), so the fuzzer checks those too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "firebreak/event/entities.h"
#include "firebreak/event/reader.h"

namespace firebreak::fuzz {

class TouchingSink final : public event::EventSink {
 public:
  void on_event(const event::Event& e) override {
    (void)e.json();
    (void)e.get("userIdentity.sessionContext.sessionIssuer.arn");
    (void)e.get("requestParameters.ipPermissions.items.ipRanges.items.cidrIp");
    (void)e.get("Resource.InstanceDetails.NetworkInterfaces.SecurityGroups.GroupId");
    (void)event::entities(e);
    (void)event::actor(e);
    (void)event::error_code(e);
    (void)e.ref().describe();
  }
  void on_error(const Error& e) override { (void)e.describe(); }
};

// Everything a read produced, in order, as text (events with their location, errors): for
// targets that compare two ways of reading the same bytes.
struct Transcript final : event::EventSink {
  std::string text;
  void on_event(const event::Event& e) override {
    text += "event " + std::string(e.id()) + " " + e.ref().describe() + "\n";
  }
  void on_error(const Error& e) override { text += "error " + e.describe() + "\n"; }
};

// Reads `data` as one file with `options`; its length modulo 3 picks a small document
// limit, so both the whole-document parse and the splitter are exercised.
inline void read_one(const std::uint8_t* data, std::size_t size, event::ReadOptions options) {
  options.max_record_bytes = 64u << 10;
  options.max_document_bytes = 1u << 20;
  if (size % 3 == 0) options.max_document_bytes = 512;
  event::Reader reader(options);
  TouchingSink sink;
  reader.read_buffer(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz", sink);
}

}  // namespace firebreak::fuzz
