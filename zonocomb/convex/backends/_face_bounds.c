/*
 * Certified lower bounds of the MSE region programs of a vertex's neighbours, from the vertex's
 * faces (the compiled rounds of zonocomb/convex/backends/face_bounds.py, which documents the
 * mathematics and builds the vertex's part in numpy).
 *
 * For the neighbour that flips the examples F in the row of unit u, a round solves the model
 *
 *     min over w in the cone of unit u (the constraints listed in `cons`) and t ≥ 0
 *     of ‖M w + Σ_k t_k e_k − b‖²,
 *
 * M = P⊥(v_u A'_u ⊙ X̄), b = P⊥ y, P⊥ the projection off V (the spans of the other units' faces,
 * and 1 when c is optimised), e_k the released directions below, and takes λ = (2/N)(M w + Σ t_k
 * e_k − b) (centred when c is optimised). λ gives the bound D(λ) = −λ·y − (N/4)‖λ‖² when it passes
 * the checks of dual feasibility:
 *   - g_u = X̄ᵀ(v_u A'_u ⊙ λ) equals (2/N) Σ ν_i s'_i x̄_i for the model's multipliers ν ≥ 0, to
 *     check_rtol · scale;
 *   - for every other unit w, g_w = X̄ᵀ(v_w A_w ⊙ λ) lies in the span of its face's normals
 *     s_wi x̄_i (i in T_w) with coefficients μ = pinv_w g_w ≥ 0, to check_rtol · scale: the
 *     residual off the span plus Σ max(0, −μ_i) ‖x̄_i‖ is at most that.
 * A unit with a negative coefficient releases the most negative of its constraints not yet
 * released: unit w may then move off constraint i in the feasible sense only, along row i of its
 * face's pseudo-inverse, d (s_wj x̄_j·d = δ_ij on the face), whose predictions off V, e_k =
 * P⊥(v_w A_w ⊙ X̄ d) normalised, enter the model with a coefficient t_k ≥ 0; the model is solved
 * again, at most max_rounds times. The final model is the relaxation in which the other units
 * keep their faces' constraints as inequalities (and drop the others): a certified bound is its
 * optimum when the NNLS reaches the model's (model_nnls), else smaller. (t_k ≥ 0 makes
 * λ·e_k ≥ 0, i.e. μ_i ≥ 0, at the model's optimum.)
 *
 * Numerics: the model's least squares by Gram–Schmidt QR, columns re-orthogonalised once when
 * they lose more than half their norm, extended by the columns released since the last round (a
 * ridge of ridge_rtol times the largest diagonal of R, or the moved unit's column norm, when R's
 * smallest is below that; the factor is then rebuilt with it); its constraints by Lawson–Hanson
 * NNLS in z = R (w, t) over the constraints in the model (w's cone, grown by those the minimiser
 * violates, and t ≥ 0), warm-started from the previous round's passive set. The checks alone
 * decide whether a bound is certified: an inexact NNLS or a rank-deficient model loosens the
 * bound or loses it, never certifies a wrong one (beyond the checks' tolerance).
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
   (benchmarks/README.md, "Cheaper face bounds") */
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
    int nmoves, next;
    double *out_lb, *out_first;
    int *out_info;
} Bounds;

