/*
 * Compiled block active-set kernel for the smooth region programs (paper eq. 3, appendix H):
 * the MSE and the logistic loss.
 *
 * For generators x̄_i ∈ R^n (i < N), labels y, output weights v, an activation pattern
 * A ∈ {0,1}^{m×N} and signs s_ui = 2A_ui − 1 it minimises
 *
 *     F(W, c) = (1/N) Σ_i ℓ(ŷ_i, y_i),   ŷ_i = Σ_u v_u A_ui (w_u·x̄_i) + c,
 *     subject to s_ui (w_u·x̄_i) ≥ 0 for all u, i        (c free, or fixed at 0),
 *
 * with ℓ(ŷ, y) = (ŷ − y)² (MSE: a convex QP) or ℓ(ŷ, y) = −yŷ + log(1 + e^ŷ) for y ∈ {0, 1}
 * (logistic, appendix H.2.2), over a product of m polyhedral cones C_u ⊂ R^n. The method is the
 * primal block active-set method of zonocomb/convex/backends/block_active_set.py; for the MSE:
 *
 *   - each unit u holds a working set of independent constraints and an orthonormal basis Z_u
 *     (n × k_u) of the directions keeping them; k_u = 0 means the unit is frozen at w_u = 0;
 *   - X Z_u, B_u = diag(v_u A_u) X Z_u (N × k_u) and the Gram matrix of all reduced columns (and
 *     of the column of ones for c) are maintained: adding a constraint to unit u is a Householder
 *     reflection of its basis, applied to Z_u, X Z_u, B_u and the Gram rows of u (a face step's
 *     rates X Δw_u are then combinations of the k_u columns of X Z_u);
 *   - a face step solves the face's least squares by Cholesky on that Gram matrix, leaving the
 *     numerically dependent columns out of the factor and taking the least-norm solution over all
 *     columns (min_norm); the factor is carried from step to step, only the columns of the units
 *     whose face changed being deleted and appended again (solve_mse); it then follows the piecewise
 *     linear path on which each unit stops at its own first blocking constraint, to the exact
 *     minimiser of F along it; every unit that stopped adds its blocking constraint;
 *   - pricing (at a face minimiser) recomputes the slacks and predictions exactly, checks the face
 *     stationarity (a failed check sends the iterate back to the face step: iterative refinement
 *     of the normal equations), computes the multipliers of the working constraints, and for a
 *     unit with a negative multiplier (at most PRICE_UNITS of them, the most negative first)
 *     projects −g_u onto its tangent cone by non-negative least
 *     squares (Lawson–Hanson, started from the working constraints with positive multipliers)
 *     over its tight constraints — its new face, that of the NNLS support, is the old one widened
 *     by the directions of the dropped normals, so only those columns of Z_u, B_u and the Gram
 *     matrix are computed (widen_face); a frozen unit is priced by NNLS of g_u on all its normals
 *     (Moreau: the residual is the projection of −g_u onto C_u), and either released along that
 *     projection or certified, the NNLS support being its certificate.
 *
 * The logistic loss changes only the face step and the length of a step (loss-specific parts:
 * derivs, fval, assemble_*, step_cap, backtrack): the face step is a Newton step, the weighted
 * least squares with weights ℓ''(ŷ_i)/N (floored at a fraction of their largest value) and
 * gradient ℓ'(ŷ_i)/N, whose Gram matrix is formed afresh over the face's columns at every step
 * (N K²/2 products for K free columns, computed in register blocks); along the path, the
 * minimiser of the quadratic model is capped so that no prediction moves by more than a set
 * amount (except far on the correct side), then halved until F decreases, as in Python. Optional
 * example weights keep_i ∈ {0, 1} drop examples from F, and with detect set the run stops with
 * ST_SEPARABLE when an iterate classifies every example correctly and with ST_RUNAWAY when a
 * margin passes the runaway level (the recession tests of block_active_set.py).
 *
 * Everything is float64 with the relative tolerances passed in by the Python wrapper
 * (zonocomb/convex/backends/kernel.py, which documents them). Every loop is bounded; failures
 * are reported by a status code, never by crashing. The work memory is allocated once per program
 * and thread (ctx_new); its largest arrays (the two (m n + 1)² matrices, Z, B, X Z, the rates,
 * the NNLS factor cache) are not
 * zeroed, every entry being written before it is read — a build with -DZC_POISON fills them
 * with NaN instead, so that a read before a write spreads NaN into the answer or changes it;
 * tests/test_region_kernel.py builds that variant and compares its answers with this build's
 * (test_no_work_array_is_read_before_it_is_written). The answer is certified
 * outside the solver: by certify() below (a separate entry point computing the KKT residuals of
 * kkt.py from the data and the candidate alone) or by the Python KKTChecker.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include "_compiled.h"

enum { ST_OK = 0, ST_MAXITER = 1, ST_FACE = 2, ST_NNLS = 3, ST_RELEASE = 4, ST_NONFINITE = 5,
       ST_UNBOUNDED = 6, ST_SEPARABLE = 7, ST_RUNAWAY = 8, ST_NODECREASE = 9 };

enum { LOSS_MSE = 0, LOSS_LOGISTIC = 1 };

/* at most this many free units widen in one pricing (price), those with the most negative
   multipliers first, so that few faces change per iteration (benchmarks/README.md, "partial
   pricing") */
enum { PRICE_UNITS = 8 };

/* tolerances; the logistic ones (P_CURV ...) are ignored for the MSE */
enum { P_ACTIVE, P_RATE, P_PG, P_FACE, P_DEC, P_RANK, P_DEP, P_ZEROCOL, P_NEGL, P_GSCALE,
       P_BSCALE, P_NNLS, P_CURV, P_MAXSTEP, P_SATM, P_MAXSAT, P_SEP, P_RUNAWAY, P_RIDGE, P_COUNT };

/* the certificate's tolerances (certify_run) */
enum { K_TIGHT, K_NEGL, K_NEG, K_SCALE, K_NNLS, K_RIDGE, K_COUNT };

typedef struct {
    /* problem */
    int N, n, m, P, fit_bias, max_iter, max_bounce;
    int logistic, has_keep, detect;   /* loss; keep given; recession tests on */
    const double *X, *Xu, *xn, *y, *v;
    unsigned char *A; const unsigned char *keep;    /* keep_i = 0: example i left out of F (logistic) */
    /* transposed copies (n × N: row r holds coordinate r of every example), so that products
       with all examples at once run over contiguous memory and vectorise */
    double *XT, *XuT;
    double *AV;       /* m × N: v_u A_ui, the weight of x̄_i·w_u in ŷ_i */
    double *SX;       /* m × N: s_ui / ‖x̄_i‖ (0 for a zero example), slack_ui = SX_ui (x̄_i·w_u) */
    double *px;       /* N-vector scratch for those products */
    double prm[P_COUNT];
    /* state */
    double *W, c;
    double *Z;        /* m × n × n: Z_u column j at Z + (u n + j) n */
    double *LW;       /* m × n × n: Cholesky factors of the working normals' Gram matrices */
    double *B;        /* m × n × N: B_u column j at B + (u n + j) N */
    double *XZ;       /* m × n × N: X Z_u (B_u before the weights v_u A_ui), laid out as B */
    double *GR;       /* P × P Gram matrix of the reduced columns; index u n + j, c at m n */
    double *S;        /* m × N signs s_ui */
    double *slack, *yhat, *g, *GW;
    double *hv;       /* logistic: ℓ''(ŷ_i)/N at the current ŷ (0 for left-out examples) */
    double *HB;       /* logistic: (m n) × N, the weighted columns H b_a of a face step */
    double *ones;     /* N-vector of ones */
    double *ytr;      /* N-vector: trial predictions of the backtracking */
    int *k, *nws, *WS, *live, *lw_q, *support, *nsupport, *hint, *nhint, *nzpos;
    int face_solved, bounce;
    /* the MSE face factor (solve_mse): fK columns fcol[0..fK), factored at their unit's stamp fst;
       fpos[a] = position + 1 of column a (0: not in the factor); ustamp[u] changes with unit u's face */
    int fK, *fcol, *fst, *fpos, *forig, *ustamp;
    /* the columns left out of the factor by the last fac_update (fD of them, dcol[j]): row P − 1 − j
       of L holds column j's forward substitution against the first dlen[j] rows of the factor */
    int fD, *dcol, *dlen;
    /* work */
    double *dW, *jdu, *rate, *alpha, *Jm, *Jt, *off, *rhs, *L, *delta, *wk;
    double *lam;      /* m × n: multipliers of the working constraints (min_multiplier) */
    double *dinv;     /* P: reciprocal diagonal of the face step's Cholesky factor */
    int *blk, *order, *idx, *kept;
    /* nnls work */
    int n4;           /* n rounded up to a multiple of 4 (padded NNLS vectors) */
    int nn_ident;     /* the NNLS columns are the examples 0 … p−1 in order (nn_idx[j] = j) */
    double *XuP;      /* N × n4: the unit generators, zero-padded rows */
    double *nn_mu, *nn_w, *nn_z, *nn_Q, *nn_R, *nn_res, *nn_sg, *nn_qf, *nn_f;
    int *nn_idx, *nn_P, *nn_excl;
    /* QR factor cache of the NNLS passive columns, one per unit (the solver's context only; the
       certificate's context runs without, nn_key = NULL): unit u's factor is at cQ, cR + u n4²,
       and its first cn[u] columns are those keyed ckey[u n + q] (example index, bitwise negated
       for sign −1). nn_Q, nn_R, nn_key, nn_cn point at the current unit's entries. */
    double *cQ, *cR;
    int *ckey, *cn, *nn_key, *nn_cn;
    /* scratch of n (or n²) entries, one array per use so that nested calls never share one */
    double *t_h, *t_zh, *t_Qs, *t_v, *t_s, *t_b, *t_zz, *t_f, *t_cf;
    int *t_wdrop, *t_ndrop, *t_init, *t_sup;
    unsigned char *Abuf;              /* the pattern (m × N bytes) of a workspace */
    void *mem;                        /* the one allocation of a workspace */
    void *cert;                       /* certify_run's work memory in sweeps and stars (cert_work) */
    double *st_d, *sc_d;              /* its state and scratch doubles (st_dn, sc_dn of them) */
    int *st_i;                        /* its state ints (st_in of them) */
    size_t st_dn, sc_dn, st_in;
} Ctx;


static double dot(const double *a, const double *b, int len) {
    double s = 0.0;
    for (int i = 0; i < len; i++) s += a[i] * b[i];
    return s;
}

/* dot product and a −= s b of vectors zero-padded to a multiple of 4 entries (len4), written
   four lanes at a time so that the compiler maps each step to one vector operation */
INLINE double dot4(const double *restrict a, const double *restrict b, int len4) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (int r = 0; r < len4; r += 4) {
        s0 += a[r] * b[r]; s1 += a[r + 1] * b[r + 1]; s2 += a[r + 2] * b[r + 2]; s3 += a[r + 3] * b[r + 3];
    }
    return (s0 + s2) + (s1 + s3);
}

INLINE void axpy4(double *restrict a, double s, const double *restrict b, int len4) {
    for (int r = 0; r < len4; r += 4) {
        a[r] -= s * b[r]; a[r + 1] -= s * b[r + 1]; a[r + 2] -= s * b[r + 2]; a[r + 3] -= s * b[r + 3];
    }
}

/* p_i = t_i·w for every example i, t_i the columns of the transposed matrix T (n × N): one
   contiguous pass over the examples per coordinate, two coordinates at a time */
HOT static void xmul(const Ctx *C, const double *restrict T, const double *restrict w,
                 double *restrict p) {
    int N = C->N, n = C->n, r = 0;
    if (n % 2) {
        for (int i = 0; i < N; i++) p[i] = w[0] * T[i];
        r = 1;
    } else {
        for (int i = 0; i < N; i++) p[i] = 0.0;
    }
    for (; r < n; r += 2) {
        const double *restrict t0 = T + (size_t)r * N, *restrict t1 = t0 + N;
        double w0 = w[r], w1 = w[r + 1];
        for (int i = 0; i < N; i++) p[i] += w0 * t0[i] + w1 * t1[i];
    }
}

/* out_r = Σ_i T_ri a_i (out = T a, T the n × N transposed matrix) */
HOT static void xtmul(const Ctx *C, const double *restrict T, const double *restrict a,
                  double *restrict out) {
    int N = C->N;
    for (int r = 0; r < C->n; r++) out[r] = dot(T + (size_t)r * N, a, N);
}

/* unit u's slacks s_ui Xu_i·w_u from w_u, and the products p_i = x̄_i·w_u; returns 0 (and
   no p) when w_u = 0 */
HOT static int unit_products(Ctx *C, int u, double *restrict p) {
    int N = C->N, n = C->n;
    const double *w = C->W + u * n;
    double *restrict sl = C->slack + u * N;
    int zero = 1;
    for (int r = 0; r < n; r++) if (w[r] != 0.0) zero = 0;
    if (zero) { memset(sl, 0, sizeof(double) * N); return 0; }
    xmul(C, C->XT, w, p);
    const double *restrict sx = C->SX + u * N;
    for (int i = 0; i < N; i++) sl[i] = sx[i] * p[i];
    return 1;
}

/* slacks and predictions ŷ, recomputed from W and c */
HOT static void refresh(Ctx *C) {
    int N = C->N;
    double *restrict yh = C->yhat, *restrict p = C->px;
    for (int i = 0; i < N; i++) yh[i] = C->c;
    for (int u = 0; u < C->m; u++) {
        if (!unit_products(C, u, p)) continue;   /* w_u = 0: no term */
        const double *restrict av = C->AV + u * N;
        for (int i = 0; i < N; i++) yh[i] += av[i] * p[i];
    }
}

static double wnorm(const double *w, int n) { return sqrt(dot(w, w, n)); }

/* The weight decay ρ ‖W‖² (P_RIDGE = ρ ≥ 0) added to F: its value at W + diag(min(t, α_u)) ΔW
 * along a path (moving: units that move; NULL and t = 0: at W) */
static double ridge_at(const Ctx *C, double t, const int *moving) {
    double rho = C->prm[P_RIDGE], s = 0.0;
    if (rho == 0.0) return 0.0;
    int n = C->n;
    for (int u = 0; u < C->m; u++) {
        const double *w = C->W + u * n, *d = C->dW + u * n;
        double tt = moving && moving[u] ? (C->alpha[u] < t ? C->alpha[u] : t) : 0.0;
        for (int r = 0; r < n; r++) { double x = w[r] + tt * d[r]; s += x * x; }
    }
    return rho * s;
}

/* X Z_u and B_u = diag(v_u A_u) X Z_u, columns j0 ≤ j < k_u */
HOT static void build_B(Ctx *C, int u, int j0) {
    int N = C->N, n = C->n;
    const double *restrict av = C->AV + u * N;
    for (int j = j0; j < C->k[u]; j++) {
        double *restrict b = C->B + (u * n + j) * N, *restrict xz = C->XZ + (u * n + j) * N;
        xmul(C, C->XT, C->Z + (u * n + j) * n, xz);
        for (int i = 0; i < N; i++) b[i] = av[i] * xz[i];
    }
}

static int is_free(Ctx *C, int u) { return C->live[u] && C->k[u] > 0; }

/* Gram entries of unit u's columns j0 ≤ j < k_u with every active column (free units' and c's),
   mirrored */
HOT static void build_gram_row(Ctx *C, int u, int j0) {
    int N = C->N, n = C->n, P = C->P, cI = C->m * n;
    for (int j = j0; j < C->k[u]; j++) {
        int a = u * n + j;
        const double *ba = C->B + a * N;
        for (int w = 0; w < C->m; w++) {
            if (!is_free(C, w)) continue;
            for (int l = 0; l < C->k[w]; l++) {
                int b = w * n + l;
                double s = dot(ba, C->B + b * N, N);
                C->GR[a * P + b] = s;
                C->GR[b * P + a] = s;
            }
        }
        double s = 0.0;
        for (int i = 0; i < N; i++) s += ba[i];
        C->GR[a * P + cI] = s;
        C->GR[cI * P + a] = s;
    }
}

/* Restrict unit u's face by the hyperplane a·w = 0 (a Householder update of Z_u and, with
 * update, of B_u and, for the MSE, of the Gram rows of u; the logistic Gram matrix changes with
 * the weights and is formed at each face step instead). Returns 1 if a was independent of the
 * face, else 0 (nothing changes). */
HOT static int restrict_face(Ctx *C, int u, const double *a, int update) {
    int n = C->n, N = C->N, P = C->P, k = C->k[u], cI = C->m * n;
    double *Z = C->Z + u * n * n;
    double *h = C->t_h;
    if (k <= 0) return 0;
    double nb = 0.0;
    for (int j = 0; j < k; j++) { h[j] = dot(Z + j * n, a, n); nb += h[j] * h[j]; }
    nb = sqrt(nb);
    if (!(nb > C->prm[P_RANK])) return 0;
    C->ustamp[u]++;
    if (k == 1) { C->k[u] = 0; return 1; }
    h[0] += h[0] >= 0.0 ? nb : -nb;
    double beta = 2.0 / dot(h, h, k);
    /* Z <- (Z H)[:, 1:], H = I − beta h hᵀ */
    double *zh = C->t_zh;
    for (int r = 0; r < n; r++) {
        double s = 0.0;
        for (int l = 0; l < k; l++) s += h[l] * Z[l * n + r];
        zh[r] = s;
    }
    for (int j = 1; j < k; j++) {
        double f = beta * h[j];
        for (int r = 0; r < n; r++) Z[(j - 1) * n + r] = Z[j * n + r] - f * zh[r];
    }
    if (update) {
        double *Bu = C->B + u * n * N;
        double *bh = C->wk;                       /* N-vector */
        for (int pass = 0; pass < 2; pass++) {    /* B_u, then X Z_u */
            if (pass) Bu = C->XZ + u * n * N;
            for (int i = 0; i < N; i++) bh[i] = 0.0;
            for (int l = 0; l < k; l++) {
                double hl = h[l];
                const double *bl = Bu + l * N;
                for (int i = 0; i < N; i++) bh[i] += hl * bl[i];
            }
            for (int j = 1; j < k; j++) {
                double f = beta * h[j];
                for (int i = 0; i < N; i++) Bu[(j - 1) * N + i] = Bu[j * N + i] - f * bh[i];
            }
        }
        Bu = C->B + u * n * N;
        C->k[u] = k - 1;
        if (C->logistic) return 1;
        /* cross blocks: rows (u, ·) against every other active column q */
        for (int w = 0; w <= C->m; w++) {
            int cnt, base;
            if (w == C->m) { if (!C->fit_bias) continue; cnt = 1; base = cI; }
            else { if (w == u || !is_free(C, w)) continue; cnt = C->k[w]; base = w * n; }
            for (int l = 0; l < cnt; l++) {
                int q = base + l;
                double hx = 0.0;
                for (int j = 0; j < k; j++) hx += h[j] * C->GR[(u * n + j) * P + q];
                for (int j = 1; j < k; j++) {
                    double val = C->GR[(u * n + j) * P + q] - beta * h[j] * hx;
                    C->GR[(u * n + j - 1) * P + q] = val;
                    C->GR[q * P + u * n + j - 1] = val;
                }
            }
        }
        /* own block: recomputed from B_u */
        for (int j = 0; j < k - 1; j++)
            for (int l = 0; l <= j; l++) {
                double s = dot(Bu + j * N, Bu + l * N, N);
                C->GR[(u * n + j) * P + u * n + l] = s;
                C->GR[(u * n + l) * P + u * n + j] = s;
            }
    } else {
        C->k[u] = k - 1;
    }
    return 1;
}

/* unit u's face from scratch: the constraints listed in T (sequential restriction of R^n);
   with update, B_u (and the MSE Gram rows of u) are rebuilt */
HOT static void set_face(Ctx *C, int u, const int *T, int nT, int update) {
    int n = C->n;
    double *Z = C->Z + u * n * n;
    memset(Z, 0, sizeof(double) * n * n);
    for (int j = 0; j < n; j++) Z[j * n + j] = 1.0;
    C->k[u] = n;
    C->ustamp[u]++;
    C->nws[u] = 0;
    C->lw_q[u] = 0;
    for (int t = 0; t < nT && C->k[u] > 0; t++) {
        if (restrict_face(C, u, C->Xu + T[t] * n, 0)) {
            if (C->nws[u] < n) C->WS[u * n + C->nws[u]++] = T[t];
        }
    }
    if (C->k[u] == 0) { for (int r = 0; r < n; r++) C->W[u * n + r] = 0.0; }
    if (update && C->k[u] > 0) { build_B(C, u, 0); if (!C->logistic) build_gram_row(C, u, 0); }
}

