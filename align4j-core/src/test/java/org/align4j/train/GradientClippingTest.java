package org.align4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.align4j.autograd.Var;
import org.align4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

    private static Var withGrad(float... grad) {
        Var v = new Var(Tensor.zeros(grad.length), true);
        System.arraycopy(grad, 0, v.grad().data(), 0, grad.length);
        return v;
    }

    @Test
    void clipsToMaxNormAndReturnsTheNormBefore() {
        Var a = withGrad(3, 4);
        Var b = withGrad(12);
        Var noGrad = new Var(Tensor.zeros(2), true);
        double norm = GradientClipping.clipGradNorm(List.of(a, b, noGrad), 1.0);
        assertEquals(13.0, norm, 1e-12); // sqrt(9 + 16 + 144)
        double coefficient = 1.0 / (13.0 + 1e-6);
        assertArrayEquals(new float[] {(float) (3 * coefficient), (float) (4 * coefficient)}, a.grad().data(), 1e-7f);
        assertArrayEquals(new float[] {(float) (12 * coefficient)}, b.grad().data(), 1e-7f);
        assertEquals(false, noGrad.hasGrad());
    }

    @Test
    void leavesSmallGradientsAlone() {
        Var a = withGrad(3, 4);
        assertEquals(5.0, GradientClipping.clipGradNorm(List.of(a), 5.0), 1e-12); // coefficient 5/(5+1e-6) < 1
        assertArrayEquals(new float[] {(float) (3 * 5 / (5 + 1e-6)), (float) (4 * 5 / (5 + 1e-6))}, a.grad().data(),
                1e-6f);
        Var b = withGrad(3, 4);
        assertEquals(5.0, GradientClipping.clipGradNorm(List.of(b), 10.0), 1e-12);
        assertArrayEquals(new float[] {3, 4}, b.grad().data());
        Var c = withGrad(3, 4);
        assertEquals(5.0, GradientClipping.clipGradNorm(List.of(c), 0), 1e-12); // 0: measure only
        assertArrayEquals(new float[] {3, 4}, c.grad().data());
    }
}
