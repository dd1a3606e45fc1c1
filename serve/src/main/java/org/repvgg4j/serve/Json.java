package org.repvgg4j.serve;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.javalin.json.JsonMapper;
import java.lang.reflect.Type;

/** Javalin's JSON through Gson, which the project already uses; records map to objects by component name. */
final class Json implements JsonMapper {

    static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

    @Override
    public String toJsonString(Object obj, Type type) {
        return GSON.toJson(obj, type);
    }

    @Override
    public <T> T fromJsonString(String json, Type targetType) {
        return GSON.fromJson(json, targetType);
    }
}
