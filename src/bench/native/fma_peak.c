/* Floating-point peak of this CPU: every thread runs independent chains of float32 fused multiply-adds on the widest
 * vector unit the CPU has, chosen at run time (cpuid): AVX-512 (32 registers of 16 floats: 24 chains), AVX2 + FMA
 * (16 registers of 8 floats: 12 chains, so the chains and the two operands stay in registers; 16 chains of 64-byte
 * vectors need 32 AVX2 registers and spill, which read a tenth of the real peak), NEON on arm64 (32 registers of 4
 * floats: 24 chains), or plain SSE/scalar multiply-then-add elsewhere. Enough chains to cover the FMA latency on two
 * ports (4-5 cycles × 2), few enough to fit the register file. Each kernel is compiled for its instruction set with a
 * target attribute, so the program is built once without -march=native and still runs on any x86-64.
 *
 * Usage: fma_peak [threads] [iterations] [isa]; isa (or the DWB_FMA_ISA environment variable) forces one of
 * avx512, avx2, sse, neon, scalar, to measure a narrower unit on a machine that has a wider one.
 * Prints one JSON object: GFLOP/s of float32 over all threads, the ISA, lanes and chains used. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define X86 1
#elif defined(__aarch64__)
#include <arm_neon.h>
#define NEON 1
#endif

static long iterations;

typedef float (*kernel_fn)(float seed);

struct isa {
  const char *name;
  int lanes;
  int chains;
  int fused; /* 1: one instruction does a multiply and an add */
  kernel_fn run;
};

/* Each kernel: CHAINS accumulators acc = acc * a + b, `iterations` times; returns a sum so nothing is elided. */
#if X86
#define AVX512_CHAINS 24
__attribute__((target("avx512f"))) static float kernel_avx512(float seed) {
  __m512 acc[AVX512_CHAINS];
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f + seed);
  for (int c = 0; c < AVX512_CHAINS; c++) acc[c] = _mm512_set1_ps((float)c);
  for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 24
    for (int c = 0; c < AVX512_CHAINS; c++) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  }
  __m512 sum = acc[0];
  for (int c = 1; c < AVX512_CHAINS; c++) sum = _mm512_add_ps(sum, acc[c]);
  return _mm512_reduce_add_ps(sum);
}

#define AVX2_CHAINS 12
__attribute__((target("avx2,fma"))) static float kernel_avx2(float seed) {
  __m256 acc[AVX2_CHAINS];
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f + seed);
  for (int c = 0; c < AVX2_CHAINS; c++) acc[c] = _mm256_set1_ps((float)c);
  for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 12
    for (int c = 0; c < AVX2_CHAINS; c++) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  }
  __m256 sum = acc[0];
  for (int c = 1; c < AVX2_CHAINS; c++) sum = _mm256_add_ps(sum, acc[c]);
  float out[8];
  _mm256_storeu_ps(out, sum);
  return out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7];
}

/* SSE2 (every x86-64): no FMA, a multiply and an add per lane, 16 registers: 12 chains */
#define SSE_CHAINS 12
static float kernel_sse(float seed) {
  __m128 acc[SSE_CHAINS];
  const __m128 a = _mm_set1_ps(0.999999f), b = _mm_set1_ps(1e-7f + seed);
  for (int c = 0; c < SSE_CHAINS; c++) acc[c] = _mm_set1_ps((float)c);
  for (long i = 0; i < iterations; i++) {
#pragma GCC unroll 12
    for (int c = 0; c < SSE_CHAINS; c++) acc[c] = _mm_add_ps(_mm_mul_ps(acc[c], a), b);
  }
  float out[4], total = 0;
  for (int c = 0; c < SSE_CHAINS; c++) {
    _mm_storeu_ps(out, acc[c]);
    total += out[0] + out[1] + out[2] + out[3];
  }
  return total;
}
#endif

