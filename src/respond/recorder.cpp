#include "firebreak/respond/recorder.h"

#include <fmt/format.h>

#include "firebreak/respond/journal.h"

namespace firebreak::respond {

Status JournalRecorder::record(std::string_view incident_id, std::string_view run_id,
                               std::string_view actor, std::string_view kind, const Json& payload) {
  Json data = {{"incident", incident_id}, {"actor", actor}, {"payload", payload}};
  std::string step;
  if (payload.is_object()) {
    if (auto it = payload.find("step"); it != payload.end() && it->is_string()) step = *it;
  }
  return journal_.log(run_id, step, kind, fmt::format("{} by {}", kind, actor), data);
}

}  // namespace firebreak::respond
