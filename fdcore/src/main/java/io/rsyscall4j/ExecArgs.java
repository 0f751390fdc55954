package io.rsyscall4j;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What an {@code execve} of a child task gets, as the kernel takes it: the program's path
 * ({@code cpath}), its arguments ({@code args}) and its environment ({@code envp}), each
 * NUL-terminated, with the names that messages and errors give the path and the arguments
 * ({@code path}, {@code argv}).
 */
record ExecArgs(byte[] cpath, String path, List<byte[]> args, List<String> argv, List<byte[]> envp) {
    private static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";
    /**
     * The JVM's environment as {@code envp}, encoded at its first use: {@link System#getenv()}
     * is one map that never changes for the JVM's life, and most programs get it as it is.
     */
    private static volatile List<byte[]> jvmEnvp;

    /**
     * From text, encoded as UTF-8.
     *
     * @throws IllegalArgumentException a string contains a NUL, or a variable's name an {@code =}
     */
    static ExecArgs of(String path, List<String> argv, Map<String, String> env) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(argv, "argv");
        Objects.requireNonNull(env, "env");
        List<byte[]> args = new ArrayList<>();
        for (String a : argv) {
            args.add(CStrings.cString(Objects.requireNonNull(a, "argv element")));
        }
        List<byte[]> envp;
        if (env == System.getenv()) {
            envp = jvmEnvp;
            if (envp == null) {
                envp = List.copyOf(encode(env));
                jvmEnvp = envp;
            }
        } else {
            envp = encode(env);
        }
        return new ExecArgs(CStrings.cString(path), path, args, argv, envp);
    }

    /** {@code env} as {@code NAME=VALUE} entries, NUL-terminated. */
    private static List<byte[]> encode(Map<String, String> env) {
        List<byte[]> envp = new ArrayList<>(env.size());
        for (Map.Entry<String, String> e : env.entrySet()) {
            if (e.getKey().indexOf('=') >= 0) {
                throw new IllegalArgumentException("environment variable name contains '=': " + e.getKey());
            }
            envp.add(CStrings.cString(e.getKey() + "=" + e.getValue()));
        }
        return envp;
    }

    /**
     * From the bytes the kernel gets, whatever they are; each environment entry is
     * {@code NAME=VALUE}.
     *
     * @throws IllegalArgumentException the path, an argument or an entry contains a NUL byte
     */
    static ExecArgs ofBytes(byte[] path, List<byte[]> argv, List<byte[]> env) {
        Objects.requireNonNull(argv, "argv");
        Objects.requireNonNull(env, "env");
        byte[] cpath = CStrings.cBytes(path, "path");
        List<byte[]> args = new ArrayList<>();
        List<String> shown = new ArrayList<>();
        for (byte[] a : argv) {
            args.add(CStrings.cBytes(a, "argument"));
            shown.add(CStrings.show(a));
        }
        List<byte[]> envp = new ArrayList<>();
        for (byte[] e : env) {
            envp.add(CStrings.cBytes(e, "environment entry"));
        }
        return new ExecArgs(cpath, CStrings.show(path), args, shown, envp);
    }

    /**
     * The program files the {@code execve} tries, in order, NUL-terminated, as {@code execvp}
     * finds them: {@code cpath} itself if it is empty or has a slash, else each directory's entry
     * in the {@code PATH} of {@code envp} (else the JVM's, else a default).
     */
    List<byte[]> candidates() {
        int length = cpath.length - 1;
        for (int i = 0; i < length; i++) {
            if (cpath[i] == '/') {
                return List.of(cpath);
            }
        }
        if (length == 0) {
            return List.of(cpath);
        }
        byte[] search = null;
        byte[] name = "PATH=".getBytes(StandardCharsets.US_ASCII);
        for (byte[] e : envp) {
            if (e.length > name.length && Arrays.equals(e, 0, name.length, name, 0, name.length)) {
                search = Arrays.copyOfRange(e, name.length, e.length - 1);
                break; // the first, as getenv finds it
            }
        }
        if (search == null) {
            String jvms = System.getenv("PATH");
            search = (jvms == null ? DEFAULT_PATH : jvms).getBytes(StandardCharsets.UTF_8);
        }
        List<byte[]> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= search.length; i++) {
            if (i == search.length || search[i] == ':') {
                if (i == start) {
                    out.add(cpath);
                } else {
                    byte[] c = new byte[i - start + 1 + cpath.length];
                    System.arraycopy(search, start, c, 0, i - start);
                    c[i - start] = '/';
                    System.arraycopy(cpath, 0, c, i - start + 1, cpath.length);
                    out.add(c);
                }
                start = i + 1;
            }
        }
        return out;
    }
}
