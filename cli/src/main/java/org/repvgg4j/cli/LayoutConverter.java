package org.repvgg4j.cli;

import org.repvgg4j.weights.KeyLayout;
import picocli.CommandLine;

/** Turns {@code --layout} text into a key layout. */
final class LayoutConverter implements CommandLine.ITypeConverter<KeyLayout> {

    @Override
    public KeyLayout convert(String value) {
        try {
            return KeyLayout.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
