package org.repvgg4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * How a train-form network computes its branches' convolutions while it trains. Every strategy
 * gives the same outputs and gradients as {@link #PLAIN}; they differ in which kernels the engine
 * is asked for (an engine may compute some shapes wrongly, or faster in another memory layout).
 * Chosen once, handed to {@link RepVgg} at construction; inference always runs plain.
 */
public interface ConvolutionStrategy {

    /** Every convolution as DJL's {@code Conv2d} computes it, in the input's layout. */
    ConvolutionStrategy PLAIN = new ConvolutionStrategy() {
        @Override
        public String toString() {
            return "plain";
        }
    };

    /** How one training forward pass of a batch of this {@code N x 3 x H x W} shape runs. */
    default TrainingPass trainingPass(RepVggSpec spec, Shape input) {
        return TrainingPass.PLAIN;
    }

    /** The decisions of one training forward pass, block by block. */
    interface TrainingPass {

        TrainingPass PLAIN = new TrainingPass() {};

        /** A block's input as its branches will convolve it. */
        default BranchInput branchInput(BlockPlan block, NDArray input) {
            return BranchInput.direct(input, block);
        }

        /**
         * A block's output as the next block takes it: the same values, possibly in another memory
         * layout. Returns {@code output} itself when nothing changes; otherwise the caller closes
         * {@code output}.
         */
        default NDArray handOff(BlockPlan block, NDArray output) {
            return output;
        }
    }

    /**
     * A block's input, ready for the kernels of its branches (3x3 and 1x1, padding {@code k / 2},
     * the block's stride and groups, no bias). Closing it frees what the strategy made from the
     * input, never the input itself.
     */
    interface BranchInput extends AutoCloseable {

        NDArray convolve(NDArray kernel);

        @Override
        default void close() {
        }

        /** The plain convolution of {@code input} for {@code block}'s branches. */
        static BranchInput direct(NDArray input, BlockPlan block) {
            return kernel -> {
                long k = kernel.getShape().get(2);
                return Conv2d.conv2d(input, kernel, null, new Shape(block.stride(), block.stride()),
                        new Shape(k / 2, k / 2), new Shape(1, 1), block.groups()).singletonOrThrow();
            };
        }
    }
}
