package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.repvgg4j.cli.CommandsTest.repvgg;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.repvgg4j.weights.ModelDirectory;

/**
 * A damaged model, a model or class file naming a class twice, and a decompression bomb of an image are
 * refused with one line naming the file, instead of giving wrong scores or an overflow.
 */
class ModelIntegrityTest {

    private static final String TINY = "depths=1,1,1,1;widths=0.125,0.125,0.125,0.25";

    @TempDir
    Path tmp;

    private Path model() {
        Path model = tmp.resolve("model");
        CommandsTest.Run init = repvgg("init", "--arch", TINY, "--classes", "2", "--image-size", "32", "--out",
                model.toString());
        assertThat(init.exit()).as(init.err()).isZero();
        return model;
    }

    private Path image() throws Exception {
        return StripeImages.write(tmp.resolve("stripes"), 1, 1).resolve("horizontal").toFile().listFiles()[0].toPath();
    }

    private static void flip64Bytes(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        for (int i = bytes.length / 2; i < bytes.length / 2 + 64; i++) {
            bytes[i] ^= (byte) 0x5a;
        }
        Files.write(file, bytes);
    }

    @Test
    void modelJsonRecordsTheWeightsDigestAndFlippedBytesAreRefusedByEveryVerb() throws Exception {
        Path model = model();
        JsonObject json = JsonParser.parseString(Files.readString(model.resolve("model.json"))).getAsJsonObject();
        assertThat(json.getAsJsonObject("sha256").get("model.safetensors").getAsString()).hasSize(64);
        Path image = image();
        Path list = Files.writeString(tmp.resolve("list.txt"), image.toAbsolutePath() + " 0\n");

        flip64Bytes(model.resolve(ModelDirectory.WEIGHTS_FILE));
        String named = model.resolve(ModelDirectory.WEIGHTS_FILE) + ": damaged or changed since it was written";
        CommandsTest.Run predict = repvgg("predict", "--model", model.toString(), "--engine", "pytorch", image.toString());
        assertThat(predict.exit()).isEqualTo(1);
        assertThat(predict.err()).contains(named);
        assertThat(predict.err().strip().lines()).hasSize(1);
        CommandsTest.Run eval = repvgg("eval", "--model", model.toString(), "--list", list.toString());
        assertThat(eval.exit()).isEqualTo(1);
        assertThat(eval.err()).contains(named);
        CommandsTest.Run batch = repvgg("batch", "--model", model.toString(), "--list", list.toString(), "--out",
                tmp.resolve("out").toString());
        assertThat(batch.exit()).isEqualTo(1);
        assertThat(batch.err()).contains(named);
        CommandsTest.Run info = repvgg("info", "--model", model.toString());
        assertThat(info.exit()).isEqualTo(1);
        assertThat(info.err()).contains(named);
    }

    @Test
    void aModelWrittenBeforeChecksumsStillLoads() throws Exception {
        Path model = model();
        JsonObject json = JsonParser.parseString(Files.readString(model.resolve("model.json"))).getAsJsonObject();
        json.remove("sha256");
        Files.writeString(model.resolve("model.json"), json.toString());
        CommandsTest.Run predict = repvgg("predict", "--model", model.toString(), "--engine", "pytorch",
                image().toString());
        assertThat(predict.exit()).as(predict.err()).isZero();
        assertThat(predict.err()).isEmpty();
    }

    @Test
    void infoRefusesAHalfTruncatedWeightsFileWithOrWithoutChecksums() throws Exception {
        Path model = model();
        Path weights = model.resolve(ModelDirectory.WEIGHTS_FILE);
        try (FileChannel c = FileChannel.open(weights, StandardOpenOption.WRITE)) {
            c.truncate(c.size() / 2);
        }
        CommandsTest.Run checked = repvgg("info", "--model", model.toString());
        assertThat(checked.exit()).isEqualTo(1);
        assertThat(checked.err()).contains(weights.toString());

        JsonObject json = JsonParser.parseString(Files.readString(model.resolve("model.json"))).getAsJsonObject();
        json.remove("sha256");
        Files.writeString(model.resolve("model.json"), json.toString());
        CommandsTest.Run old = repvgg("info", "--model", model.toString());
        assertThat(old.exit()).isEqualTo(1);
        assertThat(old.err()).contains(weights + ": truncated");
        assertThat(old.err().strip().lines()).hasSize(1);
    }

