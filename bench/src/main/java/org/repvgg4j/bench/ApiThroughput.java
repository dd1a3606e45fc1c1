package org.repvgg4j.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.repvgg4j.api.LoadOptions;
import org.repvgg4j.api.RepVggModel;

/**
 * Images per second through one loaded {@link RepVggModel} from 1, 2, 4 and 8 calling threads, each
 * classifying one image file per call (decode + preprocess + forward), as a service's request threads
 * would. Arguments: a model, a list file or folder of images, and optionally an engine. Compare with
 * {@code repvgg batch} on the same list (docs/java-api.md).
 */
public final class ApiThroughput {

    private ApiThroughput() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: ApiThroughput MODEL LIST_OR_DIR [ENGINE]");
            System.exit(2);
        }
        List<Path> images = images(Path.of(args[1]));
        LoadOptions options = LoadOptions.defaults().withEngine(args.length > 2 ? args[2] : null);
        try (RepVggModel model = RepVggModel.load(Path.of(args[0]), options)) {
            System.out.printf(Locale.ROOT, "%d images, engine %s, input %dx%d, %d processors%n", images.size(),
                    model.engine(), model.inputSize(), model.inputSize(), Runtime.getRuntime().availableProcessors());
            run(model, images.subList(0, Math.min(16, images.size())), 2); // warm-up
            System.out.println("| calling threads | images/s |");
            System.out.println("|---:|---:|");
            for (int threads : new int[] {1, 2, 4, 8}) {
                double rate = run(model, images, threads);
                System.out.printf(Locale.ROOT, "| %d | %.1f |%n", threads, rate);
            }
        }
    }

    /** Every image once, taken in turn by {@code threads} threads; images per second. */
    private static double run(RepVggModel model, List<Path> images, int threads) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long start = System.nanoTime();
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < images.size(); i = next.getAndIncrement()) {
                        model.classify(images.get(i));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            return images.size() / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<Path> images(Path source) throws IOException {
        if (Files.isDirectory(source)) {
            try (Stream<Path> files = Files.walk(source)) {
                return files.filter(Files::isRegularFile).filter(p -> p.toString().matches("(?i).*\\.(png|jpe?g)"))
                        .sorted().toList();
            }
        }
        List<Path> out = new ArrayList<>();
        for (String line : Files.readAllLines(source)) {
            if (!line.isBlank()) {
                String path = line.strip();
                int space = path.lastIndexOf(' ');
                if (space > 0 && path.substring(space + 1).matches("\\d+")) {
                    path = path.substring(0, space);
                }
                Path p = Path.of(path);
                out.add(p.isAbsolute() ? p : source.toAbsolutePath().getParent().resolve(p));
            }
        }
        return out;
    }
}