/* Unit u's face widened to the constraints S (nS of them, all in its working set): the face of
 * S is that of the working set plus the directions of span{x̂_r : r dropped} orthogonal to
 * span{x̂_s : s ∈ S} (Z_u is orthogonal to every working normal), so those directions — the
 * dropped normals, Gram–Schmidt orthogonalised (twice if the first pass took more than half of
 * the norm) against the normals of S, the columns of Z_u and each other — are appended to Z_u,
 * and only their columns of B_u and rows of the Gram matrix are computed (with update). Returns 0 if S is not a subset of the working set or a
 * direction is numerically null (the caller then sets the face from scratch), else 1. */
HOT static int widen_face(Ctx *C, int u, const int *S, int nS, int update) {
    int n = C->n, k0 = C->k[u], nw = C->nws[u];
    int *ws = C->WS + u * n, *drop = C->t_wdrop, nd = 0;
    if (k0 <= 0 || nS >= nw) return 0;
    for (int a = 0; a < nw; a++) {
        int in = 0;
        for (int t = 0; t < nS; t++) if (S[t] == ws[a]) { in = 1; break; }
        if (!in) drop[nd++] = ws[a];
    }
    if (nd != nw - nS) return 0;                  /* S has a constraint outside the working set */
    if (k0 + nd > n) return 0;                    /* (cannot happen: k_u = n − |working set|) */
    double *Qs = C->t_Qs, *v = C->t_v;
    int nq = 0;                                   /* orthonormal basis of the normals of S */
    for (int t = 0; t <= nS + nd - 1; t++) {
        const double *x = C->Xu + (t < nS ? S[t] : drop[t - nS]) * n;
        for (int r = 0; r < n; r++) v[r] = x[r];
        double nx = sqrt(dot(v, v, n)), nv = nx;
        for (int pass = 0; pass < 2; pass++) {    /* the second only if the first took over half */
            for (int l = 0; l < nq; l++) {
                double c = dot(Qs + l * n, v, n);
                for (int r = 0; r < n; r++) v[r] -= c * Qs[l * n + r];
            }
            if (t >= nS) {                        /* appended directions: also against Z_u */
                double *Z = C->Z + u * n * n;
                for (int l = 0; l < C->k[u]; l++) {
                    double c = dot(Z + l * n, v, n);
                    for (int r = 0; r < n; r++) v[r] -= c * Z[l * n + r];
                }
            }
            double prev = nv;
            nv = sqrt(dot(v, v, n));
            if (nv > 0.5 * prev) break;
        }
        if (!(nv > C->prm[P_RANK] * (nx > 0.0 ? nx : 1.0))) {
            if (t < nS) continue;                 /* (S's normals need not be independent) */
            C->k[u] = k0;
            return 0;
        }
        for (int r = 0; r < n; r++) v[r] /= nv;
        double *dst = t < nS ? Qs + nq++ * n : C->Z + (u * n + C->k[u]++) * n;
        for (int r = 0; r < n; r++) dst[r] = v[r];
    }
    for (int t = 0; t < nS; t++) ws[t] = S[t];
    C->nws[u] = nS;
    C->lw_q[u] = 0;
    if (update) { build_B(C, u, k0); if (!C->logistic) build_gram_row(C, u, k0); }
    return 1;
}

/* ---------------------------------------------------------------- NNLS (Lawson–Hanson)
 * min_{μ ≥ 0} ‖E μ − f‖ with columns e_j = sg_j Xu[idx_j] (unit vectors), j < p, started from
 * the passive set of the columns listed in init (ninit of them; positions in 0..p-1).
 * On return mu holds μ (length p), C->nn_res the residual f − Eμ, and *np_out / nn_P the
 * passive set. Returns 0, or −1 if the iteration cap was hit. */
HOT static int ls_passive(Ctx *C, int np, int *valid, double *z) {
    /* least squares min ‖E_P z − f‖ over the passive columns (np ≤ n) by Gram–Schmidt QR:
       E_P = Q R with orthonormal Q (columns of n4 entries, zero-padded) and z = R⁻¹ Qᵀ f; the
       first *valid columns' factors are reused, and so are those of the next columns that the
       unit's factor cache (nn_key) holds for this same prefix of columns (a later NNLS of the
       unit, e.g. the next pricing round's, started from the same passive set), with only Qᵀ f
       formed anew: the factors are what factoring the columns again would give, bit for bit.
       Returns the position in nn_P of a dependent column (distance < 1e-10 from the span of the
       earlier unit columns), or −1 */
    int n4 = C->n4;
    double *Q = C->nn_Q, *R = C->nn_R, *qf = C->nn_qf;
    const double *f = C->nn_f;
    int *key = C->nn_key;
    for (int q = *valid; q < np; q++) {
        int j = C->nn_P[q];
        double *qc = Q + q * n4;
        const double *x = C->XuP + C->nn_idx[j] * n4;
        double sg = C->nn_sg[j], *s = C->t_s;
        int kq = sg > 0.0 ? C->nn_idx[j] : ~C->nn_idx[j];
        if (key) {
            if (q < *C->nn_cn && key[q] == kq) { qf[q] = dot4(qc, f, n4); continue; }
            *C->nn_cn = q;                        /* column q is overwritten below */
        }
        for (int r = 0; r < n4; r++) qc[r] = sg * x[r];
        for (int l = 0; l < q; l++) R[l * n4 + q] = 0.0;
        /* classical Gram–Schmidt, s = Qᵀ qc, qc −= Q s (the dots independent), repeated once
           when the column lost more than half its norm (1: a unit column) to the projection,
           the "twice is enough" criterion (Daniel, Gragg, Kaufman & Stewart 1976) */
        double nr = 0.0;
        for (int pass = 0; pass < 2; pass++) {
            for (int l = 0; l < q; l++) s[l] = dot4(Q + l * n4, qc, n4);
            for (int l = 0; l < q; l++) {
                R[l * n4 + q] += s[l];
                axpy4(qc, s[l], Q + l * n4, n4);
            }
            nr = sqrt(dot4(qc, qc, n4));
            if (nr > 0.5 || q == 0) break;
        }
        if (!(nr > 1e-10)) { *valid = q; return q; }
        R[q * n4 + q] = 1.0 / nr;                 /* (the diagonal of R is stored inverted) */
        for (int r = 0; r < n4; r++) qc[r] *= R[q * n4 + q];
        qf[q] = dot4(qc, f, n4);                  /* Qᵀ f, kept with the factor */
        if (key) { key[q] = kq; *C->nn_cn = q + 1; }
    }
    *valid = np;
    for (int q = np - 1; q >= 0; q--) {
        double t = qf[q];
        for (int l = q + 1; l < np; l++) t -= R[q * n4 + l] * z[l];
        z[q] = t * R[q * n4 + q];
    }
    return -1;
}

/* C->nn_res = f − E_P μ_P (zero-padded to n4 entries) */
HOT static void nnls_residual(Ctx *C, int np) {
    int n4 = C->n4;
    double *res = C->nn_res;
    for (int r = 0; r < n4; r++) res[r] = C->nn_f[r];
    for (int q = 0; q < np; q++) {
        int j = C->nn_P[q];
        axpy4(res, C->nn_mu[j] * C->nn_sg[j], C->XuP + C->nn_idx[j] * n4, n4);
    }
}

/* remove passive positions flagged by drop[q] != 0 (keeping order); returns the new count */
static int compact(Ctx *C, int np, const int *drop, int *valid) {
    int keep = 0;
    for (int q = 0; q < np; q++) {
        if (drop[q]) { if (q < *valid) *valid = q; C->nn_mu[C->nn_P[q]] = 0.0; continue; }
        C->nn_P[keep++] = C->nn_P[q];
    }
    return keep;
}

HOT static int nnls(Ctx *C, int p, const double *f, const int *init, int ninit, int *np_out) {
    int n = C->n, np = 0, valid = 0, cap = 3 * p + 3 * n + 10, it = 0;
    double *mu = C->nn_mu, *w = C->nn_w, *z = C->nn_z;
    int *drop = C->t_ndrop;
    double tolw = C->prm[P_NNLS] * wnorm(f, n);
    for (int r = 0; r < C->n4; r++) C->nn_f[r] = r < n ? f[r] : 0.0;   /* padded copy of f */
    for (int j = 0; j < p; j++) { mu[j] = 0.0; C->nn_excl[j] = 0; }
    /* warm start: the LS solution on the initial set, shrunk until it is positive */
    for (int t = 0; t < ninit && np < n; t++) {
        int j = init[t];
        if (j < 0 || j >= p || C->nn_excl[j]) continue;
        C->nn_excl[j] = 1;                        /* (marks membership while building) */
        C->nn_P[np++] = j;
    }
    for (int q = 0; q < np; q++) C->nn_excl[C->nn_P[q]] = 0;
    while (np > 0) {
        if (++it > cap) { *np_out = np; return -1; }
        int dep = ls_passive(C, np, &valid, z);
        for (int q = 0; q < np; q++) drop[q] = 0;
        if (dep >= 0) { drop[dep] = 1; np = compact(C, np, drop, &valid); continue; }
        int neg = 0;
        for (int q = 0; q < np; q++) if (!(z[q] > 0.0)) { drop[q] = 1; neg = 1; }
        if (!neg) { for (int q = 0; q < np; q++) mu[C->nn_P[q]] = z[q]; break; }
        np = compact(C, np, drop, &valid);
    }
    nnls_residual(C, np);
    for (;;) {
        if (++it > cap) { *np_out = np; return -1; }
        if (np >= n) break;
        int jmax = -1;
        double wmax = tolw;
        /* w_j = e_jᵀ res over the eligible columns (not passive, not excluded; −inf for the
           others), then the most positive above tolw: maximum (four independent lanes), then
           its first position */
        const double *sg = C->nn_sg;
        if (p > n) {                               /* many columns: Xu res for all examples */
            double *q = C->px;
            xmul(C, C->XuT, C->nn_res, q);
            if (C->nn_ident)                       /* column j is example j: no gather */
                for (int j = 0; j < p; j++) w[j] = (C->nn_excl[j] | (mu[j] > 0.0)) ? -INFINITY : sg[j] * q[j];
            else
                for (int j = 0; j < p; j++)
                    w[j] = (C->nn_excl[j] | (mu[j] > 0.0)) ? -INFINITY : sg[j] * q[C->nn_idx[j]];
        } else {
            for (int j = 0; j < p; j++)
                w[j] = (C->nn_excl[j] | (mu[j] > 0.0)) ? -INFINITY
                                                        : sg[j] * dot(C->Xu + C->nn_idx[j] * n, C->nn_res, n);
        }
        double m4[4] = {wmax, wmax, wmax, wmax};
        int j = 0;
        for (; j + 4 <= p; j += 4)
            for (int l = 0; l < 4; l++) m4[l] = w[j + l] > m4[l] ? w[j + l] : m4[l];
        for (; j < p; j++) m4[0] = w[j] > m4[0] ? w[j] : m4[0];
        double best = m4[0] > m4[1] ? m4[0] : m4[1], best2 = m4[2] > m4[3] ? m4[2] : m4[3];
        best = best > best2 ? best : best2;
        if (best > wmax) {
            jmax = 0;
            while (jmax < p - 1 && !(w[jmax] == best)) jmax++;
        }
        if (jmax < 0) break;
        C->nn_P[np++] = jmax;
        int first = 1;
        for (;;) {
            if (++it > cap) { *np_out = np; return -1; }
            for (int q = 0; q < np; q++) drop[q] = 0;
            int dep = ls_passive(C, np, &valid, z);
            if (dep >= 0) {                        /* dependent column: excluded for good */
                C->nn_excl[C->nn_P[dep]] = 1;
                drop[dep] = 1;
                np = compact(C, np, drop, &valid);
                if (np == 0) break;
                continue;
            }
            if (first && !(z[np - 1] > 0.0)) {    /* rounding: the new column does not help */
                C->nn_excl[C->nn_P[np - 1]] = 1;
                drop[np - 1] = 1;
                np = compact(C, np, drop, &valid);
                if (np == 0) break;
                continue;
            }
            first = 0;
            int qmin = -1;
            double amin = 2.0;
            for (int q = 0; q < np; q++) {
                if (!(z[q] > 0.0)) {
                    double mq = mu[C->nn_P[q]];
                    double a = mq / (mq - z[q]);
                    if (qmin < 0 || a < amin) { amin = a; qmin = q; }
                }
            }
            if (qmin < 0) {
                for (int q = 0; q < np; q++) mu[C->nn_P[q]] = z[q];
                break;
            }
            for (int q = 0; q < np; q++) {
                int col = C->nn_P[q];
                double val = mu[col] + amin * (z[q] - mu[col]);
                if (q == qmin || !(val > 0.0)) drop[q] = 1;
                else mu[col] = val;
            }
            np = compact(C, np, drop, &valid);
            if (np == 0) break;
        }
        nnls_residual(C, np);
    }
    *np_out = np;
    return 0;
}

/* NNLS of g_u over unit u's normals at the examples in list (nl of them); d = Eμ − g_u */
HOT static int project_unit(Ctx *C, int u, const int *list, int nl, const double *gu, double *d,
                        const int *init, int ninit, int *np_out) {
    int n = C->n;
    size_t n4sq = (size_t)C->n4 * C->n4;
    int ident = 1;
    for (int t = 0; t < nl; t++) {
        C->nn_idx[t] = list[t];
        C->nn_sg[t] = C->S[u * C->N + list[t]];
        ident &= list[t] == t;
    }
    C->nn_ident = ident;
    C->nn_Q = C->cQ + u * n4sq;                   /* unit u's factor cache */
    C->nn_R = C->cR + u * n4sq;
    C->nn_key = C->ckey + u * n;
    C->nn_cn = C->cn + u;
    int rc = nnls(C, nl, gu, init, ninit, np_out);
    for (int r = 0; r < n; r++) d[r] = -C->nn_res[r];
    return rc;
}

/* ---------------------------------------------------------------- steps */
/* rates of ŷ (jdu) and of the slacks (rate) per unit step along dW, for units in mask, and
   the total rate of ŷ, Jt = dc + Σ_u jdu (dc: c's rate) */
HOT static void rates(Ctx *C, const int *moving, double dc) {
    int N = C->N, n = C->n;
    double *restrict jt = C->Jt;
    for (int i = 0; i < N; i++) jt[i] = dc;
    for (int u = 0; u < C->m; u++) {
        double *ju = C->jdu + u * N, *ru = C->rate + u * N;
        if (!moving[u]) { memset(ju, 0, sizeof(double) * N); memset(ru, 0, sizeof(double) * N); continue; }
        double *restrict p = C->px;
        xmul(C, C->XT, C->dW + u * n, p);
        const double *restrict sx = C->SX + u * N, *restrict av = C->AV + u * N;
        for (int i = 0; i < N; i++) {
            ru[i] = sx[i] * p[i];
            ju[i] = av[i] * p[i];
            jt[i] += ju[i];
        }
    }
}

/* rates() for a face step, whose dW_u = Σ_j δ_j Z_u,j over the columns idx[0..K) (δ = C->delta):
   X dW_u = Σ_j δ_j (X Z_u,j) from the kept products, k_u N flops per unit instead of n N */
HOT static void face_rates(Ctx *C, const int *moving, double dc, int K) {
    int N = C->N, n = C->n, cI = C->m * n;
    double *restrict jt = C->Jt;
    for (int u = 0; u < C->m; u++) if (moving[u]) memset(C->rate + u * N, 0, sizeof(double) * N);
    for (int q = 0; q < K; q++) {
        int a = C->idx[q];
        double z = C->delta[q];
        if (a == cI || z == 0.0) continue;
        double *restrict p = C->rate + (a / n) * N;
        const double *restrict xz = C->XZ + (size_t)a * N;
        for (int i = 0; i < N; i++) p[i] += z * xz[i];
    }
    for (int i = 0; i < N; i++) jt[i] = dc;
    for (int u = 0; u < C->m; u++) {
        double *restrict ju = C->jdu + u * N, *restrict ru = C->rate + u * N;
        if (!moving[u]) { memset(ju, 0, sizeof(double) * N); continue; }
        const double *restrict sx = C->SX + u * N, *restrict av = C->AV + u * N;
        for (int i = 0; i < N; i++) {
            double p = ru[i];
            ru[i] = sx[i] * p;
            ju[i] = av[i] * p;
            jt[i] += ju[i];
        }
    }
}

HOT static void ratio_test(Ctx *C, const int *moving) {
    int N = C->N, n = C->n;
    for (int u = 0; u < C->m; u++) {
        C->alpha[u] = INFINITY;
        C->blk[u] = -1;
        if (!moving[u]) continue;
        double lim = -C->prm[P_RATE] * wnorm(C->dW + u * n, n);
        const double *restrict ru = C->rate + u * N, *restrict sl = C->slack + u * N;
        double *restrict a = C->px;
        /* step to each decreasing constraint, max(slack, 0) / −rate (+inf if not decreasing);
           written without branches (their outcome is unpredictable), then the first minimum */
        for (int i = 0; i < N; i++) {
            double den = ru[i] < lim ? -ru[i] : 1.0;
            double q = (sl[i] > 0.0 ? sl[i] : 0.0) / den;
            a[i] = ru[i] < lim ? q : INFINITY;
        }
        double m4[4] = {INFINITY, INFINITY, INFINITY, INFINITY};   /* four independent lanes */
        int i4 = 0;
        for (; i4 + 4 <= N; i4 += 4)
            for (int l = 0; l < 4; l++) m4[l] = a[i4 + l] < m4[l] ? a[i4 + l] : m4[l];
        for (; i4 < N; i4++) m4[0] = a[i4] < m4[0] ? a[i4] : m4[0];
        double amin = m4[0] < m4[1] ? m4[0] : m4[1], amin2 = m4[2] < m4[3] ? m4[2] : m4[3];
        amin = amin < amin2 ? amin : amin2;
        if (amin < INFINITY) {
            int i = 0;
            while (i < N - 1 && !(a[i] == amin)) i++;
            C->alpha[u] = amin;
            C->blk[u] = i;
        }
    }
}

/* ---------------------------------------------------------------- loss-specific parts */
static int counted(const Ctx *C, int i) { return !C->has_keep || C->keep[i]; }

/* For labels y ∈ {0, 1} (validated in Python) and the margin z = σŷ, σ = 2y − 1, the logistic loss
 * is ℓ = log(1 + e^−z), ℓ' = −σ/(1 + e^z) and ℓ'' = e^−|z|/(1 + e^−|z|)²: one exponential
 * e = e^−|z| per example gives all three without overflow or cancellation (the loss
 * max(−z, 0) + log1p(e) keeps its relative accuracy when it is tiny, as in
 * zonocomb/convex/losses.py). */

/* g_i = ℓ'(ŷ_i)/N and, logistic, hv_i = ℓ''(ŷ_i)/N (both 0 on left-out examples), at C->yhat;
 * returns the logistic F there (0 for the MSE) */
HOT static double derivs(Ctx *C) {
    int N = C->N;
    const double *restrict yh = C->yhat, *restrict y = C->y;
    double *restrict g = C->g;
    if (!C->logistic) {
        for (int i = 0; i < N; i++) g[i] = (2.0 / N) * (yh[i] - y[i]);
        return 0.0;
    }
    double *restrict h = C->hv, inv = 1.0 / N, f = 0.0;
    for (int i = 0; i < N; i++) {
        if (!counted(C, i)) { g[i] = 0.0; h[i] = 0.0; continue; }
        double sg = y[i] != 0.0 ? 1.0 : -1.0, z = sg * yh[i];
        double e = exp(-fabs(z)), r = 1.0 / (1.0 + e);
        double ez = z >= 0.0 ? e * r : r;         /* 1/(1 + e^z) */
        g[i] = -sg * ez * inv;
        h[i] = e * r * r * inv;
        f += (z < 0.0 ? -z : 0.0) + log1p(e);
    }
    return f * inv;
}

/* logistic F at predictions yh: (1/N) Σ_{i kept} log(1 + e^−σ_i ŷ_i) */
HOT static double fval(const Ctx *C, const double *yh) {
    double s = 0.0;
    for (int i = 0; i < C->N; i++) {
        if (!counted(C, i)) continue;
        double z = C->y[i] != 0.0 ? yh[i] : -yh[i];
        s += (z < 0.0 ? -z : 0.0) + log1p(exp(-fabs(z)));
    }
    return s / C->N;
}

/* Logistic: the largest step t along the prediction rates Jt that moves no prediction by more
   than P_MAXSTEP, except that an example with margin σ_i ŷ_i ≥ P_SATM (its loss below
   log(1 + e^−40)) may move further while its margin stays at that level; and none by more than
   P_MAXSAT (block_active_set.BlockActiveSet._logit_step_cap). Left-out examples have margin +∞. */
