#pragma once
// A scripted HTTP/1.1 server on a free loopback port for transport, retry and codec tests. Each
// request is answered by the handler; replies can be delayed, truncated (a Content-Length larger
// than what is sent, then the connection closes) or cut before any byte. Keep-alive is
// supported, so tests can count connections. Requests are recorded.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace firebreak::testing {

struct RecordedRequest {
  std::string method;
  std::string target;  // path?query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() != name.size()) continue;
      bool eq = true;
      for (std::size_t i = 0; i < k.size() && eq; ++i)
        eq = std::tolower(k[i]) == std::tolower(name[i]);
      if (eq) return v;
    }
    return {};
  }
};

struct Reply {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // before anything is sent
  bool truncate = false;               // announce the full length, send half, close
  bool drop = false;                   // close without answering
};

class TestHttpServer {
 public:
  using Handler = std::function<Reply(const RecordedRequest&, int index)>;

  explicit TestHttpServer(Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 64);
    acceptor_ = std::thread([this] { accept_loop(); });
  }

  ~TestHttpServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    acceptor_.join();
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mu_);
      for (int c : open_) ::shutdown(c, SHUT_RDWR);
      workers.swap(workers_);
    }
    for (auto& t : workers) t.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int connections() const { return connections_.load(); }
  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::size_t request_count() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }

 private:
  void accept_loop() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) {
        if (stop_) return;
        continue;
      }
      ++connections_;
      std::lock_guard lock(mu_);
      open_.push_back(c);
      workers_.emplace_back([this, c] { serve(c); });
    }
  }

  static bool read_more(int c, std::string& buf) {
    char tmp[8192];
    const ssize_t n = ::recv(c, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf.append(tmp, static_cast<std::size_t>(n));
    return true;
  }

  void serve(int c) {
    std::string buf;
    for (;;) {
      std::size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!read_more(c, buf)) return close_conn(c);
      }
      RecordedRequest req;
      const std::string head = buf.substr(0, end);
      buf.erase(0, end + 4);
      std::size_t pos = head.find("\r\n");
      const std::string line = head.substr(0, pos);
      const auto sp1 = line.find(' '), sp2 = line.rfind(' ');
      req.method = line.substr(0, sp1);
      req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
      std::size_t length = 0;
      bool chunked = false;
      while (pos != std::string::npos && pos < head.size()) {
        const std::size_t next = head.find("\r\n", pos + 2);
        const std::string h =
            head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        const auto colon = h.find(':');
        if (colon != std::string::npos) {
          std::string v = h.substr(colon + 1);
          while (!v.empty() && v.front() == ' ') v.erase(0, 1);
          req.headers.emplace_back(h.substr(0, colon), v);
        }
        pos = next;
      }
      const std::string cl = req.header("Content-Length");
      if (!cl.empty()) length = std::stoul(cl);
      chunked = req.header("Transfer-Encoding") == "chunked";
      if (chunked) {  // minimal chunked decoding
        for (;;) {
          std::size_t le;
          while ((le = buf.find("\r\n")) == std::string::npos)
            if (!read_more(c, buf)) return close_conn(c);
          const std::size_t n = std::stoul(buf.substr(0, le), nullptr, 16);
          while (buf.size() < le + 2 + n + 2)
            if (!read_more(c, buf)) return close_conn(c);
          req.body += buf.substr(le + 2, n);
          buf.erase(0, le + 2 + n + 2);
          if (n == 0) break;
        }
      } else {
        while (buf.size() < length)
          if (!read_more(c, buf)) return close_conn(c);
        req.body = buf.substr(0, length);
        buf.erase(0, length);
      }
      int index;
      {
        std::lock_guard lock(mu_);
        index = static_cast<int>(requests_.size());
        requests_.push_back(req);
      }
      const Reply r = handler_(req, index);
      if (r.delay.count() > 0) std::this_thread::sleep_for(r.delay);
      if (r.drop) return close_conn(c);
      std::string out = "HTTP/1.1 " + std::to_string(r.status) + " X\r\n";
      bool has_type = false;
      for (const auto& [k, v] : r.headers) {
        out += k + ": " + v + "\r\n";
        has_type |= k == "Content-Type";
      }
      if (!has_type) out += "Content-Type: text/xml\r\n";
      out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n\r\n";
      out += r.truncate ? r.body.substr(0, r.body.size() / 2) : r.body;
      ::send(c, out.data(), out.size(), MSG_NOSIGNAL);
      if (r.truncate) return close_conn(c);
    }
  }

  void close_conn(int c) {
    ::shutdown(c, SHUT_RDWR);
    ::close(c);
    std::lock_guard lock(mu_);
    std::erase(open_, c);
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<RecordedRequest> requests_;
  std::vector<int> open_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

}  // namespace firebreak::testing
