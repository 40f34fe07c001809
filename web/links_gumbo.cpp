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
#include <initializer_list>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ascii.h"
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

// More formatting elements open at once than any real page leaves (cells, captions and
// templates start the list anew; alike ones count up to 3).
constexpr std::size_t kMaxOpenFormatting = 256;

bool is_one_of(std::string_view name, std::initializer_list<std::string_view> names) {
  for (const auto n : names)
    if (name == n) return true;
  return false;
}

// Whether gumbo's tree of `html` would cost more than a browser's: by a scan that reads tags
// as a browser roughly would, whether it nests deeper than kMaxTreeDepth open elements, or
// leaves more than kMaxOpenFormatting formatting elements (b, i, font, …) open at once. The
// latter is the list of active formatting elements, which tree construction reopens in full
// before each text or element (a 112 KB page of "<p><b id=N>x</p>" took gumbo 36 s and
// 6.7 GB). The scan: comments and the text of script, style, textarea, title, xmp, noembed,
// noframes and iframe skipped; void elements never open; an end tag closes back to its start
// tag when that is among the open ones; a p, li, dt/dd, option, tr or td/th closes back to
// an open one of its kind among the 16 on top. Self-closing syntax does not close an HTML element
// ("<div/>" opens a div), so it is ignored. Formatting elements are told apart by their whole
// tag, at most 3 alike count (the "Noah's Ark" clause), a new <a> drops the earlier ones (the
// adoption agency), a table cell, caption, object, marquee or template starts the list anew.
// Not the tree construction: an estimate that rises with the nesting of real markup and with
// any pile of unclosed tags, the inputs that make gumbo slow. Linear: it stops at a limit.
bool tree_too_costly(std::string_view html) {
  const std::size_t limit = kMaxTreeDepth;
  std::vector<std::string> open;
  open.reserve(64);
  std::map<std::string, int> alike;                         // open formatting elements by whole tag
  std::map<std::string, std::vector<std::string>> by_name;  // their tags by name, latest last
  std::size_t formatting = 0;                                // sum of min(alike, 3)
  const auto forget_formatting = [&] {
    alike.clear();
    by_name.clear();
    formatting = 0;
  };
  const auto close_formatting = [&](const std::string& name) {
    auto tags = by_name.find(name);
    if (tags == by_name.end() || tags->second.empty()) return;
    auto it = alike.find(tags->second.back());
    tags->second.pop_back();
    if (it == alike.end()) return;
    if (it->second <= 3) --formatting;
    if (--it->second == 0) alike.erase(it);
  };
  std::size_t pos = 0;
  const auto name_at = [&](std::size_t at) {
    std::string name;
    while (at < html.size() && name.size() < 32) {
      const char c = html[at];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '/' || c == '>') break;
      name += ascii_lower(c);
      ++at;
    }
    return name;
  };
  while ((pos = html.find('<', pos)) != std::string_view::npos) {
    ++pos;
    if (pos >= html.size()) break;
    if (html.compare(pos, 3, "!--") == 0) {  // a comment
      const std::size_t end = html.find("-->", pos + 3);
      if (end == std::string_view::npos) break;
      pos = end + 3;
      continue;
    }
    const bool end_tag = html[pos] == '/';
    if (end_tag) ++pos;
    if (pos >= html.size() || !ascii_is_alpha(html[pos])) continue;
    const std::string name = name_at(pos);
    if (end_tag) {
      close_formatting(name);
      for (std::size_t i = open.size(); i-- > 0;) {
        if (open[i] != name) continue;
        open.resize(i);
        break;
      }
      continue;
    }
    if (is_one_of(name, {"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta",
                         "param", "source", "track", "wbr", "basefont", "bgsound", "frame"}))
      continue;
    if (is_one_of(name, {"script", "style", "textarea", "title", "xmp", "noembed", "noframes", "iframe"})) {
      // Raw text or RCDATA up to its end tag (ASCII case-insensitively).
      std::size_t at = pos + name.size();
      for (;;) {
        at = html.find("</", at);
        if (at == std::string_view::npos) return false;  // the rest is text
        at += 2;
        if (name_at(at) == name) break;
      }
      pos = at;
      continue;
    }
    if (name == "plaintext") return open.size() + 1 > limit;  // the rest is text
    if (is_one_of(name, {"td", "th", "caption", "object", "marquee", "applet", "template"})) forget_formatting();
    if (name == "a")
      if (const auto a = by_name.find("a"); a != by_name.end())
        while (!a->second.empty()) close_formatting("a");
    if (is_one_of(name, {"a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt",
                         "u"})) {
      const std::size_t end = html.find('>', pos);
      std::string tag(html.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
      by_name[name].push_back(tag);
      if (++alike[tag] <= 3 && ++formatting > kMaxOpenFormatting) return true;
    }
    // A sibling closes its open predecessor and what was opened inside it: looked for among
    // the 16 open elements on top (a bounded look, so the scan stays linear).
    const auto same_group = [&name](const std::string& other) {
      if (is_one_of(name, {"dt", "dd"})) return is_one_of(other, {"dt", "dd"});
      if (is_one_of(name, {"td", "th"})) return is_one_of(other, {"td", "th"});
      return other == name && is_one_of(name, {"p", "li", "option", "tr"});
    };
    const bool in_table = is_one_of(name, {"td", "th", "tr"});
    for (std::size_t i = open.size(), looked = 0; i-- > 0 && looked < 16; ++looked) {
      if (in_table && open[i] == "table") break;  // a cell of a table in a cell closes nothing outside
      if (!same_group(open[i])) continue;
      open.resize(i);
      break;
    }
    open.push_back(name);
    if (open.size() > limit) return true;
  }
  return false;
}

}  // namespace

PageLinks extract_page_links_gumbo(std::string_view html, std::string_view page_url,
                                   std::string_view robots_token, std::string_view charset) {
  std::string storage;
  const std::string_view text = detail::decode_page(html, charset, storage);
  if (tree_too_costly(text)) {
    PageLinks read = extract_page_links_html5(html, page_url, robots_token, charset);
    read.read_without_tree = true;
    return read;
  }
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
