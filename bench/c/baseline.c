/*
 * The C baselines of bench/run: the same work as a Java benchmark, done by the cheapest means
 * C has, so bench/run can print how far from C rsyscall4j is.
 *
 *   baseline getpid ITERATIONS     syscall(SYS_getpid) in a loop, as the providers call it
 *   baseline close10k BATCHES      open /dev/null 10,000 times, then close the 10,000 fds one by one;
 *                                  one operation is the whole batch of closes (the opens are untimed)
 *   baseline pingpong ITERATIONS   two processes, a 56-byte request down one pipe and an 8-byte
 *                                  answer up another (the sizes and transport of a child task's
 *                                  syscall)
 *   baseline sockpingpong ITERATIONS  the same over one AF_UNIX stream socketpair, the transport
 *                                  child tasks used before (a control, without a target)
 *   baseline futexpingpong ITERATIONS  two processes sharing one mapping: the 56-byte request
 *                                  and the 8-byte answer stored there, each side futex-waking the
 *                                  other (shared futexes: two processes) and futex-waiting for
 *                                  its turn
 *   baseline yieldpingpong ITERATIONS  the same mailbox between two threads of one process (a
 *                                  child task shares the JVM's memory), each side looking at the
 *                                  other's word with sched_yield between looks and no futex: the
 *                                  limit of a child task's hand-off on one CPU (a control)
 *   baseline fdpass ITERATIONS     one process: sendmsg of one byte and one fd (SCM_RIGHTS) down a
 *                                  stream socketpair, recvmsg of it (MSG_CMSG_CLOEXEC), close of
 *                                  the fd received
 *   baseline bwrap ITERATIONS      posix_spawn of bwrap --unshare-user --unshare-net --unshare-pid
 *                                  --unshare-uts --ro-bind / / --tmpfs /tmp /bin/true, and waitpid
 *   baseline spawnfds ITERATIONS   posix_spawn of /bin/true with three open fds put at 3, 4 and 5
 *                                  by dup2 file actions (stdio inherited), and waitpid
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
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

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

#define FDS 10000
static int fds[FDS];

static void die(const char *what) {
    perror(what);
    exit(1);
}

static double close10k(long batches) {
    double total = 0;
    for (long b = 0; b < batches; b++) {
        for (int i = 0; i < FDS; i++) {
            fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (fds[i] < 0) {
                die("open /dev/null");
            }
        }
        double start = now_ns();
        for (int i = 0; i < FDS; i++) {
            if (close(fds[i]) != 0) {
                die("close");
            }
        }
        total += now_ns() - start;
    }
    return total / batches;
}

static int down[2], up[2];
static pid_t server = -1;

/* The other process: answers each 56-byte request with 8 bytes until EOF. */
static void serve(void) {
    char req[56];
    long answer = 0;
    for (;;) {
        size_t got = 0;
        while (got < sizeof req) {
            ssize_t n = read(down[0], req + got, sizeof req - got);
            if (n == 0) {
                _exit(0);
            }
            if (n < 0) {
                _exit(1);
            }
            got += n;
        }
        answer++;
        if (write(up[1], &answer, sizeof answer) != sizeof answer) {
            _exit(1);
        }
    }
}

/* With socket: one socketpair carries both directions (down[0] = up[1], down[1] = up[0]). */
static void start_server(int socket) {
    if (socket) {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
            die("socketpair");
        }
        down[0] = up[1] = sv[1];
        down[1] = up[0] = sv[0];
    } else if (pipe(down) != 0 || pipe(up) != 0) {
        die("pipe");
    }
    server = fork();
    if (server < 0) {
        die("fork");
    }
    if (server == 0) {
        close(down[1]);
        if (!socket) {
            close(up[0]);
        }
        serve();
    }
    close(down[0]);
    if (!socket) {
        close(up[1]);
    }
}

static double pingpong(long iterations) {
    char req[56] = {0};
    long answer;
    double start = now_ns();
    for (long i = 0; i < iterations; i++) {
        if (write(down[1], req, sizeof req) != sizeof req || read(up[0], &answer, sizeof answer) != sizeof answer) {
            die("ping-pong");
        }
    }
    return (now_ns() - start) / iterations;
}

/* futexpingpong: the words and buffers both processes see, in one MAP_SHARED mapping. */
struct mailbox {
    _Atomic unsigned request; /* the number of the last request posted */
    _Atomic unsigned answer;  /* the number of the last request answered */
    char req[56];
    long result;
};
static struct mailbox *box;

static long futex(_Atomic unsigned *word, int op, unsigned value) {
    return syscall(SYS_futex, word, op, value, NULL, NULL, 0);
}

