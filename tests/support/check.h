/*
 * check.h - the tiny test harness of lbsim's unit and validation tests.
 *
 * Typed checks print both operands and the location, count the failure
 * and carry on; main() returns check_report(), non-zero if any failed.
 * Every test executable is one ctest test (CTest isolates processes).
 */
#ifndef LBSIM_CHECK_H
#define LBSIM_CHECK_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures_;
static int check_count_;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        check_count_++;                                                                            \
        if (!(cond)) {                                                                             \
            check_failures_++;                                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);               \
        }                                                                                          \
    } while (0)

#define CHECK_INT_EQ(a, b)                                                                         \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        check_count_++;                                                                            \
        if (a_ != b_) {                                                                            \
            check_failures_++;                                                                     \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b,  \
                    a_, b_);                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);                             \
        check_count_++;                                                                            \
        if (!(fabs(a_ - b_) <= t_)) {                                                              \
            check_failures_++;                                                                     \
            fprintf(stderr, "%s:%d: |%s - %s| <= %s failed: %.9g vs %.9g (tol %.3g)\n", __FILE__,  \
                    __LINE__, #a, #b, #tol, a_, b_, t_);                                           \
        }                                                                                          \
    } while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                                            \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        check_count_++;                                                                            \
        if (h_ == NULL || strstr(h_, n_) == NULL) {                                                \
            check_failures_++;                                                                     \
            fprintf(stderr, "%s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__,         \
                    h_ ? h_ : "(null)", n_);                                                       \
        }                                                                                          \
    } while (0)

static inline int check_report(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count_, check_failures_);
    return check_failures_ ? 1 : 0;
}

#endif /* LBSIM_CHECK_H */
