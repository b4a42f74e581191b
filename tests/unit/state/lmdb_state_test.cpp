#include "state/lmdb_state.hpp"

#include <doctest.h>
#include <lmdb.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <chrono>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "base/error.hpp"

namespace fs = std::filesystem;
using runnel::Error;
using runnel::ErrorKind;
using runnel::LmdbStateEnv;
using runnel::StateStore;
using runnel::MemoryStateStore;

namespace {

// A fresh directory under /tmp, removed with everything in it.
struct TempDir {
  TempDir() {
    char name[] = "/tmp/runnel_lmdb_test_XXXXXX";
    REQUIRE(mkdtemp(name) != nullptr);
    path = name;
  }
  ~TempDir() { fs::remove_all(path); }
  std::string state() const { return path + "/state"; }
  std::string path;
};

using Entries = std::map<std::string, std::string>;

Entries entries(const StateStore& store) {
  Entries out;
  std::string previous;
  bool first = true;
  store.for_each([&](std::string_view key, std::string_view value) {
    if (!first) CHECK(previous < key);  // strictly in key order
    previous = key;
    first = false;
    out.emplace(key, value);
  });
  return out;
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Expects opening `dir` to fail with Error(IO) naming its data.mdb.
void check_open_fails(const std::string& dir) {
  try {
    LmdbStateEnv env(dir);
    FAIL("opened a corrupt state environment");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::IO);
    CHECK(std::string(e.what()).find(dir + "/data.mdb") != std::string::npos);
  }
}

}  // namespace

TEST_CASE("lmdb state: staged changes overlay the committed state") {
  TempDir tmp;
  LmdbStateEnv env(tmp.state());
  CHECK(env.version() == -1);
  StateStore& store = env.store("agg/2");
  CHECK(&store == &env.store("agg/2"));
  store.put("b", "2");
  store.put("a", "1");
  store.put("c", "3");
  store.remove("c");
  CHECK(store.get("a") == "1");
  CHECK(!store.get("c"));
  CHECK(entries(store) == Entries{{"a", "1"}, {"b", "2"}});
  store.commit(0);
  CHECK(store.version() == 0);
  CHECK(env.version() == 0);

  store.put("a", "10");  // overwrite a committed key
  store.remove("b");     // remove a committed key
  store.put("0", "z");   // before every committed key
  store.put("d", "4");   // after every committed key
  CHECK(entries(store) == Entries{{"0", "z"}, {"a", "10"}, {"d", "4"}});
  CHECK(!store.get("b"));
  store.abort();
  CHECK(entries(store) == Entries{{"a", "1"}, {"b", "2"}});
  CHECK(store.get("b") == "2");
  CHECK(!store.get("zzz"));

  SUBCASE("the empty key and binary bytes are keys like any other") {
    std::string binary("\xff\0\x01", 3);
    store.put("", "empty");
    store.put(binary, std::string("\0v", 2));
    store.commit(1);
    CHECK(store.get("") == "empty");
    CHECK(store.get(binary) == std::string("\0v", 2));
    CHECK(entries(store).begin()->first == "");
    CHECK(entries(store).rbegin()->first == binary);  // 0xff sorts last, as unsigned bytes
  }
}

TEST_CASE("lmdb state: many staged changes sort in key order, a key's last change winning") {
  // Keys sharing long prefixes (as an operator's encoded keys do), keys that
  // are prefixes of others, bytes above 0x7f, and keys changed many times.
  TempDir tmp;
  LmdbStateEnv env(tmp.state());
  StateStore& store = env.store("agg/0");
  Entries model;
  uint64_t random = 42;
  auto next = [&random](uint64_t bound) {
    random = random * 6364136223846793005ULL + 1442695040888963407ULL;
    return (random >> 33) % bound;
  };
  for (int batch = 0; batch < 3; ++batch) {
    for (int i = 0; i < 5000; ++i) {
      std::string key(next(3) * 7, '\x80');  // a shared prefix of 0, 7 or 14 bytes
      for (uint64_t n = next(4); n > 0; --n) key += static_cast<char>("a\0\xff"[next(3)]);
      key += std::to_string(next(300));
      if (next(4) == 0) {
        store.remove(key);
        model.erase(key);
      } else {
        std::string value = std::to_string(batch * 5000 + i);
        store.put(key, value);
        model[key] = value;
      }
    }
    CHECK(entries(store) == model);
    for (int i = 0; i < 50; ++i) {
      std::string key = std::to_string(next(300));
      CHECK(store.get(key) == (model.contains(key) ? std::optional<std::string>(model[key]) : std::nullopt));
    }
    env.commit(batch);
    CHECK(entries(store) == model);
  }
}

