package org.repvgg4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** What every verb shares: results go to the command line's writer, so tests and callers can capture them. */
abstract class Subcommand {

    @CommandLine.Spec
    CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
