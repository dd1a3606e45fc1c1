package org.repvgg4j.train;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.Trainer;
import ai.djl.training.dataset.Batch;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.repvgg4j.data.ClassIndex;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.ListDataset;
import org.repvgg4j.data.Sample;
import org.repvgg4j.eval.EvalResult;
import org.repvgg4j.eval.Evaluation;
import org.repvgg4j.io.FileTrees;
import org.repvgg4j.io.FolderLock;
import org.repvgg4j.io.Sha256;
import org.repvgg4j.model.ConvolutionStrategy;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.platform.ConvolutionCheck;
import org.repvgg4j.platform.ConvolutionVerdicts;
import org.repvgg4j.platform.OneDnnIsa;
import org.repvgg4j.reparam.Equivalence;
import org.repvgg4j.reparam.VerifiedConversion;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelConfig;
import org.repvgg4j.weights.ModelDirectory;
import org.repvgg4j.weights.NetworkWeights;
import org.repvgg4j.weights.StateDict;
import org.repvgg4j.weights.WeightChecksums;

/**
 * Trains a train-form RepVGG with the official recipe and keeps a run directory a user (or
 * {@code --resume}) can pick up at any moment:
 *
 * <pre>
 * run.json       the settings          metrics.csv   one row per finished epoch
 * last/          model + checkpoint    best/         best val top-1 so far
 * deploy/        best, converted       curves.png    loss and accuracy per epoch
 * </pre>
 *
 * Directories are replaced atomically, so a {@code kill -9} at any point leaves the last finished
 * epoch intact; resuming redoes only the interrupted epoch, with the same data order and schedule.
 */
public final class TrainingRun {

    /** Progress callbacks; all run on the training thread. */
    public interface Listener {
        void batch(int epoch, int batch, int batches, double runningLoss, double imagesPerSecond);

        void epoch(EpochMetrics metrics, boolean best);

        void message(String line);
    }

    /** What a finished run produced. */
    public record Result(List<EpochMetrics> history, EpochMetrics best, Equivalence deployCheck, int skippedImages) {}

    static final String STATE_FILE = "training_state.json";
    static final String OPTIMIZER_FILE = "optimizer.safetensors";
    static final String EMA_FILE = "ema.safetensors";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    /**
     * Persisted with last/: how far the run got, and the SHA-256 of the list and class files it trained
     * on ({@code inputs}, absent in checkpoints written before it existed), so that a resumed run cannot
     * continue on different data.
     */
    record State(int epochsDone, long step, List<String> metrics, Map<String, String> inputs) {}

    private final Path runDir;
    private final TrainSettings settings;
    private final ClassIndex classes;
    private final ConvolutionStrategy convolutions;
    private final Listener listener;
    private final boolean resume;
    private final TrainingEngine engine;

    private TrainingRun(Path runDir, TrainSettings settings, ConvolutionStrategy convolutions, TrainingEngine engine,
            ClassIndex classes, Listener listener, boolean resume) {
        this.resume = resume;
        this.engine = engine;
        this.runDir = runDir;
        this.settings = settings;
        this.convolutions = convolutions;
        this.classes = classes;
        this.listener = listener;
    }

    /**
     * Trains, or with {@code resume} continues the run in {@code runDir}. The sample lists must
     * already be checked (files exist, labels in range). {@code convolutions} is how this machine
     * computes the network's convolutions (see {@link ConvolutionStrategy}); it changes no result.
     */
    public static Result run(Path runDir, TrainSettings settings, ConvolutionStrategy convolutions, ClassIndex classes,
            List<Sample> train,
            List<Sample> val, boolean resume, Listener listener) throws IOException {
        return run(runDir, settings, convolutions, TrainingEngine.AUTO, classes, train, val, resume, listener);
    }

    /** As {@link #run(Path, TrainSettings, ConvolutionStrategy, ClassIndex, List, List, boolean, Listener)}, on {@code engine}. */
    public static Result run(Path runDir, TrainSettings settings, ConvolutionStrategy convolutions, TrainingEngine engine,
            ClassIndex classes, List<Sample> train, List<Sample> val, boolean resume, Listener listener)
            throws IOException {
        try (FolderLock lock = FolderLock.acquire(runDir, "repvgg train")) {
            return runLocked(runDir, settings, convolutions, engine, classes, train, val, resume, listener);
        }
    }

