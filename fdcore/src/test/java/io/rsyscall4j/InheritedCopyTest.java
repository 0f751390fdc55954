package io.rsyscall4j;

import static io.rsyscall4j.fd.OpenFlags.O_RDONLY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.FDTableMismatchException;
import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child's table holds one copy of each fd its parent had at the clone. Once the child closes
 * that copy (or dups another file over it), the parent's handle can no longer be inherited: the
 * number is closed in the child, or already the kernel's answer to a later open. (Found by the
 * stateful fuzz: inheriting again handed out a handle to whatever the number held by then.)
 */
class InheritedCopyTest {
    @TempDir
    Path dir;

    private String file(String name) throws IOException {
        return Files.writeString(dir.resolve(name), name).toRealPath().toString();
    }

    @BothProviders
    void aCopyTheChildClosedCannotBeInheritedAgain(String provider) throws IOException {
        Task local = Rsyscall.local(provider);
        FileDescriptor parents = local.open(file("a"), O_RDONLY);
        ChildTask child = local.clone();
        try {
            FileDescriptor first = child.inheritFd(parents);
            FileDescriptor second = child.inheritFd(parents); // while the copy is open: fine, a second handle
            second.invalidate();
            assertTrue(first.invalidate(), "the last handle closes the child's copy");
            // The lowest free number comes first: open until the kernel hands out the closed one again.
            List<FileDescriptor> lower = new ArrayList<>();
            FileDescriptor reused = child.open(file("b"), O_RDONLY);
            while (reused.number() < parents.number()) {
                lower.add(reused);
                reused = child.open(file("b"), O_RDONLY);
            }
            assertEquals(parents.number(), reused.number(), "the kernel hands the closed number out again");
            FDTableMismatchException e = assertThrows(FDTableMismatchException.class, () -> child.inheritFd(parents));
            assertTrue(e.getMessage().contains("fd " + parents.number()), e.getMessage());
            assertEquals(file("b"), ChildTestSupport.link(child.pid(), reused.number()), "the new fd is untouched");
            reused.close();
            for (FileDescriptor fd : lower) {
                fd.close();
            }
        } finally {
            child.exit(0);
            parents.close();
        }
    }

    @BothProviders
    void aCopyTheChildDuppedOverCannotBeInherited(String provider) throws IOException {
        Task local = Rsyscall.local(provider);
        FileDescriptor parents = local.open(file("a"), O_RDONLY);
        FileDescriptor other = local.open(file("c"), O_RDONLY);
        ChildTask child = local.clone();
        try {
            FileDescriptor target = child.inheritFd(parents);
            FileDescriptor duped = child.inheritFd(other).dup2(target);
            assertEquals(file("c"), ChildTestSupport.link(child.pid(), duped.number()));
            assertThrows(FDTableMismatchException.class, () -> child.inheritFd(parents),
                    "the copy of " + parents + " was replaced by the dup");
        } finally {
            child.exit(0);
            parents.close();
            other.close();
        }
    }
}
