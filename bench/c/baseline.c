/*
 * The C baselines of bench/run: the same work as a Java benchmark, done by the cheapest means
 * C has, so bench/run can print how far from C rsyscall4j is.
 *
 *   baseline getpid ITERATIONS   syscall(SYS_getpid) in a loop, as the providers call it
 *
 * Prints one number: nanoseconds per operation, the median of REPS timed repetitions (after one
 * untimed warm-up repetition). Compiled by bench/run with the machine's cc; the library itself
 * never needs a C compiler.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#define REPS 7

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

/* Keeps the compiler from dropping the calls whose results are otherwise unused. */
static volatile long sink;

static double getpid_loop(long iterations) {
    double start = now_ns();
    for (long i = 0; i < iterations; i++) {
        sink = syscall(SYS_getpid);
    }
    return (now_ns() - start) / iterations;
}

static void usage(void) {
    fprintf(stderr, "usage: baseline getpid ITERATIONS\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        usage();
    }
    long n = atol(argv[2]);
    if (n <= 0) {
        usage();
    }
    double (*op)(long);
    if (strcmp(argv[1], "getpid") == 0) {
        op = getpid_loop;
    } else {
        usage();
    }
    double samples[REPS];
    op(n); /* warm-up: page in, settle the CPU frequency */
    for (int i = 0; i < REPS; i++) {
        samples[i] = op(n);
    }
    qsort(samples, REPS, sizeof samples[0], cmp_double);
    printf("%.2f\n", samples[REPS / 2]);
    return 0;
}
