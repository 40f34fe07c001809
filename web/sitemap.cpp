// Sitemap parsing with libxml2's SAX2 push parser, fed straight from zlib's inflate, so that
// neither the XML text nor a tree is ever held whole.
#include "web/sitemap.h"

#include <libxml/parser.h>
#include <zlib.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <new>
#include <optional>
#include <utility>

namespace crawl {
namespace {

struct ParserDeleter {
  void operator()(xmlParserCtxtPtr ctxt) const noexcept {
    // In SAX mode libxml2 may still build a document to hold DTD declarations ("expat
    // compatibility"), which xmlFreeParserCtxt does not free.
    if (ctxt->myDoc != nullptr) xmlFreeDoc(ctxt->myDoc);
    xmlFreeParserCtxt(ctxt);
  }
};
using Parser = std::unique_ptr<xmlParserCtxt, ParserDeleter>;

struct Walker {
  enum class Root { none, urlset, index, other };

  Sitemap sitemap;
  Root root = Root::none;
  std::optional<std::string> root_namespace;  // nullopt: the root is in no namespace
  int depth = 0;                               // of the innermost open element; the root is 1
  bool in_entry = false;                       // inside <url> / <sitemap>
  bool entry_has_loc = false;
  bool in_loc = false;
  std::string loc;
  bool out_of_memory = false;
  std::size_t max_entries = SIZE_MAX;
};

bool is(const xmlChar* name, const char* literal) {
  return xmlStrEqual(name, reinterpret_cast<const xmlChar*>(literal)) != 0;
}

bool in_root_namespace(const Walker& w, const xmlChar* uri) {
  if (uri == nullptr) return !w.root_namespace.has_value();
  return w.root_namespace && *w.root_namespace == reinterpret_cast<const char*>(uri);
}

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

void on_start(void* user, const xmlChar* localname, const xmlChar* /*prefix*/, const xmlChar* uri,
              int, const xmlChar**, int, int, const xmlChar**) noexcept {
  auto& w = *static_cast<Walker*>(user);
  ++w.depth;
  try {
    if (w.depth == 1) {
      w.root = is(localname, "urlset")         ? Walker::Root::urlset
               : is(localname, "sitemapindex") ? Walker::Root::index
                                               : Walker::Root::other;
      if (uri != nullptr) w.root_namespace.emplace(reinterpret_cast<const char*>(uri));
    } else if (w.depth == 2 && in_root_namespace(w, uri) &&
               ((w.root == Walker::Root::urlset && is(localname, "url")) ||
                (w.root == Walker::Root::index && is(localname, "sitemap")))) {
      w.in_entry = true;
      w.entry_has_loc = false;
    } else if (w.depth == 3 && w.in_entry && !w.entry_has_loc && in_root_namespace(w, uri) &&
               is(localname, "loc")) {
      w.in_loc = true;
      w.loc.clear();
    }
  } catch (const std::bad_alloc&) {
    w.out_of_memory = true;
  }
}

void on_end(void* user, const xmlChar*, const xmlChar*, const xmlChar*) noexcept {
  auto& w = *static_cast<Walker*>(user);
  if (w.depth == 3 && w.in_loc) {
    w.in_loc = false;
    w.entry_has_loc = true;
    std::string_view text = w.loc;
    while (!text.empty() && is_xml_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_xml_space(text.back())) text.remove_suffix(1);
    if (!text.empty()) {
      try {
        auto& list = w.root == Walker::Root::urlset ? w.sitemap.urls : w.sitemap.sitemaps;
        if (list.size() >= w.max_entries)
          ++w.sitemap.dropped;
        else
          list.emplace_back(text);
      } catch (const std::bad_alloc&) {
        w.out_of_memory = true;
      }
    }
  } else if (w.depth == 2) {
    w.in_entry = false;
  }
  --w.depth;
}

// Text and CDATA sections alike; a <loc>'s text may arrive in several pieces.
void on_text(void* user, const xmlChar* text, int length) noexcept {
  auto& w = *static_cast<Walker*>(user);
  if (!w.in_loc) return;
  try {
    w.loc.append(reinterpret_cast<const char*>(text), static_cast<std::size_t>(length));
  } catch (const std::bad_alloc&) {
    w.out_of_memory = true;
  }
}

// Entities the document declares are never looked up, so never expanded: a reference to one
// is a well-formedness error that ends the parse. This is the whole XXE and "billion laughs"
// defence, together with leaving XML_PARSE_NOENT and XML_PARSE_DTDLOAD off. The five predefined
// entities (&amp; …) and character references are decoded before this is asked.
xmlEntityPtr no_entity(void*, const xmlChar*) noexcept { return nullptr; }

void ignore_error(void*, xmlErrorPtr) noexcept {}

// Feeds the parser, stopping at the size limit or once the parser has given up (a fatal
// error disables its SAX callbacks; more input would be wasted work).
class Feeder {
 public:
  Feeder(xmlParserCtxtPtr ctxt, const Walker& walker) : ctxt_(ctxt), walker_(walker) {}

