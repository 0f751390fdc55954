package io.rsyscall4j;

import java.io.IOException;

/**
 * A remote task could not be started ({@link Ssh#connect}): ssh itself failed (an unknown or
 * unreachable host, a refused key, a host key that does not match), the server could not run on
 * the remote host, or the remote host cannot serve (its kernel is older than 5.11). The message
 * says which, with what ssh printed; nothing was left running on either side.
 */
public class RemoteConnectException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String sshMessage;

    /**
     * @param message what failed
     * @param sshMessage what ssh printed on stderr, or the empty string
     */
    RemoteConnectException(String message, String sshMessage) {
        super(sshMessage.isEmpty() ? message : message + ": " + sshMessage);
        this.sshMessage = sshMessage;
    }

    /** What the ssh client printed on stderr (its own error, or the remote shell's), or the empty string. */
    public String sshMessage() {
        return sshMessage;
    }
}
