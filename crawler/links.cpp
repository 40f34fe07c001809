#include "crawler/links.h"

#include "crawler/url.h"

#include <gumbo.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace crawl {
namespace {

// Deepest element nesting handed to gumbo; see cap_nesting(). Chromium's HTML parser caps the
// DOM depth at the same 512 (kMaximumHTMLParserDOMTreeDepth).
constexpr std::size_t kMaxDepth = 512;

bool one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

char to_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_alpha(char c) { return (to_lower(c) >= 'a' && to_lower(c) <= 'z'); }

bool iequals(std::string_view a, std::string_view b) {
  const auto same = [](char x, char y) { return to_lower(x) == to_lower(y); };
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), same);
}

// Index just past the end tag closing raw text that starts at `from` ("</name" followed by
// space, '/' or '>'), or html.size().
std::size_t skip_raw_text(std::string_view html, std::size_t from, std::string_view name) {
  for (std::size_t i = html.find("</", from); i != std::string_view::npos;
       i = html.find("</", i + 2)) {
    const std::size_t after = i + 2 + name.size();
    if (after < html.size() && iequals(html.substr(i + 2, name.size()), name) &&
        std::string_view(" \t\n\f\r/>").find(html[after]) != std::string_view::npos) {
      return after;
    }
  }
  return html.size();
}

// gumbo 0.10 checks "has an element in scope" by walking its stack of open elements, so n nested
// elements cost O(n²): 100k nested <div>s take ~15 s. So, like Chromium, we cap the nesting: a
// light tag scan follows the open elements, and a start tag that would nest deeper than
// kMaxDepth is replaced by a space in the text handed to gumbo, its content joining the parent.
// Void elements, raw-text elements and <a> are never removed, so no link is lost. This is a
// heuristic, not the tree builder: real pages stay far below the cap; degenerate ones are
// flattened instead of taking quadratic time. Returns `html` itself when nothing was removed.
std::string_view cap_nesting(std::string_view html, std::string& storage) {
  std::vector<std::string> open;  // lowercase names, innermost last
  std::size_t copied = 0;         // html[0, copied) is already in storage
  for (std::size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i)) {
    const std::size_t tag_start = i;
    if (html.substr(i).starts_with("<!--")) {
      const std::size_t end = std::min(html.find("-->", i + 2), html.find("--!>", i + 2));
      i = end == std::string_view::npos ? html.size() : html.find('>', end) + 1;
      continue;
    }
    const bool end_tag = html.substr(i).starts_with("</");
    const std::size_t name_begin = i + (end_tag ? 2 : 1);
    if (name_begin >= html.size() || !is_alpha(html[name_begin])) {
      ++i;
      continue;
    }
    const std::size_t name_end =
        std::min(html.find_first_of(" \t\n\f\r/>", name_begin), html.size());
    std::string name(html.substr(name_begin, name_end - name_begin));
    std::transform(name.begin(), name.end(), name.begin(), to_lower);
    i = std::min(html.find('>', name_end), html.size() - 1) + 1;  // past the tag

    if (end_tag) {
      const auto match = std::find(open.rbegin(), open.rend(), name);
      if (match != open.rend()) open.erase(std::prev(match.base()), open.end());
    } else if (one_of(name, {"script", "style", "textarea", "title", "xmp", "iframe", "noembed",
                             "noframes", "plaintext"})) {
      i = name == "plaintext" ? html.size() : skip_raw_text(html, i, name);
    } else if (one_of(name, {"a", "area", "base", "basefont", "bgsound", "br", "col", "embed",
                             "frame", "hr", "image", "img", "input", "keygen", "link", "meta",
                             "param", "source", "track", "wbr"})) {
      // void, or <a> (a new <a> closes the open one): never nests deeper
    } else if (!open.empty() && open.back() == name &&
               one_of(name, {"p", "li", "dd", "dt", "option", "optgroup", "td", "th", "tr"})) {
      // "<li>a<li>b": the second closes the first
    } else if (open.size() < kMaxDepth) {
      open.push_back(std::move(name));
    } else {
      storage.append(html.substr(copied, tag_start - copied));
      storage += ' ';  // keeps the bytes around it from joining into a new tag
      copied = i;
    }
  }
  if (copied == 0) return html;
  storage.append(html.substr(copied));
  return storage;
}

