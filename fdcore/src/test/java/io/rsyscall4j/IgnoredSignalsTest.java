package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Signals the JVM's process ignores stay ignored in the programs it starts, as with
 * {@code ProcessBuilder} ({@code execve} keeps {@code SIG_IGN}); what a child task set to be
 * ignored itself is reset. Checked in a fresh JVM started with {@code SIGINT} and {@code SIGHUP}
 * ignored (by {@code trap ''} in the shell that execs it, so the figure does not depend on how
 * this JVM was started), side by side with {@code ProcessBuilder}. Only the standard signals (1 to
 * 31) are compared: glibc's {@code posix_spawn}, which {@code ProcessBuilder} uses, also leaves its
 * own two internal real-time signals (32 and 33) ignored in the program when the JVM handles them.
 */
class IgnoredSignalsTest {
    private static final int SIGHUP = 1;
    private static final int SIGINT = 2;
    private static final int SIGUSR1 = 10;

    /**
     * In the JVM with SIGINT and SIGHUP ignored: prints, for ProcessBuilder then Command, the
     * standard signals the program ignores and what {@code kill -INT $$} does to a shell; then
     * those of a program whose child task ignored SIGUSR1 before the exec.
     */
    static final class Main {
        private static final String GREP = "/bin/grep";
        private static final String[] SIG_IGN = {GREP, "^SigIgn:", "/proc/self/status"};
        private static final String[] KILL_INT = {"/bin/sh", "-c", "kill -INT $$; echo survived SIGINT"};

        public static void main(String[] args) throws Exception {
            Task local = Rsyscall.local(args[0]);
            for (String[] argv : List.of(SIG_IGN, KILL_INT)) {
                Process jdk = new ProcessBuilder(argv).redirectErrorStream(true).start();
                System.out.println("jdk " + outcome(jdk));
                ChildProcess ours = Command.of(List.of(argv)).redirectErrorStream(true).start(local);
                System.out.println("ours " + outcome(ours));
            }
            Pipe out = local.pipe();
            ChildTask child = local.clone();
            ignore(local.sysif(), child, SIGUSR1);
            child.inheritFd(out.write()).dup2(child.stdout());
            out.write().close();
            ChildProcess p = child.exec(GREP, List.of(SIG_IGN));
            System.out.println("child-ignored-usr1 " + standard(out.read().inputStream().readAllBytes())
                    + " status " + p.waitFor());
        }

        private static String outcome(Process p) throws Exception {
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            String text = new String(out, StandardCharsets.UTF_8).strip();
            return (text.startsWith("SigIgn:") ? standard(out) : text) + " status " + p.waitFor();
        }

        /** {@code SigIgn:} line {@code grep} printed, as the mask of the standard signals it names. */
        private static String standard(byte[] sigIgnLine) {
            String hex = new String(sigIgnLine, StandardCharsets.UTF_8).strip().substring("SigIgn:".length()).strip();
            return "ignores " + Long.toHexString(Long.parseUnsignedLong(hex, 16) & 0x7fff_ffffL);
        }

        /** Sets {@code sig} to SIG_IGN in {@code child}, the sigaction in JVM memory it shares. */
        private static void ignore(SyscallInterface local, ChildTask child, int sig) throws Exception {
            long page = local.syscall(Sys.MMAP, 0, 4096, 3, 0x22, -1, 0);
            try {
                byte[] action = new byte[32];
                action[0] = 1; // sa_handler = SIG_IGN; flags, restorer and mask 0
                local.writeMemory(page, action, 0, action.length);
                child.sysif().syscall(Sys.RT_SIGACTION, sig, page, 0, 8);
            } finally {
                local.syscall(Sys.MUNMAP, page, 4096);
            }
        }
    }

    @BothProviders
    void aProgramKeepsWhatTheJvmIgnoresAsWithProcessBuilder(String provider) throws Exception {
        List<String> lines = runWithIntAndHupIgnored(provider);
        String ignored = "ignores " + Long.toHexString((1L << (SIGHUP - 1)) | (1L << (SIGINT - 1)));
        assertEquals(List.of(
                "jdk " + ignored + " status 0", "ours " + ignored + " status 0",
                "jdk survived SIGINT status 0", "ours survived SIGINT status 0",
                "child-ignored-usr1 " + ignored + " status 0"), lines);
    }

    /** Runs {@link Main} in a fresh JVM, exec'd by a shell that ignores SIGINT and SIGHUP; its stdout lines. */
    private static List<String> runWithIntAndHupIgnored(String provider) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", "trap '' INT HUP; exec \"$@\"", "sh",
                java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), provider));
        Process p = new ProcessBuilder(argv).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), "the JVM ended");
        assertEquals(0, p.exitValue(), out + err);
        return out.lines().toList();
    }
}
