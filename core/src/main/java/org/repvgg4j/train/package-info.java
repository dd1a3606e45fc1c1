/**
 * Internal (use org.repvgg4j.api.Training): the official training recipe, optimizer, schedule, loss, checkpoints, resume and the metrics log.
 */
package org.repvgg4j.train;
