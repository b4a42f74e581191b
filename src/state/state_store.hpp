// StateStore: the versioned key/value store a stateful operator saves its
// state to and restores it from (Spark's StateStore). Keys and values are
// opaque bytes the operator encodes (state/codec.hpp); version N is the state
// after micro-batch N. The in-memory store here serves tests and restarts
// within a process; the checkpoint issue adds one on LMDB behind the same
// interface. Operators keep working on their own in-memory tables and go
// through a store only to save and restore, never per row.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

namespace runnel {

class StateStore {
 public:
  virtual ~StateStore() = default;
  // The last committed version; -1 when nothing was committed.
  virtual int64_t version() const = 0;
  virtual std::optional<std::string> get(std::string_view key) const = 0;
  virtual void put(std::string_view key, std::string_view value) = 0;
  virtual void remove(std::string_view key) = 0;
  // Every key and value, in key order, including uncommitted changes.
  virtual void for_each(const std::function<void(std::string_view key, std::string_view value)>& fn) const = 0;
  // The same for the keys that start with `prefix` alone: a seek, not a
  // scan (an operator whose keys lead with what it looks entries up by).
  virtual void for_each_with_prefix(std::string_view prefix,
                                    const std::function<void(std::string_view key, std::string_view value)>& fn) const = 0;
  // The same for the keys k with begin <= k < end: a seek and a scan of
  // just those (an operator's entries ordered by a time, up to a bound).
  virtual void for_each_in_range(std::string_view begin, std::string_view end,
                                 const std::function<void(std::string_view key, std::string_view value)>& fn) const = 0;
  // Removes every entry (an operator rewriting its whole state).
  void clear() {
    std::vector<std::string> keys;
    for_each([&](std::string_view key, std::string_view) { keys.emplace_back(key); });
    for (auto& key : keys) remove(key);
  }
  // Makes the changes since the last commit the state of `version`.
  virtual void commit(int64_t version) = 0;
  // Drops the changes since the last commit.
  virtual void abort() = 0;
};

// A store in memory: committed state plus a pending copy.
class MemoryStateStore final : public StateStore {
 public:
  int64_t version() const override { return version_; }
  std::optional<std::string> get(std::string_view key) const override;
  void put(std::string_view key, std::string_view value) override { pending_[std::string(key)] = std::string(value); }
  void remove(std::string_view key) override { pending_.erase(std::string(key)); }
  void for_each(const std::function<void(std::string_view, std::string_view)>& fn) const override;
  void for_each_with_prefix(std::string_view prefix,
                            const std::function<void(std::string_view, std::string_view)>& fn) const override;
  void for_each_in_range(std::string_view begin, std::string_view end,
                         const std::function<void(std::string_view, std::string_view)>& fn) const override;
  void commit(int64_t version) override;
  void abort() override { pending_ = committed_; }

 private:
  std::map<std::string, std::string, std::less<>> committed_, pending_;
  int64_t version_ = -1;
};

}  // namespace runnel
