package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.api.Linux;
import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.InvalidHandleException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * try-with-resources on {@link FileDescriptor}, {@link ChildTask}, {@link Pipe} and
 * {@link SocketPair}: what the end of the block closes, ends or leaves alone, checked in /proc.
 */
class AutoCloseTest {
    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private String file(String name) throws IOException {
        return Files.writeString(dir.resolve(name), name).toRealPath().toString();
    }

    @BothProviders
    void theEndOfTheBlockClosesAHandleItOwnsAlone(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        String f = file("alone");
        FileDescriptor seen;
        try (FileDescriptor fd = task.open(f, O_RDONLY)) {
            assertEquals(f, Kernel.target(fd.number()));
            seen = fd;
        }
        assertFalse(seen.isValid());
        assertNotEquals(f, Kernel.target(seen.number()));
    }

    @BothProviders
    void aHandleWithOtherHandlesIsRefusedAndStaysOpen(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        String f = file("shared");
        FileDescriptor fd = task.open(f, O_RDONLY);
        FileDescriptor[] other = new FileDescriptor[1];
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
            try (FileDescriptor in = fd) {
                other[0] = in.forTask(task);
            }
        });
        assertTrue(e.getMessage().contains("other handles"), e.getMessage());
        assertTrue(fd.isValid() && other[0].isValid());
        assertEquals(f, Kernel.target(fd.number()), "the seed's close closes nothing when it refuses");
        assertFalse(fd.invalidate());
        assertTrue(other[0].isOnlyHandle());
        other[0].close();
        assertNotEquals(f, Kernel.target(fd.number()));
    }

    @BothProviders
    void aHandleMovedInTheBlockIsInvalidAtItsEndAndTheMovedOneStaysOpen(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        String f = file("moved");
        FileDescriptor[] moved = new FileDescriptor[1];
        assertThrows(InvalidHandleException.class, () -> {
            try (FileDescriptor fd = task.open(f, O_RDONLY)) {
                moved[0] = fd.move(task);
            }
        });
        assertEquals(f, Kernel.target(moved[0].number()));
        assertEquals("moved", new String(moved[0].read(10)));
        moved[0].close();
    }

    @BothProviders
    void closingAChildThatHasNotExecdEndsItAndClosesWhatOnlyItOwned(String provider) throws IOException {
        Task local = Rsyscall.local(provider);
        String f = file("child");
        ChildTask seen;
        FileDescriptor inChild;
        try (ChildTask child = local.clone(CloneFlag.FILES)) {
            inChild = child.open(f, O_RDONLY);
            assertEquals(f, Kernel.target(inChild.number()), "a FILES child opens into the JVM's table");
            seen = child;
        }
        assertEquals(ChildTask.State.EXITED, seen.state());
        assertTrue(Kernel.processEnded(seen.pid()), "exited and reaped");
        assertNotEquals(f, Kernel.target(inChild.number()));
        assertThrows(IllegalStateException.class, () -> seen.open(f, O_RDONLY));
        seen.close(); // again: nothing to do
        assertEquals(ChildTask.State.EXITED, seen.state());
    }

    @BothProviders
    void closingAChildAfterExecLeavesItsProgramRunning(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        ChildProcess sleep;
        try (ChildTask child = local.clone()) {
            sleep = child.exec("sleep", List.of("sleep", "1000"));
        }
        assertFalse(Kernel.processEnded(sleep.pid()), "the exec'd program outlives the block");
        sleep.kill(Linux.SIGKILL);
        assertEquals(128 + Linux.SIGKILL, sleep.waitFor());
    }

    @BothProviders
    void closingAChildThatExitedOrDiedDoesNothing(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        ChildTask exited = local.clone();
        exited.exit(3);
        exited.close();
        assertEquals(ChildTask.State.EXITED, exited.state());

        ChildTask killed = local.clone();
        killed.process().kill(Linux.SIGKILL);
        Kernel.await("the killed child ended", DEADLINE, () -> Kernel.processEnded(killed.pid()));
        killed.close(); // no call has seen the death yet: close finds the child gone, quietly
        assertNotEquals(ChildTask.State.ALIVE, killed.state());
        killed.close();
    }

    @BothProviders
    void closingAPipeClosesBothEnds(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        Pipe seen;
        String r;
        String w;
        try (Pipe pipe = task.pipe()) {
            r = Kernel.target(pipe.read().number());
            w = Kernel.target(pipe.write().number());
            assertTrue(r.startsWith("pipe:") && r.equals(w), r + " " + w);
            seen = pipe;
        }
        assertFalse(seen.read().isValid() || seen.write().isValid());
        assertNotEquals(r, Kernel.target(seen.read().number()));
        assertNotEquals(w, Kernel.target(seen.write().number()));
    }

    @BothProviders
    void closingAPipeLeavesTheEndsItHandedOn(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        FileDescriptor writer;
        FileDescriptor readerCopy;
        String pipeName;
        try (Pipe pipe = task.pipe()) {
            pipeName = Kernel.target(pipe.read().number());
            writer = pipe.write().move(task);
            readerCopy = pipe.read().forTask(task);
        }
        assertEquals(pipeName, Kernel.target(writer.number()));
        assertEquals(pipeName, Kernel.target(readerCopy.number()));
        writer.writeAll(new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, readerCopy.read(3));
        writer.close();
        readerCopy.close();
    }

    @BothProviders
    void closingASocketPairClosesBothEnds(String provider) throws IOException {
        Task task = Rsyscall.local(provider);
        SocketPair seen;
        String a;
        try (SocketPair pair = task.socketpair(SocketType.STREAM)) {
            a = Kernel.target(pair.first().number());
            assertTrue(a.startsWith("socket:"), a);
            seen = pair;
        }
        assertFalse(seen.first().isValid() || seen.second().isValid());
        assertNotEquals(a, Kernel.target(seen.first().number()));
    }
}
