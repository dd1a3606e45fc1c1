package org.repvgg4j.cli;

import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code repvgg} command: one subcommand per step of the RepVGG workflow. */
@Command(name = "repvgg",
        mixinStandardHelpOptions = true,
        version = "repvgg4j 0.2.0",
        description = "RepVGG image classification: split data, train, import, convert (re-parameterize), verify, run and time networks.",
        subcommands = {
            SplitCommand.class,
            AnnotateCommand.class,
            InitCommand.class,
            InfoCommand.class,
            ImportCommand.class,
            ConvertCommand.class,
            TrainCommand.class,
            PredictCommand.class,
            CamCommand.class,
            PreviewCommand.class,
            EvalCommand.class,
            BatchCommand.class,
            ReportCommand.class,
            ShardCommand.class,
            ExportCommand.class,
            BenchCommand.class,
            ServeCommand.class,
            DemoCommand.class,
            DoctorCommand.class,
            CommandLine.HelpCommand.class
        })
public final class RepVggCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        CommandLine cli = newCommandLine();
        int code = cli.execute(args);
        // picocli's writers flush on println and printf only; a report ending in print() would be lost at exit
        cli.getOut().flush();
        cli.getErr().flush();
        System.exit(code);
    }

    /** The configured command line: bad input gives one line on stderr and a non-zero exit code. */
    public static CommandLine newCommandLine() {
        CommandLine cli = new CommandLine(new RepVggCommand());
        cli.setParameterExceptionHandler(RepVggCommand::badParameters);
        cli.setExecutionExceptionHandler(RepVggCommand::failed);
        OptionAliases.install(cli);
        return cli;
    }

    private static int badParameters(CommandLine.ParameterException e, String[] args) {
        CommandLine cmd = e.getCommandLine();
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandName() + ": " + e.getMessage() + " (see '" + qualifiedName(cmd) + " --help')");
        return 2;
    }

    private static int failed(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandName() + ": error: " + describe(e));
        if (Boolean.getBoolean("repvgg.debug")) {
            e.printStackTrace(err);
        }
        return 1;
    }

    /** A one-line account of what went wrong, naming the file or key where there is one. */
    static String describe(Throwable e) {
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + ": " + (n.getReason() != null ? n.getReason() : "no such file");
        }
        if (e instanceof AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        if (e instanceof FileSystemException f && f.getFile() != null) {
            return f.getFile() + ": " + (f.getReason() != null ? f.getReason() : f.getClass().getSimpleName());
        }
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        return message.lines().findFirst().orElse(message);
    }

    private static String qualifiedName(CommandLine cmd) {
        return cmd.getParent() == null ? cmd.getCommandName()
                : qualifiedName(cmd.getParent()) + " " + cmd.getCommandName();
    }
}
