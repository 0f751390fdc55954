package io.rsyscall4j.cli;

/** A registered provider as the user sees it: its name, its ranking, the bundle it came from. */
record ProviderInfo(String name, int ranking, String origin) {
    @Override
    public String toString() {
        return name + " (ranking " + ranking + ", from " + origin + ")";
    }
}
