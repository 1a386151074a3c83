/*
 * Certified lower bounds of the MSE region programs of a vertex's neighbours, from the vertex's
 * faces (the compiled rounds of zonocomb/convex/backends/face_bounds.py, which documents the
 * mathematics and builds the vertex's part in numpy).
 *
 * For the neighbour that flips the examples F in the row of unit u, a round solves the model
 *
 *     min over w in the cone of unit u (the constraints listed in `cone`) of ‖M w − b‖²,
 *
 * M = P⊥(v_u A'_u ⊙ X̄), b = P⊥ y, P⊥ the projection off V (the spans of the other units' faces,
 * and 1 when c is optimised), and takes λ = (2/N)(M w − b) (centred when c is optimised). λ gives
 * the bound D(λ) = −λ·y − (N/4)‖λ‖² when it passes the checks of dual feasibility:
 *   - g_u = X̄ᵀ(v_u A'_u ⊙ λ) equals (2/N) Σ ν_i s'_i x̄_i for the model's multipliers ν ≥ 0, to
 *     check_rtol · scale;
 *   - for every other unit w, g_w = X̄ᵀ(v_w A_w ⊙ λ) lies in the span of its face's normals
 *     s_wi x̄_i (i in T_w) with coefficients μ = pinv_w g_w ≥ 0, to check_rtol · scale: the
 *     residual off the span plus Σ max(0, −μ_i) ‖x̄_i‖ is at most that.
 * A unit with a negative coefficient releases its most negative constraint (its face widens by
 * one direction, which joins V) and the model is solved again, at most max_rounds times.
 *
 * Numerics: the model's least squares by Gram–Schmidt QR with one re-orthogonalisation (a ridge
 * of ridge_rtol times R's largest diagonal when R's smallest is below that); its cone constraints
 * by Lawson–Hanson NNLS in z = R w over the constraints in the model, grown by those the
 * minimiser violates; a widened face's pseudo-inverse by Cholesky of its rows' Gram matrix. The
 * checks alone decide whether a bound is certified: an inexact NNLS or a rank-deficient model
 * loosens the bound or loses it, never certifies a wrong one (beyond the checks' tolerance).
 * Every loop is bounded. Neighbours go to `threads` threads one at a time; each result depends
 * on its neighbour only.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "_compiled.h"

/* project_off's second pass runs only when the first left less than this part of the norm
   (benchmarks/README.md, "One projection pass") */
#define REORTH_KEEP 1e-2

/* why a bound was not certified (out_info; a certified bound has its rounds, ≥ 1) */
enum { FB_MOVED = -1, FB_RESIDUAL = -2, FB_ROUNDS = -3, FB_FACE = -4, FB_SPAN = -5, FB_NNLS = -6, FB_CUTOFF = -7 };

typedef struct {
    int N, n, m, r, width, fit_bias, max_rounds, max_extra;
    const double *X, *y, *v, *Q, *E, *Y, *pinv, *PVD;
    double *XT, *xn;              /* n × N: X̄ transposed (row l: coordinate l of every example); ‖x̄_i‖ */
    const unsigned char *A;
    const int *eptr, *yrow, *fidx, *flen;
    double scale, check_rtol, ridge_rtol, newdir_rtol, cutoff;
    const int *mu, *mptr, *midx;
    int nmoves, next, failed_alloc;
    double *out_lb, *out_first;
    int *out_info;
} Bounds;

typedef struct {                  /* one thread's work memory */
    double *M, *b, *lam, *col, *QR, *pq, *R, *q, *H, *hn, *nu, *z, *w, *g, *gram, *res, *extra, *opinv, *coef;
    int *hstamp, *incone, *cone, *pas, *excl, *oidx, *olen, *ostamp, *drop;
    unsigned char *row;
    int stamp, nstamp, nextra;
    void *mem;
} Work;


INLINE double dot(const double *a, const double *b, int len) {
    double s = 0.0;
    for (int i = 0; i < len; i++) s += a[i] * b[i];
    return s;
}

INLINE void axpy(double *y, double a, const double *x, int len) {
    for (int i = 0; i < len; i++) y[i] += a * x[i];
}

INLINE double norm(const double *a, int len) { return sqrt(dot(a, a, len)); }

/* g = X̄ᵀ(a ⊙ λ) for the weights a_i = s · A_i (A: N bytes, s a scalar), by contiguous passes over
   the examples; p is N doubles of scratch */
HOT static void xt_weighted(const Bounds *B, const unsigned char *A, double s, const double *lam, double *p, double *g) {
    int N = B->N;
    for (int i = 0; i < N; i++) p[i] = A[i] ? s * lam[i] : 0.0;
    for (int l = 0; l < B->n; l++) g[l] = dot(B->XT + (size_t)l * N, p, N);
}

/* p_i = x̄_i·d for every example i */
HOT static void x_times(const Bounds *B, const double *d, double *p) {
    int N = B->N;
    for (int i = 0; i < N; i++) p[i] = 0.0;
    for (int l = 0; l < B->n; l++) axpy(p, d[l], B->XT + (size_t)l * N, N);
}

static void work_free(Work *K) { if (K) { free(K->mem); free(K); } }

