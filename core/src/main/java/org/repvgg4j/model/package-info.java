/**
 * Internal: the RepVGG network as DJL blocks (spec table A0..B3g4, D2se, custom; train and deploy form), with no knowledge of the CPU it runs on.
 */
package org.repvgg4j.model;
