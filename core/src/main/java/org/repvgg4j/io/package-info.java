/**
 * Internal: file formats shared by several packages (numpy .npy) and file-tree helpers.
 */
package org.repvgg4j.io;
