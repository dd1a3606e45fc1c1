package org.repvgg4j.cli;

import org.repvgg4j.model.RepVggSpec;
import picocli.CommandLine;

/** Turns {@code --arch} text (a variant name or a custom description) into a spec. */
final class ArchConverter implements CommandLine.ITypeConverter<RepVggSpec> {

    @Override
    public RepVggSpec convert(String value) {
        try {
            return RepVggSpec.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
