// GCC 12 reports false positives inside Boost headers when instrumenting for
// sanitizers; normal builds keep every warning.
#if defined(__SANITIZE_ADDRESS__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#elif defined(__SANITIZE_THREAD__)
#pragma GCC diagnostic ignored "-Wtsan"
#endif

#include "fetch/fiber_fetcher.h"

#include <unistd.h>
#include <sys/resource.h>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <climits>
#include <algorithm>
#include <deque>
#include <exception>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <spdlog/spdlog.h>

#include "core/ascii.h"
#include "core/process.h"
#include "core/hash.h"
#include "core/url_parts.h"
#include "fetch/curl_error.h"
#include "fetch/curl_handles.h"

namespace crawl {

namespace asio = boost::asio;

namespace {

// File descriptors kept free for everything that is not a transfer's socket
// (logs, the SQLite database, curl's resolver, the event loops' epoll fds…).
constexpr int kFdHeadroom = 64;
constexpr auto kHeartbeat = std::chrono::milliseconds(10);

}  // namespace

// One event loop: an io_context run by one thread, one curl multi handle, the
// transfers of the hosts that hash to it. Everything but enqueue(),
// schedule_pump(), request_abort(), request_stop(), stats() and wants_slot_
// runs on the loop thread only, so the loop's state needs no lock.
class FiberFetcher::Loop {
 public:
  explicit Loop(FiberFetcher& owner) : owner_(owner), timer_(ioc_), heartbeat_(ioc_), work_(ioc_.get_executor()) {
    multi_.reset(curl_multi_init());
    if (!multi_) throw std::runtime_error("curl_multi_init failed");
    CURLMcode rc = curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETFUNCTION, &Loop::socket_callback);
    if (rc == CURLM_OK) rc = curl_multi_setopt(multi_.get(), CURLMOPT_SOCKETDATA, static_cast<void*>(this));
    if (rc == CURLM_OK) rc = curl_multi_setopt(multi_.get(), CURLMOPT_TIMERFUNCTION, &Loop::timer_callback);
    if (rc == CURLM_OK) rc = curl_multi_setopt(multi_.get(), CURLMOPT_TIMERDATA, static_cast<void*>(this));
    if (rc != CURLM_OK) throw std::runtime_error(std::string("curl_multi_setopt: ") + curl_multi_strerror(rc));
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;
  // Normally the fetcher has already stopped and joined the loop; this path
  // is for a FiberFetcher constructor that throws after starting some loops.
  ~Loop() {
    if (thread_.joinable()) {
      try {
        request_stop();
      } catch (...) {
        ioc_.stop();
      }
      thread_.join();
    }
  }

  void start_thread() {
    arm_heartbeat();
    thread_ = std::thread([this] {
      name_this_thread("crawl-loop");
      run();
    });
  }

  // Any thread. The request waits in incoming_ for the loop, which takes it
  // at the first of: the handler schedule_pump() posts, the end of the
  // socket event or timeout it is handling (so a burst of responses does not
  // hold the next requests back: a posted handler queues behind every event
  // of the burst), its heartbeat.
  void enqueue(FetchRequest request) {
    {
      std::lock_guard lock(incoming_mu_);
      incoming_.push_back(std::move(request));
    }
    incoming_waiting_.store(true, std::memory_order_release);
    schedule_pump();
  }

  // Any thread. Coalesced: at most one pump waits in the loop's queue. It
  // takes the submitted requests too; if it cannot be posted (out of
  // memory), the loop's heartbeat does.
  void schedule_pump() noexcept {
    if (pump_scheduled_.exchange(true)) return;
    try {
      asio::post(ioc_, [this] {
        pump_scheduled_.store(false);
        if (!stopping_) take_incoming();
      });
    } catch (...) {
      pump_scheduled_.store(false);
      spdlog::error("fibers: cannot schedule a queued transfer");
    }
  }

  // Any thread, after owner_.cancelled_ is set.
  void request_abort() {
    asio::post(ioc_, [this] { abort_all(); });
  }

  // Any thread. The loop cleans up on its own thread and its run() returns.
  void request_stop() {
    asio::post(ioc_, [this] { shutdown(); });
  }

  void join() {
    if (thread_.joinable()) thread_.join();
  }

