/* Hot kernels are compiled for several x86-64 levels and picked at run time
 * (GCC function multi-versioning), so one binary is both portable and fast. */
#ifndef GENRE_SIMD_H
#define GENRE_SIMD_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(GENRE_NO_CLONES)
#define HOT_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HOT_KERNEL
#endif

#endif
