// StateStore: the durable record of a crawl — every URL it has seen, with
// its state — so that a crawl stopped at any moment (kill -9, Ctrl-C, a
// reboot) resumes where it stopped. The in-memory frontier is a bounded
// cache of it.
//
// The seam for another store (a shared one, e.g. Redis, for several
// crawlers): add if unseen, mark handed out, take a host's queued work,
// settle (done, failed, skipped: with the page, see Sink::settle), resume.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/fetch_types.h"

namespace crawl {

// Where a URL stands. Stored as text (urls.state).
enum class UrlState {
  queued,     // waiting to be handed out
  in_flight,  // handed to the fetcher, no final result recorded yet
  done,       // fetched: a response under 400
  skipped,    // not fetched on purpose (robots.txt, a host given up)
  failed,     // fetched without a response, or a response of 400 or more
};
// "queued", "in_flight", "done", "skipped", "failed".
const char* to_string(UrlState state) noexcept;

// One URL of the crawl state, as queued.
struct StateUrl {
  std::string url;       // normalized
  std::int32_t depth = 0;
  double priority = 0;
  std::string referrer;  // empty for seeds
  RequestKind kind = RequestKind::page;
  std::int32_t attempts = 0;  // times handed to the fetcher so far
  // Set by take() when a good copy of the URL is stored (an earlier batch).
  std::shared_ptr<const KnownCopy> known;
  std::int32_t redirects = 0;  // a redirect's target: hops of the chain that led here
};

// Where a WARC archive (--warc PREFIX) stands: the end of the last complete
// record in its current file. Committed with the page whose records end
// there, so that a resumed crawl cuts the file back to it (the records after
// it are those of fetches that were not committed, fetched again).
struct ArchiveMark {
  std::string prefix;       // --warc PREFIX, as given
  std::string file;         // the file's name without directory, e.g. crawl-00003.warc.gz
  std::int64_t offset = 0;  // bytes of complete records in it
  bool operator==(const ArchiveMark&) const = default;
};

// What a URL's final result does to the crawl state. Stored with the page,
// in the same transaction where the state shares the page's database.
struct UrlEffects {
  UrlState state = UrlState::done;      // the URL's new state: done, failed or skipped
  std::vector<StateUrl> added;          // URLs it added to the crawl (not seen before)
  std::optional<ArchiveMark> archive;   // --warc: where its records end
};

// What the state holds when a run starts.
struct ResumePoint {
  std::optional<std::int64_t> resumed_run;  // the unfinished run being continued
  std::int64_t requeued = 0;                 // URLs in flight at the interruption, queued again
  std::int64_t queued = 0;                   // URLs waiting, requeued ones included
  std::vector<std::uint64_t> seen;           // url_fingerprint() of every URL in the state
  // url_fingerprint() of every URL with a good copy stored by an earlier
  // batch: when such a URL is reached, it is queued through the state, whose
  // take() hands it out with its validators (KnownCopy).
  std::vector<std::uint64_t> known;
  std::vector<std::pair<std::string, std::int64_t>> queued_by_host;  // origin → URLs waiting
  // The last mark committed for each WARC archive (resumed or not).
  std::vector<ArchiveMark> archives;
};

// Thread safety: every member may be called from any thread. Writes are
// queued and applied in call order (with the sink's pages) by one writer.
class StateStore {
 public:
  using Taken = std::function<void(std::string origin, std::vector<StateUrl> urls)>;

  virtual ~StateStore() = default;

  // Before the run (and before begin_run): if the state holds an unfinished
  // run and !restart, resumes it — URLs in flight go back to the queue —
  // and returns what it holds; otherwise discards the previous crawl's URLs
  // (stored pages are kept) and returns an empty point. Blocks.
  virtual ResumePoint resume(bool restart) = 0;
  // Adds URLs as queued, those not in the state yet (seeds, sitemaps).
  virtual void add(std::vector<StateUrl> urls) = 0;
  // `url` was handed to the fetcher (attempts + 1). Never blocks.
  virtual void started(const std::string& url) = 0;
  // Reads up to `limit` queued URLs of `origin`, best priority first, with
  // what is known of their stored copies (StateUrl::known), after
  // every write queued before this call, and hands them to `taken` on the
  // writer's thread (which must not block). Never blocks. Not called back
  // if the store has failed.
  virtual void take(std::string origin, std::size_t limit, Taken taken) = 0;
};

// A StateStore's operations as queue items, for the sinks that queue them
// in order with their pages (QueuedSink, WarcSink).
namespace state_op {
struct AddUrls {
  std::vector<StateUrl> urls;
};
struct Started {
  std::string url;
};
struct Take {
  std::string origin;
  std::size_t limit = 0;
  StateStore::Taken taken;
};
struct Resume {
  bool restart = false;
  ResumePoint* out = nullptr;  // filled by the writer; the caller waits for it
};
}  // namespace state_op

}  // namespace crawl
