#include "sinks/fd_output.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.hpp"
#include "sinks/sink.hpp"

namespace runnel {

void write_all(int fd, std::string_view bytes, const std::string& name) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n >= 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EPIPE) throw OutputClosed();
    fail(ErrorKind::IO, "cannot write to " + name + ": " + std::strerror(errno));
  }
}

}  // namespace runnel
