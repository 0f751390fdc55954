package io.rsyscall4j.api;

/**
 * Linux's flags, commands, signal numbers and sizes (x86_64 values), each declared once, under its
 * C name.
 *
 * <p>The values are those of glibc's and the kernel's headers on x86_64, which a test compiles
 * against: they combine with {@code |} exactly as in C. Syscall numbers are {@link Sys}, errno values
 * {@link Errno}. Flags a syscall takes as {@code unsigned long} ({@code CLONE_*}) and values beyond
 * {@code int} are {@code long}; {@code poll(2)} events are {@code short}, as in {@code struct pollfd}.
 */
public final class Linux {
    // <fcntl.h>: open(2) flags.
    /** Open for reading only. */
    public static final int O_RDONLY = 0;
    /** Open for writing only. */
    public static final int O_WRONLY = 01;
    /** Open for reading and writing. */
    public static final int O_RDWR = 02;
    /** The bits of the access mode ({@code O_RDONLY}, {@code O_WRONLY}, {@code O_RDWR}). */
    public static final int O_ACCMODE = 03;
    /** Create the file if it does not exist. */
    public static final int O_CREAT = 0100;
    /** With {@code O_CREAT}: fail if the file exists. */
    public static final int O_EXCL = 0200;
    /** Do not make a terminal the controlling terminal. */
    public static final int O_NOCTTY = 0400;
    /** Truncate a regular file to length 0. */
    public static final int O_TRUNC = 01000;
    /** Every write goes to the end of the file. */
    public static final int O_APPEND = 02000;
    /** Non-blocking I/O. */
    public static final int O_NONBLOCK = 04000;
    /** Writes complete with their data on disk. */
    public static final int O_DSYNC = 010000;
    /** Bypass the page cache. */
    public static final int O_DIRECT = 040000;
    /** Large-file access (the kernel's value: glibc's is 0 on x86_64, where it is always on). */
    public static final int O_LARGEFILE = 0100000;
    /** Fail unless the path is a directory. */
    public static final int O_DIRECTORY = 0200000;
    /** Fail if the last path component is a symbolic link. */
    public static final int O_NOFOLLOW = 0400000;
    /** Do not update the access time. */
    public static final int O_NOATIME = 01000000;
    /** Close on exec. Every fd rsyscall4j creates has it, so no fd leaks into an exec'd program by accident. */
    public static final int O_CLOEXEC = 02000000;
    /** Writes complete with data and metadata on disk. */
    public static final int O_SYNC = 04010000;
    /** A handle on the path only: no I/O. */
    public static final int O_PATH = 010000000;
    /** An unnamed temporary file in the given directory. */
    public static final int O_TMPFILE = 020200000;

    // <fcntl.h>: the *at(2) calls' directory, fcntl(2) commands.
    /** The directory argument of the {@code *at} calls that means the current directory. */
    public static final int AT_FDCWD = -100;
    /** {@code *at} flag: do not follow a final symbolic link. */
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    /** The file type bits of {@code st_mode}. */
    public static final int S_IFMT = 0170000;
    /** The file type of a socket, in {@code st_mode}. */
    public static final int S_IFSOCK = 0140000;
    /** {@code fcntl}: duplicate onto the lowest free number at or above the argument. */
    public static final int F_DUPFD = 0;
    /** {@code fcntl}: read the fd flags ({@code FD_CLOEXEC}). */
    public static final int F_GETFD = 1;
    /** {@code fcntl}: set the fd flags ({@code FD_CLOEXEC}). */
    public static final int F_SETFD = 2;
    /** {@code fcntl}: read the file status flags. */
    public static final int F_GETFL = 3;
    /** {@code fcntl}: set the file status flags ({@code O_NONBLOCK}, ...). */
    public static final int F_SETFL = 4;
    /** {@code fcntl}: as {@code F_DUPFD}, the copy close-on-exec. */
    public static final int F_DUPFD_CLOEXEC = 1030;
    /** The close-on-exec bit of {@code F_GETFD}/{@code F_SETFD}. */
    public static final int FD_CLOEXEC = 1;

    // <unistd.h>: lseek(2) whence, close_range(2) flags.
    /** {@code lseek}: from the start of the file. */
    public static final int SEEK_SET = 0;
    /** {@code lseek}: from the current offset. */
    public static final int SEEK_CUR = 1;
    /** {@code lseek}: from the end of the file. */
    public static final int SEEK_END = 2;
    /** {@code lseek}: to the next data at or after the offset. */
    public static final int SEEK_DATA = 3;
    /** {@code lseek}: to the next hole at or after the offset. */
    public static final int SEEK_HOLE = 4;
    /** {@code close_range}: unshare the fd table first. */
    public static final int CLOSE_RANGE_UNSHARE = 1 << 1;
    /** Marks the range close-on-exec instead of closing it (Linux 5.11). */
    public static final int CLOSE_RANGE_CLOEXEC = 1 << 2;
    /** {@code ~0U}: as {@code close_range}'s last fd, every fd from the first one on. */
    public static final long CLOSE_RANGE_ALL = 0xFFFF_FFFFL;

