// Link extraction with a single-pass HTML5 tokenizer (--html-parser html5): the subset of the
// WHATWG HTML tokenizer that links need, and a small tracker of the tree-construction state
// that changes what the tokenizer does or which start tags make elements.
//
// Tokenizer: data, tag open, end tag open, tag name, the attribute states (names lowercased,
// the first of duplicates kept, values with character references decoded as in an attribute
// and NUL read as U+FFFD), self-closing, markup declarations (comments to the letter, DOCTYPE
// and bogus comments to the next '>', CDATA only when the current node is foreign), RCDATA,
// RAWTEXT, script data with its escaped and double-escaped states, PLAINTEXT. Text is skipped
// with memchr; bytes are looked at one by one only inside tags, comments' ends and escaped
// script data. Text content is never decoded: links live in attribute values.
//
// Tree state (what gumbo, the reference in links_gumbo.cpp, does with the tokens): a stack of
// open elements, bounded (kMaxDepth), that knows foreign content (svg, math, their integration
// points and the HTML "breakout" start tags), <template>, <select> (whose start tags other than
// option, optgroup, select, input, keygen, textarea, script, template make no element),
// frameset (only <frame> and <noframes> count once a frameset replaced the body, whose links it
// takes back while frameset-ok holds), tables (table parts outside one make no element), forms
// and HTML's "special" elements, where end tags stop. Elements whose end tag is optional (p,
// li, dd, dt, option, tr, td, th) are closed by the start tags that imply it, roughly: the
// stack only has to be right about foreign content, template, select and tables. What it does
// not do — foster parenting, the adoption agency, the table insertion modes beyond the open
// elements — changes where elements go in the tree, rarely whether they exist: the
// differential test names those cases (tests/web/links_differential_test.cpp).
#include "core/ascii.h"
#include "web/links.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "web/charset.h"
#include "web/link_collector.h"

namespace crawl {

namespace {

struct Entity {
  std::string_view name;
  std::string_view value;
};

constexpr Entity kEntities[] = {
#include "web/html_entities.inc"
};
constexpr std::size_t kLongestEntity = 32;

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) { return ascii_is_alpha(c) || is_digit(c); }
constexpr bool is_hex(char c) { return is_digit(c) || (ascii_lower(c) >= 'a' && ascii_lower(c) <= 'f'); }
// The tokenizer's whitespace: tab, LF, FF, space, and CR (input preprocessing makes it LF).
constexpr bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\f' || c == '\r'; }

// HTML "numeric character reference end state": 0x80–0x9F read as windows-1252 did.
constexpr std::array<std::uint16_t, 32> kC1 = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

const Entity* find_entity(std::string_view name) {
  const auto it = std::lower_bound(std::begin(kEntities), std::end(kEntities), name,
                                   [](const Entity& e, std::string_view n) { return e.name < n; });
  return it != std::end(kEntities) && it->name == name ? it : nullptr;
}

// A character reference in an attribute value, `s` starting just after its '&': appends what it
// stands for (or the '&' itself when it is none) to `out` and returns how many bytes after the
// '&' it consumed.
std::size_t char_ref_in_attribute(std::string_view s, std::string& out) {
  if (!s.empty() && s[0] == '#') {
    std::size_t i = 1;
    const bool hex = i < s.size() && (s[i] == 'x' || s[i] == 'X');
    if (hex) ++i;
    const std::size_t digits = i;
    std::uint32_t value = 0;
    for (; i < s.size() && (hex ? is_hex(s[i]) : is_digit(s[i])); ++i) {
      const char c = ascii_lower(s[i]);
      const std::uint32_t d = is_digit(c) ? static_cast<std::uint32_t>(c - '0') : static_cast<std::uint32_t>(c - 'a' + 10);
      value = std::min<std::uint32_t>(value * (hex ? 16 : 10) + d, 0x110000);
    }
    if (i == digits) {  // "&#" or "&#x" without digits: not a reference
      out += '&';
      return 0;
    }
    if (i < s.size() && s[i] == ';') ++i;
    if (value == 0 || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF))
      value = 0xFFFD;
    else if (value >= 0x80 && value <= 0x9F)
      value = kC1[value - 0x80];
    append_utf8(out, value);
    return i;
  }
  // Named: the longest name of the table that the text starts with.
  std::size_t run = 0;
  while (run < s.size() && run < kLongestEntity && is_alnum(s[run])) ++run;
  if (run == 0) {
    out += '&';
    return 0;
  }
  std::size_t len = run + (run < s.size() && s[run] == ';' ? 1 : 0);
  for (; len > 0; --len) {
    const Entity* e = find_entity(s.substr(0, len));
    if (e == nullptr) continue;
    // "For historical reasons": in an attribute, a legacy name without ';' followed by '=' or
    // an alphanumeric is left as text ("?a=1&copy=2").
    if (s[len - 1] != ';' && len < s.size() && (s[len] == '=' || is_alnum(s[len]))) break;
    out += e->value;
    return len;
  }
  out += '&';
  return 0;
}

enum class Ns : std::uint8_t { html, svg, math };

