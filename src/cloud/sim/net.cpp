#include "net.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <charconv>

namespace firebreak::cloud::sim {

bool Cidr::contains(const IpAddr& a) const {
  if (a.v6 != addr.v6) return false;
  int bits = prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((a.b[i] & mask) != (addr.b[i] & mask)) return false;
  }
  return true;
}

std::optional<IpAddr> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[64];
  text.copy(buf, text.size());
  buf[text.size()] = '\0';
  IpAddr r;
  if (text.find(':') == std::string_view::npos) {
    in_addr a4{};
    if (inet_pton(AF_INET, buf, &a4) != 1) return std::nullopt;
    const auto* p = reinterpret_cast<const std::uint8_t*>(&a4);
    for (int i = 0; i < 4; ++i) r.b[i] = p[i];
    return r;
  }
  in6_addr a6{};
  if (inet_pton(AF_INET6, buf, &a6) != 1) return std::nullopt;
  r.v6 = true;
  const auto* p = reinterpret_cast<const std::uint8_t*>(&a6);
  for (int i = 0; i < 16; ++i) r.b[i] = p[i];
  return r;
}

std::optional<Cidr> parse_cidr(std::string_view text, bool require_network) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  const auto len = text.substr(slash + 1);
  int prefix = -1;
  auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
  if (ec != std::errc() || ptr != len.data() + len.size() || len.empty() || len.size() > 3)
    return std::nullopt;
  if (prefix < 0 || prefix > (ip->v6 ? 128 : 32)) return std::nullopt;
  Cidr c{*ip, prefix};
  IpAddr net = *ip;
  int bits = prefix;
  for (std::size_t i = 0; i < 16; ++i, bits -= 8) {
    if (bits >= 8) continue;
    const std::uint8_t mask = bits <= 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - bits));
    net.b[i] &= mask;
  }
  if (require_network && !(net == *ip)) return std::nullopt;
  c.addr = net;
  return c;
}

std::string format_ip(const IpAddr& a) {
  char buf[64];
  if (!a.v6) return fmt::format("{}.{}.{}.{}", a.b[0], a.b[1], a.b[2], a.b[3]);
  in6_addr a6{};
  std::copy(a.b.begin(), a.b.end(), reinterpret_cast<std::uint8_t*>(&a6));
  if (inet_ntop(AF_INET6, &a6, buf, sizeof buf) == nullptr) return "::";
  return buf;
}

std::string format_ipv4(std::uint32_t a) { return format_ip(IpAddr::v4(a)); }

std::string format_cidr(const Cidr& c) { return fmt::format("{}/{}", format_ip(c.addr), c.prefix); }

}  // namespace firebreak::cloud::sim