    // <sys/mman.h>
    /** {@code mmap}: no access. */
    public static final int PROT_NONE = 0;
    /** {@code mmap}: readable. */
    public static final int PROT_READ = 0x1;
    /** {@code mmap}: writable. */
    public static final int PROT_WRITE = 0x2;
    /** {@code mmap}: executable. */
    public static final int PROT_EXEC = 0x4;
    /** {@code mmap}: changes are shared. */
    public static final int MAP_SHARED = 0x01;
    /** {@code mmap}: a private copy-on-write mapping. */
    public static final int MAP_PRIVATE = 0x02;
    /** {@code mmap}: exactly at the given address. */
    public static final int MAP_FIXED = 0x10;
    /** {@code mmap}: memory, no file. */
    public static final int MAP_ANONYMOUS = 0x20;
    /** {@code mmap}: memory for a stack. */
    public static final int MAP_STACK = 0x20000;
    /** The size of a page on x86_64 ({@code sysconf(_SC_PAGESIZE)}). */
    public static final int PAGE_SIZE = 4096;

    // <signal.h>
    /** Hangup. */
    public static final int SIGHUP = 1;
    /** Interrupt from the keyboard. */
    public static final int SIGINT = 2;
    /** Quit from the keyboard. */
    public static final int SIGQUIT = 3;
    /** Illegal instruction. */
    public static final int SIGILL = 4;
    /** Trace/breakpoint trap. */
    public static final int SIGTRAP = 5;
    /** Abort. */
    public static final int SIGABRT = 6;
    /** Bus error (bad memory access). */
    public static final int SIGBUS = 7;
    /** Floating-point exception. */
    public static final int SIGFPE = 8;
    /** Kill: cannot be caught, blocked or ignored. */
    public static final int SIGKILL = 9;
    /** User signal 1. */
    public static final int SIGUSR1 = 10;
    /** Invalid memory reference. */
    public static final int SIGSEGV = 11;
    /** User signal 2. */
    public static final int SIGUSR2 = 12;
    /** Write to a pipe with no reader. */
    public static final int SIGPIPE = 13;
    /** Timer. */
    public static final int SIGALRM = 14;
    /** Termination. */
    public static final int SIGTERM = 15;
    /** A child stopped or ended; also the exit signal {@code clone} is given. */
    public static final int SIGCHLD = 17;
    /** Continue if stopped. */
    public static final int SIGCONT = 18;
    /** Stop: cannot be caught, blocked or ignored. */
    public static final int SIGSTOP = 19;
    /** Stop from the terminal. */
    public static final int SIGTSTP = 20;
    /** Window size change. */
    public static final int SIGWINCH = 28;
    /** The highest signal number the kernel knows ({@code _NSIG}; a sigset is 64 bits). */
    public static final int SIGRTMAX = 64;
    /** {@code sigprocmask}: add to the blocked set. */
    public static final int SIG_BLOCK = 0;
    /** {@code sigprocmask}: remove from the blocked set. */
    public static final int SIG_UNBLOCK = 1;
    /** {@code sigprocmask}: replace the blocked set. */
    public static final int SIG_SETMASK = 2;
    /** {@code sigaction} flag: the handler takes a {@code siginfo_t} and the context. */
    public static final long SA_SIGINFO = 0x4;
    /** {@code sigaction} flag: run the handler on the alternate signal stack. */
    public static final long SA_ONSTACK = 0x08000000;
    /** {@code sigaction} flag: restart interrupted syscalls. */
    public static final long SA_RESTART = 0x10000000;

