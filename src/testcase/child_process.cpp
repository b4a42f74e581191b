#include "testcase/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/error.hpp"

namespace runnel::testcase {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() {
    if (pipe2(fd, O_CLOEXEC) != 0) fail(ErrorKind::IO, std::string("pipe: ") + std::strerror(errno));
  }
  ~Pipe() { close_both(); }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
  void close_both() { close_end(0), close_end(1); }
};

// In the child, after fork: only async-signal-safe calls until exec.
[[noreturn]] void exec_child(const ChildSpec& spec, Pipe& in, Pipe& out, Pipe& err, char* const argv[]) {
  dup2(in.fd[0], 0);
  dup2(out.fd[1], 1);
  dup2(err.fd[1], 2);
  signal(SIGPIPE, SIG_DFL);
  if (!spec.cwd.empty() && chdir(spec.cwd.c_str()) != 0) _exit(127);
  execv(spec.program.c_str(), argv);
  _exit(127);
}

// Moves bytes between the parent and the child's pipes until both output
// pipes close; sends the signal and enforces the timeout on the way.
void pump(const ChildSpec& spec, pid_t pid, int in_fd, int out_fd, int err_fd, ChildResult& result) {
  const auto start = Clock::now();
  size_t written = 0;
  bool signalled = !spec.signal.has_value();
  if (spec.stdin_data.empty()) ::close(in_fd), in_fd = -1;
  while (out_fd >= 0 || err_fd >= 0) {
    const int64_t elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    if (!signalled && elapsed >= spec.signal_after_ms) kill(pid, *spec.signal), signalled = true;
    if (elapsed >= spec.timeout_ms) {
      kill(pid, SIGKILL);
      result.timed_out = true;
      break;
    }
    int64_t wait_ms = spec.timeout_ms - elapsed;
    if (!signalled) wait_ms = std::min<int64_t>(wait_ms, spec.signal_after_ms - elapsed);
    pollfd fds[3] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}, {in_fd, POLLOUT, 0}};
    if (poll(fds, 3, static_cast<int>(std::max<int64_t>(wait_ms, 1))) < 0 && errno != EINTR)
      fail(ErrorKind::IO, std::string("poll: ") + std::strerror(errno));
    char buffer[65536];
    int* fd_of[2] = {&out_fd, &err_fd};
    std::string* text_of[2] = {&result.out, &result.err};
    for (int i = 0; i < 2; ++i) {
      if (*fd_of[i] < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t n = ::read(*fd_of[i], buffer, sizeof buffer);
      if (n > 0) text_of[i]->append(buffer, static_cast<size_t>(n));
      else if (n == 0 || errno != EINTR) ::close(*fd_of[i]), *fd_of[i] = -1;
    }
    if (in_fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = ::write(in_fd, spec.stdin_data.data() + written, spec.stdin_data.size() - written);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EINTR && errno != EAGAIN) || written == spec.stdin_data.size())
        ::close(in_fd), in_fd = -1;
    }
  }
  for (int fd : {in_fd, out_fd, err_fd})
    if (fd >= 0) ::close(fd);
}

}  // namespace

std::optional<int> signal_number(const std::string& name) {
  std::string bare = name.rfind("SIG", 0) == 0 ? name.substr(3) : name;
  static const std::pair<const char*, int> kSignals[] = {{"INT", SIGINT},   {"TERM", SIGTERM}, {"HUP", SIGHUP},
                                                          {"KILL", SIGKILL}, {"QUIT", SIGQUIT}, {"USR1", SIGUSR1},
                                                          {"USR2", SIGUSR2}, {"PIPE", SIGPIPE}};
  for (const auto& [signal_name, number] : kSignals)
    if (bare == signal_name) return number;
  if (!bare.empty() && bare.find_first_not_of("0123456789") == std::string::npos) return std::stoi(bare);
  return std::nullopt;
}

ChildResult run_child(const ChildSpec& spec) {
  std::vector<std::string> strings = {spec.program};
  strings.insert(strings.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (auto& s : strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  Pipe in, out, err;
  // The child may exit before reading all its stdin; a write must not kill us.
  struct sigaction ignore = {}, previous = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &previous);

  // setenv before fork (not async-signal-safe in the child), restored below.
  std::map<std::string, std::optional<std::string>> saved;
  for (const auto& [name, value] : spec.env) {
    const char* old = getenv(name.c_str());
    saved[name] = old ? std::optional<std::string>(old) : std::nullopt;
    setenv(name.c_str(), value.c_str(), 1);
  }
  const pid_t pid = fork();
  if (pid == 0) exec_child(spec, in, out, err, argv.data());
  for (const auto& [name, value] : saved) value ? setenv(name.c_str(), value->c_str(), 1) : unsetenv(name.c_str());
  if (pid < 0) {
    sigaction(SIGPIPE, &previous, nullptr);
    fail(ErrorKind::IO, std::string("fork: ") + std::strerror(errno));
  }

  in.close_end(0), out.close_end(1), err.close_end(1);
  fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
  ChildResult result;
  pump(spec, pid, in.fd[1], out.fd[0], err.fd[0], result);
  in.fd[1] = out.fd[0] = err.fd[0] = -1;  // closed by pump
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  sigaction(SIGPIPE, &previous, nullptr);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace runnel::testcase