/* The other process: answers each request, waking the caller; waits for the next. */
static void futex_serve(void) {
    unsigned last = 0;
    for (;;) {
        unsigned seq;
        while ((seq = atomic_load(&box->request)) == last) {
            futex(&box->request, FUTEX_WAIT, last);
        }
        if (seq == ~0u) {
            _exit(0);
        }
        last = seq;
        box->result = box->req[0] + 1;
        atomic_store(&box->answer, seq);
        futex(&box->answer, FUTEX_WAKE, 1);
    }
}

static void start_futex_server(void) {
    box = mmap(NULL, sizeof *box, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (box == MAP_FAILED) {
        die("mmap");
    }
    server = fork();
    if (server < 0) {
        die("fork");
    }
    if (server == 0) {
        futex_serve();
    }
}

/* futexpingpong and yieldpingpong: the caller's side, waking and waiting, or yielding. */
static int yielding;

static double mailboxpingpong(long iterations) {
    static unsigned seq;
    double start = now_ns();
    for (long i = 0; i < iterations; i++) {
        memset(box->req, 0, sizeof box->req);
        atomic_store(&box->request, ++seq);
        if (!yielding) {
            futex(&box->request, FUTEX_WAKE, 1);
        }
        unsigned a;
        while ((a = atomic_load(&box->answer)) != seq) {
            if (yielding) {
                syscall(SYS_sched_yield);
            } else {
                futex(&box->answer, FUTEX_WAIT, a);
            }
        }
        sink = box->result;
    }
    return (now_ns() - start) / iterations;
}

/* yieldpingpong's other thread: answers each request, looking with sched_yield between looks. */
static void *yield_serve(void *unused) {
    unsigned last = 0;
    (void) unused;
    for (;;) {
        unsigned seq;
        while ((seq = atomic_load(&box->request)) == last) {
            syscall(SYS_sched_yield);
        }
        last = seq;
        box->result = box->req[0] + 1;
        atomic_store(&box->answer, seq);
    }
    return NULL;
}

static void start_yield_server(void) {
    static struct mailbox shared;
    pthread_t t;
    box = &shared;
    if (pthread_create(&t, NULL, yield_serve, NULL) != 0) {
        die("pthread_create");
    }
}

static int pass_pair[2];
static int passed = -1;

static double fdpass(long iterations) {
    char byte = 'x';
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    double start = now_ns();
    for (long i = 0; i < iterations; i++) {
        struct iovec iov = {&byte, 1};
        struct msghdr m = {0};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = control.buf;
        m.msg_controllen = sizeof control.buf;
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &passed, sizeof(int));
        if (sendmsg(pass_pair[0], &m, MSG_NOSIGNAL) != 1) {
            die("sendmsg");
        }
        struct msghdr r = {0};
        r.msg_iov = &iov;
        r.msg_iovlen = 1;
        r.msg_control = control.buf;
        r.msg_controllen = sizeof control.buf;
        if (recvmsg(pass_pair[1], &r, MSG_CMSG_CLOEXEC) != 1 || CMSG_FIRSTHDR(&r) == NULL) {
            die("recvmsg");
        }
        int got;
        memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&r)), sizeof(int));
        close(got);
    }
    return (now_ns() - start) / iterations;
}

extern char **environ;

static double bwrap(long iterations) {
    char *argv[] = {"bwrap", "--unshare-user", "--unshare-net", "--unshare-pid", "--unshare-uts",
                    "--ro-bind", "/", "/", "--tmpfs", "/tmp", "/bin/true", NULL};
    double start = now_ns();
    for (long i = 0; i < iterations; i++) {
        pid_t pid;
        int status;
        if (posix_spawn(&pid, "/usr/bin/bwrap", NULL, NULL, argv, environ) != 0) {
            die("posix_spawn bwrap");
        }
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            die("bwrap ... /bin/true");
        }
    }
    return (now_ns() - start) / iterations;
}

/* The three files spawnfds gives the program, at numbers above 5 (close-on-exec, as Java's). */
static int extra_fds[3];

