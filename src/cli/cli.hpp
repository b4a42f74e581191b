// The command line: runnel run|validate|explain|test (see man/runnel.1).
#pragma once

namespace runnel::cli {

// Parses arguments, runs the subcommand and returns the process exit code
// (sysexits: 0 ok, 64 usage, 65 bad data, 66 no input, 69 unavailable,
// 70 internal, 74 I/O, 78 config).
int main(int argc, char** argv);

}  // namespace runnel::cli
