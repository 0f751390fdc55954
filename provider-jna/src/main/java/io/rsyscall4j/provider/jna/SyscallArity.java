package io.rsyscall4j.provider.jna;

import io.rsyscall4j.api.Sys;

/**
 * How many arguments each syscall takes, from its kernel definition ({@code SYSCALL_DEFINEn}).
 *
 * <p>Why the JNA provider wants this: JNA's direct mapping pays for every argument it passes
 * (about 40 ns each here, more than a {@code getpid} costs the kernel), so the provider passes a
 * syscall no more registers than it reads. It never passes fewer: arguments the caller left out
 * up to the syscall's arity are passed as 0, as the {@code SyscallInterface} contract says. A
 * syscall missing below takes all six, which is always right.
 */
final class SyscallArity {
    private static final int[] BY_ORDINAL = new int[Sys.values().length];

    static {
        for (Sys s : Sys.values()) {
            BY_ORDINAL[s.ordinal()] = arity(s);
        }
    }

    private SyscallArity() {}

    /** The number of arguments {@code nr} takes; 6 when not known. */
    static int of(Sys nr) {
        return BY_ORDINAL[nr.ordinal()];
    }

    private static int arity(Sys s) {
        switch (s) {
            case SCHED_YIELD: case GETPID: case GETUID: case GETGID: case GETPPID: case SETSID: case GETTID:
                return 0;
            case CLOSE: case DUP: case EXIT: case UNAME: case CHDIR: case FCHDIR: case UMASK:
            case SET_TID_ADDRESS: case EXIT_GROUP: case UNSHARE: case EPOLL_CREATE1:
                return 1;
            case FSTAT: case MUNMAP: case DUP2: case NANOSLEEP: case SHUTDOWN: case LISTEN: case KILL:
            case FTRUNCATE: case GETCWD: case GETRLIMIT: case SETPGID: case SETRLIMIT: case TKILL:
            case EVENTFD2: case PIPE2: case SETNS: case MEMFD_CREATE: case PIDFD_OPEN: case CLONE3:
                return 2;
            case READ: case WRITE: case POLL: case LSEEK: case MPROTECT: case IOCTL: case READV: case WRITEV:
            case SOCKET: case CONNECT: case ACCEPT: case SENDMSG: case RECVMSG: case BIND: case GETSOCKNAME:
            case EXECVE: case FCNTL: case SCHED_SETAFFINITY: case SCHED_GETAFFINITY: case GETDENTS64:
            case TGKILL: case DUP3: case CLOSE_RANGE: case PIDFD_GETFD:
                return 3;
            case RT_SIGACTION: case RT_SIGPROCMASK: case PREAD64: case PWRITE64: case SOCKETPAIR: case WAIT4:
            case RT_SIGTIMEDWAIT: case OPENAT: case NEWFSTATAT: case READLINKAT: case ACCEPT4: case SIGNALFD4:
            case PRLIMIT64: case PIDFD_SEND_SIGNAL:
                return 4;
            case SETSOCKOPT: case GETSOCKOPT: case CLONE: case PRCTL: case WAITID: case PPOLL: case EXECVEAT:
            case STATX:
                return 5;
            default:
                return 6;
        }
    }
}
