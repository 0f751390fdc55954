package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ChildProcess} lives as a {@code ProcessBuilder} process does: each scenario runs on
 * both and must observe the same (exit codes, signals, waitFor with a timeout, exitValue before the
 * end, isAlive, destroy, destroyForcibly, onExit, toHandle).
 */
class ProcessLifeTest {
    private static final long LONG = 60;

    private static ProcessParity.Starter jdk(String... argv) {
        return () -> new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static ProcessParity.Starter ours(String provider, String... argv) {
        return () -> Rsyscall.local(provider).clone().exec(argv[0], List.of(argv));
    }

    private static void same(String provider, String what, ProcessParity.Scenario scenario, String... argv)
            throws Exception {
        ProcessParity.same(what, jdk(argv), ours(provider, argv), scenario);
    }

    @BothProviders
    void exitCodesAndSignalsAreReportedAsTheJdkDoes(String provider) throws Exception {
        for (String script : List.of("exit 0", "exit 3", "exit 255", "kill -TERM $$", "kill -KILL $$", "kill -INT $$")) {
            same(provider, script, (p, seen) -> {
                seen.add(p.waitFor());
                seen.add(p.exitValue());
                seen.add(p.isAlive());
                seen.add(p.waitFor(0, TimeUnit.SECONDS));
            }, "sh", "-c", script);
        }
    }

    @BothProviders
    void waitForWithATimeoutFirstSaysFalseThenTheStatusAfterDestroy(String provider) throws Exception {
        List<Object> seen = ProcessParity.same("sleep, then destroy", jdk("sleep", "1000"), ours(provider, "sleep", "1000"),
                (p, s) -> {
                    s.add(p.waitFor(10, TimeUnit.MILLISECONDS));
                    s.add(p.waitFor(0, TimeUnit.MILLISECONDS));
                    s.add(p.waitFor(-1, TimeUnit.SECONDS));
                    s.add(ProcessParity.exitValue(p));
                    s.add(p.isAlive());
                    p.destroy();
                    s.add(p.waitFor(LONG, TimeUnit.SECONDS));
                    s.add(p.exitValue());
                    s.add(p.isAlive());
                    s.add(p.waitFor());
                });
        assertEquals(List.of(false, false, false, "IllegalThreadStateException", true, true, 128 + 15, false, 128 + 15),
                seen);
    }

    @BothProviders
    void destroyForciblyKillsAndReturnsTheProcess(String provider) throws Exception {
        same(provider, "sleep, then destroyForcibly", (p, seen) -> {
            seen.add(p.destroyForcibly() == p);
            seen.add(p.waitFor());
            seen.add(p.supportsNormalTermination());
            p.destroy(); // a signal to an ended program does nothing
            p.destroyForcibly();
            seen.add(p.exitValue());
        }, "sleep", "1000");
    }

    @BothProviders
    void onExitCompletesWithTheProcessOnceItEnds(String provider) throws Exception {
        same(provider, "onExit", (p, seen) -> {
            CompletableFuture<Process> exit = p.onExit();
            seen.add(exit.isDone());
            seen.add(p.onExit() != exit); // each call makes a new future
            p.destroy();
            Process done = exit.get(LONG, TimeUnit.SECONDS);
            seen.add(done == p);
            seen.add(p.isAlive());
            seen.add(p.exitValue());
            seen.add(p.onExit().get(LONG, TimeUnit.SECONDS) == p); // asked after the end
        }, "sleep", "1000");
    }

    @BothProviders
    void toHandleNamesTheProcess(String provider) throws Exception {
        same(provider, "toHandle", (p, seen) -> {
            ProcessHandle h = p.toHandle();
            seen.add(h.pid() == p.pid());
            seen.add(h.isAlive());
            seen.add(h.parent().map(ProcessHandle::pid).orElse(-1L) == ProcessHandle.current().pid());
            p.destroyForcibly().waitFor();
            Kernel.await("the handle sees the end", Duration.ofSeconds(LONG), () -> !h.isAlive());
            seen.add(p.toHandle() == h || p.toHandle().equals(h));
        }, "sleep", "1000");
    }

    @BothProviders
    void checkStillReportsFailure(String provider) throws Exception {
        ChildProcess p = Rsyscall.local(provider).clone().exec("sh", List.of("sh", "-c", "exit 4"));
        ChildProcessFailedException e = org.junit.jupiter.api.Assertions.assertThrows(ChildProcessFailedException.class,
                p::check);
        assertEquals(4, e.status());
        assertTrue(e.getMessage().contains("exit 4"), e.getMessage());
        Rsyscall.local(provider).clone().exec("true", List.of("true")).check();
        assertFalse(p.isAlive());
        assertSame(p, p.destroyForcibly());
    }
}