static Work *work_new(const Bounds *B) {
    Work *K = calloc(1, sizeof(Work));
    if (!K) return NULL;
    size_t N = (size_t)B->N, n = (size_t)B->n, m = (size_t)B->m, wd = (size_t)(B->width > 0 ? B->width : 1);
    size_t P = N + n;
    struct { double **p; size_t len; } d[] = {
        {&K->M, n * N}, {&K->b, N}, {&K->lam, 2 * N}, {&K->col, N}, {&K->QR, n * P}, {&K->pq, n * n}, {&K->R, n * n},
        {&K->q, n}, {&K->H, N * n}, {&K->hn, N}, {&K->nu, N}, {&K->z, n}, {&K->w, n}, {&K->g, n}, {&K->gram, (n + 1) * (n + 1) + wd * wd},
        {&K->res, n}, {&K->extra, (size_t)B->max_extra * N}, {&K->opinv, m * wd * n}, {&K->coef, m * wd + N}};
    struct { int **p; size_t len; } ix[] = {
        {&K->hstamp, N}, {&K->incone, N}, {&K->cone, N}, {&K->pas, n + 1}, {&K->excl, N}, {&K->oidx, m * wd},
        {&K->olen, m}, {&K->ostamp, m}, {&K->drop, m}};
    size_t nd = 0, ni = 0;
    for (size_t t = 0; t < sizeof d / sizeof d[0]; t++) nd += d[t].len;
    for (size_t t = 0; t < sizeof ix / sizeof ix[0]; t++) ni += ix[t].len;
    K->mem = calloc(1, nd * sizeof(double) + ni * sizeof(int) + N + 16);
    if (!K->mem) { free(K); return NULL; }
    double *pd = K->mem;
    for (size_t t = 0; t < sizeof d / sizeof d[0]; t++) { *d[t].p = pd; pd += d[t].len; }
    int *pi = (int *)pd;
    for (size_t t = 0; t < sizeof ix / sizeof ix[0]; t++) { *ix[t].p = pi; pi += ix[t].len; }
    K->row = (unsigned char *)pi;
    return K;
}

/* unit w's face: its constraints' examples, count and pseudo-inverse (width × n), the thread's
   widened copy when this neighbour released one of them */
static const int *face_idx(const Bounds *B, const Work *K, int w) {
    return K->ostamp[w] == K->nstamp ? K->oidx + (size_t)w * B->width : B->fidx + (size_t)w * B->width;
}
static int face_len(const Bounds *B, const Work *K, int w) {
    return K->ostamp[w] == K->nstamp ? K->olen[w] : B->flen[w];
}
static const double *face_pinv(const Bounds *B, const Work *K, int w) {
    size_t off = (size_t)w * B->width * B->n;
    return K->ostamp[w] == K->nstamp ? K->opinv + off : B->pinv + off;
}

static double sign_of(const Bounds *B, int w, int i) { return B->A[(size_t)w * B->N + i] ? 1.0 : -1.0; }

/* x −= its part in V_{-u} and in the directions added so far: x − Q(Qᵀx) + E_u(E_uᵀx) − Ex(Exᵀx)
   (Q(Qᵀx) = pv in the first pass when pv is given; the coefficients on E_u taken before Q's part
   is removed), by classical Gram–Schmidt, repeated once ("twice is enough", Daniel, Gragg, Kaufman
   & Stewart 1976) when x kept between newdir_rtol and REORTH_KEEP of its norm: above, one pass
   leaves a part in V below about N ε / REORTH_KEEP of x, far below the checks' tolerance; below,
   the caller drops x, and a second pass would only shorten it. The checks certify the bound
   whatever V's accuracy: a worse V loosens or loses a bound, never certifies a wrong one.
   K->coef holds the coefficients on E_u. */
HOT static void project_off(const Bounds *B, Work *K, int u, double *x, const double *pv) {
    int N = B->N, e0 = B->eptr[u], ne = B->eptr[u + 1] - e0;
    double *ce = K->coef, before = norm(x, N);
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < ne; k++) ce[k] = dot(B->E + (size_t)(e0 + k) * N, x, N);
        if (pass == 0 && pv) axpy(x, -1.0, pv, N);
        else for (int k = 0; k < B->r; k++) { const double *q = B->Q + (size_t)k * N; axpy(x, -dot(q, x, N), q, N); }
        for (int k = 0; k < ne; k++) axpy(x, ce[k], B->E + (size_t)(e0 + k) * N, N);
        for (int k = 0; k < K->nextra; k++) {
            const double *e = K->extra + (size_t)k * N;
            axpy(x, -dot(e, x, N), e, N);
        }
        double after = norm(x, N);
        if (after > REORTH_KEEP * before || after <= B->newdir_rtol * before) break;
    }
}

/* Cholesky of the k × k matrix G (row-major) in place (lower); 0, or −1 when not positive */
static int cholesky(double *G, int k) {
    for (int j = 0; j < k; j++) {
        double d = G[j * k + j];
        for (int l = 0; l < j; l++) d -= G[j * k + l] * G[j * k + l];
        if (!(d > 1e-14 * fabs(G[j * k + j])) || !(d > 0.0)) return -1;
        d = sqrt(d);
        G[j * k + j] = d;
        for (int i = j + 1; i < k; i++) {
            double s = G[i * k + j];
            for (int l = 0; l < j; l++) s -= G[i * k + l] * G[j * k + l];
            G[i * k + j] = s / d;
        }
    }
    return 0;
}