#if NEON
#define NEON_CHAINS 24
static float kernel_neon(float seed) {
  float32x4_t acc[NEON_CHAINS];
  const float32x4_t a = vdupq_n_f32(0.999999f), b = vdupq_n_f32(1e-7f + seed);
  for (int c = 0; c < NEON_CHAINS; c++) acc[c] = vdupq_n_f32((float)c);
  for (long i = 0; i < iterations; i++) {
    for (int c = 0; c < NEON_CHAINS; c++) acc[c] = vfmaq_f32(b, acc[c], a);
  }
  float total = 0;
  for (int c = 0; c < NEON_CHAINS; c++) total += vaddvq_f32(acc[c]);
  return total;
}
#endif

#define SCALAR_CHAINS 8
static float kernel_scalar(float seed) {
  volatile float b0 = 1e-7f + seed; /* volatile read once: keeps the compiler from folding the loop */
  float acc[SCALAR_CHAINS], a = 0.999999f, b = b0;
  for (int c = 0; c < SCALAR_CHAINS; c++) acc[c] = (float)c;
  for (long i = 0; i < iterations; i++) {
    for (int c = 0; c < SCALAR_CHAINS; c++) acc[c] = acc[c] * a + b;
  }
  float total = 0;
  for (int c = 0; c < SCALAR_CHAINS; c++) total += acc[c];
  return total;
}

static const struct isa ISAS[] = {
#if X86
  {"avx512", 16, AVX512_CHAINS, 1, kernel_avx512},
  {"avx2", 8, AVX2_CHAINS, 1, kernel_avx2},
  {"sse", 4, SSE_CHAINS, 0, kernel_sse},
#endif
#if NEON
  {"neon", 4, NEON_CHAINS, 1, kernel_neon},
#endif
  {"scalar", 1, SCALAR_CHAINS, 0, kernel_scalar},
};
#define ISA_COUNT (sizeof(ISAS) / sizeof(ISAS[0]))

static int supported(const char *name) {
#if X86
  __builtin_cpu_init();
  if (!strcmp(name, "avx512")) return __builtin_cpu_supports("avx512f");
  if (!strcmp(name, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return 1;
}

static const struct isa *chosen;

static void *run(void *arg) {
  float *out = malloc(sizeof(float));
  *out = chosen->run((float)(size_t)arg * 1e-9f);
  return out;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int threads = argc > 1 ? atoi(argv[1]) : 1;
  iterations = argc > 2 ? atol(argv[2]) : 200000000L;
  const char *forced = argc > 3 ? argv[3] : getenv("DWB_FMA_ISA");
  if (forced && !*forced) forced = NULL;
  for (size_t i = 0; i < ISA_COUNT && !chosen; i++) {
    if (forced ? !strcmp(ISAS[i].name, forced) : supported(ISAS[i].name)) chosen = &ISAS[i];
  }
  if (!chosen || (forced && !supported(forced))) {
    printf("{\"error\": \"instruction set %s is not available on this CPU or in this build\"}\n", forced ? forced : "?");
    return 2;
  }
  if (threads < 1 || threads > 256) threads = 1;
  /* the same amount of arithmetic per thread whatever the width: iterations scale with the flops per iteration */
  long flopsPerIteration = 2L * chosen->lanes * chosen->chains;
  iterations = iterations * 16 * 16 * 2 / flopsPerIteration;
  pthread_t ids[256];
  double start = now();
  for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, run, (void *)(size_t)(t + 1));
  float check = 0;
  for (int t = 0; t < threads; t++) {
    void *result;
    pthread_join(ids[t], &result);
    check += *(float *)result;
    free(result);
  }
  double seconds = now() - start;
  double flops = (double)flopsPerIteration * (double)iterations * threads;
  printf("{\"gflops\": %.3f, \"threads\": %d, \"isa\": \"%s\", \"lanes\": %d, \"chains\": %d, \"fused\": %s, \"seconds\": %.4f, \"check\": %g}\n",
         flops / seconds / 1e9, threads, chosen->name, chosen->lanes, chosen->chains, chosen->fused ? "true" : "false", seconds, check);
  return 0;
}
