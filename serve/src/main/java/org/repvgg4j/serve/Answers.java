package org.repvgg4j.serve;

import com.google.gson.annotations.SerializedName;
import java.util.List;
import java.util.Map;

/** The JSON shapes the server answers with (field names as clients read them). */
final class Answers {

    private Answers() {}

    record Error(String error) {}

    record ClassScore(int index, String label, double probability) {}

    /** One image's answer to {@code POST /predictions/{model}}. */
    record ImagePrediction(String name, List<ClassScore> top, @SerializedName("timings_ms") Map<String, Double> timings,
            @SerializedName("batch_size") int batchSize) {}

    /** Same shape for one image or many. */
    record Predictions(String model, List<ImagePrediction> predictions) {}

    record ModelInfo(String name, List<String> classes, @SerializedName("input_size") int inputSize, String engine) {}

    // Open Inference Protocol (KServe v2) shapes
    record ServerMetadata(String name, String version, List<String> extensions) {}

    record TensorMetadata(String name, String datatype, List<Integer> shape) {}

    record ModelMetadata(String name, List<String> versions, String platform, List<TensorMetadata> inputs,
            List<TensorMetadata> outputs) {}

    record Ready(String name, boolean ready) {}

    record Live(boolean live) {}

    record Tensor(String name, String datatype, List<Integer> shape, Object data) {}

    record InferResponse(@SerializedName("model_name") String modelName,
            @SerializedName("model_version") String modelVersion, String id, List<Tensor> outputs) {}
}