/* Y = G⁻¹ Y for the k × n matrix Y (row-major), with G's Cholesky factor L (k × k, lower): the
   two triangular solves by rows, each step an axpy over a row of n */
HOT static void chol_solve_rows(const double *L, int k, double *Y, int n) {
    for (int i = 0; i < k; i++) {
        double *yi = Y + (size_t)i * n;
        for (int l = 0; l < i; l++) axpy(yi, -L[i * k + l], Y + (size_t)l * n, n);
        for (int j = 0; j < n; j++) yi[j] /= L[i * k + i];
    }
    for (int i = k - 1; i >= 0; i--) {
        double *yi = Y + (size_t)i * n;
        for (int l = i + 1; l < k; l++) axpy(yi, -L[l * k + i], Y + (size_t)l * n, n);
        for (int j = 0; j < n; j++) yi[j] /= L[i * k + i];
    }
}

/* QR of the model's M (n columns of N; with a ridge ρ the columns [M_j; ρ e_j] of N + n rows) by
   Gram–Schmidt with one re-orthogonalisation: Q in K->QR, R (n × n, upper, row-major) in K->R */
HOT static void model_qr(const Bounds *B, Work *K, double ridge) {
    int N = B->N, n = B->n, P = N + n;
    double *Qm = K->QR, *R = K->R, *s = K->z;
    for (int j = 0; j < n; j++) {
        double *c = Qm + (size_t)j * P;
        memcpy(c, K->M + (size_t)j * N, sizeof(double) * N);
        for (int l = 0; l < n; l++) c[N + l] = l == j ? ridge : 0.0;
        for (int l = 0; l < n; l++) R[l * n + j] = 0.0;
        for (int pass = 0; pass < 2; pass++) {
            for (int l = 0; l < j; l++) s[l] = dot(Qm + (size_t)l * P, c, P);
            for (int l = 0; l < j; l++) { R[l * n + j] += s[l]; axpy(c, -s[l], Qm + (size_t)l * P, P); }
        }
        double d = norm(c, P);
        R[j * n + j] = d;
        for (int i = 0; i < P; i++) c[i] = d > 0.0 ? c[i] / d : 0.0;
    }
}

/* h_i = R⁻ᵀ (s'_i x̄_i), the constraint i of unit u in z = R w, and its norm in K->hn[i] (both
   cached for this factor) */
static const double *h_of(const Bounds *B, Work *K, int u, int i) {
    int n = B->n;
    double *h = K->H + (size_t)i * n;
    if (K->hstamp[i] == K->stamp) return h;
    const double *x = B->X + (size_t)i * n, *R = K->R;
    double s = K->row[i] ? 1.0 : -1.0;
    (void)u;
    for (int j = 0; j < n; j++) {
        double t = s * x[j];
        for (int l = 0; l < j; l++) t -= R[l * n + j] * h[l];
        h[j] = t / R[j * n + j];
    }
    K->hn[i] = norm(h, n);
    K->hstamp[i] = K->stamp;
    return h;
}

/* z = argmin ‖Σ_a z_a h_{pas[a]} + q‖ over the np passive columns (np ≤ n), by classical
   Gram–Schmidt with one re-orthogonalisation: Q (n × np) in K->pq, R in K->gram (upper, row
   stride n). The first `valid` columns are those of the previous call, whose Q and R are kept (a
   column's factor depends only on the columns before it). Returns 1 when the last column is
   dependent (its part off the others below 1e-12 of its norm). */
HOT static int ls_passive(const Bounds *B, Work *K, int u, int np, int valid, double *z) {
    int n = B->n;
    double *Q = K->pq, *R = K->gram, *s = K->coef;
    for (int a = valid; a < np; a++) {
        double *qa = Q + (size_t)a * n;
        memcpy(qa, h_of(B, K, u, K->cone[K->pas[a]]), sizeof(double) * n);
        double before = norm(qa, n);
        for (int l = 0; l <= a; l++) R[l * n + a] = 0.0;
        for (int pass = 0; pass < 2; pass++) {
            for (int l = 0; l < a; l++) s[l] = dot(Q + (size_t)l * n, qa, n);
            for (int l = 0; l < a; l++) { R[l * n + a] += s[l]; axpy(qa, -s[l], Q + (size_t)l * n, n); }
        }
        double d = norm(qa, n);
        if (!(d > 1e-12 * before)) return 1;
        R[a * n + a] = d;
        for (int l = 0; l < n; l++) qa[l] /= d;
    }
    for (int a = np - 1; a >= 0; a--) {                 /* z = R⁻¹ Qᵀ(−q) */
        double t = -dot(Q + (size_t)a * n, K->q, n);
        for (int l = a + 1; l < np; l++) t -= R[a * n + l] * z[l];
        z[a] = t / R[a * n + a];
    }
    return 0;
}

/* Lawson–Hanson: ν ≥ 0 over the model's constraints (cone[0..p)) minimising ‖Σ ν_j h_j + q‖,
   the passive set at most n columns; ν in K->nu (by position). 0, or FB_NNLS at the cap. */
