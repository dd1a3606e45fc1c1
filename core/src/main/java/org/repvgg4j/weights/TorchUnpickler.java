package org.repvgg4j.weights;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.IObjectConstructor;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.PickleUtils;
import net.razorvine.pickle.Unpickler;

/**
 * Reads the {@code data.pkl} of a {@code torch.save} zip into plain Java values: dicts become
 * ordered maps, tuples {@code Object[]}, tensors {@link TensorRef}s (where their values are, not
 * the values), storages {@link StorageRef}s. Python classes it does not know become
 * {@link PythonObject}s rather than errors, so a checkpoint that also holds optimizer state or
 * training arguments still yields its weights.
 *
 * <p>Globals are resolved per instance here, never through razorvine's process-wide constructor
 * registry.
 */
final class TorchUnpickler extends Unpickler {

    /** A storage named by the pickle's persistent id: {@code <archive>/data/<key>} in the zip. */
    record StorageRef(String key, TorchDtype dtype, long numel) {}

    /** A tensor: a view of {@code shape} with {@code stride} (in elements) into a storage from {@code offset}. */
    record TensorRef(StorageRef storage, long offset, long[] shape, long[] stride) {

        long numel() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        String shapeText() {
            return Arrays.toString(shape);
        }
    }

    /** An instance of a Python class we have no use for: its name, constructor arguments and state. */
    static final class PythonObject {
        final String className;
        final Object[] args;
        Object state;

        PythonObject(String className, Object[] args) {
            this.className = className;
            this.args = args;
        }

        @Override
        public String toString() {
            return className + "(...)";
        }
    }

    /** {@code torch.FloatStorage} and friends: only ever a tag inside a storage's persistent id. */
    private record StorageClass(TorchDtype dtype) implements IObjectConstructor {
        @Override
        public Object construct(Object[] args) {
            throw new PickleException("cannot construct a storage directly");
        }
    }

    private static final IObjectConstructor REBUILD_TENSOR = args -> {
        if (args.length < 4 || !(args[0] instanceof StorageRef storage)) {
            throw new PickleException("unexpected arguments to torch._utils._rebuild_tensor");
        }
        return new TensorRef(storage, number(args[1]), longs(args[2]), longs(args[3]));
    };

    @Override
    protected Object dispatch(short key) throws PickleException, IOException {
        switch (key) {
            case Opcodes.GLOBAL -> {
                String module = PickleUtils.readline(input);
                String name = PickleUtils.readline(input);
                stack.add(resolve(module, name));
                return NO_RETURN_VALUE;
            }
            case Opcodes.STACK_GLOBAL -> {
                String name = (String) stack.pop();
                String module = (String) stack.pop();
                stack.add(resolve(module, name));
                return NO_RETURN_VALUE;
            }
            case Opcodes.BUILD -> {
                // __setstate__: an OrderedDict's state is its _metadata (module versions), which we
                // do not need; other objects keep theirs for error messages.
                Object state = stack.pop();
                if (stack.peek() instanceof PythonObject o) {
                    o.state = state;
                }
                return NO_RETURN_VALUE;
            }
            case Opcodes.SETITEMS -> {
                // razorvine collects the items in a HashMap first; keep the pickle's (module) order.
                List<Object> items = stack.pop_all_since_marker();
                @SuppressWarnings("unchecked")
                Map<Object, Object> dict = (Map<Object, Object>) stack.peek();
                for (int i = 0; i + 1 < items.size(); i += 2) {
                    dict.put(items.get(i), items.get(i + 1));
                }
                return NO_RETURN_VALUE;
            }
            case Opcodes.EMPTY_DICT -> {
                stack.add(new LinkedHashMap<Object, Object>());
                return NO_RETURN_VALUE;
            }
            case Opcodes.DICT -> {
                List<Object> items = stack.pop_all_since_marker();
                Map<Object, Object> dict = new LinkedHashMap<>();
                for (int i = 0; i + 1 < items.size(); i += 2) {
                    dict.put(items.get(i), items.get(i + 1));
                }
                stack.add(dict);
                return NO_RETURN_VALUE;
            }
            default -> {
                return super.dispatch(key);
            }
        }
    }

    @Override
    protected Object persistentLoad(Object pid) {
        if (!(pid instanceof Object[] t) || t.length < 5 || !"storage".equals(t[0])) {
            throw new PickleException("unexpected persistent id " + describe(pid) + " (not a PyTorch storage)");
        }
        if (!(t[1] instanceof StorageClass type)) {
            throw new PickleException("storage of unsupported type " + t[1]);
        }
        return new StorageRef(String.valueOf(t[2]), type.dtype(), number(t[4]));
    }

    private IObjectConstructor resolve(String module, String name) {
        String qualified = module + "." + name;
        switch (qualified) {
            case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor" -> {
                return REBUILD_TENSOR;
            }
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state" -> {
                return args -> args[0];
            }
            case "torch._tensor._rebuild_from_type_v2" -> {
                // (function, tensor subclass, args, state): the plain tensor is function(*args)
                return args -> ((IObjectConstructor) args[0]).construct((Object[]) args[2]);
            }
            case "collections.OrderedDict" -> {
                return args -> {
                    Map<Object, Object> dict = new LinkedHashMap<>();
                    if (args.length == 1 && args[0] instanceof List<?> pairs) {
                        for (Object pair : pairs) {
                            Object[] kv = (Object[]) pair;
                            dict.put(kv[0], kv[1]);
                        }
                    }
                    return dict;
                };
            }
            default -> {
                // nothing to do here
            }
        }
        if (module.equals("torch")) {
            TorchDtype dtype = TorchDtype.ofStorageClass(name);
            if (dtype != null) {
                return new StorageClass(dtype);
            }
        }
        IObjectConstructor known = objectConstructors.get(qualified);
        if (known != null) {
            return known;
        }
        return args -> new PythonObject(qualified, args);
    }

    private static long number(Object o) {
        if (o instanceof Number n) {
            return n.longValue();
        }
        throw new PickleException("expected an integer, got " + describe(o));
    }

    private static long[] longs(Object o) {
        if (!(o instanceof Object[] tuple)) {
            throw new PickleException("expected a tuple of integers, got " + describe(o));
        }
        long[] out = new long[tuple.length];
        for (int i = 0; i < tuple.length; i++) {
            out[i] = number(tuple[i]);
        }
        return out;
    }

    static String describe(Object o) {
        if (o instanceof Object[] a) {
            List<String> parts = new ArrayList<>();
            for (Object x : a) {
                parts.add(describe(x));
            }
            return "(" + String.join(", ", parts) + ")";
        }
        return String.valueOf(o);
    }
}