  // False when no more input is wanted.
  bool feed(const char* data, std::size_t size) {
    size = std::min(size, kMaxSitemapBytes - fed_);
    while (size > 0) {
      const int n = static_cast<int>(std::min<std::size_t>(size, 1 << 20));  // takes an int
      xmlParseChunk(ctxt_, data, n, 0);
      data += n;
      size -= static_cast<std::size_t>(n);
      fed_ += static_cast<std::size_t>(n);
      if (!wanted()) return false;
    }
    return wanted() && fed_ < kMaxSitemapBytes;
  }

  void finish() { xmlParseChunk(ctxt_, nullptr, 0, 1); }

 private:
  bool wanted() const { return ctxt_->disableSAX == 0 && !walker_.out_of_memory; }

  xmlParserCtxtPtr ctxt_;
  const Walker& walker_;
  std::size_t fed_ = 0;
};

struct InflateEnd {
  void operator()(z_stream* z) const noexcept { inflateEnd(z); }
};

// Inflates gzip `body` into `feeder` until the input ends, is corrupt or truncated, or the
// feeder wants no more.
void inflate_into(std::string_view body, Feeder& feeder) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return;  // 16: gzip wrapper only
  const std::unique_ptr<z_stream, InflateEnd> owner(&z);
  auto next = reinterpret_cast<const Bytef*>(body.data());
  std::size_t left = body.size();
  char out[64 * 1024];
  while (true) {
    if (z.avail_in == 0 && left > 0) {
      z.next_in = const_cast<Bytef*>(next);  // zlib's API is not const-correct; it only reads
      z.avail_in = static_cast<uInt>(std::min<std::size_t>(left, UINT_MAX));
      next += z.avail_in;
      left -= z.avail_in;
    }
    z.next_out = reinterpret_cast<Bytef*>(out);
    z.avail_out = sizeof out;
    const int rc = inflate(&z, Z_NO_FLUSH);
    const std::size_t produced = sizeof out - z.avail_out;
    if (produced > 0 && !feeder.feed(out, produced)) return;
    if (rc == Z_STREAM_END) {
      // Another gzip member may follow (as `cat a.gz b.gz` makes); anything else is trailing
      // garbage, ignored as gzip -d does.
      // The input is contiguous: what remains starts at next_in, even when avail_in is 0.
      if (z.avail_in + left < 2 || z.next_in[0] != 0x1f || z.next_in[1] != 0x8b) return;
      if (inflateReset(&z) != Z_OK) return;
    } else if (rc != Z_OK) {
      return;  // corrupt data, or Z_BUF_ERROR: the input ended mid-stream (truncated)
    } else if (produced == 0 && z.avail_in == 0 && left == 0) {
      return;
    }
  }
}

bool is_gzip(std::string_view body) {
  return body.size() >= 2 && static_cast<unsigned char>(body[0]) == 0x1f &&
         static_cast<unsigned char>(body[1]) == 0x8b;
}

}  // namespace

Sitemap parse_sitemap(std::string_view body, std::size_t max_entries) {
  static const bool initialized = (xmlInitParser(), true);  // once, thread-safe
  (void)initialized;

  Walker walker;
  walker.max_entries = max_entries;
  xmlSAXHandler sax{};
  sax.initialized = XML_SAX2_MAGIC;  // use the namespace-aware SAX2 callbacks
  sax.startElementNs = on_start;
  sax.endElementNs = on_end;
  sax.characters = on_text;
  sax.ignorableWhitespace = on_text;
  sax.cdataBlock = on_text;
  sax.getEntity = no_entity;
  sax.serror = ignore_error;
  Parser parser(xmlCreatePushParserCtxt(&sax, &walker, nullptr, 0, nullptr));
  if (!parser) throw std::bad_alloc();
  // No XML_PARSE_RECOVER: past a well-formedness error libxml2 guesses, and its guesses mangle
  // URLs (an unescaped "&b=2" in a query becomes "=2"). No XML_PARSE_HUGE: its default limits
  // (10 MB per text node, depth 256) stay on.
  xmlCtxtUseOptions(parser.get(), XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

  Feeder feeder(parser.get(), walker);
  if (is_gzip(body)) {
    inflate_into(body, feeder);
  } else {
    feeder.feed(body.data(), body.size());
  }
  feeder.finish();
  if (walker.out_of_memory) throw std::bad_alloc();
  return std::move(walker.sitemap);
}

}  // namespace crawl