// One gumbo parse, and the owner of all its memory. gumbo_destroy_output() frees the tree
// recursively, a stack frame per level, and overflows an 8 MB stack at ~300k nested elements
// (a 2 MB page); so every block gumbo allocates is linked into a list instead, and the
// destructor frees them all in one loop.
class GumboDocument {
 public:
  explicit GumboDocument(std::string_view html) {
    GumboOptions options = kGumboDefaultOptions;
    options.allocator = &allocate;
    options.deallocator = &deallocate;
    options.userdata = &blocks_;
    // Errors are not wanted, and gumbo copies the whole open-element stack into each one it
    // records: 20k nested <g> in <svg> take 3 GB and 24 s with errors recorded, 7 MB and 0.06 s
    // without.
    options.max_errors = 0;
    output_ = gumbo_parse_with_options(&options, html.empty() ? "" : html.data(), html.size());
  }
  GumboDocument(const GumboDocument&) = delete;
  GumboDocument& operator=(const GumboDocument&) = delete;
  ~GumboDocument() {
    for (Block* block = blocks_.next; block != &blocks_;) {
      std::free(std::exchange(block, block->next));
    }
  }

  const GumboNode* root() const { return output_->document; }

 private:
  struct alignas(std::max_align_t) Block {  // header in front of each allocation
    Block* prev;
    Block* next;
  };

  static void* allocate(void* list, std::size_t size) {
    auto* block = static_cast<Block*>(std::malloc(sizeof(Block) + size));
    if (block == nullptr) std::abort();  // as with gumbo's own malloc: it cannot recover either
    auto* head = static_cast<Block*>(list);
    *block = {head, head->next};
    head->next->prev = block;
    head->next = block;
    return block + 1;
  }

  static void deallocate(void*, void* ptr) {
    if (ptr == nullptr) return;
    Block* block = static_cast<Block*>(ptr) - 1;
    block->prev->next = block->next;
    block->next->prev = block->prev;
    std::free(block);
  }

  Block blocks_{&blocks_, &blocks_};  // list head
  GumboOutput* output_ = nullptr;
};

const char* attribute(const GumboElement& element, const char* name) {
  const GumboAttribute* attr = gumbo_get_attribute(&element.attributes, name);
  return attr == nullptr ? nullptr : attr->value;
}

}  // namespace

std::vector<std::string> extract_links(std::string_view html, std::string_view page_url) {
  std::string capped;
  const GumboDocument document(cap_nesting(html, capped));

  // Pre-order walk with an explicit stack: document order, any depth.
  std::vector<const char*> hrefs;
  const char* base_href = nullptr;
  std::vector<const GumboNode*> stack{document.root()};
  while (!stack.empty()) {
    const GumboNode* node = stack.back();
    stack.pop_back();
    const GumboVector* children = nullptr;
    if (node->type == GUMBO_NODE_DOCUMENT) {
      children = &node->v.document.children;
    } else if (node->type == GUMBO_NODE_ELEMENT || node->type == GUMBO_NODE_TEMPLATE) {
      const GumboElement& element = node->v.element;
      children = &element.children;
      if (element.tag_namespace == GUMBO_NAMESPACE_HTML) {
        switch (element.tag) {
          case GUMBO_TAG_A:
          case GUMBO_TAG_AREA:
            if (const char* href = attribute(element, "href")) hrefs.push_back(href);
            break;
          case GUMBO_TAG_FRAME:
          case GUMBO_TAG_IFRAME:
            if (const char* src = attribute(element, "src")) hrefs.push_back(src);
            break;
          case GUMBO_TAG_BASE:
            if (base_href == nullptr) base_href = attribute(element, "href");
            break;
          default:
            break;
        }
      }
    }
    if (children == nullptr) continue;
    for (unsigned int i = children->length; i > 0; --i) {
      stack.push_back(static_cast<const GumboNode*>(children->data[i - 1]));
    }
  }

  // HTML "document base URL": a <base href> that does not resolve falls back to the page URL.
  std::optional<std::string> base;
  if (base_href != nullptr) base = resolve_url(page_url, base_href);
  const std::string_view base_url = base ? std::string_view(*base) : page_url;

  std::vector<std::string> links;
  std::unordered_set<std::string> seen;
  for (const char* href : hrefs) {
    std::optional<std::string> link = resolve_url(base_url, href);
    if (link && seen.insert(*link).second) links.push_back(std::move(*link));
  }
  return links;
}

}  // namespace crawl
