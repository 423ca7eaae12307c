// loader: the hand-written libbpf C floor. Loads one of the *.bpf.o reference programs,
// filtered to one pid, attaches every program in it, and reads every ring buffer in it, or its
// perf buffer (a BPF_MAP_TYPE_PERF_EVENT_ARRAY, 64 pages per CPU like tsbpf's default PerfBuffer).
//
//   loader PROG.bpf.o PID [BATCH_MS]
//
// Without BATCH_MS it is the textbook consumer: ring_buffer__poll() (perf_buffer__poll()) sleeps
// in epoll and the kernel wakes it when it has caught up (a perf buffer: libbpf asks for a wakeup
// per event), so a fast consumer is woken for nearly every event. With BATCH_MS it never sleeps in
// epoll: it drains with ring_buffer__consume() (perf_buffer__consume()) every BATCH_MS
// milliseconds, which is the strategy tsbpf uses (DESIGN.md: waking per event slows the producer).
//
// PERF_WATERMARK=1 in the environment opens the perf buffer as tsbpf does instead (through
// perf_buffer__new_raw): the kernel wakes readers only when a CPU's buffer is full, not per
// event; with BATCH_MS that is tsbpf's own strategy, in C.
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
#include <linux/perf_event.h>

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

static void on_perf_event(void *ctx, int cpu, void *data, __u32 size) {
  (void)cpu;
  on_event(ctx, data, size);
}

// perf_buffer__new_raw hands over whole records: PERF_RECORD_SAMPLE carries a u32 size, then the event.
static enum bpf_perf_event_ret on_perf_record(void *ctx, int cpu, struct perf_event_header *header) {
  (void)cpu;
  if (header->type == PERF_RECORD_SAMPLE) {
    struct { struct perf_event_header header; __u32 size; char data[]; } *s = (void *)header;
    on_event(ctx, s->data, s->size);
  }
  return LIBBPF_PERF_EVENT_CONT;
}

static void on_perf_lost(void *ctx, int cpu, __u64 count) {
  (void)ctx, (void)cpu, (void)count; // the program counts the same losses in its `lost` map
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
  struct perf_buffer *pb = NULL;
  struct bpf_map *map;
  bpf_object__for_each_map(map, obj) {
    if (bpf_map__type(map) == BPF_MAP_TYPE_PERF_EVENT_ARRAY && !pb) {
      const size_t pages = 64;
      if (getenv("PERF_WATERMARK")) {
        struct perf_event_attr attr = {
          .type = PERF_TYPE_SOFTWARE, .size = sizeof attr, .config = PERF_COUNT_SW_BPF_OUTPUT,
          .sample_period = 1, .sample_type = PERF_SAMPLE_RAW, .watermark = 1, .wakeup_watermark = pages * 4096,
        };
        pb = perf_buffer__new_raw(bpf_map__fd(map), pages, &attr, on_perf_record, NULL, NULL);
      } else {
        pb = perf_buffer__new(bpf_map__fd(map), pages, on_perf_event, on_perf_lost, NULL, NULL);
      }
      if (!pb) return fprintf(stderr, "perf_buffer__new: %s\n", strerror(errno)), 1;
    }
    if (bpf_map__type(map) != BPF_MAP_TYPE_RINGBUF) continue;
    if (!rb) rb = ring_buffer__new(bpf_map__fd(map), on_event, NULL, NULL);
    else ring_buffer__add(rb, bpf_map__fd(map), on_event, NULL);
  }
  int counts = bpf_object__find_map_fd_by_name(obj, "counts");
  if (!rb && !pb && counts < 0) return fprintf(stderr, "no ring buffer, perf buffer or counts map\n"), 1;

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  printf("READY\n");
  fflush(stdout);
  double batch_ms = argc == 4 ? atof(argv[3]) : 0;
  struct timespec pause = {.tv_sec = 0, .tv_nsec = (long)(batch_ms * 1e6)};
  while (!exiting) {
    if (!rb && !pb) {
      pause_until_signal();
    } else if (batch_ms > 0) {
      err = pb ? perf_buffer__consume(pb) : ring_buffer__consume(rb);
      nanosleep(&pause, NULL);
    } else {
      err = pb ? perf_buffer__poll(pb, 100) : ring_buffer__poll(rb, 100);
    }
    if (err < 0 && err != -EINTR) break;
  }
  int ncpu = libbpf_num_possible_cpus();
  unsigned long long per_cpu[ncpu];
  if (!rb && !pb) {
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
  if (pb) perf_buffer__consume(pb);
  else ring_buffer__consume(rb);

  unsigned long long lost = 0;
  unsigned zero = 0;
  if (!bpf_map_lookup_elem(bpf_object__find_map_fd_by_name(obj, "lost"), &zero, per_cpu))
    for (int i = 0; i < ncpu; i++) lost += per_cpu[i];
  printf("received=%llu lost=%llu\n", received, lost);
  fflush(stdout);
  // The usual libbpf teardown (destroys every link, then the object), after printing.
  ring_buffer__free(rb);
  perf_buffer__free(pb);
  for (int i = 0; i < nlinks; i++) bpf_link__destroy(links[i]);
  bpf_object__close(obj);
  return 0;
}
