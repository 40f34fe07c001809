// Content digests of bodies: how the crawl decides whether a page changed
// between batches, and how stored bodies are addressed (one copy per
// distinct digest). The same form WARC uses for WARC-Payload-Digest.
#pragma once

#include <string>
#include <string_view>

namespace crawl {

// "sha1:" + the RFC 4648 base32 of the SHA-1 of `bytes` (uppercase, no
// padding: 32 characters), e.g. "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"
// for the empty string. OpenSSL computes it. Thread-safe.
std::string sha1_digest(std::string_view bytes);

// RFC 4648 base32 (uppercase alphabet), without padding.
std::string base32(std::string_view bytes);

}  // namespace crawl
