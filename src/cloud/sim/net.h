#pragma once
// Private to the simulator: IPv4/IPv6 addresses and CIDR blocks.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace firebreak::cloud::sim {

struct IpAddr {
  bool v6 = false;
  std::array<std::uint8_t, 16> b{};  // IPv4 in the first 4 bytes

  static IpAddr v4(std::uint32_t a) {
    IpAddr r;
    r.b[0] = static_cast<std::uint8_t>(a >> 24);
    r.b[1] = static_cast<std::uint8_t>(a >> 16);
    r.b[2] = static_cast<std::uint8_t>(a >> 8);
    r.b[3] = static_cast<std::uint8_t>(a);
    return r;
  }
  [[nodiscard]] std::uint32_t v4_value() const {
    return (std::uint32_t(b[0]) << 24) | (std::uint32_t(b[1]) << 16) | (std::uint32_t(b[2]) << 8) |
           std::uint32_t(b[3]);
  }
  friend auto operator<=>(const IpAddr&, const IpAddr&) = default;
};

struct Cidr {
  IpAddr addr;  // network address (host bits cleared)
  int prefix = 0;

  [[nodiscard]] bool contains(const IpAddr& a) const;
  [[nodiscard]] bool v6() const { return addr.v6; }
  [[nodiscard]] bool is_all() const { return prefix == 0; }
  friend bool operator==(const Cidr&, const Cidr&) = default;
};

[[nodiscard]] std::optional<IpAddr> parse_ip(std::string_view text);
// Strict CIDR: "a.b.c.d/n" or IPv6 "x::/n". With `require_network`, host bits must be zero
// (as EC2 requires for security group and NACL rules).
[[nodiscard]] std::optional<Cidr> parse_cidr(std::string_view text, bool require_network = false);
[[nodiscard]] std::string format_ip(const IpAddr& a);
[[nodiscard]] std::string format_ipv4(std::uint32_t a);
[[nodiscard]] std::string format_cidr(const Cidr& c);

}  // namespace firebreak::cloud::sim
