package org.repvgg4j.data.augment;

import java.util.Locale;
import java.util.Random;
import org.repvgg4j.data.RgbImage;

/**
 * A learned or random augmentation policy applied to each training crop after the flip:
 * AutoAugment (Cubuk et al. 2019, the ImageNet policy, as the RepVGG-B2/B3 recipes use) or
 * RandAugment (Cubuk et al. 2020, as timm configures it). Given by timm's configuration strings.
 */
public sealed interface Augmentation permits AutoAugment, RandAugment {

    /** The image after the policy; every random choice comes from {@code random}. */
    RgbImage apply(RgbImage image, Random random);

    /** The policy as a configuration string that {@link #parse} reads back. */
    String id();

    /**
     * A policy from its configuration string, or {@code null} for {@code none}:
     * <ul>
     *   <li>{@code original} (alias {@code autoaugment}): AutoAugment's ImageNet policy; {@code
     *       original-mstd0.5} jitters its magnitudes;</li>
     *   <li>{@code rand-m9-n2-mstd0.5-inc1}: RandAugment with magnitude 9 (of 10), 2 operations per
     *       image, magnitude jitter 0.5, the "increasing" operation set; {@code randaugment} is
     *       {@code rand-m9-mstd0.5-inc1}, timm's usual choice.</li>
     * </ul>
     */
    static Augmentation parse(String text) {
        if (text == null) {
            return null;
        }
        String s = text.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "", "none" -> {
                return null;
            }
            case "autoaugment" -> s = "original";
            case "randaugment" -> s = "rand-m9-mstd0.5-inc1";
            default -> { }
        }
        String[] parts = s.split("-");
        double magnitude = 10;
        double std = 0;
        int layers = 2;
        boolean increasing = false;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i];
            try {
                if (p.startsWith("mstd")) {
                    std = Double.parseDouble(p.substring(4));
                } else if (p.startsWith("m") && parts[0].equals("rand")) {
                    magnitude = Double.parseDouble(p.substring(1));
                } else if (p.startsWith("n") && parts[0].equals("rand")) {
                    layers = Integer.parseInt(p.substring(1));
                } else if (p.startsWith("inc") && parts[0].equals("rand")) {
                    increasing = Integer.parseInt(p.substring(3)) != 0;
                } else {
                    throw new IllegalArgumentException("unknown section '" + p + "'");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("augmentation '" + text + "': " + (e instanceof NumberFormatException
                        ? "section '" + p + "' needs a number" : e.getMessage())
                        + "; use none, autoaugment (original[-mstdS]) or randaugment (rand-mM-nN-mstdS-inc1)");
            }
        }
        return switch (parts[0]) {
            case "original" -> new AutoAugment(std);
            case "rand" -> new RandAugment(magnitude, layers, std, increasing);
            default -> throw new IllegalArgumentException("augmentation '" + text
                    + "': unknown policy; use none, autoaugment (original[-mstdS]) or randaugment (rand-mM-nN-mstdS-inc1)");
        };
    }
}