// The tag names the tree state looks at, each with what HTML says of it (Flag). Start and end
// tags are looked up once (a hash); everything after compares small integers.
#define CRAWL_HTML5_TAGS(X)                                                                        \
  X(a, "a", kKeep | kLink) X(address, "address", kClosesP | kSpecial) X(annotation_xml, "annotation-xml", kKeep) \
  X(applet, "applet", kNotOk | kScope | kSpecial) X(area, "area", kKeep | kLink | kVoid | kNotOk | kSpecial)                 \
  X(article, "article", kClosesP | kSpecial) X(aside, "aside", kClosesP | kSpecial) X(b, "b", kBreakout)                    \
  X(base, "base", kKeep | kLink | kVoid | kHead | kSpecial) X(basefont, "basefont", kVoid | kHead | kSpecial)               \
  X(bgsound, "bgsound", kVoid | kHead | kSpecial) X(big, "big", kBreakout)                                       \
  X(blockquote, "blockquote", kClosesP | kBreakout | kSpecial) X(body, "body", kBreakout | kSpecial)                        \
  X(br, "br", kVoid | kNotOk | kBreakout | kSpecial) X(button, "button", kNotOk | kSpecial) X(caption, "caption", kScope | kTablePart | kSpecial) \
  X(center, "center", kClosesP | kBreakout | kSpecial) X(code, "code", kBreakout) X(col, "col", kVoid | kSpecial) X(colgroup, "colgroup", kSpecial)           \
  X(dd, "dd", kClosesP | kNotOk | kBreakout | kSpecial) X(desc, "desc", 0) X(details, "details", kClosesP | kSpecial)      \
  X(dialog, "dialog", kClosesP) X(dir, "dir", kClosesP | kSpecial) X(div, "div", kClosesP | kBreakout | kSpecial)           \
  X(dl, "dl", kClosesP | kBreakout | kSpecial) X(dt, "dt", kClosesP | kNotOk | kBreakout | kSpecial)                        \
  X(em, "em", kBreakout) X(embed, "embed", kVoid | kNotOk | kBreakout | kSpecial)                                \
  X(fieldset, "fieldset", kClosesP | kSpecial) X(figcaption, "figcaption", kClosesP | kSpecial)                            \
  X(figure, "figure", kClosesP | kSpecial) X(font, "font", kKeep) X(footer, "footer", kClosesP | kSpecial)                 \
  X(foreignobject, "foreignobject", 0) X(form, "form", kClosesP | kSpecial)                                     \
  X(frame, "frame", kKeep | kLink | kVoid | kSpecial) X(frameset, "frameset", kSpecial)                                \
  X(h1, "h1", kClosesP | kBreakout | kSpecial) X(h2, "h2", kClosesP | kBreakout | kSpecial) X(h3, "h3", kClosesP | kBreakout | kSpecial) \
  X(h4, "h4", kClosesP | kBreakout | kSpecial) X(h5, "h5", kClosesP | kBreakout | kSpecial) X(h6, "h6", kClosesP | kBreakout | kSpecial) \
  X(head, "head", kHead | kBreakout | kSpecial) X(header, "header", kClosesP | kSpecial) X(hgroup, "hgroup", kClosesP | kSpecial)     \
  X(hr, "hr", kVoid | kClosesP | kNotOk | kBreakout | kSpecial) X(html, "html", kHead | kScope | kSpecial)                  \
  X(i, "i", kBreakout) X(iframe, "iframe", kKeep | kLink | kNotOk | kSpecial) X(image, "image", kVoid | kNotOk)  \
  X(img, "img", kVoid | kNotOk | kBreakout | kSpecial) X(input, "input", kKeep | kVoid | kSpecial) X(isindex, "isindex", kVoid | kNotOk | kSpecial) X(keygen, "keygen", kVoid | kNotOk | kSpecial) \
  X(li, "li", kClosesP | kNotOk | kBreakout | kSpecial) X(link, "link", kVoid | kHead | kSpecial)                           \
  X(listing, "listing", kClosesP | kNotOk | kBreakout | kSpecial) X(main, "main", kClosesP | kSpecial)                      \
  X(malignmark, "malignmark", 0) X(marquee, "marquee", kNotOk | kScope | kSpecial) X(math, "math", 0)           \
  X(menu, "menu", kClosesP | kBreakout | kSpecial) X(meta, "meta", kKeep | kLink | kVoid | kHead | kBreakout | kSpecial)    \
  X(mglyph, "mglyph", 0) X(mi, "mi", 0) X(mn, "mn", 0) X(mo, "mo", 0) X(ms, "ms", 0)                 \
  X(mtext, "mtext", 0) X(nav, "nav", kClosesP | kSpecial) X(nobr, "nobr", kBreakout)                            \
  X(noembed, "noembed", kSpecial) X(noframes, "noframes", kHead | kSpecial) X(noscript, "noscript", kHead | kSpecial)             \
  X(object, "object", kNotOk | kScope | kSpecial) X(ol, "ol", kClosesP | kBreakout | kSpecial) X(option, "option", 0)        \
  X(p, "p", kClosesP | kBreakout | kSpecial)                                                                   \
  X(param, "param", kVoid | kSpecial) X(plaintext, "plaintext", kClosesP | kSpecial) X(pre, "pre", kClosesP | kNotOk | kBreakout | kSpecial) \
  X(ruby, "ruby", kBreakout) X(s, "s", kBreakout) X(script, "script", kHead | kSpecial)                          \
  X(section, "section", kClosesP | kSpecial) X(select, "select", kNotOk | kSpecial) X(small, "small", kBreakout)           \
  X(source, "source", kVoid | kSpecial) X(span, "span", kBreakout) X(strike, "strike", kBreakout)                \
  X(strong, "strong", kBreakout) X(style, "style", kHead | kSpecial) X(sub, "sub", kBreakout)                   \
  X(summary, "summary", kClosesP | kSpecial) X(sup, "sup", kBreakout) X(svg, "svg", 0)                          \
  X(table, "table", kNotOk | kScope | kTablePart | kBreakout | kSpecial) X(tbody, "tbody", kTablePart | kSpecial)           \
  X(td, "td", kScope | kTablePart | kSpecial) X(template_, "template", kHead | kSpecial) X(textarea, "textarea", kNotOk | kSpecial)    \
  X(tfoot, "tfoot", kTablePart | kSpecial) X(th, "th", kScope | kTablePart | kSpecial) X(thead, "thead", kTablePart | kSpecial)       \
  X(title, "title", kHead | kSpecial) X(tr, "tr", kTablePart | kSpecial) X(track, "track", kVoid | kSpecial) X(tt, "tt", kBreakout)   \
  X(u, "u", kBreakout) X(ul, "ul", kClosesP | kBreakout | kSpecial) X(var, "var", kBreakout)                    \
  X(wbr, "wbr", kVoid | kNotOk | kSpecial) X(xmp, "xmp", kClosesP | kNotOk | kSpecial)

