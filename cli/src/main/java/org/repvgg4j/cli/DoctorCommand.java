package org.repvgg4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.platform.ConvolutionCheck;
import org.repvgg4j.platform.ConvolutionCheck.Problem;
import org.repvgg4j.platform.ConvolutionCheck.Result;
import org.repvgg4j.platform.ConvolutionVerdicts;
import org.repvgg4j.platform.OneDnnIsa;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "doctor", mixinStandardHelpOptions = true,
        description = {"Checks that the engine computes a network's convolutions correctly on this machine:",
            "each distinct convolution of the train form, forward and backward, in float32 as training runs it",
            "against float64 matrix products. Exit code 1 when any is wrong (with --strided: 0 once all are checked).",
            "The repvgg launcher runs it once per machine (--known) and limits oneDNN to AVX2 where",
            "the default instruction set gives wrong results; train and bench run it once per network,",
            "size and batch sizes and use the default kernels where they are right."})
final class DoctorCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--arch", converter = ArchConverter.class, defaultValue = "A0",
            description = "a RepVGG variant or custom spec (default: ${DEFAULT-VALUE})")
    RepVggSpec arch;

    @Option(names = "--image-size", split = ",", defaultValue = "48,224",
            description = "input sizes, comma-separated (default: ${DEFAULT-VALUE})")
    List<Integer> imageSizes;

    @Option(names = "--batch-size", split = ",", defaultValue = "4", paramLabel = "N",
            description = "batch sizes, comma-separated (default: ${DEFAULT-VALUE}); oneDNN picks its kernels per batch size")
    List<Integer> batches;

    @Option(names = "--forward-only", description = "judge the outputs alone (for inference); the gradients are still shown")
    boolean forwardOnly;

    @Option(names = "--known", description = "also the convolutions seen to go wrong on some machines")
    boolean known;

    @Option(names = "--quiet", description = "print only the verdict line")
    boolean quiet;

    @Option(names = "--strided", description = {"check instead the stride-2 layers' (after the stem) convolutions as",
        "strided ones, with their input gradient, which training then may run strided; for some shapes that",
        "gradient kills the process"})
    boolean strided;

    @Option(names = "--strided-list", paramLabel = "FILE", description = "with --strided: append each right one to FILE"
            + " as soon as it is checked, one line of numbers each")
    Path stridedList;

    @Option(names = "--channels-last", description = {"check instead the convolutions after the stem on channels-last",
        "input (stride-2 ones strided), as training runs them where they are all right; exit code 1 when any",
        "is wrong. On some machines they corrupt the heap"})
    boolean channelsLast;

    @Override
    public Integer call() throws IOException {
        for (int size : imageSizes) {
            if (size < 8) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--image-size must be at least 8, got " + size);
            }
        }
        if (strided && channelsLast) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--strided and --channels-last are two checks: give one");
        }
        if (strided) {
            return checkStrided();
        }
        if (channelsLast) {
            return checkChannelsLast();
        }
        if (stridedList != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--strided-list needs --strided");
        }
        Set<Problem> problems = new LinkedHashSet<>();
        for (int size : imageSizes) {
            for (int batch : batches) {
                problems.addAll(ConvolutionCheck.problemsOf(arch, size, batch));
            }
        }
        if (known) {
            problems.addAll(ConvolutionCheck.knownTroublemakers());
        }
        List<Result> results = ConvolutionCheck.run(new ArrayList<>(problems), 0);
        long wrong = results.stream().filter(r -> r.wrong(!forwardOnly)).count();
        if (!quiet) {
            out().printf("%-55s %10s %10s %10s%n", "convolution", "output", "grad in", "grad w");
            for (Result r : results) {
                out().printf("%-55s %10.1e %10.1e %10.1e%s%n", r.problem().describe(), r.output(), r.inputGradient(),
                        r.weightGradient(), r.wrong(!forwardOnly) ? "  WRONG: " + r.wrongParts() : "");
            }
        }
        out().printf("%d of %d convolutions wrong%s (relative error above %.0e) with %s=%s%n", wrong, results.size(),
                forwardOnly ? " in the forward pass" : "", ConvolutionCheck.TOLERANCE, OneDnnIsa.VARIABLE,
                OneDnnIsa.describe());
        return wrong == 0 ? 0 : 1;
    }

    private int checkChannelsLast() {
        long wrong = checkEach("channels-last", ConvolutionCheck::channelsLastProblemsOf, ConvolutionCheck::runChannelsLast,
                r -> { });
        return wrong == 0 ? 0 : 1;
    }

    private int checkStrided() {
        checkEach("strided", ConvolutionCheck::stridedProblemsOf, ConvolutionCheck::runStrided, r -> {
            if (stridedList != null && !r.wrong()) {
                // One line at a time, so that what was checked survives a later crash.
                try {
                    Files.writeString(stridedList, ConvolutionVerdicts.line(r.problem()) + "\n", StandardOpenOption.CREATE,
                            StandardOpenOption.APPEND);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot write " + stridedList + ": " + e.getMessage(), e);
                }
            }
        });
        return 0;
    }

    private interface Problems {
        List<Problem> of(RepVggSpec spec, int imageSize, int batch);
    }

    private interface Runner {
        void run(List<Problem> problems, long seed, Consumer<Result> done);
    }

    /**
     * One of the checks run in their own process: each problem's line printed (and handed to
     * {@code also}) as soon as it is known, then the verdict line; the number wrong.
     */
    private long checkEach(String what, Problems problemsOf, Runner runner, Consumer<Result> also) {
        Set<Problem> problems = new LinkedHashSet<>();
        for (int size : imageSizes) {
            for (int batch : batches) {
                problems.addAll(problemsOf.of(arch, size, batch));
            }
        }
        if (!quiet) {
            out().printf("%-55s %10s %10s %10s%n", what + " convolution", "output", "grad in", "grad w");
            out().flush();
        }
        List<Result> results = new ArrayList<>();
        runner.run(new ArrayList<>(problems), 0, r -> {
            results.add(r);
            if (!quiet) {
                out().printf("%-55s %10.1e %10.1e %10.1e%s%n", r.problem().describe(), r.output(), r.inputGradient(),
                        r.weightGradient(), r.wrong() ? "  WRONG: " + r.wrongParts() : "");
                out().flush();
            }
            also.accept(r);
        });
        long wrong = results.stream().filter(Result::wrong).count();
        out().printf("%d of %d %s convolutions wrong (relative error above %.0e) with %s=%s%n", wrong,
                results.size(), what, ConvolutionCheck.TOLERANCE, OneDnnIsa.VARIABLE, OneDnnIsa.describe());
        return wrong;
    }
}
