package io.rsyscall4j.fd;

import io.rsyscall4j.api.SyscallException;
import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.fd.internal.FdInternals;
import io.rsyscall4j.fd.internal.ScratchBuffer;
import java.time.Duration;

/** This package's side of {@link FdInternals}: the machinery fdcore's other packages need. */
final class Internals implements FdInternals.Access {
    @Override
    public int[] claimableNumbers(FDTable table) {
        return table.claimableNumbers();
    }

    @Override
    public void kernelCopyMade(FDTable table) {
        table.kernelCopyMade();
    }

    @Override
    public FDTable newFdTable(int creatorPid, FDTable parent, boolean closedWithParent) {
        return new FDTable(creatorPid, parent, closedWithParent);
    }

    @Override
    public AddressSpace newAddressSpace(int creatorPid) {
        return new AddressSpace(creatorPid);
    }

    @Override
    public ScratchBuffer scratch(AddressSpace space, SyscallInterface sysif) throws SyscallException {
        return space.scratch(sysif);
    }

    @Override
    public boolean stopReaper(Duration timeout) {
        return Reaper.stop(timeout);
    }

    @Override
    public boolean reaperRunning() {
        return Reaper.isRunning();
    }
}
