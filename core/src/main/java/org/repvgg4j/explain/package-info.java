/**
 * Internal: Grad-CAM class activation maps and their overlays on the input image.
 */
package org.repvgg4j.explain;
