// The default link extractor (extract_page_links, libxml2) and our HTML5 tokenizer
// (extract_page_links_html5) against the HTML5 reference (extract_page_links_gumbo,
// gumbo's tree) on (a) the html5lib tokenizer and
// tree-construction cases, each as a document, with a probe link after every
// tag of it, and (for the tokenizer's inputs) as the value of an href, and
// (b) the HTML pages of Debian documentation packages under /usr/share/doc.
// Every difference fails the test unless an exception below, named and argued,
// covers it. The corpus test also prints each extractor's MB/s.
//
// Reproduce the figures (a Release build):
//   cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
//   cmake --build build -j2 --target links_differential_test
//   build/tests/links_differential_test --gtest_filter='*Html5*:*Debian*'
// (measured on 2 busy cores: fast ~57, html5 ~195, gumbo ~17 MB/s of CPU time).
#include "web/charset.h"
#include "web/links.h"
#include "tests/test_util.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace crawl {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kPage = "http://127.0.0.1/dir/page.html";

struct Case {
  std::string name;  // file and position, to find it again
  std::string html;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path html5lib_dir() { return fs::path(CRAWL_SOURCE_DIR) / "tests" / "data" / "html5lib"; }

// The whole-document inputs of a tree-construction .dat file: the text between "#data" and
// the next "#errors" (its last newline is the format's), unless the case is a fragment or
// needs scripting on.
std::vector<Case> tree_construction_cases(const fs::path& file) {
  std::vector<Case> out;
  const std::string text = read_file(file);
  std::size_t at = 0;
  int index = 0;
  while ((at = text.find("#data\n", at)) != std::string::npos) {
    const std::size_t begin = at + 6;
    const std::size_t errors = text.find("\n#errors", begin - 1);
    if (errors == std::string::npos) break;
    const std::size_t next = text.find("\n#data\n", errors);
    const std::string_view rest(text.data() + errors, (next == std::string::npos ? text.size() : next) - errors);
    ++index;
    if (rest.find("#document-fragment") == std::string_view::npos && rest.find("#script-on") == std::string_view::npos)
      out.push_back({file.filename().string() + "#" + std::to_string(index),
                     text.substr(begin, errors >= begin ? errors - begin : 0)});
    at = errors;
  }
  return out;
}

// A "doubleEscaped" input's \uXXXX escapes, decoded.
std::string unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 5 < s.size() + 0 && s[i + 1] == 'u') {
      append_utf8(out, static_cast<std::uint32_t>(std::stoul(std::string(s.substr(i + 2, 4)), nullptr, 16)));
      i += 5;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The inputs of a tokenizer .test file.
std::vector<Case> tokenizer_cases(const fs::path& file) {
  std::vector<Case> out;
  const boost::json::value json = boost::json::parse(read_file(file));
  const auto* tests = json.as_object().if_contains("tests");
  if (tests == nullptr) return out;  // xmlViolation.test has "xmlViolationTests" only
  int index = 0;
  for (const auto& t : tests->as_array()) {
    const auto& o = t.as_object();
    std::string input(o.at("input").as_string());
    if (const auto* d = o.if_contains("doubleEscaped"); d && d->as_bool()) input = unescape(input);
    out.push_back({file.filename().string() + "#" + std::to_string(++index), std::move(input)});
  }
  return out;
}

// What is compared: the followable and nofollow links in order and the robots flags.
std::string describe(const PageLinks& p) {
  std::string s = "links:";
  for (const auto& l : p.links) s += " " + l;
  s += "\nnofollow:";
  for (const auto& l : p.nofollow_links) s += " " + l;
  s += std::string("\nmeta nofollow=") + (p.meta_nofollow ? "1" : "0") + " noindex=" + (p.meta_noindex ? "1" : "0");
  return s;
}

bool same(const PageLinks& a, const PageLinks& b) {
  return a.links == b.links && a.nofollow_links == b.nofollow_links && a.meta_nofollow == b.meta_nofollow &&
         a.meta_noindex == b.meta_noindex;
}

// A difference the test accepts: its name, why, and which differences it covers.
struct Exception {
  std::string name;
  std::string why;
  std::function<bool(std::string_view html, const PageLinks& tested, const PageLinks& gumbo)> covers;
};

using Extract = PageLinks (*)(std::string_view html, std::string_view page_url, std::string_view robots_token,
                              std::string_view charset);

// One extractor under test, with the differences from gumbo it is allowed.
struct Tested {
  const char* name;
  Extract extract;
  const std::vector<Exception>& exceptions;
};

// The libxml2 extractor: none (its html5lib tests are DISABLED, see below).
const std::vector<Exception>& libxml2_exceptions() {
  static const std::vector<Exception> list = {};
  return list;
}

const Tested kLibxml2{"libxml2", &extract_page_links, libxml2_exceptions()};

// `html` with what gumbo's input reader (utf8.c) reads as U+FFFD replaced by it: the code points
// HTML calls "control" (but whitespace and NUL) or "noncharacter".
std::string gumbo_replaced(std::string_view html) {
  std::string out;
  for (std::size_t i = 0; i < html.size();) {
    const auto b = static_cast<unsigned char>(html[i]);
    std::uint32_t c = b;
    std::size_t n = 1;
    if (b >= 0xC0 && b < 0xE0 && i + 1 < html.size()) {
      c = ((b & 0x1Fu) << 6) | (html[i + 1] & 0x3F);
      n = 2;
    } else if (b >= 0xE0 && b < 0xF0 && i + 2 < html.size()) {
      c = ((b & 0x0Fu) << 12) | ((html[i + 1] & 0x3Fu) << 6) | (html[i + 2] & 0x3F);
      n = 3;
    } else if (b >= 0xF0 && i + 3 < html.size()) {
      c = ((b & 0x07u) << 18) | ((html[i + 1] & 0x3Fu) << 12) | ((html[i + 2] & 0x3Fu) << 6) | (html[i + 3] & 0x3F);
      n = 4;
    }
    const bool invalid = (c >= 0x1 && c <= 0x8) || c == 0xB || (c >= 0xE && c <= 0x1F) || (c >= 0x7F && c <= 0x9F) ||
                         (c >= 0xFDD0 && c <= 0xFDEF) || (c & 0xFFFF) == 0xFFFE || (c & 0xFFFF) == 0xFFFF;
    if (invalid)
      out += "\xEF\xBF\xBD";
    else
      out.append(html.substr(i, n));
    i += n;
  }
  return out;
}

// A numeric character reference whose value does not fit in an int.
bool has_overflowing_numeric_reference(std::string_view html) {
  for (std::size_t at = html.find("&#"); at != std::string_view::npos; at = html.find("&#", at + 1)) {
    std::size_t i = at + 2;
    const bool hex = i < html.size() && (html[i] == 'x' || html[i] == 'X');
    if (hex) ++i;
    unsigned long long value = 0;
    for (; i < html.size() && std::isxdigit(static_cast<unsigned char>(html[i])); ++i) {
      if (!hex && !std::isdigit(static_cast<unsigned char>(html[i]))) break;
      value = value * (hex ? 16 : 10) + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(html[i]))
                                                                   ? html[i] - '0'
                                                                   : (html[i] | 0x20) - 'a' + 10);
      if (value > 0x7FFFFFFF) return true;
    }
  }
  return false;
}

