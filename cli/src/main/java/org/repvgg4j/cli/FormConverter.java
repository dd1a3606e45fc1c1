package org.repvgg4j.cli;

import org.repvgg4j.model.Form;
import picocli.CommandLine;

/** Turns {@code --form} text into a form. */
final class FormConverter implements CommandLine.ITypeConverter<Form> {

    @Override
    public Form convert(String value) {
        try {
            return Form.parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }
}
