// Link extraction on gumbo's HTML5 tree: the reference extractor (--html-parser gumbo, and the
// oracle of tests/web/links_differential_test.cpp). gumbo implements the WHATWG tokenizer and
// tree construction (foster parenting, the adoption agency, template contents, foreign
// content) to the letter; it builds a whole tree, which makes it several times slower than the
// streaming default (links.cpp).
//
// gumbo frees its tree recursively (gumbo_destroy_output), so a page of a few hundred thousand
// nested elements would overflow the stack. Its memory comes from a per-page arena instead:
// the tree is walked with an explicit stack, each element's children are unlinked as they are
// taken, and gumbo_destroy_output then only visits the document's direct children; the arena
// returns everything at once.
#include "web/links.h"

#include <gumbo.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <vector>

#include "web/link_collector.h"

namespace crawl {

namespace {

// Bump allocation in 64 KiB chunks for gumbo's many small blocks; a large block (a long text
// node or attribute value, a growing buffer) is malloc'ed on its own and freed when gumbo
// frees it. Every block has a 16-byte header: null for a small one, else its list links.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() {
    for (Big* b = big_.next; b != &big_;) {
      Big* next = b->next;
      std::free(b);
      b = next;
    }
    for (void* chunk : chunks_) std::free(chunk);
  }

  static void* allocate(void* self, std::size_t size) { return static_cast<Arena*>(self)->get(size); }
  static void deallocate(void* /*self*/, void* ptr) {
    if (ptr == nullptr) return;
    auto* header = reinterpret_cast<Big*>(static_cast<char*>(ptr) - sizeof(Big));
    if (header->next == nullptr) return;  // small: returned with the arena
    header->prev->next = header->next;
    header->next->prev = header->prev;
    std::free(header);
  }

 private:
  struct Big {
    Big* prev;
    Big* next;
  };
  static_assert(sizeof(Big) == 16);
  static constexpr std::size_t kChunk = 64 * 1024;
  static constexpr std::size_t kBig = 4 * 1024;

  void* get(std::size_t size) {
    size = (size + 15) & ~std::size_t{15};
    if (size > kBig) {
      auto* b = static_cast<Big*>(std::malloc(sizeof(Big) + size));
      if (b == nullptr) std::abort();  // gumbo is C and does not check: as with its own malloc
      b->prev = &big_;
      b->next = big_.next;
      big_.next->prev = b;
      big_.next = b;
      return b + 1;
    }
    if (left_ < sizeof(Big) + size) {
      void* chunk = std::malloc(kChunk);
      if (chunk == nullptr) std::abort();
      chunks_.push_back(chunk);
      next_ = static_cast<char*>(chunk);
      left_ = kChunk;
    }
    auto* header = reinterpret_cast<Big*>(next_);
    header->prev = header->next = nullptr;
    next_ += sizeof(Big) + size;
    left_ -= sizeof(Big) + size;
    return header + 1;
  }

  Big big_{&big_, &big_};
  std::vector<void*> chunks_;
  char* next_ = nullptr;
  std::size_t left_ = 0;
};

struct OutputDeleter {
  const GumboOptions* options;
  void operator()(GumboOutput* output) const noexcept { gumbo_destroy_output(options, output); }
};
using Output = std::unique_ptr<GumboOutput, OutputDeleter>;

// The element's local name, as links' contract names them: HTML's a, area, frame, iframe, base
// and meta, and SVG's a (a hyperlink in SVG 2); "" for any other.
std::string_view link_element_name(const GumboElement& e) {
  if (e.tag_namespace == GUMBO_NAMESPACE_SVG) return e.tag == GUMBO_TAG_A ? "a" : "";
  if (e.tag_namespace != GUMBO_NAMESPACE_HTML) return "";
  switch (e.tag) {
    case GUMBO_TAG_A: return "a";
    case GUMBO_TAG_AREA: return "area";
    case GUMBO_TAG_FRAME: return "frame";
    case GUMBO_TAG_IFRAME: return "iframe";
    case GUMBO_TAG_BASE: return "base";
    case GUMBO_TAG_META: return "meta";
    default: return "";
  }
}

}  // namespace

PageLinks extract_page_links_gumbo(std::string_view html, std::string_view page_url,
                                   std::string_view robots_token, std::string_view charset) {
  std::string storage;
  const std::string_view text = detail::decode_page(html, charset, storage);
  detail::LinkCollector links(robots_token);
  try {
    Arena arena;
    GumboOptions options = kGumboDefaultOptions;
    options.allocator = &Arena::allocate;
    options.deallocator = &Arena::deallocate;
    options.userdata = &arena;
    options.max_errors = 0;  // parse errors are not wanted: don't record them
    Output output(gumbo_parse_with_options(&options, text.data(), text.size()), OutputDeleter{&options});
    if (!output) return {};
    // Tree order, template contents included (they are the page's markup, cloned into the
    // document by its scripts).
    std::vector<GumboNode*> stack{output->document};
    while (!stack.empty()) {
      GumboNode* node = stack.back();
      stack.pop_back();
      GumboVector* children = nullptr;
      if (node->type == GUMBO_NODE_DOCUMENT) {
        children = &node->v.document.children;
      } else if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE) {
        const GumboElement& e = node->v.element;
        if (const std::string_view name = link_element_name(e); !name.empty()) {
          links.element(name, [&e](const char* wanted) -> std::optional<std::string_view> {
            for (unsigned i = 0; i < e.attributes.length; ++i) {
              const auto* a = static_cast<const GumboAttribute*>(e.attributes.data[i]);
              if (a->attr_namespace == GUMBO_ATTR_NAMESPACE_NONE && std::strcmp(a->name, wanted) == 0)
                return std::string_view(a->value);
            }
            return std::nullopt;
          });
        }
        children = &node->v.element.children;
      }
      if (children == nullptr) continue;
      for (unsigned i = children->length; i-- > 0;) stack.push_back(static_cast<GumboNode*>(children->data[i]));
      // Unlinked, so that gumbo_destroy_output does not recurse into them (the arena frees them).
      if (node->type != GUMBO_NODE_DOCUMENT) children->length = 0;
    }
  } catch (const std::bad_alloc&) {  // out of memory: the page loses links, the crawl goes on
  }
  return links.finish(page_url);
}

}  // namespace crawl
