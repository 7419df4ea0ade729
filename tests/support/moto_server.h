#pragma once
// A moto_server for integration and conformance tests: started on a free loopback port (from
// `moto_server` on PATH, else `python3 -m moto.server`), reset between tests through
// /moto-api/reset, stopped when the process ends. Unavailability is reported as a reason string
// so suites can skip (or fail under CI=true).

#include <memory>
#include <optional>
#include <string>

namespace firebreak::testing {

class MotoServer {
 public:
  // The process-wide server, started on first use; nullptr with `why` set when it cannot run.
  static MotoServer* shared(std::string* why = nullptr);

  ~MotoServer();
  MotoServer(const MotoServer&) = delete;
  MotoServer& operator=(const MotoServer&) = delete;

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] std::string endpoint() const;  // "http://127.0.0.1:<port>"
  // Clears all state. False if the server did not answer.
  bool reset();
  // Sends a raw HTTP request to the server; returns the status (0 on failure) and fills `body`.
  int request(const std::string& method, const std::string& path, const std::string& body = {},
              std::string* response_body = nullptr);
  [[nodiscard]] const std::string& log_path() const { return log_path_; }
  // Runs Python with boto3 against this server to set up what the seam cannot create (load
  // balancers, Auto Scaling groups, trails, ...). `code` may call c('<service>') for a client;
  // the last line of stdout (trimmed) goes to `out`. True on exit status 0.
  bool boto3(const std::string& code, std::string* out = nullptr);

 private:
  MotoServer() = default;
  static std::unique_ptr<MotoServer> start(std::string& why);
  int pid_ = -1;
  int port_ = 0;
  std::string log_path_;
};

}  // namespace firebreak::testing
