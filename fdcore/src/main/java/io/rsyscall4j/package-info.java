/** Tasks (the JVM itself and child processes) and the operations they run on file descriptors. */
package io.rsyscall4j;
