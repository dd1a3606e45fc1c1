/**
 * Internal: training augmentations on 8-bit images (AutoAugment, RandAugment, Random Erasing).
 */
package org.repvgg4j.data.augment;
