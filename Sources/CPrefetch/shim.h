#ifndef RECUR_CPREFETCH_SHIM_H
#define RECUR_CPREFETCH_SHIM_H

// Swift has no prefetch intrinsic. The histogram loop of the tree trainer reads rows in an order
// only it knows, so the hardware prefetcher cannot guess it: it asks for rows a few steps ahead.
static inline void recur_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

#endif
