package io.rsyscall4j.fd;

/**
 * A handle was used with a task in a different fd table.
 *
 * <p>An fd number means something only inside one fd table (it is a "near" value), so a handle can
 * only be used, copied ({@link FileDescriptor#forTask}) or borrowed by tasks in its own table, and
 * inherited ({@link FileDescriptorTask#inheritFd}) only by a table that was copied from its table
 * while the handle lived. This is rsyscall's {@code FDTableMismatchError}.
 */
public class FDTableMismatchException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public FDTableMismatchException(String message) {
        super(message);
    }
}
