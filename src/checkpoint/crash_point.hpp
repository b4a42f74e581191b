// Named crash points of the commit protocol, for tests only: with
// RUNNEL_CRASH_AT=<point> or <point>:<batch id> in the environment, the
// process kills itself with SIGKILL when it reaches that point (in that batch),
// as a power loss would stop it: no destructor, no flush. Points:
// after_offsets, after_sink_write, after_sink_commit, before_state_commit,
// after_state_commit, after_commit_marker.
#pragma once
#include <cstdint>
#include <string_view>

namespace runnel {

void crash_point(std::string_view point, int64_t batch_id);

}  // namespace runnel
