package org.repvgg4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVggSpec;
import org.repvgg4j.weights.TorchUnpickler.PythonObject;
import org.repvgg4j.weights.TorchUnpickler.TensorRef;

/**
 * Reads a RepVGG checkpoint as PyTorch users have it -- a {@code torch.save} zip or a safetensors
 * file, official, timm or mmcls key names, train or deploy form -- into weights under the official
 * names, and works out (unless told) the layout, the form and the architecture.
 */
public final class CheckpointImporter {

    /** Keys a training script commonly wraps its state dict in, tried in this order. */
    static final List<String> CONTAINER_KEYS = List.of("state_dict", "model", "model_state_dict", "net");

    private static final String DDP_PREFIX = "module.";

    /** What the user already knows about the checkpoint; a null field is detected. */
    public record Hints(RepVggSpec arch, KeyLayout layout, Form form) {

        public static Hints none() {
            return new Hints(null, null, null);
        }
    }

    private CheckpointImporter() {}

    /** Tensors as found, by their names in the file, and where in the file they were. */
    private record Found(Map<String, NDArray> tensors, String container) {}

    public static ImportedCheckpoint read(Path file, Hints hints, NDManager manager) throws IOException {
        CheckpointFormat format = CheckpointFormat.sniff(file);
        Found found = format == CheckpointFormat.TORCH_ZIP ? readTorch(file, manager) : readSafetensors(file, manager);
        Map<String, NDArray> tensors = found.tensors();
        String stripped = "";
        if (!tensors.isEmpty() && tensors.keySet().stream().allMatch(k -> k.startsWith(DDP_PREFIX))) {
            stripped = DDP_PREFIX;
            Map<String, NDArray> unwrapped = new LinkedHashMap<>();
            tensors.forEach((k, v) -> unwrapped.put(k.substring(DDP_PREFIX.length()), v));
            tensors = unwrapped;
        }

        KeyLayout layout = hints.layout();
        boolean layoutDetected = layout == null;
        var detected = KeyLayout.detect(tensors.keySet());
        if (layout == null) {
            layout = detected.orElseThrow(() -> new IllegalArgumentException(file
                    + ": cannot tell whose key names these are (first key '" + first(found.tensors()) + "'); "
                    + "pass --layout official|timm|mmcls"));
        } else if (detected.isPresent() && detected.get() != layout) {
            throw new IllegalArgumentException(file + ": --layout " + layout.id() + " was given, but the keys are "
                    + detected.get().id() + " names (first key '" + first(found.tensors()) + "')");
        }
        StateDict official = new StateDict();
        Map<String, String> originalNames = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            if (e.getKey().endsWith(".num_batches_tracked")) {
                continue; // a training counter; inference never reads it
            }
            String key = layout.toOfficial(e.getKey());
            String clash = originalNames.put(key, e.getKey());
            if (clash != null) {
                throw new IllegalArgumentException(file + ": keys '" + clash + "' and '" + e.getKey()
                        + "' both mean '" + key + "' in the " + layout.id() + " layout");
            }
            official.put(key, e.getValue());
        }

        Form form = detectForm(official, file);
        if (hints.form() != null && hints.form() != form) {
            throw new IllegalArgumentException(file + ": holds " + form.id() + "-form weights ("
                    + (form == Form.TRAIN ? "rbr_dense/rbr_1x1 branches" : "rbr_reparam kernels")
                    + ") but --form " + hints.form().id() + " was given");
        }
        RepVggSpec spec = hints.arch() != null ? hints.arch() : ArchDetector.detect(official.shapes(), form, file.toString());
        OptionalInt headClasses = OptionalInt.empty();
        if (official.contains("linear.weight")) {
            Shape head = official.get("linear.weight").getShape();
            headClasses = OptionalInt.of((int) head.get(0));
        }
        return new ImportedCheckpoint(file, format, found.container(), stripped, layout, layoutDetected, form, spec,
                hints.arch() == null, headClasses, official, originalNames);
    }

    private static Form detectForm(StateDict weights, Path file) {
        boolean train = weights.keys().stream().anyMatch(k -> k.contains(".rbr_dense."));
        boolean deploy = weights.keys().stream().anyMatch(k -> k.contains(".rbr_reparam."));
        if (train && deploy) {
            throw new IllegalArgumentException(file + ": holds both train-form (rbr_dense) and deploy-form "
                    + "(rbr_reparam) blocks; convert it fully in PyTorch first");
        }
        if (!train && !deploy) {
            throw new IllegalArgumentException(file + ": no RepVGG blocks found (no 'rbr_dense' or 'rbr_reparam' "
                    + "kernels after translating the keys; first key '" + weights.keys().stream().findFirst()
                    .orElse("none") + "'); is this a RepVGG checkpoint?");
        }
        return train ? Form.TRAIN : Form.DEPLOY;
    }

    private static Found readSafetensors(Path file, NDManager manager) throws IOException {
        return new Found(SafetensorsFile.read(file, manager), "top level");
    }

    private static Found readTorch(Path file, NDManager manager) throws IOException {
        try (TorchCheckpoint checkpoint = TorchCheckpoint.open(file)) {
            Object root = checkpoint.root();
            String container = "top level";
            Map<?, ?> dict = tensorMap(root);
            while (dict == null && root instanceof Map<?, ?> map) {
                Object inner = null;
                for (String key : CONTAINER_KEYS) {
                    if (map.get(key) instanceof Map<?, ?>) {
                        inner = map.get(key);
                        container = (container.equals("top level") ? "" : container + " -> ") + "'" + key + "'";
                        break;
                    }
                }
                if (inner == null) {
                    throw new IllegalArgumentException(file + ": no state dict found: the checkpoint is a dict of "
                            + describeKeys(map) + "; expected tensors at the top level or under "
                            + String.join(", ", CONTAINER_KEYS.stream().map(k -> "'" + k + "'").toList()));
                }
                root = inner;
                dict = tensorMap(root);
            }
            if (dict == null) {
                String what = root instanceof PythonObject o ? "a pickled " + o.className + " object"
                        : root == null ? "None" : "a " + root.getClass().getSimpleName();
                throw new IllegalArgumentException(file + ": holds " + what + ", not a state dict; in Python, "
                        + "torch.save(model.state_dict(), 'weights.pth') and import that");
            }
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : dict.entrySet()) {
                if (e.getValue() instanceof TensorRef ref) {
                    String key = String.valueOf(e.getKey());
                    tensors.put(key, checkpoint.materialize(ref, key, manager));
                }
            }
            return new Found(tensors, container);
        }
    }

    /** {@code o} if it is a dict holding at least one tensor, else null. */
    private static Map<?, ?> tensorMap(Object o) {
        if (o instanceof Map<?, ?> map && map.values().stream().anyMatch(v -> v instanceof TensorRef)) {
            return map;
        }
        return null;
    }

    private static String describeKeys(Map<?, ?> map) {
        List<String> keys = new ArrayList<>();
        for (Object k : map.keySet()) {
            if (keys.size() == 8) {
                keys.add("...");
                break;
            }
            keys.add("'" + k + "'");
        }
        return "[" + String.join(", ", keys) + "]";
    }

    private static String first(Map<String, ?> map) {
        return map.keySet().stream().findFirst().orElse("none");
    }
}
