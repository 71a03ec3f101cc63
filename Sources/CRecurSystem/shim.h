#ifndef RECUR_CSYSTEM_SHIM_H
#define RECUR_CSYSTEM_SHIM_H

// What Swift's Glibc module does not expose. No library behind it: a compiler builtin and libc.

// The histogram loop of the tree trainer reads rows in an order only it knows, so the hardware
// prefetcher cannot guess it: it asks for rows a few steps ahead. Swift has no prefetch intrinsic.
static inline void recur_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#if defined(__linux__)
#include <malloc.h>
// After the server's first load, hands the decoding threads' freed memory back to the system.
static inline void recur_release_free_memory(void) { malloc_trim(0); }
#else
static inline void recur_release_free_memory(void) {}
#endif

#endif
