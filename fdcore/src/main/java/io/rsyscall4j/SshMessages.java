package io.rsyscall4j;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * What the ssh client of a remote task prints on stderr, read to its end by a daemon thread so
 * ssh never blocks on a full pipe; the last {@value #KEEP} bytes are kept for error messages and
 * each line is logged at DEBUG.
 */
final class SshMessages {
    static final int KEEP = 4096;
    private static final System.Logger LOG = System.getLogger("io.rsyscall4j.remote");

    private final StringBuilder text = new StringBuilder();
    private final Thread reader;

    SshMessages(InputStream stderr, String host) {
        reader = new Thread(() -> read(stderr, host), "rsyscall4j-ssh-stderr(" + host + ")");
        reader.setDaemon(true);
        reader.start();
    }

    private void read(InputStream stderr, String host) {
        byte[] buf = new byte[1024];
        try (stderr) {
            for (int n; (n = stderr.read(buf)) > 0; ) {
                String s = new String(buf, 0, n, StandardCharsets.UTF_8);
                LOG.log(System.Logger.Level.DEBUG, "ssh {0}: {1}", host, s.strip());
                synchronized (text) {
                    text.append(s);
                    if (text.length() > KEEP) {
                        text.delete(0, text.length() - KEEP);
                    }
                }
            }
        } catch (IOException e) {
            // ssh's stderr is gone: nothing more to say
        }
    }

    /** What ssh said so far, trimmed, lines joined by "; ". */
    String text() {
        synchronized (text) {
            return text.toString().strip().replaceAll("\\s*\\R\\s*", "; ");
        }
    }

    /** Waits until ssh's stderr is at its end (ssh and whatever it passed the pipe to have ended). */
    String awaitEnd(long millis) throws InterruptedException {
        reader.join(millis);
        return text();
    }
}
