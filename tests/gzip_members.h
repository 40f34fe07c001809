// Test helper: reading gzip data member by member (RFC 1952 allows several
// members one after another; a .warc.gz has one per record).
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstddef>
#include <string>
#include <vector>

namespace crawl::testing {

struct GzipMember {
  std::size_t offset, length;  // of the compressed member in the data
  std::string text;            // inflated
};

// Inflates every gzip member of `data`, in order; a member that does not end
// cleanly fails the test (naming its offset) and ends the list.
inline std::vector<GzipMember> gzip_members(const std::string& data) {
  std::vector<GzipMember> out;
  std::size_t pos = 0;
  while (pos < data.size()) {
    z_stream zs{};
    EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);  // 16: gzip wrapper
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data() + pos));
    zs.avail_in = static_cast<uInt>(data.size() - pos);
    std::string text;
    int rc = Z_OK;
    while (rc == Z_OK) {
      char buf[4096];
      zs.next_out = reinterpret_cast<Bytef*>(buf);
      zs.avail_out = sizeof buf;
      rc = inflate(&zs, Z_NO_FLUSH);
      text.append(buf, sizeof buf - zs.avail_out);
    }
    EXPECT_EQ(rc, Z_STREAM_END) << "at " << pos;
    const std::size_t length = data.size() - pos - zs.avail_in;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) break;
    out.push_back({pos, length, std::move(text)});
    pos += length;
  }
  return out;
}

// The text of `data`, which must be exactly one gzip member.
inline std::string gunzip(const std::string& data) {
  auto members = gzip_members(data);
  EXPECT_EQ(members.size(), 1u);
  return members.empty() ? std::string() : std::move(members.front().text);
}

}  // namespace crawl::testing
