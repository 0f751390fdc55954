package io.rsyscall4j.itests.provider;

import io.rsyscall4j.api.SyscallInterface;
import io.rsyscall4j.provider.jna.JnaSyscallInterface;

/** The provider contract, run against provider-jna (JNA direct mapping). */
final class JnaProviderContractTest extends SyscallInterfaceContract {
    @Override
    SyscallInterface newProvider() {
        return new JnaSyscallInterface();
    }

    @Override
    String expectedName() {
        return "jna";
    }
}
