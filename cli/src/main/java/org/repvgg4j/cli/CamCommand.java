package org.repvgg4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.repvgg4j.data.ImageDecoder;
import org.repvgg4j.data.ImageTransform;
import org.repvgg4j.data.ListEntry;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.data.RgbImage;
import org.repvgg4j.explain.CamOverlay;
import org.repvgg4j.explain.GradCam;
import org.repvgg4j.io.Npy;
import org.repvgg4j.io.NpyArray;
import org.repvgg4j.weights.LoadedModel;
import org.repvgg4j.weights.ModelDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "cam", mixinStandardHelpOptions = true,
        description = {"Grad-CAM: where in each image the network found the evidence for a class.",
            "Writes OUT/<image name>.cam.png: the part of the image the network sees (the model's resize and",
            "center crop) under the map in jet colours, red where the class's score was raised most.",
            "The class is the top prediction unless --class names one; the map is over the output of",
            "--layer (the last stage by default, the usual choice). Computed in float64 on the network."})
final class CamCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "model directory (train or deploy form; both give the same maps)")
    Path model;

    @Parameters(paramLabel = "IMAGE", arity = "0..*", description = "image files (jpg, png, bmp, gif, webp)")
    List<Path> images = new ArrayList<>();

    @Option(names = "--list", paramLabel = "FILE",
            description = "also the images of a list file (train.txt / val.txt format; labels, if any, are not used)")
    Path list;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "folder for the pictures (created)")
    Path out;

    @Option(names = "--class", paramLabel = "NAME|INDEX",
            description = "explain this class instead of each image's top prediction")
    String className;

    @Option(names = "--layer", defaultValue = "stage4", paramLabel = "NAME",
            description = "whose output the map is over: stage1..stage4 (a stage's last block) or one block, "
                    + "as stage3.5 (default: ${DEFAULT-VALUE})")
    String layer;

    @Option(names = "--side", paramLabel = "PX",
            description = "side of the pictures in pixels (default: the model's input size, at least 224)")
    Integer side;

    @Option(names = "--save-map", description = "also write the raw map as OUT/<image name>.cam.npy (float32, h x w)")
    boolean saveMap;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(model)) {
            throw new IllegalArgumentException(model + ": cam needs a model directory (model.json + "
                    + "model.safetensors), since it runs the network's gradients; an exported file will not do");
        }
        if (side != null && side < 1) {
            throw new IllegalArgumentException("--side must be at least 1");
        }
        if (list != null) {
            for (ListEntry entry : ListFile.read(list).entries()) {
                images.add(entry.path());
            }
        }
        if (images.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give image files or --list FILE");
        }
        int failures = 0;
        try (NDManager manager = NDManager.newBaseManager()) {
            LoadedModel loaded = ModelDirectory.load(model, manager);
            List<String> classes = loaded.config().classes();
            int classIndex = className == null ? -1 : classIndex(className, classes);
            ImageTransform transform = ImageTransform.eval(loaded.config().preprocessing());
            int inputSize = transform.size();
            int pictureSide = side != null ? side : Math.max(inputSize, CamOverlay.MIN_SIDE);
            Files.createDirectories(out);
            Set<String> taken = new HashSet<>();
            try (GradCam cam = GradCam.of(loaded.network(), layer, manager)) {
                for (Path image : images) {
                    RgbImage rgb;
                    try {
                        rgb = ImageDecoder.read(image);
                    } catch (IOException e) {
                        failures++;
                        err().println("cam: " + RepVggCommand.describe(e));
                        continue;
                    }
                    GradCam.ClassMap map = cam.explain(transform.apply(rgb, null), inputSize, classIndex);
                    String name = uniqueName(image, taken);
                    Path png = out.resolve(name + ".cam.png");
                    CamOverlay.writePng(png, rgb, loaded.config().preprocessing(), map, pictureSide);
                    if (saveMap) {
                        float[] values = new float[map.values().length];
                        for (int i = 0; i < values.length; i++) {
                            values[i] = (float) map.values()[i];
                        }
                        Npy.write(out.resolve(name + ".cam.npy"),
                                NpyArray.ofFloats(new long[] {map.height(), map.width()}, values));
                    }
                    out().printf(Locale.ROOT, "%s: %s %.3f (%s, %dx%d)%s -> %s%n", image, classes.get(map.classIndex()),
                            map.probability(), cam.layerName(), map.height(), map.width(),
                            isZero(map) ? " [map is zero: nothing here raised this class's score]" : "", png);
                }
            }
        }
        return failures == 0 ? 0 : 1;
    }

    /** A class given by name (as in the model's class list) or by index. */
    private int classIndex(String given, List<String> classes) {
        int byName = classes.indexOf(given);
        if (byName >= 0) {
            return byName;
        }
        if (given.matches("\\d+")) {
            int index = Integer.parseInt(given);
            if (index < classes.size()) {
                return index;
            }
        }
        throw new IllegalArgumentException("--class " + given + ": no such class in "
                + model.resolve(ModelDirectory.CONFIG_FILE) + " (" + classes.size() + " classes: "
                + String.join(", ", classes.subList(0, Math.min(5, classes.size())))
                + (classes.size() > 5 ? ", ..." : "") + "; or an index 0.." + (classes.size() - 1) + ")");
    }

    /** The image's file name without its extension, with -2, -3, ... if an earlier image had it too. */
    private static String uniqueName(Path image, Set<String> taken) {
        String file = image.getFileName().toString();
        int dot = file.lastIndexOf('.');
        String stem = dot > 0 ? file.substring(0, dot) : file;
        String name = stem;
        for (int n = 2; !taken.add(name); n++) {
            name = stem + "-" + n;
        }
        return name;
    }

    private static boolean isZero(GradCam.ClassMap map) {
        for (double v : map.values()) {
            if (v > 0) {
                return false;
            }
        }
        return true;
    }
}