typedef struct {                  /* one thread's work memory (dm = n + max_extra: the model's largest dimension) */
    double *M, *b, *lam, *col, *QR, *R, *q, *qq, *H, *hn, *nu, *z, *x, *pq, *gram, *res, *gw, *rw, *extra, *coef;
    int *hstamp, *hlen, *incone, *cons, *pas, *plast, *excl, *drop, *rstamp;
    unsigned char *row;
    int dm, stamp, nstamp, nextra, qcols, nplast, pvalid, pstamp, pD;   /* (plast ...: model_nnls's last passive set) */
    double ridge;
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
    size_t ne = (size_t)B->max_extra, dm = n + ne, nc = N + ne;
    K->dm = (int)dm;
    struct { double **p; size_t len; } d[] = {
        {&K->M, n * N}, {&K->b, N}, {&K->lam, 2 * N}, {&K->col, N}, {&K->QR, dm * (N + dm)}, {&K->R, dm * dm},
        {&K->q, dm}, {&K->qq, dm}, {&K->H, nc * dm}, {&K->hn, nc}, {&K->nu, nc}, {&K->z, dm}, {&K->x, dm}, {&K->pq, dm * dm},
        {&K->gram, dm * dm}, {&K->res, dm}, {&K->gw, n}, {&K->rw, n}, {&K->extra, ne * N}, {&K->coef, dm + wd + N}};
    struct { int **p; size_t len; } ix[] = {
        {&K->hstamp, nc}, {&K->hlen, nc}, {&K->incone, N}, {&K->cons, nc}, {&K->pas, dm + 1}, {&K->plast, dm + 1}, {&K->excl, nc},
        {&K->drop, m}, {&K->rstamp, m * wd}};
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

static double sign_of(const Bounds *B, int w, int i) { return B->A[(size_t)w * B->N + i] ? 1.0 : -1.0; }

/* x −= its part in V_{-u}: x − Q(Qᵀx) + E_u(E_uᵀx) (Q(Qᵀx) = pv in the first pass; the
   coefficients on E_u taken before Q's part is removed), by classical Gram–Schmidt, repeated once
   ("twice is enough", Daniel, Gragg, Kaufman & Stewart 1976) when x kept between newdir_rtol and
   REORTH_KEEP of its norm: above, one pass leaves a part in V below about N ε / REORTH_KEEP of x,
   far below the checks' tolerance; below, the caller drops x, and a second pass would only
   shorten it. The checks certify the bound whatever V's accuracy: a worse V loosens or loses a
   bound, never certifies a wrong one. K->coef holds the coefficients on E_u. */
HOT static void project_off(const Bounds *B, Work *K, int u, double *x, const double *pv) {
    int N = B->N, e0 = B->eptr[u], ne = B->eptr[u + 1] - e0;
    double *ce = K->coef, before = norm(x, N);
    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < ne; k++) ce[k] = dot(B->E + (size_t)(e0 + k) * N, x, N);
        if (pass == 0) axpy(x, -1.0, pv, N);
        else for (int k = 0; k < B->r; k++) { const double *q = B->Q + (size_t)k * N; axpy(x, -dot(q, x, N), q, N); }
        for (int k = 0; k < ne; k++) axpy(x, ce[k], B->E + (size_t)(e0 + k) * N, N);
        double after = norm(x, N);
        if (after > REORTH_KEEP * before || after <= B->newdir_rtol * before) break;
    }
}

/* QR of the model's columns from..D−1 (D = n + nextra: M's n columns, then the released
   directions' ones), those before kept: with a ridge ρ the column j is [A_j; ρ e_j] (N + D rows),
   else A_j (N rows). Gram–Schmidt, repeated once when a column kept less than half its norm: Q in
   K->QR (columns of stride N + dm), R in K->R (upper, row stride dm). */
HOT static void model_qr(const Bounds *B, Work *K, int from, double ridge) {
    int N = B->N, n = B->n, dm = K->dm, D = n + K->nextra, P = N + dm, len = ridge > 0.0 ? N + D : N;
    double *Qm = K->QR, *R = K->R, *s = K->coef;
    for (int j = from; j < D; j++) {
        double *c = Qm + (size_t)j * P;
        memcpy(c, j < n ? K->M + (size_t)j * N : K->extra + (size_t)(j - n) * N, sizeof(double) * N);
        for (int l = N; l < N + dm; l++) c[l] = 0.0;
        if (ridge > 0.0) c[N + j] = ridge;
        for (int l = 0; l <= j; l++) R[l * dm + j] = 0.0;
        double before = norm(c, len), d = before;
        for (int pass = 0; pass < 2; pass++) {
            for (int l = 0; l < j; l++) s[l] = dot(Qm + (size_t)l * P, c, len);
            for (int l = 0; l < j; l++) { R[l * dm + j] += s[l]; axpy(c, -s[l], Qm + (size_t)l * P, len); }
            d = norm(c, len);
            if (d > 0.5 * before) break;
        }
        R[j * dm + j] = d;
        for (int i = 0; i < len; i++) c[i] = d > 0.0 ? c[i] / d : 0.0;
    }
}

