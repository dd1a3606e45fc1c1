package org.repvgg4j.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .npy files numpy wrote (tools/npy_fixtures.py) read back exactly, and ours are numpy's bytes. */
class NpyTest {

    @TempDir
    Path tmp;

    static Path fixture(String name) {
        try {
            return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test resource npy/" + name + " (run tools/npy_fixtures.py)", e);
        }
    }

    @Test
    void readsFloat32MatrixNumpyWrote() throws IOException {
        NpyArray a = Npy.read(fixture("f4_2x3.npy"));
        assertThat(a.dtype()).isEqualTo(Npy.DType.FLOAT32);
        assertThat(a.shape()).containsExactly(2, 3);
        assertThat(a.toFloats()).containsExactly(-1f, -0.5f, 0f, 0.5f, 1f, 1.5f);
    }

    @Test
    void readsFloat64AndInt64Exactly() throws IOException {
        NpyArray d = Npy.read(fixture("f8_4.npy"));
        assertThat(d.dtype()).isEqualTo(Npy.DType.FLOAT64);
        assertThat(d.toDoubles()).containsExactly(0.1, -2.5, 1e300, -0.0);
        NpyArray l = Npy.read(fixture("i8_2x1x2.npy"));
        assertThat(l.shape()).containsExactly(2, 1, 2);
        assertThat(l.toLongs()).containsExactly(-1L, 1L << 40, 3L, -4L);
    }

    @Test
    void readsScalarsEmptyArraysHighRanksAndVersion2Headers() throws IOException {
        NpyArray scalar = Npy.read(fixture("f4_scalar.npy"));
        assertThat(scalar.shape()).isEmpty();
        assertThat(scalar.toFloats()).containsExactly(7.25f);
        NpyArray empty = Npy.read(fixture("f4_empty_0x3.npy"));
        assertThat(empty.shape()).containsExactly(0, 3);
        assertThat(empty.size()).isZero();
        NpyArray rank5 = Npy.read(fixture("f4_rank5.npy"));
        assertThat(rank5.shape()).containsExactly(1, 2, 1, 2, 1);
        assertThat(rank5.toFloats()).containsExactly(0f, 1f, 2f, 3f);
        NpyArray v2 = Npy.read(fixture("f4_v2.npy"));
        assertThat(v2.toFloats()).containsExactly(1.5f, -3f);
    }

    @Test
    void writesTheSameBytesAsNumpy() throws IOException {
        for (String name : new String[] {"f4_2x3.npy", "f8_4.npy", "i8_2x1x2.npy", "f4_scalar.npy",
                "f4_empty_0x3.npy", "f4_rank5.npy"}) {
            byte[] numpy = Files.readAllBytes(fixture(name));
            Path ours = tmp.resolve(name);
            Npy.write(ours, Npy.read(fixture(name)));
            assertThat(Files.readAllBytes(ours)).as(name).isEqualTo(numpy);
        }
    }

    @Test
    void headersAlignDataTo64BytesAndGrowToVersion2WhenNeeded() {
        byte[] small = Npy.header(Npy.DType.FLOAT32, new long[] {2, 3});
        assertThat(small.length % 64).isZero();
        assertThat(small[6]).isEqualTo((byte) 1);
        assertThat(small[small.length - 1]).isEqualTo((byte) '\n');
        long[] manyDims = new long[30000];
        Arrays.fill(manyDims, 1);
        byte[] large = Npy.header(Npy.DType.FLOAT32, manyDims);
        assertThat(large[6]).isEqualTo((byte) 2);
        assertThat(large.length % 64).isZero();
    }

    @Test
    void roundTripsThroughOurOwnWriter() throws IOException {
        NpyArray a = NpyArray.ofFloats(new long[] {1, 3, 2, 2},
                new float[] {0f, -1f, Float.MIN_VALUE, Float.MAX_VALUE, 1e-7f, 3f, 4f, 5f, 6f, 7f, 8f, Float.NaN});
        Path file = tmp.resolve("a.npy");
        Npy.write(file, a);
        assertThat(Npy.read(file)).isEqualTo(a);
    }

    @Test
    void refusesFortranOrderBigEndianAndUnknownDtypesWithAReason() {
        assertThatThrownBy(() -> Npy.read(fixture("fortran_2x3.npy")))
                .hasMessageContaining("fortran_2x3.npy").hasMessageContaining("Fortran order")
                .hasMessageContaining("ascontiguousarray");
        assertThatThrownBy(() -> Npy.read(fixture("big_endian.npy")))
                .hasMessageContaining("big_endian.npy").hasMessageContaining("big-endian data ('>f4')");
        assertThatThrownBy(() -> Npy.read(fixture("int32.npy")))
                .hasMessageContaining("int32.npy").hasMessageContaining("dtype '<i4' is not supported");
    }

    @Test
    void truncatedDataAndForeignFilesNameTheProblem() throws IOException {
        byte[] whole = Files.readAllBytes(fixture("f4_2x3.npy"));
        Path cut = tmp.resolve("cut.npy");
        Files.write(cut, Arrays.copyOf(whole, whole.length - 5));
        assertThatThrownBy(() -> Npy.read(cut))
                .hasMessage(cut + ": truncated data: shape (2, 3) float32 needs 24 bytes, the file has 19");
        Path header = tmp.resolve("header.npy");
        Files.write(header, Arrays.copyOf(whole, 30));
        assertThatThrownBy(() -> Npy.read(header)).hasMessageContaining("truncated .npy header");
        Path text = tmp.resolve("text.npy");
        Files.writeString(text, "a,b,c\n1,2,3\n");
        assertThatThrownBy(() -> Npy.read(text)).hasMessageContaining("not a .npy file");
        assertThatThrownBy(() -> Npy.read(tmp.resolve("absent.npy"))).hasMessageContaining("absent.npy");
    }
}
