/** A one-class program that runs the fd lifecycle smoke scenario on the local task, outside OSGi. */
module io.rsyscall4j.itests.taskprobe {
    requires io.rsyscall4j.fdcore;
}
