// Helpers for the config tests: pipeline files in a per-test temp directory,
// and capturing the Error a load throws.
#pragma once
#include <doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/error.hpp"
#include "checkpoint/log_file.hpp"
#include "config/pipeline_config.hpp"

namespace runnel::config::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "runnel-config-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    try {  // deferred checkpoint writes into it finish first
      wait_for_log_writes();
    } catch (const std::exception& e) {
      FAIL_CHECK(e.what());
    }
    std::filesystem::remove_all(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` to `name` in the directory; returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::string file = (path_ / name).string();
    std::ofstream(file) << text;
    return file;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct Caught {
  ErrorKind kind = ErrorKind::Internal;
  std::string message;  // "" when nothing was thrown
};

template <class F>
Caught catch_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.kind(), e.what()};
  }
  return {};
}

// Loads `yaml` as a pipeline file named p.yaml; returns the config error message.
inline Caught load_error(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  TempDir dir;
  std::string file = dir.write("p.yaml", yaml);
  Caught c = catch_error([&] { load_pipeline(file, overrides); });
  // Report relative to the file name, so tests can match "p.yaml:3:5: ...".
  auto at = c.message.find("p.yaml");
  if (at != std::string::npos) c.message = c.message.substr(at);
  return c;
}

// The minimal valid pipeline, for tests that add one key.
inline const char* kMinimal =
    "version: 1\n"
    "sources:\n"
    "  in: {type: stdin, format: json}\n"
    "sinks:\n"
    "  out: {from: in, type: console}\n";

}  // namespace runnel::config::testing
