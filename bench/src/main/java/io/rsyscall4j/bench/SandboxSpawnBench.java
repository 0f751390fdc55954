package io.rsyscall4j.bench;

import io.rsyscall4j.ChildProcess;
import io.rsyscall4j.ChildTask;
import io.rsyscall4j.CloneFlag;
import io.rsyscall4j.Rsyscall;
import io.rsyscall4j.Task;
import io.rsyscall4j.api.Sys;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Row {@code sandbox-spawn}: {@code /bin/true} started in new user, mount, network, pid and UTS
 * namespaces, in a new root that is the old one bound read-only with a tmpfs on {@code /tmp},
 * then waited for; what {@code bwrap --unshare-user --unshare-net --unshare-pid --unshare-uts
 * --ro-bind / / --tmpfs /tmp /bin/true} does (the C baseline spawns that).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SandboxSpawnBench {
    @Param({"ffm", "jna"})
    public String provider;

    private Task local;
    private long uid;
    private long gid;

    @Setup
    public void setUp() throws IOException, InterruptedException {
        local = Rsyscall.local(provider);
        uid = local.sysif().syscall(Sys.GETEUID);
        gid = local.sysif().syscall(Sys.GETEGID);
        // The sandbox is real: pid 1, only lo, / read-only, /tmp writable.
        String check = "test $$ -eq 1 && test $(wc -l < /proc/net/dev) -eq 3 && ! touch /x-sandbox-spawn 2>/dev/null"
                + " && touch /tmp/x";
        if (spawn("/bin/sh", List.of("sh", "-c", check)) != 0) {
            throw new IllegalStateException("the sandbox is not what bwrap makes: " + check + " failed");
        }
    }

    @Benchmark
    public int sandboxed() throws IOException, InterruptedException {
        int status = spawn("/bin/true", List.of("true"));
        if (status != 0) {
            throw new IllegalStateException("/bin/true exited " + status);
        }
        return status;
    }

    private int spawn(String path, List<String> argv) throws IOException, InterruptedException {
        ChildTask child = local.clone(CloneFlag.NEWUSER, CloneFlag.NEWNS, CloneFlag.NEWNET, CloneFlag.NEWPID,
                CloneFlag.NEWUTS);
        child.mapUser(uid, gid);
        // bubblewrap's way: a tmpfs as interim root, the new root bound beside the old, entered.
        child.mountTmpfs("/tmp", "mode=0755");
        child.mkdir("/tmp/newroot", 0755);
        child.mkdir("/tmp/oldroot", 0755);
        child.pivotRoot("/tmp", "/tmp/oldroot");
        child.bindMountReadOnly("/oldroot", "/newroot");
        child.mountTmpfs("/newroot/tmp", "mode=0755");
        child.pivotRoot("/newroot");
        ChildProcess p = child.exec(path, argv);
        return p.waitFor();
    }
}
