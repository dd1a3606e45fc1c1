package org.repvgg4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.hadoop.fs.GlobFilter;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class ImageInputsTest {

    @Test
    void theGlobTakesImageExtensionsInAnyCaseAndNothingElse() throws Exception {
        GlobFilter glob = new GlobFilter(ImageInputs.imageGlob());
        for (String name : List.of("a.jpg", "B.JPG", "c.Jpeg", "d.png", "e.webp", "f.GIF", "g.bmp", "with space.jpg")) {
            assertThat(glob.accept(new Path("/data/" + name))).as(name).isTrue();
        }
        for (String name : List.of("notes.txt", "a.jpg.bak", "jpg", "model.json")) {
            assertThat(glob.accept(new Path("/data/" + name))).as(name).isFalse();
        }
    }

    @Test
    void localFilesAreNamedByTheirPathOtherFileSystemsByTheirUri() {
        assertThat(ImageInputs.localName("file:/data/cats/a b.jpg")).isEqualTo("/data/cats/a b.jpg");
        assertThat(ImageInputs.localName("/data/cats/a.jpg")).isEqualTo("/data/cats/a.jpg");
        assertThat(ImageInputs.localName("hdfs://nn:8020/data/a.jpg")).isEqualTo("hdfs://nn:8020/data/a.jpg");
    }

    @Test
    void topClassesAreBestFirstWithTiesInClassOrder() {
        Row row = PartitionScorer.scoredRow("x.jpg", new float[] {0.1f, 0.4f, 0.1f, 0.4f}, List.of("a", "b", "c", "d"), 3);
        // Java arrays, as the row encoder takes them (Parquet turns them into array columns).
        assertThat((String[]) row.get(1)).containsExactly("b", "d", "a");
        assertThat((Float[]) row.get(2)).containsExactly(0.4f, 0.4f, 0.1f);
        assertThat((Float[]) row.get(3)).containsExactly(0.1f, 0.4f, 0.1f, 0.4f);
        assertThat(row.isNullAt(4)).isTrue();
    }
}
