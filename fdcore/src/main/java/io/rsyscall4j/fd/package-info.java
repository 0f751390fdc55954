/**
 * The lifecycle of file descriptor handles, alone: handles, fd tables and the task side of
 * ownership. Depends on nothing else in rsyscall4j but the api.
 */
package io.rsyscall4j.fd;
