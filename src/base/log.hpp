// Logging: stderr only (stdout carries data). One line per message,
// prefixed "runnel: "; info lines only with --verbose.
#pragma once
#include <string>

namespace runnel::log {

void set_verbose(bool verbose);
bool verbose();
void info(const std::string& message);   // only when verbose
void warn(const std::string& message);   // "runnel: warning: ..."
void error(const std::string& message);  // "runnel: error: ..."

}  // namespace runnel::log
