package io.rsyscall4j;

import io.rsyscall4j.fd.FileDescriptor;
import java.util.List;

/**
 * What {@link Task#receiveFds} received: the data (empty at end of stream) and the fds that came
 * with it, each an owned, close-on-exec handle of the receiving task (the caller closes them).
 */
public record ReceivedMessage(byte[] data, List<FileDescriptor> fds) {
    public ReceivedMessage {
        fds = List.copyOf(fds);
    }
}
