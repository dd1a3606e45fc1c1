package org.repvgg4j.export;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PrecisionTest {

    private static int bits(float value) {
        return Precision.toBf16(value) & 0xffff;
    }

    @Test
    void roundsToNearestBf16WithTiesToEven() {
        assertThat(bits(1.0f)).isEqualTo(0x3f80);
        assertThat(bits(-2.5f)).isEqualTo(0xc020);
        // 1 + 2^-8 lies halfway between 1 (0x3f80, even) and 1 + 2^-7 (0x3f81): down to even.
        assertThat(bits(1.00390625f)).isEqualTo(0x3f80);
        // 1 + 3 * 2^-8 lies halfway between 0x3f81 and 0x3f82 (even): up.
        assertThat(bits(1.01171875f)).isEqualTo(0x3f82);
        // Just above the halfway point rounds up.
        assertThat(bits(Math.nextUp(1.00390625f))).isEqualTo(0x3f81);
        // Past bf16's largest finite value (0x7f7f) to infinity, as PyTorch rounds.
        assertThat(bits(Float.MAX_VALUE)).isEqualTo(0x7f80);
        assertThat(bits(Float.NEGATIVE_INFINITY)).isEqualTo(0xff80);
        float back = Float.intBitsToFloat(bits(Float.NaN) << 16);
        assertThat(back).isNaN();
    }

    @Test
    void parsesIdsInAnyCaseAndNamesTheChoicesOtherwise() {
        assertThat(Precision.parse(" BF16")).isEqualTo(Precision.BF16);
        assertThat(Precision.parse("int8")).isEqualTo(Precision.INT8);
        assertThatThrownBy(() -> Precision.parse("fp16")).hasMessage("'fp16' is not one of fp32, bf16, int8");
    }
}
