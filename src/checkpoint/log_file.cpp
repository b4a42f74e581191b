#include "checkpoint/log_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <isa-l/crc.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "base/direct_file.hpp"
#include "base/error.hpp"

namespace runnel {

namespace {

constexpr std::string_view kVersionLine = "v1";

[[noreturn]] void io_fail(const std::string& what, const std::string& path) {
  fail(ErrorKind::IO, "cannot " + what + " '" + path + "': " + std::strerror(errno));
}

[[noreturn]] void corrupt(const std::string& path, const std::string& why) {
  fail(ErrorKind::IO, "checkpoint file '" + path + "' is corrupt (" + why +
                          "); restore it from a backup or start with a new checkpoint directory");
}

// zlib's crc32 (the reflected IEEE polynomial), computed by ISA-L's folding
// kernel: five times zlib's speed, which the write-ahead log's megabytes feel.
std::string crc_line(std::string_view body) {
  uint32_t crc = ::crc32_gzip_refl(0, reinterpret_cast<const unsigned char*>(body.data()), body.size());
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", crc);
  return "crc32 " + std::string(hex);
}

std::string parent_of(const std::string& path) {
  std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

void write_fully(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) io_fail("write", path);
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string read_whole(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) io_fail("open", path);
  std::string text;
  char buf[1 << 14];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      errno = saved;
      io_fail("read", path);
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

// A file written under its temporary name, waiting to be made durable and put
// in place; or, with no file (fd -1), only a task to run in order.
struct DeferredWrite {
  int fd;  // the temporary file, written; -1 for a task or direct bytes
  std::string temp, path;
  std::function<void()> first;
  std::unique_ptr<AlignedBytes> direct;  // set: write these to `temp` (O_DIRECT) first
  std::string_view borrowed = {};        // with a ticket: the body, made into `direct` on the thread
  char* head = nullptr;                  // with `borrowed`: its head room, to write it in place
  uint64_t ticket = 0;
  std::optional<DirectFile> file = {};   // `temp`, its first blocks written from `borrowed` in place
};

const std::string kHead = std::string(kVersionLine) + "\n";
static_assert(kLogHeadBytes == 3, "the head room holds the version line");

std::string temp_name(const std::string& path) {
  std::filesystem::path p(path);
  return (p.parent_path() / ("." + p.filename().string() + ".tmp")).string();
}

// The file's bytes (version line, body, checksum) in a buffer for DirectFile.
std::unique_ptr<AlignedBytes> direct_bytes(std::string_view body) {
  auto bytes = std::make_unique<AlignedBytes>();
  const std::string tail = "\n" + crc_line(body) + "\n";
  for (std::string_view part : {std::string_view(kHead), body, std::string_view(tail)}) bytes->append(part);
  return bytes;
}

// A borrowed body with head room: the version line goes into that room, the
// whole blocks from there go to the file straight from the owner's memory,
// and only the rest (less than a block of the body, and the checksum line) is
// copied, to be written once the body is handed back.
void write_in_place(DeferredWrite& w, DirectFile file) {
  std::memcpy(w.head, kHead.data(), kHead.size());
  const size_t whole = (kHead.size() + w.borrowed.size()) / DirectFile::kBlock * DirectFile::kBlock;
  w.file.emplace(std::move(file)).write_blocks(std::string_view(w.head, whole));
  w.direct = std::make_unique<AlignedBytes>();
  const std::string tail = "\n" + crc_line(w.borrowed) + "\n";
  for (std::string_view part : {w.borrowed.substr(whole - kHead.size()), std::string_view(tail)}) w.direct->append(part);
}

// Files this large bypass the page cache: every write-ahead log segment of a
// default-sized batch, and (so that the crash harness's small batches take
// this path too) anything past a few pages, where a direct write costs no more.
constexpr size_t kDirectWriteBytes = 16 << 10;

constexpr std::string_view kSparePrefix = ".spare-";

// The background thread behind the deferred writes: fsync, rename, fsync the
// directory, one file at a time in arrival order. After a failure it renames
// nothing more (order is the whole point) and wait() throws the failure.
class DeferredWrites {
 public:
  static DeferredWrites& instance() {
    static DeferredWrites writes;
    return writes;
  }

  // Returns the ticket of a write that borrows its body, else 0.
  uint64_t add(DeferredWrite write) {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    if (!write.borrowed.empty()) write.ticket = ++tickets_;
    const uint64_t ticket = write.ticket;
    queue_.push_back(std::move(write));
    ++pending_;
    wake_.notify_all();
    return ticket;
  }

  void wait_released(uint64_t ticket) {
    std::unique_lock lock(mu_);
    done_.wait(lock, [&] { return released_ >= ticket; });
  }

  // On the thread (a task): each file becomes a spare or goes. The rename to
  // the spare name is made durable by the directory's next fsync; a crash
  // before it may bring the old name back holding a newer file's bytes,
  // which is harmless: only files superseded by newer ones are retired (old
  // batch logs, committed segments), and a restart reads the newest alone or
  // removes the committed.
  void retire(const std::vector<std::string>& paths) {
    for (const std::string& path : paths) {
      std::string spare = spare_name(path);
      if (spare.empty()) {
        remove_file(path);
        continue;
      }
      if (::rename(path.c_str(), spare.c_str()) != 0) {
        if (errno == ENOENT) continue;  // gone already, as remove_file allows
        io_fail("rename", path);
      }
      std::lock_guard lock(mu_);
      spares_of(parent_of(path)).free.push_back(std::move(spare));
    }
  }

  // A spare file in the directory of `path` to write over instead of
  // creating one, or "" (none, or `path` is new in a directory of its own).
  std::string take_spare(const std::string& path) {
    std::lock_guard lock(mu_);
    std::vector<std::string>& free = spares_of(parent_of(path)).free;
    if (free.empty()) return "";
    std::string spare = std::move(free.back());
    free.pop_back();
    return spare;
  }

  void wait() {
    std::unique_lock lock(mu_);
    done_.wait(lock, [this] { return pending_ == 0; });
    if (error_.empty()) return;
    std::string error = std::move(error_);  // reported once: the caller stops
    error_.clear();
    fail(ErrorKind::IO, error);
  }

 private:
  ~DeferredWrites() {  // at exit: finish what was written, as a clean stop should
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      wake_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }

  void run() {
    std::unique_lock lock(mu_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      DeferredWrite w = std::move(queue_.front());
      queue_.pop_front();
      const bool failed = !error_.empty();
      lock.unlock();
      std::string error = w.ticket ? take_borrowed(w, failed) : "";
      if (error.empty() && !failed) error = make_durable(w);
      if (failed && w.fd >= 0) ::close(w.fd);
      lock.lock();
      if (error_.empty()) error_ = error;
      if (--pending_ == 0) done_.notify_all();
    }
  }

  // Copies a borrowed body (or writes it in place), so that its owner may
  // change it (it waits for that, not for the fsync), and hands it back even
  // when that fails. Returns the failure, or "".
  std::string take_borrowed(DeferredWrite& w, bool failed) {
    std::string error;
    try {
      if (!failed && w.head) write_in_place(w, open_direct(w));
      else if (!failed) w.direct = direct_bytes(w.borrowed);
    } catch (const Error& e) {
      error = e.what();
    } catch (const std::exception& e) {
      error = std::string("cannot copy '") + w.temp + "' for writing: " + e.what();
    }
    std::lock_guard lock(mu_);
    released_ = w.ticket;
    done_.notify_all();
    return error;
  }

  // Returns the failure, or "".
  std::string make_durable(DeferredWrite& w) {
    try {
      if (w.fd < 0 && !w.direct) {
        w.first();
        return "";
      }
      std::optional<DirectFile>& file = w.file;
      if (w.direct) (file ? *file : file.emplace(open_direct(w))).write_last(*w.direct);
      const int fd = file ? file->fd() : w.fd;
      int rc = ::fsync(fd);
      int saved = errno;
      if (file) file->close();
      else ::close(fd);
      errno = saved;
      if (rc != 0) io_fail("fsync", w.temp);
      if (w.first) w.first();
      if (::rename(w.temp.c_str(), w.path.c_str()) != 0) io_fail("rename", w.temp);
      fsync_directory(parent_of(w.path));
      return "";
    } catch (const Error& e) {
      return e.what();
    }
  }

  // The file a large write goes to: a spare of its directory, written over
  // (and renamed from its spare name), else a new temporary file.
  DirectFile open_direct(DeferredWrite& w) {
    std::string spare = take_spare(w.path);
    if (spare.empty()) return DirectFile(w.temp);
    w.temp = std::move(spare);
    return DirectFile(w.temp, true);
  }

  struct SpareFiles {
    std::vector<std::string> free;  // on disk, not being written
    uint64_t next = 0;              // the number of the next spare's name: names are never reused
  };

  // A new name for `path` as a spare of its directory, or "" when that has enough.
  std::string spare_name(const std::string& path) {
    const std::string dir = parent_of(path);
    std::lock_guard lock(mu_);
    SpareFiles& spares = spares_of(dir);
    if (spares.free.size() >= static_cast<size_t>(kSpareFiles)) return "";
    return dir + "/" + std::string(kSparePrefix) + std::to_string(spares.next++);
  }

  // A directory's spare files (under mu_), found on disk the first time: a
  // crash or an earlier run leaves them.
  SpareFiles& spares_of(const std::string& dir) {
    auto [it, added] = spares_.try_emplace(dir);
    if (added) find_spares(dir, it->second);
    return it->second;
  }

  static void find_spares(const std::string& dir, SpareFiles& spares) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;  // not yet created: no spares
    while (dirent* e = ::readdir(d)) {
      std::string_view name = e->d_name;
      uint64_t n = 0;
      if (!name.starts_with(kSparePrefix)) continue;
      name.remove_prefix(kSparePrefix.size());
      auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
      if (ec != std::errc() || end != name.data() + name.size()) continue;
      std::string path = dir + "/" + e->d_name;
      if (spares.free.size() < static_cast<size_t>(kSpareFiles)) spares.free.push_back(std::move(path));
      else ::unlink(path.c_str());  // beyond the bound (a crash between a retire and its use)
      spares.next = std::max(spares.next, n + 1);
    }
    ::closedir(d);
  }

  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::deque<DeferredWrite> queue_;
  size_t pending_ = 0;  // queued or being made durable
  uint64_t tickets_ = 0, released_ = 0;  // borrowed bodies: handed out, and copied
  std::string error_;   // the first failure
  bool stopping_ = false;
  std::thread thread_;
  std::map<std::string, SpareFiles> spares_;  // by directory, under mu_
};

}  // namespace

void fsync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) io_fail("open directory", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) io_fail("fsync directory", dir);
}

