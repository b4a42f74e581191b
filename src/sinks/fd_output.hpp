// Writing a sink's bytes to a file descriptor: a write(2) loop that retries
// short writes and EINTR, turns EPIPE into OutputClosed and other failures
// into Error(IO) naming the destination.
#pragma once
#include <string>
#include <string_view>

namespace runnel {

void write_all(int fd, std::string_view bytes, const std::string& name);

}  // namespace runnel