enum Flag : std::uint32_t {
  kKeep = 1 << 0,       // its attributes are read
  kLink = 1 << 1,       // LinkCollector::element wants it
  kVoid = 1 << 2,       // no end tag: never open
  kHead = 1 << 3,       // in head (or before it): does not start the body
  kNotOk = 1 << 4,      // in body, sets frameset-ok to "not ok"
  kClosesP = 1 << 5,    // in body, closes a p element in button scope
  kBreakout = 1 << 6,   // in foreign content, ends it ("font" too, with color, face or size)
  kScope = 1 << 7,      // bounds the "has an element in scope" walk
  kTablePart = 1 << 8,  // caption, table, tbody, tfoot, thead, tr, td, th
  kSpecial = 1 << 9,    // HTML's "special" category: an end tag of another name stops at it
};

enum class Tag : std::uint8_t {
  other,
#define CRAWL_HTML5_TAG_ENUM(id, name, flags) id,
  CRAWL_HTML5_TAGS(CRAWL_HTML5_TAG_ENUM)
#undef CRAWL_HTML5_TAG_ENUM
};

struct TagInfo {
  std::string_view name;
  std::uint32_t flags;
};

constexpr TagInfo kTags[] = {
    {"", 0},
#define CRAWL_HTML5_TAG_INFO(id, name, flags) {name, flags},
    CRAWL_HTML5_TAGS(CRAWL_HTML5_TAG_INFO)
#undef CRAWL_HTML5_TAG_INFO
};

constexpr bool has(Tag t, std::uint32_t flag) { return (kTags[static_cast<std::size_t>(t)].flags & flag) != 0; }

// A lowercase tag name's Tag: a perfect-enough hash (length, first and last bytes) into a
// small open-addressed table, then one comparison.
class TagTable {
 public:
  TagTable() {
    for (std::size_t i = 1; i < std::size(kTags); ++i) {
      std::size_t h = hash(kTags[i].name);
      while (slots_[h] != 0) h = (h + 1) & (kSlots - 1);
      slots_[h] = static_cast<std::uint8_t>(i);
    }
  }
  Tag find(std::string_view name) const {
    if (name.empty() || name.size() > 14) return Tag::other;
    for (std::size_t h = hash(name);; h = (h + 1) & (kSlots - 1)) {
      const std::uint8_t i = slots_[h];
      if (i == 0) return Tag::other;
      if (kTags[i].name == name) return static_cast<Tag>(i);
    }
  }

 private:
  static constexpr std::size_t kSlots = 512;
  static std::size_t hash(std::string_view n) {
    return (n.size() * 31 + static_cast<unsigned char>(n[0]) * 7 + static_cast<unsigned char>(n.back()) * 131 +
            (n.size() > 1 ? static_cast<unsigned char>(n[1]) * 17 : 0)) &
           (kSlots - 1);
  }
  std::array<std::uint8_t, kSlots> slots_{};
};

Tag tag_of(std::string_view lowercase_name) {
  static const TagTable table;  // built once, thread-safe
  return table.find(lowercase_name);
}

struct Open {
  Tag tag = Tag::other;
  // For Tag::other, its lowercase name's 64-bit FNV-1a hash: an end tag closes it if the hashes
  // are equal (no string per element, so no allocation per tag).
  std::uint64_t name_hash = 0;
  Ns ns = Ns::html;
  bool html_integration = false;  // SVG foreignObject, desc, title; MathML annotation-xml (HTML)
  bool text_integration = false;  // MathML mi, mo, mn, ms, mtext
  // A template whose first start tag was <col>: "in column group" insertion mode, where other
  // start tags make no element while it is the current node.
  bool template_started = false;
  bool template_columns = false;
};

// How the tokenizer reads what follows a start tag.
enum class Content : std::uint8_t { data, rcdata, rawtext, script, plaintext };

struct Attr {
  std::size_t name_at, name_size, value_at, value_size;
};

class Extractor {
 public:
  Extractor(std::string_view text, detail::LinkCollector& links) : s_(text), links_(links) {}

  void run() {
    std::size_t p = 0;
    const std::size_t n = s_.size();
    while (p < n) {
      const char* lt = static_cast<const char*>(std::memchr(s_.data() + p, '<', n - p));
      const std::size_t at = lt == nullptr ? n : static_cast<std::size_t>(lt - s_.data());
      if (frameset_ok_ && at > p) text(s_.substr(p, at - p));
      if (at + 1 >= n) return;  // a lone '<' at the end is text
      p = markup(at);
    }
  }

 private:
  // Markup at s_[at] == '<' (not its last byte); returns where the data state resumes.
  std::size_t markup(std::size_t at) {
    const char c = s_[at + 1];
    if (ascii_is_alpha(c)) return tag(at + 1, false);
    if (c == '/') {
      if (at + 2 >= s_.size()) return s_.size();  // "</" at EOF: text
      if (ascii_is_alpha(s_[at + 2])) return tag(at + 2, true);
      if (s_[at + 2] == '>') return at + 3;
      return bogus_comment(at + 2);
    }
    if (c == '!') return declaration(at + 2);
    if (c == '?') return bogus_comment(at + 1);
    if (frameset_ok_) text("<");
    return at + 1;
  }

  std::size_t bogus_comment(std::size_t p) {
    const std::size_t end = s_.find('>', p);
    return end == std::string_view::npos ? s_.size() : end + 1;
  }

