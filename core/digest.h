// Content digests of bodies: how the crawl decides whether a page changed
// between batches, and how stored bodies are addressed (one copy per
// distinct digest). The same form WARC uses for WARC-Payload-Digest.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace crawl {

// "sha1:" + the RFC 4648 base32 of the SHA-1 of `bytes` (uppercase, no
// padding: 32 characters), e.g. "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
// for the empty string. OpenSSL computes it. Thread-safe.
std::string sha1_digest(std::string_view bytes);

// RFC 4648 base32 (uppercase alphabet), without padding.
std::string base32(std::string_view bytes);

// SHA-1 over bytes given in pieces (a WARC record's block is its HTTP
// header and its body, hashed without joining them). OpenSSL computes it.
// Not thread-safe: one object per thread.
class Sha1 {
 public:
  Sha1();
  ~Sha1();
  Sha1(const Sha1&) = delete;
  Sha1& operator=(const Sha1&) = delete;
  Sha1& update(std::string_view bytes);
  // "sha1:" + base32, as sha1_digest(); the object is then spent.
  std::string digest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

}  // namespace crawl
