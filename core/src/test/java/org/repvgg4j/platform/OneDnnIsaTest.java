package org.repvgg4j.platform;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OneDnnIsaTest {

    @Test
    void readsAndWritesTheProcessEnvironmentThatLibtorchSees() {
        // pom.xml starts the tests with ONEDNN_MAX_CPU_ISA=AVX2: the C library reads what Java was started with.
        // Only that value is set here: oneDNN may not have read it yet in this JVM.
        String before = System.getenv(OneDnnIsa.VARIABLE);
        assertThat(OneDnnIsa.current()).isEqualTo(before);
        try {
            OneDnnIsa.set("AVX2");
            assertThat(OneDnnIsa.current()).isEqualTo("AVX2");
            assertThat(OneDnnIsa.describe()).isEqualTo("AVX2");
        } finally {
            if (before != null) {
                OneDnnIsa.set(before);
            }
        }
    }
}
