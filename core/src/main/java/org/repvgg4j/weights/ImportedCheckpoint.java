package org.repvgg4j.weights;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import org.repvgg4j.model.Form;
import org.repvgg4j.model.RepVgg;
import org.repvgg4j.model.RepVggSpec;

/**
 * A PyTorch checkpoint read and translated: its weights under official keys and what they are.
 *
 * @param headClasses classes of the checkpoint's own head; empty for a backbone without one
 * @param container where the state dict was in the file: {@code top level}, {@code 'state_dict'}, ...
 * @param strippedPrefix the prefix removed from every key ({@code module.} of DistributedDataParallel), or empty
 * @param fileNames each official key's name in the file (after the prefix), for error messages
 */
public record ImportedCheckpoint(
        Path file, CheckpointFormat format, String container, String strippedPrefix,
        KeyLayout layout, boolean layoutDetected, Form form, RepVggSpec spec, boolean archDetected,
        OptionalInt headClasses, StateDict weights, Map<String, String> fileNames) {

    public ImportedCheckpoint {
        fileNames = Map.copyOf(fileNames);
    }

    /** A copy whose head is new and random ({@link ClassifierHead}) for {@code numClasses} classes. */
    public ImportedCheckpoint withFreshHead(int numClasses, long seed, NDManager manager) {
        StateDict replaced = StateDict.of(weights.asMap());
        ClassifierHead.reinitialise(replaced, spec.featureChannels(), numClasses, seed, manager);
        return new ImportedCheckpoint(file, format, container, strippedPrefix, layout, layoutDetected, form, spec,
                archDetected, OptionalInt.of(numClasses), replaced, fileNames);
    }

    /**
     * The network these weights belong to, built for {@code inputSize} and holding them. Missing or
     * unexpected keys and shape mismatches are errors naming the key (and both shapes), citing the file.
     */
    public RepVgg network(int inputSize, NDManager manager) {
        if (headClasses.isEmpty()) {
            throw new IllegalArgumentException(file + ": has no classifier head ('linear.weight' or its "
                    + layout.id() + " name); give --classes or --num-classes for a new one");
        }
        RepVgg net = new RepVgg(spec, form, headClasses.getAsInt());
        net.initialize(manager, inputSize);
        try {
            NetworkWeights.load(net, weights, file.toString());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + inFileNames(net), e);
        }
        return net;
    }

    /** For a translated layout, the file's own name of the first key the network does not have. */
    private String inFileNames(RepVgg net) {
        if (layout == KeyLayout.OFFICIAL) {
            return "";
        }
        for (String key : weights.keys()) {
            if (!net.stateDict().containsKey(key) && fileNames.containsKey(key) && !fileNames.get(key).equals(key)) {
                return " (keys in official names; '" + key + "' is '" + fileNames.get(key) + "' in the file)";
            }
        }
        return " (keys in official names, translated from the file's " + layout.id() + " names)";
    }

    /** What model.json records about where the weights came from. */
    public Map<String, String> provenance() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("source_file", file.toAbsolutePath().normalize().toString());
        p.put("source_format", format.description());
        p.put("source_container", container + (strippedPrefix.isEmpty() ? "" : ", '" + strippedPrefix + "' prefix removed"));
        p.put("source_layout", layout.id() + (layoutDetected ? " (detected)" : " (given)"));
        p.put("source_form", form.id());
        p.put("source_arch", spec.name() + (archDetected ? " (detected from shapes)" : " (given)"));
        return p;
    }
}