HOT static double step_cap(const Ctx *C) {
    int N = C->N;
    double cap = INFINITY, amax = 0.0, satm = C->prm[P_SATM];
    for (int i = 0; i < N; i++) {
        double jd = C->Jt[i], a = fabs(jd);
        if (a > amax) amax = a;
        double ci = C->prm[P_MAXSTEP] / (a > 1e-300 ? a : 1e-300);
        double z = counted(C, i) ? (2.0 * C->y[i] - 1.0) * C->yhat[i] : INFINITY;
        if (z >= satm) {
            double rate = (2.0 * C->y[i] - 1.0) * jd;
            double room = rate < 0.0 ? (z - satm) / -rate : INFINITY;
            if (room > ci) ci = room;
        }
        if (ci < cap) cap = ci;
    }
    double sat = C->prm[P_MAXSAT] / (amax > 1e-300 ? amax : 1e-300);
    return cap < sat ? cap : sat;
}

/* Logistic: t, halved until F along the path (unit u moved by min(t, α_u) Δw_u, c by t dc)
   drops below f0 − 1e-16 (1 + |f0|), at most 60 times; −1 if it never does */
HOT static double backtrack(Ctx *C, double f0, double dc, double t, const int *moving) {
    int N = C->N;
    double thr = f0 - 1e-16 * (1.0 + fabs(f0));
    double *restrict yt = C->ytr;
    for (int it = 0; it < 60; it++) {
        for (int i = 0; i < N; i++) yt[i] = C->yhat[i] + t * dc;
        for (int u = 0; u < C->m; u++) {
            if (!moving[u]) continue;
            double tt = C->alpha[u] < t ? C->alpha[u] : t;
            const double *restrict ju = C->jdu + u * N;
            for (int i = 0; i < N; i++) yt[i] += tt * ju[i];
        }
        if (fval(C, yt) + ridge_at(C, t, moving) < thr) return t;
        t *= 0.5;
    }
    return -1.0;
}

/* First minimiser over t ≥ 0 of the quadratic model g·Δ + ½ Δᵀ diag(h) Δ of F along the path
 * Δ(t) on which unit u stops at α_u (rates() and derivs() first; h = 2/N for the MSE, C->hv for
 * the logistic loss), capped at tmax. For the MSE the model is F itself. */
HOT static int path_search(Ctx *C, double tmax, double *t_out) {
    int N = C->N, m = C->m, n = C->n, F = 0;
    double h = 2.0 / N, rho = C->prm[P_RIDGE];
    /* weight decay along the path: ρ Σ_{u moving} (2 t w_u·Δw_u + t² ‖Δw_u‖²) + constants */
    double wd = 0.0, dd = 0.0;
    if (rho > 0.0)
        for (int u = 0; u < m; u++) {
            wd += dot(C->W + u * n, C->dW + u * n, n);
            dd += dot(C->dW + u * n, C->dW + u * n, n);
        }
    const double *hv = C->logistic ? C->hv : NULL;
    for (int i = 0; i < N; i++) {
        C->Jm[i] = C->Jt[i];                      /* = dc + Σ_u jdu, from rates() */
        C->off[i] = 0.0;
    }
    for (int u = 0; u < m; u++) if (isfinite(C->alpha[u])) C->order[F++] = u;
    for (int a = 1; a < F; a++) {                 /* insertion sort by α */
        int x = C->order[a], b = a - 1;
        while (b >= 0 && C->alpha[C->order[b]] > C->alpha[x]) { C->order[b + 1] = C->order[b]; b--; }
        C->order[b + 1] = x;
    }
    for (int j = 0; j <= F; j++) {
        double bend = j < F ? C->alpha[C->order[j]] : INFINITY;
        double bstart = j > 0 ? C->alpha[C->order[j - 1]] : 0.0;
        double num, den;
        if (hv) {
            double so = 0.0, sd = 0.0;
            for (int i = 0; i < N; i++) {
                double hj = hv[i] * C->Jm[i];
                so += C->off[i] * hj;
                sd += C->Jm[i] * hj;
            }
            num = -dot(C->Jm, C->g, N) - so;
            den = sd;
        } else {
            num = -dot(C->Jm, C->g, N) - h * dot(C->off, C->Jm, N);
            den = h * dot(C->Jm, C->Jm, N);
        }
        num -= 2.0 * rho * wd;
        den += 2.0 * rho * dd;
        double tj = den > 0.0 ? num / den : (num > 0.0 ? INFINITY : -INFINITY);
        if (tj <= bend) {
            double t = tj > bstart ? tj : bstart;
            if (t > tmax) t = tmax;
            if (!isfinite(t)) return ST_UNBOUNDED;
            *t_out = t;
            return ST_OK;
        }
        const double *ju = C->jdu + C->order[j] * N;
        for (int i = 0; i < N; i++) { C->Jm[i] -= ju[i]; C->off[i] += bend * ju[i]; }
        if (rho > 0.0) {                          /* the unit stops: its decay term is constant; */
            wd = dd = 0.0;                        /* the sums over the units still moving (beyond */
            for (int u = 0; u < m; u++) {         /* bend), afresh: differences drift below 0 */
                if (!(C->alpha[u] > bend)) continue;
                wd += dot(C->W + u * n, C->dW + u * n, n);
                dd += dot(C->dW + u * n, C->dW + u * n, n);
            }
        }
    }
    return ST_UNBOUNDED;
}

HOT static void take_path(Ctx *C, double dc, double t, const int *moving) {
    int N = C->N, n = C->n;
    for (int u = 0; u < C->m; u++) {
        if (!moving[u]) continue;
        double tt = C->alpha[u] < t ? C->alpha[u] : t;
        for (int r = 0; r < n; r++) C->W[u * n + r] += tt * C->dW[u * n + r];
        for (int i = 0; i < N; i++) {
            C->slack[u * N + i] += tt * C->rate[u * N + i];
            C->yhat[i] += tt * C->jdu[u * N + i];
        }
    }
    C->c += t * dc;
    for (int i = 0; i < N; i++) C->yhat[i] += t * dc;
}

/* stopped units add their blocking constraint; returns how many stopped */
HOT static int add_blocking(Ctx *C, double t, const int *moving) {
    int n = C->n, stopped = 0, frozen = 0;
    for (int u = 0; u < C->m; u++) {
        if (!moving[u] || !(C->alpha[u] <= t) || C->blk[u] < 0) continue;
        stopped++;
        int i = C->blk[u];
        int nws = C->nws[u];
        if (restrict_face(C, u, C->Xu + i * n, 1)) {
            if (nws < n) C->WS[u * n + C->nws[u]++] = i;
            if (C->k[u] == 0) {
                for (int r = 0; r < n; r++) C->W[u * n + r] = 0.0;
                frozen = 1;
            }
        }
    }
    if (frozen) refresh(C);
    return stopped;
}

/* ---------------------------------------------------------------- the MSE face factor
 * The MSE face step solves the normal equations (BᵀB + Nρ I_w) δ = Bᵀ(y − ŷ) − Nρ Zᵀw over the
 * face's columns: B's (the reduced columns u n + j of the free units, j < k_u, less the null ones)
 * and, with a bias, c's (index m n). Their Gram matrix GR is maintained as faces change, and so is
 * its Cholesky factor: L (lower triangular, row stride P, row q for the column fcol[q]; the
 * inverse diagonal in dinv) is carried from one face step to the next. A unit whose face changed
 * (restrict_face or set_face bump its stamp; widen_face only appends columns) has its columns
 * deleted from the factor (Givens rotations restore the triangle: 3 (K − q)² flops for a column at
 * position q) and appended again at the end (one row of the factor: K² flops), instead of the
 * K³/3 flops of factoring every step; when the deletions would cost more than factoring the
 * columns that stay (K' of them: K'³/3 flops), the factor is rebuilt instead. A column whose
 * squared distance to the span of the factor's columns is below P_DEP times its squared norm is
 * left out of the factor and tried again at the next step; the step is nevertheless the
 * least-norm solution of the normal equations over all the face's columns (min_norm), since the
 * per-unit stopping path depends on which solution is taken when the face has more columns than
 * the data's rank (late in a fit, m n + 1 > N). The factor is also rebuilt at every solve's
 * start (or taken from a sweep's snapshot), and when a face minimiser fails its stationarity
 * check in price() (iterative refinement: the next face step works from a fresh factor). */

/* the factor's entry for the columns a, b: GR plus the weight decay on the weights' diagonal */
INLINE double gram(const Ctx *C, int a, int b) {
    double g = C->GR[(size_t)a * C->P + b];
    return a == b && a != C->m * C->n ? g + C->N * C->prm[P_RIDGE] : g;
}

/* forget the factor */
static void fac_clear(Ctx *C) {
    for (int q = 0; q < C->fK; q++) C->fpos[C->fcol[q]] = 0;
    C->fK = 0;
}

/* append column a as the factor's last row; if it depends on the others, record it as left out
 * (its forward substitution kept in row P − 1 − fD: below every row the factor can reach, as
 * fK + fD never exceeds the number of columns tried) and return 0 */
HOT static int fac_append(Ctx *C, int a) {
    int q = C->fK, P = C->P;
    double *L = C->L, *row = L + (size_t)q * P;
    for (int p = 0; p < q; p++)
        row[p] = (gram(C, a, C->fcol[p]) - dot(row, L + (size_t)p * P, p)) * C->dinv[p];
    double diag0 = gram(C, a, a), s = diag0 - dot(row, row, q);
    if (!(s > C->prm[P_DEP] * diag0)) {
        int j = C->fD++;
        memmove(L + (size_t)(P - 1 - j) * P, row, sizeof(double) * q);
        C->dcol[j] = a;
        C->dlen[j] = q;
        return 0;
    }
    row[q] = sqrt(s);
    C->dinv[q] = 1.0 / row[q];
    C->fcol[q] = a;
    C->fst[q] = a == C->m * C->n ? 0 : C->ustamp[a / C->n];
    C->fpos[a] = q + 1;
    C->fK = q + 1;
    return 1;
}

/* delete the factor's rows flagged in gone[q] (q < fK): the remaining rows move up, row j (old
 * row orig_j) then has entries in the columns 0 … orig_j, and Givens rotations of column pairs
 * (j, c), c = j + 1 … orig_j, zero those beyond the diagonal (L Gᵀ keeps L Lᵀ) */
HOT static void fac_delete(Ctx *C, const int *gone) {
    int P = C->P, K = C->fK, nk = 0;
    double *L = C->L;
    int *orig = C->forig;
    for (int q = 0; q < K; q++) {
        if (gone[q]) { C->fpos[C->fcol[q]] = 0; continue; }
        if (nk != q) {
            memmove(L + (size_t)nk * P, L + (size_t)q * P, sizeof(double) * (q + 1));
            C->fcol[nk] = C->fcol[q];
            C->fst[nk] = C->fst[q];
            C->fpos[C->fcol[nk]] = nk + 1;
        }
        orig[nk++] = q;
    }
    for (int j = 0; j < nk; j++) {
        double *lj = L + (size_t)j * P;
        for (int c = j + 1; c <= orig[j]; c++) {
            double a = lj[j], b = lj[c];
            if (b == 0.0) continue;
            double r = sqrt(a * a + b * b), cs = a / r, sn = b / r;
            lj[j] = r;
            lj[c] = 0.0;
            for (int i = j + 1; i < nk; i++) {
                double *li = L + (size_t)i * P;
                double x = li[j], y = li[c];
                li[j] = cs * x + sn * y;
                li[c] = cs * y - sn * x;
            }
        }
        C->dinv[j] = 1.0 / lj[j];
    }
    C->fK = nk;
}

/* The factor updated to the current face (see above). */
/* (fac_update, then) the normal equations of a face step, MSE, solved with the carried factor: rhs = Bᵀ(y − ŷ) − Nρ Zᵀw over its columns, the solution δ in
 * C->delta and its columns in C->idx (both of length K, returned); *f0 = F. */
HOT static void fac_update(Ctx *C) {
    int N = C->N, n = C->n, m = C->m, P = C->P, cI = m * n;
    double floor2 = C->prm[P_ZEROCOL] * C->prm[P_BSCALE];
    floor2 *= floor2;
    double ridge = N * C->prm[P_RIDGE];           /* weight decay: every column is kept */
    if (C->fit_bias) C->GR[(size_t)cI * P + cI] = (double)N;
    /* columns of the factor no longer on the face, or of a unit whose face changed */
    int *gone = C->kept, ngone = 0, K = C->fK;
    double cost = 0.0;
    C->fD = 0;
    for (int q = 0; q < K; q++) {
        int a = C->fcol[q], u = a / n, j = a % n;
        gone[q] = a != cI && (!is_free(C, u) || j >= C->k[u] || C->ustamp[u] != C->fst[q] ||
                              !(ridge > 0.0 || C->GR[(size_t)a * P + a] > floor2));
        if (gone[q]) { ngone++; cost += 3.0 * (double)(K - q) * (K - q); }
    }
    double kept = K - ngone;                      /* deleting costs more than factoring the rest? */
    if (cost > kept * kept * kept / 3.0) fac_clear(C);
    else if (ngone) fac_delete(C, gone);
    for (int u = 0; u < m; u++) {
        if (!is_free(C, u)) continue;
        for (int j = 0; j < C->k[u]; j++) {
            int a = u * n + j;
            if (!C->fpos[a] && (ridge > 0.0 || C->GR[(size_t)a * P + a] > floor2)) fac_append(C, a);
        }
    }
    if (C->fit_bias && !C->fpos[cI]) fac_append(C, cI);
}

/* Lᵀ x = y in place, for the factor's first K rows (by rows of L, contiguous: x_q final, then
   removed from the earlier equations) */
HOT static void back_solve(const Ctx *C, double *x, int K) {
    for (int q = K - 1; q >= 0; q--) {
        double xq = x[q] * C->dinv[q];
        x[q] = xq;
        const double *lq = C->L + (size_t)q * C->P;
        for (int p = 0; p < q; p++) x[p] -= lq[p] * xq;
    }
}

/* The least-norm solution of the face's normal equations, from the solution δ_S over the K
 * columns S of the factor (in C->delta) and the fD columns D left out of it: with T = G_SS⁻¹ G_SD
 * (each left-out column is B_S T up to P_DEP), the solutions are δ_S + T δ_D = δ_S(basic), and the
 * least-norm one has δ_D = (I + TᵀT)⁻¹ Tᵀ δ_S(basic). Appends D to C->idx and δ_D to C->delta and
 * updates δ_S; returns fD. Cost: K² per left-out column (completing its forward substitution and
 * the back substitution), fD² K / 2 for TᵀT and fD³ / 6 for its Cholesky factor. T is kept in the
 * rows P − 1 − j of L, I + TᵀT in the same rows from column K on (K + fD ≤ P). With weight decay
 * the matrix is positive definite and a column is left out only by rounding (its distance to the
 * others below P_DEP); the step is then completed in the same way, as if that column were
 * dependent, which changes it by no more than that rounding. */
HOT static int min_norm(Ctx *C, int K) {
    int P = C->P, d = C->fD;
    double *L = C->L, *z = C->delta, *zd = C->delta + K;
    for (int j = 0; j < d; j++) {
        double *t = L + (size_t)(P - 1 - j) * P;
        int a = C->dcol[j];
        for (int q = C->dlen[j]; q < K; q++)
            t[q] = (gram(C, a, C->fcol[q]) - dot(t, L + (size_t)q * P, q)) * C->dinv[q];
        back_solve(C, t, K);
        C->idx[K + j] = a;
    }
    for (int j = 0; j < d; j++) {                 /* M = I + TᵀT (lower triangle), rhs Tᵀ δ_S */
        double *tj = L + (size_t)(P - 1 - j) * P;
        for (int l = 0; l <= j; l++) tj[K + l] = dot(tj, L + (size_t)(P - 1 - l) * P, K) + (l == j);
        zd[j] = dot(tj, z, K);
    }
    for (int j = 0; j < d; j++) {                 /* M = R Rᵀ in place (its eigenvalues are ≥ 1) */
        double *rj = L + (size_t)(P - 1 - j) * P + K;
        for (int l = 0; l <= j; l++) {
            const double *rl = L + (size_t)(P - 1 - l) * P + K;
            double t = rj[l] - dot(rj, rl, l);
            rj[l] = l == j ? sqrt(t) : t / rl[l];
        }
    }
    for (int j = 0; j < d; j++) {                 /* R Rᵀ δ_D = rhs */
        const double *rj = L + (size_t)(P - 1 - j) * P + K;
        zd[j] = (zd[j] - dot(rj, zd, j)) / rj[j];
    }
    for (int j = d - 1; j >= 0; j--) {
        const double *rj = L + (size_t)(P - 1 - j) * P + K;
        zd[j] /= rj[j];
        for (int l = 0; l < j; l++) zd[l] -= rj[l] * zd[j];
    }
    for (int j = 0; j < d; j++) {                 /* δ_S −= T δ_D */
        const double *tj = L + (size_t)(P - 1 - j) * P;
        for (int q = 0; q < K; q++) z[q] -= tj[q] * zd[j];
    }
    return d;
}

HOT static int solve_mse(Ctx *C, double *f0) {
    int N = C->N, n = C->n, cI = C->m * n, P = C->P;
    double ridge = N * C->prm[P_RIDGE];
    fac_update(C);
    int K = C->fK;
    if (K == 0) return 0;
    double *r = C->wk, f = 0.0;
    for (int i = 0; i < N; i++) { r[i] = C->y[i] - C->yhat[i]; f += r[i] * r[i]; }
    *f0 = f / N;
    double *z = C->delta;
    const double *L = C->L;
    for (int q = 0; q < K; q++) {                 /* rhs, then L y = rhs */
        int a = C->fcol[q];
        double t;
        if (a == cI) { t = 0.0; for (int i = 0; i < N; i++) t += r[i]; }
        else {
            t = dot(C->B + (size_t)a * N, r, N);
            if (ridge > 0.0) t -= ridge * dot(C->Z + (size_t)a * n, C->W + (a / n) * n, n);
        }
        C->idx[q] = a;
        z[q] = (t - dot(L + (size_t)q * P, z, q)) * C->dinv[q];
    }
    back_solve(C, z, K);
    return K + min_norm(C, K);
}

/* a·b with eight independent partial sums (two vectors of four), so that the loop is not bound by
   the latency of one chain of additions) */
INLINE double dot8(const double *restrict a, const double *restrict b, int N) {
    double s[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    int i = 0;
    for (; i + 8 <= N; i += 8)
        for (int l = 0; l < 8; l++) s[l] += a[i + l] * b[i + l];
    double t = 0.0;
    for (; i < N; i++) t += a[i] * b[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + t;
}

/* out[j] = Σ_i a_i b_j,i for the four columns b_0..b_3 (independent sums, so that the loop is
   not bound by the latency of one chain of additions) */
INLINE void dots4(const double *restrict a, const double *restrict b0, const double *restrict b1,
                  const double *restrict b2, const double *restrict b3, int N, double *out) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (int i = 0; i < N; i++) {
        double ai = a[i];
        s0 += ai * b0[i]; s1 += ai * b1[i]; s2 += ai * b2[i]; s3 += ai * b3[i];
    }
    out[0] = s0; out[1] = s1; out[2] = s2; out[3] = s3;
}

/* the same for two vectors a0, a1 (each load of a column serves both) */
INLINE void dots2x4(const double *restrict a0, const double *restrict a1, const double *restrict b0,
                    const double *restrict b1, const double *restrict b2, const double *restrict b3,
                    int N, double *out0, double *out1) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, t0 = 0.0, t1 = 0.0, t2 = 0.0, t3 = 0.0;
    for (int i = 0; i < N; i++) {
        double x = a0[i], z = a1[i], c0 = b0[i], c1 = b1[i], c2 = b2[i], c3 = b3[i];
        s0 += x * c0; s1 += x * c1; s2 += x * c2; s3 += x * c3;
        t0 += z * c0; t1 += z * c1; t2 += z * c2; t3 += z * c3;
    }
    out0[0] = s0; out0[1] = s1; out0[2] = s2; out0[3] = s3;
    out1[0] = t0; out1[1] = t1; out1[2] = t2; out1[3] = t3;
}

/* out[p] = a·b_p for the columns b_p = base + idx[p] N, p < cnt, four at a time */
HOT static void dots_cols(const double *restrict a, const double *base, const int *idx, int cnt, int N,
                          double *out) {
    int p = 0;
    for (; p + 4 <= cnt; p += 4)
        dots4(a, base + (size_t)idx[p] * N, base + (size_t)idx[p + 1] * N, base + (size_t)idx[p + 2] * N,
              base + (size_t)idx[p + 3] * N, N, out + p);
    for (; p < cnt; p++) out[p] = dot8(a, base + (size_t)idx[p] * N, N);
}

/* Normal equations of a face step, logistic (a Newton step): Gram matrix Bᵀ H B and rhs −Bᵀ g over
 * the columns taken, H = diag(max(h_i, P_CURV max h)) on kept examples (0 on the others); a
 * column whose weighted norm is below P_ZEROCOL · bscale · max √H is null (the weights of
 * saturated examples make every column small, so the floor scales with them). Needs derivs(). */