    private static Result runLocked(Path runDir, TrainSettings settings, ConvolutionStrategy convolutions,
            TrainingEngine engine, ClassIndex classes, List<Sample> train, List<Sample> val, boolean resume,
            Listener listener) throws IOException {
        if (!resume) {
            if (Files.exists(runDir.resolve(TrainSettings.FILE))) {
                throw new IOException(runDir + " already holds a training run; use --resume " + runDir
                        + " to continue it, or choose another --out");
            }
        }
        return new TrainingRun(runDir, settings, convolutions, engine, classes, listener, resume).execute(train, val);
    }

    private Result execute(List<Sample> trainSamples, List<Sample> valSamples) throws IOException {
        removeStaleStaging();
        Engine.getInstance().setRandomSeed((int) settings.seed());
        RepVgg net = new RepVgg(settings.spec(), Form.TRAIN, classes.size(), convolutions);
        try (Model model = Model.newInstance("repvgg", Device.cpu());
                ListDataset trainData = trainingData(trainSamples);
                ListDataset valData = validationData(valSamples)) {
            model.setBlock(net);
            NDManager manager = model.getNDManager();
            net.initialize(manager, settings.imageSize());
            checkConvolutions(valSamples.size());
            Map<String, String> inputs = inputDigests();
            State state = restoreOrInitialise(net, manager, inputs);
            Optimisation optimisation = Optimisation.of(net, settings, classes.size(), manager);
            if (state.epochsDone() > 0) {
                restoreOptimizer(runDir.resolve("last"), optimisation, manager);
            }
            int stepsPerEpoch = trainData.batchesPerEpoch();
            if (stepsPerEpoch < 1) {
                throw new IllegalArgumentException("the training list has " + trainSamples.size()
                        + " images, fewer than one batch of " + settings.batchSize());
            }
            boolean graph = state.epochsDone() < settings.epochs()
                    && OneDnnStep.chosen(engine, settings, manager, listener::message);
            if (!resume) {
                // Only now that every check has passed: a run.json marks a run that --resume can continue.
                settings.write(runDir);
            }
            LearningRateSchedule schedule = TrainingStep.schedule(settings, stepsPerEpoch);

            List<EpochMetrics> history = new ArrayList<>();
            for (String row : state.metrics()) {
                history.add(EpochMetrics.fromCsv(row));
            }
            writeMetrics(history);
            EpochMetrics best = bestSoFar();
            long step = state.step();
            ModelConfig config = new ModelConfig(settings.spec(), Form.TRAIN, classes.names(), settings.preprocessing(),
                    Map.of("created_by", "repvgg train", "run", runDir.toAbsolutePath().toString()));
            try (Trainer trainer = model.newTrainer(TrainingStep.trainingConfig(settings, optimisation))) {
                trainer.initialize(new Shape(settings.batchSize(), 3, settings.imageSize(), settings.imageSize()));
                net.freezeThrough(settings.frozenStages());
                OneDnnStep onednn = graph ? OneDnnStep.open(settings, classes.size(), optimisation, schedule, listener::message)
                        : null;
                try {
                    for (int epoch = state.epochsDone(); epoch < settings.epochs(); epoch++) {
                        TrainingStep libtorch = new TrainingStep(trainer, optimisation, schedule, settings.weightDecay());
                        EpochTraining trained = trainEpoch(trainer, onednn == null ? libtorch::run
                                : (images, targets, at) -> onednn.run(libtorch, images, targets, at), trainData, epoch, step);
                        if (onednn != null) {
                            onednn.writeBack();
                        }
                        step = trained.step();
                        RepVgg evaluated = optimisation.evaluated();
                        EvalResult valResult = Evaluation.run(evaluated, valData, manager);
                        EpochMetrics metrics = trained.metrics(epoch + 1, valResult, (System.nanoTime() - trained.started()) / 1e9);
                        history.add(metrics);
                        boolean improved = best == null || metrics.valTop1() > best.valTop1();
                        if (improved) {
                            best = metrics;
                            // best/ before last/: a kill in between is redone from the previous checkpoint.
                            ModelDirectory.write(runDir.resolve("best"), withEpoch(config, metrics), NetworkWeights.of(evaluated));
                        }
                        State done = new State(epoch + 1, step, history.stream().map(EpochMetrics::toCsv).toList(), inputs);
                        writeCheckpoint(runDir.resolve("last"), withEpoch(config, metrics), optimisation, done);
                        writeMetrics(history);
                        Curves.write(history, runDir.resolve("curves.png"));
                        listener.epoch(metrics, improved);
                        reportSkipped(trainData, valData);
                    }
                } finally {
                    if (onednn != null) {
                        onednn.close();
                    }
                }
            }
            optimisation.close();
            Equivalence check = convertBest(manager);
            return new Result(history, best, check, trainData.skippedImages() + valData.skippedImages());
        }
    }

