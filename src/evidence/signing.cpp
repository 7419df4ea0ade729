#include "firebreak/evidence/signing.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "firebreak/core/fs.h"
#include "firebreak/core/hash.h"
#include "firebreak/core/log.h"

namespace firebreak::evidence {
namespace fs = std::filesystem;
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

Result<std::string> bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  if (n < 0) return fail(ErrorCode::kInternal, "BIO_get_mem_data failed");
  return std::string(data, static_cast<std::size_t>(n));
}

Result<std::pair<std::string, std::string>> public_pem_and_fingerprint(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) {
    return fail(ErrorCode::kInternal, "cannot encode public key: " + openssl_error());
  }
  FIREBREAK_TRY(std::string pem, bio_string(bio.get()));
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return fail(ErrorCode::kInternal, "cannot encode public key: " + openssl_error());
  const std::string fp = sha256_hex(std::string_view(reinterpret_cast<char*>(der), len));
  OPENSSL_free(der);
  return std::pair{std::move(pem), fp};
}

}  // namespace

struct PublicKey::Impl {
  PkeyPtr key;
};
struct SigningKey::Impl {
  PkeyPtr key;
};

Result<PublicKey> PublicKey::from_pem(std::string_view pem) {
  if (pem.size() > 16384) return fail(ErrorCode::kLimitExceeded, "public key file too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return fail(ErrorCode::kParse, "not a PEM public key: " + openssl_error());
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return fail(ErrorCode::kUnsupported, "public key is not an Ed25519 key");
  }
  PublicKey out;
  FIREBREAK_TRY(auto pf, public_pem_and_fingerprint(key.get()));
  out.pem_ = std::move(pf.first);
  out.fingerprint_ = std::move(pf.second);
  auto impl = std::make_shared<Impl>();
  impl->key = std::move(key);
  out.impl_ = std::move(impl);
  return out;
}

Result<PublicKey> PublicKey::load(const fs::path& path) {
  FIREBREAK_TRY(std::string pem, read_file(path, 16384));
  auto key = from_pem(pem);
  if (!key) return fail(key.error().at(path.string()));
  return key;
}

bool PublicKey::verify(std::string_view message, std::string_view signature) const {
  if (!impl_ || signature.size() != 64) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return false;
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, impl_->key.get()) == 1 &&
            EVP_DigestVerify(
                ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

Result<SigningKey> SigningKey::generate() {
  EVP_PKEY* raw = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  const bool ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &raw) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) return fail(ErrorCode::kInternal, "Ed25519 key generation failed: " + openssl_error());
  SigningKey out;
  auto impl = std::make_shared<Impl>();
  impl->key.reset(raw);
  FIREBREAK_TRY(auto pf, public_pem_and_fingerprint(impl->key.get()));
  FIREBREAK_TRY(out.public_key_, PublicKey::from_pem(pf.first));
  out.impl_ = std::move(impl);
  return out;
}

Result<SigningKey> SigningKey::load(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    return fail(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                fmt::format("cannot read signing key: {}", std::strerror(err)),
                ErrorContext{.where = path.string()});
  }
  if ((st.st_mode & 0007) != 0) {
    return fail(ErrorCode::kPermissionDenied,
                "signing key is readable or writable by others; run chmod 600 on it",
                ErrorContext{.where = path.string()});
  }
  if ((st.st_mode & 0070) != 0) {
    log::warn("{}: signing key is accessible to its group; chmod 600 is recommended",
              path.string());
  }
  FIREBREAK_TRY(std::string pem, read_file(path, 16384));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!key) {
    ERR_clear_error();  // OpenSSL's message may quote the input; keep it out of errors
    return fail(ErrorCode::kParse, "not a PEM private key (PKCS#8, unencrypted)",
                ErrorContext{.where = path.string()});
  }
  if (EVP_PKEY_id(key.get()) != EVP_PKEY_ED25519) {
    return fail(ErrorCode::kUnsupported, "signing key is not an Ed25519 key",
                ErrorContext{.where = path.string()});
  }
  SigningKey out;
  auto impl = std::make_shared<Impl>();
  impl->key = std::move(key);
  FIREBREAK_TRY(auto pf, public_pem_and_fingerprint(impl->key.get()));
  FIREBREAK_TRY(out.public_key_, PublicKey::from_pem(pf.first));
  out.impl_ = std::move(impl);
  return out;
}

Result<SigningKey> SigningKey::load_or_create(const fs::path& path) {
  auto existing = load(path);
  if (existing || existing.error().code() != ErrorCode::kNotFound) return existing;
  std::error_code ec;
  if (path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return fail(ErrorCode::kIo, "cannot create key directory: " + ec.message(),
                  ErrorContext{.where = path.parent_path().string()});
    }
    fs::permissions(path.parent_path(), fs::perms::owner_all, ec);
  }
  FIREBREAK_TRY(SigningKey key, generate());
  FIREBREAK_TRY(std::string pem, key.private_pem());
  // write_file_atomic creates its temporary with mkstemp (0600) and sets 0600 before the rename.
  auto wrote = write_file_atomic(path, pem);
  OPENSSL_cleanse(pem.data(), pem.size());
  FIREBREAK_TRY_STATUS(wrote);
  FIREBREAK_TRY_STATUS(write_file_atomic(fs::path(path.string() + ".pub"), key.public_key().pem(),
                                         fs::perms::owner_read | fs::perms::owner_write |
                                             fs::perms::group_read | fs::perms::others_read));
  log::info("created ledger signing key {} (fingerprint {})", path.string(), key.fingerprint());
  // Re-load so that the key in use is exactly what is on disk.
  return load(path);
}

Result<std::string> SigningKey::sign(std::string_view message) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx) return fail(ErrorCode::kInternal, "EVP_MD_CTX_new failed");
  std::string sig(64, '\0');
  std::size_t len = sig.size();
  const bool ok =
      EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, impl_->key.get()) == 1 &&
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || len != 64) return fail(ErrorCode::kInternal, "Ed25519 signing failed");
  return sig;
}

Result<std::string> SigningKey::private_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), impl_->key.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return fail(ErrorCode::kInternal, "cannot encode private key");
  }
  return bio_string(bio.get());
}

}  // namespace firebreak::evidence
