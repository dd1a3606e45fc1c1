/**
 * Internal (use org.repvgg4j.api): class files, list files, splitting, image decoding and the train/eval transforms, DJL datasets over list files.
 */
package org.repvgg4j.data;
