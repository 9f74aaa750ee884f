package org.align4j.tensor.cpu;

/**
 * Dense float32 matrix multiply on row-major arrays: C[m,n] (+)= op(A) · op(B). {@code accumulate} false
 * overwrites C. The {@code ...Scalar} methods are the plain reference loops; {@code nn}, {@code nt} and {@code tn}
 * are the entry points of the fast path.
 */
public final class Gemm {
    private Gemm() {
    }

    /** C[m,n] (+)= A[m,k] · B[k,n]. */
    public static void nn(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                          boolean accumulate) {
        nnScalar(a, aOff, b, bOff, c, cOff, m, n, k, accumulate);
    }

    /** C[m,n] (+)= A[m,k] · B[n,k]ᵀ. */
    public static void nt(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                          boolean accumulate) {
        ntScalar(a, aOff, b, bOff, c, cOff, m, n, k, accumulate);
    }

    /** C[m,n] (+)= A[k,m]ᵀ · B[k,n]. */
    public static void tn(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                          boolean accumulate) {
        tnScalar(a, aOff, b, bOff, c, cOff, m, n, k, accumulate);
    }

    /** C[m,n] (+)= A[m,k] · B[k,n], plain loops. */
    public static void nnScalar(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                                boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += (double) a[aOff + i * k + p] * b[bOff + p * n + j];
                }
                int ci = cOff + i * n + j;
                c[ci] = accumulate ? c[ci] + (float) sum : (float) sum;
            }
        }
    }

    /** C[m,n] (+)= A[m,k] · B[n,k]ᵀ, plain loops. */
    public static void ntScalar(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                                boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += (double) a[aOff + i * k + p] * b[bOff + j * k + p];
                }
                int ci = cOff + i * n + j;
                c[ci] = accumulate ? c[ci] + (float) sum : (float) sum;
            }
        }
    }

    /** C[m,n] (+)= A[k,m]ᵀ · B[k,n], plain loops. */
    public static void tnScalar(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int n, int k,
                                boolean accumulate) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    sum += (double) a[aOff + p * m + i] * b[bOff + p * n + j];
                }
                int ci = cOff + i * n + j;
                c[ci] = accumulate ? c[ci] + (float) sum : (float) sum;
            }
        }
    }
}