    @Test
    void aClassNamedTwiceIsRefusedInTheClassFileAndInModelJson() throws Exception {
        Path classes = Files.writeString(tmp.resolve("annotations.txt"), "cat 0\ndog 1\ncat 2\n");
        CommandsTest.Run init = repvgg("init", "--arch", TINY, "--classes", classes.toString(), "--out",
                tmp.resolve("m").toString());
        assertThat(init.exit()).isEqualTo(1);
        assertThat(init.err()).contains(classes + ":3: class 'cat' is already named on line 1");

        Path model = model();
        Path config = model.resolve("model.json");
        JsonObject json = JsonParser.parseString(Files.readString(config)).getAsJsonObject();
        json.add("classes", JsonParser.parseString("[\"same\", \"same\"]"));
        Files.writeString(config, json.toString());
        CommandsTest.Run predict = repvgg("predict", "--model", model.toString(), image().toString());
        assertThat(predict.exit()).isEqualTo(1);
        assertThat(predict.err()).contains(config + ": 'classes': class 'same' is both index 0 and index 1");
    }

    /**
     * A {@code size} x {@code size} 1-bit gray PNG of zeros written chunk by chunk: about 110 KB on disk
     * for 30000 x 30000, and no pixel array in memory.
     */
    static Path hugePng(Path file, int size) throws IOException {
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(idat)) {
            byte[] row = new byte[1 + (size + 7) / 8]; // filter byte 0, then the row's bits
            for (int y = 0; y < size; y++) {
                z.write(row);
            }
        }
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        DataOutputStream h = new DataOutputStream(header);
        h.writeInt(size);
        h.writeInt(size);
        h.write(new byte[] {1, 0, 0, 0, 0}); // bit depth 1, grayscale, deflate, adaptive filter, no interlace
        try (OutputStream out = Files.newOutputStream(file); DataOutputStream d = new DataOutputStream(out)) {
            d.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            chunk(d, "IHDR", header.toByteArray());
            chunk(d, "IDAT", idat.toByteArray());
            chunk(d, "IEND", new byte[0]);
        }
        return file;
    }

    private static void chunk(DataOutputStream d, String type, byte[] data) throws IOException {
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(name);
        crc.update(data);
        d.writeInt(data.length);
        d.write(name);
        d.write(data);
        d.writeInt((int) crc.getValue());
    }

    @Test
    void aHugeImageIsRefusedFromItsHeaderAndTheNextImageIsStillScored() throws Exception {
        Path model = model();
        Path huge = hugePng(tmp.resolve("huge.png"), 30000);
        assertThat(Files.size(huge)).isLessThan(300_000);
        Path small = image();
        long started = System.nanoTime();
        CommandsTest.Run predict = repvgg("predict", "--model", model.toString(), "--engine", "pytorch",
                huge.toString(), small.toString());
        assertThat(predict.exit()).isEqualTo(1);
        assertThat(predict.err()).contains(huge + ": 30000x30000 is 900.0 megapixels, above the limit of 100.0");
        assertThat(predict.err()).doesNotContain("-1594967296");
        assertThat(predict.out()).contains(small + ":");
        assertThat((System.nanoTime() - started) / 1e9).as("no pixel decoded").isLessThan(20);

        Path list = Files.writeString(tmp.resolve("list.txt"), huge.toAbsolutePath() + "\n" + small.toAbsolutePath() + "\n");
        CommandsTest.Run zero = repvgg("batch", "--model", model.toString(), "--list", list.toString(), "--out",
                tmp.resolve("out").toString(), "--max-pixels", "0");
        assertThat(zero.exit()).isEqualTo(2);
        CommandsTest.Run batch = repvgg("batch", "--model", model.toString(), "--list", list.toString(), "--out",
                tmp.resolve("out").toString());
        assertThat(batch.exit()).as(batch.err()).isZero();
        String csv = Files.readString(tmp.resolve("out").resolve("list.csv"));
        assertThat(csv).contains("30000x30000 is 900.0 megapixels");
        assertThat(batch.out()).contains("1 error row(s)");
    }
}
