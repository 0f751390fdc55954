package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.FileDescriptor;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@link SignalForwarder} on the real kernel: signals sent to this very JVM (the test's own) are
 * taken from the JVM's handlers and passed on, HotSpot's own thread-directed SIGUSR2 still reaches
 * HotSpot, and closing puts the JVM's handlers back exactly. A broken handler would kill or crash
 * the test JVM (its SIGTERM and SIGHUP handlers shut it down, SIGQUIT prints a thread dump).
 */
class SignalForwarderTest {
    private static final long WAIT_SECONDS = 30;
    private static final List<Integer> SENT = List.of(Linux.SIGQUIT, Linux.SIGHUP,
            Linux.SIGTERM, Linux.SIGINT, Linux.SIGUSR1, Linux.SIGWINCH);

    /** What a sink got: the signal numbers, in order. */
    private static final class Recorder implements SignalForwarder.Sink {
        final BlockingQueue<Integer> got = new LinkedBlockingQueue<>();

        @Override
        public void signal(int sig, boolean fromKernel) {
            got.add(fromKernel ? -sig : sig);
        }

        int next() throws InterruptedException {
            Integer sig = got.poll(WAIT_SECONDS, TimeUnit.SECONDS);
            assertTrue(sig != null, "a signal was passed on within " + WAIT_SECONDS + " s");
            return sig;
        }
    }

    @BothProviders
    void signalsSentToTheJvmArePassedOnInOrderAndTheJvmLivesOn(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Recorder r = new Recorder();
        try (SignalForwarder f = SignalForwarder.install(local, SignalForwarder.SUPERVISOR_SIGNALS)) {
            assertEquals(SignalForwarder.SUPERVISOR_SIGNALS, f.signals());
            // Before a sink is named the signals are held, and then passed on first, in order.
            // (Each read before the next is sent: the kernel delivers pending signals lowest first.)
            local.sysif().syscall(Sys.KILL, local.pid(), Linux.SIGUSR1);
            awaitHeld(f, 1);
            local.sysif().syscall(Sys.KILL, local.pid(), Linux.SIGHUP);
            awaitHeld(f, 2);
            f.deliverTo(r);
            assertEquals(Linux.SIGUSR1, r.next());
            assertEquals(Linux.SIGHUP, r.next());
            for (int sig : SENT) {
                local.sysif().syscall(Sys.KILL, local.pid(), sig);
                assertEquals(sig, r.next(), "signal " + sig + " sent with kill(2) (si_code SI_USER)");
            }
            // From another process too.
            Process kill = new ProcessBuilder("kill", "-TERM", Long.toString(ProcessHandle.current().pid())).start();
            assertEquals(0, kill.waitFor());
            assertEquals(Linux.SIGTERM, r.next());
        }
        assertNull(r.got.poll(), "nothing else was passed on");
    }

    /**
     * HotSpot suspends and resumes threads with a SIGUSR2 one of its threads sends another
     * ({@code pthread_kill}); the forwarder passes those on to HotSpot's handler. One sent to this
     * thread goes there (HotSpot ignores one it did not ask for), not to the sink: the SIGUSR1
     * sent after it is the first thing the sink gets. A SIGUSR2 sent to the process is passed on.
     */
    @BothProviders
    void hotSpotsOwnThreadDirectedSigusr2GoesToHotSpotNotToTheSink(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        SyscallInterface sys = local.sysif();
        Recorder r = new Recorder();
        try (SignalForwarder f = SignalForwarder.install(local, Set.of(Linux.SIGUSR1, Linux.SIGUSR2))) {
            f.deliverTo(r);
            long tid = sys.syscall(Sys.GETTID);
            sys.syscall(Sys.TGKILL, local.pid(), tid, Linux.SIGUSR2);
            sys.syscall(Sys.KILL, local.pid(), Linux.SIGUSR1);
            assertEquals(Linux.SIGUSR1, r.next(), "the thread-directed SIGUSR2 was not passed on");
            sys.syscall(Sys.KILL, local.pid(), Linux.SIGUSR2);
            assertEquals(Linux.SIGUSR2, r.next(), "a process-directed SIGUSR2 is");
            Process kill = new ProcessBuilder("kill", "-USR2", Long.toString(ProcessHandle.current().pid())).start();
            assertEquals(0, kill.waitFor());
            assertEquals(Linux.SIGUSR2, r.next(), "and one from another process");
        }
    }

    @BothProviders
    void closingPutsBackExactlyTheActionsThatWereThere(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Map<Integer, byte[]> before = new java.util.HashMap<>();
        for (int sig : SignalForwarder.SUPERVISOR_SIGNALS) {
            before.put(sig, action(local, sig));
        }
        SignalForwarder f = SignalForwarder.install(local, SignalForwarder.SUPERVISOR_SIGNALS);
        for (int sig : SignalForwarder.SUPERVISOR_SIGNALS) {
            assertNotEquals(java.util.Arrays.toString(before.get(sig)), java.util.Arrays.toString(action(local, sig)),
                    "signal " + sig + " has the forwarder's handler");
        }
        f.close();
        f.close();
        for (int sig : SignalForwarder.SUPERVISOR_SIGNALS) {
            assertArrayEquals(before.get(sig), action(local, sig), "signal " + sig + " is as before");
        }
        assertThrows(IllegalStateException.class, () -> f.deliverTo(new Recorder()));
        // And a new one can be installed.
        try (SignalForwarder again = SignalForwarder.install(local, Set.of(Linux.SIGUSR1))) {
            Recorder r = new Recorder();
            again.deliverTo(r);
            local.sysif().syscall(Sys.KILL, local.pid(), Linux.SIGUSR1);
            assertEquals(Linux.SIGUSR1, r.next());
        }
    }

    @BothProviders
    void aProgramGetsTheSignalsTheJvmGot(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        try (SignalForwarder f = SignalForwarder.install(local, SignalForwarder.SUPERVISOR_SIGNALS)) {
            Pipe out = local.pipe();
            ChildTask child = local.clone();
            FileDescriptor w = child.inheritFd(out.write());
            w.dup2(child.stdout());
            w.invalidate();
            ChildProcess program = child.exec("sh", List.of("sh", "-c",
                    "trap 'echo got-HUP' HUP; trap 'exit 42' TERM; echo ready; while :; do sleep 0.05; done"));
            out.write().close();
            try (Deadline d = new Deadline(Duration.ofSeconds(WAIT_SECONDS))) {
                assertEquals("ready", d.call("reading", () -> line(out.read())));
                local.sysif().syscall(Sys.KILL, local.pid(), Linux.SIGHUP);
                f.forwardTo(program);
                assertEquals("got-HUP", d.call("reading", () -> line(out.read())), "held, then sent on");
                local.sysif().syscall(Sys.KILL, local.pid(), Linux.SIGTERM);
                assertEquals(42, (int) d.call("waiting", program::waitFor));
            }
            out.read().close();
        }
    }

    @BothProviders
    void refusesWhatItCannotForward(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        for (int sig : List.of(0, 9, 11, 19, 65)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> SignalForwarder.install(local, Set.of(sig)));
            assertTrue(e.getMessage().contains("signal " + sig), e.getMessage());
        }
        SignalForwarder installed = SignalForwarder.install(local, Set.of(Linux.SIGUSR1));
        try {
            assertThrows(IllegalStateException.class, () -> SignalForwarder.install(local, Set.of(Linux.SIGUSR2)));
        } finally {
            installed.close();
        }
        ChildTask child = local.clone();
        assertThrows(IllegalArgumentException.class, () -> SignalForwarder.install(child, Set.of(Linux.SIGUSR1)));
        child.exit(0);
    }

    /** Waits until the forwarder's thread holds {@code n} signals. */
    private static void awaitHeld(SignalForwarder f, int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (f.heldCount() < n) {
            assertTrue(System.nanoTime() < deadline, "the signals were read within " + WAIT_SECONDS + " s");
            Thread.onSpinWait();
        }
    }

    /** One line from {@code fd}, read a byte at a time (no more than the line). */
    private static String line(FileDescriptor fd) throws Exception {
        StringBuilder s = new StringBuilder();
        byte[] b = new byte[1];
        while (fd.read(b, 0, 1) == 1 && b[0] != '\n') {
            s.append(new String(b, StandardCharsets.ISO_8859_1));
        }
        return s.toString();
    }

    /** The kernel's sigaction of {@code sig} in this JVM: handler, flags, restorer, mask. */
    private static byte[] action(Task local, int sig) throws Exception {
        SyscallInterface sys = local.sysif();
        long page = sys.syscall(Sys.MMAP, 0, 4096, 3, 0x22, -1, 0);
        try {
            sys.syscall(Sys.RT_SIGACTION, sig, 0, page, 8);
            byte[] b = new byte[32];
            sys.readMemory(page, b, 0, 32);
            return b;
        } finally {
            sys.syscall(Sys.MUNMAP, page, 4096);
        }
    }
}
