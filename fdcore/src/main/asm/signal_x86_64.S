/*
 * rsyscall4j signal forwarding code, x86_64 Linux. Position independent; no libc, no relocations.
 *
 * This file is the source of the bytes in io.rsyscall4j.SignalCode. It is not assembled at build
 * or run time: after editing it, run ./assemble.sh signal_x86_64.S (needs GNU as and objdump) and
 * paste the text it prints into SignalCode.java. The code is loaded at the start of a page; the
 * next page holds its data, which the JVM writes:
 *
 *   data + 0: int    the write end of the self-pipe (O_NONBLOCK)
 *   data + 8: void * the SIGUSR2 handler that was installed before (SIG_DFL 0, SIG_IGN 1, or code)
 *
 * Two entry points:
 *
 *   handler(sig, info, ucontext)   an SA_SIGINFO signal handler, async-signal-safe: it writes one
 *       byte to the self-pipe, the signal number, with bit 0x80 set when the kernel itself sent
 *       the signal (si_code SI_KERNEL: a terminal's ^C, a window size change), and returns. If
 *       the pipe is full the byte is dropped: nothing blocks. One exception: a SIGUSR2 that a
 *       thread of this very process directed at a thread (si_code SI_TKILL, si_pid our own pid)
 *       is HotSpot's suspend/resume signal (pthread_kill), not one for the supervised program:
 *       it goes on to the handler installed before, with the same arguments and stack, as if
 *       the kernel had called that one.
 *
 *   restorer                       the SA_RESTORER stub the kernel returns to from a handler:
 *       rt_sigreturn().
 */

        .text

/* void handler(int sig, siginfo_t *info, void *ucontext) */
handler:
        cmpl    $12, %edi               /* SIGUSR2? */
        jne     .Lhandler_forward
        cmpl    $-6, 8(%rsi)            /* info->si_code == SI_TKILL? */
        jne     .Lhandler_forward
        movl    $39, %eax               /* getpid(): the syscall keeps rdi, rsi and rdx */
        syscall
        cmpl    %eax, 16(%rsi)          /* info->si_pid == our pid? */
        jne     .Lhandler_forward
        leaq    handler(%rip), %rax
        movq    4096+8(%rax), %rax      /* the previous SIGUSR2 handler */
        cmpq    $1, %rax
        jbe     .Lhandler_return        /* SIG_DFL or SIG_IGN: nothing to pass it to */
        jmp     *%rax                   /* tail call: it returns to our restorer, as to its own */
.Lhandler_forward:
        movl    %edi, %ecx
        cmpl    $0x80, 8(%rsi)          /* info->si_code == SI_KERNEL? */
        jne     .Lhandler_write
        orl     $0x80, %ecx
.Lhandler_write:
        movb    %cl, -8(%rsp)           /* the byte, in the red zone (the kernel left it alone) */
        leaq    handler(%rip), %rax
        movl    4096(%rax), %edi        /* write(pipe, &byte, 1) */
        leaq    -8(%rsp), %rsi
        movl    $1, %edx
        movl    $1, %eax
        syscall
.Lhandler_return:
        ret

restorer:
        movl    $15, %eax               /* rt_sigreturn() */
        syscall
        ud2