HOT static int assemble_logistic(Ctx *C, double f, double *f0) {
    int N = C->N, n = C->n, m = C->m, cI = m * n;
    double *restrict hf = C->wk, hmax = 0.0;
    for (int i = 0; i < N; i++) if (C->hv[i] > hmax) hmax = C->hv[i];
    double fl = C->prm[P_CURV] * hmax;
    for (int i = 0; i < N; i++) hf[i] = counted(C, i) ? (C->hv[i] > fl ? C->hv[i] : fl) : 0.0;
    double floor2 = C->prm[P_ZEROCOL] * C->prm[P_BSCALE];
    floor2 *= floor2 * hmax;                     /* (max √H)² = max H = hmax where anything is kept */
    *f0 = f;
    /* candidate columns (their list in C->kept, free until solve_normal) */
    int *cand = C->kept, nc = 0;
    for (int u = 0; u < m; u++)
        if (is_free(C, u)) for (int j = 0; j < C->k[u]; j++) cand[nc++] = u * n + j;
    double *HB = C->HB;                           /* row q: H b_idx[q] */
    double rho = C->prm[P_RIDGE];
    double *dg = C->delta, *gb = C->rhs;
    int K = 0;
    for (int t = 0; t < nc; t++) {
        const double *restrict ba = C->B + (size_t)cand[t] * N;
        double *restrict hb = HB + (size_t)K * N;
        for (int i = 0; i < N; i++) hb[i] = hf[i] * ba[i];
        double s = dot8(hb, ba, N), r = dot8(C->g, ba, N);
        if (rho > 0.0) {                          /* weight decay: Hessian + 2ρ, gradient + 2ρ Zᵀw */
            int u = cand[t] / n;
            dg[K] = s + 2.0 * rho;
            gb[K] = -r - 2.0 * rho * dot(C->Z + (size_t)cand[t] * n, C->W + u * n, n);
            C->idx[K++] = cand[t];
        } else if (s > floor2) { dg[K] = s; gb[K] = -r; C->idx[K++] = cand[t]; }
    }
    int Kw = K;                                   /* weight columns; then c's */
    if (C->fit_bias) {
        double s = dot8(hf, C->ones, N), r = dot8(C->g, C->ones, N);
        if (s > floor2) { dg[K] = s; gb[K] = -r; C->idx[K++] = cI; }
    }
    if (K == 0) return 0;
    /* strictly lower triangle of the weight columns' block, L_qp = (H b_q)·b_p, two rows at a time */
    double *L = C->L;
    const double *B = C->B;
    const int *ix = C->idx;
    int q = 0;
    for (; q + 2 <= Kw; q += 2) {
        const double *a0 = HB + (size_t)q * N, *a1 = a0 + N;
        int p = 0;
        for (; p + 4 <= q; p += 4)
            dots2x4(a0, a1, B + (size_t)ix[p] * N, B + (size_t)ix[p + 1] * N, B + (size_t)ix[p + 2] * N,
                    B + (size_t)ix[p + 3] * N, N, L + q * K + p, L + (q + 1) * K + p);
        for (; p < q; p++) {
            L[q * K + p] = dot8(a0, B + (size_t)ix[p] * N, N);
            L[(q + 1) * K + p] = dot8(a1, B + (size_t)ix[p] * N, N);
        }
        L[(q + 1) * K + q] = dot8(a1, B + (size_t)ix[q] * N, N);
    }
    if (q < Kw) dots_cols(HB + (size_t)q * N, B, ix, q, N, L + q * K);
    for (q = 0; q < Kw; q++) L[q * K + q] = dg[q];
    if (K > Kw) {                                 /* c's row: Σ_i H_ii b_p,i */
        L[Kw * K + Kw] = dg[Kw];
        for (int p = 0; p < Kw; p++) L[Kw * K + p] = dot8(HB + (size_t)p * N, C->ones, N);
    }
    return K;
}

/* Solve the K normal equations in L, rhs by Cholesky, dropping the columns whose squared distance
 * to the span of the earlier ones is below P_DEP times their squared norm (a basic solution of a
 * rank-deficient problem); the solution in C->delta (0 for dropped columns). */
HOT static void solve_normal(Ctx *C, int K) {
    double *L = C->L;
    double dep = C->prm[P_DEP];
    /* (a dropped column's entries below the diagonal are zeroed, so that it takes no part) */
    for (int q = 0; q < K; q++) {
        double diag0 = L[q * K + q];
        double s = diag0 - dot(L + q * K, L + q * K, q);
        if (!(s > dep * diag0)) {
            C->kept[q] = 0;
            for (int i = q + 1; i < K; i++) L[i * K + q] = 0.0;
            continue;
        }
        C->kept[q] = 1;
        double lqq = sqrt(s), inv = 1.0 / lqq;
        L[q * K + q] = lqq;
        C->dinv[q] = inv;
        for (int i = q + 1; i < K; i++) L[i * K + q] = (L[i * K + q] - dot(L + i * K, L + q * K, q)) * inv;
    }
    double *z = C->delta;
    for (int q = 0; q < K; q++) {
        if (!C->kept[q]) { z[q] = 0.0; continue; }
        z[q] = (C->rhs[q] - dot(L + q * K, z, q)) * C->dinv[q];
    }
    /* Lᵀ z = y by columns of Lᵀ (rows of L, contiguous): z_q final, then removed from the earlier
       equations; a dropped column's row takes no part (its z is 0) */
    for (int q = K - 1; q >= 0; q--) {
        if (!C->kept[q]) { z[q] = 0.0; continue; }
        double zq = z[q] * C->dinv[q];
        z[q] = zq;
        const double *lq = L + q * K;
        for (int p = 0; p < q; p++) z[p] -= lq[p] * zq;
    }
}

/* One Newton step on the current face along the per-unit stopping path (for the MSE the exact
 * face minimiser unless a unit is blocked). */
HOT static int face_step(Ctx *C) {
    int N = C->N, n = C->n, m = C->m, cI = m * n;
    double f0 = 0.0;
    double f = derivs(C) + (C->logistic ? ridge_at(C, 0.0, NULL) : 0.0);
    int K = C->logistic ? assemble_logistic(C, f, &f0) : solve_mse(C, &f0);
    if (K == 0) { C->face_solved = 1; return ST_OK; }
    if (C->logistic) solve_normal(C, K);
    const double *z = C->delta;
    /* back to W coordinates */
    memset(C->dW, 0, sizeof(double) * m * n);
    double dc = 0.0;
    int *moving = C->order + m;                   /* second half of order[] */
    for (int u = 0; u < m; u++) moving[u] = 0;
    for (int q = 0; q < K; q++) {
        int a = C->idx[q];
        if (a == cI) { dc = z[q]; continue; }
        if (z[q] == 0.0) continue;
        int u = a / n, j = a % n;
        const double *zc = C->Z + (u * n + j) * n;
        for (int rr = 0; rr < n; rr++) C->dW[u * n + rr] += z[q] * zc[rr];
        moving[u] = 1;
    }
    for (int v = 0; v < m * n; v++) if (!isfinite(C->dW[v])) return ST_NONFINITE;
    if (!isfinite(dc)) return ST_NONFINITE;
    face_rates(C, moving, dc, K);
    ratio_test(C, moving);
    /* Newton decrement −g·jd */
    double decr = -2.0 * C->prm[P_RIDGE] * dot(C->W, C->dW, m * n), amin = INFINITY;
    for (int i = 0; i < N; i++) decr -= C->g[i] * C->Jt[i];
    for (int u = 0; u < m; u++) if (C->alpha[u] < amin) amin = C->alpha[u];
    if (!(decr > C->prm[P_DEC] * (1.0 + fabs(f0)))) {
        /* below the resolution of F: a feasible (and, logistic, small) step is still taken */
        int small = 1;
        if (C->logistic)
            for (int i = 0; i < N; i++) if (fabs(C->Jt[i]) > C->prm[P_MAXSTEP]) { small = 0; break; }
        if (amin >= 1.0 && small) take_path(C, dc, 1.0, moving);
        C->face_solved = 1;
        return ST_OK;
    }
    double t;
    int st = path_search(C, C->logistic ? step_cap(C) : INFINITY, &t);
    if (st != ST_OK) return st;
    if (C->logistic && t > 0.0) {
        double tb = backtrack(C, f0, dc, t, moving);
        if (tb < 0.0 && !(amin <= t)) { C->face_solved = 1; return ST_OK; }   /* no progress left */
        if (tb >= 0.0) t = tb;                    /* (else a unit is blocked at once) */
    }
    take_path(C, dc, t, moving);
    if (add_blocking(C, t, moving) == 0 && !C->logistic) C->face_solved = 1;
    return ST_OK;
}

/* Multipliers of unit u's working constraints: λ = diag(s) (M Mᵀ)⁻¹ M g_u; returns min λ
 * (+inf if none) and the norm of the face component ‖Z_uᵀ g_u‖ in *res. */
HOT static double min_multiplier(Ctx *C, int u, const double *gu, double *res) {
    int n = C->n, q = C->nws[u];
    double *Z = C->Z + u * n * n;
    double s = 0.0;
    for (int j = 0; j < C->k[u]; j++) { double t = dot(Z + j * n, gu, n); s += t * t; }
    *res = sqrt(s);
    if (q == 0) return INFINITY;
    double *b = C->t_b;
    if (q > n) return -INFINITY;                  /* cannot happen: the working set is independent */
    const int *ws = C->WS + u * n;
    /* Cholesky factor Lc (row stride n, its diagonal stored inverted) of the Gram matrix M Mᵀ of
       the working normals, kept per unit: the working set only grows between set_face calls
       (which reset lw_q), so only the rows of the constraints added since the last call are
       computed */
    double *Lc = C->LW + u * n * n;
    for (int a = C->lw_q[u]; a < q; a++) {
        const double *xa = C->Xu + ws[a] * n;
        for (int c = 0; c <= a; c++) {
            double t = dot(xa, C->Xu + ws[c] * n, n);
            for (int p = 0; p < c; p++) t -= Lc[a * n + p] * Lc[c * n + p];
            if (a == c) { if (!(t > 1e-24)) return -INFINITY; Lc[a * n + a] = 1.0 / sqrt(t); }
            else Lc[a * n + c] = t * Lc[c * n + c];
        }
        C->lw_q[u] = a + 1;
    }
    for (int a = 0; a < q; a++) b[a] = dot(C->Xu + ws[a] * n, gu, n);
    double *zz = C->t_zz;
    for (int a = 0; a < q; a++) {
        double t = b[a];
        for (int p = 0; p < a; p++) t -= Lc[a * n + p] * zz[p];
        zz[a] = t * Lc[a * n + a];
    }
    /* Lcᵀ λ' = zz by rows of Lc (contiguous): λ'_a final, then removed from the earlier equations */
    double lmin = INFINITY;
    for (int a = q - 1; a >= 0; a--) {
        double za = zz[a] * Lc[a * n + a];
        for (int p = 0; p < a; p++) zz[p] -= Lc[a * n + p] * za;
        double lam = C->S[u * C->N + ws[a]] * za;
        C->lam[u * n + a] = lam;
        if (lam < lmin) lmin = lam;
    }
    return lmin;
}

/* KKT check at a face minimiser; moves along projected directions when not optimal.
 * *done = 1 when certified. Partial pricing: of the free units with a negative multiplier, at most
 * PRICE_UNITS are widened in one call, those with the most negative multipliers first (a unit whose
 * projection vanishes does not count); frozen units are all priced. */
HOT static int price(Ctx *C, int *done) {
    int N = C->N, n = C->n, m = C->m;
    double tol = C->prm[P_PG] * C->prm[P_GSCALE];
    double ftol = C->prm[P_FACE] * C->prm[P_GSCALE];
    *done = 0;
    refresh(C);
    derivs(C);
    double gsum = 0.0;
    for (int i = 0; i < N; i++) gsum += C->g[i];
    for (int u = 0; u < m; u++) {
        double *gu = C->GW + u * n;
        for (int r = 0; r < n; r++) gu[r] = 0.0;
        if (!C->live[u]) continue;
        double *restrict p = C->px;                /* g_u = Σ_i v_u A_ui g_i x̄_i = Xᵀ (AV_u ⊙ g) */
        const double *restrict av = C->AV + u * N;
        for (int i = 0; i < N; i++) p[i] = av[i] * C->g[i];
        xtmul(C, C->XT, p, gu);
        for (int r = 0; r < n; r++) gu[r] += 2.0 * C->prm[P_RIDGE] * C->W[u * n + r];   /* weight decay */
    }
    double *lmin = C->alpha;                      /* reused as scratch before the step */
    int face_bad = C->fit_bias && fabs(gsum) > ftol;
    for (int u = 0; u < m; u++) {
        lmin[u] = INFINITY;
        if (!is_free(C, u)) continue;
        double res;
        lmin[u] = min_multiplier(C, u, C->GW + u * n, &res);
        if (res > ftol) face_bad = 1;
    }
    if (face_bad) {
        if (C->bounce >= C->max_bounce) return ST_FACE;
        C->bounce++;
        fac_clear(C);                             /* refinement from a fresh factor */
        C->face_solved = 0;
        return ST_OK;
    }
    C->bounce = 0;
    int *moving = C->order + m;
    int any = 0;
    memset(C->dW, 0, sizeof(double) * m * n);
    for (int u = 0; u < m; u++) moving[u] = 0;
    int *T = C->kept;                             /* scratch list of examples, length ≥ N */
    /* the free units with a negative multiplier, most negative first (first half of order[]):
       priced in that order until PRICE_UNITS of them have widened */
    int *cand = C->order, ncand = 0, widened = 0;
    for (int u = 0; u < m; u++) {
        C->nsupport[u] = -1;
        if (!C->live[u] || C->k[u] == 0 || !(lmin[u] < -tol)) continue;
        int b = ncand++;
        while (b > 0 && lmin[cand[b - 1]] > lmin[u]) { cand[b] = cand[b - 1]; b--; }
        cand[b] = u;
    }
    for (int c = 0; c < ncand + m; c++) {
        int u;
        if (c < ncand) {
            if (widened >= PRICE_UNITS) continue;
            u = cand[c];
        } else {
            u = c - ncand;
            if (!C->live[u] || C->k[u] > 0) continue;
        }
        const double *gu = C->GW + u * n;
        double *d = C->dW + u * n;
        int np;
        if (C->k[u] > 0) {
            double wn = wnorm(C->W + u * n, n);
            int cnt = 0;
            for (int i = 0; i < N; i++)
                if (C->xn[i] > 0.0 && C->slack[u * N + i] <= C->prm[P_ACTIVE] * wn) T[cnt++] = i;
            /* NNLS started from the working constraints with positive multipliers (their
               positions in T): the least-squares multipliers of the working set, less the negative
               ones, are usually the answer */
            int *init = C->t_init, ninit = 0;
            for (int a = 0; a < C->nws[u]; a++) {
                if (!(C->lam[u * n + a] > 0.0)) continue;
                for (int q = 0; q < cnt; q++) if (T[q] == C->WS[u * n + a]) { init[ninit++] = q; break; }
            }
            if (project_unit(C, u, T, cnt, gu, d, init, ninit, &np) != 0) return ST_NNLS;
            if (wnorm(d, n) > tol) {
                int *sup = C->t_sup;
                for (int q = 0; q < np; q++) sup[q] = C->nn_idx[C->nn_P[q]];
                if (!widen_face(C, u, sup, np, 1)) set_face(C, u, sup, np, 1);
                if (C->k[u] == 0) return ST_RELEASE;
                moving[u] = 1;
                any = 1;
                widened++;
            } else {
                for (int r = 0; r < n; r++) d[r] = 0.0;
            }
        } else {
            double gn = wnorm(gu, n);
            if (gn == 0.0) { C->nsupport[u] = 0; continue; }
            int cnt = 0;
            for (int i = 0; i < N; i++) if (C->xn[i] > 0.0) T[cnt++] = i;
            int *init = C->t_init, ninit = 0;
            for (int q = 0; q < C->nhint[u] && q < n; q++) {
                int ex = C->hint[u * n + q];
                if (ex >= 0 && ex < N && C->nzpos[ex] >= 0) init[ninit++] = C->nzpos[ex];
            }
            if (project_unit(C, u, T, cnt, gu, d, init, ninit, &np) != 0) return ST_NNLS;
            for (int q = 0; q < np; q++) C->hint[u * n + q] = C->nn_idx[C->nn_P[q]];
            C->nhint[u] = np;
            double dn = wnorm(d, n);
            if (dn > tol) {
                int cnt2 = 0;
                double *p = C->px;
                xmul(C, C->XuT, d, p);
                for (int i = 0; i < N; i++) {
                    if (!(C->xn[i] > 0.0)) continue;
                    double rt = C->S[u * N + i] * p[i];
                    if (rt <= C->prm[P_ACTIVE] * dn) T[cnt2++] = i;
                }
                set_face(C, u, T, cnt2, 1);
                if (C->k[u] == 0) return ST_RELEASE;
                moving[u] = 1;
                any = 1;
            } else {
                for (int r = 0; r < n; r++) d[r] = 0.0;
                int q = 0;
                for (int t = 0; t < np && q < n; t++) {
                    int j = C->nn_P[t];
                    if (C->nn_mu[j] > 0.0) C->support[u * n + q++] = C->nn_idx[j];
                }
                C->nsupport[u] = q;
            }
        }
    }
    if (!any) { *done = 1; return ST_OK; }
    rates(C, moving, 0.0);
    ratio_test(C, moving);
    double t;
    int st = path_search(C, C->logistic ? step_cap(C) : INFINITY, &t);
    if (st != ST_OK) return st;
    if (C->logistic && t > 0.0) {
        double f0 = fval(C, C->yhat) + ridge_at(C, 0.0, NULL), gain = 0.0;
        int stops = 0;
        for (int u = 0; u < m; u++) {
            if (!moving[u]) continue;
            double tt = C->alpha[u] < t ? C->alpha[u] : t;
            gain -= tt * (dot(C->g, C->jdu + u * N, N)     /* first-order decrease predicted */
                          + 2.0 * C->prm[P_RIDGE] * dot(C->W + u * n, C->dW + u * n, n));
            if (C->alpha[u] <= t) stops = 1;
        }
        double tb = backtrack(C, f0, 0.0, t, moving);
        if (tb < 0.0 && !stops) {
            if (gain <= 1e-13 * (1.0 + fabs(f0))) { *done = 1; return ST_OK; }   /* below F's resolution */
            return ST_NODECREASE;
        }
        if (tb >= 0.0) t = tb;
    }
    if (t > 0.0) take_path(C, 0.0, t, moving);
    add_blocking(C, t, moving);
    C->face_solved = 0;
    return ST_OK;
}

/* warm start, unit u (its slacks current): w_u = 0 if the unit is dead or there is no start;
   else, if w_u is infeasible, its projection onto the unit's cone */
HOT static int init_project(Ctx *C, int u, int has_start) {
    int N = C->N, n = C->n;
    double *w = C->W + u * n;
    int *T = C->kept;
    C->k[u] = 0;
    C->nws[u] = 0;
    C->lw_q[u] = 0;
    C->nsupport[u] = -1;
    if (!C->live[u] || !has_start) { for (int r = 0; r < n; r++) w[r] = 0.0; return ST_OK; }
    double wn = wnorm(w, n);
    if (wn == 0.0) return ST_OK;
    int bad = 0;
    for (int i = 0; i < N; i++)
        if (C->xn[i] > 0.0 && C->slack[u * N + i] < -C->prm[P_ACTIVE] * wn) { bad = 1; break; }
    if (bad) {                                    /* P_C(w) = w + Eμ, μ = NNLS(E, −w) (Moreau) */
        int cnt = 0, np;
        double *f = C->t_f;
        for (int i = 0; i < N; i++) if (C->xn[i] > 0.0) T[cnt++] = i;
        for (int r = 0; r < n; r++) f[r] = -w[r];
        if (project_unit(C, u, T, cnt, f, C->dW, NULL, 0, &np) != 0) return ST_NNLS;
        for (int r = 0; r < n; r++) w[r] = C->dW[r];    /* d = Eμ − f = w + Eμ = P_C(w) */
    }
    return ST_OK;
}

/* warm start, unit u (projected, its slacks current): its face, that of the constraints tight at
   w_u, and w_u moved onto it (w <- Z Zᵀ w) */
