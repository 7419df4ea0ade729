#pragma once
// Ed25519 keys (OpenSSL) that sign ledger checkpoints.
//
// SigningKey holds a private key. load_or_create() makes a fresh key pair the first time (the
// private key file is created 0600 through a temporary file + rename, never world-readable even
// for an instant) and refuses to load a private key file that others may read. PublicKey is what a
// verifier holds; its fingerprint is the lower-case hex SHA-256 of the DER SubjectPublicKeyInfo:
//   openssl pkey -pubin -in public_key.pem -outform DER | sha256sum
// Both are immutable after construction and safe to share between threads.

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "firebreak/core/error.h"

namespace firebreak::evidence {

class PublicKey {
 public:
  // Parses a PEM "PUBLIC KEY" block holding an Ed25519 key.
  [[nodiscard]] static Result<PublicKey> from_pem(std::string_view pem);
  [[nodiscard]] static Result<PublicKey> load(const std::filesystem::path& path);

  // True iff `signature` (64 raw bytes) is a valid Ed25519 signature of `message`.
  [[nodiscard]] bool verify(std::string_view message, std::string_view signature) const;
  [[nodiscard]] const std::string& pem() const { return pem_; }
  [[nodiscard]] const std::string& fingerprint() const { return fingerprint_; }

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
  std::string pem_;
  std::string fingerprint_;
};

class SigningKey {
 public:
  // Loads the PKCS#8 PEM private key at `path`; creates it (and `path` + ".pub" holding the public
  // key PEM) if it does not exist. The parent directory is created 0700 if missing.
  [[nodiscard]] static Result<SigningKey> load_or_create(const std::filesystem::path& path);
  // Loads an operator-supplied key; fails if it is missing, not Ed25519, or readable by others.
  [[nodiscard]] static Result<SigningKey> load(const std::filesystem::path& path);
  // A fresh key held in memory only (tests, benchmarks).
  [[nodiscard]] static Result<SigningKey> generate();

  // 64-byte raw Ed25519 signature of `message`.
  [[nodiscard]] Result<std::string> sign(std::string_view message) const;
  [[nodiscard]] const PublicKey& public_key() const { return public_key_; }
  [[nodiscard]] const std::string& fingerprint() const { return public_key_.fingerprint(); }
  // PKCS#8 PEM of the private key (for writing it out; never log it).
  [[nodiscard]] Result<std::string> private_pem() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
  PublicKey public_key_;
};

}  // namespace firebreak::evidence
