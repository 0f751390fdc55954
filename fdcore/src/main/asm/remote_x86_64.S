/*
 * rsyscall4j remote syscall server, x86_64 Linux. Position independent; no libc, no relocations.
 *
 * This file is the source of the bytes in io.rsyscall4j.RemoteServerCode, which wraps them in a
 * minimal static ELF executable and ships it over ssh to the host of a remote task. It is not
 * assembled at build or run time: after editing it, run ./assemble.sh remote_x86_64.S and paste
 * what it prints into RemoteServerCode.java. Entry point:
 *
 *   start    the ELF entry. prctl(PR_SET_PDEATHSIG, SIGKILL) (dies with the sshd session that
 *            ran it), copies stdin and stdout (the ssh channel) to close-on-exec fds >= 64,
 *            leaving 0 and 1 to the task, writes the 8-byte HELLO followed by those two fd
 *            numbers (int32 each: requests, answers), then serves requests until EOF or an error
 *            of the channel, and exit_group(0).
 *
 * A request is {int64 nr; int64 args[6]} (56 bytes) read from the channel:
 *   nr >= 0   runs syscall nr through `call raw_syscall` (so that a clone it runs can start a
 *             child on a prepared stack, as the child server does) and writes the 8-byte raw
 *             result (-4095..-1 is -errno);
 *   nr == -1  reads exactly args[1] bytes from the channel into memory at args[0]; no answer;
 *   nr == -2  writes the args[1] bytes at args[0] to the channel;
 *   other     ends the server, as does a fault (EFAULT) moving memory: the JVM sees the channel
 *             close and reports a hangup.
 * The task has its own address space, so the bytes pointer arguments point to travel this way.
 */

        .text

/* long raw_syscall(long a1, long a2, long a3, long a4, long a5, long a6, long nr) */
raw_syscall:
        movq    %rcx, %r10              /* 4th syscall argument is in r10, not rcx */
        movq    8(%rsp), %rax           /* nr: 7th argument, above the return address */
        syscall
        ret

start:
        movl    $157, %eax              /* prctl(PR_SET_PDEATHSIG, SIGKILL) */
        movl    $1, %edi
        movl    $9, %esi
        syscall
        movl    $72, %eax               /* fcntl(0, F_DUPFD_CLOEXEC, 64): the request stream */
        xorl    %edi, %edi
        movl    $1030, %esi
        movl    $64, %edx
        syscall
        testq   %rax, %rax
        js      .Lstart_exit
        movq    %rax, %rbx
        movl    $72, %eax               /* fcntl(1, F_DUPFD_CLOEXEC, 64): the answer stream */
        movl    $1, %edi
        movl    $1030, %esi
        movl    $64, %edx
        syscall
        testq   %rax, %rax
        js      .Lstart_exit
        movl    %ebx, %edi
        movl    %eax, %esi
        andq    $-16, %rsp
        call    server
.Lstart_exit:
        movl    $231, %eax              /* exit_group(0) */
        xorl    %edi, %edi
        syscall
        ud2

/*
 * long io_all(int fd, char *buf, long len, long nr): read(2) (nr 0) or write(2) (nr 1) until all
 * len bytes are moved, EINTR retried; 0 when done, -1 at EOF or on an error.
 */
io_all:
        pushq   %rbx
        pushq   %rbp
        pushq   %r12
        pushq   %r13
        movl    %edi, %ebx
        movq    %rsi, %rbp
        movq    %rdx, %r12
        movq    %rcx, %r13
.Lio_next:
        testq   %r12, %r12
        jz      .Lio_done
        movq    %r13, %rax
        movl    %ebx, %edi
        movq    %rbp, %rsi
        movq    %r12, %rdx
        syscall
        cmpq    $-4, %rax               /* -EINTR: again */
        je      .Lio_next
        testq   %rax, %rax
        jle     .Lio_fail               /* EOF or an error */
        addq    %rax, %rbp
        subq    %rax, %r12
        jmp     .Lio_next
.Lio_done:
        xorl    %eax, %eax
        jmp     .Lio_out
.Lio_fail:
        movq    $-1, %rax
.Lio_out:
        popq    %r13
        popq    %r12
        popq    %rbp
        popq    %rbx
        ret

/* void server(int in, int out): says hello on out, then serves requests from in until it stops. */
server:
        pushq   %rbx                    /* rbx: in */
        pushq   %r12                    /* r12: out */
        subq    $72, %rsp               /* 0..55: request; 56..63: result; 64..71: fds; 16-aligned */
        movl    %edi, %ebx
        movl    %esi, %r12d
        movabsq $0x0100006a34737973, %rax /* HELLO: "sys4j\0\0\1" little-endian */
        movq    %rax, 56(%rsp)
        movl    %ebx, 64(%rsp)          /* then its two fds, so the task keeps them open */
        movl    %r12d, 68(%rsp)
        movl    %r12d, %edi
        leaq    56(%rsp), %rsi
        movl    $16, %edx
        movl    $1, %ecx
        call    io_all
        testq   %rax, %rax
        jnz     .Lserver_done
.Lserver_next:
        movl    %ebx, %edi              /* the next request */
        movq    %rsp, %rsi
        movl    $56, %edx
        xorl    %ecx, %ecx
        call    io_all
        testq   %rax, %rax
        jnz     .Lserver_done
        movq    (%rsp), %rax
        testq   %rax, %rax
        js      .Lserver_memory
        movq    8(%rsp), %rdi
        movq    16(%rsp), %rsi
        movq    24(%rsp), %rdx
        movq    32(%rsp), %rcx
        movq    40(%rsp), %r8
        movq    48(%rsp), %r9
        subq    $8, %rsp                /* keep the call 16-aligned */
        pushq   %rax                    /* nr as the 7th argument */
        call    raw_syscall
        addq    $16, %rsp
        movq    %rax, 56(%rsp)
        movl    %r12d, %edi             /* the result */
        leaq    56(%rsp), %rsi
        movl    $8, %edx
        movl    $1, %ecx
        call    io_all
        testq   %rax, %rax
        jnz     .Lserver_done
        jmp     .Lserver_next
.Lserver_memory:
        movq    8(%rsp), %rsi           /* address */
        movq    16(%rsp), %rdx          /* length */
        cmpq    $-1, %rax
        je      .Lserver_in
        cmpq    $-2, %rax
        jne     .Lserver_done
        movl    %r12d, %edi             /* -2: memory to the stream */
        movl    $1, %ecx
        jmp     .Lserver_move
.Lserver_in:
        movl    %ebx, %edi              /* -1: the stream to memory */
        xorl    %ecx, %ecx
.Lserver_move:
        call    io_all
        testq   %rax, %rax
        jz      .Lserver_next
.Lserver_done:
        addq    $72, %rsp
        popq    %r12
        popq    %rbx
        ret
