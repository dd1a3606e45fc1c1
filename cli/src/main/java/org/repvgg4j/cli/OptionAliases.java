package org.repvgg4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Stack;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Option names the verbs used before every verb spelled the same thing the same way, mapped to the
 * name they have now. Scripts written against the old names keep working, while --help shows only
 * the current ones: the old names are rewritten before picocli parses, so no verb declares them.
 */
final class OptionAliases {

    /** Former name to current name. */
    static final Map<String, String> CURRENT = Map.of(
            "--top", "--top-k",
            "--topk", "--top-k",
            "--batch", "--batch-size",
            "--lists", "--list",
            "--labels", "--list",
            "--data", "--input");

    private OptionAliases() {}

    /** Lets every verb of {@code root} take the former names of the options it has. */
    static void install(CommandLine root) {
        for (CommandLine verb : root.getSubcommands().values()) {
            CommandSpec spec = verb.getCommandSpec();
            spec.preprocessor((args, command, arg, info) -> {
                rewrite(args, command);
                return false; // picocli goes on to parse the rewritten arguments
            });
        }
    }

    /**
     * The name {@code verb} knows {@code given} by: the current name where {@code given} is a former one
     * and the verb has the current option (and no option of its own with the former name), else {@code given}.
     */
    static String currentName(String given, CommandSpec verb) {
        String current = CURRENT.get(given);
        if (current == null || verb.findOption(given) != null || verb.findOption(current) == null) {
            return given;
        }
        return current;
    }

    /** Rewrites the verb's arguments in place; {@code args} has the first argument on top. */
    private static void rewrite(Stack<String> args, CommandSpec verb) {
        List<String> inOrder = new ArrayList<>(args);
        List<String> rewritten = new ArrayList<>(inOrder.size());
        // Stack order: the last argument first, so walk from the end to see them as typed.
        boolean optionsEnded = false;
        for (int i = inOrder.size() - 1; i >= 0; i--) {
            String arg = inOrder.get(i);
            if (arg.equals("--")) {
                optionsEnded = true;
            }
            rewritten.add(optionsEnded ? arg : rename(arg, verb));
        }
        args.clear();
        for (int i = rewritten.size() - 1; i >= 0; i--) {
            args.push(rewritten.get(i));
        }
    }

    /** {@code --topk}, {@code --topk=3}: the same with the current name. */
    private static String rename(String arg, CommandSpec verb) {
        int equals = arg.indexOf('=');
        String name = equals < 0 ? arg : arg.substring(0, equals);
        String current = currentName(name, verb);
        return current.equals(name) ? arg : current + arg.substring(name.length());
    }
}
