// Robin Hood hashing with linear probing over a flat array of 64-bit fingerprints.
//
// Why not a library table: boost::unordered_flat_set<std::uint64_t> (Boost 1.81) keeps its
// load at most 0.875 and doubles its bucket array when full, so just after growth it holds
// ~0.44 elements per 8-byte slot, plus a metadata byte per slot: measured with a counting
// allocator, 20.7 heap bytes per element at worst (10.4 at best), over the 16-byte budget;
// std::unordered_set costs ~40. Debian 12 ships no table with a growth factor below 2. A growth factor of 1.5 with a maximum load of 0.9 keeps the load
// between 0.6 and 0.9: 8.9 to 13.3 bytes per element.
//
// At load 0.9 plain linear probing needs ~50 probes per miss, and most lookups in a crawl are
// misses (a link seen for the first time). Robin Hood ordering (an element never sits farther
// from its home slot than the one it passes) lets a miss stop as soon as it meets an element
// closer to home than the probe is: a few probes, mostly in one cache line.
//
// The capacity is not a power of two (×1.5), so the home slot is the "fastrange" of the
// fingerprint, (fp × capacity) >> 64: uniform, no division, and monotone in fp, which keeps
// the array sorted by home slot (apart from the wrap at the end).
#include "crawler/seen_set.h"

#include "core/hash.h"

#include <utility>

namespace crawl {
namespace {

constexpr std::size_t kMinCapacity = 16;

// 0 marks an empty slot; the one URL in 2^64 that hashes to 0 shares fingerprint 1.
std::uint64_t nonzero(std::uint64_t fp) { return fp == 0 ? 1 : fp; }

// Load 0.9 at most, in integer arithmetic.
std::size_t max_size(std::size_t capacity) { return capacity / 10 * 9 + capacity % 10 * 9 / 10; }

}  // namespace

std::size_t SeenSet::home(std::uint64_t fp) const {
  __extension__ typedef unsigned __int128 Wide;  // GCC/Clang; __extension__ for -Wpedantic
  return static_cast<std::size_t>((static_cast<Wide>(fp) * capacity_) >> 64);
}

std::size_t SeenSet::distance_from_home(std::uint64_t fp, std::size_t pos) const {
  const std::size_t h = home(fp);
  return pos >= h ? pos - h : pos + capacity_ - h;  // wrapped past the end
}

SeenSet::SeenSet(SeenSet&& other) noexcept
    : slots_(std::move(other.slots_)),
      capacity_(std::exchange(other.capacity_, 0)),
      size_(std::exchange(other.size_, 0)) {}

SeenSet& SeenSet::operator=(SeenSet&& other) noexcept {
  slots_ = std::move(other.slots_);
  capacity_ = std::exchange(other.capacity_, 0);
  size_ = std::exchange(other.size_, 0);
  return *this;
}

std::uint64_t SeenSet::fingerprint(std::string_view url) { return url_fingerprint(url); }

bool SeenSet::insert(std::string_view url) { return insert_fingerprint(fingerprint(url)); }

bool SeenSet::contains(std::string_view url) const {
  return contains_fingerprint(fingerprint(url));
}

bool SeenSet::contains_fingerprint(std::uint64_t fp) const {
  fp = nonzero(fp);
  if (capacity_ == 0) return false;
  std::size_t pos = home(fp);
  for (std::size_t distance = 0;; ++distance) {
    const std::uint64_t slot = slots_[pos];
    if (slot == fp) return true;
    // An empty slot, or a resident closer to its home than we are to ours (fp would have
    // displaced it): fp is not in the table.
    if (slot == 0 || distance_from_home(slot, pos) < distance) return false;
    if (++pos == capacity_) pos = 0;
  }
}

bool SeenSet::insert_fingerprint(std::uint64_t fp) {
  fp = nonzero(fp);
  if (contains_fingerprint(fp)) return false;
  if (size_ + 1 > max_size(capacity_)) grow();
  place(fp);
  ++size_;
  return true;
}

// Walks from the home slot; whenever the resident is closer to its home than the element in
// hand, swaps them and carries the resident on. Ends at the first empty slot, which exists
// since the load stays below 1.
void SeenSet::place(std::uint64_t fp) {
  std::size_t pos = home(fp);
  std::size_t distance = 0;
  while (true) {
    std::uint64_t& slot = slots_[pos];
    if (slot == 0) {
      slot = fp;
      return;
    }
    const std::size_t slot_distance = distance_from_home(slot, pos);
    if (slot_distance < distance) {
      std::swap(slot, fp);
      distance = slot_distance;
    }
    if (++pos == capacity_) pos = 0;
    ++distance;
  }
}

void SeenSet::grow() {
  const std::size_t new_capacity =
      capacity_ < kMinCapacity ? kMinCapacity : capacity_ + capacity_ / 2;
  // Allocated first: if this throws std::bad_alloc the set is unchanged.
  auto fresh = std::make_unique<std::uint64_t[]>(new_capacity);  // zeroed: all empty
  const std::unique_ptr<std::uint64_t[]> old = std::exchange(slots_, std::move(fresh));
  const std::size_t old_capacity = std::exchange(capacity_, new_capacity);
  for (std::size_t i = 0; i < old_capacity; ++i) {
    if (old[i] != 0) place(old[i]);
  }
}

}  // namespace crawl
