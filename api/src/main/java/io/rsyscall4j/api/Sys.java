package io.rsyscall4j.api;

/**
 * The Linux syscalls rsyscall4j makes, with their x86_64 numbers.
 *
 * <p>Numbers are per architecture; this project runs on x86_64, whose numbers are the ones below.
 * {@link #firstArgIsFd()} lets an error message name the fd a failed call was about
 * ({@code close(17): EBADF ...}) without the provider knowing anything of fds.
 */
public enum Sys {
    READ(0, true),
    WRITE(1, true),
    CLOSE(3, true),
    FSTAT(5, true),
    POLL(7, false),
    LSEEK(8, true),
    MMAP(9, false),
    MPROTECT(10, false),
    MUNMAP(11, false),
    RT_SIGACTION(13, false),
    RT_SIGPROCMASK(14, false),
    IOCTL(16, true),
    PREAD64(17, true),
    PWRITE64(18, true),
    READV(19, true),
    WRITEV(20, true),
    SCHED_YIELD(24, false),
    DUP(32, true),
    DUP2(33, true),
    NANOSLEEP(35, false),
    GETPID(39, false),
    SOCKET(41, false),
    CONNECT(42, true),
    ACCEPT(43, true),
    SENDTO(44, true),
    RECVFROM(45, true),
    SENDMSG(46, true),
    RECVMSG(47, true),
    SHUTDOWN(48, true),
    BIND(49, true),
    LISTEN(50, true),
    GETSOCKNAME(51, true),
    GETPEERNAME(52, true),
    SOCKETPAIR(53, false),
    SETSOCKOPT(54, true),
    GETSOCKOPT(55, true),
    CLONE(56, false),
    EXECVE(59, false),
    EXIT(60, false),
    WAIT4(61, false),
    KILL(62, false),
    UNAME(63, false),
    FCNTL(72, true),
    FTRUNCATE(77, true),
    GETCWD(79, false),
    CHDIR(80, false),
    FCHDIR(81, true),
    UMASK(95, false),
    GETRLIMIT(97, false),
    GETUID(102, false),
    GETGID(104, false),
    GETEUID(107, false),
    GETEGID(108, false),
    SETPGID(109, false),
    GETPPID(110, false),
    SETSID(112, false),
    SETGROUPS(116, false),
    SETRESUID(117, false),
    SETRESGID(119, false),
    GETPGID(121, false),
    CAPGET(125, false),
    CAPSET(126, false),
    RT_SIGTIMEDWAIT(128, false),
    SCHED_SETSCHEDULER(144, false),
    PIVOT_ROOT(155, false),
    PRCTL(157, false),
    SETRLIMIT(160, false),
    CHROOT(161, false),
    MOUNT(165, false),
    UMOUNT2(166, false),
    SETHOSTNAME(170, false),
    GETTID(186, false),
    TKILL(200, false),
    FUTEX(202, false),
    SCHED_SETAFFINITY(203, false),
    SCHED_GETAFFINITY(204, false),
    GETDENTS64(217, true),
    SET_TID_ADDRESS(218, false),
    EXIT_GROUP(231, false),
    EPOLL_WAIT(232, true),
    EPOLL_CTL(233, true),
    TGKILL(234, false),
    WAITID(247, false),
    OPENAT(257, false),
    MKDIRAT(258, false),
    NEWFSTATAT(262, false),
    UNLINKAT(263, false),
    READLINKAT(267, false),
    PPOLL(271, false),
    UNSHARE(272, false),
    ACCEPT4(288, true),
    SIGNALFD4(289, false),
    EVENTFD2(290, false),
    EPOLL_CREATE1(291, false),
    DUP3(292, true),
    PIPE2(293, false),
    PRLIMIT64(302, false),
    SETNS(308, true),
    MEMFD_CREATE(319, false),
    EXECVEAT(322, false),
    STATX(332, false),
    PIDFD_SEND_SIGNAL(424, true),
    PIDFD_OPEN(434, false),
    CLONE3(435, false),
    CLOSE_RANGE(436, false),
    PIDFD_GETFD(438, true),
    MOUNT_SETATTR(442, false);

    private final int number;
    private final boolean firstArgIsFd;

    Sys(int number, boolean firstArgIsFd) {
        this.number = number;
        this.firstArgIsFd = firstArgIsFd;
    }

    /** The x86_64 syscall number. */
    public int number() {
        return number;
    }

    /** Whether the first argument is a file descriptor (so errors can name it). */
    public boolean firstArgIsFd() {
        return firstArgIsFd;
    }

    /** The name as in the man pages, e.g. {@code "close_range"}. */
    public String syscallName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
