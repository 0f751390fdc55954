/** Tasks (the JVM itself and child processes) and the operations they run on file descriptors. */
@Version("1.1.0")
package io.rsyscall4j;

import org.osgi.annotation.versioning.Version;
