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
 *   spawn(a1, a2, a3, a4, a5, nr)             called from the JVM. Blocks every signal in the
 *       calling thread, makes the raw clone(2) (nr 56: flags, stack, ptid, ctid, tls) or clone3(2)
 *       (nr 435: args, size), restores the mask in the parent and returns the clone result (child
 *       pid, or -errno). In the child it never returns: signals stay blocked
 *       and it pops the return address off the new stack and jumps there (the trampoline).
 *
 *   trampoline                                entered with %rsp pointing at three 8-byte slots: the
 *       pid of the parent the cloner expects, the address of the child's mailbox, the number of
 *       its eventfd. prctl(PR_SET_PDEATHSIG, SIGKILL); exit(0) at once if the parent is not the
 *       expected one (it died before the prctl); else the server loop, which never returns.
 *
 * The stack of a new child is prepared by the caller (ChildStack) as, from the top down:
 *       top - 32: address of trampoline      <- the new stack pointer given to clone
 *       top - 24: pid of the expected parent (the process that runs the clone)
 *       top - 16: the mailbox (the base of the child's ChildStack region)
 *       top -  8: the eventfd the server writes when a request asks to be told that way
 * spawn's child side and raw_syscall's `ret` in a grandchild both pop the trampoline's address
 * from there, so a clone run by a child's server (nested child) starts exactly like one spawned
 * from the JVM. That is why the server runs every syscall through `call raw_syscall` rather than
 * an inline `syscall` instruction: in the grandchild, clone returns on the fresh stack, and only a
 * `ret` gets it off the server loop's frame (which lives on the parent's stack) and into the
 * trampoline.
 *
 * The mailbox (offsets from its base; ChildStack and Mailbox hold the same numbers):
 *          0  int   answer word: the number of the last batch answered. It is also the clone's
 *                   CLONE_CHILD_CLEARTID word: the kernel stores 0 there (and futex-wakes it,
 *                   shared) when the child exits, dies or execs
 *          8  int   request word: the number of the last batch posted (the server futex-waits
 *                   on it, private)
 *         12  int   taken word: the number of the last batch the server took
 *         16  int   answered word: as the answer word, but never cleared by the kernel
 *         48  int   server sleeping: 1 from just before the server's futex wait on the request
 *                   word until it wakes; the JVM wakes it only while this is 1
 *         52  int   caller looking: 0 from just before the JVM's thread sleeps on the answer
 *                   word until it wakes, and always where it never spins: then the server wakes
 *                   it; else 1, and the JVM spins on the word
 *       4096  int   flags: 1 to be told by an eventfd write rather than a futex wake; 2 to stop
 *                   the batch at its first request that fails (-4095..-1): the later ones do
 *                   not run, and their result slots keep what they held
 *       4100  int   count: the requests in the batch (1..63)
 *       4104  56-byte requests {long nr; long args[6]}
 *       7632  8-byte raw results
 */

        .text
        /* local symbols: calls between them assemble pc-relative, with no relocations */

/* long raw_syscall(long a1, long a2, long a3, long a4, long a5, long a6, long nr) */
raw_syscall:
        movq    %rcx, %r10              /* 4th syscall argument is in r10, not rcx */
        movq    8(%rsp), %rax           /* nr: 7th argument, above the return address */
        syscall
        ret

/* long spawn(a1, a2, a3, a4, a5, nr): clone(flags, stack, ptid, ctid, tls) with nr 56, or
   clone3(&args, size, 0, 0, 0) with nr 435 */
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
        movq    %r9, %rax               /* clone(flags, stack, ptid, ctid, tls) or clone3(args, size) */
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
 * Entered with 0(%rsp) = the pid of the parent the cloner expects, 8(%rsp) = the mailbox,
 * 16(%rsp) = the eventfd; %rsp is 8 mod 16.
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
        popq    %rdi                    /* the mailbox */
        popq    %rsi                    /* the eventfd; %rsp is now the top, 16-aligned for the call */
        call    server
.Ltrampoline_exit:
        movl    $60, %eax               /* exit(0): this thread only, never exit_group */
        xorl    %edi, %edi
        syscall
        ud2

