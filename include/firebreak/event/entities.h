#pragma once
// Normalised accessors and entity extraction: who acted, from where, and which resources an event
// touches, the same way for every source. Incident grouping keys on these.
//
// Entities are simple (kind + id) and deterministic: entities() returns them sorted by kind then
// id, without duplicates, and the same event always gives the same list. Ids are canonical so
// that the same thing seen by two sources compares equal:
//  - IAM users and roles: "arn:<partition>:iam::<account>:user/<name>" / ".../role/<name>",
//    whatever the record said (a path, a bare userName, an assumed-role session ARN, GuardDuty's
//    AccessKeyDetails): the path is dropped, the account is the record's when the name is bare.
//  - buckets: the bucket name; EC2 things: their id ("i-...", "eni-...", "sg-...", "snap-...",
//    "vol-..."), also when the record gives an ARN; access keys: the key id; IPs: the address.
//  - the principal: the actor's ARN exactly as the record gives it (a session ARN stays one).
//
// Where they come from: CloudTrail userIdentity, sourceIPAddress, requestParameters,
// responseElements and resources[]; GuardDuty Resource (either spelling) and the remote IPs of
// Service.Action; ASFF Resources[], Network and Action; flow logs interface-id, instance-id,
// srcaddr and dstaddr. Ids are recognised by their documented shapes (i-/eni-/sg-/snap-/vol-
// followed by 8 or 17 hex digits, AKIA/ASIA + 16, ARNs) and by key names (bucketName, userName and
// roleName of IAM calls, S3 bucket Name, IpAddressV4).
//
// Thread-safety: pure functions of the event.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/event/event.h"

namespace firebreak::event {

enum class EntityKind : std::uint8_t {
  kPrincipal,         // the actor's ARN as recorded
  kIamUser,           // canonical user ARN
  kIamRole,           // canonical role ARN
  kAccessKey,         // AKIA.../ASIA...
  kIpAddress,         // IPv4 or IPv6 text
  kInstance,          // i-...
  kNetworkInterface,  // eni-...
  kSecurityGroup,     // sg-...
  kBucket,            // bucket name
  kSnapshot,          // snap-...
  kVolume,            // vol-...
};

// "principal", "iam-user", "iam-role", "access-key", "ip", "instance", "network-interface",
// "security-group", "bucket", "snapshot", "volume".
[[nodiscard]] std::string_view to_string(EntityKind kind) noexcept;
[[nodiscard]] std::optional<EntityKind> parse_entity_kind(std::string_view text) noexcept;

struct Entity {
  EntityKind kind;
  std::string id;
  friend auto operator<=>(const Entity&, const Entity&) = default;
  friend bool operator==(const Entity&, const Entity&) = default;
  // "instance:i-0123456789abcdef0".
  [[nodiscard]] std::string text() const;
};

// Who did it and how, normalised across sources. Empty strings when the source has no such thing.
struct Actor {
  std::string principal_arn;   // CloudTrail userIdentity.arn; GuardDuty/ASFF: canonical user or
                               // role ARN built from the access-key details
  std::string principal_type;  // "IAMUser", "AssumedRole", "Root", "AWSService", ...
  std::string access_key_id;
  std::string source_ip;  // CloudTrail sourceIPAddress (may be a service name, e.g.
                          // "ec2.amazonaws.com"); GuardDuty/ASFF remote IP; flow srcaddr
  std::string user_agent;
};

[[nodiscard]] Actor actor(const Event& event);
// CloudTrail errorCode; GuardDuty Service.Action.AwsApiCallAction.ErrorCode; else empty.
[[nodiscard]] std::string error_code(const Event& event);
// Event::service() and Event::name(), named for symmetry with the record fields.
[[nodiscard]] inline std::string_view event_source(const Event& e) noexcept { return e.service(); }
[[nodiscard]] inline std::string_view event_name(const Event& e) noexcept { return e.name(); }

// Everything the event involves: the actor's principal, user/role, access key and IP, and the
// resources it touches. Sorted, deduplicated.
[[nodiscard]] std::vector<Entity> entities(const Event& event);

// Recognises one id by its shape (see the header comment); nullopt when it is none of them.
// ARNs map to the entity they name (canonical id).
[[nodiscard]] std::optional<Entity> classify_id(std::string_view text);
[[nodiscard]] bool is_ip_address(std::string_view text) noexcept;

}  // namespace firebreak::event
