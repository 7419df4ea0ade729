#include "moto_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

namespace firebreak::testing {

namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    socklen_t len = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return {};
  std::string p(path);
  std::size_t start = 0;
  while (start <= p.size()) {
    const auto colon = p.find(':', start);
    const std::string dir =
        p.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  return {};
}

std::mutex g_mu;
std::unique_ptr<MotoServer> g_server;
std::string g_why;
bool g_tried = false;

}  // namespace

std::string MotoServer::endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

int MotoServer::request(const std::string& method, const std::string& path, const std::string& body,
                        std::string* response_body) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  timeval tv{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port_));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return 0;
  }
  const std::string req = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: " +
                          std::to_string(body.size()) +
                          "\r\nContent-Type: application/json\r\n\r\n" + body;
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return 0;
  }
  std::string resp;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) resp.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  if (!resp.starts_with("HTTP/")) return 0;
  const auto sp = resp.find(' ');
  const int status = std::atoi(resp.c_str() + sp + 1);
  if (response_body != nullptr) {
    const auto hdr_end = resp.find("\r\n\r\n");
    *response_body = hdr_end == std::string::npos ? "" : resp.substr(hdr_end + 4);
  }
  return status;
}

bool MotoServer::boto3(const std::string& code, std::string* out) {
  const std::string script_path = log_path_ + ".boto3.py";
  {
    std::FILE* f = std::fopen(script_path.c_str(), "w");
    if (f == nullptr) return false;
    const std::string prelude =
        "import boto3, json\n"
        "E = '" +
        endpoint() +
        "'\n"
        "def c(s):\n"
        "    return boto3.client(s, endpoint_url=E, region_name='us-east-1',\n"
        "                        aws_access_key_id='testing', aws_secret_access_key='testing')\n";
    std::fputs(prelude.c_str(), f);
    std::fputs(code.c_str(), f);
    std::fputs("\n", f);
    std::fclose(f);
  }
  const std::string cmd = "env -u AWS_PROFILE -u AWS_ENDPOINT_URL python3 " + script_path + " 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return false;
  std::string text;
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) text.append(buf, n);
  const int status = ::pclose(p);
  if (out != nullptr) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    const auto nl = text.rfind('\n');
    *out = status == 0 ? (nl == std::string::npos ? text : text.substr(nl + 1)) : text;
  }
  return status == 0;
}

bool MotoServer::reset() { return request("POST", "/moto-api/reset") == 200; }

MotoServer::~MotoServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
  }
}

std::unique_ptr<MotoServer> MotoServer::start(std::string& why) {
  std::vector<std::string> argv;
  const std::string moto = find_on_path("moto_server");
  const int port = free_port();
  if (port == 0) {
    why = "no free loopback port";
    return nullptr;
  }
  if (!moto.empty()) {
    argv = {moto, "-H", "127.0.0.1", "-p", std::to_string(port)};
  } else {
    const std::string python = find_on_path("python3");
    if (python.empty()) {
      why =
          "neither moto_server nor python3 is on PATH (scripts/setup explains how to install moto)";
      return nullptr;
    }
    argv = {python, "-m", "moto.server", "-H", "127.0.0.1", "-p", std::to_string(port)};
  }
  auto server = std::unique_ptr<MotoServer>(new MotoServer());
  server->port_ = port;
  server->log_path_ = (std::filesystem::temp_directory_path() /
                       ("firebreak-moto-" + std::to_string(::getpid()) + ".log"))
                          .string();
  const pid_t pid = ::fork();
  if (pid < 0) {
    why = "fork failed";
    return nullptr;
  }
  if (pid == 0) {
    std::FILE* log = std::fopen(server->log_path_.c_str(), "w");
    if (log != nullptr) {
      ::dup2(fileno(log), 1);
      ::dup2(fileno(log), 2);
    }
    // moto must not see real credentials or endpoints from the developer's environment.
    ::setenv("AWS_ACCESS_KEY_ID", "testing", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "testing", 1);
    ::unsetenv("AWS_PROFILE");
    // AWS managed policies (arn:aws:iam::aws:policy/...) exist in every real account; moto
    // loads them only when asked.
    ::setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true", 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    std::_Exit(127);
  }
  server->pid_ = pid;
  for (int i = 0; i < 300; ++i) {  // up to 30 s for a cold Python start
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      server->pid_ = -1;
      why = "moto_server exited at start (is moto installed? see scripts/setup); log: " +
            server->log_path_;
      return nullptr;
    }
    if (server->request("GET", "/moto-api/data.json") == 200) return server;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  why = "moto_server did not answer within 30 s; log: " + server->log_path_;
  return nullptr;
}

MotoServer* MotoServer::shared(std::string* why) {
  std::lock_guard lock(g_mu);
  if (!g_tried) {
    g_tried = true;
    g_server = start(g_why);
  }
  if (!g_server && why != nullptr) *why = g_why;
  return g_server.get();
}

}  // namespace firebreak::testing
