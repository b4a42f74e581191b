// The fresh temporary directory each case runs in: it holds the case's
// `files` and its inline pipeline (as pipeline.yaml), so relative paths in the
// pipeline resolve there and nothing a case writes lands in the source tree.
#pragma once
#include <string>

#include "testcase/test_case.hpp"

namespace runnel::testcase {

class CaseDir {
 public:
  // Creates the directory under $TMPDIR (default /tmp) and writes the files.
  explicit CaseDir(const TestCase& test_case);
  ~CaseDir();  // removes the directory and everything in it
  CaseDir(const CaseDir&) = delete;
  CaseDir& operator=(const CaseDir&) = delete;

  const std::string& path() const { return path_; }
  // The pipeline to run: pipeline.yaml here, or the case's pipeline_file; "" if none.
  const std::string& pipeline() const { return pipeline_; }

 private:
  std::string path_;
  std::string pipeline_;
};

}  // namespace runnel::testcase
