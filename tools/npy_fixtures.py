#!/usr/bin/python3
"""Write the .npy files that NpyTest reads: arrays numpy itself saved, including the ones we refuse.

Run with Debian's python3-numpy: /usr/bin/python3 tools/npy_fixtures.py
Output: core/src/test/resources/npy/ (a few KB). Values are exact binary fractions or integers,
so the test can assert them literally; the files are byte-identical run to run.
"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "core", "src", "test", "resources", "npy")


def main():
    os.makedirs(OUT, exist_ok=True)
    save = lambda name, a: np.save(os.path.join(OUT, name), a, allow_pickle=False)
    save("f4_2x3.npy", (np.arange(6, dtype=np.float32) * 0.5 - 1).reshape(2, 3))
    save("f8_4.npy", np.array([0.1, -2.5, 1e300, -0.0], dtype=np.float64))
    save("i8_2x1x2.npy", np.array([[[-1, 2 ** 40]], [[3, -4]]], dtype=np.int64))
    save("f4_scalar.npy", np.array(7.25, dtype=np.float32))
    save("f4_empty_0x3.npy", np.zeros((0, 3), dtype=np.float32))
    save("f4_rank5.npy", np.arange(4, dtype=np.float32).reshape(1, 2, 1, 2, 1))
    with open(os.path.join(OUT, "f4_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, np.array([1.5, -3.0], dtype=np.float32), version=(2, 0))
    save("fortran_2x3.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
    save("big_endian.npy", np.array([1.0, 2.0], dtype=">f4"))
    save("int32.npy", np.array([1, 2], dtype=np.int32))
    print("wrote", sorted(os.listdir(OUT)))


if __name__ == "__main__":
    main()