void make_directories(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) fail(ErrorKind::IO, "checkpoint: '" + dir + "' exists and is not a directory");
    return;
  }
  std::string parent = parent_of(dir);
  if (parent != dir) make_directories(parent);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) io_fail("create directory", dir);
  fsync_directory(parent);
}

void remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) io_fail("remove", path);
}

void write_log_bytes_deferred(const std::string& path, std::string_view body, std::function<void()> first) {
  if (body.size() >= kDirectWriteBytes) {
    DeferredWrites::instance().add(DeferredWrite{-1, temp_name(path), path, std::move(first), direct_bytes(body)});
    return;
  }
  // A spare is written over and cut to length: creating a file costs ext4 an
  // inode, whose search past the recently deleted ones showed in profiles.
  std::string temp = DeferredWrites::instance().take_spare(path);
  const bool spare = !temp.empty();
  if (!spare) temp = temp_name(path);
  const std::string tail = "\n" + crc_line(body) + "\n";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (spare ? 0 : O_TRUNC), 0644);
  if (fd < 0) io_fail("create", temp);
  try {
    for (std::string_view part : {std::string_view(kHead), body, std::string_view(tail)}) write_fully(fd, part, temp);
    const off_t size = static_cast<off_t>(kHead.size() + body.size() + tail.size());
    if (spare && ::ftruncate(fd, size) != 0) io_fail("truncate", temp);
  } catch (...) {
    ::close(fd);
    throw;
  }
  DeferredWrites::instance().add(DeferredWrite{fd, std::move(temp), path, std::move(first), nullptr});
}

