package io.rsyscall4j;

import static io.rsyscall4j.api.Linux.SIGKILL;

import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The end of a child task nobody asked to end: its process died (killed, or its parent died), or
 * the task became unreachable. Both run in the background and hold the task only weakly, so
 * neither keeps it alive.
 */
final class ChildTaskDeath {
    private ChildTaskDeath() {}

    /**
     * Watches {@code task}, whose life is {@code state}: when the connection to {@code process}
     * is gone while the task is alive, {@link #cleanUp}; when the task becomes unreachable alive,
     * the process is killed and reaped (from a janitor thread if it is {@code remote}, where a
     * call may wait).
     */
    static void watch(ChildTask task, ClonedChild process, AtomicReference<ChildTask.State> state, boolean remote) {
        WeakReference<ChildTask> self = new WeakReference<>(task);
        process.sysif().onGone(() -> {
            if (state.compareAndSet(ChildTask.State.ALIVE, ChildTask.State.DEAD)) {
                cleanUp(process, self);
            }
        });
        String killing = "killing unreachable child task " + process.pid();
        ChildJanitor.register(task, killing, () -> {
            if (state.compareAndSet(ChildTask.State.ALIVE, ChildTask.State.DEAD)) {
                ChildJanitor.Work kill = () -> {
                    process.kill(SIGKILL);
                    process.exit(); // reaped once it has ended, by the process watcher
                };
                if (remote) {
                    ChildJanitor.submit(killing, kill);
                } else {
                    kill.run();
                }
            }
        });
    }

    /**
     * A child that died without being asked to: in the background, the task (if still reachable)
     * leaves its table as after {@link ChildTask#exit} (the fds only it owned there, such as its
     * server's eventfd in a table shared with the JVM, are closed through another task of that
     * table), and the process is reaped.
     */
    static void cleanUp(ClonedChild process, WeakReference<ChildTask> self) {
        ChildJanitor.submit("cleaning up after child task " + process.pid(), () -> {
            ChildTask task = self.get();
            if (task != null) {
                task.leaveAfterDeath();
            }
            process.exit(); // reaped once it has ended, by the process watcher
        });
    }
}
