/* liburing.h defines _XOPEN_SOURCE/_GNU_SOURCE before its own includes; inside a Clang module
 * that re-parses glibc headers with different feature macros and clashes with SwiftGlibc
 * ("'__fds_bits' ... not present in definition of 'fd_set'"). Including <features.h> first
 * freezes the feature macros to Swift's defaults (PLATFORM-NOTES G1). */
#include <features.h>
#include <liburing.h>
