/**
 * Internal (use org.repvgg4j.api.Deploy): structural re-parameterization: BN fusion, 1x1 and identity to 3x3, the deploy converter and the equivalence check.
 */
package org.repvgg4j.reparam;
