import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * An unprivileged local user attacking the launcher's cache (run as another uid by PrivateCacheIT):
 * watches DIR in a tight loop for entries named rsyscall4j-*, and for each one seen, over and over,
 * tries to create it (should the launcher's directory vanish) and to create a file in every
 * directory under it it can reach. Prints SAW for each entry seen and TOOK for each success.
 * Commands on stdin: "pause" (stop attacking, forget what was seen; answers PAUSED), "go"
 * (answers GOING), "rounds" (answers with the number of attack rounds since the last go).
 */
public class Racer {
    static final Set<Path> seen = ConcurrentHashMap.newKeySet();
    static volatile boolean attacking;
    static volatile long rounds;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Thread commands = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in))) {
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    switch (line) {
                        case "pause" -> {
                            attacking = false;
                            synchronized (Racer.class) {
                                seen.clear();
                            }
                            say("PAUSED");
                        }
                        case "go" -> {
                            rounds = 0;
                            attacking = true;
                            say("GOING");
                        }
                        case "rounds" -> say("ROUNDS " + rounds);
                        default -> say("UNKNOWN " + line);
                    }
                }
            } catch (IOException e) {
                // the test is gone
            }
            System.exit(0);
        });
        commands.setDaemon(true);
        commands.start();
        say("READY uid " + new com.sun.security.auth.module.UnixSystem().getUid());
        while (true) {
            if (!attacking) {
                Thread.onSpinWait();
                continue;
            }
            synchronized (Racer.class) {
                if (!attacking) {
                    continue;
                }
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "rsyscall4j-*")) {
                    for (Path p : entries) {
                        if (seen.add(p)) {
                            say("SAW " + p);
                        }
                    }
                } catch (IOException e) {
                    // keep trying
                }
                for (Path p : seen) {
                    attack(p);
                }
                rounds++;
            }
        }
    }

    static void attack(Path p) {
        try {
            Files.createDirectory(p);
            say("TOOK created " + p);
        } catch (IOException | SecurityException e) {
            // refused: good
        }
        write(p);
        write(p.resolve("felix"));
        write(p.resolve("jna"));
        try (Stream<Path> all = Files.walk(p)) {
            all.filter(Files::isDirectory).forEach(Racer::write);
        } catch (IOException | RuntimeException e) {
            // cannot look inside: good
        }
    }

    static void write(Path dir) {
        try {
            Path f = Files.createFile(dir.resolve("racer-" + System.nanoTime()));
            say("TOOK wrote " + f);
        } catch (IOException | RuntimeException e) {
            // refused: good
        }
    }

    static synchronized void say(String s) {
        System.out.println(s);
        System.out.flush();
    }
}