  LoopStats stats() const {
    return {longest_stall_ms_.load(std::memory_order_relaxed), transfers_.load(std::memory_order_relaxed)};
  }

  // True while this loop has queued jobs waiting for a slot. Written by the
  // loop, read by whichever loop frees a slot. Both sides use seq_cst so that
  // either the waiting loop sees the freed slot or the freeing loop sees the
  // flag (store-buffer pattern).
  std::atomic<bool> wants_slot_{false};

 private:
  using Completion = asio::any_completion_handler<void(FetchResult)>;
  using Work = asio::executor_work_guard<asio::any_io_executor>;

  // A socket curl asked us to watch. Owned by sockets_ (and, while a wait is
  // pending, by that wait's handler); curl holds a raw pointer to it through
  // curl_multi_assign until CURL_POLL_REMOVE. A connection's socket (opened
  // through open_socket_callback, closed through close_socket_callback) stays
  // registered with the reactor between its transfers; any other socket curl
  // watches (its resolver's) is let go at CURL_POLL_REMOVE.
  struct SocketState : std::enable_shared_from_this<SocketState> {
    SocketState(asio::io_context& ioc, curl_socket_t s) : fd(s), descriptor(ioc) {}
    // The descriptor is release()d (curl closes the fd) or, for a
    // connection's socket in close_socket_callback, closed by us.
    ~SocketState() {
      if (descriptor.is_open()) descriptor.release();
    }
    curl_socket_t fd;
    asio::posix::stream_descriptor descriptor;
    int want = 0;          // CURL_POLL_IN / OUT / INOUT, as last requested by curl
    bool reading = false;  // a read-readiness wait (or posted readiness) is pending
    bool writing = false;
    bool removed = false;  // CURL_POLL_REMOVE seen: late completions are ignored
  };

  // A transfer added to the multi handle, awaited by a coroutine.
  struct Active {
    EasyHandle easy;
    Transfer* transfer = nullptr;  // lives in the awaiting coroutine's frame
    Loop* loop = nullptr;          // for open_socket_callback
    Completion handler;            // resumes that coroutine
    Work work;                     // keeps the coroutine's executor alive meanwhile
  };

