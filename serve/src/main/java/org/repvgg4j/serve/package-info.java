/**
 * The HTTP server behind {@code repvgg serve}: {@link org.repvgg4j.serve.ModelServer} (Javalin on Jetty
 * 12) with plain predictions, the Open Inference Protocol, dynamic batching behind a bounded queue,
 * Prometheus metrics and a web page; {@link org.repvgg4j.serve.LoadGenerator} loads it. See
 * docs/serving.md.
 */
package org.repvgg4j.serve;
