// Checkpoint files: small JSON documents written atomically and checked on
// read. A file is three lines: the format version ("v1"), the JSON body on one
// line, and "crc32 <8 hex digits>" of the body (zlib's crc32, computed by ISA-L). A write goes to
// a temporary name in the same directory, is fsynced, renamed into place and
// the directory fsynced (LevelDB's CURRENT, Spark's HDFSMetadataLog), so a
// reader sees the old file or the new one, never half of one. A truncated or
// corrupt file is an Error(IO) naming it, never a crash.
//
// The per-batch files are written *deferred*: the temporary file is written at
// once (a full disk fails the call; a file of 16 KiB or more, such as a
// write-ahead log segment, is instead copied to a buffer and written with
// O_DIRECT on the background thread, so a full disk fails the next wait), and its fsync, rename into place and
// directory fsync run on one background thread, file after file in the order
// of the calls, so a batch's work overlaps the disk's latency instead of
// waiting for it. Because renames keep that order, a later file never exists
// without an earlier one, even after a crash. wait_for_log_writes() is the
// barrier the commit protocol places before anything that must follow them.
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace runnel {

// Writes and returns once the file is in place and durable (after every
// deferred write before it).
void write_log_file(const std::string& path, const nlohmann::json& body);
nlohmann::json read_log_file(const std::string& path);
// The same for any bytes (the body may hold line breaks): the stdin source's write-ahead log.
void write_log_bytes(const std::string& path, std::string_view body);
std::string read_log_bytes(const std::string& path);
// `first`, if given, runs on the background thread before the file is put in
// place (to make durable what the file vouches for, in the same order).
void write_log_file_deferred(const std::string& path, const nlohmann::json& body,
                             std::function<void()> first = nullptr);
void write_log_bytes_deferred(const std::string& path, std::string_view body, std::function<void()> first = nullptr);
// The same for a large body that the caller keeps (the stdin source's
// buffer): the background thread copies and checksums it, not the caller,
// which must leave it unchanged until wait_until_released(the returned ticket).
// With `head` (the kLogHeadBytes before the body, the caller's to overwrite,
// starting on a DirectFile block) nothing is copied but the last partial
// block: the thread writes the file's version line there and the whole blocks
// straight from the caller's memory, and releases the body once they are written.
constexpr size_t kLogHeadBytes = 3;  // "v1\n"
uint64_t write_log_bytes_borrowed(const std::string& path, std::string_view body, char* head = nullptr);
void wait_until_released(uint64_t ticket);
// Takes away log files no longer needed (old batch logs, write-ahead log
// segments whose batch committed), on the background thread in order with
// the writes. Each becomes a spare file of its directory (".spare-K", at most
// kSpareFiles of them: the file source's entries between two compactions;
// the rest are removed), which a later write there overwrites instead of
// creating a file: ext4 takes milliseconds to free a 16 MB segment's blocks
// and as long to allocate new ones, and searches for a free inode past the
// recently deleted ones.
constexpr int kSpareFiles = 10;
void retire_log_files(std::vector<std::string> paths);
// Runs `task` on the background thread, in order with the deferred writes
// (the state store's commit of a batch, between its offsets and its marker).
// A task that throws Error fails the writes after it as a failed write does.
void defer_log_task(std::function<void()> task);
// Returns once every deferred write is in place and durable; throws the first
// failure (Error(IO)), once: no deferred file after it was renamed.
void wait_for_log_writes();

// The batch ids named by the files of `dir` ("0", "1", ..., ignoring other
// names), ascending; empty when the directory is missing.
std::vector<int64_t> list_batch_files(const std::string& dir);

// mkdir -p, fsyncing each directory it creates into its parent. Error(IO) on failure.
void make_directories(const std::string& dir);
void fsync_directory(const std::string& dir);
// Removes `path` if present; Error(IO) if it cannot.
void remove_file(const std::string& path);

}  // namespace runnel
