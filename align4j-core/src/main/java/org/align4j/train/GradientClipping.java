package org.align4j.train;

import java.util.Collection;
import org.align4j.autograd.Var;
import org.align4j.tensor.Backend;
import org.align4j.tensor.Kernels;

/**
 * Gradient-norm clipping with the semantics of PyTorch's {@code torch.nn.utils.clip_grad_norm_} (L2 norm, the
 * clipping HF Trainer applies with {@code max_grad_norm}).
 */
public final class GradientClipping {
    /** The epsilon PyTorch adds to the norm in the clipping coefficient. */
    static final double EPSILON = 1e-6;

    private GradientClipping() {
    }

    /**
     * Scales the gradients of {@code parameters} so that their global L2 norm (over all gradients together) is at
     * most {@code maxNorm}: every gradient is multiplied by {@code min(1, maxNorm / (norm + 1e-6))}. Parameters
     * without a gradient are skipped. A {@code maxNorm <= 0} only measures the norm.
     *
     * @return the global norm before clipping (HF Trainer logs it as {@code grad_norm}); non-finite when some
     *         gradient is, in which case nothing is scaled
     */
    public static double clipGradNorm(Collection<Var> parameters, double maxNorm) {
        Kernels kernels = Backend.kernels();
        double sumOfSquares = 0;
        for (Var p : parameters) {
            if (p.hasGrad()) {
                sumOfSquares += kernels.sumOfSquares(p.grad(), p.grad().size());
            }
        }
        double norm = Math.sqrt(sumOfSquares);
        if (maxNorm > 0 && Double.isFinite(norm)) {
            double coefficient = maxNorm / (norm + EPSILON);
            if (coefficient < 1.0) {
                for (Var p : parameters) {
                    if (p.hasGrad()) {
                        kernels.scale(p.grad(), (float) coefficient, p.grad().size());
                    }
                }
            }
        }
        return norm;
    }
}