// A start tag of `html` that repeats an attribute without a value ("<a x x href=…>").
bool has_repeated_valueless_attribute(std::string_view html) {
  for (std::size_t at = html.find('<'); at != std::string_view::npos; at = html.find('<', at + 1)) {
    const std::size_t end = html.find('>', at);
    if (end == std::string_view::npos) break;
    std::set<std::string> names;
    std::string word;
    bool value = false;
    for (std::size_t i = at + 1; i <= end; ++i) {
      const char c = i < end ? html[i] : ' ';
      if (c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == '/' || c == '"' || c == '\'') {
        if (!word.empty() && !value && !names.insert(word).second) return true;
        word.clear();
        value = false;
      } else if (c == '=') {
        value = true;
      } else if (c != '\0') {
        word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
    }
  }
  return false;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The same links in another order.
bool same_but_order(PageLinks a, PageLinks b) {
  for (auto* p : {&a, &b}) {
    std::sort(p->links.begin(), p->links.end());
    std::sort(p->nofollow_links.begin(), p->nofollow_links.end());
  }
  return same(a, b);
}

// The HTML5 tokenizer follows the WHATWG standard where gumbo 0.10 departs from it, and leaves
// to gumbo what only full tree construction decides.
const std::vector<Exception>& html5_exceptions() {
  static const std::vector<Exception> list = {
      {"gumbo-replaces-control-characters",
       "gumbo's input reader turns controls (U+0001-0008, U+000B, U+000E-001F, U+007F-009F) and noncharacters "
       "into U+FFFD; the standard (\"preprocessing the input stream\") and browsers keep them, reporting a parse "
       "error only. Covered when the input with them replaced gives gumbo's links.",
       [](std::string_view html, const PageLinks&, const PageLinks& gumbo) {
         const std::string replaced = gumbo_replaced(html);
         return replaced != html && same(extract_page_links_html5(replaced, kPage, "crawlbot", "utf-8"), gumbo);
       }},
      {"gumbo-numeric-reference-overflow",
       "gumbo's char_ref.c adds up a numeric character reference's digits in an int without a bound, so "
       "&#11111111111; wraps around (to U+00C7); the standard reads any value past U+10FFFF as U+FFFD.",
       [](std::string_view html, const PageLinks&, const PageLinks&) { return has_overflowing_numeric_reference(html); }},
      {"gumbo-repeated-valueless-attribute",
       "gumbo, with max_errors = 0 as links_gumbo.cpp sets it, drops a repeated attribute that has no value but "
       "not its name: the next attribute's name is glued to it (<a x x href=/r> gives x and \"xhref\"), so the "
       "link is lost. The standard drops the duplicate alone.",
       [](std::string_view html, const PageLinks&, const PageLinks&) { return has_repeated_valueless_attribute(html); }},
      {"foster-parenting-order",
       "Content misplaced in a <table> is foster-parented: moved before the table in the tree, so gumbo's tree order "
       "lists its links before the table's. Document order, which a streaming extractor gives, is the order of the "
       "contract (links.h); the links are the same.",
       [](std::string_view html, const PageLinks& tested, const PageLinks& gumbo) {
         return lowercase(html).find("<table") != std::string::npos && same_but_order(tested, gumbo);
       }},
  };
  return list;
}

const Tested kHtml5{"html5", &extract_page_links_html5, html5_exceptions()};

struct Differences {
  int cases = 0;
  int differing = 0;
  std::map<std::string, int> excepted;  // by exception name
  std::vector<std::string> unexplained;
};

void compare(const Tested& t, const Case& c, Differences& d) {
  ++d.cases;
  const PageLinks tested = t.extract(c.html, kPage, "crawlbot", "utf-8");
  const PageLinks gumbo = extract_page_links_gumbo(c.html, kPage, "crawlbot", "utf-8");
  // The oracle is gumbo's tree: a case its depth guard sent to html5 would compare html5 with itself.
  EXPECT_FALSE(gumbo.read_without_tree) << c.name;
  if (same(tested, gumbo)) return;
  ++d.differing;
  for (const auto& e : t.exceptions)
    if (e.covers(c.html, tested, gumbo)) {
      ++d.excepted[e.name];
      return;
    }
  d.unexplained.push_back(c.name + "\n--- input:\n" + c.html.substr(0, 600) + "\n--- " + t.name + ":\n" +
                          describe(tested) + "\n--- gumbo:\n" + describe(gumbo));
}

void report(const std::string& what, const Differences& d) {
  std::printf("%s: %d documents, %d differ, %zu unexplained\n", what.c_str(), d.cases, d.differing,
              d.unexplained.size());
  for (const auto& [name, n] : d.excepted) std::printf("  exception %s: %d\n", name.c_str(), n);
  std::fflush(stdout);
  for (std::size_t i = 0; i < d.unexplained.size() && i < 40; ++i) ADD_FAILURE() << d.unexplained[i];
  if (const char* dump = std::getenv("CRAWL_LINKS_DIFF_DUMP")) {  // every one, to study them
    std::ofstream out(std::string(dump) + "." + what, std::ios::binary);
    for (const auto& u : d.unexplained) out << "=== " << u << "\n";
  }
  EXPECT_TRUE(d.unexplained.empty()) << d.unexplained.size() << " unexplained differences in " << what;
}

// Documents made of `html`: itself, then with a probe link after each of its tags and at its
// end (where a tag, comment or raw-text element that did not end would swallow it).
void compare_with_probes(const Tested& t, const Case& c, Differences& d) {
  compare(t, c, d);
  static const std::string kProbe = "<a href=/probe>";
  for (std::size_t at = c.html.find('>'); at != std::string::npos; at = c.html.find('>', at + 1))
    compare(t, {c.name + " probe@" + std::to_string(at + 1), c.html.substr(0, at + 1) + kProbe + c.html.substr(at + 1)},
            d);
  compare(t, {c.name + " probe@end", c.html + kProbe}, d);
}

void html5lib_tree_construction(const Tested& t) {
  Differences d;
  for (const auto& entry : fs::directory_iterator(html5lib_dir() / "tree-construction"))
    if (entry.path().extension() == ".dat")
      for (const auto& c : tree_construction_cases(entry.path())) compare_with_probes(t, c, d);
  EXPECT_GT(d.cases, 5000);
  report(std::string(t.name) + " html5lib tree-construction", d);
}

void html5lib_tokenizer(const Tested& t) {
  Differences d;
  for (const auto& entry : fs::directory_iterator(html5lib_dir() / "tokenizer"))
    if (entry.path().extension() == ".test")
      for (const auto& c : tokenizer_cases(entry.path())) {
        compare_with_probes(t, c, d);
        // The input as an attribute value: character references, quotes, NULs in values.
        compare(t, {c.name + " in href=\"\"", "<a href=\"/" + c.html + "\">"}, d);
        compare(t, {c.name + " in href=''", "<a href='/" + c.html + "'>"}, d);
        compare(t, {c.name + " in href=", "<a href=/" + c.html + ">"}, d);
        compare(t, {c.name + " in rel", "<a rel=\"" + c.html + "\" href=/r>"}, d);
      }
  EXPECT_GT(d.cases, 10000);
  report(std::string(t.name) + " html5lib tokenizer", d);
}

// DISABLED while the default extractor is libxml2's HTML 4 parser: on these cases it differs
// from gumbo in 1,454 of 9,911 documents (tree construction, with probes) and 6,827 of 41,491
// (tokenizer inputs as documents and in attribute values). Among those seen: numeric character
// references 128-159 in an href (HTML maps them through windows-1252, libxml2 does not); a named
// reference followed by '=' in an attribute value ("&lang=", which HTML leaves as text); "<!--"
// inside <textarea> (text in HTML, a comment to libxml2); <math>'s <a> (not a hyperlink); links
// after "</html>" behind unclosed <ruby> children (lost by libxml2). Not yet sorted into named
// exceptions: these two tests are the acceptance test of the HTML5 tokenizer meant to replace
// libxml2 (issue 13, goal 3), and run enabled for it below. Run them with
// --gtest_also_run_disabled_tests; CRAWL_LINKS_DIFF_DUMP=/tmp/diff writes every difference to
// /tmp/diff.<what>.
TEST(LinksDifferential, DISABLED_Html5libTreeConstruction) { html5lib_tree_construction(kLibxml2); }

// DISABLED with the one above, for the same reason.
TEST(LinksDifferential, DISABLED_Html5libTokenizer) { html5lib_tokenizer(kLibxml2); }

// Our HTML5 tokenizer (links_html5.cpp): enabled, every difference from gumbo named.
TEST(LinksDifferential, Html5Html5libTreeConstruction) { html5lib_tree_construction(kHtml5); }

TEST(LinksDifferential, Html5Html5libTokenizer) { html5lib_tokenizer(kHtml5); }

// Tag soup: documents of 1 to 12 pieces drawn (with a fixed seed) from the markup the tree
// state handles — foreign content and integration points, template, select, tables, frameset,
// raw text, comments, CDATA, base and meta — then a probe link. The formatting elements' end
// tags (</a>, </b>, …) are left out: they run the adoption agency algorithm, which only full
// tree construction follows.
TEST(LinksDifferential, Html5GeneratedTagSoup) {
  static const std::vector<std::string> pieces = {
      "<a href=/1>", "<a href=/2>", "<a href=/3 rel=nofollow>", "<svg>", "</svg>", "<math>", "</math>", "<mi>",
      "</mi>", "<math><mtext>", "<foreignObject>", "</foreignObject>", "<desc>", "<g>", "</g>",
      "<annotation-xml encoding=text/html>", "</annotation-xml>", "<p>", "</p>", "<div>", "</div>", "<table>",
      "</table>", "<table><tr><td>", "<tr>", "<td>", "</td>", "<th>", "<caption>", "<tbody>", "<thead>", "<tfoot>",
      "<colgroup>", "<col>", "<select>", "</select>", "<option>", "<optgroup>", "<template>", "</template>",
      "<frameset>", "</frameset>", "<frame src=/f>", "<noframes>", "</noframes>", "<html>", "</html>", "<head>",
      "</head>", "<body>", "</body>", "<!doctype html>", "<title>", "</title>", "<textarea>", "</textarea>",
      "<style>", "</style>", "<script>", "</script>", "<xmp>", "</xmp>", "<iframe src=/i>", "</iframe>",
      "<noscript>", "</noscript>", "<plaintext>", "<!--", "-->", "<![CDATA[", "]]>", "x", " ",
      "<base href=http://127.0.0.9/b/>", "<meta name=robots content=nofollow>", "<area href=/ar>", "<b>", "<nobr>",
      "<li>", "<ul>", "<dd>", "<dt>", "<dl>", "<h1>", "<menu>", "<span>", "<button>", "<object>", "</object>",
      "<applet>", "<marquee>", "<form>", "</form>", "<input>", "<keygen>", "<isindex>", "<image>", "<hr>", "<br>",
      "</br>", "<embed>", "<ruby>", "<rt>"};
  static const std::vector<Exception> exceptions = [] {
    std::vector<Exception> list = html5_exceptions();
    list.push_back(
        {"table-insertion-modes",
         "The table insertion modes (in table, in table body, in row, in cell, in caption, in column group, and a "
         "template's, chosen by its first tag) decide how later tags are read (a <select> in a cell, a <form> in "
         "a table, table parts in a template); the extractor approximates them by the open elements. Covered "
         "when the document has a table part.",
         [](std::string_view html, const PageLinks&, const PageLinks&) {
           for (const char* tag : {"<table", "<caption", "<colgroup", "<col>", "<tbody", "<thead", "<tfoot", "<tr",
                                   "<td", "<th>"})
             if (html.find(tag) != std::string_view::npos) return true;
           return false;
         }});
    return list;
  }();
  const Tested soup{"html5", &extract_page_links_html5, exceptions};
  std::mt19937 random(13);  // fixed: the same documents every run
  Differences d;
  // A quarter of the documents in the sanitizer builds (the same first ones): their
  // job there is memory and threads, the whole set is compared in Release.
  const int documents = testing::kSanitizedBuild ? 25000 : 100000;
  for (int i = 0; i < documents; ++i) {
    std::string html;
    for (std::uint32_t n = 1 + random() % 12; n > 0; --n) html += pieces[random() % pieces.size()];
    compare(soup, {"soup#" + std::to_string(i), html + "<a href=/probe>"}, d);
  }
  report("html5 generated tag soup", d);
}

double thread_cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Debian documentation packages with thousands of HTML pages (setup.sh installs them).
const std::vector<std::string> kCorpora = {"/usr/share/doc/python3.11/html", "/usr/share/doc/postgresql-doc-15/html",
                                           "/usr/share/doc/git-doc"};

TEST(LinksDifferential, DebianDocumentation) {
  std::vector<std::pair<std::string, std::string>> pages;  // page URL, bytes
  std::size_t bytes = 0;
  for (const auto& root : kCorpora) {
    if (!fs::is_directory(root)) {
      std::printf("skipped corpus %s: not installed (setup.sh installs it)\n", root.c_str());
      continue;
    }
    std::size_t seen = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
      const auto ext = entry.path().extension();
      if (!entry.is_regular_file() || (ext != ".html" && ext != ".htm")) continue;
      // Every page in Release; one in four in the sanitizer builds, which
      // run the extractors several times slower (they look for memory and
      // thread errors there; the differences are counted in Release).
      if (testing::kSanitizedBuild && seen++ % 4 != 0) continue;
      std::string html = read_file(entry.path());
      bytes += html.size();
      pages.emplace_back("http://docs.test" + entry.path().string(), std::move(html));
    }
  }
  if (pages.empty()) GTEST_SKIP() << "no Debian documentation corpus installed (setup.sh installs python3.11-doc, "
                                     "postgresql-doc-15, git-doc)";
  // Each extractor's CPU time (this thread's: the machine may be busy) over the whole corpus:
  // decoding, parsing, resolving and normalizing the links.
  const Tested* tested[] = {&kLibxml2, &kHtml5};
  double seconds[3] = {};  // libxml2, html5, gumbo
  std::size_t links[3] = {};
  Differences d[2];
  for (const auto& [url, html] : pages) {
    PageLinks found[3];
    for (int i = 0; i < 3; ++i) {
      const double t0 = thread_cpu_s();
      found[i] = i < 2 ? tested[i]->extract(html, url, "crawlbot", "") : extract_page_links_gumbo(html, url, "crawlbot", "");
      seconds[i] += thread_cpu_s() - t0;
      if (i == 2) {
        EXPECT_FALSE(found[i].read_without_tree) << url << ": the oracle read it without its tree";
      }
      links[i] += found[i].links.size();
    }
    for (int i = 0; i < 2; ++i) {
      ++d[i].cases;
      if (same(found[i], found[2])) continue;
      ++d[i].differing;
      bool excepted = false;
      for (const auto& e : tested[i]->exceptions)
        if (e.covers(html, found[i], found[2])) {
          ++d[i].excepted[e.name];
          excepted = true;
          break;
        }
      if (!excepted)
        d[i].unexplained.push_back(url + "\n--- " + tested[i]->name + ":\n" + describe(found[i]).substr(0, 2000) +
                                   "\n--- gumbo:\n" + describe(found[2]).substr(0, 2000));
    }
  }
  for (int i = 0; i < 2; ++i) {
    EXPECT_GT(d[i].cases, testing::kSanitizedBuild ? 250 : 1000);
    report(std::string(tested[i]->name) + " Debian documentation", d[i]);
  }
  std::printf("corpus: %zu pages, %.1f MB (CPU time of this thread)\n"
              "  html5   (extract_page_links_html5, the default): %7.1f MB/s, %zu links\n"
              "  libxml2 (extract_page_links):                   %7.1f MB/s, %zu links\n"
              "  gumbo   (extract_page_links_gumbo, reference):  %7.1f MB/s, %zu links\n",
              pages.size(), bytes / 1e6, bytes / 1e6 / seconds[1], links[1], bytes / 1e6 / seconds[0], links[0],
              bytes / 1e6 / seconds[2], links[2]);
}

}  // namespace
}  // namespace crawl