    private ListDataset trainingData(List<Sample> samples) {
        return new ListDataset(samples,
                ImageTransform.train(settings.preprocessing(), settings.minScale(), settings.maxScale(),
                        settings.augmentation(), settings.randomErasing()),
                new ListDataset.Options(settings.batchSize(), true, true, settings.seed(), workers(), 4,
                        settings.balanced()));
    }

    private ListDataset validationData(List<Sample> samples) {
        return new ListDataset(samples, ImageTransform.eval(settings.preprocessing()),
                new ListDataset.Options(settings.batchSize(), false, false, settings.seed(), workers(), 4));
    }

    private int workers() {
        return Math.max(1, settings.workers());
    }

    /** SHA-256 of the training list, the validation list and the class file, by role. */
    private Map<String, String> inputDigests() throws IOException {
        Map<String, String> digests = new LinkedHashMap<>();
        digests.put("train", Sha256.of(Path.of(settings.trainList())));
        digests.put("val", Sha256.of(Path.of(settings.valList())));
        digests.put("classes", Sha256.of(Path.of(settings.classFile())));
        return digests;
    }

    private Path inputFile(String role) {
        return Path.of(switch (role) {
            case "train" -> settings.trainList();
            case "val" -> settings.valList();
            default -> settings.classFile();
        });
    }

    /**
     * Where the run starts: after last/'s epoch when there is one, else from {@code --init} or fresh
     * weights. A resumed run whose last/ is gone although epochs had finished is refused, as is one whose
     * lists changed since the checkpoint: either would silently train something other than asked.
     */
    private State restoreOrInitialise(RepVgg net, NDManager manager, Map<String, String> inputs) throws IOException {
        Path last = runDir.resolve("last");
        if (resume && !Files.isRegularFile(last.resolve(STATE_FILE))) {
            long finished = Files.isRegularFile(runDir.resolve("metrics.csv"))
                    ? Math.max(0, Files.readAllLines(runDir.resolve("metrics.csv")).size() - 1) : 0;
            if (Files.isDirectory(last) || finished > 0 || Files.isDirectory(runDir.resolve("best"))) {
                throw new IOException(last.resolve(STATE_FILE) + ": missing, but " + runDir + " has "
                        + (finished > 0 ? finished + " finished epoch(s) in metrics.csv" : "a checkpoint")
                        + "; restore " + last + " from a copy, or start over with train (without --resume) and"
                        + " another --out");
            }
            listener.message("no epoch had finished before the interruption: starting from epoch 1");
        }
        if (Files.isRegularFile(last.resolve(STATE_FILE))) {
            WeightChecksums.verify(last);
            State state;
            try {
                state = GSON.fromJson(Files.readString(last.resolve(STATE_FILE)), State.class);
                if (state == null || state.metrics() == null || state.epochsDone() < 0) {
                    throw new com.google.gson.JsonParseException("fields missing");
                }
            } catch (com.google.gson.JsonParseException | IllegalStateException e) {
                throw new IOException(last.resolve(STATE_FILE) + ": not a readable training state (" + e.getMessage()
                        + "); restore " + last + " from a copy, or start over with another --out", e);
            }
            if (state.inputs() != null) {
                for (Map.Entry<String, String> e : inputs.entrySet()) {
                    String then = state.inputs().get(e.getKey());
                    if (then != null && !then.equals(e.getValue())) {
                        throw new IllegalArgumentException(inputFile(e.getKey()) + ": changed since this run started "
                                + "(SHA-256 " + Sha256.shortForm(then) + " at epoch " + state.epochsDone() + ", "
                                + Sha256.shortForm(e.getValue()) + " now); put the original back to resume, or start "
                                + "a new run with another --out");
                    }
                }
            }
            try (NDManager scratch = manager.newSubManager()) {
                NetworkWeights.load(net, StateDict.readSafetensors(last.resolve(ModelDirectory.WEIGHTS_FILE), scratch),
                        last.toString());
            }
            listener.message("resuming after epoch " + state.epochsDone() + " of " + settings.epochs()
                    + " (step " + state.step() + ")");
            return state;
        }
        if (settings.init() != null) {
            initialiseFrom(Path.of(settings.init()), net, manager);
        }
        return new State(0, 0, List.of(), inputs);
    }

