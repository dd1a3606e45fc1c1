package org.repvgg4j.weights;

import org.repvgg4j.model.RepVgg;

/** A model directory read into memory: its config and the network holding its weights. */
public record LoadedModel(ModelConfig config, RepVgg network) {}