HOT static void init_face(Ctx *C, int u) {
    int N = C->N, n = C->n;
    double *w = C->W + u * n;
    int *T = C->kept;
    double wn = wnorm(w, n);
    if (!C->live[u] || wn == 0.0) return;
    int cnt = 0;
    for (int i = 0; i < N; i++)
        if (C->xn[i] > 0.0 && C->slack[u * N + i] <= C->prm[P_ACTIVE] * wn) T[cnt++] = i;
    set_face(C, u, T, cnt, 0);
    double *Z = C->Z + u * n * n, *cf = C->t_cf;
    for (int j = 0; j < C->k[u]; j++) cf[j] = dot(Z + j * n, w, n);
    for (int r = 0; r < n; r++) {
        double s = 0.0;
        for (int j = 0; j < C->k[u]; j++) s += cf[j] * Z[j * n + r];
        w[r] = s;
    }
}

/* warm start: project infeasible units onto their cones, find the faces, set up B and Gram */
HOT static int init_state(Ctx *C, int has_start) {
    int m = C->m;
    refresh(C);
    for (int u = 0; u < m; u++) {
        int st = init_project(C, u, has_start);
        if (st != ST_OK) return st;
    }
    refresh(C);
    for (int u = 0; u < m; u++) init_face(C, u);
    refresh(C);
    for (int u = 0; u < m; u++) if (is_free(C, u)) build_B(C, u, 0);
    if (!C->logistic) for (int u = 0; u < m; u++) if (is_free(C, u)) build_gram_row(C, u, 0);
    return ST_OK;
}

/* The warm start of a sweep's base vertex (init_state's result there), kept so that a neighbour,
 * which moves one unit, redoes only that unit's part (init_from_snap). */
typedef struct {
    double *W, *Z, *B, *XZ, *G;   /* W, Z (m × n, m × n × n), B and X Z of the free units, G: Gram */
    int *k, *nws, *WS, *col;  /* per unit; col: the F free columns (then c's entries, index F) */
    int F;
    double *L, *dinv;         /* MSE: the face factor of the warm start (fK rows, packed) */
    int fK, *fcol, *fst, *ustamp;
} Snap;

static void snap_free(Snap *S) { if (S) { free(S->W); free(S->k); free(S->L); free(S->fcol); free(S); } }

/* the snapshot of workspace C right after init_state; NULL when out of memory */
static Snap *snap_take(const Ctx *C) {
    int N = C->N, n = C->n, m = C->m, P = C->P, cI = m * n, F = 0;
    for (int u = 0; u < m; u++) if (C->live[u] && C->k[u] > 0) F += C->k[u];
    Snap *S = calloc(1, sizeof(Snap));
    if (!S) return NULL;
    size_t mn = (size_t)m * n, G1 = (size_t)F + 1;
    S->W = malloc(sizeof(double) * (mn + mn * n + 2 * mn * N + (C->logistic ? 0 : G1 * G1)));
    S->k = malloc(sizeof(int) * (2 * (size_t)m + mn + G1));
    if (!S->W || !S->k) { snap_free(S); return NULL; }
    S->Z = S->W + mn; S->B = S->Z + mn * n; S->XZ = S->B + mn * N; S->G = S->XZ + mn * N;
    S->nws = S->k + m; S->WS = S->nws + m; S->col = S->WS + mn;
    S->F = F;
    memcpy(S->W, C->W, sizeof(double) * mn);
    memcpy(S->Z, C->Z, sizeof(double) * mn * n);
    memcpy(S->k, C->k, sizeof(int) * m);
    memcpy(S->nws, C->nws, sizeof(int) * m);
    memcpy(S->WS, C->WS, sizeof(int) * mn);
    int q = 0;
    for (int u = 0; u < m; u++)
        if (C->live[u] && C->k[u] > 0) {
            memcpy(S->B + (size_t)u * n * N, C->B + (size_t)u * n * N, sizeof(double) * C->k[u] * N);
            memcpy(S->XZ + (size_t)u * n * N, C->XZ + (size_t)u * n * N, sizeof(double) * C->k[u] * N);
            for (int j = 0; j < C->k[u]; j++) S->col[q++] = u * n + j;
        }
    S->col[F] = cI;
    if (C->logistic) return S;
    for (int a = 0; a < F; a++)
        for (int b = 0; b <= F; b++) S->G[a * G1 + b] = C->GR[(size_t)S->col[a] * P + S->col[b]];
    size_t K = (size_t)C->fK;
    S->fK = C->fK;
    S->L = malloc(sizeof(double) * (K * (K + 1) / 2 + K + 1));
    S->fcol = malloc(sizeof(int) * (2 * K + (size_t)m + 1));
    if (!S->L || !S->fcol) { snap_free(S); return NULL; }
    S->dinv = S->L + K * (K + 1) / 2;
    S->fst = S->fcol + K; S->ustamp = S->fst + K;
    for (size_t r = 0; r < K; r++) memcpy(S->L + r * (r + 1) / 2, C->L + r * P, sizeof(double) * (r + 1));
    memcpy(S->dinv, C->dinv, sizeof(double) * K);
    memcpy(S->fcol, C->fcol, sizeof(int) * K);
    memcpy(S->fst, C->fst, sizeof(int) * K);
    memcpy(S->ustamp, C->ustamp, sizeof(int) * m);
    return S;
}

/* init_state for the base pattern with unit mv moved, from the base's snapshot S: every other
 * unit's part is copied (it depends on that unit alone), unit mv's redone: the same numbers as
 * init_state from the same start. The base's face factor is restored too, its columns of unit mv
 * stale (their stamp changed), so the first face step deletes and appends those only; the face
 * steps then differ from a solve without a snapshot by rounding (another column order). */
HOT static int init_from_snap(Ctx *C, const Snap *S, int mv) {
    int N = C->N, n = C->n, m = C->m, P = C->P, cI = m * n, F = S->F;
    size_t G1 = (size_t)F + 1;
    for (int u = 0; u < m; u++) {
        C->nsupport[u] = -1;
        C->lw_q[u] = 0;
        if (u == mv) continue;
        C->k[u] = S->k[u];
        C->nws[u] = S->nws[u];
        memcpy(C->WS + u * n, S->WS + u * n, sizeof(int) * n);
        memcpy(C->W + u * n, S->W + u * n, sizeof(double) * n);
        memcpy(C->Z + (size_t)u * n * n, S->Z + (size_t)u * n * n, sizeof(double) * n * n);
        if (is_free(C, u)) {
            memcpy(C->B + (size_t)u * n * N, S->B + (size_t)u * n * N, sizeof(double) * C->k[u] * N);
            memcpy(C->XZ + (size_t)u * n * N, S->XZ + (size_t)u * n * N, sizeof(double) * C->k[u] * N);
        }
    }
    if (!C->logistic) {                           /* stamps: the factor's columns of mv go stale */
        memcpy(C->ustamp, S->ustamp, sizeof(int) * m);
        C->ustamp[mv]++;
    }
    unit_products(C, mv, C->px);
    int st = init_project(C, mv, 1);
    if (st != ST_OK) return st;
    unit_products(C, mv, C->px);
    init_face(C, mv);
    refresh(C);
    if (is_free(C, mv)) build_B(C, mv, 0);
    if (C->logistic) return ST_OK;
    for (int a = 0; a < F; a++) {
        int ra = S->col[a];
        if (ra / n == mv) continue;
        double *row = C->GR + (size_t)ra * P;
        const double *g = S->G + a * G1;
        for (int b = 0; b < F; b++) if (S->col[b] / n != mv) row[S->col[b]] = g[b];
        row[cI] = g[F];
        C->GR[(size_t)cI * P + ra] = g[F];
    }
    if (is_free(C, mv)) build_gram_row(C, mv, 0);
    for (int q = 0; q < S->fK; q++) {
        memcpy(C->L + (size_t)q * P, S->L + (size_t)q * (q + 1) / 2, sizeof(double) * (q + 1));
        C->fpos[S->fcol[q]] = q + 1;
    }
    memcpy(C->dinv, S->dinv, sizeof(double) * S->fK);
    memcpy(C->fcol, S->fcol, sizeof(int) * S->fK);
    memcpy(C->fst, S->fst, sizeof(int) * S->fK);
    C->fK = S->fK;
    return ST_OK;
}

/* Logistic recession tests (block_active_set.BlockActiveSet._check_recession): ST_SEPARABLE when,
 * without keep, every margin σ_i ŷ_i (recomputed exactly) is at least P_SEP max(1, max|ŷ_i|);
 * ST_RUNAWAY when the largest margin of a kept example exceeds runaway; else ST_OK and that
 * largest margin (at least 0) in *top. */
HOT static int check_recession(Ctx *C, double runaway, double *top) {
    int N = C->N;
    double zmin = INFINITY, zmax = 0.0;
    if (!C->has_keep) {
        for (int i = 0; i < N; i++) {
            double z = (2.0 * C->y[i] - 1.0) * C->yhat[i];
            if (z < zmin) zmin = z;
        }
        if (zmin > 0.0) {
            refresh(C);                           /* exact predictions (no drift) */
            double ymax = 1.0;
            zmin = INFINITY;
            for (int i = 0; i < N; i++) {
                double z = (2.0 * C->y[i] - 1.0) * C->yhat[i];
                if (z < zmin) zmin = z;
                if (fabs(C->yhat[i]) > ymax) ymax = fabs(C->yhat[i]);
            }
            if (zmin >= C->prm[P_SEP] * ymax) return ST_SEPARABLE;
        }
    }
    for (int i = 0; i < N; i++) {
        if (!counted(C, i)) continue;
        double z = (2.0 * C->y[i] - 1.0) * C->yhat[i];
        if (z > zmax) zmax = z;
    }
    if (zmax > runaway) return ST_RUNAWAY;
    *top = zmax;
    return ST_OK;
}

HOT static int run(Ctx *C, int has_start, const Snap *snap, int mv, int *iters) {
    *iters = 0;
    int st = snap ? init_from_snap(C, snap, mv) : init_state(C, has_start);
    if (st != ST_OK) return st;
    C->face_solved = 0;
    C->bounce = 0;
    double runaway = INFINITY, top;
    if (C->detect) {
        st = check_recession(C, INFINITY, &top);
        if (st != ST_OK) return st;
        runaway = 2.0 * top > C->prm[P_RUNAWAY] ? 2.0 * top : C->prm[P_RUNAWAY];
    }
    int it = 0;
    for (;;) {
        if (++it > C->max_iter) { *iters = it; return ST_MAXITER; }
        if (!C->face_solved) {
            st = face_step(C);
        } else {
            int done;
            st = price(C, &done);
            if (st == ST_OK && done) break;
        }
        if (st == ST_OK && C->detect) st = check_recession(C, runaway, &top);
        if (st != ST_OK) { *iters = it; return st; }
    }
    *iters = it;
    /* units at rounding level are returned as exactly 0 (as in block_active_set._negligible) */
    refresh(C);
    int n = C->n;
    double wmax = 0.0, ymax = 0.0, yhmax = 0.0, xmax = 0.0;
    for (int u = 0; u < C->m; u++) { double t = wnorm(C->W + u * n, n); if (t > wmax) wmax = t; }
    for (int i = 0; i < C->N; i++) {
        if (fabs(C->y[i]) > ymax) ymax = fabs(C->y[i]);
        if (fabs(C->yhat[i]) > yhmax) yhmax = fabs(C->yhat[i]);
        if (C->xn[i] > xmax) xmax = C->xn[i];
    }
    double rt = C->prm[P_NEGL], scale = 1.0 + ymax + yhmax;
    for (int u = 0; u < C->m; u++) {
        double t = wnorm(C->W + u * n, n);
        if (C->k[u] == 0 || t <= rt * wmax || fabs(C->v[u]) * t * xmax <= rt * scale)
            for (int r = 0; r < n; r++) C->W[u * n + r] = 0.0;
        if (C->k[u] > 0) C->nsupport[u] = -1;
    }
    for (int v = 0; v < C->m * n; v++) if (!isfinite(C->W[v])) return ST_NONFINITE;
    if (!isfinite(C->c)) return ST_NONFINITE;
    return ST_OK;
}

/* ---------------------------------------------------------------- programs and workspaces
 * A Program holds one dataset, output weights, loss and tolerances (copied from Python once) and
 * up to nws workspaces (Ctx), each allocated on the heap on first use and sized by (N, n, m): a
 * solve runs in workspace 0, a sweep's threads in workspaces 0 … T−1. Nothing is sized at
 * compile time. The sizes accepted keep every int index below INT_MAX: m n N (the columns of B),
 * (m n + 1)² (the Gram matrix) and m n² (the bases Z). */
static int sizes_ok(int N, int n, int m) {
    if (N < 1 || n < 1 || m < 1) return 0;
    size_t mn = (size_t)m * (size_t)n;
    return mn * (size_t)N < (size_t)INT_MAX && (mn + 1) * (mn + 1) < (size_t)INT_MAX &&
           mn * (size_t)n < (size_t)INT_MAX;
}

static int need(const char *fn, Py_buffer *b, Py_ssize_t count, Py_ssize_t itemsize, const char *name) {
    if (b->len != count * itemsize) {
        PyErr_Format(PyExc_ValueError, "_region_kernel.%s: buffer %s has %zd bytes, expected %zd",
                     fn, name, b->len, count * itemsize);
        return 0;
    }
    return 1;
}

typedef struct {
    int N, n, m, logistic, fit_bias, max_iter, nws;
    double *X, *Xu, *xn, *y, *v;      /* copies of the data (Program owns them) */
    double prm[P_COUNT];
    double ktol[K_COUNT];             /* the certificate's tolerances (see certify_run) */
    Ctx **ws;
    int busy;                         /* a call is using the workspaces (they are not shared) */
} Program;

/* The work arrays of a workspace. Groups: data (set once: XT, XuT, XuP, ones, nzpos), pattern
 * (S, AV, SX, live: ctx_set_unit), the weights W (the start and the answer), state (zeroed at the
 * start of every solve) and scratch whose
 * entries are written before they are read (the Gram matrices GR and L, Z, B, HB, LW, the rates
 * jdu and rate, the NNLS factor cache cQ, cR, read below its count cn only); in a -DZC_POISON
 * build the scratch arrays are filled with NaN at the start of every solve (and the NNLS cache
 * emptied), so that a read before a write spreads NaN into the answer or changes it
 * (tests/test_region_kernel.py compares that build's answers with this one's). */
enum { G_DATA, G_PATTERN, G_IO, G_STATE, G_SCRATCH };

static void ctx_free(Ctx *C) { if (C) { free(C->mem); free(C->cert); free(C); } }

static Ctx *ctx_new(const Program *G) {
    Ctx *C = calloc(1, sizeof(Ctx));
    if (!C) return NULL;
    int N = G->N, n = G->n, m = G->m;
    C->N = N; C->n = n; C->m = m; C->P = m * n + 1; C->fit_bias = G->fit_bias; C->max_iter = G->max_iter;
    C->max_bounce = 3;
    C->logistic = G->logistic;
    C->X = G->X; C->Xu = G->Xu; C->xn = G->xn; C->y = G->y; C->v = G->v;
    memcpy(C->prm, G->prm, sizeof C->prm);
    size_t P = (size_t)C->P, mm = (size_t)m, NN = (size_t)N, nn = (size_t)n;
    size_t n4 = (nn + 3) & ~(size_t)3;
    C->n4 = (int)n4;
    struct { double **ptr; size_t size; int group; } arr[] = {
        {&C->XT, nn * NN, G_DATA}, {&C->XuT, nn * NN, G_DATA}, {&C->XuP, NN * n4, G_DATA},
        {&C->ones, NN, G_DATA},
        {&C->S, mm * NN, G_PATTERN}, {&C->AV, mm * NN, G_PATTERN}, {&C->SX, mm * NN, G_PATTERN},
        {&C->W, mm * nn, G_IO}, {&C->slack, mm * NN, G_STATE}, {&C->yhat, NN, G_STATE},
        {&C->g, NN, G_STATE}, {&C->GW, mm * nn, G_STATE}, {&C->dW, mm * nn, G_STATE},
        {&C->alpha, mm, G_STATE}, {&C->Jm, NN, G_STATE}, {&C->off, NN, G_STATE}, {&C->rhs, P, G_STATE},
        {&C->delta, P, G_STATE}, {&C->wk, NN, G_STATE}, {&C->nn_z, NN + nn, G_STATE},
        {&C->nn_mu, NN, G_STATE}, {&C->nn_w, NN, G_STATE}, {&C->nn_res, n4, G_STATE},
        {&C->nn_sg, NN + nn, G_STATE}, {&C->px, NN, G_STATE}, {&C->nn_qf, nn, G_STATE},
        {&C->Jt, NN, G_STATE}, {&C->nn_f, n4, G_STATE}, {&C->hv, NN, G_STATE}, {&C->ytr, NN, G_STATE},
        {&C->lam, mm * nn, G_STATE}, {&C->dinv, P, G_STATE},
        {&C->t_h, nn, G_STATE}, {&C->t_zh, nn, G_STATE}, {&C->t_Qs, nn * nn, G_STATE},
        {&C->t_v, nn, G_STATE}, {&C->t_s, n4, G_STATE}, {&C->t_b, nn, G_STATE}, {&C->t_zz, nn, G_STATE},
        {&C->t_f, nn, G_STATE}, {&C->t_cf, nn, G_STATE},
        {&C->Z, mm * nn * nn, G_SCRATCH}, {&C->B, mm * nn * NN, G_SCRATCH}, {&C->XZ, mm * nn * NN, G_SCRATCH}, {&C->jdu, mm * NN, G_SCRATCH},
        {&C->rate, mm * NN, G_SCRATCH}, {&C->cQ, mm * n4 * n4, G_SCRATCH}, {&C->cR, mm * n4 * n4, G_SCRATCH},
        {&C->LW, mm * nn * nn, G_SCRATCH}, {&C->HB, G->logistic ? mm * nn * NN : 0, G_SCRATCH},
        {&C->GR, P * P, G_SCRATCH}, {&C->L, P * P, G_SCRATCH}};
    struct { int **ptr; size_t size; int group; } iarr[] = {
        {&C->nzpos, NN, G_DATA}, {&C->live, mm, G_PATTERN},
        {&C->k, mm, G_STATE}, {&C->nws, mm, G_STATE}, {&C->WS, mm * nn, G_STATE}, {&C->lw_q, mm, G_STATE},
        {&C->blk, mm, G_STATE}, {&C->order, 2 * mm, G_STATE}, {&C->idx, P, G_STATE},
        {&C->kept, P > NN ? P : NN, G_STATE}, {&C->nn_idx, NN, G_STATE}, {&C->nn_P, nn + 1, G_STATE},
        {&C->nn_excl, NN, G_STATE}, {&C->hint, mm * nn, G_STATE}, {&C->nhint, mm, G_STATE},
        {&C->support, mm * nn, G_STATE}, {&C->nsupport, mm, G_STATE},
        {&C->t_wdrop, nn, G_STATE}, {&C->t_ndrop, nn + 1, G_STATE}, {&C->t_init, nn, G_STATE},
        {&C->t_sup, nn + 1, G_STATE}, {&C->fcol, P, G_STATE}, {&C->fst, P, G_STATE}, {&C->fpos, P, G_STATE},
        {&C->forig, P, G_STATE}, {&C->ustamp, mm, G_STATE}, {&C->dcol, P, G_STATE}, {&C->dlen, P, G_STATE},
        {&C->ckey, mm * nn, G_SCRATCH}, {&C->cn, mm, G_SCRATCH}};
    size_t narr = sizeof arr / sizeof arr[0], niarr = sizeof iarr / sizeof iarr[0], nd = 0, ni = 0;
    for (size_t t = 0; t < narr; t++) nd += arr[t].size;
    for (size_t t = 0; t < niarr; t++) ni += iarr[t].size;
    C->mem = malloc(nd * sizeof(double) + ni * sizeof(int) + mm * NN + 64);
    if (!C->mem) { free(C); return NULL; }
    /* layout: doubles by group (the state ones contiguous, so that one memset zeroes them; the
       scratch ones last, never zeroed), ints by group, then the pattern bytes */
    double *pd = C->mem;
    for (int grp = G_DATA; grp <= G_SCRATCH; grp++) {
        if (grp == G_STATE) C->st_d = pd;
        if (grp == G_SCRATCH) C->sc_d = pd;
        for (size_t t = 0; t < narr; t++) if (arr[t].group == grp) { *arr[t].ptr = pd; pd += arr[t].size; }
    }
    int *pi = (int *)pd;
    C->sc_dn = (size_t)(pd - C->sc_d);
    C->st_dn = (size_t)(C->sc_d - C->st_d);
    for (int grp = G_DATA; grp <= G_SCRATCH; grp++) {
        if (grp == G_STATE) C->st_i = pi;
        if (grp == G_SCRATCH) C->st_in = (size_t)(pi - C->st_i);
        for (size_t t = 0; t < niarr; t++) if (iarr[t].group == grp) { *iarr[t].ptr = pi; pi += iarr[t].size; }
    }
    C->Abuf = (unsigned char *)pi;
    C->A = C->Abuf;
    memset(C->mem, 0, (size_t)((char *)C->sc_d - (char *)C->mem));          /* (not the scratch) */
    memset(pd, 0, ni * sizeof(int) + mm * NN);
    for (int i = 0, q = 0; i < N; i++) C->nzpos[i] = C->xn[i] > 0.0 ? q++ : -1;
    for (int i = 0; i < N; i++) C->ones[i] = 1.0;
    for (int i = 0; i < N; i++)
        for (int r = 0; r < n; r++) {
            C->XT[(size_t)r * N + i] = C->X[(size_t)i * n + r];
            C->XuT[(size_t)r * N + i] = C->Xu[(size_t)i * n + r];
            C->XuP[(size_t)i * n4 + r] = C->Xu[(size_t)i * n + r];   /* (padding: zeroed) */
        }
    return C;
}