TEST_CASE("lmdb state: a commit survives reopening, with every store in one version") {
  TempDir tmp;
  {
    LmdbStateEnv env(tmp.state());
    env.store("agg/1").put("k1", "v1");
    env.store("dedup/0").put("k2", "v2");
    env.commit(0);
    env.store("agg/1").put("k1", "v1b");
    env.store("dedup/0").put("k3", "v3");
    env.commit(1);
    env.store("agg/1").put("uncommitted", "x");  // lost: never committed
  }
  LmdbStateEnv env(tmp.state());
  CHECK(env.version() == 1);
  CHECK(entries(env.store("agg/1")) == Entries{{"k1", "v1b"}});
  CHECK(entries(env.store("dedup/0")) == Entries{{"k2", "v2"}, {"k3", "v3"}});
  CHECK(entries(env.store("new/0")).empty());
}

TEST_CASE("lmdb state: an operator id too long to name a database is refused") {
  TempDir tmp;
  LmdbStateEnv env(tmp.state());
  CHECK_THROWS_AS(env.store(std::string(600, 'x')), Error);
  env.store(std::string(400, 'x')).put("k", "v");
  env.commit(0);
  CHECK(env.stats().at(0).rows == 1);
}

TEST_CASE("lmdb state: a store's own commit leaves the other stores staged") {
  TempDir tmp;
  LmdbStateEnv env(tmp.state());
  env.store("a").put("k", "1");
  env.store("b").put("k", "2");
  env.store("a").commit(0);
  env.store("b").abort();
  CHECK(env.version() == 0);
  CHECK(env.store("a").get("k") == "1");
  CHECK(!env.store("b").get("k"));
}

TEST_CASE("lmdb state: rollback undoes exactly the last commit") {
  TempDir tmp;
  const Entries v0{{"a", "1"}, {"b", "2"}};
  {
    LmdbStateEnv env(tmp.state());
    StateStore& s = env.store("op");
    StateStore& t = env.store("other");
    s.put("a", "1");
    s.put("b", "2");
    t.put("x", "1");
    env.commit(0);
    s.put("a", "10");
    s.remove("b");
    s.put("c", "3");
    env.commit(1);  // `other` unchanged in version 1
    CHECK(entries(s) == Entries{{"a", "10"}, {"c", "3"}});

    s.put("staged", "x");
    env.rollback_to(1);  // the current version: only drops staged changes
    CHECK(env.version() == 1);
    CHECK(!s.get("staged"));

    env.rollback_to(0);
    CHECK(env.version() == 0);
    CHECK(entries(s) == v0);
    CHECK(entries(t) == Entries{{"x", "1"}});
    // The undo record is gone: going back once more is refused, not repeated.
    CHECK_THROWS_AS(env.rollback_to(-1), Error);
    CHECK(entries(s) == v0);
  }

  SUBCASE("reopening after a rollback sees the older version") {
    LmdbStateEnv env(tmp.state());
    CHECK(env.version() == 0);
    CHECK(entries(env.store("op")) == v0);
    CHECK_THROWS_AS(env.rollback_to(-1), Error);
  }
  SUBCASE("the rolled-back version can be committed again, differently") {
    {
      LmdbStateEnv env(tmp.state());
      env.store("op").put("b", "20");
      env.commit(1);
      CHECK(entries(env.store("op")) == Entries{{"a", "1"}, {"b", "20"}});
    }
    LmdbStateEnv env(tmp.state());
    CHECK(env.version() == 1);
    CHECK(entries(env.store("op")) == Entries{{"a", "1"}, {"b", "20"}});
    env.rollback_to(0);  // the new commit 1 has its own undo record
    CHECK(entries(env.store("op")) == v0);
  }
}