/* h_c = R⁻ᵀ a_c for the model's constraint c: a_c = (s'_c x̄_c, 0) on the moved unit's weights
   for c < N (example c), the unit vector of t_k for c = N + k (a released direction's t_k ≥ 0);
   cached for this factor and extended as columns are appended (its first entries do not change),
   with its norm in K->hn[c] */
HOT static const double *h_of(const Bounds *B, Work *K, int c, int D) {
    int n = B->n, dm = K->dm, N = B->N;
    double *h = K->H + (size_t)c * dm;
    int from = K->hstamp[c] == K->stamp ? K->hlen[c] : 0;
    if (from >= D) return h;
    const double *R = K->R;
    if (c < N) {
        const double *x = B->X + (size_t)c * n;
        double s = K->row[c] ? 1.0 : -1.0;
        for (int j = from; j < D; j++) {
            double t = j < n ? s * x[j] : 0.0;
            for (int l = 0; l < j; l++) t -= R[l * dm + j] * h[l];
            h[j] = t / R[j * dm + j];
        }
    } else {
        int j0 = n + (c - N);
        for (int j = from; j < D && j < j0; j++) h[j] = 0.0;
        for (int j = from > j0 ? from : j0; j < D; j++) {
            double t = j == j0 ? 1.0 : 0.0;
            for (int l = j0; l < j; l++) t -= R[l * dm + j] * h[l];
            h[j] = t / R[j * dm + j];
        }
    }
    K->hn[c] = norm(h, D);
    K->hlen[c] = D;
    K->hstamp[c] = K->stamp;
    return h;
}

/* z = argmin ‖Σ_a z_a h_{cons[pas[a]]} + q‖ over the np passive columns (np ≤ D), by classical
   Gram–Schmidt, repeated once for a column that lost more than half its norm ("twice is
   enough"): Q (D × np, stride dm) in K->pq, R in K->gram (upper, row stride dm), Qᵀq in K->qq.
   The first `valid` columns are those of the previous call, whose factor is kept (a column's
   factor depends only on the columns before it). Returns the position of a dependent column (its
   part off the earlier ones below 1e-12 of its norm; the factor is then that of the columns
   before it), or −1. */
HOT static int ls_passive(const Bounds *B, Work *K, int np, int valid, int D, double *z) {
    int dm = K->dm;
    double *Q = K->pq, *R = K->gram, *s = K->coef, *qq = K->qq;
    for (int a = valid; a < np; a++) {
        double *qa = Q + (size_t)a * dm;
        memcpy(qa, h_of(B, K, K->cons[K->pas[a]], D), sizeof(double) * D);
        double before = norm(qa, D), d = before;
        for (int l = 0; l <= a; l++) R[l * dm + a] = 0.0;
        for (int pass = 0; pass < 2; pass++) {
            for (int l = 0; l < a; l++) s[l] = dot(Q + (size_t)l * dm, qa, D);
            for (int l = 0; l < a; l++) { R[l * dm + a] += s[l]; axpy(qa, -s[l], Q + (size_t)l * dm, D); }
            d = norm(qa, D);
            if (d > 0.5 * before) break;
        }
        if (!(d > 1e-12 * before)) return a;
        R[a * dm + a] = d;
        for (int l = 0; l < D; l++) qa[l] /= d;
        qq[a] = dot(qa, K->q, D);
    }
    for (int a = np - 1; a >= 0; a--) {                 /* z = R⁻¹ Qᵀ(−q) */
        double t = -qq[a];
        for (int l = a + 1; l < np; l++) t -= R[a * dm + l] * z[l];
        z[a] = t / R[a * dm + a];
    }
    return -1;
}

