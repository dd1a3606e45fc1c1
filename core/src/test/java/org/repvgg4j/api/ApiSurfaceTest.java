package org.repvgg4j.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The public API package shows its users JDK, DJL and its own types only. */
class ApiSurfaceTest {

    private static final String API = "org.repvgg4j.api.";

    @Test
    void publicTypesExposeOnlyJdkDjlAndApiTypes() throws Exception {
        List<Class<?>> types = publicApiTypes();
        assertThat(types).extracting(Class::getSimpleName)
                .contains("RepVggModel", "LoadOptions", "Prediction", "ClassScore", "Training", "Deploy",
                        "ExportFormat", "EvaluationReport", "RepVggTranslator", "RepVggTranslatorFactory",
                        "RepVggBlockFactory");
        List<String> leaks = new ArrayList<>();
        for (Class<?> type : types) {
            leaks.addAll(leaksOf(type));
        }
        assertThat(leaks).isEmpty();
    }

    @Test
    void theCheckFindsAnInternalTypeInASignature() {
        // Classifier.open takes Classifier.Options and returns Classifier: both internal.
        assertThat(leaksOf(org.repvgg4j.infer.Classifier.class))
                .anyMatch(l -> l.contains("org.repvgg4j.infer.Classifier$Options"));
        // Generic arguments count too: ListFile.entries() is a List<ListEntry>.
        assertThat(leaksOf(org.repvgg4j.data.ListFile.class)).anyMatch(l -> l.contains("ListEntry"));
    }

    @Test
    void internalTypesAreNotInThePublicPackage() throws Exception {
        // Helpers that touch internals stay package-private.
        assertThat(Modifier.isPublic(ImageInputs.class.getModifiers())).isFalse();
        assertThat(publicApiTypes()).hasSizeLessThanOrEqualTo(18);
    }

    /** Every public class of the package, nested ones included, read from the compiled classes. */
    private static List<Class<?>> publicApiTypes() throws IOException, URISyntaxException, ClassNotFoundException {
        Path dir = Path.of(RepVggModel.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve("org/repvgg4j/api");
        List<Class<?>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                String name = f.getFileName().toString().replace(".class", "");
                if (name.equals("package-info")) {
                    continue;
                }
                Class<?> c = Class.forName(API + name);
                if (isVisible(c)) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    /** Public, and every enclosing class public: a type code outside the package can name. */
    private static boolean isVisible(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isLocalClass()) {
                return false;
            }
        }
        return true;
    }

    /** Members a caller (or, for a class one may extend, a subclass) sees, each type that is not allowed. */
    static List<String> leaksOf(Class<?> type) {
        TreeSet<String> leaks = new TreeSet<>();
        boolean extendable = !Modifier.isFinal(type.getModifiers()) && !type.isEnum() && !type.isRecord();
        check(type.getGenericSuperclass(), type.getName() + " extends", leaks);
        for (Type i : type.getGenericInterfaces()) {
            check(i, type.getName() + " implements", leaks);
        }
        for (TypeVariable<?> v : type.getTypeParameters()) {
            check(v, type.getName() + "<" + v.getName() + ">", leaks);
        }
        for (Method m : type.getDeclaredMethods()) {
            if (!seen(m.getModifiers(), extendable) || m.isSynthetic()) {
                continue;
            }
            String where = type.getName() + "." + m.getName();
            check(m.getGenericReturnType(), where + " returns", leaks);
            for (Type p : m.getGenericParameterTypes()) {
                check(p, where + " takes", leaks);
            }
            for (Type e : m.getGenericExceptionTypes()) {
                check(e, where + " throws", leaks);
            }
            for (TypeVariable<?> v : m.getTypeParameters()) {
                check(v, where + " <" + v.getName() + ">", leaks);
            }
        }
        for (Constructor<?> c : type.getDeclaredConstructors()) {
            if (!seen(c.getModifiers(), extendable) || c.isSynthetic()) {
                continue;
            }
            for (Type p : c.getGenericParameterTypes()) {
                check(p, type.getName() + "(" + ") takes", leaks);
            }
            for (Type e : c.getGenericExceptionTypes()) {
                check(e, type.getName() + "() throws", leaks);
            }
        }
        for (Field f : type.getDeclaredFields()) {
            if (seen(f.getModifiers(), extendable) && !f.isSynthetic()) {
                check(f.getGenericType(), type.getName() + "." + f.getName(), leaks);
            }
        }
        if (type.isRecord()) {
            for (RecordComponent rc : type.getRecordComponents()) {
                check(rc.getGenericType(), type.getName() + "." + rc.getName() + " (component)", leaks);
            }
        }
        return new ArrayList<>(leaks);
    }

    private static boolean seen(int modifiers, boolean extendable) {
        return Modifier.isPublic(modifiers) || (extendable && Modifier.isProtected(modifiers));
    }

    private static void check(Type t, String where, TreeSet<String> leaks) {
        check(t, where, leaks, new java.util.HashSet<>());
    }

    private static void check(Type t, String where, TreeSet<String> leaks, java.util.Set<Type> visiting) {
        if (t == null || !visiting.add(t)) {
            return;
        }
        if (t instanceof Class<?> c) {
            while (c.isArray()) {
                c = c.getComponentType();
            }
            if (!allowed(c)) {
                leaks.add(where + ": " + c.getName());
            }
        } else if (t instanceof ParameterizedType p) {
            check(p.getRawType(), where, leaks, visiting);
            check(p.getOwnerType(), where, leaks, visiting);
            for (Type a : p.getActualTypeArguments()) {
                check(a, where, leaks, visiting);
            }
        } else if (t instanceof WildcardType w) {
            for (Type b : w.getUpperBounds()) {
                check(b, where, leaks, visiting);
            }
            for (Type b : w.getLowerBounds()) {
                check(b, where, leaks, visiting);
            }
        } else if (t instanceof TypeVariable<?> v) {
            for (Type b : v.getBounds()) {
                check(b, where, leaks, visiting);
            }
        } else if (t instanceof GenericArrayType g) {
            check(g.getGenericComponentType(), where, leaks, visiting);
        }
    }

    private static boolean allowed(Class<?> c) {
        String n = c.getName();
        return c.isPrimitive() || n.startsWith("java.") || n.startsWith("javax.") || n.startsWith("ai.djl.")
                || n.startsWith(API);
    }
}