/* unit u's signs, prediction weights v_u A_ui, slack scales and liveness from C->A */
static void ctx_set_unit(Ctx *C, int u) {
    int N = C->N, live = 0;
    for (int i = 0; i < N; i++) {
        int a = C->A[(size_t)u * N + i] != 0;
        C->S[u * N + i] = a ? 1.0 : -1.0;
        C->AV[u * N + i] = a ? C->v[u] : 0.0;
        C->SX[u * N + i] = C->xn[i] > 0.0 ? C->S[u * N + i] / C->xn[i] : 0.0;
        live |= a;
    }
    C->live[u] = live && C->v[u] != 0.0;
}

static void ctx_set_pattern(Ctx *C, const unsigned char *A) {
    memcpy(C->Abuf, A, (size_t)C->m * C->N);
    for (int u = 0; u < C->m; u++) ctx_set_unit(C, u);
}

/* Zero the state of a workspace (the pattern, the data and the NNLS factor cache stay). */
static void ctx_reset(Ctx *C) {
    memset(C->st_d, 0, sizeof(double) * C->st_dn);
    memset(C->st_i, 0, sizeof(int) * C->st_in);
    C->fK = 0;
#ifdef ZC_POISON
    for (size_t q = 0; q < C->sc_dn; q++) C->sc_d[q] = NAN;
    memset(C->cn, 0, sizeof(int) * C->m);
#endif
}

/* Solve the pattern in C->A (units set) from W = C->W when has_start (else 0) and c0 when has_c
 * (else the best constant over the kept examples); hints (m × n, nhint per unit; NULL: none) are
 * NNLS starting sets of frozen units. keep: N bytes or NULL. Returns a status (ST_*); the answer
 * is in C->W, C->c, its certificate supports in C->support, C->nsupport. */
static int ctx_solve(Ctx *C, int has_start, double c0, int has_c, const unsigned char *keep,
                     int detect, const int *hint, const int *nhint, const Snap *snap, int mv, int *iters) {
    int N = C->N, m = C->m, n = C->n;
    ctx_reset(C);
    C->keep = keep;
    C->has_keep = keep != NULL;
    C->detect = detect != 0;
    if (hint) { memcpy(C->hint, hint, sizeof(int) * m * n); memcpy(C->nhint, nhint, sizeof(int) * m); }
    if (C->fit_bias) {
        if (has_c) C->c = c0;
        else {                                /* the best constant (over the kept examples) */
            double s = 0.0;
            int cnt = 0;
            for (int i = 0; i < N; i++) if (!keep || keep[i]) { s += C->y[i]; cnt++; }
            if (cnt == 0) { for (int i = 0; i < N; i++) s += C->y[i]; cnt = N; }
            double ybar = s / cnt;
            if (C->logistic) {
                double a = ybar > 1e-12 ? ybar : 1e-12, b = 1.0 - ybar > 1e-12 ? 1.0 - ybar : 1e-12;
                C->c = log(a / b);
            } else C->c = ybar;
        }
    } else C->c = 0.0;
    for (int v = 0; v < m * n; v++) C->support[v] = -1;
    int st = run(C, has_start, snap, mv, iters);
    if (!C->fit_bias) C->c = 0.0;
    return st;
}

static void program_free(PyObject *cap) {
    Program *G = PyCapsule_GetPointer(cap, "zonocomb.region_program");
    if (!G) return;
    if (G->ws) for (int t = 0; t < G->nws; t++) ctx_free(G->ws[t]);
    free(G->ws);
    free(G->X);
    free(G);
}

static Program *get_program(PyObject *cap) {
    return PyCapsule_GetPointer(cap, "zonocomb.region_program");
}

/* workspace t of G, allocated on first use; NULL with MemoryError set */
static Ctx *workspace(Program *G, int t) {
    if (!G->ws[t]) {
        G->ws[t] = ctx_new(G);
        if (!G->ws[t]) PyErr_NoMemory();
    }
    return G->ws[t];
}

/* program(X, Xu, xn, y, v, params, tolerances, N, n, m, loss, fit_bias, max_iter, workspaces) -> capsule */
static PyObject *program(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer bX, bXu, bxn, by, bv, bprm, btol;
    int N, n, m, loss, fit_bias, max_iter, nws;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*iiiiiii", &bX, &bXu, &bxn, &by, &bv, &bprm, &btol,
                          &N, &n, &m, &loss, &fit_bias, &max_iter, &nws))
        return NULL;
    PyObject *result = NULL;
    Program *G = NULL;
    if (!sizes_ok(N, n, m)) {
        PyErr_SetString(PyExc_ValueError, "_region_kernel.program: sizes out of range (m n N, "
                        "(m n + 1)^2 and m n^2 below 2^31 - 1)");
        goto done;
    }
    if (loss != LOSS_MSE && loss != LOSS_LOGISTIC) {
        PyErr_Format(PyExc_ValueError, "_region_kernel.program: unknown loss code %d", loss);
        goto done;
    }
    if (max_iter < 1 || nws < 1) {
        PyErr_SetString(PyExc_ValueError, "_region_kernel.program: max_iter and workspaces must be at least 1");
        goto done;
    }
    if (!need("program", &bX, (Py_ssize_t)N * n, 8, "X") || !need("program", &bXu, (Py_ssize_t)N * n, 8, "Xu") ||
        !need("program", &bxn, N, 8, "xn") || !need("program", &by, N, 8, "y") ||
        !need("program", &bv, m, 8, "v") || !need("program", &bprm, P_COUNT, 8, "params") ||
        !need("program", &btol, K_COUNT, 8, "tolerances"))
        goto done;
    G = calloc(1, sizeof(Program));
    if (!G) { PyErr_NoMemory(); goto done; }
    G->N = N; G->n = n; G->m = m; G->logistic = loss == LOSS_LOGISTIC; G->fit_bias = fit_bias != 0;
    G->max_iter = max_iter; G->nws = nws;
    size_t nd = 2 * (size_t)N * n + 2 * (size_t)N + (size_t)m;
    G->X = malloc(nd * sizeof(double));
    G->ws = calloc((size_t)nws, sizeof(Ctx *));
    if (!G->X || !G->ws) { free(G->X); free(G->ws); free(G); G = NULL; PyErr_NoMemory(); goto done; }
    G->Xu = G->X + (size_t)N * n; G->xn = G->Xu + (size_t)N * n; G->y = G->xn + N; G->v = G->y + N;
    memcpy(G->X, bX.buf, sizeof(double) * N * n);
    memcpy(G->Xu, bXu.buf, sizeof(double) * N * n);
    memcpy(G->xn, bxn.buf, sizeof(double) * N);
    memcpy(G->y, by.buf, sizeof(double) * N);
    memcpy(G->v, bv.buf, sizeof(double) * m);
    memcpy(G->prm, bprm.buf, sizeof G->prm);
    memcpy(G->ktol, btol.buf, sizeof G->ktol);
    result = PyCapsule_New(G, "zonocomb.region_program", program_free);
    if (!result) { free(G->X); free(G->ws); free(G); }
done:
    PyBuffer_Release(&bX); PyBuffer_Release(&bXu); PyBuffer_Release(&bxn); PyBuffer_Release(&by);
    PyBuffer_Release(&bv); PyBuffer_Release(&bprm); PyBuffer_Release(&btol);
    return result;
}

/* take the program's workspaces for one call (they are not shared between calls) */
static int acquire(Program *G, const char *fn) {
    if (G->busy) {
        PyErr_Format(PyExc_RuntimeError, "_region_kernel.%s: the program is in use by another call", fn);
        return 0;
    }
    G->busy = 1;
    return 1;
}

/* solve(program, pattern, W, supports, nsupport, hints, nhints, keep, has_start, c0, has_c,
 *       has_keep, detect) -> (status, c, iterations)
 * c0 is the starting c when has_c (else the best constant, over the kept examples); keep (N
 * bytes) is read when has_keep; detect turns the recession tests on (logistic). W (m × n) holds
 * the start and receives the answer; supports/nsupport receive its certificate supports. */
static PyObject *solve(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *cap;
    Py_buffer bA, bW, bsup, bnsup, bhint, bnhint, bkeep;
    int has_start, has_c, has_keep, detect;
    double c0;
    if (!PyArg_ParseTuple(args, "Oy*w*w*w*y*y*y*idiii", &cap, &bA, &bW, &bsup, &bnsup, &bhint, &bnhint,
                          &bkeep, &has_start, &c0, &has_c, &has_keep, &detect))
        return NULL;
    PyObject *result = NULL;
    Program *G = get_program(cap);
    if (!G) goto done;
    int N = G->N, n = G->n, m = G->m;
    if (!G->logistic && (has_keep || detect)) {
        PyErr_SetString(PyExc_ValueError, "_region_kernel.solve: keep and detect are logistic only");
        goto done;
    }
    if (!need("solve", &bA, (Py_ssize_t)m * N, 1, "pattern") || !need("solve", &bW, (Py_ssize_t)m * n, 8, "W") ||
        !need("solve", &bsup, (Py_ssize_t)m * n, 4, "supports") || !need("solve", &bnsup, m, 4, "nsupport") ||
        !need("solve", &bhint, (Py_ssize_t)m * n, 4, "hints") || !need("solve", &bnhint, m, 4, "nhints") ||
        !need("solve", &bkeep, has_keep ? N : 0, 1, "keep"))
        goto done;
    if (!acquire(G, "solve")) goto done;
    Ctx *C = workspace(G, 0);
    if (C) {
        int iters = 0, st;
        Py_BEGIN_ALLOW_THREADS
        ctx_set_pattern(C, bA.buf);
        memcpy(C->W, bW.buf, sizeof(double) * m * n);
        st = ctx_solve(C, has_start, c0, has_c, has_keep ? bkeep.buf : NULL, detect, bhint.buf, bnhint.buf, NULL, 0,
                       &iters);
        memcpy(bW.buf, C->W, sizeof(double) * m * n);
        memcpy(bsup.buf, C->support, sizeof(int) * m * n);
        memcpy(bnsup.buf, C->nsupport, sizeof(int) * m);
        Py_END_ALLOW_THREADS
        result = Py_BuildValue("idi", st, C->c, iters);
    }
    G->busy = 0;
done:
    PyBuffer_Release(&bA); PyBuffer_Release(&bW); PyBuffer_Release(&bsup); PyBuffer_Release(&bnsup);
    PyBuffer_Release(&bhint); PyBuffer_Release(&bnhint); PyBuffer_Release(&bkeep);
    return result;
}

/* ---------------------------------------------------------------- KKT certificate
 * The residuals of zonocomb/convex/kkt.py (KKTChecker.residuals), computed from the data, the
 * pattern and the candidate (W, c) alone (with the candidate supports of the units at w_u = 0 and
 * the example weights keep): nothing of the solver's state is read. Definitions, tolerances and
 * the choice of multipliers are those of kkt.py, which documents them; this is its compiled
 * implementation for the kernel's answers, KKTChecker being the reference (the tests compare
 * the two). Multipliers: least squares over the candidate set (≤ n tight constraints, or the given
 * support), by LU with partial pivoting of its Gram matrix; an exactly zero pivot in any unit's
 * system sends every unit to NNLS (as a singular batched solve does in kkt.py), as does a
 * least-squares multiplier below −NEGATIVE_RTOL × scale or a non-finite residual for that unit.
 * NNLS (over all of a unit's tight constraints) is the Lawson–Hanson routine above, run on a
 * context of its own; its iteration cap makes the stationarity residual infinite (not certified).
 * out = (primal, stationarity, dual, complementarity, rounding). Returns 0, or −1 (no memory). */

/* the bytes of certify_run's work memory for (N, n, m) */
static size_t certify_bytes(int N, int n, int m) {
    size_t NN = (size_t)N, nn = (size_t)n, mm = (size_t)m, n4 = (nn + 3) & ~(size_t)3;
    size_t nd = 2 * mm * NN + NN + NN + mm * nn + mm + mm * nn * 2 + nn * nn + nn
                + 2 * nn * NN + NN * n4 + NN + NN + NN + (NN + nn) + n4 + n4 * n4 * 2 + (NN + nn) + nn + n4
                + n4;
    size_t ni = mm * NN + mm * nn + NN + NN + nn + 1 + NN + mm * 3 + nn + nn + 1;
    return nd * sizeof(double) + ni * sizeof(int) + 64;
}

/* work: certify_bytes(N, n, m) bytes (every entry is written before it is read; a -DZC_POISON
   build fills them with NaN doubles and −1 ints first, so that a read before a write shows), or
   NULL to allocate them here */
HOT static int certify_run(int N, int n, int m, const double *X, const double *Xu, const double *xn,
                       const double *y, const double *v, const unsigned char *A, const double *W,
                       double c, const int *sup, const int *nsup, const unsigned char *keep,
                       int logistic, int fit_bias, const double *tol, double *out, void *work) {
    size_t NN = (size_t)N, nn = (size_t)n, mm = (size_t)m, n4 = (nn + 3) & ~(size_t)3;
    void *mem = work ? work : malloc(certify_bytes(N, n, m));
    if (!mem) return -1;
#ifdef ZC_POISON
    memset(mem, 0xff, certify_bytes(N, n, m));
#endif
    double *pd = mem;
    double *pre = pd; pd += mm * NN;          /* w_u·x̄_i */
    double *slack = pd; pd += mm * NN;        /* s_ui w_u·x̄_i/‖x̄_i‖ */
    double *yhat = pd; pd += NN;
    double *g = pd; pd += NN;
    double *G = pd; pd += mm * nn;            /* ∂F/∂w_u */
    double *wn = pd; pd += mm;
    double *mu = pd; pd += mm * nn;           /* least-squares μ per unit (on the unsigned normals) */
    double *res = pd; pd += mm * nn;          /* (only res[u] used: the residual norms) */
    double *XT = pd; pd += nn * NN;           /* the data transposed (n × N) */
    double *LU = pd; pd += nn * nn;
    double *rhs = pd; pd += nn;
    Ctx K;                                    /* NNLS context: only its own buffers */
    memset(&K, 0, sizeof K);
    K.N = N; K.n = n; K.n4 = (int)n4; K.Xu = Xu;
    K.prm[P_NNLS] = tol[K_NNLS];
    K.XuT = pd; pd += nn * NN;
    K.XuP = pd; pd += NN * n4;
    K.px = pd; pd += NN;
    K.nn_mu = pd; pd += NN;
    K.nn_w = pd; pd += NN;
    K.nn_z = pd; pd += NN + nn;
    K.nn_res = pd; pd += n4;
    K.nn_Q = pd; pd += n4 * n4;
    K.nn_R = pd; pd += n4 * n4;
    K.nn_sg = pd; pd += NN + nn;
    K.nn_qf = pd; pd += nn;
    K.nn_f = pd; pd += n4;
    K.t_s = pd; pd += n4;
    int *pi = (int *)pd;
    int *tight = pi; pi += mm * NN;
    int *idx = pi; pi += mm * nn;
    K.nn_idx = pi; pi += NN;
    K.nn_excl = pi; pi += NN;
    K.nn_P = pi; pi += nn + 1;
    int *T = pi; pi += NN;
    int *zero = pi; pi += mm;
    int *cnt = pi; pi += mm;
    int *nnls_u = pi; pi += mm;
    int *perm = pi; pi += nn;
    K.t_ndrop = pi; pi += nn + 1;

    double xmax = 0.0, ymax = 0.0;
    for (int i = 0; i < N; i++) {
        if (xn[i] > xmax) xmax = xn[i];
        if (fabs(y[i]) > ymax) ymax = fabs(y[i]);
    }
    /* preactivations p_ui = w_u·x̄_i (over the transposed data, one contiguous pass per
       coordinate), normalised slacks s_ui p_ui/‖x̄_i‖ (0 at a zero example), predictions */
    for (size_t i = 0; i < NN; i++)
        for (size_t r = 0; r < nn; r++) XT[r * NN + i] = X[i * nn + r];
    for (int i = 0; i < N; i++) yhat[i] = c;
    for (int u = 0; u < m; u++) {
        const double *w = W + u * nn;
        const unsigned char *Au = A + u * NN;
        double *restrict pu = pre + u * NN, *restrict su = slack + u * NN, vu = v[u];
        for (int i = 0; i < N; i++) pu[i] = 0.0;
        for (size_t r = 0; r < nn; r++) {
            const double *restrict t = XT + r * NN;
            double wr = w[r];
            for (int i = 0; i < N; i++) pu[i] += wr * t[i];
        }
        for (int i = 0; i < N; i++) {
            double q = xn[i] > 0.0 ? pu[i] / xn[i] : 0.0;
            su[i] = Au[i] ? q : -q;
            yhat[i] += Au[i] ? vu * pu[i] : 0.0;
        }
        wn[u] = wnorm(w, n);
    }
    double ypeak = 0.0;
    for (int i = 0; i < N; i++) {
        if (fabs(yhat[i]) > ypeak) ypeak = fabs(yhat[i]);
        double gi;
        if (!logistic) gi = (yhat[i] - y[i]) * (2.0 / N);
        else {                                /* σ(ŷ) − y without cancellation, over N */
            double z = y[i] != 0.0 ? -yhat[i] : yhat[i], e = exp(-fabs(z)), r = 1.0 / (1.0 + e);
            gi = (z >= 0.0 ? r : e * r) * (y[i] != 0.0 ? -1.0 : 1.0) / N;
        }
        g[i] = keep && !keep[i] ? 0.0 : gi;
    }
    for (int u = 0; u < m; u++) {             /* G_u = v_u Σ_i A_ui g_i x̄_i */
        const unsigned char *Au = A + u * NN;
        double *restrict ga = pre + u * NN;   /* (the preactivations are not needed any more) */
        for (int i = 0; i < N; i++) ga[i] = Au[i] ? g[i] : 0.0;
        for (size_t r = 0; r < nn; r++) G[u * nn + r] = v[u] * dot(XT + r * NN, ga, N) + 2.0 * tol[K_RIDGE] * W[u * nn + r];
    }
    double wpeak = 0.0;
    for (int u = 0; u < m; u++) if (wn[u] > wpeak) wpeak = wn[u];
    double big = tol[K_NEGL] * (1.0 + ymax + ypeak), wmax = 0.0, smin = 0.0, vwmax = 0.0;
    for (int u = 0; u < m; u++) {
        zero[u] = wn[u] <= tol[K_NEGL] * wpeak || fabs(v[u]) * xmax * wn[u] <= big;
        if (zero[u]) wn[u] = 0.0;
        if (wn[u] > wmax) wmax = wn[u];
        if (fabs(v[u]) * wn[u] > vwmax) vwmax = fabs(v[u]) * wn[u];
        for (int i = 0; i < N; i++) if (slack[u * NN + i] < smin) smin = slack[u * NN + i];
    }
    double primal = wmax > 0.0 ? -smin / wmax : 0.0;
    /* candidate sets */
    for (int u = 0; u < m; u++) {
        int k = 0;
        for (int i = 0; i < N; i++) {
            int t = xn[i] > 0.0 && (zero[u] || slack[u * NN + i] <= tol[K_TIGHT] * wn[u]);
            tight[u * NN + i] = t;
            k += t;
        }
        cnt[u] = k;
        nnls_u[u] = 0;
        int given = 0;
        if (zero[u]) {
            int gz = 0;
            for (int r = 0; r < n; r++) gz |= G[u * nn + r] != 0.0;
            nnls_u[u] = gz;
            if (nsup[u] >= 0 && nsup[u] <= n) { given = 1; cnt[u] = nsup[u]; nnls_u[u] = 0; }
        }
        if (cnt[u] > n) nnls_u[u] = 1;
        for (int j = 0; j < n; j++) idx[u * nn + j] = -1;
        if (nnls_u[u]) { cnt[u] = 0; continue; }
        if (given) for (int j = 0; j < nsup[u]; j++) idx[u * nn + j] = sup[u * nn + j];
        else for (int i = 0, j = 0; i < N; i++) if (tight[u * NN + i]) idx[u * nn + j++] = i;
    }
    /* least-squares multipliers over each candidate set: Gram (k × k) of the unit normals */
    int singular = 0;
    for (int u = 0; u < m && !singular; u++) {
        if (nnls_u[u]) continue;
        int k = cnt[u];
        const int *I = idx + u * nn;
        const double *Gu = G + u * nn;
        for (int a = 0; a < k; a++) {
            rhs[a] = dot(Xu + I[a] * nn, Gu, n);
            for (int b = 0; b <= a; b++)
                LU[a * nn + b] = LU[b * nn + a] = dot(Xu + I[a] * nn, Xu + I[b] * nn, n);
            perm[a] = a;
        }
        for (int j = 0; j < k; j++) {         /* LU with partial pivoting, applied to rhs */
            int p = j;
            for (int a = j + 1; a < k; a++) if (fabs(LU[a * nn + j]) > fabs(LU[p * nn + j])) p = a;
            if (LU[p * nn + j] == 0.0) { singular = 1; break; }
            if (p != j) {
                for (int b = 0; b < k; b++) { double t = LU[j * nn + b]; LU[j * nn + b] = LU[p * nn + b]; LU[p * nn + b] = t; }
                double t = rhs[j]; rhs[j] = rhs[p]; rhs[p] = t;
            }
            for (int a = j + 1; a < k; a++) {
                double f = LU[a * nn + j] / LU[j * nn + j];
                for (int b = j + 1; b < k; b++) LU[a * nn + b] -= f * LU[j * nn + b];
                rhs[a] -= f * rhs[j];
            }
        }
        if (singular) break;
        double *mu_u = mu + u * nn;
        for (int a = k - 1; a >= 0; a--) {
            double t = rhs[a];
            for (int b = a + 1; b < k; b++) t -= LU[a * nn + b] * mu_u[b];
            mu_u[a] = t / LU[a * nn + a];
        }
        double r2 = 0.0;
        for (int r = 0; r < n; r++) {
            double t = -Gu[r];
            for (int a = 0; a < k; a++) t += mu_u[a] * Xu[I[a] * nn + r];
            r2 += t * t;
        }
        res[u] = sqrt(r2);
    }
    double stat = 0.0, dual = 0.0, comp = 0.0, negtol = -tol[K_NEG] * tol[K_SCALE];
    for (int u = 0; u < m; u++) {
        if (nnls_u[u]) continue;
        if (singular || !isfinite(res[u])) { nnls_u[u] = 1; continue; }
        double lmin = 0.0, cmax = 0.0;
        for (int a = 0; a < cnt[u]; a++) {
            int i = idx[u * nn + a];
            double lam = A[u * NN + i] ? mu[u * nn + a] : -mu[u * nn + a];
            if (lam < lmin) lmin = lam;
            double t = fabs(lam * slack[u * NN + i]);
            if (t > cmax || t != t) cmax = t;
        }
        if (lmin < negtol) { nnls_u[u] = 1; continue; }
        if (res[u] > stat) stat = res[u];
        if (-lmin > dual) dual = -lmin;
        if (cmax > comp || cmax != cmax) comp = cmax;
    }
    int built = 0;
    for (int u = 0; u < m; u++) {             /* NNLS over all of the unit's tight constraints */
        if (!nnls_u[u]) continue;
        const double *Gu = G + u * nn;
        int nt = 0;
        for (int i = 0; i < N; i++) if (tight[u * NN + i]) T[nt++] = i;
        if (nt == 0) { double t = wnorm(Gu, n); if (t > stat || t != t) stat = t; continue; }
        if (!built) {
            for (int i = 0; i < N; i++)
                for (size_t r = 0; r < n4; r++) {
                    if (r < nn) K.XuT[r * NN + i] = Xu[(size_t)i * nn + r];
                    K.XuP[(size_t)i * n4 + r] = r < nn ? Xu[(size_t)i * nn + r] : 0.0;   /* padded */
                }
            built = 1;
        }
        for (int t = 0; t < nt; t++) { K.nn_idx[t] = T[t]; K.nn_sg[t] = A[u * NN + T[t]] ? 1.0 : -1.0; }
        int np;
        if (nnls(&K, nt, Gu, NULL, 0, &np) != 0) { stat = INFINITY; continue; }
        double t = sqrt(dot(K.nn_res, K.nn_res, n));
        if (t > stat || t != t) stat = t;
        for (int j = 0; j < nt; j++) {
            double q = fabs(K.nn_mu[j] * slack[u * NN + T[j]]);
            if (q > comp || q != q) comp = q;
        }
    }
    if (fit_bias) {
        double s = 0.0;
        for (int i = 0; i < N; i++) s += g[i];
        if (fabs(s) > stat || s != s) stat = fabs(s);
    }
    double sc = tol[K_SCALE];
    out[0] = primal;
    out[1] = stat / sc;
    out[2] = dual / sc;
    out[3] = wmax > 0.0 ? comp / (sc * wmax) : 0.0;
    out[4] = DBL_EPSILON * vwmax * xmax / (1.0 + ypeak);
    for (int t = 0; t < 5; t++) if (!(out[t] <= INFINITY)) out[t] = INFINITY;   /* NaN: not certified */
    if (!work) free(mem);
    return 0;
}

