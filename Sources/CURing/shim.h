/* liburing.h defines _XOPEN_SOURCE/_GNU_SOURCE before its own includes; inside a Clang module
 * that re-parses glibc headers with different feature macros and clashes with SwiftGlibc
 * ("'__fds_bits' ... not present in definition of 'fd_set'"). Including <features.h> first
 * freezes the feature macros to Swift's defaults (PLATFORM-NOTES G1). */
#include <features.h>
#include <liburing.h>
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

/* liburing 2.3 declares io_uring_enable_rings but its shared library does not export it:
 * register IORING_REGISTER_ENABLE_RINGS directly. Returns 0 or -errno. */
static inline int shim_io_uring_enable_rings(struct io_uring *ring) {
    long r = syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
    return r < 0 ? -errno : (int)r;
}
