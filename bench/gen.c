// gen: the benchmark workload. Calls getppid() through syscall(2) -- so libc cannot cache or
// inline it and every call hits the sys_enter_getppid tracepoint -- and prints its own rate.
//
//   gen [-n CALLS] [-d SECONDS] [-i MICROSECONDS] [-c CPU] [-w]
//
//   -n  stop after CALLS calls (default: no limit)
//   -d  stop after SECONDS seconds (default: no limit; with neither -n nor -d it runs until SIGINT/SIGTERM)
//   -i  sleep this long between calls (default 0: as fast as it can)
//   -c  pin itself to this CPU, so traced and untraced runs compete for the same core
//   -w  print "ready PID" and wait for one byte (or EOF) on stdin before starting: lets a
//       harness start a tool against an already-running process and then say "go"
//
// At the end it prints one line: "calls=N seconds=S rate=R cpu_ns_per_call=C" (R in calls per
// second; C its own CPU time per call, from the start of the calls).
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  uint64_t limit = UINT64_MAX;
  double duration = 0, interval_us = 0;
  int cpu = -1, wait_go = 0, opt;
  while ((opt = getopt(argc, argv, "n:d:i:c:w")) != -1) {
    switch (opt) {
      case 'n': limit = strtoull(optarg, NULL, 10); break;
      case 'd': duration = atof(optarg); break;
      case 'i': interval_us = atof(optarg); break;
      case 'c': cpu = atoi(optarg); break;
      case 'w': wait_go = 1; break;
      default:
        fprintf(stderr, "usage: %s [-n CALLS] [-d SECONDS] [-i MICROSECONDS] [-c CPU] [-w]\n", argv[0]);
        return 2;
    }
  }
  // No SA_RESTART: a signal must also cut a sleep or the wait for "go" short.
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);

  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set)) perror("sched_setaffinity");
  }
  if (wait_go) {
    printf("ready %d\n", getpid());
    fflush(stdout);
    char c;
    while (read(0, &c, 1) < 0 && errno == EINTR && !stop) {}
  }

  struct timespec pause = {.tv_sec = (time_t)(interval_us / 1e6), .tv_nsec = (long)(interval_us * 1e3) % 1000000000L};
  struct timespec start_cpu;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start_cpu);
  double start = now(), end = duration > 0 ? start + duration : 0;
  uint64_t calls = 0;
  if (interval_us > 0) {
    while (!stop && calls < limit && (!end || now() < end)) {
      syscall(SYS_getppid);
      calls++;
      nanosleep(&pause, NULL);
    }
  } else {
    // Tight loop; look at the clock only every 4096 calls so timing costs nothing measurable.
    while (!stop && calls < limit) {
      syscall(SYS_getppid);
      if ((++calls & 4095) == 0 && end && now() >= end) break;
    }
  }
  double seconds = now() - start;
  // Its own CPU time per call: what each call costs it, tracing included, but not the time other
  // work (a tool's threads, other load) had its CPU.
  struct timespec cpu_time;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_time);
  double cpu_ns = ((cpu_time.tv_sec - start_cpu.tv_sec) * 1e9 + (cpu_time.tv_nsec - start_cpu.tv_nsec));
  printf("calls=%llu seconds=%.6f rate=%.0f cpu_ns_per_call=%.1f\n", (unsigned long long)calls, seconds, calls / seconds,
         calls ? cpu_ns / calls : 0);
  return 0;
}
