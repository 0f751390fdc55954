/**
 * The lifecycle of file descriptor handles, alone: handles, fd tables and the task side of
 * ownership (rsyscall's {@code rsyscall.handle.fd}). Depends on nothing else in rsyscall4j but the api.
 *
 * <p>A {@link io.rsyscall4j.fd.FileDescriptor} is one task's handle to an fd number in one
 * {@link io.rsyscall4j.fd.FDTable}; several handles may share a number; the fd is closed exactly
 * once, when its last handle is invalidated or garbage-collected, and never while a
 * {@link io.rsyscall4j.fd.Borrowed} of it is open. Whoever closes takes the number out of the table
 * first, under the table's lock, so no two parties close one number and nobody closes a number the
 * kernel has handed out again. {@link io.rsyscall4j.fd.FileDescriptorTask} is the task half:
 * making, inheriting and collecting handles, and moving to a fresh table.
 */
@Version("1.0.0")
package io.rsyscall4j.fd;

import org.osgi.annotation.versioning.Version;
