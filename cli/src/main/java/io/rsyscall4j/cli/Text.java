package io.rsyscall4j.cli;

/** Text from outside (arguments, paths) made fit for a one-line message. */
final class Text {
    private Text() {}

    /** {@code s} with every control character (C0, DEL, C1) written as {@code \xNN}, so a message stays one line. */
    static String show(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