TEST_CASE("lmdb state: rolling back the first commit empties the state") {
  TempDir tmp;
  LmdbStateEnv env(tmp.state());
  env.store("op").put("a", "1");
  env.commit(0);
  env.rollback_to(-1);
  CHECK(env.version() == -1);
  CHECK(entries(env.store("op")).empty());
  CHECK(env.stats().at(0).rows == 0);
}

TEST_CASE("lmdb state: the map grows past its initial 64 MiB") {
  TempDir tmp;
  const int n = 100'000;
  const std::string value(1000, 'v');
  {
    LmdbStateEnv env(tmp.state());
    StateStore& store = env.store("big");
    char key[16];
    for (int i = 0; i < n; ++i) {
      std::snprintf(key, sizeof key, "%08d", i);
      store.put(key, value);
    }
    env.commit(0);
  }
  CHECK(fs::file_size(tmp.state() + "/data.mdb") > (size_t{64} << 20));
  LmdbStateEnv env(tmp.state());
  size_t count = 0;
  env.store("big").for_each([&](std::string_view, std::string_view v) { count += v == value; });
  CHECK(count == n);
  CHECK(env.stats().at(0).rows == n);
}

TEST_CASE("lmdb state: keys longer than LMDB's key limit") {
  TempDir tmp;
  // Around the 511-byte limit, a 2 KB key, and long keys that share their
  // first 510 bytes (one bucket) or differ only in their last byte.
  std::map<std::string, std::string> expected;
  for (size_t size : {508, 509, 510, 511, 512, 600}) expected[std::string(size, 'p')] = "len" + std::to_string(size);
  std::string long_key(2048, 'q');
  expected[long_key] = "2k";
  expected[long_key + "a"] = "2k+a";
  expected[std::string(2047, 'q') + "b"] = "2k-1+b";
  expected[std::string(1000, 'q')] = "1000";
  expected["short"] = "s";
  {
    LmdbStateEnv env(tmp.state());
    StateStore& store = env.store("op");
    for (const auto& [k, v] : expected) store.put(k, v);
    CHECK(entries(store) == Entries(expected.begin(), expected.end()));  // staged only
    env.commit(0);
    CHECK(entries(store) == Entries(expected.begin(), expected.end()));  // committed only
    for (const auto& [k, v] : expected) CHECK(store.get(k) == v);

    store.remove(long_key);
    store.put(long_key + "a", "changed");
    store.put(std::string(700, 'q'), "new");
    env.commit(1);
    env.rollback_to(0);
    CHECK(entries(store) == Entries(expected.begin(), expected.end()));
    store.remove(long_key);
    expected.erase(long_key);
    env.commit(1);
    CHECK(!store.get(long_key));
    CHECK(store.get(long_key + "a") == "2k+a");
  }
  LmdbStateEnv env(tmp.state());
  CHECK(entries(env.store("op")) == Entries(expected.begin(), expected.end()));
  uint64_t bytes = 0;
  for (const auto& [k, v] : expected) bytes += k.size() + v.size();
  CHECK(env.stats().at(0).rows == expected.size());
  CHECK(env.stats().at(0).bytes == bytes);
}

