package org.repvgg4j.weights;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a code base names RepVGG's tensors, and the way back to the official names we use.
 *
 * <ul>
 *   <li>{@code official} (DingXiaoH/RepVGG): {@code stage0.rbr_dense.conv.weight},
 *       {@code stage2.1.rbr_identity.running_var}, {@code stageN.i.rbr_reparam.weight},
 *       {@code stageN.i.se.down.weight}, {@code linear.weight}
 *   <li>{@code timm} (timm/models/byobnet.py): {@code stem.conv_kxk.conv.weight},
 *       {@code stages.1.1.identity.running_var}, {@code stages.N-1.i.reparam_conv.weight},
 *       {@code conv_1x1.bn.*}, {@code attn.fc1/fc2.*}, {@code head.fc.weight}
 *   <li>{@code mmcls} (mmpretrain / mmcls and Awesome-Backbones, models/backbones/repvgg.py):
 *       {@code backbone.stem.branch_3x3.conv.weight}, {@code backbone.stage_2.1.branch_norm.*},
 *       {@code branch_1x1.norm.*}, {@code branch_reparam.*}, {@code se_layer.conv1.conv.*},
 *       {@code head.fc.weight}
 * </ul>
 */
public enum KeyLayout {
    OFFICIAL(Pattern.compile("^stage\\d\\."), List.of()),
    TIMM(Pattern.compile("^(stem|stages)\\."), List.of(
            new String[] {"conv_kxk.", "rbr_dense."},
            new String[] {"conv_1x1.", "rbr_1x1."},
            new String[] {"identity.", "rbr_identity."},
            new String[] {"reparam_conv.", "rbr_reparam."},
            new String[] {"attn.fc1.", "se.down."},
            new String[] {"attn.fc2.", "se.up."})),
    MMCLS(Pattern.compile("^backbone\\."), List.of(
            new String[] {"branch_3x3.conv.", "rbr_dense.conv."},
            new String[] {"branch_3x3.norm.", "rbr_dense.bn."},
            new String[] {"branch_3x3.bn.", "rbr_dense.bn."},
            new String[] {"branch_1x1.conv.", "rbr_1x1.conv."},
            new String[] {"branch_1x1.norm.", "rbr_1x1.bn."},
            new String[] {"branch_1x1.bn.", "rbr_1x1.bn."},
            new String[] {"branch_norm.", "rbr_identity."},
            new String[] {"branch_reparam.", "rbr_reparam."},
            new String[] {"se_layer.conv1.conv.", "se.down."},
            new String[] {"se_layer.conv2.conv.", "se.up."}));

    private static final Pattern TIMM_BLOCK = Pattern.compile("^stages\\.(\\d+)\\.(\\d+)\\.");
    private static final Pattern MMCLS_BLOCK = Pattern.compile("^backbone\\.stage_(\\d+)\\.(\\d+)\\.");

    private final Pattern marker;
    private final List<String[]> modules;

    KeyLayout(Pattern marker, List<String[]> modules) {
        this.marker = marker;
        this.modules = modules;
    }

    /** The lower-case name used on the command line and in provenance. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static KeyLayout parse(String text) {
        for (KeyLayout l : values()) {
            if (l.id().equalsIgnoreCase(text.trim())) {
                return l;
            }
        }
        throw new IllegalArgumentException("unknown key layout '" + text + "' (expected official, timm or mmcls)");
    }

    /**
     * The layout most of {@code keys} are written in, judged by their block prefixes
     * ({@code stage0.}, {@code stem.}/{@code stages.}, {@code backbone.}); empty if none fits.
     */
    public static Optional<KeyLayout> detect(Collection<String> keys) {
        KeyLayout best = null;
        long bestCount = 0;
        for (KeyLayout l : values()) {
            long count = keys.stream().filter(k -> l.marker.matcher(k).find()).count();
            if (count > bestCount) {
                best = l;
                bestCount = count;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * The official name of {@code key}, or {@code key} itself if this layout has no such tensor
     * (loading then reports it as unexpected, by its own name).
     */
    public String toOfficial(String key) {
        if (this == OFFICIAL) {
            return key;
        }
        String block;
        String rest;
        Matcher m;
        if (key.startsWith("head.fc.")) {
            return "linear." + key.substring("head.fc.".length());
        } else if (this == TIMM && key.startsWith("stem.")) {
            block = "stage0.";
            rest = key.substring("stem.".length());
        } else if (this == TIMM && (m = TIMM_BLOCK.matcher(key)).find()) {
            block = "stage" + (Integer.parseInt(m.group(1)) + 1) + "." + m.group(2) + ".";
            rest = key.substring(m.end());
        } else if (this == MMCLS && (key.startsWith("backbone.stem.") || key.startsWith("backbone.stage_0."))) {
            // early mmcls releases named the stem stage_0
            block = "stage0.";
            rest = key.substring(key.indexOf('.', "backbone.".length()) + 1);
        } else if (this == MMCLS && (m = MMCLS_BLOCK.matcher(key)).find()) {
            block = "stage" + m.group(1) + "." + m.group(2) + ".";
            rest = key.substring(m.end());
        } else {
            return key;
        }
        for (String[] rename : modules) {
            if (rest.startsWith(rename[0])) {
                return block + rename[1] + rest.substring(rename[0].length());
            }
        }
        return key;
    }
}