  void run() noexcept {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("fibers: event loop handler threw: {}", e.what());
      } catch (...) {
        spdlog::error("fibers: event loop handler threw");
      }
    }
  }

  // ---- queue and slots -----------------------------------------------------

  // On the loop thread, never inside curl: moves what enqueue() left into
  // queue_, starts what the slots allow and lets curl send it now. A
  // transfer it starts may end at once (curl runs it with its timer) and
  // its listener submit more: the outer call takes those too.
  void take_incoming() {
    if (taking_) return;
    taking_ = true;
    struct Done {
      bool& taking;
      ~Done() { taking = false; }
    } done{taking_};
    do {
      {
        std::lock_guard lock(incoming_mu_);
        incoming_waiting_.store(false, std::memory_order_relaxed);
        for (auto& request : incoming_) queue_.push_back(std::move(request));
        incoming_.clear();
      }
      if (stopping_) return;
      pump();
      run_due_timeout();
    } while (incoming_waiting_.load(std::memory_order_acquire));
  }

  void take_waiting_incoming() {
    if (incoming_waiting_.load(std::memory_order_acquire)) take_incoming();
  }

  void pump() {
    while (!queue_.empty()) {
      if (owner_.cancelled_.load()) {
        FetchRequest request = std::move(queue_.front());
        queue_.pop_front();
        Transfer transfer(std::move(request), owner_.transfer_options_, &owner_.cancelled_);
        owner_.deliver(transfer.fail(make_error_code(FetchErrc::aborted), "cancelled before start"));
        continue;
      }
      wants_slot_.store(true);
      if (!owner_.try_acquire_slot()) return;  // whoever frees a slot sees wants_slot_
      FetchRequest request = std::move(queue_.front());
      queue_.pop_front();
      spawn(std::move(request));
    }
    wants_slot_.store(false);
  }

  void spawn(FetchRequest request) {
    asio::co_spawn(ioc_, fetch(std::move(request)), [](const std::exception_ptr& e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        spdlog::error("fibers: transfer coroutine threw: {}", x.what());
      } catch (...) {
        spdlog::error("fibers: transfer coroutine threw");
      }
    });
  }

  // ---- one transfer ----------------------------------------------------------

  // Runs `transfer` on this loop's multi handle; completes with its result.
  // The completion is always posted to the handler's executor, never invoked
  // on curl's callback stack or inside the initiation.
  template <typename Token>
  auto perform(Transfer& transfer, Token&& token) {
    return asio::async_initiate<Token, void(FetchResult)>(
        [this](auto handler, Transfer* t) {
          Work work(asio::any_io_executor(asio::get_associated_executor(handler, ioc_.get_executor())));
          start(t, Completion(std::move(handler)), std::move(work));
        },
        token, &transfer);
  }

  // The coroutine per request: holds the Transfer (at a fixed address in the
  // coroutine frame, as curl's callbacks require), waits for curl to finish
  // it, hands the result to the callback pool.
  asio::awaitable<void> fetch(FetchRequest request) {
    Transfer transfer(std::move(request), owner_.transfer_options_, &owner_.cancelled_);
    FetchResult result;
    bool failed = false;
    try {
      result = co_await perform(transfer, asio::use_awaitable);
    } catch (const std::exception& e) {
      spdlog::error("fibers: transfer failed internally: {}", e.what());
      failed = true;
    }
    // complete() or finish_early() told the listener the transfer ended;
    // a failure to start it never reached them.
    if (failed) owner_.deliver(transfer.fail(make_error_code(FetchErrc::other), "internal error in the fibers fetcher"));
    else owner_.queue_result(std::move(result));
  }

  // Called with a slot taken; every path gives it back exactly once.
  void start(Transfer* t, Completion handler, Work work) noexcept {
    Active a{nullptr, t, this, std::move(handler), std::move(work)};
    try {
      if (owner_.cancelled_.load()) return finish_early(std::move(a), t->fail(make_error_code(FetchErrc::aborted), "cancelled before start"));
      a.easy = take_easy();
      if (const CURLcode rc = t->attach(a.easy.get()); rc != CURLE_OK)
        return finish_early(std::move(a), t->fail(make_curl_error(rc), std::string("curl option refused: ") + curl_easy_strerror(rc)));
      CURL* easy = a.easy.get();
      auto it = active_.emplace(easy, std::move(a)).first;
      // The loop opens and closes the connections' sockets itself (the
      // transfer's address guard still decides), so that it knows which
      // sockets curl keeps between transfers.
      CURLcode rc = curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &Loop::open_socket_callback);
      if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, static_cast<void*>(&it->second));
      if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &Loop::close_socket_callback);
      if (rc == CURLE_OK) rc = curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, static_cast<void*>(this));
      if (rc != CURLE_OK) {
        Active back = std::move(it->second);
        active_.erase(it);
        return finish_early(std::move(back), t->fail(make_curl_error(rc), std::string("curl option refused: ") + curl_easy_strerror(rc)));
      }
      // May call timer_callback (which only posts or arms the timer).
      if (const CURLMcode mc = curl_multi_add_handle(multi_.get(), easy); mc != CURLM_OK) {
        Active back = std::move(it->second);
        active_.erase(it);
        return finish_early(std::move(back), t->fail(make_error_code(FetchErrc::other), std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc)));
      }
    } catch (const std::exception& e) {
      if (a.handler) finish_early(std::move(a), t->fail(make_error_code(FetchErrc::other), e.what()));
    }
  }

  void finish_early(Active a, FetchResult result) noexcept {
    if (a.easy) recycle(std::move(a.easy));
    owner_.release_slot();
    owner_.listener_.transfer_ended(result);
    resume(std::move(a), std::move(result));
  }

  // curl reported `code` for `easy` (or the loop aborts it): take it out of
  // the multi, build the result, resume the coroutine.
  void complete(CURL* easy, CURLcode code) noexcept {
    const auto it = active_.find(easy);
    if (it == active_.end()) {
      curl_multi_remove_handle(multi_.get(), easy);
      return;
    }
    Active a = std::move(it->second);
    active_.erase(it);
    curl_multi_remove_handle(multi_.get(), easy);  // may call socket_callback (REMOVE)
    FetchResult result;
    try {
      result = a.transfer->finish(code);
    } catch (const std::exception& e) {
      result = a.transfer->fail(make_error_code(FetchErrc::other), e.what());
    }
    recycle(std::move(a.easy));
    transfers_.fetch_add(1, std::memory_order_relaxed);
    owner_.release_slot();
    // Now, not when the coroutine resumes: the resumption queues behind
    // every event the loop has ready, and the host's next request waits for
    // this (its lease).
    owner_.listener_.transfer_ended(result);
    resume(std::move(a), std::move(result));
  }

  // Posts the completion (never runs it inline: we may be deep inside
  // check_multi_info, and the coroutine must resume on its own executor).
  void resume(Active a, FetchResult result) noexcept {
    auto ex = a.work.get_executor();
    asio::post(ex, [h = std::move(a.handler), r = std::move(result)]() mutable { std::move(h)(std::move(r)); });
    a.work.reset();
  }

  void check_multi_info() noexcept {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      // msg is invalid once the handle is removed: copy first.
      CURL* easy = msg->easy_handle;
      const CURLcode code = msg->data.result;
      complete(easy, code);
      // The listener may have submitted the host's next request (its lease
      // is free): out before the other transfers curl finished in this call.
      try {
        take_waiting_incoming();
      } catch (const std::exception& e) {  // out of memory: the heartbeat starts them
        spdlog::error("fibers: cannot start a queued transfer: {}", e.what());
      }
    }
  }

  // Transfers curl is not driving right now (e.g. waiting for a slow server)
  // would only notice the cancel flag at their next socket event or timeout,
  // so the loop ends them itself.
  void abort_all() noexcept {
    if (stopping_) return;
    pump();  // fails the queued jobs
    std::vector<CURL*> running;
    running.reserve(active_.size());
    for (const auto& [easy, a] : active_) running.push_back(easy);
    for (CURL* easy : running) complete(easy, CURLE_ABORTED_BY_CALLBACK);
  }

  EasyHandle take_easy() {
    if (free_.empty()) return make_easy();
    EasyHandle h = std::move(free_.back());
    free_.pop_back();
    return h;
  }

  void recycle(EasyHandle easy) noexcept {
    try {
      free_.push_back(std::move(easy));
    } catch (...) {
      // easy is cleaned up by its owner going out of scope
    }
  }

  // ---- sockets ----------------------------------------------------------------

  static int socket_callback(CURL*, curl_socket_t fd, int what, void* userp, void* socketp) noexcept {
    auto* self = static_cast<Loop*>(userp);
    try {
      self->on_socket(fd, what, static_cast<SocketState*>(socketp));
    } catch (const std::exception& e) {
      // The transfer then ends by its own timeout.
      spdlog::error("fibers: cannot watch socket {}: {}", fd, e.what());
    } catch (...) {
      spdlog::error("fibers: cannot watch socket {}", fd);
    }
    return 0;
  }

  void on_socket(curl_socket_t fd, int what, SocketState* known) {
    if (what == CURL_POLL_REMOVE) {
      // curl forgets the assigned pointer itself after this callback. A
      // connection going back to curl's pool keeps its registration (a wait
      // still pending is ignored: want is 0); any other socket is closed by
      // curl after this returns: release our watch now.
      if (!known) return;
      if (connections_.contains(fd)) known->want = 0;
      else forget(known->shared_from_this());
      return;
    }
    std::shared_ptr<SocketState> s;
    if (known) {
      s = known->shared_from_this();
    } else if (const auto it = sockets_.find(fd); it != sockets_.end() && connections_.contains(fd)) {
      s = it->second;  // a pooled connection's, registered since its first transfer
      curl_multi_assign(multi_.get(), fd, s.get());
    } else {
      if (it != sockets_.end()) forget(it->second);  // not expected: curl reports REMOVE first
      s = std::make_shared<SocketState>(ioc_, fd);
      s->descriptor.assign(fd);
      sockets_.emplace(fd, s);
      curl_multi_assign(multi_.get(), fd, s.get());
    }
    s->want = what;
    arm(s);
  }

  // Ends the watch of `s` (pending waits complete with operation_aborted):
  // its fd is released to curl, which closes it, or, with `close_fd` (a
  // connection curl is done with), closed here. false if closing failed.
  bool forget(std::shared_ptr<SocketState> s, bool close_fd = false) noexcept {
    s->removed = true;
    s->want = 0;
    if (const auto it = sockets_.find(s->fd); it != sockets_.end() && it->second == s) sockets_.erase(it);
    boost::system::error_code ec;
    if (close_fd) s->descriptor.close(ec);
    else if (s->descriptor.is_open()) s->descriptor.release();
    return !ec;
  }

  // A connection's socket, opened for curl: through the transfer's own
  // callback (the address guard), then remembered as a connection.
  static curl_socket_t open_socket_callback(void* clientp, curlsocktype purpose, curl_sockaddr* address) noexcept {
    auto* a = static_cast<Active*>(clientp);
    const curl_socket_t fd = Transfer::on_open_socket(a->transfer, purpose, address);
    if (fd == CURL_SOCKET_BAD) return fd;
    try {
      a->loop->connections_.insert(fd);
    } catch (...) {
      ::close(fd);  // out of memory: the connection fails
      return CURL_SOCKET_BAD;
    }
    return fd;
  }

  // curl is done with a connection's socket (an error, the server closed
  // it, the pool's limit, cleanup): close it, and the watch with it.
  static int close_socket_callback(void* clientp, curl_socket_t fd) noexcept {
    auto* self = static_cast<Loop*>(clientp);
    self->connections_.erase(fd);
    if (const auto it = self->sockets_.find(fd); it != self->sockets_.end())
      return self->forget(it->second, /*close_fd=*/true) ? 0 : 1;
    return ::close(fd) == 0 ? 0 : 1;
  }

  void arm(const std::shared_ptr<SocketState>& s) {
    arm_direction(s, CURL_POLL_IN);
    arm_direction(s, CURL_POLL_OUT);
  }

  void arm_direction(const std::shared_ptr<SocketState>& s, int direction) {
    bool& pending = direction == CURL_POLL_IN ? s->reading : s->writing;
    if (pending || s->removed || !(s->want & direction)) return;
    // Asio's reactor registers descriptors edge-triggered, but starting a
    // wait re-arms the registration (EPOLL_CTL_MOD), which reports readiness
    // that is already there: bytes that came while no wait was pending, or
    // that curl left unread. No poll of our own first.
    s->descriptor.async_wait(direction == CURL_POLL_IN ? asio::posix::descriptor_base::wait_read
                                                       : asio::posix::descriptor_base::wait_write,
                             [this, s, direction](const boost::system::error_code& ec) { ready(s, direction, ec); });
    pending = true;
  }

  void ready(const std::shared_ptr<SocketState>& s, int direction, const boost::system::error_code& ec) {
    (direction == CURL_POLL_IN ? s->reading : s->writing) = false;
    // A wait that outlived its socket (REMOVE, possibly followed by a new
    // socket on the same fd number) or curl's interest: ignore it.
    if (s->removed || stopping_ || ec == asio::error::operation_aborted || !(s->want & direction)) return;
    const int flags = ec ? CURL_CSELECT_ERR : direction == CURL_POLL_IN ? CURL_CSELECT_IN : CURL_CSELECT_OUT;
    int running = 0;
    curl_multi_socket_action(multi_.get(), s->fd, flags, &running);
    check_multi_info();
    if (!ec) arm(s);  // while curl still wants this direction (arm checks)
    take_waiting_incoming();
  }

  // ---- curl's timer -------------------------------------------------------------

  static int timer_callback(CURLM*, long timeout_ms, void* userp) noexcept {
    try {
      static_cast<Loop*>(userp)->on_timer(timeout_ms);
    } catch (const std::exception& e) {
      spdlog::error("fibers: cannot set curl's timer: {}", e.what());
    } catch (...) {
      spdlog::error("fibers: cannot set curl's timer");
    }
    return 0;
  }

  // Never calls into curl: this runs inside curl (timer_callback), and
  // curl_multi_socket_action must not be re-entered.
  void on_timer(long timeout_ms) {
    const std::uint64_t generation = ++timer_generation_;
    timer_.cancel();
    timeout_due_ = false;  // a later call replaces an earlier one
    if (timeout_ms < 0 || stopping_) return;
    if (timeout_ms == 0) {
      // Run by whichever comes first: this handler, or the caller that
      // added a transfer (run_due_timeout), so a new request goes out
      // without waiting behind every event already queued on the loop.
      timeout_due_ = true;
      asio::post(ioc_, [this, generation] {
        if (generation == timer_generation_ && timeout_due_ && !stopping_) on_timeout();
      });
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    timer_.async_wait([this, generation](const boost::system::error_code& ec) {
      if (!ec && generation == timer_generation_ && !stopping_) on_timeout();
    });
  }

  // Never inside curl.
  void run_due_timeout() {
    if (timeout_due_ && !stopping_) on_timeout();
  }

  void on_timeout() {
    timeout_due_ = false;
    const std::uint64_t generation = timer_generation_;
    int running = 0;
    curl_multi_socket_action(multi_.get(), CURL_SOCKET_TIMEOUT, 0, &running);
    check_multi_info();
    // curl only calls the timer callback when its next deadline changes. If
    // our timer fired a little before curl's deadline (ms rounding), nothing
    // expired, nothing changed, and no new call would come: ask.
    if (generation == timer_generation_) {
      long next = -1;
      if (curl_multi_timeout(multi_.get(), &next) == CURLM_OK && next >= 0) on_timer(std::max(next, 1L));
    }
  }

  // ---- stall measurement and shutdown --------------------------------------------

  void arm_heartbeat() {
    heartbeat_.expires_after(kHeartbeat);
    heartbeat_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      const std::chrono::duration<double, std::milli> late = std::chrono::steady_clock::now() - heartbeat_.expiry();
      if (late.count() > longest_stall_ms_.load(std::memory_order_relaxed))
        longest_stall_ms_.store(late.count(), std::memory_order_relaxed);
      take_waiting_incoming();
      if (!queue_.empty()) pump();
      arm_heartbeat();
    });
  }

  // On the loop thread. Order matters: easy handles out of the multi before
  // the multi is cleaned up; the cleanup may report CURL_POLL_REMOVE for the
  // cached connections' sockets and closes them (close_socket_callback);
  // then release whatever curl did not report; then let run() return once
  // the cancelled waits ran.
  void shutdown() noexcept {
    stopping_ = true;
    ++timer_generation_;
    timer_.cancel();
    heartbeat_.cancel();
    // Empty after drain(). If not, the awaiting coroutines are destroyed
    // unresumed (their Transfers with them) once curl no longer uses them.
    for (const auto& [easy, a] : active_) curl_multi_remove_handle(multi_.get(), easy);
    active_.clear();
    queue_.clear();
    {
      std::lock_guard lock(incoming_mu_);
      incoming_.clear();
    }
    multi_.reset();
    for (const auto& [fd, s] : sockets_) {
      s->removed = true;
      if (s->descriptor.is_open()) s->descriptor.release();
    }
    sockets_.clear();
    free_.clear();
    work_.reset();
  }

  FiberFetcher& owner_;
  asio::io_context ioc_;  // before every I/O object and handler owner: destroyed after them
  asio::steady_timer timer_;      // curl's timeout
  asio::steady_timer heartbeat_;  // stall measurement
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  // Before multi_: its cleanup closes pooled connections through close_socket_callback.
  std::unordered_map<curl_socket_t, std::shared_ptr<SocketState>> sockets_;  // by fd
  std::unordered_set<curl_socket_t> connections_;  // sockets opened by open_socket_callback, not yet closed
  MultiHandle multi_;
  std::unordered_map<CURL*, Active> active_;
  std::vector<EasyHandle> free_;  // reusable easy handles
  std::deque<FetchRequest> queue_;  // waiting for a slot
  std::uint64_t timer_generation_ = 0;
  bool timeout_due_ = false;  // curl asked for a timeout of 0 that has not run yet
  bool taking_ = false;       // in take_incoming()
  bool stopping_ = false;
  std::mutex incoming_mu_;  // guards incoming_
  std::vector<FetchRequest> incoming_;  // enqueue()d, not yet in queue_
  std::atomic<bool> incoming_waiting_{false};  // incoming_ may be non-empty
  std::atomic<bool> pump_scheduled_{false};
  std::atomic<double> longest_stall_ms_{0};
  std::atomic<std::uint64_t> transfers_{0};
  std::thread thread_;
};