HOT static int model_nnls(const Bounds *B, Work *K, int u, int p) {
    int n = B->n, np = 0, valid = 0, cap = 3 * p + 3 * n + 10, it = 0;   /* (valid: ls_passive's) */
    double *nu = K->nu, *res = K->res, *z = K->w;
    int *pas = K->pas, *excl = K->excl;
    double fn = norm(K->q, n);
    for (int j = 0; j < p; j++) { nu[j] = 0.0; excl[j] = 0; }
    for (int l = 0; l < n; l++) res[l] = -K->q[l];
    while (np < n) {
        int best = -1;                            /* the most promising column outside P */
        double bw = 0.0;
        for (int j = 0; j < p; j++) {
            if (excl[j] || nu[j] > 0.0) continue;
            const double *h = h_of(B, K, u, K->cone[j]);
            double wj = dot(h, res, n);
            if (wj > 1e-13 * fn * K->hn[K->cone[j]] && wj > bw) { bw = wj; best = j; }
        }
        if (best < 0) break;
        pas[np++] = best;
        for (int first = 1;; first = 0) {
            if (++it > cap) return FB_NNLS;
            /* least squares on the passive columns, min ‖E_P z − f‖ (f = −q), by Gram–Schmidt QR
               with one re-orthogonalisation (the columns may be badly conditioned: a ridged model) */
            int dep = ls_passive(B, K, u, np, valid, z);
            valid = np - dep;
            if (dep) { excl[pas[--np]] = 1; break; }          /* (the newest column: dependent) */
            int amin = -1;
            double alpha = INFINITY;
            for (int a = 0; a < np; a++) {
                if (z[a] > 0.0) continue;
                double t = nu[pas[a]] / (nu[pas[a]] - z[a]);
                if (t < alpha) { alpha = t; amin = a; }
            }
            if (amin < 0) { for (int a = 0; a < np; a++) nu[pas[a]] = z[a]; break; }
            if (first && !(z[np - 1] > 0.0)) { excl[pas[--np]] = 1; valid = np; break; }   /* (the new column does not help) */
            /* move towards z until the first passive coefficient reaches zero; it leaves P */
            int keep = 0;
            for (int a = 0; a < np; a++) {
                int j = pas[a];
                nu[j] += alpha * (z[a] - nu[j]);
                if (a != amin && nu[j] > 0.0) pas[keep++] = j;
                else { nu[j] = 0.0; if (a < valid) valid = a; }
            }
            np = keep;
            if (np == 0) break;
        }
        for (int l = 0; l < n; l++) res[l] = -K->q[l];
        for (int a = 0; a < np; a++) axpy(res, -nu[pas[a]], h_of(B, K, u, K->cone[pas[a]]), n);
    }
    return 0;
}

/* The model's λ (K->lam) and multipliers (K->nu over cone[0..*p)), the cone grown by the
   constraints its minimiser violates; 0, or a failure code */
HOT static int model_dual(const Bounds *B, Work *K, int u, int *p) {
    int N = B->N, n = B->n;
    double dmax = 0.0, dmin = INFINITY;
    K->stamp++;
    model_qr(B, K, 0.0);
    for (int j = 0; j < n; j++) { double d = fabs(K->R[j * n + j]); if (d > dmax) dmax = d; if (d < dmin) dmin = d; }
    /* a ridge when R is near singular relative to its largest diagonal or to the size of the
       moved unit's columns before the projection, ‖v_u A'_u ⊙ X̄‖_F (all of them may lie in V) */
    double cols = 0.0;
    for (int i = 0; i < N; i++) if (K->row[i]) cols += B->xn[i] * B->xn[i];
    cols = fabs(B->v[u]) * sqrt(cols);
    if (!(cols > 0.0)) {                          /* unit u predicts nothing: M = 0, w = 0 */
        memset(K->M, 0, sizeof(double) * (size_t)n * N);
        K->stamp++;
        model_qr(B, K, 1.0);
    } else {
        double top = dmax > cols ? dmax : cols;
        if (dmin <= B->ridge_rtol * top) { K->stamp++; model_qr(B, K, B->ridge_rtol * top); }
    }
    for (int j = 0; j < n; j++) K->q[j] = dot(K->QR + (size_t)j * (N + n), K->b, N);
    double *w = K->g;
    for (int round = 0; round < B->max_rounds; round++) {
        int rc = model_nnls(B, K, u, *p);
        if (rc) return rc;
        /* w = R⁻¹ (q + Σ ν_j h_j) */
        for (int l = 0; l < n; l++) w[l] = K->q[l];
        for (int j = 0; j < *p; j++) if (K->nu[j] > 0.0) axpy(w, K->nu[j], h_of(B, K, u, K->cone[j]), n);
        for (int j = n - 1; j >= 0; j--) {
            double t = w[j];
            for (int l = j + 1; l < n; l++) t -= K->R[j * n + l] * w[l];
            w[j] = t / K->R[j * n + j];
        }
        double wn = norm(w, n), *xw = K->col;
        int grown = 0;
        x_times(B, w, xw);
        for (int i = 0; i < N; i++) {
            if (K->incone[i]) continue;
            double s = K->row[i] ? 1.0 : -1.0;
            if (s * xw[i] < -B->check_rtol * B->xn[i] * wn) { K->nu[*p] = 0.0; K->cone[(*p)++] = i; K->incone[i] = 1; grown = 1; }
        }
        if (!grown) break;
    }
    /* λ = (2/N)(M w − b), centred when c is optimised */
    double mean = 0.0;
    for (int i = 0; i < N; i++) K->lam[i] = -K->b[i];
    for (int j = 0; j < n; j++) axpy(K->lam, w[j], K->M + (size_t)j * N, N);
    for (int i = 0; i < N; i++) { K->lam[i] *= 2.0 / N; mean += K->lam[i]; }
    if (B->fit_bias) { mean /= N; for (int i = 0; i < N; i++) K->lam[i] -= mean; }
    /* g_u(λ) − (2/N) Σ ν_j s'_j x̄_j */
    double *r = K->res, vu = B->v[u];
    xt_weighted(B, K->row, vu, K->lam, K->col, r);
    for (int j = 0; j < *p; j++) {
        int i = K->cone[j];
        if (K->nu[j] > 0.0) axpy(r, -(2.0 / N) * K->nu[j] * (K->row[i] ? 1.0 : -1.0), B->X + (size_t)i * n, n);
    }
    return norm(r, n) <= B->check_rtol * B->scale ? 0 : FB_MOVED;
}

