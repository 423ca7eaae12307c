// launch: times a tracing tool from the moment it is spawned to the first event it prints,
// then stops it with SIGINT and times its exit. Written in C so the stopwatch adds
// microseconds, not a JS event loop's worth of jitter, to numbers as small as ~2 ms.
//
//   launch [-m MARKER] [-t TIMEOUT_MS] -- COMMAND [ARGS...]
//
// The first line of the tool's stdout that starts with MARKER (default "E ") is its first
// event. Everything else on stdout is read and discarded, so a chatty tool never blocks.
// Prints one line:
//   first_ms=F first_cpu_ms=C exit_ms=X maxrss_kb=R sigints=N status=S
// first_ms: spawn -> first event line; first_cpu_ms: the CPU time (user + sys) the tool's threads
// had used when that line was read (each thread's /proc/PID/task/TID/schedstat; threads that ended
// before it and child processes are not counted): what a busy machine inflates least;
// exit_ms: first SIGINT -> the tool has exited;
// maxrss_kb: the tool's peak RSS (wait4); sigints: how many SIGINTs it took (bpftrace 0.17
// sometimes ignores the first one); status: its exit status, or 128+signal.
// Exits 1 (and first_ms=-1) if no event arrived within TIMEOUT_MS (default 10000).
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// CPU time used so far by every live thread of `pid`, in ms (-1 if it cannot be read).
static double threads_cpu_ms(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
  DIR *tasks = opendir(path);
  if (!tasks) return -1;
  unsigned long long ns = 0;
  struct dirent *d;
  while ((d = readdir(tasks))) {
    if (d->d_name[0] == '.') continue;
    char stat_path[320];
    snprintf(stat_path, sizeof stat_path, "/proc/%d/task/%s/schedstat", (int)pid, d->d_name);
    FILE *f = fopen(stat_path, "r");
    unsigned long long on_cpu = 0;
    if (f && fscanf(f, "%llu", &on_cpu) == 1) ns += on_cpu;
    if (f) fclose(f);
  }
  closedir(tasks);
  return ns / 1e6;
}

int main(int argc, char **argv) {
  const char *marker = "E ";
  double timeout_ms = 10000;
  int opt;
  while ((opt = getopt(argc, argv, "+m:t:")) != -1) {
    if (opt == 'm') marker = optarg;
    else if (opt == 't') timeout_ms = atof(optarg);
    else return 2;
  }
  if (optind >= argc) {
    fprintf(stderr, "usage: %s [-m MARKER] [-t TIMEOUT_MS] -- COMMAND [ARGS...]\n", argv[0]);
    return 2;
  }
  int fds[2];
  if (pipe(fds)) return perror("pipe"), 2;

  double t0 = now_ms();
  pid_t child = fork();
  if (child == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    close(fds[1]);
    execvp(argv[optind], argv + optind);
    perror(argv[optind]);
    _exit(127);
  }
  close(fds[1]);

  // Read lines until one starts with the marker. `line` holds the start of the current line only.
  char buf[65536], line[256];
  size_t line_len = 0, marker_len = strlen(marker);
  int at_line_start = 1, open = 1;
  double first = -1, first_cpu = -1;
  struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
  while (first < 0 && open) {
    int left = (int)(t0 + timeout_ms - now_ms());
    if (left <= 0 || poll(&pfd, 1, left) <= 0) break;
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) {
      open = 0;
      break;
    }
    for (ssize_t i = 0; i < n && first < 0; i++) {
      if (at_line_start) line_len = 0;
      at_line_start = buf[i] == '\n';
      if (line_len < sizeof line) line[line_len++] = buf[i];
      if (line_len == marker_len && memcmp(line, marker, marker_len) == 0) first = now_ms() - t0;
    }
  }
  if (first >= 0) first_cpu = threads_cpu_ms(child);

  // Stop it like a user would, keep draining its output, resend SIGINT each second if ignored.
  double stop_at = now_ms(), last_signal = stop_at;
  int sigints = 1, status = 0;
  struct rusage ru;
  kill(child, SIGINT);
  for (;;) {
    pid_t r = wait4(child, &status, WNOHANG, &ru);
    if (r == child) break;
    double t = now_ms();
    if (t - stop_at > 10000) kill(child, SIGKILL);
    else if (t - last_signal > 1000) kill(child, SIGINT), sigints++, last_signal = t;
    if (open && poll(&pfd, 1, 1) > 0) {
      if (read(fds[0], buf, sizeof buf) <= 0) open = 0;
    } else if (!open) {
      usleep(200);
    }
  }
  double exit_ms = now_ms() - stop_at;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  printf("first_ms=%.3f first_cpu_ms=%.3f exit_ms=%.3f maxrss_kb=%ld sigints=%d status=%d\n", first, first_cpu, exit_ms, ru.ru_maxrss, sigints, code);
  return first < 0;
}