  std::size_t declaration(std::size_t p) {
    if (s_.compare(p, 2, "--") == 0) return comment(p + 2);
    if (s_.size() - p >= 7 && ascii_iequals(s_.substr(p, 7), "doctype")) {
      const std::size_t end = bogus_comment(p + 7);
      if (!doctype_seen_) doctype(s_.substr(p + 7, end - (p + 7)));
      return end;
    }
    if (s_.compare(p, 7, "[CDATA[") == 0 && !stack_.empty() && stack_.back().ns != Ns::html) {
      const std::size_t end = s_.find("]]>", p + 7);
      if (end != p + 7 && frameset_ok_) frameset_ok_ = false;
      return end == std::string_view::npos ? s_.size() : end + 3;
    }
    return bogus_comment(p);
  }

  // The first DOCTYPE (after "<!DOCTYPE", up to its '>'): whether the document is in quirks
  // mode, where a <table> does not close an open <p>. The standard's list of quirky public
  // identifiers, shortened to the prefixes that documents use.
  void doctype(std::string_view d) {
    doctype_seen_ = true;
    std::string lower_d;
    for (const char c : d) lower_d += ascii_lower(c);
    std::size_t i = 0;
    while (i < lower_d.size() && is_space(lower_d[i])) ++i;
    std::size_t name_end = i;
    while (name_end < lower_d.size() && !is_space(lower_d[name_end]) && lower_d[name_end] != '>') ++name_end;
    if (lower_d.compare(i, name_end - i, "html") != 0) return;  // quirks
    const std::size_t pub = lower_d.find("public", name_end);
    if (pub == std::string::npos) {
      quirks_ = false;
      return;
    }
    const std::size_t q = lower_d.find_first_of("\"'", pub);
    if (q == std::string::npos) return;
    const std::size_t q_end = lower_d.find(lower_d[q], q + 1);
    const std::string_view id = std::string_view(lower_d).substr(q + 1, q_end == std::string::npos ? std::string::npos : q_end - q - 1);
    const bool has_system = q_end != std::string::npos && lower_d.find_first_of("\"'", q_end + 1) != std::string::npos;
    static constexpr std::string_view kQuirkyIds[] = {"-//w3o//dtd w3 html strict 3.0//en//",
                                                      "-/w3c/dtd html 4.0 transitional/en", "html"};
    static constexpr std::string_view kQuirkyPrefixes[] = {
        "+//silmaril//dtd html pro v0r11 19970101//", "-//as//dtd html 3.0 aswedit + extensions//",
        "-//ietf//dtd html", "-//metrius//dtd metrius presentational//", "-//microsoft//dtd internet explorer",
        "-//netscape comm. corp.//dtd", "-//o'reilly and associates//dtd html", "-//softquad",
        "-//spyglass//dtd html 2.0 extended//", "-//sq//dtd html 2.0 hotmetal + extensions//",
        "-//sun microsystems corp.//dtd hotjava", "-//w3c//dtd html 3", "-//w3c//dtd html 4.0 frameset//",
        "-//w3c//dtd html 4.0 transitional//", "-//w3c//dtd html experimental", "-//w3c//dtd w3 html//",
        "-//w3o//dtd w3 html 3.0//", "-//webtechs//dtd mozilla html"};
    for (const std::string_view k : kQuirkyIds)
      if (id == k) return;
    for (const std::string_view k : kQuirkyPrefixes)
      if (id.starts_with(k)) return;
    if (!has_system && (id.starts_with("-//w3c//dtd html 4.01 frameset//") ||
                        id.starts_with("-//w3c//dtd html 4.01 transitional//")))
      return;
    quirks_ = false;
  }

  // After "<!--": the comment ends at "-->" or "--!>" (any number of extra '-' before the '>'),
  // or at once with "<!-->" and "<!--->" (WHATWG HTML comment start, comment end, comment end
  // bang states; the nested-comment states only report errors).
  std::size_t comment(std::size_t p) {
    if (s_.compare(p, 1, ">") == 0) return p + 1;
    if (s_.compare(p, 2, "->") == 0) return p + 2;
    while (true) {
      const std::size_t q = s_.find("--", p);
      if (q == std::string_view::npos) return s_.size();
      std::size_t r = q + 2;
      while (r < s_.size() && s_[r] == '-') ++r;
      if (r < s_.size() && s_[r] == '>') return r + 1;
      if (r + 1 < s_.size() && s_[r] == '!' && s_[r + 1] == '>') return r + 2;
      p = r;
    }
  }

  // A tag whose name starts at s_[p]; returns where the data state resumes. The element's
  // content model then decides where the next tag can start.
  std::size_t tag(std::size_t p, bool end_tag) {
    const std::size_t n = s_.size();
    name_.clear();
    while (p < n && !is_space(s_[p]) && s_[p] != '/' && s_[p] != '>') {
      const char c = s_[p++];
      if (c == '\0')
        name_ += "\xEF\xBF\xBD";
      else
        name_ += ascii_lower(c);
    }
    bool self_closing = false;
    tag_ = tag_of(name_);
    name_hash_ = 0;
    if (tag_ == Tag::other) {
      name_hash_ = 0xcbf29ce484222325;  // FNV-1a
      for (const char c : name_) name_hash_ = (name_hash_ ^ static_cast<unsigned char>(c)) * 0x100000001b3;
    }
    // Only the elements that can matter keep their attributes.
    const bool keep = !end_tag && has(tag_, kKeep);
    p = attributes(p, keep, self_closing);
    if (p == std::string_view::npos) return n;  // EOF inside the tag: no token
    if (end_tag)
      end_tag_token();
    else
      start_tag_token(self_closing);
    return content(p);
  }

