// loader: the hand-written libbpf C floor. Loads one of the *.bpf.o reference programs,
// filtered to one pid, attaches every program in it, and reads every ring buffer in it.
//
//   loader PROG.bpf.o PID [BATCH_MS]
//
// Without BATCH_MS it is the textbook consumer: ring_buffer__poll() sleeps in epoll and the
// kernel wakes it when it has caught up, so a fast consumer is woken for nearly every event.
// With BATCH_MS it never sleeps in epoll: it drains with ring_buffer__consume() every BATCH_MS
// milliseconds, which is the strategy tsbpf uses (DESIGN.md: waking per event slows the producer).
//
// Prints "READY" once attached, "E <pid>" for the first event (flushed at once: that line is
// what the launch benchmark times), and on SIGINT/SIGTERM "received=N lost=M" where lost is
// the sum of the programs' per-CPU loss counter; a program without a ring buffer (count.bpf.c)
// prints "count=N" instead, its per-CPU hash map "counts" summed for the pid.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t exiting;
static unsigned long long received;

static void on_signal(int sig) {
  (void)sig;
  exiting = 1;
}

static void pause_until_signal(void) {
  struct timespec second = {.tv_sec = 1, .tv_nsec = 0};
  nanosleep(&second, NULL); // interrupted by the signal
}

static int on_event(void *ctx, void *data, size_t size) {
  (void)ctx, (void)size;
  if (received++ == 0) {
    printf("E %u\n", *(unsigned *)data); // every event starts with the pid
    fflush(stdout);
  }
  return 0;
}

// Writes the pid into `const volatile __u32 target_pid` in .rodata before the object is loaded.
static int set_target_pid(struct bpf_object *obj, unsigned pid) {
  struct bpf_map *rodata = bpf_object__find_map_by_name(obj, ".rodata");
  struct btf *btf = bpf_object__btf(obj);
  if (!rodata || !btf) return -ENOENT;
  int sec = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
  if (sec < 0) return sec;
  const struct btf_type *t = btf__type_by_id(btf, sec);
  const struct btf_var_secinfo *v = btf_var_secinfos(t);
  for (int i = 0; i < btf_vlen(t); i++, v++) {
    const char *name = btf__name_by_offset(btf, btf__type_by_id(btf, v->type)->name_off);
    if (strcmp(name, "target_pid") == 0) {
      size_t size;
      char *data = (char *)bpf_map__initial_value(rodata, &size); // writable until load
      memcpy(data + v->offset, &pid, sizeof pid);
      return 0;
    }
  }
  return -ENOENT;
}

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) {
    fprintf(stderr, "usage: %s PROG.bpf.o PID [BATCH_MS]\n", argv[0]);
    return 2;
  }
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj) return perror("bpf_object__open_file"), 1;
  int err = set_target_pid(obj, (unsigned)atoi(argv[2]));
  if (err) return fprintf(stderr, "target_pid: %s\n", strerror(-err)), 1;
  if ((err = bpf_object__load(obj))) return fprintf(stderr, "load: %s\n", strerror(-err)), 1;

  struct bpf_program *prog;
  struct bpf_link *links[16];
  int nlinks = 0;
  bpf_object__for_each_program(prog, obj) {
    if (nlinks == 16 || !(links[nlinks++] = bpf_program__attach(prog)))
      return fprintf(stderr, "attach %s: %s\n", bpf_program__name(prog), strerror(errno)), 1;
  }
  struct ring_buffer *rb = NULL;
  struct bpf_map *map;
  bpf_object__for_each_map(map, obj) {
    if (bpf_map__type(map) != BPF_MAP_TYPE_RINGBUF) continue;
    if (!rb) rb = ring_buffer__new(bpf_map__fd(map), on_event, NULL, NULL);
    else ring_buffer__add(rb, bpf_map__fd(map), on_event, NULL);
  }
  int counts = bpf_object__find_map_fd_by_name(obj, "counts");
  if (!rb && counts < 0) return fprintf(stderr, "no ring buffer and no counts map\n"), 1;

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  printf("READY\n");
  fflush(stdout);
  double batch_ms = argc == 4 ? atof(argv[3]) : 0;
  struct timespec pause = {.tv_sec = 0, .tv_nsec = (long)(batch_ms * 1e6)};
  while (!exiting) {
    if (!rb) {
      pause_until_signal();
    } else if (batch_ms > 0) {
      err = ring_buffer__consume(rb);
      nanosleep(&pause, NULL);
    } else {
      err = ring_buffer__poll(rb, 100);
    }
    if (err < 0 && err != -EINTR) break;
  }
  int ncpu = libbpf_num_possible_cpus();
  unsigned long long per_cpu[ncpu];
  if (!rb) {
    unsigned long long count = 0;
    unsigned pid = (unsigned)atoi(argv[2]);
    if (!bpf_map_lookup_elem(counts, &pid, per_cpu))
      for (int i = 0; i < ncpu; i++) count += per_cpu[i];
    printf("count=%llu\n", count);
    fflush(stdout);
    for (int i = 0; i < nlinks; i++) bpf_link__destroy(links[i]);
    bpf_object__close(obj);
    return 0;
  }
  ring_buffer__consume(rb);

  unsigned long long lost = 0;
  unsigned zero = 0;
  if (!bpf_map_lookup_elem(bpf_object__find_map_fd_by_name(obj, "lost"), &zero, per_cpu))
    for (int i = 0; i < ncpu; i++) lost += per_cpu[i];
  printf("received=%llu lost=%llu\n", received, lost);
  fflush(stdout);
  // The usual libbpf teardown (destroys every link, then the object), after printing.
  ring_buffer__free(rb);
  for (int i = 0; i < nlinks; i++) bpf_link__destroy(links[i]);
  bpf_object__close(obj);
  return 0;
}
