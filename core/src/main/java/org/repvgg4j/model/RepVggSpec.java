package org.repvgg4j.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A RepVGG architecture as data: blocks per stage, width multipliers, grouped layers and SE.
 *
 * <p>The official variants are the rows of the paper's table (Ding et al., 2021, Table 2) and of
 * the official code's {@code func_dict}. Custom specs (tiny widths, shallow stages) are for tests
 * and small images. A spec is parsed from its name ({@code A0}, {@code repvgg_b1g4},
 * {@code RepVGG-D2se}) or from the custom form {@code depths=1,1,1,1;widths=0.25,0.25,0.25,0.5}
 * with optional {@code ;groups=2} and {@code ;se=true}.
 */
public record RepVggSpec(
        String name, List<Integer> depths, List<Double> widths, int groups, boolean se) {

    /** Base widths of stages 1..4 before the multipliers; stage 0 is {@code min(64, 64a)}. */
    public static final List<Integer> BASE_WIDTHS = List.of(64, 128, 256, 512);

    /** Layers (counted from 1 after stage 0) whose 3x3 and 1x1 convs are grouped in g2/g4 variants. */
    public static final Set<Integer> GROUPED_LAYERS =
            IntStream.rangeClosed(1, 13).map(i -> 2 * i).boxed().collect(Collectors.toUnmodifiableSet());

    /** Channel reduction of the squeeze-excitation bottleneck. */
    public static final int SE_REDUCTION = 16;

    private static final List<Integer> A_DEPTHS = List.of(2, 4, 14, 1);
    private static final List<Integer> B_DEPTHS = List.of(4, 6, 16, 1);
    private static final List<Integer> D_DEPTHS = List.of(8, 14, 24, 1);

    //                                 name     depths    widths (a, a, a, b)    groups  SE
    private static final List<RepVggSpec> OFFICIAL = List.of(
            new RepVggSpec("A0",   A_DEPTHS, List.of(0.75, 0.75, 0.75, 2.5),  1, false),
            new RepVggSpec("A1",   A_DEPTHS, List.of(1.0, 1.0, 1.0, 2.5),     1, false),
            new RepVggSpec("A2",   A_DEPTHS, List.of(1.5, 1.5, 1.5, 2.75),    1, false),
            new RepVggSpec("B0",   B_DEPTHS, List.of(1.0, 1.0, 1.0, 2.5),     1, false),
            new RepVggSpec("B1",   B_DEPTHS, List.of(2.0, 2.0, 2.0, 4.0),     1, false),
            new RepVggSpec("B1g2", B_DEPTHS, List.of(2.0, 2.0, 2.0, 4.0),     2, false),
            new RepVggSpec("B1g4", B_DEPTHS, List.of(2.0, 2.0, 2.0, 4.0),     4, false),
            new RepVggSpec("B2",   B_DEPTHS, List.of(2.5, 2.5, 2.5, 5.0),     1, false),
            new RepVggSpec("B2g2", B_DEPTHS, List.of(2.5, 2.5, 2.5, 5.0),     2, false),
            new RepVggSpec("B2g4", B_DEPTHS, List.of(2.5, 2.5, 2.5, 5.0),     4, false),
            new RepVggSpec("B3",   B_DEPTHS, List.of(3.0, 3.0, 3.0, 5.0),     1, false),
            new RepVggSpec("B3g2", B_DEPTHS, List.of(3.0, 3.0, 3.0, 5.0),     2, false),
            new RepVggSpec("B3g4", B_DEPTHS, List.of(3.0, 3.0, 3.0, 5.0),     4, false),
            new RepVggSpec("D2se", D_DEPTHS, List.of(2.5, 2.5, 2.5, 5.0),     1, true));

    public RepVggSpec {
        depths = List.copyOf(depths);
        widths = List.copyOf(widths);
        if (depths.size() != 4 || widths.size() != 4) {
            throw new IllegalArgumentException(
                    "a RepVGG spec has 4 stages after stage 0: depths " + depths + ", widths " + widths);
        }
        for (int d : depths) {
            if (d < 1) {
                throw new IllegalArgumentException("every stage needs at least one block: depths " + depths);
            }
        }
        for (int i = 0; i < 4; i++) {
            if (widths.get(i) <= 0 || (int) (BASE_WIDTHS.get(i) * widths.get(i)) < 1) {
                throw new IllegalArgumentException("width multiplier too small: widths " + widths);
            }
        }
        if (groups < 1) {
            throw new IllegalArgumentException("groups must be >= 1, got " + groups);
        }
        int stem = Math.min(64, (int) (64 * widths.get(0)));
        for (int i = 0; i < 4; i++) {
            int channels = (int) (BASE_WIDTHS.get(i) * widths.get(i));
            if (groups > 1 && (channels % groups != 0 || (i == 0 && stem % groups != 0))) {
                throw new IllegalArgumentException("stage " + (i + 1) + " has " + channels
                        + " channels, which do not divide into " + groups + " groups");
            }
        }
        if (name == null || name.isBlank()) {
            name = customName(depths, widths, groups, se);
        }
    }

    /** A custom spec; its name is its own parseable description. */
    public static RepVggSpec custom(List<Integer> depths, List<Double> widths, int groups, boolean se) {
        return new RepVggSpec(null, depths, widths, groups, se);
    }

    /** The official variants in the paper's order. */
    public static List<RepVggSpec> officialVariants() {
        return OFFICIAL;
    }

    /**
     * Parses a variant name ({@code A0}, {@code repvgg_a0}, {@code RepVGG-B1g4}) or a custom
     * description ({@code depths=1,1,1,1;widths=0.25,0.25,0.25,0.5;groups=2;se=true}).
     */
    public static RepVggSpec parse(String text) {
        String trimmed = text.trim();
        if (trimmed.contains("=")) {
            return parseCustom(trimmed);
        }
        String key = trimmed.toLowerCase(Locale.ROOT).replaceFirst("^repvgg[-_]?", "");
        for (RepVggSpec spec : OFFICIAL) {
            if (spec.name.toLowerCase(Locale.ROOT).equals(key)) {
                return spec;
            }
        }
        throw new IllegalArgumentException("unknown RepVGG arch '" + text + "'; known: "
                + OFFICIAL.stream().map(RepVggSpec::name).collect(Collectors.joining(", "))
                + ", or a custom 'depths=..;widths=..[;groups=G][;se=true]'");
    }

    private static RepVggSpec parseCustom(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (String part : text.split(";")) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("custom arch '" + text + "': '" + part + "' is not key=value");
            }
            fields.put(kv[0].trim().toLowerCase(Locale.ROOT), kv[1].trim());
        }
        Set<String> known = Set.of("depths", "widths", "groups", "se");
        for (String k : fields.keySet()) {
            if (!known.contains(k)) {
                throw new IllegalArgumentException("custom arch '" + text + "': unknown field '" + k
                        + "' (known: depths, widths, groups, se)");
            }
        }
        if (!fields.containsKey("depths") || !fields.containsKey("widths")) {
            throw new IllegalArgumentException("custom arch '" + text + "' needs both depths= and widths=");
        }
        try {
            List<Integer> depths = splitNumbers(fields.get("depths")).stream().map(Integer::parseInt).toList();
            List<Double> widths = splitNumbers(fields.get("widths")).stream().map(Double::parseDouble).toList();
            int groups = Integer.parseInt(fields.getOrDefault("groups", "1"));
            boolean se = Boolean.parseBoolean(fields.getOrDefault("se", "false"));
            return custom(depths, widths, groups, se);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("custom arch '" + text + "': " + e.getMessage(), e);
        }
    }

    private static List<String> splitNumbers(String csv) {
        List<String> out = new ArrayList<>();
        for (String s : csv.split(",")) {
            out.add(s.trim());
        }
        return out;
    }

    private static String customName(List<Integer> depths, List<Double> widths, int groups, boolean se) {
        String w = widths.stream().map(RepVggSpec::formatWidth).collect(Collectors.joining(","));
        String d = depths.stream().map(String::valueOf).collect(Collectors.joining(","));
        return "depths=" + d + ";widths=" + w + (groups > 1 ? ";groups=" + groups : "") + (se ? ";se=true" : "");
    }

    private static String formatWidth(double w) {
        return w == Math.rint(w) ? String.valueOf((long) w) : String.valueOf(w);
    }

    /** Whether this is one of the paper's variants (by name and content). */
    public boolean isOfficial() {
        return OFFICIAL.contains(this);
    }

    /** Output channels of stage 0, the stem: {@code min(64, int(64 a))}. */
    public int stemChannels() {
        return Math.min(64, (int) (64 * widths.get(0)));
    }

    /** Output channels of stage {@code s} (1..4). */
    public int stageChannels(int stage) {
        return (int) (BASE_WIDTHS.get(stage - 1) * widths.get(stage - 1));
    }

    /** Channels entering the classifier head. */
    public int featureChannels() {
        return stageChannels(4);
    }

    /**
     * Every block of the network in order: stage 0 (one block), then stages 1..4. The first block
     * of each stage has stride 2, so the features are 1/32 of the input.
     */
    public List<BlockPlan> blocks() {
        List<BlockPlan> plan = new ArrayList<>();
        plan.add(new BlockPlan(0, 0, 0, 3, stemChannels(), 2, 1, se));
        int in = stemChannels();
        int layer = 1;
        for (int stage = 1; stage <= 4; stage++) {
            int out = stageChannels(stage);
            for (int i = 0; i < depths.get(stage - 1); i++) {
                int g = GROUPED_LAYERS.contains(layer) ? groups : 1;
                plan.add(new BlockPlan(stage, i, layer, in, out, i == 0 ? 2 : 1, g, se));
                in = out;
                layer++;
            }
        }
        return Collections.unmodifiableList(plan);
    }

    @Override
    public String toString() {
        return name;
    }
}