    /** What one epoch's training steps left: the counts for its metrics and the global step reached. */
    private record EpochTraining(long started, double trainSeconds, double lr, double lossSum, long correct, long seen,
            long step) {

        EpochMetrics metrics(int epoch, EvalResult val, double seconds) {
            return new EpochMetrics(epoch, lr, lossSum / Math.max(1, seen), (double) correct / Math.max(1, seen),
                    val.loss(), val.top1(), val.top5(), seen / trainSeconds, seconds);
        }
    }

    /** One pass over the training data: per batch forward, loss, backward and the optimizer's step. */
    /** One optimizer step on a batch: {@link OneDnnStep#run} or libtorch's {@link TrainingStep#run}. */
    @FunctionalInterface
    private interface StepFunction {
        TrainingStep.Outcome run(NDList images, NDList targets, long step);
    }

    private EpochTraining trainEpoch(Trainer trainer, StepFunction trainingStep, ListDataset trainData, int epoch,
            long firstStep) {
        long started = System.nanoTime();
        trainData.setEpoch(epoch);
        BatchMixing mixing = BatchMixing.of(settings.mixup(), settings.cutmix(), settings.seed());
        int stepsPerEpoch = trainData.batchesPerEpoch();
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        int batchIndex = 0;
        long step = firstStep;
        double lr = 0;
        for (Batch batch : trainData.getData(trainer.getManager())) {
            try (batch) {
                int n = batch.getSize();
                NDList images = batch.getData();
                NDList targets = batch.getLabels();
                if (mixing != null) {
                    // Belongs to the batch's manager: closed with the batch.
                    BatchMixing.Mixed mixed = mixing.apply(images.singletonOrThrow(), targets.singletonOrThrow(),
                            classes.size(), step);
                    images = new NDList(mixed.images());
                    targets = new NDList(mixed.targets());
                }
                TrainingStep.Outcome outcome = trainingStep.run(images, targets, step);
                lr = outcome.lr();
                lossSum += outcome.loss() * n;
                int[] labels = batch.getLabels().singletonOrThrow().toIntArray();
                for (int i = 0; i < n; i++) {
                    correct += outcome.predicted()[i] == labels[i] ? 1 : 0;
                }
                step++;
                seen += n;
                batchIndex++;
                double elapsed = (System.nanoTime() - started) / 1e9;
                listener.batch(epoch + 1, batchIndex, stepsPerEpoch, lossSum / seen, seen / elapsed);
            }
        }
        return new EpochTraining(started, (System.nanoTime() - started) / 1e9, lr, lossSum, correct, seen, step);
    }

    private void reportSkipped(ListDataset trainData, ListDataset valData) {
        if (trainData.skippedImages() > 0 || valData.skippedImages() > 0) {
            listener.message("unreadable images skipped so far: " + trainData.skippedImages() + " (train), "
                    + valData.skippedImages() + " (val); first: "
                    + Stream.concat(trainData.problems().stream(), valData.problems().stream()).findFirst().orElse(""));
        }
    }

