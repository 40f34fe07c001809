// The frontier's set of URLs already seen, as 64-bit fingerprints in a compact hash table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

namespace crawl {

// A set of URL fingerprints: each URL (already normalized; see url.h) is stored as its 64-bit
// XXH3 hash, so an element costs the same whatever the URL's length, and at most 16 bytes of
// heap at any size ≥ 1000 (13.3 worst case, just after growth; 8.9 best case).
//
// Fingerprints can collide: a new URL whose fingerprint equals an earlier one's is reported as
// seen and never crawled. With n URLs the chance of any collision is about n² / 2^65: 2.7e-8 at
// 1e6 URLs, 2.7% at 1e9. The hash seed is fixed, so fingerprints are stable across runs.
//
// Not thread-safe: the frontier's lock guards it (const members may run concurrently with each
// other, not with insert). Movable (the moved-from set is empty), not copyable. Only
// std::bad_alloc is thrown, by insert when growing; the set is then unchanged.
class SeenSet {
 public:
  SeenSet() = default;
  SeenSet(SeenSet&& other) noexcept;
  SeenSet& operator=(SeenSet&& other) noexcept;

  // Adds `url`; true if it was not in the set (by fingerprint).
  bool insert(std::string_view url);
  // True if `url` (by fingerprint) has been inserted.
  bool contains(std::string_view url) const;
  // The same, for a fingerprint computed by fingerprint() (e.g. restored from storage). 0 and 1
  // are one fingerprint: 0 marks empty slots.
  bool insert_fingerprint(std::uint64_t fingerprint);
  bool contains_fingerprint(std::uint64_t fingerprint) const;
  // The fingerprint of `url`: XXH3-64 with a fixed seed. Stable across runs and machines (XXH3's
  // output is frozen since xxHash 0.8.0). Pure and thread-safe.
  static std::uint64_t fingerprint(std::string_view url);

  // Number of distinct fingerprints inserted.
  std::size_t size() const { return size_; }
  // Heap bytes held (the slot array). Growing briefly holds the old and the new array (2.5× this).
  std::size_t memory_bytes() const { return capacity_ * sizeof(std::uint64_t); }

 private:
  void place(std::uint64_t fingerprint);
  std::size_t home(std::uint64_t fingerprint) const;
  std::size_t distance_from_home(std::uint64_t fingerprint, std::size_t pos) const;
  void grow();

  std::unique_ptr<std::uint64_t[]> slots_;  // 0 = empty; fingerprints are never 0
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

}  // namespace crawl
