package org.repvgg4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClassIndexTest {

    @TempDir
    Path tmp;

    @Test
    void readsNamesWithSpacesByIndex() throws IOException {
        Path file = tmp.resolve("annotations.txt");
        Files.writeString(file, "sun flower 1\ndaisy 0\n\nrose 2\n");
        assertThat(ClassIndex.read(file).names()).containsExactly("daisy", "sun flower", "rose");
    }

    @Test
    void writesWhatItReads() throws IOException {
        Path file = tmp.resolve("annotations.txt");
        new ClassIndex(List.of("a b", "c")).write(file);
        assertThat(Files.readString(file)).isEqualTo("a b 0\nc 1\n");
        assertThat(ClassIndex.read(file).names()).containsExactly("a b", "c");
    }

    @Test
    void badLinesAreReportedWithFileAndLine() throws IOException {
        Path file = tmp.resolve("annotations.txt");
        Files.writeString(file, "daisy 0\nrose x\n");
        assertThatThrownBy(() -> ClassIndex.read(file)).hasMessage(file + ":2: index 'x' is not a number");
        Files.writeString(file, "daisy 0\nrose 0\n");
        assertThatThrownBy(() -> ClassIndex.read(file)).hasMessageContaining(":2: index 0 is already used by 'daisy'");
        Files.writeString(file, "daisy 0\nrose 5\n");
        assertThatThrownBy(() -> ClassIndex.read(file)).hasMessageContaining(":2: index 5 is out of range");
        Files.writeString(file, "daisy\n");
        assertThatThrownBy(() -> ClassIndex.read(file)).hasMessageContaining(":1: expected '<class name> <index>'");
    }

    @Test
    void aNameOnTwoLinesIsAnErrorNamingBothLines() throws IOException {
        Path file = tmp.resolve("annotations.txt");
        Files.writeString(file, "cat 0\ndog 1\n\ncat 2\n");
        assertThatThrownBy(() -> ClassIndex.read(file))
                .hasMessageStartingWith(file + ":4: class 'cat' is already named on line 1");
        assertThatThrownBy(() -> new ClassIndex(List.of("a", "b", "a")))
                .hasMessageContaining("class 'a' is both index 0 and index 2");
    }
}