/* Widen unit w's face by releasing its constraint at position t: the thread's copy of the face
   (idx, pinv) is updated and the new direction of its predictions, off V, joins the extra
   directions (M and b are projected off it). 0, or a failure code. */
HOT static int release(const Bounds *B, Work *K, int u, int w, int t) {
    int N = B->N, n = B->n, wd = B->width;
    if (K->ostamp[w] != K->nstamp) {
        memcpy(K->oidx + (size_t)w * wd, B->fidx + (size_t)w * wd, sizeof(int) * wd);
        memcpy(K->opinv + (size_t)w * wd * n, B->pinv + (size_t)w * wd * n, sizeof(double) * wd * n);
        K->olen[w] = B->flen[w];
        K->ostamp[w] = K->nstamp;
    }
    int *idx = K->oidx + (size_t)w * wd, len = K->olen[w] - 1;
    double *pinv = K->opinv + (size_t)w * wd * n;
    const double *rel = B->X + (size_t)idx[t] * n;
    for (int a = t; a < len; a++) idx[a] = idx[a + 1];
    K->olen[w] = len;
    double *G = K->gram + (size_t)(n + 1) * (n + 1), *d = K->z;
    memcpy(d, rel, sizeof(double) * n);
    if (len > 0) {
        for (int a = 0; a < len; a++)
            for (int b = 0; b <= a; b++)
                G[a * len + b] = G[b * len + a] = dot(B->X + (size_t)idx[a] * n, B->X + (size_t)idx[b] * n, n) *
                                                   sign_of(B, w, idx[a]) * sign_of(B, w, idx[b]);
        if (cholesky(G, len) != 0) return FB_FACE;
        /* pinv = G⁻¹ rows; d = rel − rowsᵀ (pinv rel) */
        for (int a = 0; a < len; a++) {
            double sa = sign_of(B, w, idx[a]);
            for (int j = 0; j < n; j++) pinv[(size_t)a * n + j] = sa * B->X[(size_t)idx[a] * n + j];
        }
        chol_solve_rows(G, len, pinv, n);
        for (int a = len; a < wd; a++) for (int j = 0; j < n; j++) pinv[(size_t)a * n + j] = 0.0;
        for (int a = 0; a < len; a++)
            axpy(d, -dot(pinv + (size_t)a * n, rel, n) * sign_of(B, w, idx[a]), B->X + (size_t)idx[a] * n, n);
    } else {
        for (int j = 0; j < wd * n; j++) pinv[j] = 0.0;
    }
    double dn = norm(d, n);
    if (!(dn > 0.0)) return 0;
    double *col = K->col, vw = B->v[w];
    x_times(B, d, col);
    for (int i = 0; i < N; i++) col[i] = B->A[(size_t)w * N + i] ? vw * col[i] / dn : 0.0;
    double before = norm(col, N), *pv = K->lam + N;      /* P_V col = (P_V v_w A_w ⊙ X̄) d / ‖d‖ */
    if (!(before > 0.0)) return 0;
    for (int i = 0; i < N; i++) pv[i] = 0.0;
    for (int l = 0; l < n; l++) axpy(pv, d[l] / dn, B->PVD + ((size_t)w * n + l) * N, N);
    project_off(B, K, u, col, pv);
    double after = norm(col, N);
    if (!(after > B->newdir_rtol * before)) return 0;
    if (K->nextra >= B->max_extra) return FB_SPAN;
    double *e = K->extra + (size_t)K->nextra++ * N;
    for (int i = 0; i < N; i++) e[i] = col[i] / after;
    for (int j = 0; j < n; j++) { double *Mj = K->M + (size_t)j * N; axpy(Mj, -dot(e, Mj, N), e, N); }
    axpy(K->b, -dot(e, K->b, N), e, N);
    return 0;
}

