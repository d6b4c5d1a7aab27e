// server/control_socket.h — `nserver -c "command"`: one console command sent to the
// running server of a data directory over a Unix socket (`<data>/nserver.sock`, mode
// 0600, peers checked with SO_PEERCRED: same user or root).
//
// Protocol: the client writes one line (the command, at most 64 KiB); the server answers
// with a status line, "OK" or "ERR", then the answer text, and closes the connection.
// SECURITY: the command comes from a local user of the same uid; its line is length- and
// time-limited before it reaches the console parser.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace notesd {

struct CommandReply {
  bool ok = true;
  std::string text;       // the answer
  std::string log_lines;  // task messages the command caused, for a remote caller
  // Not run because the server is still loading its ServerTasks: the same command will
  // work in a moment (ok is false). `nserver -c` waits and sends it again.
  bool starting = false;
};

class ControlSocketServer {
 public:
  using Handler = std::function<CommandReply(const std::string& line)>;
  // `handler` runs on `command_pool`, never on an io thread.
  ControlSocketServer(boost::asio::io_context& io, boost::asio::thread_pool& command_pool,
                      std::filesystem::path socket_path, Handler handler, int read_timeout_seconds);
  ControlSocketServer(const ControlSocketServer&) = delete;
  ControlSocketServer& operator=(const ControlSocketServer&) = delete;
  ~ControlSocketServer();

  // Removes a stale socket file (the caller holds the data directory lock), binds with
  // owner-only permissions and starts accepting.
  Status Start();
  // Stops accepting and removes the socket file; sessions in flight finish. Idempotent.
  void Stop();
  const std::filesystem::path& Path() const { return socket_path_; }

 private:
  void Accept();

  boost::asio::io_context& io_;
  boost::asio::thread_pool& command_pool_;
  std::filesystem::path socket_path_;
  Handler handler_;
  int read_timeout_seconds_;
  std::unique_ptr<boost::asio::local::stream_protocol::acceptor> acceptor_;
};

// The wire: the client sends one line; the server answers a status line — OK, ERR, or
// STARTING (refused, try again: CommandReply::starting) — then the text, and closes.
// The client side: sends `command` to the server on `data_dir` and returns its reply.
// Unavailable, with a message saying no server runs there, when nothing listens.
Result<CommandReply> SendConsoleCommand(const std::filesystem::path& data_dir, const std::string& command);

}  // namespace notesd