  // The attribute states from "before attribute name" to the tag's '>': returns the position
  // after it, or npos at EOF. With `keep`, attrs_ gets the attributes that are read (is_read).
  std::size_t attributes(std::size_t p, bool keep, bool& self_closing) {
    const std::size_t n = s_.size();
    attrs_.clear();
    buf_.clear();
    while (true) {
      // before attribute name (and after attribute name / after attribute value)
      while (p < n && is_space(s_[p])) ++p;
      if (p >= n) return std::string_view::npos;
      if (s_[p] == '>') return p + 1;
      if (s_[p] == '/') {  // self-closing start tag state
        ++p;
        if (p >= n) return std::string_view::npos;
        if (s_[p] == '>') {
          self_closing = true;
          return p + 1;
        }
        continue;  // reconsume in before attribute name
      }
      // attribute name: '=' is its first character if it comes first
      const std::size_t name_at = buf_.size();
      if (s_[p] == '=') {
        if (keep) buf_ += '=';
        ++p;
      }
      while (p < n && !is_space(s_[p]) && s_[p] != '/' && s_[p] != '>' && s_[p] != '=') {
        const char c = s_[p++];
        if (!keep) continue;
        if (c == '\0')
          buf_ += "\xEF\xBF\xBD";
        else
          buf_ += ascii_lower(c);
      }
      const std::size_t name_size = buf_.size() - name_at;
      // Only the attributes something reads are kept, the first of each name: at most ten, so
      // the duplicate check stays linear however many attributes a tag has.
      bool store = false;
      if (keep) {
        const std::string_view name(buf_.data() + name_at, name_size);
        store = is_read(name);
        for (const Attr& a : attrs_)
          if (store && std::string_view(buf_.data() + a.name_at, a.name_size) == name) store = false;
        if (!store) buf_.resize(name_at);
      }
      // after attribute name
      while (p < n && is_space(s_[p])) ++p;
      if (p >= n) return std::string_view::npos;
      const std::size_t value_at = buf_.size();
      if (s_[p] == '=') {
        ++p;
        while (p < n && is_space(s_[p])) ++p;
        if (p >= n) return std::string_view::npos;
        if (s_[p] == '"' || s_[p] == '\'') {
          const char quote = s_[p++];
          p = value(p, store, [quote](char c) { return c == quote; });
          if (p >= n) return std::string_view::npos;
          ++p;  // the quote; after attribute value (quoted) reconsumes like before attribute name
        } else if (s_[p] != '>') {
          p = value(p, store, [](char c) { return is_space(c) || c == '>'; });
          if (p >= n) return std::string_view::npos;
        }
      }
      if (store) attrs_.push_back({name_at, name_size, value_at, buf_.size() - value_at});
    }
  }

  // The attributes LinkCollector and the tree state look up.
  static bool is_read(std::string_view name) {
    switch (name.size()) {
      case 3: return name == "rel" || name == "src";
      case 4: return name == "href" || name == "name" || name == "face" || name == "size" || name == "type";
      case 5: return name == "color";
      case 7: return name == "content";
      case 8: return name == "encoding";
      case 10: return name == "http-equiv";
      default: return false;
    }
  }

  // An attribute value's bytes from s_[p] to the first that `ends` it (or EOF): decoded into
  // buf_ with `keep`. Returns the position of that byte.
  template <class Ends>
  std::size_t value(std::size_t p, bool keep, Ends ends) {
    const std::size_t n = s_.size();
    while (p < n) {
      const char c = s_[p];
      if (ends(c)) return p;
      ++p;
      if (!keep) continue;
      if (c == '&')
        p += char_ref_in_attribute(s_.substr(p), buf_);
      else if (c == '\0')
        buf_ += "\xEF\xBF\xBD";
      else if (c == '\r') {  // input preprocessing: CR LF and CR are LF
        buf_ += '\n';
        if (p < n && s_[p] == '\n' && !ends('\n')) ++p;
      } else
        buf_ += c;
    }
    return p;
  }

  std::optional<std::string_view> attribute(std::string_view wanted) const {
    for (const Attr& a : attrs_)
      if (std::string_view(buf_.data() + a.name_at, a.name_size) == wanted)
        return std::string_view(buf_.data() + a.value_at, a.value_size);
    return std::nullopt;
  }

  void element(Tag t) {
    if (has(t, kLink)) links_.element(kTags[static_cast<std::size_t>(t)].name, [this](const char* wanted) { return attribute(wanted); });
  }

  // Is `o` the element `t` (of HTML, unless `ns` says otherwise)?
  bool is(const Open& o, Tag t, Ns ns = Ns::html) const { return o.tag == t && o.ns == ns; }

  // Does `o` close with the current end tag?
  bool closes(const Open& o) const { return o.tag == tag_ && o.name_hash == name_hash_; }

  // --- Tree state ---

  static constexpr std::size_t kMaxDepth = 512;

  bool in_foreign() const { return !stack_.empty() && stack_.back().ns != Ns::html; }

  // Pushes an element, or counts it as untracked past kMaxDepth. `self_closing`: popped at once.
  void push(Ns ns, bool self_closing = false) {
    if (stack_.size() >= kMaxDepth) {  // deeper elements are not tracked (see the file comment)
      if (!self_closing) ++untracked_;
      return;
    }
    if (self_closing) return;
    stack_.emplace_back();
    Open& o = stack_.back();
    o.tag = tag_;
    o.name_hash = name_hash_;
    o.ns = ns;
    count(o, 1);
    if (ns == Ns::svg) o.html_integration = tag_ == Tag::foreignobject || tag_ == Tag::desc || tag_ == Tag::title;
    if (ns == Ns::math) {
      o.text_integration =
          tag_ == Tag::mi || tag_ == Tag::mo || tag_ == Tag::mn || tag_ == Tag::ms || tag_ == Tag::mtext;
      if (tag_ == Tag::annotation_xml)
        if (const auto enc = attribute("encoding"))
          o.html_integration = ascii_iequals(*enc, "text/html") || ascii_iequals(*enc, "application/xhtml+xml");
    }
  }

