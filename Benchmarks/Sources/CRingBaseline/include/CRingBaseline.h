/* CRingBaseline: the C reference SPSC ring that TicklineRing's SPSCRing is measured against,
 * plus the thread, clock and TSC helpers both sides of the comparison use.
 *
 * The ring has the same design as SPSCRing (Sources/TicklineRing/SPSCRing.swift in the main
 * package): power-of-two capacity, monotonically increasing 64-bit positions masked with `&`,
 * producer and consumer positions 128 bytes apart in one 64-byte-aligned control block, each
 * side caching the other's position, C11 atomics with relaxed/acquire/release orderings, and
 * 64-byte message slots. The hot loops of the C side (single-thread push+pop, ping-pong, one-way
 * throughput, and the background threads of the package-benchmark benchmarks) are written in C
 * and compiled by clang at -O2, so the baseline is "the same program written in C", not Swift
 * calling C functions.
 *
 * _GNU_SOURCE: pthread_setaffinity_np and CPU_SET are hidden from Swift's Glibc module
 * (PLATFORM-NOTES G2). */
#pragma once
#define _GNU_SOURCE 1
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the message --------------------------------------------------------------------------- */

/** 64-byte POD message; the Swift side's `Msg64` has the same layout (checked at startup). */
typedef struct crb_msg64 {
    uint64_t seq, a, b, c, d, e, f, g;
} crb_msg64_t;

_Static_assert(sizeof(crb_msg64_t) == 64, "crb_msg64_t must be 64 bytes");

/** What a consumer does with each message, on both sides: read all eight words. */
static inline uint64_t crb_msg64_fold(const crb_msg64_t *m) {
    return m->seq + m->a + m->b + m->c + m->d + m->e + m->f + m->g;
}

/* ---- the ring ------------------------------------------------------------------------------ */

typedef struct crb_ring crb_ring_t;

/** capacity: a power of two >= 2. NULL on a bad capacity or out of memory. */
crb_ring_t *crb_ring_create(size_t capacity);
void crb_ring_destroy(crb_ring_t *ring);
/** Out-of-line push/pop, for tests and for Swift callers that want the C ring itself; the
 *  measured loops below inline the same code. */
int crb_ring_try_push(crb_ring_t *ring, const crb_msg64_t *msg);
int crb_ring_try_pop(crb_ring_t *ring, crb_msg64_t *out);
uint64_t crb_ring_published(const crb_ring_t *ring);
uint64_t crb_ring_consumed(const crb_ring_t *ring);

/* ---- measured loops (C side) --------------------------------------------------------------- */

/** n push+pop pairs on one thread (the ring is never full); returns the fold of all messages. */
uint64_t crb_pushpop_loop(crb_ring_t *ring, uint64_t n);

/** Ping-pong: a ping thread on cpu_ping pushes seq i into ring A, a pong thread on cpu_pong
 *  echoes it through ring B; ping spins until it is back. ticks_out[i] = rdtsc delta of round
 *  trip i. Both threads spin (no pause). Returns the number of wrong echoes (0), or -1 if a
 *  thread could not be started. capacity: ring capacity (1024 in the comparisons). */
int64_t crb_run_pingpong(int cpu_ping, int cpu_pong, uint64_t n, size_t capacity,
                         uint64_t *ticks_out);

/** One-way throughput: producer on cpu_prod pushes m messages (spinning while full), consumer
 *  on cpu_cons pops them (spinning while empty) and checks order. *elapsed_ns = CLOCK_MONOTONIC
 *  from the producer's start (after both threads are ready) to the consumer's last pop.
 *  Returns out-of-order messages (0), or -1 if a thread could not be started. */
int64_t crb_run_throughput(int cpu_prod, int cpu_cons, uint64_t m, size_t capacity,
                           uint64_t *elapsed_ns, uint64_t *checksum);

/* ---- long-lived peer threads for package-benchmark ----------------------------------------- */

/** An echo thread on `cpu` returning every message of ring A through ring B. */
typedef struct crb_echo crb_echo_t;
crb_echo_t *crb_echo_start(int cpu, size_t capacity);
/** n round trips from the calling thread; returns wrong echoes (0). */
uint64_t crb_echo_roundtrips(crb_echo_t *echo, uint64_t n);
void crb_echo_stop(crb_echo_t *echo);

/** A sink thread on `cpu` popping (and folding) everything pushed to its ring. */
typedef struct crb_sink crb_sink_t;
crb_sink_t *crb_sink_start(int cpu, size_t capacity);
/** Pushes n messages from the calling thread and waits until the sink consumed all of them. */
void crb_sink_send(crb_sink_t *sink, uint64_t n);
/** Stops the thread; returns the fold of everything it consumed. */
uint64_t crb_sink_stop(crb_sink_t *sink);

/* ---- threads, clocks ----------------------------------------------------------------------- */

/** Pins the calling thread to one CPU. 0 or an errno value. */
int crb_pin_current_thread(int cpu);
/** The CPU the calling thread runs on now (sched_getcpu). */
int crb_current_cpu(void);
/** CPUs in this process's affinity mask. */
int crb_available_cpu_count(void);

static inline uint64_t crb_rdtsc(void) { return __builtin_ia32_rdtsc(); }

static inline uint64_t crb_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/** TSC ticks per nanosecond, calibrated against CLOCK_MONOTONIC over about `ms` milliseconds. */
double crb_tsc_ticks_per_ns(int ms);

#ifdef __cplusplus
}
#endif
