package org.repvgg4j.serve;

import java.util.Map;

/**
 * A request the server answers with a 4xx or 5xx status and a JSON {@code {"error": message}}; the
 * message says what was wrong in the caller's terms. Mapped to its status in one place (ModelServer).
 */
final class ApiError extends RuntimeException {

    private final int status;
    private final Map<String, String> headers;

    ApiError(int status, String message, Map<String, String> headers) {
        super(message, null, false, false);
        this.status = status;
        this.headers = headers;
    }

    ApiError(int status, String message) {
        this(status, message, Map.of());
    }

    int status() {
        return status;
    }

    Map<String, String> headers() {
        return headers;
    }

    static ApiError badRequest(String message) {
        return new ApiError(400, message);
    }

    static ApiError unknownModel(String name, java.util.Collection<String> served) {
        return new ApiError(404, "no model '" + name + "'; this server has " + String.join(", ", served));
    }

    static ApiError tooLarge(long bytes, long limit) {
        return new ApiError(413, "the body is " + bytes + " bytes; the server takes at most " + limit
                + " (--max-body-mb)");
    }

    /** The queue is full: retry after about one queue's worth of batches. */
    static ApiError queueFull(String model, int capacity, int retryAfterSeconds) {
        return new ApiError(503, "model '" + model + "' has " + capacity + " requests waiting (--max-queue); retry later",
                Map.of("Retry-After", Integer.toString(retryAfterSeconds)));
    }

    static ApiError shuttingDown() {
        return new ApiError(503, "the server is shutting down", Map.of("Retry-After", "1", "Connection", "close"));
    }

    static ApiError deadline(long timeoutMs) {
        return new ApiError(504, "no answer within " + timeoutMs + " ms (--timeout-ms): the model is busy; retry later",
                Map.of("Retry-After", "1"));
    }
}
