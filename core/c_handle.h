// One way to own a C library's handle: std::unique_ptr with a deleter that
// calls the library's own release function. Every CURL*, CURLM*, sqlite3*
// and sqlite3_stmt* in the project is owned by such a handle from the moment
// the library hands it out.
#pragma once

#include <memory>

namespace crawl {

// Calls `Release` on a non-null handle; never throws.
template <auto Release>
struct CDeleter {
  template <typename T>
  void operator()(T* handle) const noexcept {
    Release(handle);
  }
};

template <typename T, auto Release>
using CHandle = std::unique_ptr<T, CDeleter<Release>>;

}  // namespace crawl
