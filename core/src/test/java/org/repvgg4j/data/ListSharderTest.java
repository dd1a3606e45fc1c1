package org.repvgg4j.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ListSharderTest {

    @Test
    void sharesDifferByAtMostOneAndKeepEveryEntryInOrder(@TempDir Path tmp) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            lines.add("img " + i + ".jpg " + (i % 3));
        }
        Path list = tmp.resolve("all.txt");
        Files.write(list, lines);
        List<ListFile> shards = ListSharder.shard(list, 3, tmp.resolve("shards"));
        assertThat(shards).extracting(s -> s.entries().size()).containsExactly(4, 3, 3);
        assertThat(shards).extracting(s -> s.file().getFileName().toString()).containsExactly("all_0.txt", "all_1.txt", "all_2.txt");
        List<ListEntry> back = new ArrayList<>();
        for (ListFile s : shards) {
            back.addAll(ListFile.read(s.file()).entries());
        }
        assertThat(back).extracting(ListEntry::path).containsExactlyElementsOf(
                ListFile.read(list).entries().stream().map(ListEntry::path).toList());
        assertThat(back.get(5).label().getAsInt()).isEqualTo(2);
    }

    @Test
    void refusesMoreShardsThanEntriesAndExistingFiles(@TempDir Path tmp) throws Exception {
        Path list = Files.writeString(tmp.resolve("all.txt"), "a.jpg\nb.jpg\n");
        assertThatThrownBy(() -> ListSharder.shard(list, 3, tmp.resolve("s"))).hasMessageContaining("fewer than 3 shards");
        ListSharder.shard(list, 2, tmp.resolve("s"));
        assertThatThrownBy(() -> ListSharder.shard(list, 2, tmp.resolve("s"))).hasMessageContaining("already exists");
    }
}