/*
 * void server(char *mailbox, int eventfd): forever, wait until the request word differs from the
 * number of the last batch taken, store that number in the taken word, run the batch's requests
 * in order (results into the mailbox; up to the first that fails, if the batch asks), store the
 * number in the answered word and the answer word, and tell the JVM: write 1 to the eventfd if
 * the batch asks for it, else futex-wake the answer word (shared, as the kernel's own wake of
 * that word at exit) unless the caller looking word says the JVM spins on it.
 *
 * The wait (straight to the sleep after an eventfd write: that caller parks, and is not back
 * within a spin; spinning servers of many such children would only crowd the run queue): look
 * at the request word, a sched_yield between looks (on one CPU the yield runs
 * the JVM's thread at once; on two it returns at once), for SPIN_CYCLES of the time stamp
 * counter (25 us at 2.6 GHz: bounded in time, so a server that gets little CPU, or whose
 * yields run others for long, still sleeps soon; a counter that goes back, as on a CPU whose
 * counter lags, ends the spin too), then set the server sleeping word and
 * futex-wait on the request word, whose value the kernel compares again once the sleeping word
 * is stored.
 *
 * No wake is lost (Dekker): each side stores its word (request / answer), then, after a full
 * fence, loads the other side's (server sleeping / caller looking); the sleeper stores its word,
 * then, after a full fence, looks at (or futex-compares) the word it waits for. One of the two
 * loads must see the other's store: the poster wakes, or the sleeper does not sleep. Here xchg
 * with memory is the fence (it is locked); in the JVM, VarHandle.fullFence.
 *
 * The store to the taken word is the commit point. A child killed before it never ran any of the
 * batch (the JVM reports a send error, safe to redo); after it, the batch may have run (a
 * hangup). A SIGKILL that comes while the server sleeps in futex_wait kills it there, before it
 * looks at the request word again.
 */
        .set    SPIN_CYCLES, 65536
server:
        pushq   %rbx                    /* rbx: the mailbox */
        pushq   %rbp                    /* ebp: the number of the last batch taken */
        pushq   %r12                    /* r12d: the eventfd */
        pushq   %r13                    /* r13: the spin's end (tsc) while waiting; the request running */
        pushq   $1                      /* 0(%rsp): the 8-byte 1 an eventfd write adds; 16-aligned */
        movq    %rdi, %rbx
        movl    %esi, %r12d
        movl    16(%rbx), %ebp          /* start after the last batch answered */
.Lserver_wait:
        rdtsc
        shlq    $32, %rdx
        orq     %rdx, %rax
        leaq    SPIN_CYCLES(%rax), %r13
.Lserver_look:
        movl    8(%rbx), %eax
        cmpl    %ebp, %eax
        jne     .Lserver_take
        rdtsc
        shlq    $32, %rdx
        orq     %rdx, %rax
        cmpq    %r13, %rax
        jae     .Lserver_sleep          /* spun long enough */
        leaq    -SPIN_CYCLES(%r13), %rcx
        cmpq    %rcx, %rax
        jb      .Lserver_sleep          /* the counter went back (a CPU whose counter lags): stop too */
        movl    $24, %eax               /* sched_yield() */
        syscall
        jmp     .Lserver_look
.Lserver_sleep:
        movl    $1, %eax
        xchgl   %eax, 48(%rbx)          /* server sleeping; a full fence before the futex compares */
        movl    $202, %eax              /* futex(&request, FUTEX_WAIT_PRIVATE, last, NULL) */
        leaq    8(%rbx), %rdi
        movl    $128, %esi
        movl    %ebp, %edx
        xorl    %r10d, %r10d
        syscall
        movl    $0, 48(%rbx)            /* awake: woken, changed (EAGAIN) or EINTR */
        jmp     .Lserver_wait
.Lserver_take:
        movl    %eax, %ebp
        movl    %ebp, 12(%rbx)          /* taken: from here on the batch may run */
        xorl    %r13d, %r13d
.Lserver_run:
        cmpl    4100(%rbx), %r13d
        jae     .Lserver_answered
        imulq   $56, %r13, %rax
        leaq    4104(%rbx,%rax), %rax
        movq    8(%rax), %rdi
        movq    16(%rax), %rsi
        movq    24(%rax), %rdx
        movq    32(%rax), %rcx
        movq    40(%rax), %r8
        movq    48(%rax), %r9
        movq    (%rax), %rax
        subq    $8, %rsp                /* keep the call 16-aligned */
        pushq   %rax                    /* nr as the 7th argument */
        call    raw_syscall
        addq    $16, %rsp
        movq    %rax, 7632(%rbx,%r13,8)
        incl    %r13d
        cmpq    $-4095, %rax
        jb      .Lserver_run            /* not -errno (unsigned below -4095): the next request */
        testl   $2, 4096(%rbx)
        jz      .Lserver_run            /* failed, but the batch runs on */
.Lserver_answered:
        movl    %ebp, 16(%rbx)          /* answered */
        movl    %ebp, %eax
        xchgl   %eax, (%rbx)            /* the answer word; a full fence before the look below */
        testl   $1, 4096(%rbx)
        jnz     .Lserver_notify
        cmpl    $0, 52(%rbx)
        jne     .Lserver_wait           /* the caller is looking: no wake */
        movl    $202, %eax              /* futex(&answer, FUTEX_WAKE, 1): shared */
        movq    %rbx, %rdi
        movl    $1, %esi
        movl    $1, %edx
        syscall
        jmp     .Lserver_wait
.Lserver_notify:
        movl    $1, %eax                /* write(eventfd, &1, 8) */
        movl    %r12d, %edi
        movq    %rsp, %rsi
        movl    $8, %edx
        syscall
        jmp     .Lserver_sleep          /* no spin: a caller told by the eventfd is parked, not quick */
