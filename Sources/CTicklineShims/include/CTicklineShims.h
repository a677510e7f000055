/* GNU-only calls and macros that Swift's Glibc module does not expose (it is built without
 * _GNU_SOURCE: PLATFORM-NOTES G2), wrapped as static inline functions so they cost nothing. */
#pragma once
#define _GNU_SOURCE 1
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- CPU affinity ---------------------------------------------------------------------- */

/** Pins the calling thread to one CPU. Returns 0 or an errno value. */
static inline int tickline_pin_current_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/** Writes the CPUs the calling thread may run on into `out` (up to `capacity`), returns the
 *  count, or -errno. */
static inline int tickline_current_thread_cpus(int32_t *out, int capacity) {
    cpu_set_t set;
    CPU_ZERO(&set);
    int rc = sched_getaffinity(0, sizeof(set), &set);
    if (rc != 0) return -errno;
    int n = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && n < capacity; cpu++) {
        if (CPU_ISSET(cpu, &set)) out[n++] = cpu;
    }
    return n;
}

/** CPUs this process may use (its affinity mask), the number a layout may rely on. */
static inline int tickline_available_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return (int)sysconf(_SC_NPROCESSORS_ONLN);
    return CPU_COUNT(&set);
}

/** Whether `cpu` is in this process's affinity mask. */
static inline int tickline_cpu_is_available(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_ISSET(cpu, &set) ? 1 : 0;
}

static inline int tickline_current_cpu(void) { return sched_getcpu(); }

/* ---- Thread names ----------------------------------------------------------------------- */

/** Names the calling thread; the kernel keeps at most 15 bytes, so callers truncate. */
static inline int tickline_set_current_thread_name(const char *name) {
    return pthread_setname_np(pthread_self(), name);
}

static inline int tickline_get_current_thread_name(char *buf, size_t len) {
    return pthread_getname_np(pthread_self(), buf, len);
}

/* ---- CPU pause and clocks ----------------------------------------------------------------- */

/** The spin-wait hint (PAUSE on x86, YIELD on arm64): lets the sibling hyperthread run and
 *  avoids the memory-order mis-speculation penalty when the spun-on line changes. */
static inline void tickline_cpu_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/** CLOCK_MONOTONIC in nanoseconds (vDSO: no syscall). */
static inline uint64_t tickline_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/** CLOCK_REALTIME in nanoseconds since the Unix epoch. */
static inline uint64_t tickline_realtime_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t tickline_rdtsc(void) {
#if defined(__x86_64__) || defined(__i386__)
    return __builtin_ia32_rdtsc();
#else
    return tickline_monotonic_ns();
#endif
}

/* ---- Parking: futex on a 32-bit word --------------------------------------------------------- */

/** Sleeps while *addr == expected, for at most timeout_ns (0 = no timeout). Returns 0 when woken
 *  or -errno (EAGAIN: value already changed; ETIMEDOUT; EINTR). */
static inline int tickline_futex_wait(uint32_t *addr, uint32_t expected, uint64_t timeout_ns) {
    struct timespec ts, *tsp = NULL;
    if (timeout_ns > 0) {
        ts.tv_sec = (time_t)(timeout_ns / 1000000000ull);
        ts.tv_nsec = (long)(timeout_ns % 1000000000ull);
        tsp = &ts;
    }
    long rc = syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, expected, tsp, NULL, 0);
    return rc == 0 ? 0 : -errno;
}

/** Wakes up to `count` threads parked on addr. Returns the number woken or -errno. */
static inline int tickline_futex_wake(uint32_t *addr, int count) {
    long rc = syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
    return rc >= 0 ? (int)rc : -errno;
}

/* ---- eventfd (for parking a thread that an io_uring or another process may also wake) -------- */

static inline int tickline_eventfd_create(void) { return eventfd(0, EFD_CLOEXEC); }
