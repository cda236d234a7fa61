/*
** check.h -- the tiny assertion kit of gg's C tests.
**
** CHECK(cond, fmt, ...) counts a failure (and prints where and why) but
** keeps going, so one run shows every mismatch; CHECK_EXIT() ends main with
** a non-zero status if anything failed.  Only the first CHECK_MAX_PRINT
** failures are printed in full.
*/
#ifndef GG_TEST_CHECK_H
#define GG_TEST_CHECK_H
#include <stdio.h>
#include <stdlib.h>

#define CHECK_MAX_PRINT 60

static long check_failed, check_passed;

#define CHECK(cond, ...)                                                      \
  do {                                                                        \
    if (cond) {                                                               \
      check_passed++;                                                         \
    } else {                                                                  \
      if (check_failed++ < CHECK_MAX_PRINT) {                                 \
        fprintf(stderr, "%s:%d: FAILED: %s: ", __FILE__, __LINE__, #cond);    \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
      }                                                                       \
    }                                                                         \
  } while (0)

/* A failure that makes further checks meaningless. */
#define REQUIRE(cond, ...)                                                    \
  do {                                                                        \
    if (!(cond)) {                                                            \
      fprintf(stderr, "%s:%d: REQUIRED: %s: ", __FILE__, __LINE__, #cond);    \
      fprintf(stderr, __VA_ARGS__);                                           \
      fputc('\n', stderr);                                                    \
      exit(1);                                                                \
    }                                                                         \
  } while (0)

#define CHECK_EXIT()                                                          \
  do {                                                                        \
    fprintf(stderr, "%s: %ld checks passed, %ld failed\n", __FILE__,          \
            check_passed, check_failed);                                      \
    return check_failed ? 1 : 0;                                              \
  } while (0)

/* xorshift64*: deterministic pseudo-random numbers for every test. */
static unsigned long long check_rng_state = 0x9E3779B97F4A7C15ull;
static inline void rng_seed(unsigned long long s) { check_rng_state = s ? s : 1; }
static inline unsigned long long rng64(void) {
  unsigned long long x = check_rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  check_rng_state = x;
  return x * 0x2545F4914F6CDD1Dull;
}
/* Uniform in [0, n). */
static inline unsigned long long rng_below(unsigned long long n) { return n ? rng64() % n : 0; }

#endif
