/* test_check.h: the checks of the service's unit test (test_service.c, test_service_spec.c):
 * a failed check prints where and counts in test_failures; checks stay active under NDEBUG. */
#ifndef TEST_CHECK_H
#define TEST_CHECK_H

#include <stdio.h>

extern int test_failures;

/* what report buffers are filled with first: a byte the service did not write stays this */
#define CANARY 0xa5

#define CHECK(cond)                                                                         \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);        \
            test_failures++;                                                                     \
        }                                                                                   \
    } while (0)

#define CHECK_EQ(a, b)                                                                      \
    do {                                                                                    \
        long long va_ = (long long)(a), vb_ = (long long)(b);                               \
        if (va_ != vb_) {                                                                   \
            fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld != %lld)\n", __FILE__,      \
                    __LINE__, #a, #b, va_, vb_);                                            \
            test_failures++;                                                                     \
        }                                                                                   \
    } while (0)

/* test_service_uploads.c (each only in a build that serves its commands) */
void test_strokes(void);
void test_frames(void);
void test_watch_frame(void);

/* test_service_config.c */
void test_config(void);

/* test_service_spec.c */
void test_spec(const char *path);
#ifdef BNN_CHECK_DEVS_CONSTANTS
void test_devs_constants(void);
#endif

#endif