FiberFetcher::FiberFetcher(FiberOptions options, TransferOptions transfer_options, FetchListener& listener)
    : transfer_options_(std::move(transfer_options)), listener_(listener) {
  if (options.loops < 1 || options.max_in_flight < 1 || options.callback_threads < 1)
    throw std::invalid_argument("fibers: loops, max_in_flight and callback_threads must be at least 1");
  ensure_curl_global_init();
  max_in_flight_ = options.max_in_flight;
  const int wanted = options.max_in_flight > INT_MAX - kFdHeadroom ? INT_MAX : options.max_in_flight + kFdHeadroom;
  const int limit = raise_open_file_limit(wanted);
  if (limit < wanted) {
    max_in_flight_ = std::max(1, limit - kFdHeadroom);
    spdlog::warn(
        "open-file limit is {} (hard limit), below the {} that {} transfers in flight need: at most {} transfers "
        "will be in flight; raise it with `ulimit -Hn` or /etc/security/limits.conf",
        limit, wanted, options.max_in_flight, max_in_flight_);
  }
  callbacks_ = std::make_unique<asio::thread_pool>(static_cast<std::size_t>(options.callback_threads));
  loops_.reserve(static_cast<std::size_t>(options.loops));
  for (int i = 0; i < options.loops; ++i) loops_.push_back(std::make_unique<Loop>(*this));
  // Threads start only once loops_ is complete: release_slot() reads it from
  // every loop thread.
  for (auto& loop : loops_) loop->start_thread();
}

