package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.FileDescriptor;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A task's stdio handles follow a {@code dup2} onto them: the handle {@code dup2} returns for fd 0,
 * 1 or 2 becomes the task's {@code stdin()}, {@code stdout()} or {@code stderr()}, so the task
 * keeps owning its stdio when the caller drops the result, as the README's tour does.
 */
class StdioHandleTest {

    @BothProviders
    void aDup2OntoStdoutStaysOwnedByTheTaskWhenTheResultIsDropped(String provider) throws Exception {
        Task local = Rsyscall.local(provider);
        Pipe out = local.pipe();
        ChildTask child = local.clone();
        FileDescriptor before = child.stdout();
        child.inheritFd(out.write()).dup2(child.stdout()); // the result is dropped on purpose
        assertTrue(!before.isValid() && child.stdout().isValid() && child.stdout().number() == 1,
                "stdout() is the handle dup2 made: " + child.stdout());
        // Whatever the GC finds now, nothing may close the child's fd 1 before the exec.
        System.gc();
        child.runFdTableGc();
        ChildProcess echo = child.exec("/bin/echo", List.of("echo", "kept"));
        out.write().close();
        assertEquals("kept\n", new String(out.read().read(64), StandardCharsets.UTF_8));
        assertEquals(0, echo.waitFor());
        out.read().close();
    }
}