    private void initialiseFrom(Path dir, RepVgg net, NDManager manager) throws IOException {
        ModelConfig initConfig = ModelDirectory.readConfig(dir);
        WeightChecksums.verify(dir);
        if (initConfig.form() != Form.TRAIN) {
            throw new IllegalArgumentException(dir + " is a deploy-form model; --init needs a train-form model "
                    + "(the branches are what training updates)");
        }
        if (!initConfig.spec().equals(settings.spec())) {
            throw new IllegalArgumentException(dir + " holds RepVGG-" + initConfig.spec().name()
                    + " but --arch is " + settings.spec().name());
        }
        try (NDManager scratch = manager.newSubManager()) {
            StateDict stored = StateDict.readSafetensors(dir.resolve(ModelDirectory.WEIGHTS_FILE), scratch);
            if (initConfig.numClasses() != classes.size()) {
                StateDict fresh = NetworkWeights.of(net);
                stored.put("linear.weight", fresh.get("linear.weight"));
                stored.put("linear.bias", fresh.get("linear.bias"));
                listener.message("--init " + dir + ": backbone loaded; head re-initialised for " + classes.size()
                        + " classes (the model had " + initConfig.numClasses() + ")");
            } else {
                listener.message("--init " + dir + ": all weights loaded");
            }
            NetworkWeights.load(net, stored, dir.resolve(ModelDirectory.WEIGHTS_FILE).toString());
        }
    }

    /**
     * Warns, naming the layers, when the engine computes any of this network's convolutions wrongly
     * on this machine (see {@link ConvolutionCheck}): training would go on with wrong gradients. At
     * the training batch size and evaluation's last one, because oneDNN picks its kernels per batch
     * size. A workload found right before with the same instruction set ({@link ConvolutionVerdicts})
     * is not checked again: at 224x224 and batch 32 the check takes about 20 s, some fifteen steps.
     */
    private void checkConvolutions(int validationImages) {
        ConvolutionVerdicts.Workload workload = ConvolutionVerdicts.Workload.training(settings.spec(), settings.imageSize(),
                settings.batchSize(), validationImages);
        Path cache = ConvolutionVerdicts.directory();
        String isa = OneDnnIsa.describe();
        if (ConvolutionVerdicts.read(cache, workload, isa).orElse(false)) {
            return;
        }
        List<ConvolutionCheck.Result> wrong = ConvolutionCheck.run(workload.problems(), 0).stream()
                .filter(ConvolutionCheck.Result::wrong).toList();
        ConvolutionVerdicts.write(cache, workload, isa, wrong.isEmpty());
        for (ConvolutionCheck.Result r : wrong) {
            listener.message(String.format("WARNING: the engine computes this convolution wrongly on this machine: %s (%s,"
                    + " relative error %.1e)", r.problem().describe(), r.wrongParts(), r.worst()));
        }
        if (!wrong.isEmpty()) {
            listener.message("WARNING: " + wrong.size() + " convolution(s) above are wrong with " + OneDnnIsa.VARIABLE + "="
                    + isa + "; training goes on, but those layers get wrong gradients."
                    + " The repvgg launcher picks AVX2 where the default is wrong; see `repvgg doctor`.");
        }
    }

    private void restoreOptimizer(Path last, Optimisation optimisation, NDManager manager) throws IOException {
        Map<String, Parameter> byKey = optimisation.byKey();
        NesterovSgd sgd = optimisation.sgd();
        WeightEma ema = optimisation.ema();
        try (NDManager scratch = manager.newSubManager()) {
            Path optimizerFile = last.resolve(OPTIMIZER_FILE);
            if (Files.isRegularFile(optimizerFile)) {
                StateDict velocity = StateDict.readSafetensors(optimizerFile, scratch);
                for (String key : velocity.keys()) {
                    Parameter p = byKey.get(key);
                    if (p == null) {
                        throw new IOException(optimizerFile + ": unknown key '" + key + "'");
                    }
                    sgd.restoreVelocity(p.getId(), p.getArray(), velocity.get(key).toFloatArray());
                }
            }
            Path emaFile = last.resolve(EMA_FILE);
            if (ema != null && Files.isRegularFile(emaFile)) {
                StateDict stored = StateDict.readSafetensors(emaFile, scratch);
                for (String key : stored.keys()) {
                    ema.weights().get(key).set(java.nio.FloatBuffer.wrap(stored.get(key).toFloatArray()));
                }
            }
        }
    }