FiberFetcher::~FiberFetcher() {
  drain();
  for (auto& loop : loops_) loop->request_stop();
  for (auto& loop : loops_) loop->join();
  callbacks_->join();
  loops_.clear();
  if (transfer_options_.body_budget) log_body_budget(*transfer_options_.body_budget);
}

void FiberFetcher::submit(FetchRequest request) {
  const std::size_t index = loop_for(request.url);
  {
    std::lock_guard lock(mu_);
    ++pending_;
  }
  try {
    loops_[index]->enqueue(std::move(request));
  } catch (...) {
    callback_returned();
    throw;
  }
}

void FiberFetcher::drain() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return pending_ == 0; });
}

void FiberFetcher::cancel() {
  cancelled_.store(true);
  for (auto& loop : loops_) loop->request_abort();
}

std::vector<FiberFetcher::LoopStats> FiberFetcher::loop_stats() const {
  std::vector<LoopStats> out;
  out.reserve(loops_.size());
  for (const auto& loop : loops_) out.push_back(loop->stats());
  return out;
}

std::size_t FiberFetcher::loop_for(const std::string& url) const {
  // ASCII-lowercased on the stack (a DNS name has at most 253 bytes), so
  // every spelling of a host shares one loop without an allocation.
  const std::string_view host = url_host(url);
  char lower[256];
  if (host.size() > sizeof lower) return static_cast<std::size_t>(stable_hash64(host) % loops_.size());
  std::transform(host.begin(), host.end(), lower, ascii_lower);
  return static_cast<std::size_t>(stable_hash64({lower, host.size()}) % loops_.size());
}

