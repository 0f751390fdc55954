package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.rsyscall4j.fd.FileDescriptor;
import io.rsyscall4j.fd.OpenFlags;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The API tour of README.md, line for line, so the README cannot drift from what works. */
class ReadmeTourTest {

    @Test
    void theTourRunsAsWritten() throws Exception {
        // --- README tour begins
        Task local = Rsyscall.local();                       // the JVM itself (ffm on JDK 22+, else jna)
        FileDescriptor hosts = local.open("/etc/hosts", OpenFlags.O_RDONLY);  // always O_CLOEXEC
        byte[] head = hosts.read(64);
        hosts.close();                                       // closes fd N exactly once

        Pipe in = local.pipe();
        Pipe out = local.pipe();
        ChildTask child = local.clone();                     // a real process serving our syscalls
        child.inheritFd(in.read()).dup2(child.stdin());      // its copy of the pipe, onto its fd 0
        child.inheritFd(out.write()).dup2(child.stdout());   // and onto its fd 1
        ChildProcess cat = child.exec("/bin/cat", List.of("cat"));  // cat gets fds 0, 1, 2: no more
        in.read().close();
        out.write().close();
        in.write().writeAll("hello".getBytes(StandardCharsets.UTF_8));
        in.write().close();                                  // cat sees EOF and exits
        byte[] echoed = out.read().read(5);                  // "hello"
        cat.check();                                         // throws unless it exited 0
        // --- README tour ends
        assertEquals("hello", new String(echoed, StandardCharsets.UTF_8));
        assertEquals(new String(head, StandardCharsets.UTF_8),
                java.nio.file.Files.readString(java.nio.file.Path.of("/etc/hosts")).substring(0, head.length));
        out.read().close();
    }
}
