package org.repvgg4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.repvgg4j.data.ListFile;
import org.repvgg4j.data.ListSharder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "shard", mixinStandardHelpOptions = true,
        description = "Split a list file into N equal-sized list files (order kept), for batch runs.")
final class ShardCommand extends Subcommand implements Callable<Integer> {

    @Option(names = "--list", required = true, description = "list file (labelled or not)")
    Path list;

    @Option(names = "--shards", required = true, description = "number of list files to write")
    int shards;

    @Option(names = "--out", required = true, description = "folder for <name>_<k>.txt")
    Path out;

    @Override
    public Integer call() throws Exception {
        List<ListFile> written = ListSharder.shard(list, shards, out);
        for (ListFile f : written) {
            out().printf("%s  %d entries%n", f.file(), f.entries().size());
        }
        return 0;
    }
}