/* the bound of neighbour k: out_lb[k] (−inf when not certified) and out_info[k] */
HOT static void bound_one(const Bounds *B, Work *K, int k) {
    int N = B->N, n = B->n, m = B->m, u = B->mu[k], wd = B->width;
    const int *F = B->midx + B->mptr[k];
    int nf = B->mptr[k + 1] - B->mptr[k];
    int yr = B->yrow[u];
    double lb = -INFINITY, first = NAN;
    int info = FB_MOVED;
    K->nstamp++;
    K->nextra = 0;
    memcpy(K->row, B->A + (size_t)u * N, N);
    for (int t = 0; t < nf; t++) K->row[F[t]] ^= 1;
    if (yr < 0) goto out;
    /* M = P⊥(v_u A_u ⊙ X̄) + Σ_f σ_f v_u (P⊥ e_f) x̄_fᵀ, b = P⊥ y */
    for (int j = 0; j < n; j++) memcpy(K->M + (size_t)j * N, B->Y + ((size_t)yr + j) * N, sizeof(double) * N);
    memcpy(K->b, B->Y + ((size_t)yr + n) * N, sizeof(double) * N);
    for (int t = 0; t < nf; t++) {
        int f = F[t];
        double *p = K->col, sigma = K->row[f] ? B->v[u] : -B->v[u];
        for (int i = 0; i < N; i++) p[i] = i == f ? 1.0 : 0.0;
        for (int a = 0; a < B->r; a++) axpy(p, -B->Q[(size_t)a * N + f], B->Q + (size_t)a * N, N);
        for (int a = B->eptr[u]; a < B->eptr[u + 1]; a++) axpy(p, B->E[(size_t)a * N + f], B->E + (size_t)a * N, N);
        for (int j = 0; j < n; j++) axpy(K->M + (size_t)j * N, sigma * B->X[(size_t)f * n + j], p, N);
    }
    /* the moved unit's constraints in the model: its face at the vertex and the flipped ones */
    int p = 0;
    for (int i = 0; i < N; i++) K->incone[i] = 0;
    const int *Tu = B->fidx + (size_t)u * wd;
    for (int a = 0; a < B->flen[u]; a++) if (!K->incone[Tu[a]]) { K->cone[p++] = Tu[a]; K->incone[Tu[a]] = 1; }
    for (int t = 0; t < nf; t++) if (!K->incone[F[t]]) { K->cone[p++] = F[t]; K->incone[F[t]] = 1; }
    for (int round = 1; round <= B->max_rounds; round++) {
        info = model_dual(B, K, u, &p);
        if (info) goto out;
        /* the model's value (its dual point's D(λ), a bound only once the checks pass); releasing
           enlarges the model's feasible set, so later rounds rarely exceed it */
        double value = -dot(K->lam, B->y, N) - 0.25 * N * dot(K->lam, K->lam, N);
        if (round == 1) first = value;
        if (!(value > B->cutoff)) { info = FB_CUTOFF; goto out; }
        /* the other units: g_w(λ) in the span of the face's normals, coefficients μ ≥ 0 */
        int nneg = 0;
        for (int w = 0; w < m; w++) {
            if (w == u) continue;
            double *g = K->res;
            xt_weighted(B, B->A + (size_t)w * N, B->v[w], K->lam, K->col, g);
            int len = face_len(B, K, w);
            const int *idx = face_idx(B, K, w);
            const double *pinv = face_pinv(B, K, w);
            double *mu = K->coef, worst = 0.0, negative = 0.0;
            int at = -1;
            for (int a = 0; a < len; a++) {
                mu[a] = dot(pinv + (size_t)a * n, g, n);
                if (mu[a] < 0.0) negative -= mu[a] * B->xn[idx[a]];
                if (mu[a] < worst) { worst = mu[a]; at = a; }
            }
            double *r = K->w;
            memcpy(r, g, sizeof(double) * n);
            for (int a = 0; a < len; a++) axpy(r, -mu[a] * sign_of(B, w, idx[a]), B->X + (size_t)idx[a] * n, n);
            /* the residual off the span, and with it the negative coefficients' part of g_w, must be
               within the tolerance; else the most negative constraint is released */
            double off = norm(r, n);
            if (off > B->check_rtol * B->scale) { info = FB_RESIDUAL; goto out; }
            if (at >= 0 && off + negative > B->check_rtol * B->scale) K->drop[nneg++] = w * wd + at;
        }
        if (nneg == 0) {
            lb = value;
            info = round;
            goto out;
        }
        for (int a = 0; a < nneg; a++) {
            int rc = release(B, K, u, K->drop[a] / wd, K->drop[a] % wd);
            if (rc) { info = rc; goto out; }
        }
    }
    info = FB_ROUNDS;
out:
    B->out_lb[k] = lb;
    B->out_first[k] = first;
    B->out_info[k] = info;
}

typedef struct { Bounds *B; Work *K; } Worker;

static void *worker(void *arg) {
    Worker *wk = arg;
    for (;;) {
        int k = __atomic_fetch_add(&wk->B->next, 1, __ATOMIC_RELAXED);
        if (k >= wk->B->nmoves) break;
        bound_one(wk->B, wk->K, k);
    }
    return NULL;
}

static int need(Py_buffer *b, Py_ssize_t count, Py_ssize_t itemsize, const char *name) {
    if (b->len != count * itemsize) {
        PyErr_Format(PyExc_ValueError, "_face_bounds.bounds: buffer %s has %zd bytes, expected %zd", name, b->len,
                     count * itemsize);
        return 0;
    }
    return 1;
}

