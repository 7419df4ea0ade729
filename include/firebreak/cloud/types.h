#pragma once
// Value types shared by every service of the cloud seam (see session.h for the seam itself).
// Names follow the AWS APIs (field `instance_id` is the API's InstanceId) so that a reader of the
// botocore models and of this code sees the same thing. Strings that AWS defines as enumerations
// (instance states, statuses) stay strings with the AWS spelling: the seam is a faithful window on
// AWS, not a reinterpretation of it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/core/clock.h"

namespace firebreak::cloud {

struct Tag {
  std::string key;
  std::string value;
  friend bool operator==(const Tag&, const Tag&) = default;
};
using Tags = std::vector<Tag>;

// Value of tag `key`, if present.
[[nodiscard]] std::optional<std::string> find_tag(const Tags& tags, std::string_view key);

// An EC2-style describe filter: Name=attachment.instance-id, Values=[i-123].
struct Filter {
  std::string name;
  std::vector<std::string> values;
};

// Temporary or long-term credentials. The secret and token are never logged (the providers
// register them with the redactor).
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;            // empty for long-term keys
  std::optional<TimePoint> expiration;  // set for temporary credentials
};

}  // namespace firebreak::cloud
