/*
 * What the compiled extensions of this folder (_region_kernel.c, _face_bounds.c) share.
 *
 * HOT: the function is compiled twice, for AVX2 and for the baseline instruction set, and the
 * first call picks the version the CPU supports (GCC function multiversioning, x86-64 with glibc
 * only; elsewhere a single baseline build). The arithmetic is the same: without -ffp-contract no
 * fused multiply-adds are formed, only wider vectors are used.
 * INLINE: always inlined (so that a HOT caller's clone vectorises it too).
 */
#ifndef ZONOCOMB_COMPILED_H
#define ZONOCOMB_COMPILED_H

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 6 && defined(__x86_64__) && \
    defined(__linux__) && defined(__GLIBC__)
#define HOT __attribute__((target_clones("avx2", "default")))
#else
#define HOT
#endif
#if defined(__GNUC__)
#define INLINE static inline __attribute__((always_inline))
#else
#define INLINE static inline
#endif

#endif
