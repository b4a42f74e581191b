#include "cli/cli.hpp"

int main(int argc, char** argv) { return runnel::cli::main(argc, argv); }