    // <sched.h>: clone(2) and unshare(2) flags.
    /** Share the address space. */
    public static final long CLONE_VM = 0x100;
    /** Share the root, working directory and umask. */
    public static final long CLONE_FS = 0x200;
    /** Share the fd table. */
    public static final long CLONE_FILES = 0x400;
    /** Share the signal handlers. */
    public static final long CLONE_SIGHAND = 0x800;
    /** Return a pidfd of the child in the parent's table. */
    public static final long CLONE_PIDFD = 0x1000;
    /** The parent waits until the child execs or exits. */
    public static final long CLONE_VFORK = 0x4000;
    /** The child's parent is the caller's parent. */
    public static final long CLONE_PARENT = 0x8000;
    /** Same thread group. */
    public static final long CLONE_THREAD = 0x10000;
    /** A new mount namespace. */
    public static final long CLONE_NEWNS = 0x20000;
    /** Share System V semaphore undo values. */
    public static final long CLONE_SYSVSEM = 0x40000;
    /** Set the thread-local storage. */
    public static final long CLONE_SETTLS = 0x80000;
    /** Store the child's tid in the parent's memory. */
    public static final long CLONE_PARENT_SETTID = 0x100000;
    /** Zero the child's tid word and wake a futex on it when the child exits or execs. */
    public static final long CLONE_CHILD_CLEARTID = 0x200000;
    /** Store the child's tid in the child's memory. */
    public static final long CLONE_CHILD_SETTID = 0x1000000;
    /** A new cgroup namespace. */
    public static final long CLONE_NEWCGROUP = 0x2000000;
    /** A new UTS (host name) namespace. */
    public static final long CLONE_NEWUTS = 0x4000000;
    /** A new IPC namespace. */
    public static final long CLONE_NEWIPC = 0x8000000;
    /** A new user namespace. */
    public static final long CLONE_NEWUSER = 0x10000000;
    /** A new pid namespace. */
    public static final long CLONE_NEWPID = 0x20000000;
    /** A new network namespace. */
    public static final long CLONE_NEWNET = 0x40000000;
    /**
     * {@code clone3} only: the child's caught signals start at their default disposition (ignored
     * ones stay ignored), as after {@code execve}.
     */
    public static final long CLONE_CLEAR_SIGHAND = 0x100000000L;

    // <sys/wait.h>: waitid(2).
    /** {@code waitid}: any child. */
    public static final int P_ALL = 0;
    /** {@code waitid}: the child with this pid. */
    public static final int P_PID = 1;
    /** {@code waitid}: any child in this process group. */
    public static final int P_PGID = 2;
    /** {@code waitid}: the child this pidfd refers to. */
    public static final int P_PIDFD = 3;
    /** {@code waitid}: return at once if no child has changed state. */
    public static final int WNOHANG = 1;
    /** {@code waitid}: children stopped by a signal. */
    public static final int WSTOPPED = 2;
    /** {@code waitid}: children that ended. */
    public static final int WEXITED = 4;
    /** {@code waitid}: leave the child waitable. */
    public static final int WNOWAIT = 0x1000000;
    /** {@code siginfo_t.si_code} of a child that exited (else it was killed or dumped core). */
    public static final int CLD_EXITED = 1;
    /** {@code si_code}: killed by a signal. */
    public static final int CLD_KILLED = 2;
    /** {@code si_code}: killed by a signal, core dumped. */
    public static final int CLD_DUMPED = 3;

    // <poll.h>, <sys/ioctl.h>
    /** {@code poll}: data to read. */
    public static final short POLLIN = 0x1;
    /** {@code poll}: urgent data to read. */
    public static final short POLLPRI = 0x2;
    /** {@code poll}: writing will not block. */
    public static final short POLLOUT = 0x4;
    /** {@code poll}: an error condition. */
    public static final short POLLERR = 0x8;
    /** {@code poll}: hung up. */
    public static final short POLLHUP = 0x10;
    /** {@code poll}: the fd is not open. */
    public static final short POLLNVAL = 0x20;
    /** {@code sizeof(struct pollfd)}: an {@code int} fd, then {@code short} events and revents. */
    public static final int POLLFD_SIZE = 8;
    /** {@code ioctl(2)}: the bytes ready to read (for a pipe's write end: written and not yet read). */
    public static final int FIONREAD = 0x541B;

    // <sys/epoll.h>
    /** {@code epoll_ctl(2)}: register an fd. */
    public static final int EPOLL_CTL_ADD = 1;
    /** {@code epoll_ctl(2)}: deregister an fd. */
    public static final int EPOLL_CTL_DEL = 2;
    /** {@code epoll_ctl(2)}: change an fd's events. */
    public static final int EPOLL_CTL_MOD = 3;
    /** {@code epoll} event flag: report once, then disarm until the next {@code EPOLL_CTL_MOD}. */
    public static final int EPOLLONESHOT = 1 << 30;
    /** {@code sizeof(struct epoll_event)}: packed on x86_64, a 32-bit mask then 64 bits of data. */
    public static final int EPOLL_EVENT_SIZE = 12;

    // <linux/futex.h>
    /** {@code futex(2)}: sleep while the word holds the given value. */
    public static final int FUTEX_WAIT = 0;
    /** {@code futex(2)}: wake up to the given number of waiters. */
    public static final int FUTEX_WAKE = 1;
    /** {@code futex(2)} op flag: the word is in this process's memory only (no shared hashing). */
    public static final int FUTEX_PRIVATE_FLAG = 128;

    // <sys/stat.h>
    /** {@code sizeof(struct stat)} on x86_64. */
    public static final int STAT_SIZE = 144;
    /** {@code offsetof(struct stat, st_mode)} on x86_64: a 32-bit mode. */
    public static final int STAT_MODE_OFFSET = 24;

