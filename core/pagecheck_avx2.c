/*
** pagecheck_avx2.c -- gg_page_check (pagefile.h) with XXH3's AVX2 kernel.
**
** Compiled with -mavx2 on x86-64 only; pagefile.c calls it when the CPU has
** AVX2.  XXH3's result does not depend on the kernel, so pages checked by
** either function match.  A query checks every page it touches, and this is
** about twice as fast as the SSE2 kernel that x86-64's baseline allows.
*/
#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#define XXH_VECTOR XXH_AVX2
#include <xxhash.h>

uint32_t gg_page_check_avx2(const void *p, size_t n);

uint32_t gg_page_check_avx2(const void *p, size_t n) { return (uint32_t)XXH3_64bits(p, n); }