/* Lawson–Hanson: ν ≥ 0 over the model's constraints (cons[0..p)) minimising ‖Σ ν_j h_j + q‖ in
   dimension D, the passive set at most D columns; ν in K->nu (by position). Warm start: the
   constraints with ν > 0 on entry (the previous model's, positions in cons being kept), their
   least squares shrunk to its positive part. A column found dependent on the passive ones, or of
   non-positive coefficient when added, is set aside for the rest of the run (as in Lawson and
   Hanson's method, against rounding); near-degenerate models may then stop short of the
   optimum, which loosens the bound, never certifies a wrong one. 0, or FB_NNLS at the cap. */
HOT static int model_nnls(const Bounds *B, Work *K, int p, int D) {
    int np = 0, valid = 0, cap = 3 * p + 3 * D + 10, it = 0;   /* (valid: ls_passive's) */
    double *nu = K->nu, *res = K->res, *z = K->z;
    int *pas = K->pas, *excl = K->excl;
    double fn = norm(K->q, D);
    if (K->pstamp == K->stamp && K->pD == D) {    /* the previous run's passive set and factor */
        for (int a = 0; a < K->nplast; a++) if (nu[K->plast[a]] > 0.0) pas[np++] = K->plast[a];
        if (np == K->nplast) valid = K->pvalid;
    } else {
        for (int j = 0; j < p; j++) if (nu[j] > 0.0 && np < D) pas[np++] = j;
    }
    for (int j = 0; j < p; j++) { nu[j] = 0.0; excl[j] = 0; }
    while (np > 0) {
        if (++it > cap) return FB_NNLS;
        int dep = ls_passive(B, K, np, valid, D, z);
        if (dep >= 0) {                            /* a dependent column leaves the start */
            for (int a = dep; a + 1 < np; a++) pas[a] = pas[a + 1];
            np--;
            valid = dep;
            continue;
        }
        valid = np;
        int keep = 0;
        for (int a = 0; a < np; a++) {
            if (z[a] > 0.0) { pas[keep] = pas[a]; z[keep++] = z[a]; }
            else if (a < valid) valid = a;
        }
        if (keep == np) { for (int a = 0; a < np; a++) nu[pas[a]] = z[a]; break; }
        np = keep;
    }
    for (int l = 0; l < D; l++) res[l] = -K->q[l];
    for (int a = 0; a < np; a++) axpy(res, -nu[pas[a]], h_of(B, K, K->cons[pas[a]], D), D);
    while (np < D) {
        int best = -1;                            /* the most promising column outside P */
        double bw = 0.0;
        for (int j = 0; j < p; j++) {
            if (excl[j] || nu[j] > 0.0) continue;
            const double *h = h_of(B, K, K->cons[j], D);
            double wj = dot(h, res, D);
            if (wj > 1e-13 * fn * K->hn[K->cons[j]] && wj > bw) { bw = wj; best = j; }
        }
        if (best < 0) break;
        pas[np++] = best;
        for (int first = 1;; first = 0) {
            if (++it > cap) return FB_NNLS;
            /* least squares on the passive columns, min ‖E_P z − f‖ (f = −q), by Gram–Schmidt QR
               with one re-orthogonalisation (the columns may be badly conditioned: a ridged model) */
            int dep = ls_passive(B, K, np, valid, D, z);
            if (dep >= 0) { valid = dep < np - 1 ? dep : np - 1; excl[pas[--np]] = 1; break; }   /* (the newest column leaves) */
            valid = np;
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
        for (int l = 0; l < D; l++) res[l] = -K->q[l];
        for (int a = 0; a < np; a++) axpy(res, -nu[pas[a]], h_of(B, K, K->cons[pas[a]], D), D);
    }
    memcpy(K->plast, pas, sizeof(int) * np);      /* (kept for the next run on this factor) */
    K->nplast = np;
    K->pvalid = valid < np ? valid : np;
    K->pstamp = K->stamp;
    K->pD = D;
    return 0;
}

/* The model's λ (K->lam) and multipliers (K->nu over cons[0..*p)): its least squares over the
   moved unit's weights w in the cone of its constraints in cons and the released directions'
   t ≥ 0, the cone grown by the constraints its minimiser violates; 0, or a failure code. The
   factor of the columns is extended by the columns released since the last call (K->qcols). */
HOT static int model_dual(const Bounds *B, Work *K, int u, int *p) {
    int N = B->N, n = B->n, dm = K->dm, D = n + K->nextra;
    /* a ridge when R is near singular relative to its largest diagonal or to the size of the
       moved unit's columns before the projection, ‖v_u A'_u ⊙ X̄‖_F (all of them may lie in V) */
    double cols = 0.0;
    for (int i = 0; i < N; i++) if (K->row[i]) cols += B->xn[i] * B->xn[i];
    cols = fabs(B->v[u]) * sqrt(cols);
    int from = K->qcols;
    if (from == 0) {
        K->stamp++;
        K->ridge = 0.0;
        if (!(cols > 0.0)) {                      /* unit u predicts nothing: M = 0, w = 0 */
            memset(K->M, 0, sizeof(double) * (size_t)n * N);
            K->ridge = 1.0;
        }
    }
    model_qr(B, K, from, K->ridge);
    if (K->ridge == 0.0) {
        double dmax = 0.0, dmin = INFINITY;
        for (int j = 0; j < D; j++) { double d = fabs(K->R[j * dm + j]); if (d > dmax) dmax = d; if (d < dmin) dmin = d; }
        double top = dmax > cols ? dmax : cols;
        if (dmin <= B->ridge_rtol * top) {
            K->stamp++;
            K->ridge = B->ridge_rtol * top;
            from = 0;
            model_qr(B, K, 0, K->ridge);
        }
    }
    K->qcols = D;
    for (int j = from; j < D; j++) K->q[j] = dot(K->QR + (size_t)j * (N + dm), K->b, N);
    double *x = K->x;
    for (int round = 0; round < B->max_rounds; round++) {
        int rc = model_nnls(B, K, *p, D);
        if (rc) return rc;
        /* x = (w, t) = R⁻¹ (q + Σ ν_j h_j) */
        for (int l = 0; l < D; l++) x[l] = K->q[l];
        for (int j = 0; j < *p; j++) if (K->nu[j] > 0.0) axpy(x, K->nu[j], h_of(B, K, K->cons[j], D), D);
        for (int j = D - 1; j >= 0; j--) {
            double t = x[j];
            for (int l = j + 1; l < D; l++) t -= K->R[j * dm + l] * x[l];
            x[j] = t / K->R[j * dm + j];
        }
        double wn = norm(x, n), *xw = K->col;
        int grown = 0;
        x_times(B, x, xw);
        for (int i = 0; i < N; i++) {
            if (K->incone[i]) continue;
            double s = K->row[i] ? 1.0 : -1.0;
            if (s * xw[i] < -B->check_rtol * B->xn[i] * wn) { K->nu[*p] = 0.0; K->cons[(*p)++] = i; K->incone[i] = 1; grown = 1; }
        }
        if (!grown) break;
    }
    /* λ = (2/N)(M w + Σ_k t_k e_k − b), centred when c is optimised */
    double mean = 0.0;
    for (int i = 0; i < N; i++) K->lam[i] = -K->b[i];
    for (int j = 0; j < n; j++) axpy(K->lam, x[j], K->M + (size_t)j * N, N);
    for (int k = 0; k < K->nextra; k++) axpy(K->lam, x[n + k], K->extra + (size_t)k * N, N);
    for (int i = 0; i < N; i++) { K->lam[i] *= 2.0 / N; mean += K->lam[i]; }
    if (B->fit_bias) { mean /= N; for (int i = 0; i < N; i++) K->lam[i] -= mean; }
    /* g_u(λ) − (2/N) Σ ν_j s'_j x̄_j over the moved unit's constraints */
    double *r = K->rw, vu = B->v[u];
    xt_weighted(B, K->row, vu, K->lam, K->col, r);
    for (int j = 0; j < *p; j++) {
        int i = K->cons[j];
        if (i < N && K->nu[j] > 0.0) axpy(r, -(2.0 / N) * K->nu[j] * (K->row[i] ? 1.0 : -1.0), B->X + (size_t)i * n, n);
    }
    return norm(r, n) <= B->check_rtol * B->scale ? 0 : FB_MOVED;
}

/* Release unit w's constraint at position a of its face: its direction d = row a of the face's
   pseudo-inverse (s_j x̄_j·d = δ_aj for the face's normals, when they are independent) enters the
   model with a coefficient t ≥ 0, as the column P⊥_{V_{-u}}(v_w A_w ⊙ X̄ d) (normalised; none
   when it lies in V) and the constraint t ≥ 0 (*p grows). 0, or FB_SPAN. */
HOT static int release(const Bounds *B, Work *K, int u, int w, int a, int *p) {
    int N = B->N, n = B->n;
    K->rstamp[(size_t)w * B->width + a] = K->nstamp;
    const double *d = B->pinv + ((size_t)w * B->width + a) * n;
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
    double *e = K->extra + (size_t)K->nextra * N;
    for (int i = 0; i < N; i++) e[i] = col[i] / after;
    K->nu[*p] = 0.0;
    K->cons[(*p)++] = N + K->nextra;
    K->nextra++;
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
    K->qcols = 0;
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
    for (int a = 0; a < B->flen[u]; a++) if (!K->incone[Tu[a]]) { K->nu[p] = 0.0; K->cons[p++] = Tu[a]; K->incone[Tu[a]] = 1; }
    for (int t = 0; t < nf; t++) if (!K->incone[F[t]]) { K->nu[p] = 0.0; K->cons[p++] = F[t]; K->incone[F[t]] = 1; }
    for (int round = 1; round <= B->max_rounds; round++) {
        info = model_dual(B, K, u, &p);
        if (info) goto out;
        /* the model's value (its dual point's D(λ), a bound only once the checks pass); releasing
           enlarges the model's feasible set, so later rounds rarely exceed it */
        double value = -dot(K->lam, B->y, N) - 0.25 * N * dot(K->lam, K->lam, N);
        if (round == 1) first = value;
        if (!(value > B->cutoff)) { info = FB_CUTOFF; goto out; }
        /* the other units: g_w(λ) in the cone of the face's normals, coefficients μ ≥ 0 */
        int nneg = 0;
        for (int w = 0; w < m; w++) {
            if (w == u) continue;
            double *g = K->gw;
            xt_weighted(B, B->A + (size_t)w * N, B->v[w], K->lam, K->col, g);
            int len = B->flen[w];
            const int *idx = B->fidx + (size_t)w * wd;
            const double *pinv = B->pinv + (size_t)w * wd * n;
            double *mu = K->coef, negative = 0.0, worst = 0.0;
            int at = -1;
            for (int a = 0; a < len; a++) {
                mu[a] = dot(pinv + (size_t)a * n, g, n);
                if (mu[a] < 0.0) negative -= mu[a] * B->xn[idx[a]];
                /* (the most negative coefficient of a constraint not released yet) */
                if (mu[a] < worst && K->rstamp[(size_t)w * wd + a] != K->nstamp) { worst = mu[a]; at = a; }
            }
            double *r = K->rw;
            memcpy(r, g, sizeof(double) * n);
            for (int a = 0; a < len; a++) axpy(r, -mu[a] * sign_of(B, w, idx[a]), B->X + (size_t)idx[a] * n, n);
            /* the residual off the span, and with it the negative coefficients' part of g_w, must be
               within the tolerance; else the most negative constraint not yet released is released */
            double off = norm(r, n);
            if (off > B->check_rtol * B->scale) { info = FB_RESIDUAL; goto out; }
            if (off + negative > B->check_rtol * B->scale) {
                if (at < 0) { info = FB_FACE; goto out; }
                K->drop[nneg++] = w * wd + at;
            }
        }
        if (nneg == 0) {
            lb = value;
            info = round;
            goto out;
        }
        for (int a = 0; a < nneg; a++) {
            int rc = release(B, K, u, K->drop[a] / wd, K->drop[a] % wd, &p);
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
        {FB_FACE, "a released constraint's coefficient"}, {FB_SPAN, "too many released directions"}, {FB_NNLS, "the NNLS cap"},
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
