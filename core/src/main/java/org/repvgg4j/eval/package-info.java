/**
 * Internal (use RepVggModel.evaluate): top-k accuracy, per-class precision/recall/F1, confusion matrix and the reports written from them.
 */
package org.repvgg4j.eval;
