package io.rsyscall4j;

import io.rsyscall4j.api.Linux;
import io.rsyscall4j.api.Sys;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Shared by the namespace tests: running a program in a child task and reading what it printed. */
final class Sandboxes {
    /** The namespace kinds of /proc/PID/ns and the flag that makes each. */
    static final Map<String, CloneFlag> KINDS = Map.of("user", CloneFlag.NEWUSER, "mnt", CloneFlag.NEWNS,
            "net", CloneFlag.NEWNET, "pid", CloneFlag.NEWPID, "uts", CloneFlag.NEWUTS, "ipc", CloneFlag.NEWIPC,
            "cgroup", CloneFlag.NEWCGROUP);
    /** An environment with a PATH, for programs in a new root too. */
    static final Map<String, String> ENV = Map.of("PATH", "/usr/local/bin:/usr/bin:/bin");

    private Sandboxes() {}

    /** What a program printed on stdout, and how it ended. */
    record Output(int status, String out) {}

    /**
     * A pipe for one program's stdout, made before the child that runs the program is cloned (a
     * child inherits only the fds its parent's table had then).
     */
    static Capture capture(Task local) throws IOException {
        return new Capture(local.pipe());
    }

    /** One program's stdout, read by the JVM. */
    record Capture(Pipe pipe) {
        /** Execs {@code argv} in {@code child} (its stdout this pipe) and waits for it. */
        Output run(ChildTask child, String... argv) throws IOException {
            FileDescriptor w = child.inheritFd(pipe.write());
            w.dup2(child.stdout());
            ChildProcess p;
            try {
                p = child.exec(argv[0], List.of(argv), ENV);
            } finally {
                pipe.write().close();
            }
            int status;
            try {
                status = p.waitFor();
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException("waiting for " + argv[0]);
            }
            String out = readAvailable(pipe.read());
            pipe.read().close();
            return new Output(status, out);
        }

        /** {@link #run} that must exit 0; returns the output. */
        String output(ChildTask child, String... argv) throws IOException {
            Output o = run(child, argv);
            if (o.status() != 0) {
                throw new AssertionError(String.join(" ", argv) + " exited " + o.status() + ", printed: " + o.out());
            }
            return o.out();
        }
    }

    /**
     * What the pipe holds now ({@code FIONREAD}), read without waiting for EOF: other child tasks
     * cloned after the pipe hold copies of its write end.
     */
    static String readAvailable(FileDescriptor fd) throws IOException {
        SyscallInterface sysif = fd.task().sysif();
        long page = ChildTestSupport.page(sysif);
        try {
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            while (true) {
                sysif.syscall(Sys.IOCTL, fd.number(), Linux.FIONREAD, page);
                int n = ChildTestSupport.getInt(sysif, page);
                if (n == 0) {
                    return got.toString(StandardCharsets.UTF_8);
                }
                got.write(fd.read(n));
            }
        } finally {
            ChildTestSupport.unmap(sysif, page);
        }
    }

    /** /proc/PID/ns/KIND's target, e.g. "net:[4026531840]". */
    static String ns(long pid, String kind) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/" + kind)).toString();
    }

    /** The JVM's mount table as it reads it now. */
    static String jvmMountinfo() throws IOException {
        return Files.readString(Path.of("/proc/self/mountinfo"));
    }

    /**
     * A child task of {@code local} running as uid and gid 65534 (nobody), without supplementary
     * groups: an unprivileged caller for the namespace work, made from the root the tests run as.
     */
    static ChildTask unprivileged(Task local) throws IOException {
        ChildTask u = local.clone();
        u.setgroups();
        u.setresgid(65534, 65534, 65534);
        u.setresuid(65534, 65534, 65534);
        return u;
    }
}
