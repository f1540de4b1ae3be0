/* Counts every allocation of the program: malloc, calloc, realloc, aligned_alloc and posix_memalign are wrapped
 * through the linker's --wrap (tests/engine.cmake links alloc_counter.c with those options), so the statically
 * linked library's allocations are counted too. Tests check that a run adds none. */
#ifndef QI_TEST_ALLOC_COUNTER_H
#define QI_TEST_ALLOC_COUNTER_H

/* Allocations so far (updated atomically: thread-pool workers count too). */
extern volatile long qi_test_n_allocs;

#endif