/* bounds(X, y, v, pattern, Q, E, eptr, Y, yrow, fidx, flen, pinv, PVD, move_unit, move_ptr, move_idx,
 *        N, n, m, r, width, fit_bias, scale, check_rtol, ridge_rtol, newdir_rtol, cutoff, max_rounds,
 *        max_extra, threads, out_lb, out_first, out_info) -> threads used
 * X (N × n), y (N), v (m), pattern (m × N bytes); Q (r × N): an orthonormal basis of V; E and
 * eptr (m + 1): unit u's rows eptr[u] .. eptr[u+1] of E (× N), the part of V to add back for u;
 * Y: yrow[u] ≥ 0 starts unit u's n + 1 rows (× N), P⊥_{V_{-u}} of v_u A_u ⊙ X̄'s columns and of y
 * (yrow[u] = −1: no neighbour of u is bounded); fidx, flen, pinv (m × width (× n)): each unit's face
 * at the vertex and its normals' pseudo-inverse; PVD (m × n × N): row l of unit w is P_V of column l of
 * v_w A_w ⊙ X̄. A neighbour stops as soon as its model's value
 * D(λ) is at most cutoff (FB_CUTOFF: no bound that would exceed it); out_first receives the first
 * model's value (NaN when it failed), certified or not. */
static PyObject *bounds(PyObject *self, PyObject *args) {
    (void)self;
    Py_buffer bX, by, bv, bA, bQ, bE, bep, bY, byr, bfi, bfl, bpi, bpvd, bmu, bptr, bidx, blb, bfirst, binfo;
    Bounds S;
    int threads;
    memset(&S, 0, sizeof S);
    if (!PyArg_ParseTuple(args, "y*y*y*y*y*y*y*y*y*y*y*y*y*y*y*y*iiiiiidddddiiiw*w*w*", &bX, &by, &bv, &bA, &bQ,
                          &bE, &bep, &bY, &byr, &bfi, &bfl, &bpi, &bpvd, &bmu, &bptr, &bidx, &S.N, &S.n, &S.m, &S.r,
                          &S.width, &S.fit_bias, &S.scale, &S.check_rtol, &S.ridge_rtol, &S.newdir_rtol, &S.cutoff,
                          &S.max_rounds, &S.max_extra, &threads, &blb, &bfirst, &binfo))
        return NULL;
    PyObject *result = NULL;
    Work **work = NULL;
    pthread_t *tid = NULL;
    Worker *wk = NULL;
    Py_buffer *all[] = {&bX, &by, &bv, &bA, &bQ, &bE, &bep, &bY, &byr, &bfi, &bfl, &bpi, &bpvd, &bmu, &bptr, &bidx, &blb,
                        &bfirst, &binfo};
    int N = S.N, n = S.n, m = S.m;
    Py_ssize_t nmoves = bmu.len / 4;
    if (N < 1 || n < 1 || m < 1 || S.r < 0 || S.width < 1 || S.max_rounds < 1 || S.max_extra < 0) {
        PyErr_SetString(PyExc_ValueError, "_face_bounds.bounds: sizes out of range");
        goto done;
    }
    if (!need(&bX, (Py_ssize_t)N * n, 8, "X") || !need(&by, N, 8, "y") || !need(&bv, m, 8, "v") ||
        !need(&bA, (Py_ssize_t)m * N, 1, "pattern") || !need(&bQ, (Py_ssize_t)S.r * N, 8, "Q") ||
        !need(&bep, m + 1, 4, "eptr") || !need(&byr, m, 4, "yrow") ||
        !need(&bfi, (Py_ssize_t)m * S.width, 4, "fidx") || !need(&bfl, m, 4, "flen") ||
        !need(&bpi, (Py_ssize_t)m * S.width * n, 8, "pinv") || !need(&bpvd, (Py_ssize_t)m * n * N, 8, "PVD") || !need(&bptr, nmoves + 1, 4, "move_ptr") ||
        !need(&blb, nmoves, 8, "out_lb") || !need(&bfirst, nmoves, 8, "out_first") ||
        !need(&binfo, nmoves, 4, "out_info"))
        goto done;
    S.X = bX.buf; S.y = by.buf; S.v = bv.buf; S.A = bA.buf; S.Q = bQ.buf; S.E = bE.buf; S.eptr = bep.buf;
    S.Y = bY.buf; S.yrow = byr.buf; S.fidx = bfi.buf; S.flen = bfl.buf; S.pinv = bpi.buf; S.PVD = bpvd.buf;
    S.mu = bmu.buf; S.mptr = bptr.buf; S.midx = bidx.buf; S.nmoves = (int)nmoves;
    S.out_lb = blb.buf; S.out_first = bfirst.buf; S.out_info = binfo.buf;
    Py_ssize_t nE = bE.len / (8 * (Py_ssize_t)N), nY = bY.len / (8 * (Py_ssize_t)N);
    if (S.eptr[0] != 0 || S.eptr[m] != nE || bE.len != nE * 8 * N) {
        PyErr_SetString(PyExc_ValueError, "_face_bounds.bounds: eptr does not delimit the rows of E");
        goto done;
    }
    for (int u = 0; u < m; u++) {
        if (S.eptr[u + 1] < S.eptr[u] || S.flen[u] < 0 || S.flen[u] > S.width ||
            S.yrow[u] < -1 || (S.yrow[u] >= 0 && S.yrow[u] + n + 1 > nY)) {
            PyErr_Format(PyExc_ValueError, "_face_bounds.bounds: unit %d's rows or face are out of range", u);
            goto done;
        }
        for (int a = 0; a < S.flen[u]; a++)
            if (S.fidx[(size_t)u * S.width + a] < 0 || S.fidx[(size_t)u * S.width + a] >= N) {
                PyErr_Format(PyExc_ValueError, "_face_bounds.bounds: unit %d's face lists an example out of range", u);
                goto done;
            }
    }
    if (S.mptr[0] != 0 || S.mptr[nmoves] != bidx.len / 4) {
        PyErr_SetString(PyExc_ValueError, "_face_bounds.bounds: move_ptr does not delimit move_idx");
        goto done;
    }
    for (Py_ssize_t k = 0; k < nmoves; k++) {
        if (S.mu[k] < 0 || S.mu[k] >= m || S.mptr[k + 1] <= S.mptr[k]) {
            PyErr_Format(PyExc_ValueError, "_face_bounds.bounds: move %zd is not a unit and a non-empty set of examples", k);
            goto done;
        }
        for (int t = S.mptr[k]; t < S.mptr[k + 1]; t++)
            if (S.midx[t] < 0 || S.midx[t] >= N) {
                PyErr_Format(PyExc_ValueError, "_face_bounds.bounds: move %zd flips an example out of range", k);
                goto done;
            }
    }
    if (threads < 1) threads = 1;
    if (threads > nmoves) threads = nmoves > 0 ? (int)nmoves : 1;
    S.XT = malloc(sizeof(double) * ((size_t)N * n + N));
    if (!S.XT) { PyErr_NoMemory(); goto done; }
    S.xn = S.XT + (size_t)N * n;
    for (int i = 0; i < N; i++) {
        for (int l = 0; l < n; l++) S.XT[(size_t)l * N + i] = S.X[(size_t)i * n + l];
        S.xn[i] = norm(S.X + (size_t)i * n, n);
    }
    work = calloc((size_t)threads, sizeof(Work *));
    tid = malloc(sizeof(pthread_t) * threads);
    wk = malloc(sizeof(Worker) * threads);
    if (!work || !tid || !wk) { PyErr_NoMemory(); goto done; }
    for (int t = 0; t < threads; t++) {
        work[t] = work_new(&S);
        if (!work[t]) { PyErr_NoMemory(); goto done; }
        wk[t].B = &S;
        wk[t].K = work[t];
    }
    int started = 0;
    Py_BEGIN_ALLOW_THREADS
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&tid[t], NULL, worker, &wk[t]) != 0) break;
        started = t;
    }
    worker(&wk[0]);
    for (int t = 1; t <= started; t++) pthread_join(tid[t], NULL);
    Py_END_ALLOW_THREADS
    result = Py_BuildValue("i", started + 1);