/* certify(X, Xu, xn, y, v, pattern, W, c, supports, nsupport, keep, N, n, m, loss, fit_bias,
 *         has_keep, tolerances) -> (primal, stationarity, dual, complementarity, rounding)
 * tolerances: float64 (TIGHT_RTOL, NEGLIGIBLE_RTOL, NEGATIVE_RTOL, scale, NNLS_RTOL);
 * nsupport_u < 0: no support given for unit u. */
static PyObject *certify(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer bX, bXu, bxn, by, bv, bA, bW, bsup, bnsup, bkeep, btol;
    int N, n, m, loss, fit_bias, has_keep;
    double c;
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*dy*y*y*iiiiiiy*", &bX, &bXu, &bxn, &by, &bv, &bA,
                          &bW, &c, &bsup, &bnsup, &bkeep, &N, &n, &m, &loss, &fit_bias, &has_keep,
                          &btol))
        return NULL;
    PyObject *result = NULL;
    if (!sizes_ok(N, n, m) || (loss != LOSS_MSE && loss != LOSS_LOGISTIC)) {
        PyErr_SetString(PyExc_ValueError, "_region_kernel.certify: sizes or loss code out of range");
        goto done;
    }
    if (!need("certify", &bX, (Py_ssize_t)N * n, 8, "X") || !need("certify", &bXu, (Py_ssize_t)N * n, 8, "Xu") ||
        !need("certify", &bxn, N, 8, "xn") || !need("certify", &by, N, 8, "y") || !need("certify", &bv, m, 8, "v") ||
        !need("certify", &bA, (Py_ssize_t)m * N, 1, "pattern") || !need("certify", &bW, (Py_ssize_t)m * n, 8, "W") ||
        !need("certify", &bsup, (Py_ssize_t)m * n, 4, "supports") || !need("certify", &bnsup, m, 4, "nsupport") ||
        !need("certify", &bkeep, has_keep ? N : 0, 1, "keep") || !need("certify", &btol, K_COUNT, 8, "tolerances"))
        goto done;
    {
        const int *sup = bsup.buf, *nsup = bnsup.buf;
        for (int u = 0; u < m; u++)
            for (int j = 0; j < nsup[u] && j < n; j++)
                if (sup[u * n + j] < 0 || sup[u * n + j] >= N) {
                    PyErr_Format(PyExc_ValueError, "_region_kernel.certify: support index %d of unit %d "
                                 "out of range", sup[u * n + j], u);
                    goto done;
                }
        double out[5];
        int rc;
        Py_BEGIN_ALLOW_THREADS
        rc = certify_run(N, n, m, bX.buf, bXu.buf, bxn.buf, by.buf, bv.buf, bA.buf, bW.buf, c, sup, nsup,
                         has_keep ? bkeep.buf : NULL, loss == LOSS_LOGISTIC, fit_bias, btol.buf, out, NULL);
        Py_END_ALLOW_THREADS
        if (rc != 0) { PyErr_NoMemory(); goto done; }
        result = Py_BuildValue("ddddd", out[0], out[1], out[2], out[3], out[4]);
    }
done:
    PyBuffer_Release(&bX); PyBuffer_Release(&bXu); PyBuffer_Release(&bxn); PyBuffer_Release(&by);
    PyBuffer_Release(&bv); PyBuffer_Release(&bA); PyBuffer_Release(&bW); PyBuffer_Release(&bsup);
    PyBuffer_Release(&bnsup); PyBuffer_Release(&bkeep); PyBuffer_Release(&btol);
    return result;
}

/* ---------------------------------------------------------------- sweeps of neighbours
 * All neighbours of a vertex A* of Z^m in one call: neighbour k moves unit mu[k] by flipping the
 * examples midx[mptr[k] .. mptr[k+1]) of its row. The base point (W*, c*) is the optimum of A*;
 * the caller says (screen) whether it passed the KKT certificate. Each neighbour is then, in turn:
 *
 *   - screened (screen only): with g* = ℓ'(ŷ*)/N at the base predictions, the neighbour's
 *     gradient of unit u at the base point, g'_u = Xᵀ(v_u A'_u ⊙ g*), is tested for membership of
 *     the dual cone of its new activation cone, cone{s'_ui x̂_i} (NNLS residual at most the
 *     pricing tolerance P_PG · P_GSCALE). Every other unit's KKT conditions are those of the base,
 *     and ⟨∇φ(ŷ*), ŷ*⟩ = 0 there, so the test makes −∇φ(ŷ*) a point of the polar of the
 *     neighbour's cone of predictions and φ(ŷ*) = loss0 a lower bound of its optimum (convexity of
 *     φ). If moreover every flipped constraint is tight at w*_u (|x̂_i·w*_u| ≤ P_ACTIVE ‖w*_u‖),
 *     the base point is feasible for the neighbour with the same predictions: it is the
 *     neighbour's optimum, status NB_SCREENED, loss = loss0. Otherwise, when a bound is given and
 *     loss0 > bound, the neighbour is abandoned: NB_BOUNDED, loss NaN, lower bound loss0.
 *   - else, when the caller asks for screening only (solve = 0), left open: NB_OPEN, loss NaN,
 *     lower bound −inf (the caller solves it later, or bounds it otherwise);
 *   - else solved by the active-set method and certified by certify_run (every residual ≤
 *     kkt_rtol): NB_SOLVED with the mean loss of the answer; a solve that stops or whose answer is
 *     not certified is NB_FAILED (the caller solves it another way). The solve starts from the
 *     neighbour's own start when the caller gives one (start_of[k] ≥ 0: row start_of[k] of
 *     starts, m n entries of W then c; init_state projects it onto the neighbour's cones), else
 *     from the base point: the base's warm start (init_state run once, before the threads start,
 *     and kept in a Snap) with only the moved unit's part redone (init_from_snap: about 1/m of the
 *     set-up's work).
 *
 * Neighbours are handed to T threads (T workspaces) one at a time; what a thread computes for a
 * neighbour does not depend on the neighbours it computed before (only the NNLS factor cache,
 * which is exact, carries over), so the results do not depend on T. */
enum { NB_SOLVED = 0, NB_SCREENED = 1, NB_BOUNDED = 2, NB_FAILED = 3, NB_OPEN = 4 };

typedef struct {
    Program *G;
    const unsigned char *A0;
    const double *W0, *g0;
    double c0, loss0, bound, kkt_rtol;
    const int *mu, *mptr, *midx;
    int nmoves, has_bound, screen, solve, next, failed_alloc;
    const Snap *snap;         /* the base's warm start (NULL: each neighbour sets its own up) */
    const int *start_of;      /* per neighbour: its row of starts, or −1 (NULL: none has one) */
    const double *starts;     /* rows of m n + 1 doubles: W then c */
    double *out_loss, *out_lb, *out_W, *out_c;
    int *out_row, next_row;   /* the points found, in rows of out_W taken in turn: out_row[k] is
                                 neighbour k's row, or −1 (so that only rows in use are touched) */
    int *out_status, *out_iter;
    double *out_sec;          /* CPU seconds of the thread on each neighbour */
} Sweep;

/* certify_run's work memory of workspace C, allocated on first use and kept (a fresh allocation
   per call would be mapped and zeroed by the system each time: CHANGELOG.md); NULL when out of
   memory (certify_run then tries to allocate its own) */
static void *cert_work(Ctx *C) {
    if (!C->cert) C->cert = malloc(certify_bytes(C->N, C->n, C->m));
    return C->cert;
}

/* CPU time of the calling thread, seconds (0 where the clock is missing) */
static double thread_seconds(void) {
#ifdef CLOCK_THREAD_CPUTIME_ID
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
#endif
    return 0.0;
}

/* mean loss at C->W, C->c (predictions recomputed) */
static double ctx_loss(Ctx *C) {
    refresh(C);
    double s = 0.0;
    for (int i = 0; i < C->N; i++) {
        if (!C->logistic) { double r = C->yhat[i] - C->y[i]; s += r * r; }
        else {
            double z = C->y[i] != 0.0 ? C->yhat[i] : -C->yhat[i];
            s += (z < 0.0 ? -z : 0.0) + log1p(exp(-fabs(z)));
        }
    }
    return s / C->N + ridge_at(C, 0.0, NULL);
}

/* the dual-cone test of unit u at the base gradient g0 (see above); 1 when it passes */
static int dual_ok(Ctx *C, int u, const double *g0) {
    int N = C->N, n = C->n;
    if (!C->live[u]) return 1;                    /* g'_u = 0 */
    double *p = C->px, *gu = C->t_f;
    for (int i = 0; i < N; i++) p[i] = C->AV[u * N + i] * g0[i];
    xtmul(C, C->XT, p, gu);
    if (wnorm(gu, n) == 0.0) return 1;
    int *T = C->kept, cnt = 0, np;
    for (int i = 0; i < N; i++) if (C->xn[i] > 0.0) T[cnt++] = i;
    if (project_unit(C, u, T, cnt, gu, C->dW, NULL, 0, &np) != 0) return 0;
    return wnorm(C->dW, n) <= C->prm[P_PG] * C->prm[P_GSCALE];
}

/* The base of a sweep at (W0, c0), for the pattern set in C: g0 = ℓ'(ŷ*)/N at its predictions,
 * and the warm start every neighbour starts from (init_state once, kept in a Snap; NULL when
 * init_state fails or there is no memory, and then each neighbour sets its own up). */
static Snap *sweep_base(Ctx *C, const double *W0, double c0, double *g0) {
    size_t mn = (size_t)C->m * C->n;
    memcpy(C->W, W0, sizeof(double) * mn);
    C->c = c0;
    C->keep = NULL;
    C->has_keep = 0;
    refresh(C);
    derivs(C);
    memcpy(g0, C->g, sizeof(double) * C->N);
    ctx_reset(C);
    C->detect = 0;
    memcpy(C->W, W0, sizeof(double) * mn);
    C->c = c0;
    if (init_state(C, 1) != ST_OK) return NULL;
    if (!C->logistic) fac_update(C);
    return snap_take(C);
}

static void sweep_one(Sweep *S, Ctx *C, int k) {
    Program *G = S->G;
    int N = G->N, n = G->n, m = G->m, u = S->mu[k];
    size_t mn = (size_t)m * n;
    double t0 = thread_seconds();
    const int *flip = S->midx + S->mptr[k];
    int nflip = S->mptr[k + 1] - S->mptr[k];
    for (int t = 0; t < nflip; t++) C->A[(size_t)u * N + flip[t]] ^= 1;
    ctx_set_unit(C, u);
    int status = NB_FAILED, iters = 0;
    double loss = NAN, lb = -INFINITY;
    int screened = S->screen && dual_ok(C, u, S->g0);
    if (screened) {
        const double *w = S->W0 + (size_t)u * n;
        double wn = wnorm(w, n);
        int tight = 1;
        for (int t = 0; t < nflip && tight; t++)
            tight = fabs(dot(C->Xu + (size_t)flip[t] * n, w, n)) <= C->prm[P_ACTIVE] * wn;
        lb = S->loss0;
        if (tight) { status = NB_SCREENED; loss = S->loss0; }
        else if (S->has_bound && S->loss0 > S->bound) status = NB_BOUNDED;
        else screened = 0;
    }
    if (!screened && !S->solve) status = NB_OPEN;
    else if (!screened) {
        int row = S->start_of ? S->start_of[k] : -1, st;
        if (row >= 0) {
            const double *start = S->starts + (size_t)row * (mn + 1);
            memcpy(C->W, start, sizeof(double) * mn);
            st = ctx_solve(C, 1, G->fit_bias ? start[mn] : 0.0, 1, NULL, C->logistic, NULL, NULL, NULL, u, &iters);
        } else {
            memcpy(C->W, S->W0, sizeof(double) * mn);
            st = ctx_solve(C, 1, S->c0, 1, NULL, C->logistic, NULL, NULL, S->snap, u, &iters);
        }
        if (st == ST_OK) {
            double out[5];
            if (certify_run(N, n, m, G->X, G->Xu, G->xn, G->y, G->v, C->A, C->W, C->c, C->support,
                            C->nsupport, NULL, G->logistic, G->fit_bias, G->ktol, out, cert_work(C)) != 0) {
                S->failed_alloc = 1;
            } else {
                int ok = 1;
                for (int t = 0; t < 5; t++) ok &= out[t] <= S->kkt_rtol;
                if (ok) { status = NB_SOLVED; loss = ctx_loss(C); lb = loss; }
            }
        }
    }
    S->out_loss[k] = loss;
    S->out_lb[k] = lb;
    S->out_status[k] = status;
    S->out_iter[k] = iters;
    S->out_sec[k] = thread_seconds() - t0;
    if (S->out_W) {
        int row = -1;
        if (status == NB_SOLVED || status == NB_SCREENED) {
            row = __atomic_fetch_add(&S->next_row, 1, __ATOMIC_RELAXED);
            memcpy(S->out_W + (size_t)row * mn, status == NB_SOLVED ? C->W : S->W0, sizeof(double) * mn);
            S->out_c[row] = status == NB_SOLVED ? C->c : S->c0;
        }
        S->out_row[k] = row;
    }
    for (int t = 0; t < nflip; t++) C->A[(size_t)u * N + flip[t]] ^= 1;
    ctx_set_unit(C, u);
}

typedef struct { Sweep *S; Ctx *C; } Worker;

static void *sweep_worker(void *arg) {
    Worker *w = arg;
    Sweep *S = w->S;
    ctx_set_pattern(w->C, S->A0);
    for (;;) {
        int k = __atomic_fetch_add(&S->next, 1, __ATOMIC_RELAXED);
        if (k >= S->nmoves) break;
        sweep_one(S, w->C, k);
    }
    return NULL;
}

/* Whether the move arrays are well formed (each move a unit of m and a non-empty run of examples
 * of N, move_ptr delimiting move_idx); else 0 with ValueError set, naming fn. */
static int moves_ok(const char *fn, const int *mu, const int *mptr, const int *midx, Py_ssize_t nmoves,
                    Py_ssize_t nidx, int m, int N) {
    if (mptr[0] != 0 || mptr[nmoves] != nidx) {
        PyErr_Format(PyExc_ValueError, "_region_kernel.%s: move_ptr does not delimit move_idx", fn);
        return 0;
    }
    for (Py_ssize_t k = 0; k < nmoves; k++) {
        if (mu[k] < 0 || mu[k] >= m || mptr[k + 1] <= mptr[k]) {
            PyErr_Format(PyExc_ValueError, "_region_kernel.%s: move %zd is not a unit and a non-empty "
                         "set of examples", fn, k);
            return 0;
        }
        for (int t = mptr[k]; t < mptr[k + 1]; t++)
            if (midx[t] < 0 || midx[t] >= N) {
                PyErr_Format(PyExc_ValueError, "_region_kernel.%s: move %zd flips example %d, out of "
                             "range", fn, k, midx[t]);
                return 0;
            }
    }
    return 1;
}

/* sweep(program, pattern, W, c, loss0, move_unit, move_ptr, move_idx, bound, has_bound, screen, solve,
 *       kkt_rtol, threads, out_loss, out_lb, out_status, out_iter, out_sec, out_W, out_c, out_row,
 *       start_of, starts)
 * -> (threads used); see the block comment above. move_ptr has nmoves + 1 entries; start_of has
 * nmoves entries (or none: no neighbour has a start of its own), each −1 or a row of starts;
 * out_row has nmoves entries, or none and then out_W and out_c none: no points wanted. The row
 * order of out_W depends on the threads' timing, the point of each neighbour does not. */
