package io.rsyscall4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Which provider {@code Rsyscall.local()} picks: the system property's, else the best available. */
class LocalTaskSelectionTest {

    @BothProviders
    void thePropertyChoosesTheProvider(String provider) {
        String before = System.getProperty(Rsyscall.PROVIDER_PROPERTY);
        try {
            System.setProperty(Rsyscall.PROVIDER_PROPERTY, provider);
            assertSame(Rsyscall.local(provider), Rsyscall.local());
            assertEquals(provider, Rsyscall.local().sysif().provider());
        } finally {
            restore(before);
        }
    }

    @Test
    void anUnknownProviderInThePropertyIsRefusedNamingTheAvailableOnes() {
        String before = System.getProperty(Rsyscall.PROVIDER_PROPERTY);
        try {
            System.setProperty(Rsyscall.PROVIDER_PROPERTY, "bogus");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Rsyscall::local);
            assertTrue(e.getMessage().contains("\"bogus\""), e.getMessage());
            assertTrue(e.getMessage().contains("ffm") && e.getMessage().contains("jna"), e.getMessage());
        } finally {
            restore(before);
        }
    }

    @Test
    void withoutThePropertyFfmIsPreferred() {
        String before = System.getProperty(Rsyscall.PROVIDER_PROPERTY);
        try {
            System.clearProperty(Rsyscall.PROVIDER_PROPERTY);
            assertSame(Rsyscall.local("ffm"), Rsyscall.local());
        } finally {
            restore(before);
        }
    }

    private static void restore(String before) {
        if (before == null) {
            System.clearProperty(Rsyscall.PROVIDER_PROPERTY);
        } else {
            System.setProperty(Rsyscall.PROVIDER_PROPERTY, before);
        }
    }
}
