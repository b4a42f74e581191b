// LmdbStateEnv: the state of every stateful operator of one pipeline, in one
// LMDB environment under the checkpoint (`DIR/state/`). Each operator gets a
// StateStore (its own named LMDB database, keyed by the bytes the operator
// encodes); puts and removes are staged in memory and written by commit(),
// which writes every operator's changes and the version in ONE transaction —
// so the state of a batch is either wholly there or not at all.
//
// commit(N) also keeps, in the same transaction, the previous values of the
// keys it changes (an undo record), so the state can go back one version:
// after a crash between the state commit of batch N and the checkpoint's
// `commits/N` marker, restart calls rollback_to(N - 1) and re-runs batch N
// from the state it started from. The map size grows as needed.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "state/state_store.hpp"

namespace runnel {

struct StateStoreStats {
  std::string operator_id;
  uint64_t rows = 0;   // committed entries
  uint64_t bytes = 0;  // committed key + value bytes
};

class LmdbStateEnv {
 public:
  // Opens the environment in `dir`, creating it when missing. Throws
  // Error(IO) naming the directory when LMDB cannot open it or it is not a
  // runnel state environment (a corrupt checkpoint is never a crash).
  explicit LmdbStateEnv(const std::string& dir);
  ~LmdbStateEnv();
  LmdbStateEnv(const LmdbStateEnv&) = delete;
  LmdbStateEnv& operator=(const LmdbStateEnv&) = delete;

  // The store of one stateful operator ("<transform>/<step index>"), created
  // on first use; valid as long as the environment. Its get/for_each see the
  // committed state with this store's staged changes on top. Its own
  // commit(version)/abort() act on this store alone and are for tests; the
  // executor commits all stores at once with LmdbStateEnv::commit.
  StateStore& store(const std::string& operator_id);

  // The last committed version, -1 when none.
  int64_t version() const;
  // Writes all stores' staged changes as `version` in one transaction. Its
  // data is flushed; the version becomes durable with sync().
  void commit(int64_t version);
  // The same in two steps: takes the staged changes now (the stores go on
  // staging the next batch's) and returns the job that writes them, which may
  // run on another thread; until it has run, reads of the stores wait for it.
  std::function<void()> prepare_commit(int64_t version);
  // Makes the last commit durable (LMDB's meta page); may run on another
  // thread than the commits.
  void sync();
  // Goes back to `version`, which must be version() or version() - 1 (the
  // undo record of the last commit); drops staged changes.
  void rollback_to(int64_t version);
  // Per operator: committed row count and bytes (`runnel checkpoint inspect`).
  std::vector<StateStoreStats> stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace runnel
