/*
 * rsyscall4j child task code, x86_64 Linux. Position independent; no libc, no relocations.
 *
 * This file is the source of the bytes in io.rsyscall4j.ChildCode. It is not assembled at build
 * or run time: after editing it, run ./assemble.sh (needs GNU as and objdump) and paste the array
 * and offsets it prints into ChildCode.java. Three entry points:
 *
 *   raw_syscall(a1, a2, a3, a4, a5, a6, nr)   rsyscall_raw_syscall's convention: the six syscall
 *       arguments in the SysV argument registers, the syscall number as the 7th argument on the
 *       stack. Returns the raw kernel result (-4095..-1 is -errno).
 *
 *   spawn(flags, stack, ptid, ctid, tls)      called from the JVM. Blocks every signal in the
 *       calling thread, makes the raw clone(2), restores the mask in the parent and returns the
 *       clone result (child pid, or -errno). In the child it never returns: signals stay blocked
 *       and it pops the return address off the new stack and jumps there (the trampoline).
 *
 *   trampoline                                entered with %rsp pointing at three 8-byte slots: the
 *       pid of the parent the cloner expects, the request pipe's read end, the answer pipe's
 *       write end. prctl(PR_SET_PDEATHSIG, SIGKILL); exit(0) at once if the parent is not the
 *       expected one (it died before the prctl); else the server loop, then exit(0) when the
 *       server returns (EOF on the request pipe, or an error of either pipe).
 *
 * The stack of a new child is prepared by the caller (ChildStack) as, from the top down:
 *       top - 32: address of trampoline      <- the new stack pointer given to clone
 *       top - 24: pid of the expected parent (the process that runs the clone)
 *       top - 16: request fd number (the server reads requests from it)
 *       top -  8: answer fd number (the server writes results to it)
 * spawn's child side and raw_syscall's `ret` in a grandchild both pop the trampoline's address
 * from there, so a clone run by a child's server (nested child) starts exactly like one spawned
 * from the JVM. That is why the server runs every syscall through `call raw_syscall` rather than
 * an inline `syscall` instruction: in the grandchild, clone returns on the fresh stack, and only a
 * `ret` gets it off the server loop's frame (which lives on the parent's stack) and into the
 * trampoline.
 */

        .text
        /* local symbols: calls between them assemble pc-relative, with no relocations */

/* long raw_syscall(long a1, long a2, long a3, long a4, long a5, long a6, long nr) */
raw_syscall:
        movq    %rcx, %r10              /* 4th syscall argument is in r10, not rcx */
        movq    8(%rsp), %rax           /* nr: 7th argument, above the return address */
        syscall
        ret

/* long spawn(unsigned long flags, void *stack, int *ptid, int *ctid, unsigned long tls) */
spawn:
        pushq   %rbx
        pushq   %r12
        pushq   %r13
        pushq   %r14
        pushq   %r15
        subq    $16, %rsp               /* 0(%rsp): mask with every signal; 8(%rsp): old mask */
        movq    %rdi, %rbx              /* flags */
        movq    %rsi, %r12              /* stack */
        movq    %rdx, %r13              /* ptid */
        movq    %rcx, %r14              /* ctid */
        movq    %r8, %r15               /* tls */
        movq    $-1, (%rsp)
        movl    $14, %eax               /* rt_sigprocmask(SIG_SETMASK, &all, &old, 8) */
        movl    $2, %edi
        movq    %rsp, %rsi
        leaq    8(%rsp), %rdx
        movl    $8, %r10d
        syscall
        testq   %rax, %rax
        jnz     .Lspawn_out             /* mask unchanged: report the error */
        movl    $56, %eax               /* clone(flags, stack, ptid, ctid, tls) */
        movq    %rbx, %rdi
        movq    %r12, %rsi
        movq    %r13, %rdx
        movq    %r14, %r10
        movq    %r15, %r8
        syscall
        testq   %rax, %rax
        jz      .Lspawn_child
        movq    %rax, %rbx              /* parent: keep the result, restore the mask */
        movl    $14, %eax               /* rt_sigprocmask(SIG_SETMASK, &old, NULL, 8) */
        movl    $2, %edi
        leaq    8(%rsp), %rsi
        xorl    %edx, %edx
        movl    $8, %r10d
        syscall
        movq    %rbx, %rax
.Lspawn_out:
        addq    $16, %rsp
        popq    %r15
        popq    %r14
        popq    %r13
        popq    %r12
        popq    %rbx
        ret
.Lspawn_child:
        /* On the new stack, signals still blocked. Never return into the JVM's frames. */
        popq    %rax                    /* the trampoline's address */
        jmp     *%rax

