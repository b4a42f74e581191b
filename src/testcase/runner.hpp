// `runnel test FILE...`: runs test cases (docs/testing.md) and reports
// "ok <file>" / "FAIL <file>" per case, failures' details, and a closing
// "N passed, N failed" line on stdout.
#pragma once
#include <string>
#include <vector>

#include "testcase/case_dir.hpp"
#include "testcase/test_case.hpp"

namespace runnel::testcase {

// Runs every case in `files` (a directory means every *.test under it, in
// name order). Returns 0 when all passed, 1 otherwise (a case that cannot be
// parsed counts as failed).
int run_test_files(const std::vector<std::string>& files, bool verbose);

// The two forms of a case, each run in `dir`. Return "" when the case passes,
// else the failure report (indented lines, each ending in a newline).
std::string run_pipeline_case(const TestCase& test_case, const CaseDir& dir);
// `binary` is the runnel executable the command runs (/proc/self/exe in `runnel test`).
std::string run_command_case(const TestCase& test_case, const CaseDir& dir, const std::string& binary);

}  // namespace runnel::testcase