  void pop_to(std::size_t i) {
    for (std::size_t j = i; j < stack_.size(); ++j) count(stack_[j], -1);
    stack_.resize(i);
  }

  void count(const Open& o, int d) {
    if (o.ns != Ns::html) return;
    if (o.tag == Tag::select) selects_ += d;
    if (o.tag == Tag::template_) templates_ += d;
    if (o.tag == Tag::p) ps_ += d;
  }

  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  // Where the open select is when it is nearer than any template (HTML's "in select" insertion
  // mode), else kNone.
  std::size_t select_at() const {
    if (selects_ == 0) return kNone;
    for (std::size_t i = stack_.size(); i-- > 0;) {
      const Open& o = stack_[i];
      if (o.ns != Ns::html) continue;
      if (o.tag == Tag::select) return i;
      if (o.tag == Tag::template_) return kNone;
    }
    return kNone;
  }

  // "In select in table": the select was opened inside a table.
  bool select_in_table(std::size_t select) const {
    for (std::size_t i = select; i-- > 0;) {
      const Open& o = stack_[i];
      if (o.ns != Ns::html) continue;
      if (o.tag == Tag::table) return true;
      if (o.tag == Tag::template_) return false;
    }
    return false;
  }

  void start_tag_token(bool self_closing) {
    if (!in_foreign()) return html_start(self_closing);
    const Open& top = stack_.back();
    if ((top.text_integration && tag_ != Tag::mglyph && tag_ != Tag::malignmark) ||
        (is(top, Tag::annotation_xml, Ns::math) && tag_ == Tag::svg) || top.html_integration)
      return html_start(self_closing);
    foreign_start(self_closing);
  }

  // "The rules for parsing tokens in foreign content", start tags.
  void foreign_start(bool self_closing) {
    const bool breakout = has(tag_, kBreakout) || (tag_ == Tag::font && (attribute("color") || attribute("face") ||
                                                                         attribute("size")));
    if (breakout) {
      while (in_foreign() && !stack_.back().text_integration && !stack_.back().html_integration)
        pop_to(stack_.size() - 1);
      return html_start(self_closing);
    }
    const Ns ns = stack_.back().ns;
    if (ns == Ns::svg && tag_ == Tag::a) element(Tag::a);  // SVG 2's <a href> is a hyperlink
    push(ns, self_closing);
  }

  void html_start(bool self_closing) {
    const Tag t = tag_;
    next_ = Content::data;
    if (frameset_) {  // "in frameset" / "after frameset": only these make elements
      if (t == Tag::frameset && framesets_ > 0) ++framesets_;
      if (t == Tag::frame && framesets_ > 0) element(t);
      if (t == Tag::noframes) raw(Content::rawtext);
      return;
    }
    if (const std::size_t select = select_at(); select != kNone) {
      if (t == Tag::select || t == Tag::input || t == Tag::keygen || t == Tag::textarea ||
          (has(t, kTablePart) && select_in_table(select))) {
        pop_to(select);
        if (t == Tag::select) return;
        // the others: reprocessed by the insertion mode the select was opened in, below
      } else {
        if (t == Tag::script) raw(Content::script);
        if (t == Tag::template_) push(Ns::html);
        return;
      }
    }
    if (!stack_.empty() && is(stack_.back(), Tag::template_)) {
      Open& tp = stack_.back();
      // Head elements keep "in template" (html, head and noscript do not)
      if (!tp.template_started && (!has(t, kHead) || t == Tag::html || t == Tag::head || t == Tag::noscript)) {
        tp.template_started = true;
        tp.template_columns = t == Tag::col;
      }
      if (tp.template_columns && t != Tag::col && t != Tag::template_) return;
    }
    if (t == Tag::body) {
      before_body_ = false;
      frameset_ok_ = false;
      return;
    }
    if (t == Tag::frameset) {
      if (templates_ > 0) return;
      if (!before_body_ && frameset_ok_ && body_start_) links_ = *body_start_;  // the body is removed
      if (before_body_ || frameset_ok_) {
        frameset_ = true;
        framesets_ = 1;
      }
      return;
    }
    if (before_body_ && !has(t, kHead)) start_body();
    // Table parts outside a table ("in body"): parse errors, ignored.
    if ((has(t, kTablePart) && t != Tag::table) || t == Tag::col || t == Tag::colgroup)
      if (!table_context()) return;
    if (t == Tag::frame) return;  // in body: ignored
    // One form at a time; <isindex> makes one, so not inside another either.
    if ((t == Tag::form || t == Tag::isindex) && form_open_ && templates_ == 0) return;
    if (has(t, kClosesP) || (t == Tag::table && !quirks_)) close_p();
    implied_ends(t);
    if (frameset_ok_) {
      if (has(t, kNotOk)) frameset_ok_ = false;
      if (t == Tag::input) {
        const auto type = attribute("type");
        if (!type || !ascii_iequals(*type, "hidden")) frameset_ok_ = false;
      }
    }
    element(t);
    switch (t) {
      case Tag::title:
      case Tag::textarea: return raw(Content::rcdata);
      case Tag::style:
      case Tag::xmp:
      case Tag::iframe:
      case Tag::noembed:
      case Tag::noframes: return raw(Content::rawtext);
      case Tag::script: return raw(Content::script);
      case Tag::plaintext: return raw(Content::plaintext);
      case Tag::svg: return push(Ns::svg, self_closing);
      case Tag::math: return push(Ns::math, self_closing);
      case Tag::html:
      case Tag::head: return;  // always open, below everything
      default: break;
    }
    if (has(t, kVoid)) return;
    if (t == Tag::form) {
      if (templates_ == 0) form_open_ = true;
      // In a table (not in a cell) a form is inserted and at once popped.
      if (!stack_.empty() && stack_.back().ns == Ns::html &&
          (stack_.back().tag == Tag::table || stack_.back().tag == Tag::tbody || stack_.back().tag == Tag::thead ||
           stack_.back().tag == Tag::tfoot || stack_.back().tag == Tag::tr))
        return;
    }
    push(Ns::html);
  }

