package org.align4j.tensor.cpu;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.align4j.tensor.Parallel;

import static org.align4j.tensor.cpu.VectorMath.D;
import static org.align4j.tensor.cpu.VectorMath.F;
import static org.align4j.tensor.cpu.VectorMath.F_AS_D;
import static org.align4j.tensor.cpu.VectorMath.LANES;
import static org.align4j.tensor.cpu.VectorMath.SUM_BLOCK;

/**
 * Vector LayerNorm and RMSNorm. Forward and dx run in parallel over rows; the weight and bias gradients, sums down
 * the rows, run in parallel over column chunks with double accumulators, so each output element has one writer.
 */
final class VectorNorms {
    private VectorNorms() {
    }

    static void layerNormForward(float[] x, float[] w, float[] b, float[] out, float[] mean, float[] rstd, int rows,
                                 int dim, float eps) {
        Parallel.range(rows, VectorMath.rowGrain(dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = r * dim;
                float mu = (float) (VectorMath.sum(x, row, dim) / dim);
                double variance = VectorMath.sumOfSquaredDeviations(x, row, dim, mu) / dim;
                float rs = (float) (1.0 / Math.sqrt(variance + eps));
                int bound = F.loopBound(dim);
                int j = 0;
                for (; j < bound; j += LANES) {
                    FloatVector y = FloatVector.fromArray(F, x, row + j).sub(mu).mul(rs)
                            .mul(FloatVector.fromArray(F, w, j));
                    if (b != null) {
                        y = y.add(FloatVector.fromArray(F, b, j));
                    }
                    y.intoArray(out, row + j);
                }
                for (; j < dim; j++) {
                    out[row + j] = (x[row + j] - mu) * rs * w[j] + (b == null ? 0f : b[j]);
                }
                mean[r] = mu;
                rstd[r] = rs;
            }
        });
    }

    static void layerNormBackward(float[] dout, float[] x, float[] w, float[] mean, float[] rstd, float[] dx,
                                  float[] dw, float[] db, int rows, int dim) {
        if (dx != null) {
            Parallel.range(rows, VectorMath.rowGrain(dim), (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    layerNormRowDx(dout, x, w, mean[r], rstd[r], dx, r * dim, dim);
                }
            });
        }
        if (dw == null && db == null) {
            return;
        }
        VectorElementwise.forColumnChunks(dim, rows, (c0, c1) -> {
            int width = c1 - c0;
            double[] dwSum = new double[width];
            double[] dbSum = db == null ? null : new double[width];
            int lanes = F_AS_D.length();
            int bound = F_AS_D.loopBound(width);
            for (int r = 0; r < rows; r++) {
                int row = r * dim + c0;
                float mu = mean[r];
                float rs = rstd[r];
                int j = 0;
                for (; j < bound; j += lanes) {
                    FloatVector g = FloatVector.fromArray(F_AS_D, dout, row + j);
                    FloatVector xhat = FloatVector.fromArray(F_AS_D, x, row + j).sub(mu).mul(rs);
                    addWidened(g.mul(xhat), dwSum, j);
                    if (dbSum != null) {
                        addWidened(g, dbSum, j);
                    }
                }
                for (; j < width; j++) {
                    float g = dout[row + j];
                    dwSum[j] += g * ((x[row + j] - mu) * rs);
                    if (dbSum != null) {
                        dbSum[j] += g;
                    }
                }
            }
            for (int j = 0; j < width; j++) {
                if (dw != null) {
                    dw[c0 + j] += (float) dwSum[j];
                }
                if (db != null) {
                    db[c0 + j] += (float) dbSum[j];
                }
            }
        });
    }

    /**
     * One row of the LayerNorm input gradient: with xhat = (x − mean) · rstd and gxhat = dout · w,
     * dx += rstd · (gxhat − mean(gxhat) − xhat · mean(gxhat · xhat)).
     */
    private static void layerNormRowDx(float[] dout, float[] x, float[] w, float mu, float rs, float[] dx, int row,
                                       int dim) {
        double sumG = 0;
        double sumGD = 0;
        FloatVector accG = FloatVector.zero(F);
        FloatVector accGD = FloatVector.zero(F);
        int bound = F.loopBound(dim);
        int j = 0;
        for (; j < bound; j += LANES) {
            FloatVector gxhat = FloatVector.fromArray(F, dout, row + j).mul(FloatVector.fromArray(F, w, j));
            FloatVector deviation = FloatVector.fromArray(F, x, row + j).sub(mu);
            accG = accG.add(gxhat);
            accGD = gxhat.fma(deviation, accGD);
            if ((j + LANES) % SUM_BLOCK == 0) {
                sumG += VectorMath.sumLanes(accG);
                sumGD += VectorMath.sumLanes(accGD);
                accG = FloatVector.zero(F);
                accGD = FloatVector.zero(F);
            }
        }
        sumG += VectorMath.sumLanes(accG);
        sumGD += VectorMath.sumLanes(accGD);
        for (int t = j; t < dim; t++) {
            double gxhat = dout[row + t] * w[t];
            sumG += gxhat;
            sumGD += gxhat * (x[row + t] - mu);
        }
        float meanG = (float) (sumG / dim);
        float meanGXhat = (float) (sumGD * rs / dim);
        for (j = 0; j < bound; j += LANES) {
            FloatVector gxhat = FloatVector.fromArray(F, dout, row + j).mul(FloatVector.fromArray(F, w, j));
            FloatVector xhat = FloatVector.fromArray(F, x, row + j).sub(mu).mul(rs);
            gxhat.sub(meanG).sub(xhat.mul(meanGXhat)).mul(rs).add(FloatVector.fromArray(F, dx, row + j))
                    .intoArray(dx, row + j);
        }
        for (; j < dim; j++) {
            float xhat = (x[row + j] - mu) * rs;
            dx[row + j] += (dout[row + j] * w[j] - meanG - xhat * meanGXhat) * rs;
        }
    }

    static void rmsNormForward(float[] x, float[] w, float[] out, float[] rstd, int rows, int dim, float eps) {
        Parallel.range(rows, VectorMath.rowGrain(dim), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int row = r * dim;
                float rs = (float) (1.0 / Math.sqrt(VectorMath.sumOfSquares(x, row, dim) / dim + eps));
                int bound = F.loopBound(dim);
                int j = 0;
                for (; j < bound; j += LANES) {
                    FloatVector.fromArray(F, x, row + j).mul(rs).mul(FloatVector.fromArray(F, w, j))
                            .intoArray(out, row + j);
                }
                for (; j < dim; j++) {
                    out[row + j] = x[row + j] * rs * w[j];
                }
                rstd[r] = rs;
            }
        });
    }

    static void rmsNormBackward(float[] dout, float[] x, float[] w, float[] rstd, float[] dx, float[] dw, int rows,
                                int dim) {
        if (dx != null) {
            Parallel.range(rows, VectorMath.rowGrain(dim), (r0, r1) -> {
                for (int r = r0; r < r1; r++) {
                    rmsNormRowDx(dout, x, w, rstd[r], dx, r * dim, dim);
                }
            });
        }
        if (dw == null) {
            return;
        }
        VectorElementwise.forColumnChunks(dim, rows, (c0, c1) -> {
            int width = c1 - c0;
            double[] dwSum = new double[width];
            int lanes = F_AS_D.length();
            int bound = F_AS_D.loopBound(width);
            for (int r = 0; r < rows; r++) {
                int row = r * dim + c0;
                float rs = rstd[r];
                int j = 0;
                for (; j < bound; j += lanes) {
                    FloatVector xhat = FloatVector.fromArray(F_AS_D, x, row + j).mul(rs);
                    addWidened(FloatVector.fromArray(F_AS_D, dout, row + j).mul(xhat), dwSum, j);
                }
                for (; j < width; j++) {
                    dwSum[j] += dout[row + j] * (x[row + j] * rs);
                }
            }
            for (int j = 0; j < width; j++) {
                dw[c0 + j] += (float) dwSum[j];
            }
        });
    }

    /** One row of the RMSNorm input gradient: with gx = dout · w, dx += rstd · (gx − x · rstd² · mean(gx · x)). */
    private static void rmsNormRowDx(float[] dout, float[] x, float[] w, float rs, float[] dx, int row, int dim) {
        double sumGX = 0;
        FloatVector acc = FloatVector.zero(F);
        int bound = F.loopBound(dim);
        int j = 0;
        for (; j < bound; j += LANES) {
            FloatVector gx = FloatVector.fromArray(F, dout, row + j).mul(FloatVector.fromArray(F, w, j));
            acc = gx.fma(FloatVector.fromArray(F, x, row + j), acc);
            if ((j + LANES) % SUM_BLOCK == 0) {
                sumGX += VectorMath.sumLanes(acc);
                acc = FloatVector.zero(F);
            }
        }
        sumGX += VectorMath.sumLanes(acc);
        for (int t = j; t < dim; t++) {
            sumGX += (double) (dout[row + t] * w[t]) * x[row + t];
        }
        float correction = (float) ((double) rs * rs * sumGX / dim);
        for (j = 0; j < bound; j += LANES) {
            FloatVector gx = FloatVector.fromArray(F, dout, row + j).mul(FloatVector.fromArray(F, w, j));
            gx.sub(FloatVector.fromArray(F, x, row + j).mul(correction)).mul(rs)
                    .add(FloatVector.fromArray(F, dx, row + j)).intoArray(dx, row + j);
        }
        for (; j < dim; j++) {
            dx[row + j] += (dout[row + j] * w[j] - x[row + j] * correction) * rs;
        }
    }

    /** sums[at..at+lanes) += v, widened to double; v has the lanes of {@link VectorMath#F_AS_D}. */
    private static void addWidened(FloatVector v, double[] sums, int at) {
        DoubleVector wide = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
        DoubleVector.fromArray(D, sums, at).add(wide).intoArray(sums, at);
    }
}
