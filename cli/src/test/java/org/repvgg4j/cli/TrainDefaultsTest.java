package org.repvgg4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.repvgg4j.train.TrainSettings;
import picocli.CommandLine;

class TrainDefaultsTest {

    @Test
    void trainWithoutOptionsRunsTheRecipeTheLibraryStartsFrom() {
        TrainCommand train = new TrainCommand();
        new CommandLine(train).parseArgs("--train", "t.txt", "--val", "v.txt", "--classes", "a.txt", "--out", "runs/x");
        TrainSettings fromCli = TrainCommand.settingsOf(train.fresh);
        TrainSettings fromLibrary = TrainSettings.builder(Path.of("t.txt"), Path.of("v.txt"), Path.of("a.txt")).build();
        assertThat(fromCli).isEqualTo(fromLibrary);
    }

    @Test
    void theHelpShowsTheRecipesValues() {
        String help = new CommandLine(new TrainCommand()).getUsageMessage();
        assertThat(help.replaceAll("\\s+", " ")).contains("--epochs=<epochs> default: 30 ")
                .contains("(default: 224)").contains("(default: 0.875;").contains("(default: 0.08,1.0)").contains("0.1 x batch size / 256");
    }
}