bool FiberFetcher::try_acquire_slot() noexcept {
  int n = in_flight_.load();
  while (n < max_in_flight_)
    if (in_flight_.compare_exchange_weak(n, n + 1)) return true;
  return false;
}

void FiberFetcher::release_slot() noexcept {
  in_flight_.fetch_sub(1);
  for (auto& loop : loops_)
    if (loop->wants_slot_.load()) loop->schedule_pump();
}

void FiberFetcher::deliver(FetchResult result) noexcept {
  listener_.transfer_ended(result);  // on the loop, before the result queues for the callback pool
  queue_result(std::move(result));
}

void FiberFetcher::queue_result(FetchResult result) noexcept {
  try {
    asio::post(*callbacks_, [this, result = std::move(result)]() mutable {
      static thread_local const bool named = (name_this_thread("crawl-result"), true);
      (void)named;
      {
        // Read back without waiting for room: results queued behind this
        // one hold budget that only these few threads give back.
        auto body = load_body(result, /*wait=*/false);
        listener_.result_ready(std::move(result));
      }
      callback_returned();
    });
  } catch (const std::exception& e) {  // out of memory: the listener must still hear of it
    spdlog::error("fibers: cannot queue a result: {}", e.what());
    callback_returned();
  }
}

void FiberFetcher::callback_returned() noexcept {
  std::lock_guard lock(mu_);
  if (--pending_ == 0) idle_.notify_all();
}

std::optional<double> FiberFetcher::longest_stall_ms() const {
  double longest = 0;
  for (const auto& loop : loop_stats()) longest = std::max(longest, loop.longest_stall_ms);
  return longest;
}

}  // namespace crawl
