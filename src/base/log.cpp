#include "base/log.hpp"

#include <cstdio>

namespace runnel::log {

namespace {
bool g_verbose = false;

void line(const char* level, const std::string& message) {
  std::fprintf(stderr, "runnel: %s%s\n", level, message.c_str());
  std::fflush(stderr);
}
}  // namespace

void set_verbose(bool verbose) { g_verbose = verbose; }
bool verbose() { return g_verbose; }
void info(const std::string& message) {
  if (g_verbose) line("", message);
}
void warn(const std::string& message) { line("warning: ", message); }
void error(const std::string& message) { line("error: ", message); }

}  // namespace runnel::log
