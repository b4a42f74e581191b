#include "testcase/case_dir.hpp"

#include <stdlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/error.hpp"

namespace runnel::testcase {
namespace {

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  if (!out) fail(ErrorKind::IO, "cannot write " + path.string());
}

}  // namespace

CaseDir::CaseDir(const TestCase& test_case) {
  const char* tmp = getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/runnel-test-XXXXXX";
  if (!mkdtemp(pattern.data())) fail(ErrorKind::IO, "mkdtemp " + pattern + ": " + std::strerror(errno));
  path_ = pattern;
  for (const auto& [name, content] : test_case.files) {
    if (name.empty() || name[0] == '/' || name.find("..") != std::string::npos)
      fail(ErrorKind::Config, test_case.file + ": files: '" + name + "' must be a relative path inside the case");
    write_file(std::filesystem::path(path_) / name, content);
  }
  if (!test_case.pipeline_text.empty()) {
    pipeline_ = path_ + "/pipeline.yaml";
    write_file(pipeline_, test_case.pipeline_text);
  } else {
    pipeline_ = test_case.pipeline_file;
  }
}

CaseDir::~CaseDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace runnel::testcase