uint64_t write_log_bytes_borrowed(const std::string& path, std::string_view body, char* head) {
  if (body.size() < kDirectWriteBytes) {
    write_log_bytes_deferred(path, body);
    return 0;
  }
  RUNNEL_ASSERT(!head || (head + kLogHeadBytes == body.data() && reinterpret_cast<uintptr_t>(head) % DirectFile::kBlock == 0));
  return DeferredWrites::instance().add(DeferredWrite{-1, temp_name(path), path, nullptr, nullptr, body, head});
}

void retire_log_files(std::vector<std::string> paths) {
  if (paths.empty()) return;
  defer_log_task([paths = std::move(paths)] { DeferredWrites::instance().retire(paths); });
}

void wait_until_released(uint64_t ticket) {
  if (ticket) DeferredWrites::instance().wait_released(ticket);
}

void write_log_bytes(const std::string& path, std::string_view body) {
  write_log_bytes_deferred(path, body);
  wait_for_log_writes();
}

void defer_log_task(std::function<void()> task) {
  DeferredWrites::instance().add(DeferredWrite{-1, "", "", std::move(task), nullptr});
}

void wait_for_log_writes() { DeferredWrites::instance().wait(); }

std::string read_log_bytes(const std::string& path) {
  std::string text = read_whole(path);
  size_t first = text.find('\n');
  if (first == std::string::npos || std::string_view(text).substr(0, first) != kVersionLine)
    corrupt(path, first == std::string::npos ? "truncated" : "unknown version line '" + text.substr(0, first) + "'");
  if (text.back() != '\n') corrupt(path, "truncated");
  size_t last = text.rfind('\n', text.size() - 2);  // ends the body; the checksum line follows
  if (last == std::string::npos || last <= first) corrupt(path, "truncated");
  std::string_view body = std::string_view(text).substr(first + 1, last - first - 1);
  std::string_view crc = std::string_view(text).substr(last + 1, text.size() - last - 2);
  if (crc != crc_line(body)) corrupt(path, "checksum mismatch");
  return std::string(body);
}

void write_log_file(const std::string& path, const nlohmann::json& body) { write_log_bytes(path, body.dump()); }

void write_log_file_deferred(const std::string& path, const nlohmann::json& body, std::function<void()> first) {
  write_log_bytes_deferred(path, body.dump(), std::move(first));
}

nlohmann::json read_log_file(const std::string& path) {
  std::string body = read_log_bytes(path);
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    corrupt(path, e.what());
  }
}

std::vector<int64_t> list_batch_files(const std::string& dir) {
  std::vector<int64_t> ids;
  DIR* d = ::opendir(dir.c_str());
  if (!d) {
    if (errno == ENOENT) return ids;
    io_fail("list", dir);
  }
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    int64_t id = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec == std::errc() && end == name.data() + name.size() && !name.empty() && id >= 0) ids.push_back(id);
  }
  ::closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

}  // namespace runnel
