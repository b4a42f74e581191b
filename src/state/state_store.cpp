#include "state/state_store.hpp"

namespace runnel {

std::optional<std::string> MemoryStateStore::get(std::string_view key) const {
  auto it = pending_.find(key);
  if (it == pending_.end()) return std::nullopt;
  return it->second;
}

void MemoryStateStore::for_each(const std::function<void(std::string_view, std::string_view)>& fn) const {
  for (const auto& [key, value] : pending_) fn(key, value);
}

void MemoryStateStore::for_each_with_prefix(std::string_view prefix,
                                            const std::function<void(std::string_view, std::string_view)>& fn) const {
  for (auto it = pending_.lower_bound(prefix); it != pending_.end() && it->first.starts_with(prefix); ++it)
    fn(it->first, it->second);
}

void MemoryStateStore::for_each_in_range(std::string_view begin, std::string_view end,
                                         const std::function<void(std::string_view, std::string_view)>& fn) const {
  for (auto it = pending_.lower_bound(begin); it != pending_.end() && it->first < end; ++it) fn(it->first, it->second);
}

void MemoryStateStore::commit(int64_t version) {
  committed_ = pending_;
  version_ = version;
}

}  // namespace runnel
