#include "core/digest.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "core/c_handle.h"

namespace crawl {

std::string base32(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  out.reserve((bytes.size() * 8 + 4) / 5);
  unsigned buffer = 0;
  int bits = 0;
  for (const unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

struct Sha1::Ctx {
  CHandle<EVP_MD_CTX, EVP_MD_CTX_free> md{EVP_MD_CTX_new()};
};

Sha1::Sha1() : ctx_(std::make_unique<Ctx>()) {
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md.get(), EVP_sha1(), nullptr) != 1)
    throw std::runtime_error("SHA-1 failed");
}

Sha1::~Sha1() = default;

Sha1& Sha1::update(std::string_view bytes) {
  if (!bytes.empty() && EVP_DigestUpdate(ctx_->md.get(), bytes.data(), bytes.size()) != 1)
    throw std::runtime_error("SHA-1 failed");
  return *this;
}

std::string Sha1::digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md.get(), md, &len) != 1) throw std::runtime_error("SHA-1 failed");
  return "sha1:" + base32(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string sha1_digest(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha1(), nullptr) != 1)
    throw std::runtime_error("SHA-1 failed");
  return "sha1:" + base32(std::string_view(reinterpret_cast<const char*>(md), len));
}

}  // namespace crawl
