package io.rsyscall4j.cli;

/**
 * One bundle's symbolic name, version and state; {@code note} says why it is not active (for
 * instance the Java version an unresolved bundle requires), or is empty.
 */
record BundleInfo(String symbolicName, String version, String state, String note) {}
