// Random (version 4) UUIDs, for query run ids and output file names.
#pragma once
#include <string>

namespace runnel {

std::string random_uuid();

}  // namespace runnel