static int spawn_with_fds(const char *path, char **argv) {
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        die("posix_spawn_file_actions_init");
    }
    for (int i = 0; i < 3; i++) {
        if (posix_spawn_file_actions_adddup2(&fa, extra_fds[i], 3 + i) != 0) {
            die("posix_spawn_file_actions_adddup2");
        }
    }
    pid_t pid;
    int status;
    if (posix_spawn(&pid, path, &fa, NULL, argv, environ) != 0) {
        die("posix_spawn");
    }
    posix_spawn_file_actions_destroy(&fa);
    if (waitpid(pid, &status, 0) != pid) {
        die("waitpid");
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static double spawnfds(long iterations) {
    char *argv[] = {"true", NULL};
    double start = now_ns();
    for (long i = 0; i < iterations; i++) {
        if (spawn_with_fds("/bin/true", argv) != 0) {
            die("/bin/true");
        }
    }
    return (now_ns() - start) / iterations;
}

/*
 * sshecho: an 8-byte echo round trip through `ssh OPTION... DESTINATION cat`, the channel a remote
 * task's requests take; the ssh arguments are the lines of $RSYSCALL4J_BENCH_SSH.
 */
static int ssh_in = -1, ssh_out = -1;

static void start_ssh_cat(void) {
    const char *spec = getenv("RSYSCALL4J_BENCH_SSH");
    if (spec == NULL) {
        fprintf(stderr, "baseline: sshecho needs RSYSCALL4J_BENCH_SSH (ssh's arguments, one a line)\n");
        exit(2);
    }
    char *copy = strdup(spec);
    char *args[64];
    int n = 0;
    args[n++] = "ssh";
    for (char *arg = strtok(copy, "\n"); arg != NULL && n < 62; arg = strtok(NULL, "\n")) {
        args[n++] = arg;
    }
    args[n++] = "cat";
    args[n] = NULL;
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
        die("pipe2");
    }
    pid_t pid = fork();
    if (pid < 0) {
        die("fork");
    }
    if (pid == 0) {
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0) {
            _exit(127);
        }
        execvp("ssh", args);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    ssh_in = in[1];
    ssh_out = out[0];
}

static void ssh_round_trip(void) {
    char buf[8] = "rsyscall";
    if (write(ssh_in, buf, sizeof buf) != sizeof buf) {
        die("write to ssh");
    }
    for (size_t got = 0; got < sizeof buf; ) {
        ssize_t r = read(ssh_out, buf + got, sizeof buf - got);
        if (r <= 0) {
            die("read from ssh");
        }
        got += (size_t) r;
    }
}

static double sshecho(long iterations) {
    for (long i = 0; i < iterations / 10 + 1; i++) {
        ssh_round_trip(); /* the connection is up and warm */
    }
    double start = now_ns();
    for (long i = 0; i < iterations; i++) {
        ssh_round_trip();
    }
    return (now_ns() - start) / iterations;
}

static void usage(void) {
    fprintf(stderr, "usage: baseline getpid|close10k|pingpong|sockpingpong|futexpingpong|yieldpingpong|fdpass|bwrap|spawnfds|sshecho N\n");
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
    } else if (strcmp(argv[1], "close10k") == 0) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
            die("getrlimit");
        }
        rl.rlim_cur = rl.rlim_max;
        if (rl.rlim_cur < FDS + 64 || setrlimit(RLIMIT_NOFILE, &rl) != 0) {
            fprintf(stderr, "baseline: need an fd limit above %d (hard limit %ld)\n", FDS + 64, (long) rl.rlim_max);
            exit(1);
        }
        op = close10k;
    } else if (strcmp(argv[1], "pingpong") == 0) {
        start_server(0);
        op = pingpong;
    } else if (strcmp(argv[1], "sockpingpong") == 0) {
        start_server(1);
        op = pingpong;
    } else if (strcmp(argv[1], "futexpingpong") == 0) {
        start_futex_server();
        op = mailboxpingpong;
    } else if (strcmp(argv[1], "yieldpingpong") == 0) {
        start_yield_server();
        yielding = 1;
        op = mailboxpingpong;
    } else if (strcmp(argv[1], "fdpass") == 0) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pass_pair) != 0) {
            die("socketpair");
        }
        passed = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (passed < 0) {
            die("open /dev/null");
        }
        op = fdpass;
    } else if (strcmp(argv[1], "sshecho") == 0) {
        start_ssh_cat();
        op = sshecho;
    } else if (strcmp(argv[1], "bwrap") == 0) {
        op = bwrap;
    } else if (strcmp(argv[1], "spawnfds") == 0) {
        for (int i = 0; i < 3; i++) {
            extra_fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (extra_fds[i] < 0 || dup3(extra_fds[i], 10 + i, O_CLOEXEC) != 10 + i || close(extra_fds[i]) != 0) {
                die("open /dev/null at 10, 11, 12");
            }
            extra_fds[i] = 10 + i;
        }
        /* The files really reach the program at 3, 4 and 5. */
        char *check[] = {"sh", "-c", "exec test -e /proc/self/fd/3 -a -e /proc/self/fd/4 -a -e /proc/self/fd/5", NULL};
        if (spawn_with_fds("/bin/sh", check) != 0) {
            die("the program did not get fds 3, 4 and 5");
        }
        op = spawnfds;
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
    if (server > 0 && box != NULL) {
        atomic_store(&box->request, ~0u);
        futex(&box->request, FUTEX_WAKE, 1);
        waitpid(server, NULL, 0);
    } else if (server > 0) {
        close(down[1]);
        waitpid(server, NULL, 0);
    }
    return 0;
}