    private void writeCheckpoint(Path last, ModelConfig config, Optimisation optimisation, State state) throws IOException {
        Map<String, Parameter> byKey = optimisation.byKey();
        NesterovSgd sgd = optimisation.sgd();
        WeightEma ema = optimisation.ema();
        ModelDirectory.write(last, config, NetworkWeights.of(optimisation.net()), staging -> {
            StateDict velocity = new StateDict();
            byKey.forEach((key, p) -> {
                NDArray v = sgd.velocity().get(p.getId());
                if (v != null) {
                    velocity.put(key, v);
                }
            });
            velocity.writeSafetensors(staging.resolve(OPTIMIZER_FILE));
            if (ema != null) {
                ema.weights().writeSafetensors(staging.resolve(EMA_FILE));
            }
            Files.writeString(staging.resolve(STATE_FILE), GSON.toJson(state) + "\n", StandardCharsets.UTF_8);
        });
    }

    private ModelConfig withEpoch(ModelConfig config, EpochMetrics m) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("epoch", String.valueOf(m.epoch()));
        p.put("val_top1", String.format(Locale.ROOT, "%.5f", m.valTop1()));
        p.put("saved_at", Instant.now().toString());
        return config.withProvenance(p);
    }

    /** The best epoch as best/ itself records it, so a kill between writes cannot make them disagree. */
    private EpochMetrics bestSoFar() throws IOException {
        Path best = runDir.resolve("best");
        if (!Files.isRegularFile(best.resolve(ModelDirectory.CONFIG_FILE))) {
            return null;
        }
        ModelConfig c = ModelDirectory.readConfig(best);
        String top1 = c.provenance().get("val_top1");
        String epoch = c.provenance().get("epoch");
        if (top1 == null || epoch == null) {
            return null;
        }
        return new EpochMetrics(Integer.parseInt(epoch), 0, 0, 0, 0, Double.parseDouble(top1), 0, 0, 0);
    }

    private void writeMetrics(List<EpochMetrics> history) throws IOException {
        StringBuilder csv = new StringBuilder(EpochMetrics.HEADER).append('\n');
        for (EpochMetrics m : history) {
            csv.append(m.toCsv()).append('\n');
        }
        Path tmp = runDir.resolve("metrics.csv.tmp");
        Files.writeString(tmp, csv, StandardCharsets.UTF_8);
        Files.move(tmp, runDir.resolve("metrics.csv"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private Equivalence convertBest(NDManager manager) throws IOException {
        Path bestDir = runDir.resolve("best");
        try (NDManager scope = manager.newSubManager()) {
            LoadedModel best = ModelDirectory.load(bestDir, scope);
            VerifiedConversion.Result converted = VerifiedConversion.run(best, scope, 2, settings.seed());
            listener.message("deploy check: " + converted.equivalence());
            if (!converted.equivalence().holds()) {
                throw new IllegalStateException("deploy form of best/ does not reproduce it: " + converted.equivalence());
            }
            ModelDirectory.write(runDir.resolve("deploy"), converted.deploy().config(), converted.weights());
            return converted.equivalence();
        }
    }

    /** Half-written directories from a killed run (the atomic writer's staging folders). */
    private void removeStaleStaging() throws IOException {
        if (!Files.isDirectory(runDir)) {
            return;
        }
        try (Stream<Path> entries = Files.list(runDir)) {
            for (Path p : entries.filter(p -> p.getFileName().toString().matches("\\..*\\.(writing|old)-.*")).toList()) {
                FileTrees.delete(p);
            }
        }
    }
}
