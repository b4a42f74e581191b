#include "testcase/runner.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "base/error.hpp"

namespace runnel::testcase {
namespace {

std::vector<std::string> expand(const std::vector<std::string>& files) {
  std::vector<std::string> out;
  for (const std::string& file : files) {
    if (!std::filesystem::is_directory(file)) {
      out.push_back(file);
      continue;
    }
    std::vector<std::string> found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(file))
      if (entry.is_regular_file() && entry.path().extension() == ".test") found.push_back(entry.path().string());
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::string self_binary() {
  std::error_code ignored;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", ignored);
  return path.empty() ? "/proc/self/exe" : path.string();
}

// "" when the case passed, else its failure report.
std::string run_file(const std::string& file, bool verbose) {
  try {
    const TestCase test_case = load_test_case(file);
    if (verbose) std::cout << "# " << file << ": " << test_case.description << "\n";
    const CaseDir dir(test_case);
    return test_case.command ? run_command_case(test_case, dir, self_binary()) : run_pipeline_case(test_case, dir);
  } catch (const std::exception& e) {  // a case that cannot be read or set up
    return "  " + std::string(e.what()) + "\n";
  }
}

}  // namespace

int run_test_files(const std::vector<std::string>& files, bool verbose) {
  int passed = 0, failed = 0;
  for (const std::string& file : expand(files)) {
    const std::string report = run_file(file, verbose);
    if (report.empty()) {
      ++passed;
      std::cout << "ok " << file << "\n";
    } else {
      ++failed;
      std::cout << "FAIL " << file << "\n" << report;
    }
    std::cout.flush();
  }
  std::cout << passed << " passed, " << failed << " failed\n";
  return failed == 0 && passed > 0 ? 0 : 1;
}

}  // namespace runnel::testcase
