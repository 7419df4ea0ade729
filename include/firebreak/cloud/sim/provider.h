#pragma once
// The simulator's implementation of the cloud seam (session.h): a CloudProvider whose sessions
// act in a World AS one principal (the responder's role, an attacker's stolen key), from a
// source IP with a user agent, so every call is authenticated, authorised, attributed and
// recorded as AWS would.
//
// Sessions for another account than the identity's own assume a role there through STS (the
// AssumeRole call is itself authorised and recorded in both accounts): SessionRequest::role_arn,
// or ProviderOptions::cross_account_role in that account. Hooks added to the provider run around
// every call of every session created afterwards, then the session's own hooks.
//
// Thread-safety: providers and sessions may be used from several threads (the world serialises
// calls).

#include <memory>
#include <string>

#include "firebreak/cloud/session.h"
#include "firebreak/cloud/sim/world.h"

namespace firebreak::cloud::sim {

struct ProviderOptions {
  std::string default_region = "us-east-1";
  // Role assumed in another account when a SessionRequest names only the account.
  std::string cross_account_role = "firebreak-responder";
  // Role session name when a request names none.
  std::string default_session_name = "firebreak";
};

class SimProvider final : public CloudProvider {
 public:
  SimProvider(std::shared_ptr<World> world, Identity identity, ProviderOptions options = {});
  ~SimProvider() override;

  [[nodiscard]] std::string_view backend() const override { return "sim"; }
  [[nodiscard]] Result<std::shared_ptr<CloudSession>> session(const SessionRequest& req) override;
  void add_hook(std::shared_ptr<CallHook> hook) override;

  [[nodiscard]] const Identity& identity() const;
  [[nodiscard]] World& world();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A session acting with exactly these credentials in `region` (no AssumeRole), e.g. an
// attacker using a stolen key. Calls with unknown or inactive credentials fail as AWS fails them.
[[nodiscard]] std::shared_ptr<CloudSession> make_session(std::shared_ptr<World> world,
                                                         Identity identity,
                                                         const std::string& region);

}  // namespace firebreak::cloud::sim