    // <sys/socket.h>
    /** Local sockets. */
    public static final int AF_UNIX = 1;
    /** IPv4. */
    public static final int AF_INET = 2;
    /** IPv6. */
    public static final int AF_INET6 = 10;
    /** A stream socket. */
    public static final int SOCK_STREAM = 1;
    /** A datagram socket. */
    public static final int SOCK_DGRAM = 2;
    /** A sequenced, reliable, connection-based socket of records. */
    public static final int SOCK_SEQPACKET = 5;
    /** {@code socket} type flag: non-blocking. */
    public static final int SOCK_NONBLOCK = 04000;
    /** {@code socket} type flag: close-on-exec. */
    public static final int SOCK_CLOEXEC = 02000000;
    /** {@code setsockopt} level of the socket itself. */
    public static final int SOL_SOCKET = 1;
    /** Allow reuse of a local address. */
    public static final int SO_REUSEADDR = 2;
    public static final int SO_BROADCAST = 6;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_KEEPALIVE = 9;
    public static final int SO_LINGER = 13;
    public static final int SO_REUSEPORT = 15;
    public static final int SHUT_RD = 0;
    public static final int SHUT_WR = 1;
    public static final int SHUT_RDWR = 2;
    /** {@code cmsg_type} of a control message carrying fds ({@code SOL_SOCKET} level). */
    public static final int SCM_RIGHTS = 1;
    /** The most fds one {@code SCM_RIGHTS} message carries (the kernel's {@code net/scm.h}; no user header has it). */
    public static final int SCM_MAX_FD = 253;
    public static final int MSG_CTRUNC = 0x8;
    public static final int MSG_TRUNC = 0x20;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_CMSG_CLOEXEC = 0x40000000;

    // <netinet/in.h>, <netinet/tcp.h>
    public static final int IPPROTO_TCP = 6;
    public static final int TCP_NODELAY = 1;

    // <sys/prctl.h>
    /** {@code prctl}: the signal the caller gets when its parent thread ends. */
    public static final int PR_SET_PDEATHSIG = 1;
    /** {@code prctl}: read that signal. */
    public static final int PR_GET_PDEATHSIG = 2;

    // <sys/prctl.h>, <linux/capability.h>: credentials of a child task.
    public static final int PR_GET_DUMPABLE = 3;
    public static final int PR_SET_DUMPABLE = 4;
    public static final int PR_CAPBSET_DROP = 24;
    public static final int PR_SET_NO_NEW_PRIVS = 38;
    public static final int PR_GET_NO_NEW_PRIVS = 39;
    public static final int PR_CAP_AMBIENT = 47;
    public static final int PR_CAP_AMBIENT_CLEAR_ALL = 4;
    /** {@code _LINUX_CAPABILITY_VERSION_3}: {@code capset(2)}'s header version for two 32-bit words per set. */
    public static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
    /** The highest capability number ({@code CAP_CHECKPOINT_RESTORE}). */
    public static final int CAP_LAST_CAP = 40;

    // <sys/mount.h>: mount(2), umount2(2), mount_setattr(2).
    public static final long MS_RDONLY = 0x1;
    public static final long MS_NOSUID = 0x2;
    public static final long MS_NODEV = 0x4;
    public static final long MS_NOEXEC = 0x8;
    public static final long MS_REMOUNT = 0x20;
    public static final long MS_NOATIME = 0x400;
    public static final long MS_NODIRATIME = 0x800;
    public static final long MS_BIND = 0x1000;
    public static final long MS_REC = 0x4000;
    public static final long MS_PRIVATE = 0x40000;
    public static final long MS_SLAVE = 0x80000;
    public static final long MS_RELATIME = 0x200000;
    public static final long MS_STRICTATIME = 0x1000000;
    public static final int MNT_DETACH = 0x2;
    public static final long MOUNT_ATTR_RDONLY = 0x1;
    /** {@code sizeof(struct mount_attr)}, version 0. */
    public static final int MOUNT_ATTR_SIZE_VER0 = 32;
    /** {@code mount_setattr(2)}: the whole tree below the path. */
    public static final int AT_RECURSIVE = 0x8000;

    // <sys/resource.h>, <net/if.h>
    /** {@code RLIM_INFINITY}: no limit. */
    public static final long RLIM_INFINITY = -1L;
    /** {@code getrlimit(2)}: one more than the highest fd number a process may open. */
    public static final int RLIMIT_NOFILE = 7;
    public static final int SIOCGIFFLAGS = 0x8913;
    public static final int SIOCSIFFLAGS = 0x8914;
    public static final int IFF_UP = 0x1;
    public static final int IFNAMSIZ = 16;

    private Linux() {}
}