  // The body starts (implied by a start tag, text or an end tag that does not belong in the
  // head): a <frameset> while frameset-ok holds would take its place, and with it what it holds.
  void start_body() {
    if (templates_ > 0) return;  // template contents in the head
    before_body_ = false;
    if (frameset_ok_) body_start_ = links_;
    // "in head noscript": a tag that does not belong there pops the noscript
    if (!stack_.empty() && is(stack_.back(), Tag::noscript)) pop_to(stack_.size() - 1);
  }

  // The elements whose end tag may be left out that a start tag closes (li, dd, dt, option, tr,
  // td, th), roughly: they only need closing to keep the stack shallow.
  void implied_ends(Tag t) {
    if (stack_.empty()) return;
    if (t == Tag::option && is(stack_.back(), Tag::option)) return pop_to(stack_.size() - 1);
    Tag a = Tag::other, b = Tag::other, stop = Tag::other;
    switch (t) {
      case Tag::li: a = Tag::li; break;
      case Tag::dd:
      case Tag::dt: a = Tag::dd, b = Tag::dt, stop = Tag::dl; break;
      case Tag::tr: a = Tag::tr, stop = Tag::table; break;
      case Tag::td:
      case Tag::th: a = Tag::td, b = Tag::th, stop = Tag::tr; break;
      default: return;
    }
    for (std::size_t i = stack_.size(); i-- > 0;) {
      const Open& o = stack_[i];
      if (o.ns != Ns::html) {
        if (o.html_integration || o.text_integration) return;
        continue;
      }
      if (o.tag == a || (b != Tag::other && o.tag == b)) return pop_to(i);
      if ((stop != Tag::other && o.tag == stop) || o.tag == Tag::template_ || o.tag == Tag::ul || o.tag == Tag::ol ||
          (t != Tag::tr && o.tag == Tag::table) || (has(o.tag, kScope) && t != Tag::td && t != Tag::th))
        return;
    }
  }

  // Is an HTML element `t` open below stack_[from], in table scope?
  bool in_table_scope(std::size_t from, Tag t) const {
    for (std::size_t i = from; i-- > 0;) {
      const Open& o = stack_[i];
      if (o.ns != Ns::html) continue;
      if (o.tag == t) return true;
      if (o.tag == Tag::table || o.tag == Tag::template_ || o.tag == Tag::html) return false;
    }
    return false;
  }

  // Is a table (or a template, which may hold table parts) open nearer than the document?
  bool table_context() const {
    for (std::size_t i = stack_.size(); i-- > 0;) {
      const Open& o = stack_[i];
      if (o.ns != Ns::html) continue;
      if (o.tag == Tag::table || o.tag == Tag::template_) return true;
    }
    return false;
  }

  // "Close a p element" if one is in button scope.
  void close_p() {
    if (ps_ == 0) return;
    for (std::size_t i = stack_.size(); i-- > 0;) {
      const Open& o = stack_[i];
      if (o.ns != Ns::html) {
        if (o.html_integration || o.text_integration) return;
        continue;
      }
      if (o.tag == Tag::p) return pop_to(i);
      if (o.tag == Tag::button || o.tag == Tag::template_ || has(o.tag, kScope)) return;
    }
  }

  void raw(Content c) {
    next_ = c;
    raw_name_ = name_;
  }

  void end_tag_token() {
    next_ = Content::data;
    if (in_foreign()) {
      // "Any other end tag" in foreign content: the nearest foreign element of that name, unless
      // an HTML element comes first: then HTML's rules.
      for (std::size_t i = stack_.size(); i-- > 0;) {
        if (stack_[i].ns == Ns::html) break;
        if (closes(stack_[i])) return pop_to(i);
      }
    }
    html_end();
  }

  // An end tag by HTML's rules, roughly: closes the nearest element of its name, unless a
  // scope boundary comes first (template, table cells and the like, integration points).
  void html_end() {
    if (untracked_ > 0) {  // inside elements too deep to track: they close first
      --untracked_;
      return;
    }
    const Tag t = tag_;
    if (frameset_) {
      if (t == Tag::frameset && framesets_ > 0) --framesets_;  // 0: "after frameset"
      return;
    }
    if (const std::size_t select = select_at(); select != kNone) {  // "in select" end tags
      if (t == Tag::select || (has(t, kTablePart) && select_in_table(select) && in_table_scope(select, t)))
        pop_to(select);
      else if (t != Tag::template_)
        return;  // option and optgroup close nothing that matters here
      if (t == Tag::select) return;
    }
    if (before_body_ && (t == Tag::body || t == Tag::html || t == Tag::br)) start_body();
    if (t == Tag::template_) {  // closes the nearest template, whatever is open in it
      for (std::size_t i = stack_.size(); i-- > 0;)
        if (is(stack_[i], Tag::template_)) return pop_to(i);
      return;
    }
    if (t == Tag::form && templates_ == 0) {  // removes the form alone from the stack
      form_open_ = false;
      for (std::size_t i = stack_.size(); i-- > 0;) {
        const Open& o = stack_[i];
        if (is(o, Tag::form)) {
          stack_.erase(stack_.begin() + static_cast<std::ptrdiff_t>(i));
          return;
        }
        if (o.ns != Ns::html ? (o.html_integration || o.text_integration) : has(o.tag, kScope)) return;
      }
      return;
    }
    // Table parts end in table scope, which only html and template bound; other special
    // elements in scope; any other end tag stops at the first special element.
    const bool table_part = has(t, kTablePart);
    const std::uint32_t stops = table_part ? 0u : has(t, kSpecial) ? std::uint32_t{kScope} : std::uint32_t{kSpecial};
    for (std::size_t i = stack_.size(); i-- > 0;) {
      const Open& o = stack_[i];
      if (o.ns == Ns::html && closes(o)) return pop_to(i);
      if (o.ns != Ns::html ? (!table_part && (o.html_integration || o.text_integration))
                           : (o.tag == Tag::template_ || has(o.tag, stops)))
        return;
    }
  }

