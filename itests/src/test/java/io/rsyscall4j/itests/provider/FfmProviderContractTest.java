package io.rsyscall4j.itests.provider;

import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.provider.ffm.FfmSyscallInterface;

/** The provider contract, run against provider-ffm ({@code java.lang.foreign}). */
final class FfmProviderContractTest extends SyscallInterfaceContract {
    @Override
    SyscallInterface newProvider() {
        return new FfmSyscallInterface();
    }

    @Override
    String expectedName() {
        return "ffm";
    }
}