done:
    if (work) for (int t = 0; t < threads; t++) work_free(work[t]);
    free(work); free(tid); free(wk); free(S.XT);
    for (size_t t = 0; t < sizeof all / sizeof all[0]; t++) PyBuffer_Release(all[t]);
    return result;
}

static PyMethodDef methods[] = {
    {"bounds", bounds, METH_VARARGS,
     "bounds(X, y, v, pattern, Q, E, eptr, Y, yrow, fidx, flen, pinv, PVD, move_unit, move_ptr, move_idx, N, n, m, r, "
     "width, fit_bias, scale, check_rtol, ridge_rtol, newdir_rtol, cutoff, max_rounds, max_extra, threads, out_lb, "
     "out_first, out_info) "
     "-> threads used. Internal: use zonocomb.convex.backends.face_bounds.FaceBounds."},
    {NULL, NULL, 0, NULL}
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_face_bounds",
    "Compiled rounds of the face-restricted dual bounds of a vertex's neighbours; see face_bounds.py.",
    -1, methods, NULL, NULL, NULL, NULL
};

PyMODINIT_FUNC PyInit__face_bounds(void) {
    PyObject *mod = PyModule_Create(&module);
    if (!mod) return NULL;
    static const struct { int code; const char *name; } why[] = {
        {FB_MOVED, "the moved unit's check"}, {FB_RESIDUAL, "a unit's residual"}, {FB_ROUNDS, "rounds"},
        {FB_FACE, "a widened face's normals"}, {FB_SPAN, "too many new directions"}, {FB_NNLS, "the NNLS cap"},
        {FB_CUTOFF, "at most the cutoff"}};
    PyObject *d = PyDict_New();
    if (!d) { Py_DECREF(mod); return NULL; }
    for (size_t t = 0; t < sizeof why / sizeof why[0]; t++) {
        PyObject *key = PyLong_FromLong(why[t].code), *val = PyUnicode_FromString(why[t].name);
        int bad = !key || !val || PyDict_SetItem(d, key, val) < 0;
        Py_XDECREF(key); Py_XDECREF(val);
        if (bad) { Py_DECREF(d); Py_DECREF(mod); return NULL; }
    }
    if (PyModule_AddObject(mod, "FAILURES", d) < 0) { Py_DECREF(d); Py_DECREF(mod); return NULL; }
    return mod;
}
