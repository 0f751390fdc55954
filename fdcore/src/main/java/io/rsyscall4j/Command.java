package io.rsyscall4j;

import io.rsyscall4j.fd.FileDescriptor;
import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A program to run, shaped like {@link ProcessBuilder} (the same method names where the JDK has
 * one), started in a fresh child task: {@code Command.of("ls", "-l").directory(dir).start()}.
 *
 * <p>Beyond the JDK: {@link #fd} gives the program an fd at an exact number (0 to 2 included),
 * {@link #umask}, {@link #newSession} and {@link #rlimit} set up the process before the exec, and
 * {@link #output()} runs the program and collects its status, stdout and stderr in one call, as
 * Rust's {@code Command::output} does.
 *
 * <p>And a sandbox, as bubblewrap makes one: {@link #unshare} starts the program in new
 * namespaces, {@link #hostname}, {@link #user}, {@link #noNewPrivs} and
 * {@link #dropCapabilities} set it up, and {@link #beforeExec} runs any further step (mounts, say)
 * on the child task before the program replaces it. The steps run in this order: the clone in the
 * namespaces, the user namespace's id maps, the hostname, umask, session and limits, the
 * {@code beforeExec} steps, the switch of ids, the working directory, no-new-privs, then the
 * capabilities are dropped.
 *
 * <p>By default, as with {@code ProcessBuilder}, the program's stdin, stdout and stderr are pipes
 * to the JVM ({@link ChildProcess#getOutputStream}, {@link ChildProcess#getInputStream},
 * {@link ChildProcess#getErrorStream}), its environment is the JVM's and its working directory the
 * JVM's. It gets exactly fds 0, 1, 2 and those given with {@link #fd}: no fd of the JVM leaks
 * into it. Its signals are as a {@code ProcessBuilder} program's: none blocked, each at its
 * default disposition but those the JVM's process ignores (a JVM under {@code nohup} ignores
 * {@code SIGHUP}), which stay ignored. Bad input (an unknown program, a missing directory, a NUL
 * in an argument or an environment entry) raises one exception naming it, starts nothing and
 * leaves no fd open.
 *
 * <p>Not thread-safe: a builder, like {@code ProcessBuilder}; each {@code start()} is independent.
 */
public final class Command {
    private List<String> command;
    private Map<String, String> environment;
    private Path directory;
    private final Redirect[] redirects = {Redirect.PIPE, Redirect.PIPE, Redirect.PIPE};
    private boolean redirectErrorStream;
    /** Read by {@link Launch}: the fds given with {@link #fd}, by number. */
    final TreeMap<Integer, FileDescriptor> fds = new TreeMap<>();
    /** Read by {@link Launch}: everything else done in the child before the exec. */
    final ProcessSetup setup = new ProcessSetup();

    /** A step run on the child task before it execs the program ({@link #beforeExec}). */
    @FunctionalInterface
    public interface Setup {
        /** Acts on {@code child}, which has not exec'd yet; an exception stops the start. */
        void setUp(ChildTask child) throws IOException;
    }

    private Command(List<String> command) {
        this.command = command;
    }

    /** A command running {@code program} (looked up in {@code PATH} if it has no slash) with {@code args}. */
    public static Command of(String program, String... args) {
        List<String> argv = new ArrayList<>(args.length + 1);
        argv.add(Objects.requireNonNull(program, "program"));
        argv.addAll(Arrays.asList(args));
        return new Command(argv);
    }

    /** A command running {@code argv.get(0)} with the argument vector {@code argv} (copied). */
    public static Command of(List<String> argv) {
        return new Command(new ArrayList<>(argv));
    }

    /** The argument vector, program first: the live list, as {@link ProcessBuilder#command()} returns. */
    public List<String> command() {
        return command;
    }

    /** Replaces the argument vector with {@code argv} (kept, not copied, as the JDK does). */
    public Command command(List<String> argv) {
        this.command = Objects.requireNonNull(argv, "argv");
        return this;
    }

    /** Replaces the argument vector with {@code argv}. */
    public Command command(String... argv) {
        this.command = new ArrayList<>(Arrays.asList(argv));
        return this;
    }

    /**
     * The program's environment: a mutable map, initially a copy of the JVM's
     * ({@link System#getenv()}). Changes apply to later {@code start()}s.
     */
    public Map<String, String> environment() {
        if (environment == null) {
            environment = new HashMap<>(System.getenv());
        }
        return environment;
    }

    /** The program's working directory, or null for the parent task's. */
    public Path directory() {
        return directory;
    }

    /**
     * Sets the program's working directory ({@code chdir} in the child before the exec; null for
     * the parent task's). A relative path is relative to the parent task's directory.
     */
    public Command directory(Path directory) {
        this.directory = directory;
        return this;
    }

    /** {@link #directory(Path)} for the JDK's {@code File}. */
    public Command directory(File directory) {
        return directory(directory == null ? null : directory.toPath());
    }

    /**
     * Where the program's stdin comes from: {@link Redirect#PIPE} (the default),
     * {@link Redirect#INHERIT} (the parent task's), or {@link Redirect#from} a file.
     *
     * @throws IllegalArgumentException a redirect for writing ({@code to}, {@code appendTo}, {@code DISCARD})
     */
    public Command redirectInput(Redirect source) {
        if (source.type() == Redirect.Type.WRITE || source.type() == Redirect.Type.APPEND) {
            throw new IllegalArgumentException("Redirect invalid for reading: " + source);
        }
        redirects[0] = source;
        return this;
    }

    /**
     * Where the program's stdout goes: {@link Redirect#PIPE} (the default), {@link Redirect#INHERIT},
     * {@link Redirect#DISCARD}, {@link Redirect#to} or {@link Redirect#appendTo} a file (created
     * with mode 0666 less the umask if missing).
     *
     * @throws IllegalArgumentException a redirect for reading ({@code from})
     */
    public Command redirectOutput(Redirect destination) {
        redirects[1] = writable(destination);
        return this;
    }

    /** Where the program's stderr goes, as {@link #redirectOutput}; unused with {@code redirectErrorStream(true)}. */
    public Command redirectError(Redirect destination) {
        redirects[2] = writable(destination);
        return this;
    }

    /** {@link #redirectInput(Redirect)} from {@code file}. */
    public Command redirectInput(File file) {
        return redirectInput(Redirect.from(file));
    }

    /** {@link #redirectOutput(Redirect)} to {@code file}. */
    public Command redirectOutput(File file) {
        return redirectOutput(Redirect.to(file));
    }

    /** {@link #redirectError(Redirect)} to {@code file}. */
    public Command redirectError(File file) {
        return redirectError(Redirect.to(file));
    }

    /** The stdin redirect. */
    public Redirect redirectInput() {
        return redirects[0];
    }

    /** The stdout redirect. */
    public Redirect redirectOutput() {
        return redirects[1];
    }

    /** The stderr redirect. */
    public Redirect redirectError() {
        return redirects[2];
    }

    /**
     * Whether stderr goes where stdout goes (fd 2 a copy of fd 1): then {@link #redirectError} is
     * not used and the process's error stream is empty.
     */
    public Command redirectErrorStream(boolean redirect) {
        this.redirectErrorStream = redirect;
        return this;
    }

    /** Whether stderr goes where stdout goes. */
    public boolean redirectErrorStream() {
        return redirectErrorStream;
    }

    /** Stdin, stdout and stderr all {@link Redirect#INHERIT}: the parent task's. */
    public Command inheritIO() {
        Arrays.fill(redirects, Redirect.INHERIT);
        return this;
    }

    /**
     * Gives the program {@code source}'s file at fd {@code number} (close-on-exec clear there): for
     * 0, 1 or 2 it takes the place of that stream's redirect. {@code source} is a handle of the
     * task that starts the program (the JVM for {@link #start()}), used when it starts; the handle
     * stays the caller's.
     *
     * @throws IllegalArgumentException {@code number} is negative or was given already
     */
    public Command fd(int number, FileDescriptor source) {
        Objects.requireNonNull(source, "source");
        if (number < 0) {
            throw new IllegalArgumentException("fd number " + number + " is negative");
        }
        if (fds.containsKey(number)) {
            throw new IllegalArgumentException("fd " + number + " given twice: " + fds.get(number) + " and " + source);
        }
        fds.put(number, source);
        return this;
    }

    /** Sets the program's file mode creation mask ({@code umask(2)}), e.g. {@code 077}. */
    public Command umask(int mask) {
        setup.umask(mask);
        return this;
    }

    /**
     * Runs the program in a new session and process group ({@code setsid(2)}), without a
     * controlling terminal: signals sent to the JVM's terminal's foreground group do not reach it.
     */
    public Command newSession() {
        setup.newSession = true;
        return this;
    }

    /** Sets the program's limit on {@code resource} ({@code prlimit(2)}; {@link Rlimit#INFINITY} for none). */
    public Command rlimit(Rlimit resource, long soft, long hard) {
        Objects.requireNonNull(resource, "resource");
        setup.rlimits.put(resource, new long[] {soft, hard});
        return this;
    }

    /**
     * Starts the program in new namespaces of these kinds ({@link CloneFlag#NEWUSER},
     * {@code NEWNS}, {@code NEWNET}, {@code NEWPID}, {@code NEWUTS}, {@code NEWIPC},
     * {@code NEWCGROUP}; added to those given before). In a new user namespace the program's uid
     * and gid are the caller's own unless {@link #user} says otherwise, mapped onto the caller's;
     * in a new network namespace {@code lo} is up; in a new pid namespace the program is pid 1.
     *
     * @throws IllegalArgumentException {@link CloneFlag#FILES}, which is not a namespace
     */
    public Command unshare(CloneFlag... kinds) {
        setup.unshare(kinds);
        return this;
    }

    /**
     * Sets the program's host name ({@code sethostname(2)}); the program must be in a new UTS
     * namespace ({@code unshare(CloneFlag.NEWUTS)}), or {@code start} refuses.
     */
    public Command hostname(String name) {
        setup.hostname = Objects.requireNonNull(name, "name");
        return this;
    }

    /**
     * Runs the program with real, effective and saved uid {@code uid}, gid {@code gid} and
     * exactly the supplementary {@code groups}. In a new user namespace these are the ids inside,
     * mapped onto the caller's, and {@code groups} must be empty (the kernel denies
     * {@code setgroups(2)} there); otherwise the child calls {@code setgroups}, {@code setresgid}
     * and {@code setresuid}, which needs {@code CAP_SETUID} and {@code CAP_SETGID} (a launcher
     * running as root starting a program as a service user, say).
     */
    public Command user(long uid, long gid, long... groups) {
        setup.user(uid, gid, groups);
        return this;
    }

    /** Sets {@code PR_SET_NO_NEW_PRIVS}: the program can gain no privileges through exec (setuid bits ignored). */
    public Command noNewPrivs() {
        setup.noNewPrivs = true;
        return this;
    }

    /**
     * Starts the program with no capabilities, even as root: the bounding set emptied before any
     * switch of ids (where the child holds {@code CAP_SETPCAP}), then the ambient, effective,
     * permitted and inheritable sets.
     */
    public Command dropCapabilities() {
        setup.dropCapabilities = true;
        return this;
    }

    /**
     * Adds a step run on the child task before the program is exec'd, after the namespaces, the
     * hostname and the limits are set up (e.g. {@code child -> child.mountTmpfs("/tmp", "")} in a
     * {@code NEWUSER}, {@code NEWNS} sandbox). Steps run in the JVM, in the order added, at each
     * start; an exception from one ends the child and propagates: nothing is started.
     */
    public Command beforeExec(Setup step) {
        setup.beforeExec.add(Objects.requireNonNull(step, "step"));
        return this;
    }

    /** Starts the program in a fresh child of the JVM ({@link Rsyscall#local()}). */
    public ChildProcess start() throws IOException {
        return start(Rsyscall.local());
    }

    /**
     * Starts the program in a fresh child of {@code parent}: the redirect files are opened and the
     * pipes made in {@code parent}, its stdio is what {@link Redirect#INHERIT} inherits, and the
     * handles given to {@link #fd} are {@code parent}'s.
     *
     * <p>On a {@link RemoteTask} (or a child of one) all of that happens on its host: the
     * directory and redirect files are its paths, the pipes its pipes (the streams read and write
     * them through its connection, where a read that waits holds the connection until data
     * comes), and the program's status comes back from there. New namespaces are refused there.
     *
     * @throws IllegalArgumentException an argument or environment entry contains a NUL, an
     *     environment name contains '=' or is empty, or the command is empty
     * @throws io.rsyscall4j.api.ErrnoException the program, the directory or a redirect file
     *     could not be used (the exception names it); nothing was started
     */
    public ChildProcess start(Task parent) throws IOException {
        Objects.requireNonNull(parent, "parent");
        return Launch.start(this, parent);
    }

    /**
     * Runs the program to its end and returns its status and everything it wrote to stdout and
     * stderr, read at once from both pipes (no deadlock however much it writes). Its stdin is
     * empty unless redirected: a {@link Redirect#PIPE} stdin is closed at the start.
     */
    public ProcessOutput output() throws IOException, InterruptedException {
        return output(Rsyscall.local());
    }

    /** {@link #output()} of the program started by {@link #start(Task)}. */
    public ProcessOutput output(Task parent) throws IOException, InterruptedException {
        Objects.requireNonNull(parent, "parent");
        return Launch.output(this, parent);
    }

    // ---- read by Launch ----

    List<String> argv() {
        return command;
    }

    Map<String, String> env() {
        return environment == null ? System.getenv() : environment;
    }

    Redirect redirect(int stream) {
        return redirects[stream];
    }

    private static Redirect writable(Redirect destination) {
        if (destination.type() == Redirect.Type.READ) {
            throw new IllegalArgumentException("Redirect invalid for writing: " + destination);
        }
        return destination;
    }

    @Override
    public String toString() {
        return "Command" + command;
    }
}
