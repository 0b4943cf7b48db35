/* Floating-point peak of this CPU: every core runs 16 independent chains of vector fused multiply-adds, wide
 * enough (64 bytes) for AVX-512 and split by the compiler into narrower registers elsewhere. Built by the engine
 * benchmark with -O3 -march=native; prints GFLOP/s of float32 over all threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef float v16 __attribute__((vector_size(64)));
#define CHAINS 16

static long iterations;

static void *run(void *arg) {
  float seed = (float)(size_t)arg * 1e-9f;
  v16 acc[CHAINS];
  v16 a, b;
  for (int j = 0; j < 16; j++) { a[j] = 0.999999f; b[j] = 1e-7f + seed; }
  for (int c = 0; c < CHAINS; c++) for (int j = 0; j < 16; j++) acc[c][j] = (float)c + j;
  for (long i = 0; i < iterations; i++) {
    for (int c = 0; c < CHAINS; c++) acc[c] = acc[c] * a + b;
  }
  float sum = 0;
  for (int c = 0; c < CHAINS; c++) for (int j = 0; j < 16; j++) sum += acc[c][j];
  float *out = malloc(sizeof(float));
  *out = sum;
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
  double flops = 2.0 * 16 * CHAINS * (double)iterations * threads;
  printf("{\"gflops\": %.3f, \"threads\": %d, \"seconds\": %.4f, \"check\": %g}\n", flops / seconds / 1e9, threads, seconds, check);
  return 0;
}