static PyObject *sweep(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *cap;
    Py_buffer bA, bW, bmu, bptr, bidx, bloss, blb, bst, bit, bsec, boW, boc, borow, bso, bsw;
    double c0, loss0, bound, kkt_rtol;
    int has_bound, screen, solve, threads;
    if (!PyArg_ParseTuple(args, "Oy*y*ddy*y*y*diiidiw*w*w*w*w*w*w*w*y*y*", &cap, &bA, &bW, &c0, &loss0, &bmu,
                          &bptr, &bidx, &bound, &has_bound, &screen, &solve, &kkt_rtol, &threads, &bloss, &blb, &bst,
                          &bit, &bsec, &boW, &boc, &borow, &bso, &bsw))
        return NULL;
    int want_W = borow.len > 0;
    PyObject *result = NULL;
    double *g0 = NULL;
    Snap *snap = NULL;
    pthread_t *tid = NULL;
    Worker *wk = NULL;
    int acquired = 0;
    Program *G = get_program(cap);
    if (!G) goto done;
    int N = G->N, n = G->n, m = G->m;
    Py_ssize_t nmoves = bmu.len / 4;
    if (!need("sweep", &bA, (Py_ssize_t)m * N, 1, "pattern") || !need("sweep", &bW, (Py_ssize_t)m * n, 8, "W") ||
        !need("sweep", &bptr, nmoves + 1, 4, "move_ptr") || !need("sweep", &bloss, nmoves, 8, "out_loss") ||
        !need("sweep", &blb, nmoves, 8, "out_lb") || !need("sweep", &bst, nmoves, 4, "out_status") ||
        !need("sweep", &bit, nmoves, 4, "out_iter") || !need("sweep", &bsec, nmoves, 8, "out_sec") ||
        !need("sweep", &boW, want_W ? nmoves * m * n : 0, 8, "out_W") ||
        !need("sweep", &boc, want_W ? nmoves : 0, 8, "out_c") ||
        !need("sweep", &borow, want_W ? nmoves : 0, 4, "out_row") ||
        !need("sweep", &bso, bso.len ? nmoves : 0, 4, "start_of"))
        goto done;
    const int *mu = bmu.buf, *mptr = bptr.buf, *midx = bidx.buf, *start_of = bso.len ? bso.buf : NULL;
    if (!moves_ok("sweep", mu, mptr, midx, nmoves, bidx.len / 4, m, N)) goto done;
    Py_ssize_t row_len = (Py_ssize_t)m * n + 1, nrows = bsw.len / (8 * row_len);
    if (bsw.len != nrows * 8 * row_len) {
        PyErr_Format(PyExc_ValueError, "_region_kernel.sweep: buffer starts has %zd bytes, not a whole number "
                     "of rows of %zd doubles", bsw.len, row_len);
        goto done;
    }
    for (Py_ssize_t k = 0; start_of && k < nmoves; k++)
        if (start_of[k] < -1 || start_of[k] >= nrows) {
            PyErr_Format(PyExc_ValueError, "_region_kernel.sweep: start_of[%zd] = %d is not -1 or a row of the "
                         "%zd starts", k, start_of[k], nrows);
            goto done;
        }
    if (threads < 1) threads = 1;
    if (threads > G->nws) threads = G->nws;
    if (threads > nmoves) threads = nmoves > 0 ? (int)nmoves : 1;
    if (!acquire(G, "sweep")) goto done;
    acquired = 1;
    for (int t = 0; t < threads; t++) if (!workspace(G, t)) goto done;
    g0 = malloc(sizeof(double) * N);
    tid = malloc(sizeof(pthread_t) * threads);
    wk = malloc(sizeof(Worker) * threads);
    if (!g0 || !tid || !wk) { PyErr_NoMemory(); goto done; }
    Sweep S = {.G = G, .A0 = bA.buf, .W0 = bW.buf, .g0 = g0, .c0 = G->fit_bias ? c0 : 0.0, .loss0 = loss0,
               .bound = bound, .kkt_rtol = kkt_rtol, .mu = mu, .mptr = mptr, .midx = midx,
               .nmoves = (int)nmoves, .has_bound = has_bound, .screen = screen, .solve = solve, .next = 0,
               .failed_alloc = 0, .out_loss = bloss.buf, .out_lb = blb.buf, .out_W = want_W ? boW.buf : NULL,
               .out_c = want_W ? boc.buf : NULL, .out_row = want_W ? borow.buf : NULL, .next_row = 0,
               .out_status = bst.buf, .out_iter = bit.buf,
               .out_sec = bsec.buf, .start_of = start_of, .starts = bsw.buf};
    int started = 0;
    Py_BEGIN_ALLOW_THREADS
    Ctx *C = G->ws[0];
    ctx_set_pattern(C, bA.buf);
    snap = sweep_base(C, bW.buf, S.c0, g0);
    S.snap = snap;
    for (int t = 0; t < threads; t++) { wk[t].S = &S; wk[t].C = G->ws[t]; }
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&tid[t], NULL, sweep_worker, &wk[t]) != 0) break;
        started = t;
    }
    sweep_worker(&wk[0]);
    for (int t = 1; t <= started; t++) pthread_join(tid[t], NULL);
    Py_END_ALLOW_THREADS
    if (S.failed_alloc) { PyErr_NoMemory(); goto done; }
    result = Py_BuildValue("i", started + 1);
done:
    if (acquired) G->busy = 0;
    free(g0); free(tid); free(wk);
    snap_free(snap);
    PyBuffer_Release(&bA); PyBuffer_Release(&bW); PyBuffer_Release(&bmu); PyBuffer_Release(&bptr);
    PyBuffer_Release(&bidx); PyBuffer_Release(&bloss); PyBuffer_Release(&blb); PyBuffer_Release(&bst);
    PyBuffer_Release(&bit); PyBuffer_Release(&bsec); PyBuffer_Release(&boW); PyBuffer_Release(&boc);
    PyBuffer_Release(&borow); PyBuffer_Release(&bso); PyBuffer_Release(&bsw);
    return result;
}

/* ---------------------------------------------------------------- stars
 * Many vertices, each with some of its neighbours, in one call (whole landscapes): star s is the
 * vertex A_s (pattern bytes s·m·N ..) with the moves sptr[s] .. sptr[s+1]) of the move arrays.
 * The vertex is solved from the cold start W = 0 (as solve without a warm start or NNLS hints,
 * with the logistic recession tests when detect) and certified by certify_run at kkt_rtol: its
 * mean loss is out_closs[s] and its status NB_SOLVED. Its moves are then swept from its optimum
 * on the same thread, exactly as sweep does without a bound (screening when screen). A vertex the
 * kernel does not settle (it stopped, a recession test fired, or its answer failed the
 * certificate) is NB_FAILED, and so is every move of its star: the caller solves that star
 * another way. Stars are handed to T threads one at a time; what a thread computes for a star
 * does not depend on the stars it computed before, so the results do not depend on T. */
typedef struct {
    Program *G;
    const unsigned char *A;
    const int *sptr;
    int nstars, detect, next;
    double *closs, *csec;
    int *cstatus, *citer;
    Sweep sweep;              /* the moves' arrays and outputs (all stars); base fields per star */
} Stars;

typedef struct { Stars *T; Ctx *C; double *g0, *W0; int failed_alloc; } StarWorker;

static void star_one(StarWorker *w, int s) {
    Stars *T = w->T;
    Ctx *C = w->C;
    Program *G = T->G;
    int N = G->N, n = G->n, m = G->m;
    size_t mn = (size_t)m * n;
    double t0 = thread_seconds();
    const unsigned char *A = T->A + (size_t)s * m * N;
    ctx_set_pattern(C, A);
    memset(C->W, 0, sizeof(double) * mn);
    int iters = 0, ok = 0;
    double loss = NAN;
    if (ctx_solve(C, 0, 0.0, 0, NULL, T->detect, NULL, NULL, NULL, 0, &iters) == ST_OK) {
        double out[5];
        if (certify_run(N, n, m, G->X, G->Xu, G->xn, G->y, G->v, C->A, C->W, C->c, C->support, C->nsupport,
                        NULL, G->logistic, G->fit_bias, G->ktol, out, cert_work(C)) != 0) w->failed_alloc = 1;
        else {
            ok = 1;
            for (int t = 0; t < 5; t++) ok &= out[t] <= T->sweep.kkt_rtol;
            if (ok) loss = ctx_loss(C);
        }
    }
    T->closs[s] = loss;
    T->cstatus[s] = ok ? NB_SOLVED : NB_FAILED;
    T->citer[s] = iters;
    T->csec[s] = thread_seconds() - t0;
    Sweep S = T->sweep;                           /* this star's base, the shared moves and outputs */
    if (!ok) {
        for (int k = T->sptr[s]; k < T->sptr[s + 1]; k++) {
            S.out_loss[k] = NAN; S.out_lb[k] = -INFINITY; S.out_status[k] = NB_FAILED;
            S.out_iter[k] = 0; S.out_sec[k] = 0.0;
        }
        return;
    }
    if (T->sptr[s + 1] == T->sptr[s]) return;
    memcpy(w->W0, C->W, sizeof(double) * mn);
    S.A0 = A; S.W0 = w->W0; S.g0 = w->g0; S.c0 = C->c; S.loss0 = loss; S.failed_alloc = 0;
    Snap *snap = sweep_base(C, w->W0, C->c, w->g0);
    S.snap = snap;
    for (int k = T->sptr[s]; k < T->sptr[s + 1]; k++) sweep_one(&S, C, k);
    snap_free(snap);
    if (S.failed_alloc) w->failed_alloc = 1;
}

static void *star_worker(void *arg) {
    StarWorker *w = arg;
    for (;;) {
        int s = __atomic_fetch_add(&w->T->next, 1, __ATOMIC_RELAXED);
        if (s >= w->T->nstars) break;
        star_one(w, s);
    }
    return NULL;
}

/* stars(program, patterns, star_ptr, move_unit, move_ptr, move_idx, screen, detect, kkt_rtol, threads,
 *       out_closs, out_cstatus, out_citer, out_csec, out_loss, out_lb, out_status, out_iter, out_sec)
 * -> threads used; see the block comment above. star_ptr has nstars + 1 entries into the moves. */
static PyObject *stars(PyObject *self, PyObject *args) {
    (void)self;
    PyObject *cap;
    Py_buffer bA, bsp, bmu, bptr, bidx, bcl, bcs, bci, bcsec, bloss, blb, bst, bit, bsec;
    int screen, detect, threads;
    double kkt_rtol;
    if (!PyArg_ParseTuple(args, "Oy*y*y*y*y*iidiw*w*w*w*w*w*w*w*w*", &cap, &bA, &bsp, &bmu, &bptr, &bidx,
                          &screen, &detect, &kkt_rtol, &threads, &bcl, &bcs, &bci, &bcsec, &bloss, &blb,
                          &bst, &bit, &bsec))
        return NULL;
    PyObject *result = NULL;
    pthread_t *tid = NULL;
    StarWorker *wk = NULL;
    double *buf = NULL;
    int acquired = 0;
    Program *G = get_program(cap);
    if (!G) goto done;
    int N = G->N, n = G->n, m = G->m;
    Py_ssize_t nmoves = bmu.len / 4, nstars = bsp.len / 4 - 1;
    if (nstars < 0 || !need("stars", &bA, nstars * m * N, 1, "patterns") ||
        !need("stars", &bptr, nmoves + 1, 4, "move_ptr") || !need("stars", &bcl, nstars, 8, "out_closs") ||
        !need("stars", &bcs, nstars, 4, "out_cstatus") || !need("stars", &bci, nstars, 4, "out_citer") ||
        !need("stars", &bcsec, nstars, 8, "out_csec") || !need("stars", &bloss, nmoves, 8, "out_loss") ||
        !need("stars", &blb, nmoves, 8, "out_lb") || !need("stars", &bst, nmoves, 4, "out_status") ||
        !need("stars", &bit, nmoves, 4, "out_iter") || !need("stars", &bsec, nmoves, 8, "out_sec"))
        goto done;
    const int *sptr = bsp.buf, *mu = bmu.buf, *mptr = bptr.buf, *midx = bidx.buf;
    if (sptr[0] != 0 || sptr[nstars] != nmoves) {
        PyErr_SetString(PyExc_ValueError, "_region_kernel.stars: star_ptr does not delimit the moves");
        goto done;
    }
    for (Py_ssize_t s = 0; s < nstars; s++)
        if (sptr[s + 1] < sptr[s]) {
            PyErr_SetString(PyExc_ValueError, "_region_kernel.stars: star_ptr decreases");
            goto done;
        }
    if (!moves_ok("stars", mu, mptr, midx, nmoves, bidx.len / 4, m, N)) goto done;
    if (threads < 1) threads = 1;
    if (threads > G->nws) threads = G->nws;
    if (threads > nstars) threads = nstars > 0 ? (int)nstars : 1;
    if (!acquire(G, "stars")) goto done;
    acquired = 1;
    for (int t = 0; t < threads; t++) if (!workspace(G, t)) goto done;
    tid = malloc(sizeof(pthread_t) * threads);
    wk = malloc(sizeof(StarWorker) * threads);
    buf = malloc(sizeof(double) * ((size_t)N + (size_t)m * n) * threads);
    if (!tid || !wk || !buf) { PyErr_NoMemory(); goto done; }
    Stars T = {.G = G, .A = bA.buf, .sptr = sptr, .nstars = (int)nstars, .detect = detect, .next = 0,
               .closs = bcl.buf, .csec = bcsec.buf, .cstatus = bcs.buf, .citer = bci.buf,
               .sweep = {.G = G, .kkt_rtol = kkt_rtol, .mu = mu, .mptr = mptr, .midx = midx,
                         .nmoves = (int)nmoves, .has_bound = 0, .screen = screen, .solve = 1, .out_loss = bloss.buf,
                         .out_lb = blb.buf, .out_W = NULL, .out_c = NULL, .out_status = bst.buf,
                         .out_iter = bit.buf, .out_sec = bsec.buf}};
    for (int t = 0; t < threads; t++) {
        double *b = buf + ((size_t)N + (size_t)m * n) * t;
        wk[t] = (StarWorker){.T = &T, .C = G->ws[t], .g0 = b, .W0 = b + N, .failed_alloc = 0};
    }
    int started = 0, failed_alloc = 0;
    Py_BEGIN_ALLOW_THREADS
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&tid[t], NULL, star_worker, &wk[t]) != 0) break;
        started = t;
    }
    star_worker(&wk[0]);
    for (int t = 1; t <= started; t++) pthread_join(tid[t], NULL);
    Py_END_ALLOW_THREADS
    for (int t = 0; t < threads; t++) failed_alloc |= wk[t].failed_alloc;
    if (failed_alloc) { PyErr_NoMemory(); goto done; }
    result = Py_BuildValue("i", started + 1);
done:
    if (acquired) G->busy = 0;
    free(tid); free(wk); free(buf);
    PyBuffer_Release(&bA); PyBuffer_Release(&bsp); PyBuffer_Release(&bmu); PyBuffer_Release(&bptr);
    PyBuffer_Release(&bidx); PyBuffer_Release(&bcl); PyBuffer_Release(&bcs); PyBuffer_Release(&bci);
    PyBuffer_Release(&bcsec); PyBuffer_Release(&bloss); PyBuffer_Release(&blb); PyBuffer_Release(&bst);
    PyBuffer_Release(&bit); PyBuffer_Release(&bsec);
    return result;
}

static PyMethodDef methods[] = {
    {"program", program, METH_VARARGS,
     "program(X, Xu, xn, y, v, params, tolerances, N, n, m, loss, fit_bias, max_iter, workspaces) -> "
     "capsule. Internal: use zonocomb.convex.backends.kernel.RegionKernel."},
    {"solve", solve, METH_VARARGS,
     "solve(program, pattern, W, supports, nsupport, hints, nhints, keep, has_start, c0, has_c, has_keep, "
     "detect) -> (status, c, iterations). Internal: use RegionKernel.solve."},
    {"sweep", sweep, METH_VARARGS,
     "sweep(program, pattern, W, c, loss0, move_unit, move_ptr, move_idx, bound, has_bound, screen, solve, kkt_rtol, "
     "threads, out_loss, out_lb, out_status, out_iter, out_sec, out_W, out_c, out_row, start_of, starts) -> threads "
     "used. Internal: use RegionKernel.sweep."},
    {"stars", stars, METH_VARARGS,
     "stars(program, patterns, star_ptr, move_unit, move_ptr, move_idx, screen, detect, kkt_rtol, threads, "
     "out_closs, out_cstatus, out_citer, out_csec, out_loss, out_lb, out_status, out_iter, out_sec) -> threads "
     "used. Internal: use RegionKernel.stars."},
    {"certify", certify, METH_VARARGS,
     "certify(X, Xu, xn, y, v, pattern, W, c, supports, nsupport, keep, N, n, m, loss, fit_bias, has_keep, "
     "tolerances) -> (primal, stationarity, dual, complementarity, rounding): the KKT residuals of "
     "zonocomb.convex.kkt.KKTChecker.residuals. Internal: use RegionKernel.residuals."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_region_kernel",
    "Compiled block active-set kernel for the MSE and logistic region programs (paper eq. 3); see kernel.py.",
    -1, methods, NULL, NULL, NULL, NULL
};

/* The module's constants, so that Python reads them instead of copying them: STATUS maps each
 * status code of a solve to (name, message); PARAMS and TOLERANCES name the entries of the
 * params and tolerances arrays in order; SWEEP_STATUS maps a sweep's per-neighbour codes to names;
 * PRICE_UNITS is the pricing's limit (price). */
PyMODINIT_FUNC PyInit__region_kernel(void) {
    PyObject *mod = PyModule_Create(&module);
    if (!mod) return NULL;
    static const struct { int code; const char *name, *message; } st[] = {
        {ST_OK, "ok", "converged"}, {ST_MAXITER, "max_iter", "iteration cap reached"},
        {ST_FACE, "face", "face optimum not reached to the stationarity tolerance"},
        {ST_NNLS, "nnls", "NNLS iteration cap reached"},
        {ST_RELEASE, "release", "a released unit has no feasible direction"},
        {ST_NONFINITE, "nonfinite", "non-finite iterate"},
        {ST_UNBOUNDED, "unbounded", "unbounded step along a path without curvature"},
        {ST_SEPARABLE, "separable", "an iterate separates every example (logistic)"},
        {ST_RUNAWAY, "runaway", "a prediction ran away past the runaway level (logistic)"},
        {ST_NODECREASE, "no_decrease", "pricing found a descent direction but no decrease along it"}};
    static const char *prm[P_COUNT] = {"ACTIVE_RTOL", "RATE_RTOL", "PG_RTOL", "FACE_RTOL", "DEC_RTOL",
        "RANK_RTOL", "DEP_RTOL", "ZERO_COLUMN_RTOL", "NEGLIGIBLE_RTOL", "gscale", "bscale", "NNLS_RTOL",
        "CURVATURE_FLOOR", "MAX_LOGIT_STEP", "SATURATED_MARGIN", "MAX_SATURATED_STEP", "SEPARATION_RTOL",
        "RUNAWAY_LOGIT", "RIDGE"};
    static const char *tol[K_COUNT] = {"SUPPORT_RTOL", "NEGLIGIBLE_RTOL", "NEGATIVE_RTOL", "gscale", "NNLS_RTOL",
                                       "RIDGE"};
    static const char *nb[] = {"solved", "screened", "bounded", "failed", "open"};
    PyObject *d = PyDict_New(), *p = PyTuple_New(P_COUNT), *k = PyTuple_New(K_COUNT), *s = PyTuple_New(5);
    if (!d || !p || !k || !s) goto fail;
    for (size_t t = 0; t < sizeof st / sizeof st[0]; t++) {
        PyObject *key = PyLong_FromLong(st[t].code), *val = Py_BuildValue("(ss)", st[t].name, st[t].message);
        if (!key || !val || PyDict_SetItem(d, key, val) < 0) { Py_XDECREF(key); Py_XDECREF(val); goto fail; }
        Py_DECREF(key); Py_DECREF(val);
    }
    for (int t = 0; t < P_COUNT; t++) PyTuple_SET_ITEM(p, t, PyUnicode_FromString(prm[t]));
    for (int t = 0; t < K_COUNT; t++) PyTuple_SET_ITEM(k, t, PyUnicode_FromString(tol[t]));
    for (int t = 0; t < 5; t++) PyTuple_SET_ITEM(s, t, PyUnicode_FromString(nb[t]));
    if (PyModule_AddObject(mod, "STATUS", d) < 0) goto fail;
    d = NULL;
    if (PyModule_AddObject(mod, "PARAMS", p) < 0) goto fail;
    p = NULL;
    if (PyModule_AddObject(mod, "TOLERANCES", k) < 0) goto fail;
    k = NULL;
    if (PyModule_AddObject(mod, "SWEEP_STATUS", s) < 0) goto fail;
    s = NULL;
    if (PyModule_AddIntConstant(mod, "PRICE_UNITS", PRICE_UNITS) < 0) goto fail;
    return mod;
fail:
    Py_XDECREF(d); Py_XDECREF(p); Py_XDECREF(k); Py_XDECREF(s); Py_DECREF(mod);
    return NULL;
}