TEST_CASE("lmdb state: stats count committed rows and bytes per operator") {
  TempDir tmp;
  LmdbStateEnv env(tmp.state());
  env.store("b/1").put("key", "value");   // 8 bytes
  env.store("a/0").put("k1", "v1");       // 4 bytes
  env.store("a/0").put("k2", "value2");   // 8 bytes
  CHECK(env.stats().at(0).rows == 0);     // staged changes do not count
  env.commit(0);
  auto stats = env.stats();
  REQUIRE(stats.size() == 2);
  CHECK(stats[0].operator_id == "a/0");
  CHECK(stats[0].rows == 2);
  CHECK(stats[0].bytes == 12);
  CHECK(stats[1].operator_id == "b/1");
  CHECK(stats[1].rows == 1);
  CHECK(stats[1].bytes == 8);

  env.store("a/0").remove("k1");
  env.store("a/0").put("k2", "v");  // 3 bytes now
  env.store("a/0").remove("absent");
  env.commit(1);
  CHECK(env.stats()[0].rows == 1);
  CHECK(env.stats()[0].bytes == 3);
  env.rollback_to(0);
  CHECK(env.stats()[0].rows == 2);
  CHECK(env.stats()[0].bytes == 12);
}

TEST_CASE("lmdb state: a corrupt or foreign environment is an I/O error naming the file") {
  TempDir tmp;
  const std::string dir = tmp.state();
  fs::create_directories(dir);
  SUBCASE("not an LMDB file") {
    write_file(dir + "/data.mdb", std::string(100'000, 'x'));
    check_open_fails(dir);
  }
  SUBCASE("truncated within its meta pages") {
    { LmdbStateEnv env(dir); }
    fs::resize_file(dir + "/data.mdb", 100);
    check_open_fails(dir);
  }
  SUBCASE("truncated data pages") {
    {
      LmdbStateEnv env(dir);
      for (int i = 0; i < 20'000; ++i) env.store("op").put("key" + std::to_string(i), std::string(100, 'v'));
      env.commit(0);
    }
    fs::resize_file(dir + "/data.mdb", fs::file_size(dir + "/data.mdb") / 2);
    check_open_fails(dir);
  }
  SUBCASE("an LMDB environment that runnel did not write") {
    // A runnel environment whose meta database lost its format marker.
    {
      LmdbStateEnv env(dir);
      env.commit(0);
    }
    MDB_env* raw = nullptr;
    REQUIRE(mdb_env_create(&raw) == 0);
    mdb_env_set_maxdbs(raw, 4);
    REQUIRE(mdb_env_open(raw, dir.c_str(), 0, 0644) == 0);
    MDB_txn* txn = nullptr;
    MDB_dbi meta;
    REQUIRE(mdb_txn_begin(raw, nullptr, 0, &txn) == 0);
    REQUIRE(mdb_dbi_open(txn, "meta", 0, &meta) == 0);
    MDB_val key{6, const_cast<char*>("format")};
    REQUIRE(mdb_del(txn, meta, &key, nullptr) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(raw);
    check_open_fails(dir);
  }
  SUBCASE("an LMDB environment of some other program") {
    MDB_env* raw = nullptr;
    REQUIRE(mdb_env_create(&raw) == 0);
    REQUIRE(mdb_env_open(raw, dir.c_str(), 0, 0644) == 0);
    MDB_txn* txn = nullptr;
    MDB_dbi main;
    REQUIRE(mdb_txn_begin(raw, nullptr, 0, &txn) == 0);
    REQUIRE(mdb_dbi_open(txn, nullptr, 0, &main) == 0);
    MDB_val key{5, const_cast<char*>("hello")}, value{5, const_cast<char*>("world")};
    REQUIRE(mdb_put(txn, main, &key, &value, 0) == 0);
    REQUIRE(mdb_txn_commit(txn) == 0);
    mdb_env_close(raw);
    check_open_fails(dir);
  }
  SUBCASE("a path that is a file") {
    write_file(tmp.path + "/file", "x");
    CHECK_THROWS_AS(LmdbStateEnv(tmp.path + "/file"), Error);
  }
}

TEST_CASE("lmdb state: a failed write (full disk) is an I/O error and keeps the last commit") {
  TempDir tmp;
  LmdbStateEnv env(tmp.state());
  env.store("op").put("a", "1");
  env.commit(0);
  // RLIMIT_FSIZE makes growing the file fail with EFBIG, as a full disk fails with ENOSPC.
  rlimit saved;
  REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
  auto* previous_handler = signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = fs::file_size(tmp.state() + "/data.mdb") + 4096;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &limited) == 0);
  for (int i = 0; i < 10'000; ++i) env.store("op").put("key" + std::to_string(i), std::string(100, 'v'));
  bool failed = false;
  try {
    env.commit(1);
  } catch (const Error& e) {
    failed = true;
    CHECK(e.kind() == ErrorKind::IO);
    CHECK(std::string(e.what()).find("data.mdb") != std::string::npos);
  }
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, previous_handler);
  CHECK(failed);
  CHECK(env.version() == 0);
  env.rollback_to(0);
  CHECK(entries(env.store("op")) == Entries{{"a", "1"}});
  env.store("op").put("b", "2");  // with room again, the next commit works
  env.commit(1);
  CHECK(entries(env.store("op")) == Entries{{"a", "1"}, {"b", "2"}});
}

TEST_CASE("lmdb state: a prepared commit runs on another thread while the next batch stages; reads wait for it") {
  TempDir tmp;
  LmdbStateEnv env(tmp.state());
  StateStore& store = env.store("op");
  store.put("a", "1");
  std::function<void()> job = env.prepare_commit(0);
  store.put("b", "2");  // the next batch's change, staged while the commit is pending
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    job();
    job = nullptr;  // the job's last copy gone: no longer in flight
  });
  CHECK(env.version() == 0);  // waited for the writer
  CHECK(entries(store) == Entries{{"a", "1"}, {"b", "2"}});
  writer.join();
  env.commit(1);
  store.put("c", "3");
  env.rollback_to(0);  // the undo record of commit 1: back to what job 0 wrote
  CHECK(entries(store) == Entries{{"a", "1"}});
}