/*
 * Entered with 0(%rsp) = the pid of the parent the cloner expects, 8(%rsp) = the request fd,
 * 16(%rsp) = the answer fd; %rsp is 8 mod 16.
 *
 * The parent-death signal only covers a parent that dies after the prctl. If it died before (it
 * was killed while its clone ran), this child was already reparented, getppid no longer names
 * the expected parent, and no signal will ever come: the child exits at once rather than serve,
 * an orphan that would outlive the JVM (holding whatever its table holds: a build's output
 * pipe, say) — the usual PR_SET_PDEATHSIG idiom.
 */
trampoline:
        movl    $157, %eax              /* prctl(PR_SET_PDEATHSIG, SIGKILL): die with the parent thread */
        movl    $1, %edi
        movl    $9, %esi
        syscall
        movl    $110, %eax              /* getppid() */
        syscall
        popq    %rcx                    /* the expected parent (syscall clobbered rcx: pop after it) */
        cmpq    %rcx, %rax
        jne     .Ltrampoline_exit       /* orphaned before the prctl: exit, never serve */
        popq    %rdi                    /* the request fd */
        popq    %rsi                    /* the answer fd; %rsp is now the top, 16-aligned for the call */
        call    server
.Ltrampoline_exit:
        movl    $60, %eax               /* exit(0): this thread only, never exit_group */
        xorl    %edi, %edi
        syscall
        ud2

/*
 * void server(int in, int out): read a 56-byte request {long nr; long args[6]} from in, run it,
 * write the 8-byte raw result to out; return on EOF of in or on any error of either fd itself.
 * Short reads and writes are accumulated, EINTR retried.
 *
 * The server waits for a request in poll, never in read. A pipe read that sleeps and is woken by
 * a request takes the request even when a SIGKILL came in the meantime, and the process dies on
 * its way back to user space: the request is then gone from the pipe, yet never ran, and the JVM
 * can no longer tell it did not (it must report a hangup, and a close that never ran leaks its
 * fd). A poll woken the same way returns, and the kill strikes before the read: the request stays
 * in the pipe, where the JVM counts it (FIONREAD) and reports a send error, safe to redo. (An
 * AF_UNIX socket's read checks for signals before it takes data, which is why the socket
 * transport of old did not need this.)
 */
server:
        pushq   %rbx                    /* rbx: the request fd */
        pushq   %rbp                    /* rbp: bytes transferred so far */
        pushq   %r12                    /* r12: the answer fd */
        subq    $80, %rsp               /* 0..55: request; 56..63: result; 64..71: pollfd; 16-aligned */
        movl    %edi, %ebx
        movl    %esi, %r12d
        movl    %edi, 64(%rsp)          /* pollfd.fd = in */
        movl    $1, 68(%rsp)            /* pollfd.events = POLLIN, pollfd.revents = 0 */
.Lserver_next:
        xorl    %ebp, %ebp
.Lserver_read:
        movl    $7, %eax                /* poll(&pollfd, 1, -1): until in is readable, at EOF or bad */
        leaq    64(%rsp), %rdi
        movl    $1, %esi
        movl    $-1, %edx
        syscall
        cmpq    $-4, %rax               /* -EINTR: again; any other result: the read tells */
        je      .Lserver_read
        xorl    %eax, %eax              /* read(in, buf + done, 56 - done) */
        movl    %ebx, %edi
        leaq    (%rsp,%rbp), %rsi
        movl    $56, %edx
        subq    %rbp, %rdx
        syscall
        cmpq    $-4, %rax               /* -EINTR: again */
        je      .Lserver_read
        testq   %rax, %rax
        jle     .Lserver_done           /* EOF or an error of the fd: stop serving */
        addq    %rax, %rbp
        cmpq    $56, %rbp
        jb      .Lserver_read
        movq    8(%rsp), %rdi
        movq    16(%rsp), %rsi
        movq    24(%rsp), %rdx
        movq    32(%rsp), %rcx
        movq    40(%rsp), %r8
        movq    48(%rsp), %r9
        movq    (%rsp), %rax
        subq    $8, %rsp                /* keep the call 16-aligned */
        pushq   %rax                    /* nr as the 7th argument */
        call    raw_syscall
        addq    $16, %rsp
        movq    %rax, 56(%rsp)
        xorl    %ebp, %ebp
.Lserver_write:
        movl    $1, %eax                /* write(out, result + done, 8 - done) */
        movl    %r12d, %edi
        leaq    56(%rsp,%rbp), %rsi
        movl    $8, %edx
        subq    %rbp, %rdx
        syscall
        cmpq    $-4, %rax
        je      .Lserver_write
        testq   %rax, %rax
        jle     .Lserver_done
        addq    %rax, %rbp
        cmpq    $8, %rbp
        jb      .Lserver_write
        jmp     .Lserver_next
.Lserver_done:
        addq    $80, %rsp
        popq    %r12
        popq    %rbp
        popq    %rbx
        ret
