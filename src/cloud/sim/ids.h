#pragma once
// Private to the simulator: compact resource ids.
//
// Every EC2-style resource is a serial number (its index in the world's table of that kind).
// Its public id is "<prefix>-0" followed by 16 hex digits: a keyed bijection of the serial, so
// ids look like AWS's (17 hex digits, random-looking, stable for a seed) while lookups are an
// array index. Ids of other worlds or of other kinds decode to serials that fail the bounds or
// kind check and are reported as not found.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace firebreak::cloud::sim {

using Serial = std::uint32_t;
inline constexpr Serial kNoSerial = 0xffffffffu;

enum class Kind : std::uint8_t {
  kInstance,
  kEni,
  kEniAttach,
  kVolume,
  kSnapshot,
  kSg,
  kSgRule,
  kVpc,
  kSubnet,
  kNacl,
  kNaclAssoc,
  kEipAlloc,
  kEipAssoc,
  kIipAssoc,
  kImage,
  kReservation,
  kFlowLog,
  kCount
};

[[nodiscard]] std::string_view kind_prefix(Kind k) noexcept;

class IdCodec {
 public:
  explicit IdCodec(std::uint64_t key) : key_(key) {}
  [[nodiscard]] std::string format(Kind k, Serial s) const;
  void append(std::string& out, Kind k, Serial s) const;
  // Decodes an id of kind `k`; nullopt when it does not have that kind's shape or does not
  // decode to a 32-bit serial (then it cannot name anything in this world).
  [[nodiscard]] std::optional<Serial> parse(Kind k, std::string_view id) const;
  // True when `id` has the syntactic shape AWS accepts for kind `k` ("<prefix>-" and 8 or 17
  // hex digits); used to tell "Malformed" from "NotFound".
  [[nodiscard]] static bool well_formed(Kind k, std::string_view id);

 private:
  [[nodiscard]] std::uint64_t mix(Kind k, std::uint64_t x) const;
  [[nodiscard]] std::uint64_t unmix(Kind k, std::uint64_t y) const;
  std::uint64_t key_;
};

}  // namespace firebreak::cloud::sim
