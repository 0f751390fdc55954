package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.rsyscall4j.fd.FileDescriptor;
import java.io.IOException;
import java.lang.ref.Reference;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * docs/handoff.md's recipe: the JVM hands its listening TCP socket to a newly started program
 * while a client keeps connecting, and no connection is refused or reset — the socket never
 * stops listening, since the new program holds it before the JVM lets go.
 */
class HandOffTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    /** The new program: a Python server taking the socket by fd passing ("fd") or as fd 3 ("exec"). */
    private static final String SERVER = String.join("\n",
            "import os, socket, sys",
            "if sys.argv[1] == 'fd':",
            "    s = socket.socket(fileno=3)",
            "    msg, fds, flags, addr = socket.recv_fds(s, 16, 1)",
            "    listener = socket.socket(fileno=fds[0])",
            "else:",
            "    assert os.environ['LISTEN_FDS'] == '1' and int(os.environ['LISTEN_PID']) == os.getpid()",
            "    listener = socket.socket(fileno=3)",
            "print('ready', flush=True)",
            "os.close(1)",
            "while True:",
            "    c, _ = listener.accept()",
            "    c.recv(64)",
            "    c.sendall(b'py\\n')",
            "    c.close()",
            "");

    /** Connects again and again, counting answers by server and every failure. */
    static final class Client implements Runnable {
        final InetSocketAddress to;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger jvm = new AtomicInteger();
        final AtomicInteger py = new AtomicInteger();
        final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        final Thread thread = new Thread(this, "handoff-client");

        Client(InetSocketAddress to) {
            this.to = to;
        }

        @Override
        public void run() {
            while (!stop.get()) {
                try (Socket s = new Socket()) {
                    s.connect(to, 30_000);
                    s.setSoTimeout(30_000);
                    s.getOutputStream().write("hi\n".getBytes(StandardCharsets.US_ASCII));
                    InputStream in = s.getInputStream();
                    String answer = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
                    switch (answer) {
                        case "jvm\n" -> jvm.incrementAndGet();
                        case "py\n" -> py.incrementAndGet();
                        default -> failures.add("answer \"" + answer + "\"");
                    }
                } catch (IOException e) {
                    failures.add(e.toString());
                }
            }
        }
    }

    /** The JVM's server: serves each connection it accepts until told to stop after an accept. */
    static Thread jvmServer(Task jvm, FileDescriptor listener, AtomicBoolean handedOff, ConcurrentLinkedQueue<String> failures) {
        Thread t = new Thread(() -> {
            try {
                while (!handedOff.get()) {
                    FileDescriptor conn = jvm.accept(listener);
                    conn.read(64);
                    conn.writeAll("jvm\n".getBytes(StandardCharsets.US_ASCII));
                    conn.close();
                }
            } catch (IOException e) {
                failures.add("JVM server: " + e);
            }
        }, "handoff-jvm-server");
        t.start();
        return t;
    }

    @BothProviders
    void byFdPassing(String provider) throws Exception {
        handOff(provider, true);
    }

    @BothProviders
    void byExecWithTheSocketAtFd3(String provider) throws Exception {
        handOff(provider, false);
    }

    private void handOff(String provider, boolean byFdPassing) throws Exception {
        Task jvm = Rsyscall.local(provider);
        FileDescriptor listener = jvm.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), SocketType.STREAM, 128);
        Client client = new Client((InetSocketAddress) Sockets.localAddress(listener));
        AtomicBoolean handedOff = new AtomicBoolean();
        Thread server = jvmServer(jvm, listener, handedOff, client.failures);
        client.thread.start();
        ChildProcess python = null;
        try {
            Kernel.await("the JVM to serve 20 connections", LIMIT, () -> client.jvm.get() >= 20 || !client.failures.isEmpty());

            // Whatever the new program gets is made before the clone, so the child can inherit it.
            SocketPair pair = byFdPassing ? jvm.socketpair(SocketType.STREAM) : null;
            Pipe ready = jvm.pipe();
            ChildTask child = jvm.clone();
            FileDescriptor out = child.inheritFd(ready.write());
            out.dup2(child.stdout());
            out.invalidate();
            FileDescriptor theirs = child.inheritFd(byFdPassing ? pair.second() : listener);
            FileDescriptor three = theirs.dup2(child.makeFdHandle(3)); // held until the exec
            theirs.invalidate();
            Map<String, String> env = new HashMap<>(System.getenv());
            if (!byFdPassing) {
                env.put("LISTEN_FDS", "1");
                env.put("LISTEN_PID", Integer.toString(child.pid())); // exec keeps the pid
            }
            python = child.exec("python3", List.of("python3", "-c", SERVER, byFdPassing ? "fd" : "exec"), env);
            Reference.reachabilityFence(three);
            // Its stdout is the pipe's only write end now: reading up to end of file reads "ready\n"
            // only if the program closes it, so it prints "ready" and then closes its stdout.
            ready.write().close();
            if (byFdPassing) {
                pair.second().close();
                Sockets.sendFds(pair.first(), "L".getBytes(StandardCharsets.US_ASCII), List.of(listener));
            }
            // Its "ready": it holds the socket and is about to accept (the JVM serves meanwhile).
            assertEquals("ready\n", PythonFdPassingTest.readAll(ready.read()));
            ready.read().close();
            if (byFdPassing) {
                pair.first().close();
            }
            // The program holds the listening socket: the JVM stops accepting and lets go of its copy.
            handedOff.set(true);
            Kernel.await("the JVM's server to end after its last accept", LIMIT, () -> !server.isAlive());
            listener.close();
            int before = client.py.get();
            Kernel.await("the program to serve 20 connections", LIMIT, () -> client.py.get() >= before + 20 || !client.failures.isEmpty());
        } finally {
            client.stop.set(true);
            client.thread.join(LIMIT.toMillis());
            if (server.isAlive()) { // a failure above: wake the JVM's server from its accept
                handedOff.set(true);
                new Socket(client.to.getAddress(), client.to.getPort()).close();
                server.join(LIMIT.toMillis());
                listener.close();
            }
            if (python != null) {
                python.kill(15);
                python.waitFor();
            }
        }
        assertEquals(List.of(), List.copyOf(client.failures), "no refused or reset connection");
        assertTrue(client.jvm.get() >= 20 && client.py.get() >= 20, "both served: jvm " + client.jvm + ", program " + client.py);
    }
}