TEST_CASE("lmdb state: a prepared commit dropped unrun (a failure before it ran) commits nothing") {
  TempDir tmp;
  LmdbStateEnv env(tmp.state());
  env.store("op").put("a", "1");
  env.commit(0);
  env.store("op").put("b", "2");
  std::function<void()> job = env.prepare_commit(1);
  job = nullptr;
  CHECK(env.version() == 0);
  CHECK(entries(env.store("op")) == Entries{{"a", "1"}});
}

// RUNNEL_STATE_BENCH=1 build/tests/unit_tests -tc='*benchmark*' -s
TEST_CASE("lmdb state: benchmark of 1M small keys (RUNNEL_STATE_BENCH)") {
  if (getenv("RUNNEL_STATE_BENCH") == nullptr) return;
  TempDir tmp;
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); };
  auto cpu = [](std::clock_t since) { return double(std::clock() - since) / CLOCKS_PER_SEC; };
  const int n = 1'000'000;
  {
    LmdbStateEnv env(tmp.state());
    StateStore& store = env.store("agg/0");
    char key[17], value[33];
    auto start = Clock::now();
    for (int i = 0; i < n; ++i) {
      std::snprintf(key, sizeof key, "key-%012lld", static_cast<long long>(i) * 7919 % n);
      std::snprintf(value, sizeof value, "value-%026d", i);
      store.put(key, value);
    }
    double staged = seconds(start);
    start = Clock::now();
    std::clock_t start_cpu = std::clock();
    env.commit(0);
    MESSAGE("stage 1M puts: " << staged << " s, commit: " << seconds(start) << " s (cpu " << cpu(start_cpu) << " s)");
  }
  auto start = Clock::now();
  std::clock_t start_cpu = std::clock();
  LmdbStateEnv env(tmp.state());
  size_t count = 0, bytes = 0;
  env.store("agg/0").for_each([&](std::string_view k, std::string_view v) {
    ++count;
    bytes += k.size() + v.size();
  });
  MESSAGE("reopen + for_each over " << count << " keys (" << bytes << " bytes): " << seconds(start) << " s (cpu " << cpu(start_cpu) << " s)");
  CHECK(count == n);
}

