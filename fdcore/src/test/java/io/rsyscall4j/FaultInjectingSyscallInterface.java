package io.rsyscall4j;

import io.rsyscall4j.api.ErrnoException;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallHangup;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.api.SyscallSendError;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * FAULT INJECTION: a real provider whose {@code close} and {@code close_range} can be made to fail
 * as a dead task's would (hangup, send error) or with an errno, without running. Counts the close
 * attempts per fd number. Everything else goes to the real provider.
 */
final class FaultInjectingSyscallInterface implements SyscallInterface {
    enum Fault { NONE, HANGUP, SEND_ERROR, EIO }

    private final SyscallInterface real;
    volatile Fault closeFault = Fault.NONE;
    private final Map<Long, AtomicInteger> closeAttempts = new ConcurrentHashMap<>();

    FaultInjectingSyscallInterface(SyscallInterface real) {
        this.real = real;
    }

    int closeAttempts(int fd) {
        AtomicInteger n = closeAttempts.get((long) fd);
        return n == null ? 0 : n.get();
    }

    @Override
    public long syscall(Sys nr, long... args) throws SyscallException {
        if (nr == Sys.CLOSE || nr == Sys.CLOSE_RANGE) {
            long last = nr == Sys.CLOSE ? args[0] : args[1];
            for (long fd = args[0]; fd <= last; fd++) {
                closeAttempts.computeIfAbsent(fd, k -> new AtomicInteger()).incrementAndGet();
            }
            switch (closeFault) {
                case HANGUP:
                    throw new SyscallHangup("injected: task died before answering " + nr.syscallName());
                case SEND_ERROR:
                    throw new SyscallSendError("injected: could not send " + nr.syscallName());
                case EIO:
                    throw ErrnoException.of(nr, 5, args);
                default:
                    break;
            }
        }
        return real.syscall(nr, args);
    }

    @Override
    public void writeMemory(long address, byte[] src, int off, int len) {
        real.writeMemory(address, src, off, len);
    }

    @Override
    public void readMemory(long address, byte[] dst, int off, int len) {
        real.readMemory(address, dst, off, len);
    }

    @Override
    public String provider() {
        return "faulty(" + real.provider() + ")";
    }
}
