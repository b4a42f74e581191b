// TEMPORARY (delete at merge): a stand-in for LmdbStateEnv until
// src/state/lmdb_state.cpp lands, so the checkpoint work links and its crash
// tests run. Not LMDB: the whole state is one CBOR file (DIR/TEMP_stub_state),
// rewritten atomically at each commit, with the previous version kept for
// rollback_to(version - 1).
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>

#include "base/error.hpp"
#include "checkpoint/log_file.hpp"
#include "state/lmdb_state.hpp"

namespace runnel {

namespace {

using Table = std::map<std::string, std::string, std::less<>>;

class StubStore final : public StateStore {
 public:
  int64_t version() const override { return version_; }
  std::optional<std::string> get(std::string_view key) const override {
    auto it = pending.find(key);
    if (it == pending.end()) return std::nullopt;
    return it->second;
  }
  void put(std::string_view key, std::string_view value) override { pending[std::string(key)] = std::string(value); }
  void remove(std::string_view key) override {
    auto it = pending.find(key);
    if (it != pending.end()) pending.erase(it);
  }
  void for_each(const std::function<void(std::string_view, std::string_view)>& fn) const override {
    for (const auto& [k, v] : pending) fn(k, v);
  }
  void commit(int64_t version) override {
    committed = pending;
    version_ = version;
  }
  void abort() override { pending = committed; }

  Table committed, pending;
  int64_t version_ = -1;
};

nlohmann::json encode(const std::map<std::string, Table>& tables) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [op, table] : tables) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& [k, v] : table)
      rows.push_back({nlohmann::json::binary({k.begin(), k.end()}), nlohmann::json::binary({v.begin(), v.end()})});
    j[op] = rows;
  }
  return j;
}

std::map<std::string, Table> decode(const nlohmann::json& j) {
  std::map<std::string, Table> tables;
  for (const auto& [op, rows] : j.items()) {
    Table& t = tables[op];
    for (const auto& row : rows) {
      const auto& k = row[0].get_binary();
      const auto& v = row[1].get_binary();
      t.emplace(std::string(k.begin(), k.end()), std::string(v.begin(), v.end()));
    }
  }
  return tables;
}

}  // namespace

struct LmdbStateEnv::Impl {
  std::string file;
  std::map<std::string, std::unique_ptr<StubStore>> stores;
  int64_t version = -1;
  std::map<std::string, Table> committed, previous;
  int64_t previous_version = -1;

  void save() {
    nlohmann::json j{{"version", version}, {"tables", encode(committed)},
                     {"previous_version", previous_version}, {"previous", encode(previous)}};
    std::vector<uint8_t> bytes = nlohmann::json::to_cbor(j);
    std::string tmp = file + ".tmp";
    std::FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) fail(ErrorKind::IO, "cannot write " + tmp);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fflush(f);
    std::fclose(f);
    std::rename(tmp.c_str(), file.c_str());
  }

  void load_into_stores() {
    for (auto& [op, store] : stores) {
      store->committed = committed[op];
      store->pending = store->committed;
      store->version_ = version;
    }
  }
};

LmdbStateEnv::LmdbStateEnv(const std::string& dir) : impl_(std::make_unique<Impl>()) {
  make_directories(dir);
  impl_->file = dir + "/TEMP_stub_state";
  std::ifstream in(impl_->file, std::ios::binary);
  if (!in) return;
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  nlohmann::json j = nlohmann::json::from_cbor(bytes);
  impl_->version = j.at("version").get<int64_t>();
  impl_->committed = decode(j.at("tables"));
  impl_->previous_version = j.at("previous_version").get<int64_t>();
  impl_->previous = decode(j.at("previous"));
}

LmdbStateEnv::~LmdbStateEnv() = default;

StateStore& LmdbStateEnv::store(const std::string& operator_id) {
  auto& s = impl_->stores[operator_id];
  if (!s) {
    s = std::make_unique<StubStore>();
    s->committed = impl_->committed[operator_id];
    s->pending = s->committed;
    s->version_ = impl_->version;
  }
  return *s;
}

int64_t LmdbStateEnv::version() const { return impl_->version; }

void LmdbStateEnv::commit(int64_t version) {
  impl_->previous = impl_->committed;
  impl_->previous_version = impl_->version;
  for (auto& [op, store] : impl_->stores) {
    store->commit(version);
    impl_->committed[op] = store->committed;
  }
  impl_->version = version;
  impl_->save();
}

void LmdbStateEnv::rollback_to(int64_t version) {
  if (version == impl_->version) {
    impl_->load_into_stores();
    return;
  }
  RUNNEL_ASSERT(version == impl_->previous_version);
  impl_->committed = impl_->previous;
  impl_->version = impl_->previous_version;
  impl_->save();
  impl_->load_into_stores();
}

std::vector<StateStoreStats> LmdbStateEnv::stats() const {
  std::vector<StateStoreStats> out;
  for (const auto& [op, table] : impl_->committed) {
    StateStoreStats s{op, table.size(), 0};
    for (const auto& [k, v] : table) s.bytes += k.size() + v.size();
    out.push_back(s);
  }
  return out;
}

}  // namespace runnel
