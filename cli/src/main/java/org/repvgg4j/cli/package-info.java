/**
 * The repvgg command: one picocli command class per verb.
 */
package org.repvgg4j.cli;
