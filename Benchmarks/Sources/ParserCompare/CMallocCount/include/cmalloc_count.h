// Counts malloc/calloc/realloc/posix_memalign/aligned_alloc/memalign calls in the ParserCompare
// process (interposed in the executable, forwarded to glibc's __libc_* entry points).
#ifndef CMALLOC_COUNT_H
#define CMALLOC_COUNT_H
#include <stdint.h>
uint64_t pc_malloc_count(void);
#endif