TEST_CASE("lmdb state: for_each_with_prefix seeks to the keys under a prefix, staged changes on top, long keys too") {
  TempDir tmp;
  LmdbStateEnv env(tmp.state());
  StateStore& store = env.store("op");
  std::map<std::string, std::string> expected;
  auto put = [&](const std::string& k, const std::string& v) { store.put(k, v), expected[k] = v; };
  auto remove = [&](const std::string& k) { store.remove(k), expected.erase(k); };
  for (const char* k : {"a", "ab", "abc", "abd", "ac", "b", "ba"}) put(k, std::string("v") + k);
  const std::string bucket(510, 'q');  // keys sharing their first 510 bytes share one LMDB entry
  for (const char* tail : {"", "a", "ab", "b", "ba"}) put(bucket + tail, std::string("long") + tail);
  put(std::string(509, 'q'), "509");
  put(std::string(511, 'r'), "r");
  env.commit(0);
  remove("abc");
  put("abe", "staged");
  put("ab", "changed");
  remove(bucket + "a");
  put(bucket + "aa", "staged long");
  auto under = [&](const std::string& prefix) {
    Entries out;
    std::string previous;
    store.for_each_with_prefix(prefix, [&](std::string_view key, std::string_view value) {
      CHECK(previous < key);
      previous = key;
      out.emplace(key, value);
    });
    return out;
  };
  for (const std::string& prefix : {std::string(""), std::string("a"), std::string("ab"), std::string("abc"),
                                    std::string("b"), std::string("c"), std::string(300, 'q'), bucket, bucket + "a",
                                    bucket + "b", bucket + "c", std::string(509, 'q'), std::string(511, 'r')}) {
    CAPTURE(prefix.size());
    Entries want;
    for (const auto& [k, v] : expected)
      if (k.starts_with(prefix)) want.emplace(k, v);
    CHECK(under(prefix) == want);
  }
}

TEST_CASE("lmdb state: for_each_in_range gives the keys from begin up to end, staged changes on top, long keys too") {
  TempDir tmp;
  LmdbStateEnv env(tmp.state());
  StateStore& store = env.store("op");
  MemoryStateStore memory;  // the same entries: the two stores must agree
  auto put = [&](const std::string& k, const std::string& v) { store.put(k, v), memory.put(k, v); };
  auto remove = [&](const std::string& k) { store.remove(k), memory.remove(k); };
  for (const char* k : {"a", "ab", "abc", "abd", "ac", "b", "ba"}) put(k, std::string("v") + k);
  const std::string bucket(510, 'q');
  for (const char* tail : {"", "a", "ab", "b"}) put(bucket + tail, std::string("long") + tail);
  env.commit(0);
  memory.commit(0);
  remove("abd");
  put("abb", "staged");
  put("ac", "changed");
  remove(bucket + "ab");
  put(bucket + "aa", "staged long");
  auto in = [](const StateStore& s, const std::string& begin, const std::string& end) {
    std::vector<std::string> out;
    s.for_each_in_range(begin, end, [&](std::string_view key, std::string_view value) {
      out.push_back(std::string(key) + "=" + std::string(value));
    });
    return out;
  };
  const std::vector<std::pair<std::string, std::string>> ranges = {
      {"", "\xff"}, {"a", "ac"}, {"ab", "abc"}, {"abb", "abb"}, {"abc", "b"}, {"b", "z"}, {"c", "d"},
      {bucket, bucket + "b"}, {bucket + "a", bucket + "ab"}, {std::string(300, 'q'), "r"}};
  for (const auto& [begin, end] : ranges) {
    CAPTURE(begin.size());
    CAPTURE(end.size());
    CHECK(in(store, begin, end) == in(memory, begin, end));
  }
  CHECK(in(memory, "a", "ac") == std::vector<std::string>{"a=va", "ab=vab", "abb=staged", "abc=vabc"});
}
