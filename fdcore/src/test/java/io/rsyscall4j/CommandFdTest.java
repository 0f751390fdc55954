package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;

/**
 * What only {@link Command} does: fds at exact numbers (0 to 2 included, and sources that sit on
 * each other's numbers), umask, a new session and resource limits, checked from outside in
 * {@code /proc/<pid>}.
 */
class CommandFdTest {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private FileDescriptor file(Task local, String name) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, name);
        return local.open(p.toString(), OpenFlags.O_RDONLY);
    }

    @BothProviders
    void fdsAtExactNumbersAndNothingElse(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        FileDescriptor a = file(local, "a");
        FileDescriptor b = file(local, "b");
        FileDescriptor c = file(local, "c");
        // a goes where b is in the JVM and b where a is: each source sits on another's number.
        ChildProcess p = Command.of("sleep", "1000").fd(b.number(), a).fd(a.number(), b).fd(0, c).fd(30, c)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.INHERIT).start(local);
        try {
            Map<Integer, String> expected = new TreeMap<>(Map.of(0, dir.resolve("c").toString(), 1, "/dev/null",
                    2, Kernel.target(2), b.number(), dir.resolve("a").toString(), a.number(), dir.resolve("b").toString(),
                    30, dir.resolve("c").toString()));
            Kernel.await("the program's fds are exactly those asked for", DEADLINE,
                    () -> ChildTestSupport.fds(p.pid()).equals(expected));
        } finally {
            p.destroyForcibly().waitFor();
        }
        assertEquals(dir.resolve("a").toString(), Kernel.target(a.number()), "the JVM's handles stay as they were");
        a.close();
        b.close();
        c.close();
    }

    @BothProviders
    void umaskSessionAndLimitsAreTheProgramsOwn(String provider) throws Exception {
        ChildProcess p = Command.of("sleep", "1000").umask(027).newSession().rlimit(Rlimit.NOFILE, 77, 99)
                .start(Rsyscall.local(provider));
        try {
            assertEquals("0027", ChildTestSupport.status(p.pid(), "Umask"));
            String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            assertEquals(Long.toString(p.pid()), f[3], "session id (field 6) is its own pid");
            assertNotEquals(Long.toString(ProcessHandle.current().pid()), f[3]);
            String limits = Files.readAllLines(Path.of("/proc/" + p.pid() + "/limits")).stream()
                    .filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow();
            assertEquals("Max open files 77 99 files", limits.replaceAll(" +", " ").trim());
        } finally {
            p.destroyForcibly().waitFor();
        }
    }
}
