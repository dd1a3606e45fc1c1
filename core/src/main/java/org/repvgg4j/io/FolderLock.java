package org.repvgg4j.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;

/**
 * Exclusive use of an output folder by one run ({@code batch}, {@code train}, {@code split}): an
 * operating-system lock on {@code .repvgg.lock} inside it. The OS releases the lock when the process
 * ends however it ends, so a {@code kill -9} never leaves a stale lock behind; the file's content
 * (pid, what runs, since when) only serves the message a second run prints.
 */
public final class FolderLock implements AutoCloseable {

    public static final String FILE = ".repvgg.lock";

    /** A second run found the folder in use; the message names the folder and the other process. */
    public static final class FolderBusyException extends IOException {
        public FolderBusyException(String message) {
            super(message);
        }
    }

    private final FileChannel channel;
    private final FileLock lock;

    private FolderLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Creates {@code folder} if needed and takes it for {@code what} (e.g. "repvgg batch"), or fails at
     * once with a {@link FolderBusyException} naming the folder and the process holding it.
     */
    public static FolderLock acquire(Path folder, String what) throws IOException {
        Files.createDirectories(folder);
        Path file = folder.resolve(FILE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // held by this very process
        } catch (IOException e) {
            channel.close();
            throw new IOException(file + ": cannot be locked (" + e.getMessage() + "); the file system may not "
                    + "support locks: write to a folder on a local disk", e);
        } catch (RuntimeException e) {
            channel.close();
            throw e;
        }
        if (lock == null) {
            String holder = holder(channel);
            channel.close();
            throw new FolderBusyException(folder + " is in use by another run (" + holder
                    + "); wait for it to finish, or choose another --out");
        }
        try {
            String content = "pid " + ProcessHandle.current().pid() + ", " + what + ", since "
                    + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + "\n";
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return new FolderLock(channel, lock);
    }

    private static String holder(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(512);
            channel.read(buffer, 0);
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? "a process that is just starting" : text;
        } catch (IOException e) {
            return "another process";
        }
    }

    /**
     * Empties the file and releases the lock. The file stays: deleting it would let a run that opened
     * it a moment before lock a file no longer in the folder while a third run locks a new one.
     */
    @Override
    public void close() throws IOException {
        try {
            channel.truncate(0);
        } finally {
            try {
                lock.release();
            } finally {
                channel.close();
            }
        }
    }
}