  // Where the data state resumes after a tag that ended at p.
  std::size_t content(std::size_t p) {
    const Content c = next_;
    next_ = Content::data;
    switch (c) {
      case Content::data: return p;
      case Content::plaintext: return s_.size();
      case Content::rcdata:
      case Content::rawtext: return raw_text(p);
      case Content::script: return script_data(p);
    }
    return p;
  }

  // s_[p] starts "</" + the appropriate end tag's name + whitespace, '/' or '>'?
  bool appropriate_end_tag(std::size_t p) const {
    const std::size_t k = raw_name_.size();
    if (p + 2 + k >= s_.size() || s_[p + 1] != '/') return false;
    for (std::size_t i = 0; i < k; ++i)
      if (ascii_lower(s_[p + 2 + i]) != raw_name_[i]) return false;
    const char c = s_[p + 2 + k];
    return is_space(c) || c == '/' || c == '>';
  }

  // RCDATA / RAWTEXT up to the appropriate end tag, which is then read as a tag.
  std::size_t raw_text(std::size_t p) {
    while (true) {
      const std::size_t lt = s_.find('<', p);
      if (lt == std::string_view::npos) return s_.size();
      if (appropriate_end_tag(lt)) return tag(lt + 2, true);
      p = lt + 1;
    }
  }

  // Script data, escaped ("<!--") and double-escaped ("<!--" … "<script>") included.
  std::size_t script_data(std::size_t p) {
    const std::size_t n = s_.size();
    enum { plain, escaped, double_escaped } state = plain;
    while (p < n) {
      if (state == plain) {
        const std::size_t lt = s_.find('<', p);
        if (lt == std::string_view::npos) return n;
        if (appropriate_end_tag(lt)) return tag(lt + 2, true);
        if (s_.compare(lt, 4, "<!--") == 0) {
          state = escaped;
          p = lt + 4;
          // script data escaped dash dash: '-'s, then '>' ends the escape
          while (p < n && s_[p] == '-') ++p;
          if (p < n && s_[p] == '>') {
            state = plain;
            ++p;
          }
          continue;
        }
        p = lt + 1;
        continue;
      }
      // escaped / double escaped: "-->" ends both, '<' may start a tag name
      const char c = s_[p];
      if (c == '-') {
        std::size_t q = p;
        while (q < n && s_[q] == '-') ++q;
        if (q - p >= 2 && q < n && s_[q] == '>') {
          state = plain;
          p = q + 1;
        } else {
          p = q;
        }
        continue;
      }
      if (c != '<') {
        ++p;
        continue;
      }
      if (state == escaped) {
        if (appropriate_end_tag(p)) return tag(p + 2, true);
        // script data double escape start: "<script" + space, '/' or '>'
        if (p + 7 < n && ascii_iequals(s_.substr(p + 1, 6), "script") &&
            (is_space(s_[p + 7]) || s_[p + 7] == '/' || s_[p + 7] == '>')) {
          state = double_escaped;
          p += 8;
          continue;
        }
        ++p;
        continue;
      }
      // double escaped: "</script" + space, '/' or '>' goes back to escaped
      if (p + 8 < n && s_[p + 1] == '/' && ascii_iequals(s_.substr(p + 2, 6), "script") &&
          (is_space(s_[p + 8]) || s_[p + 8] == '/' || s_[p + 8] == '>')) {
        state = escaped;
        p += 9;
        continue;
      }
      ++p;
    }
    return n;
  }

  // Text in the data state: while frameset-ok holds, non-whitespace text ends it (and the head).
  void text(std::string_view t) {
    for (const char c : t)
      if (!is_space(c) && c != '\0') {
        if (before_body_) start_body();
        frameset_ok_ = false;
        return;
      }
  }

  std::string_view s_;
  detail::LinkCollector& links_;
  // The current tag, reused from tag to tag.
  std::string name_;
  Tag tag_ = Tag::other;
  std::uint64_t name_hash_ = 0;  // of name_, for Tag::other (Open::name_hash)
  std::string buf_;  // attribute names and values
  std::vector<Attr> attrs_;
  // The tokenizer state the last start tag asked for, and the name that ends it.
  Content next_ = Content::data;
  std::string raw_name_;
  // Tree state.
  std::vector<Open> stack_;
  std::size_t untracked_ = 0;  // open elements past kMaxDepth
  // Open select, template and p elements of HTML: most pages have none.
  int selects_ = 0;
  int templates_ = 0;
  int ps_ = 0;
  bool before_body_ = true;
  bool frameset_ok_ = true;
  bool frameset_ = false;
  int framesets_ = 0;        // open framesets: none left is "after frameset", where <frame> is ignored
  bool form_open_ = false;  // HTML's "form element pointer" is set
  bool doctype_seen_ = false;
  bool quirks_ = true;  // until a DOCTYPE says otherwise
  std::optional<detail::LinkCollector> body_start_;  // what was collected before the body
};

}  // namespace

PageLinks extract_page_links_html5(std::string_view html, std::string_view page_url,
                                   std::string_view robots_token, std::string_view charset) {
  std::string storage;
  const std::string_view text = detail::decode_page(html, charset, storage);
  detail::LinkCollector links(robots_token);
  try {
    Extractor(text, links).run();
  } catch (const std::bad_alloc&) {  // out of memory: the page loses links, the crawl goes on
  }
  return links.finish(page_url);
}

}  // namespace crawl
