#include "ops/aggregate/session_window.hpp"

#include <algorithm>
#include <iterator>
#include <numeric>

#include "base/error.hpp"
#include "config/node.hpp"
#include "ops/aggregate/window.hpp"

namespace runnel {

namespace {

// In the key lists and merge targets while a push runs: the index of a new
// merged session whose group is not inserted yet.
constexpr uint32_t kPending = 0x80000000u;
constexpr uint32_t kNoGroup = UINT32_MAX;

int64_t row_gap(const Column& gaps, size_t i) {
  if (gaps.is_null(i)) return -1;
  return config::parse_duration_us(gaps.data<std::string_view>()[i]);
}

}  // namespace

size_t SessionSpec::assign(const Column& ts, const Column* gaps, size_t n, int64_t* starts, int64_t* ends,
                           uint32_t* rows) const {
  const int64_t* micros = ts.data<int64_t>();
  size_t count = 0;
  for (size_t i = 0; i < n; ++i) {
    const int64_t t = micros[i];
    const int64_t gap = gaps ? row_gap(*gaps, i) : gap_us;
    const bool ok = ts.is_valid(i) && t > -kMaxWindowedTimestamp && t < kMaxWindowedTimestamp && gap > 0 &&
                    gap <= kMaxWindowedTimestamp;
    starts[i] = t;
    ends[i] = ok ? t + gap : t;
    rows[count] = static_cast<uint32_t>(i);
    count += ok;
  }
  return count;
}

std::string SessionSpec::describe(const std::string& column) const {
  return "session_window(" + column + ", " + gap_text + ")";
}

struct SessionWindows::Merged {
  size_t first = 0, last = 0;  // its rows: positions [first, last) of order_
  uint32_t group = kNoGroup;   // the stored session it grew from, or kNoGroup
  int64_t start = 0, end = 0;
};

SessionWindows::SessionWindows(std::vector<DataType> other_key_types, size_t position)
    : position_(position), keys_(std::move(other_key_types)) {}

std::vector<const Column*> SessionWindows::other_keys(const std::vector<const Column*>& keys) const {
  std::vector<const Column*> others = keys;
  others.erase(others.begin() + static_cast<std::ptrdiff_t>(position_));
  return others;
}

void SessionWindows::assign(GroupTable& table, const std::vector<const Column*>& keys, const int64_t* starts,
                            const int64_t* ends, const uint32_t* rows, size_t n, uint32_t* groups,
                            const LoadKey& load) {
  merge_dst_.clear();
  merge_src_.clear();
  if (n == 0) return;
  key_ids_.resize(n);
  const auto known = static_cast<uint32_t>(keys_.size());
  keys_.find_or_insert(other_keys(keys), rows, n, key_ids_.data());
  sessions_.resize(keys_.size());
  if (!spilled_.empty()) reload_keys(table, known, load);
  // Rows by key, then start: each key's rows are a run, in session order.
  order_.resize(n);
  std::iota(order_.begin(), order_.end(), 0u);
  std::stable_sort(order_.begin(), order_.end(), [&](uint32_t a, uint32_t b) {
    if (key_ids_[a] != key_ids_[b]) return key_ids_[a] < key_ids_[b];
    return starts[rows[a]] < starts[rows[b]];
  });
  std::vector<Merged> merged;
  std::vector<uint32_t> touched;  // keys whose lists hold kPending entries
  for (size_t first = 0; first < n;) {
    const uint32_t key = key_ids_[order_[first]];
    size_t last = first;
    while (last < n && key_ids_[order_[last]] == key) ++last;
    sweep_key(key, first, last, starts, ends, rows, merged);
    touched.push_back(key);
    first = last;
  }
  // New sessions (grown from a row, not a stored session) become groups; the
  // key of one is its first row's keys, whose start is the session's start.
  std::vector<uint32_t> founders;
  for (const Merged& m : merged)
    if (m.group == kNoGroup) founders.push_back(rows[order_[m.first]]);
  std::vector<uint32_t> ids(founders.size());
  const size_t before = table.size();
  table.find_or_insert(keys, founders.data(), founders.size(), ids.data());
  if (table.size() != before + founders.size() || table.size() >= kPending)
    fail(ErrorKind::Internal, "session_window: a new session's start is taken by another session");
  starts_.resize(table.size());
  ends_.resize(table.size());
  dead_.resize(table.size(), 0);
  size_t next_founder = 0;
  for (Merged& m : merged) {
    if (m.group == kNoGroup) m.group = ids[next_founder++];
    starts_[m.group] = m.start;
    ends_[m.group] = m.end;
    for (size_t p = m.first; p < m.last; ++p) groups[order_[p]] = m.group;
  }
  auto resolve = [&](uint32_t& id) {
    if (id & kPending) id = merged[id & ~kPending].group;
  };
  for (uint32_t& dst : merge_dst_) resolve(dst);
  for (uint32_t key : touched)
    for (uint32_t& g : sessions_[key]) resolve(g);
}

// One key's rows, positions [first, last) of order_, swept against its
// stored sessions in start order (a stored session before a row on a tie): an
// item joins the current session when it starts at or before the session's
// end. Stored sessions are disjoint, so only rows bridge them.
void SessionWindows::sweep_key(uint32_t key, size_t first, size_t last, const int64_t* starts, const int64_t* ends,
                               const uint32_t* rows, std::vector<Merged>& merged) {
  std::vector<uint32_t>& stored = sessions_[key];
  std::vector<uint32_t>& next = next_;
  std::vector<uint32_t>& absorbed = absorbed_;  // stored sessions merged into the current one
  next.clear();
  Merged cur;
  bool open = false;
  auto finish = [&] {
    if (cur.first == cur.last) return next.push_back(cur.group);  // a stored session no row touched
    const uint32_t dst = cur.group != kNoGroup ? cur.group : kPending | static_cast<uint32_t>(merged.size());
    for (uint32_t g : absorbed) {
      merge_dst_.push_back(dst);
      merge_src_.push_back(g);
      dead_[g] = 1;
      any_dead_ = true;
    }
    absorbed.clear();
    merged.push_back(cur);
    next.push_back(dst);
  };
  size_t s = 0, p = first;
  while (s < stored.size() || p < last) {
    const bool from_state = s < stored.size() && (p == last || starts_[stored[s]] <= starts[rows[order_[p]]]);
    const int64_t start = from_state ? starts_[stored[s]] : starts[rows[order_[p]]];
    const int64_t end = from_state ? ends_[stored[s]] : ends[rows[order_[p]]];
    if (open && start <= cur.end) {
      cur.end = std::max(cur.end, end);
    } else {
      if (open) finish();
      cur = Merged{p, p, kNoGroup, start, end};
      open = true;
    }
    if (!from_state) {
      cur.last = ++p;
    } else if (cur.group == kNoGroup && cur.first == cur.last) {
      cur.group = stored[s++];  // the session starts with it: it keeps its group
    } else {
      absorbed.push_back(stored[s++]);
    }
  }
  if (open) finish();
  stored.assign(next.begin(), next.end());
}

// The keys from first_key on are new to memory: those the index may hold
// come back from the store, all their sessions at once.
void SessionWindows::reload_keys(GroupTable& table, uint32_t first_key, const LoadKey& load) {
  std::vector<uint64_t> back;  // a key hash per session that came back
  std::string prefix;
  for (uint32_t k = first_key; k < keys_.size(); ++k) {
    const uint64_t hash = keys_.hash(k);
    if (!std::binary_search(spilled_.begin(), spilled_.end(), hash)) continue;
    prefix.clear();
    keys_.encode_key(k, prefix);
    const auto first = static_cast<uint32_t>(table.size());
    load(prefix);
    add_groups(table, first);
    back.insert(back.end(), table.size() - first, hash);
  }
  if (back.empty()) return;
  // Out of the index once per session that came back: a key with the same
  // hash keeps its own entries.
  std::sort(back.begin(), back.end());
  std::vector<uint64_t> rest;
  rest.reserve(spilled_.size() - std::min(spilled_.size(), back.size()));
  std::set_difference(spilled_.begin(), spilled_.end(), back.begin(), back.end(), std::back_inserter(rest));
  spilled_ = std::move(rest);
}

void SessionWindows::add_groups(const GroupTable& table, uint32_t first) {
  const size_t n = table.size() - first;
  if (n == 0) return;
  if (ends_.size() != table.size()) fail(ErrorKind::Internal, "session_window: sessions without an end");
  const int64_t* start = table.key_columns()[position_]->data<int64_t>();
  starts_.resize(table.size());
  std::copy(start + first, start + table.size(), starts_.begin() + first);
  dead_.resize(table.size(), 0);
  std::vector<const Column*> all;
  for (const ColumnRef& c : table.key_columns()) all.push_back(c.get());
  std::vector<uint32_t> groups(n), key_ids(n);
  std::iota(groups.begin(), groups.end(), first);
  keys_.find_or_insert(other_keys(all), groups.data(), n, key_ids.data());
  sessions_.resize(keys_.size());
  for (size_t i = 0; i < n; ++i) sessions_[key_ids[i]].push_back(groups[i]);
  std::sort(key_ids.begin(), key_ids.end());
  key_ids.erase(std::unique(key_ids.begin(), key_ids.end()), key_ids.end());
  for (uint32_t k : key_ids) sort_sessions(sessions_[k]);
}

void SessionWindows::keep_whole_keys(std::vector<uint8_t>& keep) {
  for (uint32_t k = 0; k < sessions_.size(); ++k) {
    const std::vector<uint32_t>& list = sessions_[k];
    const bool kept = std::any_of(list.begin(), list.end(), [&](uint32_t g) { return keep[g]; });
    for (uint32_t g : list) keep[g] = kept;
    if (!kept) spilled_.insert(spilled_.end(), list.size(), keys_.hash(k));
  }
  sort_spilled();
}

void SessionWindows::note_spilled(const std::vector<const Column*>& keys, size_t row) {
  const auto r = static_cast<uint32_t>(row);
  spilled_.push_back(keys_.hashes(other_keys(keys), &r, 1)[0]);
}

void SessionWindows::compact(const GroupTable& table, const std::vector<uint32_t>& kept) {
  keep_only(ends_, kept);
  rebuild(table);
}

void SessionWindows::set_end(uint32_t g, int64_t end) {
  if (g >= ends_.size()) ends_.resize(g + 1);
  ends_[g] = end;
}

void SessionWindows::rebuild(const GroupTable& table) {
  const size_t n = table.size();
  if (ends_.size() != n) fail(ErrorKind::Internal, "session_window: sessions without an end");
  const Column& start_column = *table.key_columns()[position_];
  starts_.assign(start_column.data<int64_t>(), start_column.data<int64_t>() + n);
  dead_.assign(n, 0);
  any_dead_ = false;
  std::vector<const Column*> all;
  for (const ColumnRef& c : table.key_columns()) all.push_back(c.get());
  std::vector<DataType> types;
  for (const Column* c : other_keys(all)) types.push_back(c->type());
  keys_ = GroupTable(std::move(types));
  std::vector<uint32_t> groups(n), key_ids(n);
  std::iota(groups.begin(), groups.end(), 0u);
  keys_.find_or_insert(other_keys(all), groups.data(), n, key_ids.data());
  sessions_.assign(keys_.size(), {});
  for (uint32_t g = 0; g < n; ++g) sessions_[key_ids[g]].push_back(g);
  for (auto& list : sessions_) sort_sessions(list);
}

void SessionWindows::sort_sessions(std::vector<uint32_t>& list) const {
  std::sort(list.begin(), list.end(), [&](uint32_t a, uint32_t b) { return starts_[a] < starts_[b]; });
}

ColumnRef SessionWindows::column(const DataType& type, const Column& starts, const uint32_t* groups, size_t n) const {
  auto out = Column::make(type, n);
  out->resize(n);
  for (size_t i = 0; i < n; ++i) {
    out->children()[0]->data<int64_t>()[i] = starts.data<int64_t>()[i];
    out->children()[1]->data<int64_t>()[i] = ends_[groups[i]];
  }
  return out;
}

size_t SessionWindows::memory_bytes() const {
  size_t bytes = keys_.memory_bytes() + sessions_.capacity() * sizeof(sessions_[0]) +
                 (starts_.capacity() + ends_.capacity()) * sizeof(int64_t) + dead_.capacity() +
                 spilled_.capacity() * sizeof(uint64_t);
  for (const auto& list : sessions_) bytes += list.capacity() * sizeof(uint32_t);
  return bytes;
}

}  // namespace runnel
