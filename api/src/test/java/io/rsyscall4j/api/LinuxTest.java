package io.rsyscall4j.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Every constant in {@link Linux} has the value this machine's C headers give its name: the C
 * compiler checks one {@code _Static_assert} per constant against glibc's headers.
 */
final class LinuxTest {

    /** Names whose C counterpart is an expression rather than the name itself. */
    private static final Map<String, String> C_EXPRESSION = Map.of(
            "SIGRTMAX", "(_NSIG - 1)", // glibc's SIGRTMAX is a function call; its _NSIG is 65
            "CLOSE_RANGE_ALL", "(~0U)",
            "LINUX_CAPABILITY_VERSION_3", "_LINUX_CAPABILITY_VERSION_3",
            "POLLFD_SIZE", "sizeof(struct pollfd)",
            "EPOLL_EVENT_SIZE", "sizeof(struct epoll_event)",
            "STAT_SIZE", "sizeof(struct stat)",
            "STAT_MODE_OFFSET", "offsetof(struct stat, st_mode)");
    /** Checked against the kernel's headers: glibc says 0 (off_t is 64 bits anyway), the kernel takes this bit. */
    private static final String KERNEL_ONLY = "O_LARGEFILE";
    /** Checked at run time instead: no header holds it as a constant. */
    private static final String PAGE_SIZE = "PAGE_SIZE";
    /** Kernel-internal ({@code net/scm.h}): fdcore's {@code FdPassingTest} passes 253 fds in one message through the kernel. */
    private static final String SCM_MAX_FD = "SCM_MAX_FD";

    @Test
    void everyConstantMatchesTheCHeaders() throws Exception {
        Map<String, Long> constants = constants();
        StringBuilder c = new StringBuilder("""
                #define _GNU_SOURCE
                #include <fcntl.h>
                #include <stddef.h>
                #include <sys/epoll.h>
                #include <sys/stat.h>
                #include <linux/futex.h>
                #include <unistd.h>
                #include <poll.h>
                #include <sched.h>
                #include <linux/sched.h>
                #include <signal.h>
                #include <sys/ioctl.h>
                #include <sys/mman.h>
                #include <sys/prctl.h>
                #include <sys/socket.h>
                #include <sys/wait.h>
                #include <netinet/in.h>
                #include <netinet/tcp.h>
                #include <sys/mount.h>
                #include <sys/resource.h>
                #include <net/if.h>
                #include <linux/capability.h>
                """);
        StringBuilder kernel = new StringBuilder("#include <linux/fcntl.h>\n");
        constants.forEach((name, value) -> {
            if (!name.equals(PAGE_SIZE) && !name.equals(SCM_MAX_FD)) {
                (name.equals(KERNEL_ONLY) ? kernel : c).append("_Static_assert((long long) ")
                        .append(C_EXPRESSION.getOrDefault(name, "(" + name + ")")).append(" == ").append(value)
                        .append("LL, \"").append(name).append(" is not ").append(value).append("\");\n");
            }
        });
        for (StringBuilder source : List.of(c, kernel)) {
            Result cc = run(source.toString(), "cc", "-fsyntax-only", "-x", "c", "-");
            assertEquals("", cc.output(), "the C compiler disagrees with io.rsyscall4j.api.Linux");
            assertEquals(0, cc.status());
        }
        assertTrue(constants.size() > 100, "found " + constants.size() + " constants");
    }

    @Test
    void pageSizeIsThisMachines() throws Exception {
        Result getconf = run("", "getconf", "PAGESIZE");
        assertEquals(0, getconf.status(), getconf.output());
        assertEquals(Long.parseLong(getconf.output().strip()), Linux.PAGE_SIZE);
    }

    private static Map<String, Long> constants() throws IllegalAccessException {
        Map<String, Long> constants = new HashMap<>();
        for (Field f : Linux.class.getDeclaredFields()) {
            if (Modifier.isPublic(f.getModifiers())) {
                constants.put(f.getName(), ((Number) f.get(null)).longValue());
            }
        }
        return constants;
    }

    private record Result(int status, String output) {}

    /** Runs {@code command} with {@code stdin}; its output is stdout and stderr together. */
    private static Result run(String stdin, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not end");
        return new Result(p.exitValue(), output);
    }
}
