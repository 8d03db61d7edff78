// A C model of the row engine's float rows past the caches (issue 11, memory-bound rows): what one thread can reach on
// this machine next to the NT copy of the same bytes, without the JIT in the way. One program, one thread; for a shape of
// R rows of N floats (x and y 4 KiB-aligned, γ and β apart), each variant is timed once per round, the variants
// round-robin, and the report gives each one's best round (thread CPU time and wall; GB/s = x read + y written, % of the
// copy's best) and the median over rounds of its time ÷ the "rows nt, next-row pf t0" time of the same round (the
// engine's rows a time): on a loud 2-core VM the paired median is the steadier number. Variants:
//   copy nt / read only / write only nt   the bounds: loads + aligned NT stores; loads; NT stores of a constant
//   copy with the affine (nt)             the copy plus the last pass's arithmetic and γ, β loads (32 KiB each at 8192)
//   pass 1 only (reads)                   pass 1 and the statistics, no output
//   rows (nt or cached)                   the engine: pass 1 (shift, four accumulator pairs Σd, Σd²), statistics, the last
//                                         pass reading x back from L1/L2; prefetch none, next row in the last pass
//                                         ("next-row", the engine's), or pass 1 D bytes ahead; t0, t2 or nta; "4 KiB burst":
//                                         one load per line of the next page before summing it; "ends cached again": the
//                                         row's first and last vectors stored again with cached stores after the loop
//   piped                                 the engine's cross-row pipeline (row r's last pass with row r + 1's pass 1,
//                                         block by block); "grain G": G blocks of each in turn; "no affine": without γ, β
//   rows2 / rows2 fused / piped2          two rows in flight: pass 1 of both interleaved; fused: their last passes share
//                                         each γ, β load
//   rowsK chunk C (piped)                 K rows' pass 1, then their last passes C floats of columns at a time through
//                                         all K rows (γ, β of a chunk stay in L1: read from L2 once per K rows)
//   rms rows                              RMSNorm rows a time (Σx², y = x·rstd·γ), the engine's form
// Build and run (R N ROUNDS [focus: the engine's forms, the bounds and the candidates only]; no arguments: 2048×8192 and
// 4096×1024, every variant, 20 rounds; -DHOT=1: no eviction between calls (L3-resident shapes called again and again);
// -DYOFF=k -DGOFF=k: y, γ and β k floats past their 4 KiB boundaries):
//   gcc -O2 -march=x86-64-v4 -o stream-model stream-model.c -lm && ./stream-model 2048 8192 40 focus
//   gcc -O2 -march=x86-64-v4 -DHOT=1 -o stream-model-hot stream-model.c -lm && ./stream-model-hot 512 4096 200 focus
// Measured 2026-11-30 11:30-12:00 UTC on the 2-core EPYC VM (Zen 5, 3.47 GHz, L2 1 MiB, L3 32 MiB), loud (load 10-28),
// paired medians of time ÷ the rows a time (the copy's % in brackets), several runs:
//   2048×8192: copy 0.60-0.67, write only 0.54-0.60, copy with the affine 0.80-0.87 (67-91%), piped without affine
//     0.74-0.90 (63-85%); rows a time 1.00 (56-64%), cached 1.03-1.08; piped 1.10-1.25 (45-64%, whatever the prefetch
//     t0/t2/nta 1-64 KiB; grain 1-64 blocks 1.13-1.36); rows8 chunk 256 0.83-0.96 (55-85%, best 61-71% in most runs),
//     rows4 chunk 256 0.91-0.99, rows16 chunk 256 0.88-0.97, chunks of 512 1.1; rows2 fused 0.94-0.99, piped2 1.03-1.16;
//     RMSNorm rows 0.94-0.96; γ, β interleaved 1.03-1.05; 4 KiB burst: slower; y's phase mod 4 KiB (YOFF 256): no change;
//     ends cached again 0.96 (no cost at 32 KiB rows).
//   4096×1024 (evicted): copy 0.63, rows 1.00 (64%), piped 0.95 (67%), piped2 0.76 (82%), rows8 chunk 256 0.93,
//     RMSNorm rows 0.80 (94%), copy with the affine 0.75.
//   hot 128×4096: rows nt 56.8 GB/s (69%), cached 35.4 (43%), rows2 fused 61.1 (74%), RMSNorm 62.3 (76%), piped 0.52;
//   hot 512×4096: rows nt 48.5 (58%), cached 30.9, rows8 chunk 256 50.1, RMSNorm 53.5, ends cached again 1.12;
//   hot 2048×768: rows nt 66.4 GB/s (78%), cached 62.8, ends cached again 3.69 (!).
// So the LayerNorm bound here is about 70% of the NT copy at 2048×8192, not 85%: its reads do not hide under its writes
// once the last pass also loads γ and β from L2. The C# engine took the ends finding (StoreEnds) and nothing else.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
#include <immintrin.h>
#ifndef YOFF
#define YOFF 0 // floats past y's 4 KiB boundary (x sits on one): y − x ≡ 4·YOFF bytes mod 4 KiB
#endif
#ifndef GOFF
#define GOFF 0 // floats past γ's and β's 4 KiB boundary
#endif
#ifndef HOT
#define HOT 0
#endif
static double cpu(){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static double wall(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static inline float q128(__m128 a){ a=_mm_add_ps(_mm_permute_ps(a,0xB1),a); a=_mm_add_ps(_mm_permute_ps(a,0x4E),a); return a[0]; }
static inline float hsum(__m512 v){ __m256 lo=_mm512_castps512_ps256(v), hi=_mm512_extractf32x8_ps(v,1);
  float l=q128(_mm256_castps256_ps128(lo))+q128(_mm256_extractf128_ps(lo,1)); float h=q128(_mm256_castps256_ps128(hi))+q128(_mm256_extractf128_ps(hi,1)); return l+h; }
enum { PF_NONE=0, PF_NEXTROW=1, PF_AHEAD=2 };
static int g_kind; // 0 t0, 1 t2, 2 nta
static inline void pf(const char* p){ if(g_kind==0)_mm_prefetch(p,_MM_HINT_T0); else if(g_kind==1)_mm_prefetch(p,_MM_HINT_T2); else _mm_prefetch(p,_MM_HINT_NTA); }
static inline void pf4(const float* p){ const char* c=(const char*)p; pf(c); pf(c+64); pf(c+128); pf(c+192); }
static inline void put(float* p,__m512 v,int nt){ if(nt)_mm512_stream_ps(p,v); else _mm512_store_ps(p,v); }

typedef struct { __m512 s0,s1,s2,s3,q0,q1,q2,q3,k; } acc;
static inline void acc_init(acc* a,const float* xr){ a->s0=_mm512_setzero_ps(); a->s1=a->s0;a->s2=a->s0;a->s3=a->s0;a->q0=a->s0;a->q1=a->s0;a->q2=a->s0;a->q3=a->s0;
  a->k=_mm512_set1_ps(hsum(_mm512_loadu_ps(xr))*(1.0f/16)); }
static inline void acc_block(acc* a,const float* p){
  __m512 d0=_mm512_sub_ps(_mm512_load_ps(p),a->k),d1=_mm512_sub_ps(_mm512_load_ps(p+16),a->k),d2=_mm512_sub_ps(_mm512_load_ps(p+32),a->k),d3=_mm512_sub_ps(_mm512_load_ps(p+48),a->k);
  a->s0=_mm512_add_ps(a->s0,d0);a->s1=_mm512_add_ps(a->s1,d1);a->s2=_mm512_add_ps(a->s2,d2);a->s3=_mm512_add_ps(a->s3,d3);
  a->q0=_mm512_fmadd_ps(d0,d0,a->q0);a->q1=_mm512_fmadd_ps(d1,d1,a->q1);a->q2=_mm512_fmadd_ps(d2,d2,a->q2);a->q3=_mm512_fmadd_ps(d3,d3,a->q3); }
typedef struct { __m512 m,r,rc; } stats;
static inline stats finish(acc* a,int N){ float inv=1.0f/N;
  float off=hsum(_mm512_add_ps(_mm512_add_ps(a->s0,a->s1),_mm512_add_ps(a->s2,a->s3)))*inv;
  float ms=hsum(_mm512_add_ps(_mm512_add_ps(a->q0,a->q1),_mm512_add_ps(a->q2,a->q3)))*inv;
  float rstd=1.0f/sqrtf(fmaxf(ms-off*off,0)+1e-5f); stats s={a->k,_mm512_set1_ps(rstd),_mm512_set1_ps(-(off*rstd))}; return s; }
static inline __m512 out1(const float* x,const float* g,const float* b,stats s){
  return _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_sub_ps(_mm512_load_ps(x),s.m),s.r,s.rc),_mm512_load_ps(g),_mm512_load_ps(b)); }
static inline void out_block(const float* x,const float* g,const float* b,float* y,stats s,int nt){
  put(y,out1(x,g,b,s),nt); put(y+16,out1(x+16,g+16,b+16,s),nt); put(y+32,out1(x+32,g+32,b+32,s),nt); put(y+48,out1(x+48,g+48,b+48,s),nt); }

static int g_N; static long g_R; static float *g_x,*g_y,*g_g,*g_b; static volatile float g_sink;

__attribute__((noinline)) static void copy_nt(void){ long n=g_R*g_N; const float*x=g_x; float*y=g_y;
  for(long i=0;i<n;i+=64){ _mm512_stream_ps(y+i,_mm512_load_ps(x+i)); _mm512_stream_ps(y+i+16,_mm512_load_ps(x+i+16)); _mm512_stream_ps(y+i+32,_mm512_load_ps(x+i+32)); _mm512_stream_ps(y+i+48,_mm512_load_ps(x+i+48)); }
  _mm_sfence(); }
__attribute__((noinline)) static void read_only(void){ long n=g_R*g_N; const float*x=g_x; __m512 a=_mm512_setzero_ps(),b=a,c=a,d=a;
  for(long i=0;i<n;i+=64){ a=_mm512_add_ps(a,_mm512_load_ps(x+i)); b=_mm512_add_ps(b,_mm512_load_ps(x+i+16)); c=_mm512_add_ps(c,_mm512_load_ps(x+i+32)); d=_mm512_add_ps(d,_mm512_load_ps(x+i+48)); }
  g_sink=hsum(_mm512_add_ps(_mm512_add_ps(a,b),_mm512_add_ps(c,d))); }

__attribute__((noinline)) static void write_nt(void){ long n=g_R*g_N; float*y=g_y; __m512 v=_mm512_set1_ps(1.0f);
  for(long i=0;i<n;i+=64){ _mm512_stream_ps(y+i,v); _mm512_stream_ps(y+i+16,v); _mm512_stream_ps(y+i+32,v); _mm512_stream_ps(y+i+48,v); } _mm_sfence(); }
// the copy with the last pass's arithmetic and γ, β loads: y = ((x − m)·r + rc)·γ + β straight from memory (one read stream)
__attribute__((noinline)) static void copy_affine(void){ int N=g_N; long R=g_R; stats s={_mm512_set1_ps(0.5f),_mm512_set1_ps(1.1f),_mm512_set1_ps(0.1f)};
  for(long r=0;r<R;r++) for(int i=0;i<N;i+=64) out_block(g_x+r*N+i,g_g+i,g_b+i,g_y+r*N+i,s,1);
  _mm_sfence(); }
// the same with γ, β of 1024 floats used over and over (8 KiB, in L1): what their reads from L2 cost the copy
__attribute__((noinline)) static void copy_affine_l1(void){ int N=g_N; long R=g_R; stats s={_mm512_set1_ps(0.5f),_mm512_set1_ps(1.1f),_mm512_set1_ps(0.1f)};
  for(long r=0;r<R;r++) for(int i=0;i<N;i+=64) out_block(g_x+r*N+i,g_g+(i&1023),g_b+(i&1023),g_y+r*N+i,s,1);
  _mm_sfence(); }
// the copy with the affine, γ and β prefetched into L1 gdist bytes ahead
__attribute__((noinline)) static void copy_affine_pf(long gdist){ int N=g_N; long R=g_R; long gd=gdist/4; stats s={_mm512_set1_ps(0.5f),_mm512_set1_ps(1.1f),_mm512_set1_ps(0.1f)};
  for(long r=0;r<R;r++) for(int i=0;i<N;i+=64){ int j=(i+gd)%N; _mm_prefetch((const char*)(g_g+j),_MM_HINT_T0); _mm_prefetch((const char*)(g_g+j)+64,_MM_HINT_T0); _mm_prefetch((const char*)(g_g+j)+128,_MM_HINT_T0); _mm_prefetch((const char*)(g_g+j)+192,_MM_HINT_T0);
    _mm_prefetch((const char*)(g_b+j),_MM_HINT_T0); _mm_prefetch((const char*)(g_b+j)+64,_MM_HINT_T0); _mm_prefetch((const char*)(g_b+j)+128,_MM_HINT_T0); _mm_prefetch((const char*)(g_b+j)+192,_MM_HINT_T0);
    out_block(g_x+r*N+i,g_g+i,g_b+i,g_y+r*N+i,s,1); }
  _mm_sfence(); }
// the pipeline without γ, β (y = (x − m)·r + rc): what the affine's loads from L2 cost
__attribute__((noinline)) static void piped_noaffine(long dist){ int N=g_N; long R=g_R; long df=dist/4; stats s; int pending=0; const float* xp=0; float* yp=0;
  for(long r=0;r<=R;r++){ const float* xr=g_x+r*N; int p1=r<R; acc a={0}; if(p1) acc_init(&a,xr);
    for(int i=0;i<N;i+=64){
      if(p1){ if(df) pf4(xr+i+df); acc_block(&a,xr+i); }
      if(pending) for(int j=i;j<i+64;j+=16) _mm512_stream_ps(yp+j,_mm512_fmadd_ps(_mm512_sub_ps(_mm512_load_ps(xp+j),s.m),s.r,s.rc)); }
    if(!p1) break;
    s=finish(&a,N); xp=xr; yp=g_y+r*N; pending=1; }
  _mm_sfence(); }
// pass 1 alone (reads and statistics, no output): the rows' read time
__attribute__((noinline)) static void pass1_only(void){ int N=g_N; long R=g_R; float t=0;
  for(long r=0;r<R;r++){ const float* xr=g_x+r*N; acc a; acc_init(&a,xr); for(int i=0;i<N;i+=64) acc_block(&a,xr+i); stats s=finish(&a,N); t+=s.r[0]; } g_sink=t; }

// rows a time. pfmode: PF_NONE, PF_NEXTROW (last pass prefetches the next row at the same position), PF_AHEAD (pass 1
// prefetches dist bytes ahead); burst: pass 1 touches each 4 KiB page of x one line a load before summing it.
__attribute__((noinline)) static void rows(int pfmode,long dist,int nt,int burst){ int N=g_N; long R=g_R; long df=dist/4;
  for(long r=0;r<R;r++){ const float* xr=g_x+r*N; float* yr=g_y+r*N; acc a; acc_init(&a,xr);
    for(int i=0;i<N;i+=64){
      if(burst==1 && (i&1023)==0){ const float* p=xr+i+1024; __m512 t=_mm512_setzero_ps(); for(int j=0;j<1024;j+=16) t=_mm512_or_ps(t,_mm512_load_ps(p+j)); __asm__ volatile(""::"v"(t)); }
      if(pfmode==PF_AHEAD) pf4(xr+i+df);
      acc_block(&a,xr+i); }
    stats s=finish(&a,N);
    __m512 fo=out1(xr,g_g,g_b,s), lo=out1(xr+N-16,g_g+N-16,g_b+N-16,s);
    for(int i=0;i<N;i+=64){ if(pfmode==PF_NEXTROW) pf4(xr+N+i); out_block(xr+i,g_g+i,g_b+i,yr+i,s,nt); }
    if(burst==2){ _mm512_storeu_ps(yr,fo); _mm512_storeu_ps(yr+N-16,lo); } // the engine's head and last vector, stored again cached
  }
  if(nt)_mm_sfence(); }

// the cross-row pipeline (as RowEngine.Streaming.cs): pass 1 of row r interleaved with the last pass of row r-1
__attribute__((noinline)) static void piped(long dist,int nt){ int N=g_N; long R=g_R; long df=dist/4; stats s; int pending=0; const float* xp=0; float* yp=0;
  for(long r=0;r<=R;r++){ const float* xr=g_x+r*N; int p1=r<R; acc a={0}; if(p1) acc_init(&a,xr);
    for(int i=0;i<N;i+=64){
      if(p1){ if(df) pf4(xr+i+df); acc_block(&a,xr+i); }
      if(pending) out_block(xp+i,g_g+i,g_b+i,yp+i,s,nt); }
    if(!p1) break;
    s=finish(&a,N); xp=xr; yp=g_y+r*N; pending=1; }
  if(nt)_mm_sfence(); }

// two rows in flight: pass 1 of rows r, r+1 interleaved, then both last passes
__attribute__((noinline)) static void rows2(long dist,int nt){ int N=g_N; long R=g_R; long df=dist/4;
  for(long r=0;r+1<R;r+=2){ const float* x0=g_x+r*N,*x1=x0+N; acc a,b; acc_init(&a,x0); acc_init(&b,x1);
    for(int i=0;i<N;i+=64){ if(df){ pf4(x0+i+df); pf4(x1+i+df);} acc_block(&a,x0+i); acc_block(&b,x1+i); }
    stats s0=finish(&a,N), s1=finish(&b,N);
    for(int i=0;i<N;i+=64) out_block(x0+i,g_g+i,g_b+i,g_y+r*N+i,s0,nt);
    for(int i=0;i<N;i+=64) out_block(x1+i,g_g+i,g_b+i,g_y+(r+1)*N+i,s1,nt); }
  if(nt)_mm_sfence(); }

// two rows' last passes fused: γ and β loaded once per block for both rows (half their reads from L2)
static inline void out_block2(const float* x0,const float* x1,const float* g,const float* b,float* y0,float* y1,stats s0,stats s1,int nt){
  for(int j=0;j<64;j+=16){ __m512 gv=_mm512_load_ps(g+j), bv=_mm512_load_ps(b+j);
    put(y0+j,_mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_sub_ps(_mm512_load_ps(x0+j),s0.m),s0.r,s0.rc),gv,bv),nt);
    put(y1+j,_mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_sub_ps(_mm512_load_ps(x1+j),s1.m),s1.r,s1.rc),gv,bv),nt); } }
// rows two at a time: pass 1 of both interleaved, then the fused last pass
__attribute__((noinline)) static void rows2f(int nt){ int N=g_N; long R=g_R;
  for(long r=0;r+1<R;r+=2){ const float* x0=g_x+r*N,*x1=x0+N; acc a,b; acc_init(&a,x0); acc_init(&b,x1);
    for(int i=0;i<N;i+=64){ acc_block(&a,x0+i); acc_block(&b,x1+i); }
    stats s0=finish(&a,N), s1=finish(&b,N);
    for(int i=0;i<N;i+=64) out_block2(x0+i,x1+i,g_g+i,g_b+i,g_y+r*N+i,g_y+(r+1)*N+i,s0,s1,nt); }
  if(nt)_mm_sfence(); }
// the pipeline two rows at a time: pass 1 of rows r, r+1 (one after the other within each block, or interleaved)
// with the fused last pass of rows r−2, r−1
__attribute__((noinline)) static void piped2(int nt){ int N=g_N; long R=g_R; stats s0,s1; int pending=0; const float* xp=0; float* yp=0;
  for(long r=0;r<=R;r+=2){ const float* x0=g_x+r*N,*x1=x0+N; int p1=r+1<R; acc a={0},b={0}; if(p1){ acc_init(&a,x0); acc_init(&b,x1); }
    for(int i=0;i<N;i+=64){
      if(p1){ acc_block(&a,x0+i); acc_block(&b,x1+i); }
      if(pending) out_block2(xp+i,xp+N+i,g_g+i,g_b+i,yp+i,yp+N+i,s0,s1,nt); }
    if(!p1) break;
    s0=finish(&a,N); s1=finish(&b,N); xp=x0; yp=g_y+r*N; pending=1; }
  if(nt)_mm_sfence(); }

// K rows at a time in chunks of C floats: γ and β of a chunk (2·4·C bytes) stay in L1 while the K rows' last passes
// use them, so they are read from L2 once per K rows; pipelined (pipe): pass 1 of the next K rows runs chunk by chunk
// with the last passes of these K. Each row's per-element operations and their order are the row loop's.
__attribute__((noinline)) static void rowsK(int K,int C,int nt,int pipe){ int N=g_N; long R=g_R; acc a[16]; stats s[16]; int pending=0; long prev=0;
  for(long r=0;r<=R;r+=K){ int p1=r+K<=R;
    if(p1) for(int k=0;k<K;k++) acc_init(&a[k],g_x+(r+k)*N);
    if(p1 && !pipe){ for(int c=0;c<N;c+=C) for(int k=0;k<K;k++){ acc t=a[k]; for(int i=c;i<c+C;i+=64) acc_block(&t,g_x+(r+k)*N+i); a[k]=t; }
      for(int k=0;k<K;k++) s[k]=finish(&a[k],N);
      for(int c=0;c<N;c+=C) for(int k=0;k<K;k++) for(int i=c;i<c+C;i+=64) out_block(g_x+(r+k)*N+i,g_g+i,g_b+i,g_y+(r+k)*N+i,s[k],nt);
      continue; }
    if(!pipe) break;
    for(int c=0;c<N;c+=C){
      if(p1) for(int k=0;k<K;k++){ acc t=a[k]; for(int i=c;i<c+C;i+=64) acc_block(&t,g_x+(r+k)*N+i); a[k]=t; }
      if(pending) for(int k=0;k<K;k++) for(int i=c;i<c+C;i+=64) out_block(g_x+(prev+k)*N+i,g_g+i,g_b+i,g_y+(prev+k)*N+i,s[k],nt); }
    if(!p1) break;
    for(int k=0;k<K;k++) s[k]=finish(&a[k],N);
    prev=r; pending=1; }
  if(nt)_mm_sfence(); }

// RMSNorm rows a time (the engine's form: Σx² in pass 1, y = x·rstd·γ, next-row prefetch in the last pass)
__attribute__((noinline)) static void rms_rows(int nt){ int N=g_N; long R=g_R;
  for(long r=0;r<R;r++){ const float* xr=g_x+r*N; float* yr=g_y+r*N; __m512 q0=_mm512_setzero_ps(),q1=q0,q2=q0,q3=q0;
    for(int i=0;i<N;i+=64){ __m512 v0=_mm512_load_ps(xr+i),v1=_mm512_load_ps(xr+i+16),v2=_mm512_load_ps(xr+i+32),v3=_mm512_load_ps(xr+i+48);
      q0=_mm512_fmadd_ps(v0,v0,q0);q1=_mm512_fmadd_ps(v1,v1,q1);q2=_mm512_fmadd_ps(v2,v2,q2);q3=_mm512_fmadd_ps(v3,v3,q3); }
    __m512 rv=_mm512_set1_ps(1.0f/sqrtf(hsum(_mm512_add_ps(_mm512_add_ps(q0,q1),_mm512_add_ps(q2,q3)))/N+1e-5f));
    for(int i=0;i<N;i+=64){ pf4(xr+N+i); for(int j=i;j<i+64;j+=16) put(yr+j,_mm512_mul_ps(_mm512_mul_ps(_mm512_load_ps(xr+j),rv),_mm512_load_ps(g_g+j)),nt); } }
  if(nt)_mm_sfence(); }
// LayerNorm rows a time with γ and β interleaved a vector each in one scratch (g_gb: γ[0..15], β[0..15], γ[16..31], …):
// the same values and operations, one parameter stream instead of two
static float* g_gb;
__attribute__((noinline)) static void rows_gb(int nt){ int N=g_N; long R=g_R;
  for(long r=0;r<R;r++){ const float* xr=g_x+r*N; float* yr=g_y+r*N; acc a; acc_init(&a,xr);
    for(int i=0;i<N;i+=64) acc_block(&a,xr+i);
    stats s=finish(&a,N);
    for(int i=0;i<N;i+=64){ pf4(xr+N+i); for(int j=i;j<i+64;j+=16) put(yr+j,out1(xr+j,g_gb+2*j,g_gb+2*j+16,s),nt); } }
  if(nt)_mm_sfence(); }

// the pipeline at a coarser grain: G blocks (G·256 bytes) of row r's pass 1, then G blocks of row r−1's last pass;
// gb: γ and β interleaved in one scratch (see rows_gb)
__attribute__((noinline)) static void piped_grain(int G,int gb){ int N=g_N; long R=g_R; stats s; int pending=0; const float* xp=0; float* yp=0; int step=64*G;
  for(long r=0;r<=R;r++){ const float* xr=g_x+r*N; int p1=r<R; acc a={0}; if(p1) acc_init(&a,xr);
    for(int i0=0;i0<N;i0+=step){ int i1=i0+step<N?i0+step:N;
      if(p1) for(int i=i0;i<i1;i+=64) acc_block(&a,xr+i);
      if(pending){ if(gb) for(int j=i0;j<i1;j+=16) _mm512_stream_ps(yp+j,out1(xp+j,g_gb+2*j,g_gb+2*j+16,s));
        else for(int i=i0;i<i1;i+=64) out_block(xp+i,g_g+i,g_b+i,yp+i,s,1); } }
    if(!p1) break;
    s=finish(&a,N); xp=xr; yp=g_y+r*N; pending=1; }
  _mm_sfence(); }

static char* g_evict; static long g_evictBytes=96L<<20;
static void evict(void){ if(HOT) return; long t=0; for(long i=0;i<g_evictBytes;i+=64) t+=g_evict[i]; g_sink=(float)t; } // reads only: no dirty lines to write back in the round

typedef struct { int mode,nt,burst,kind; long dist; } V;
typedef struct { char name[48]; int what; V v; double bc,bw,last; double ratio[400]; } Variant; // what: 0 copy, 1 read, 2 rows, 3 piped, 4 rows2, 5 write, 6 copy affine, 7 piped no affine, 8 pass 1
static Variant g_v[128]; static int g_nv;
static void add(const char* name,int what,V v){ Variant* p=&g_v[g_nv++]; snprintf(p->name,48,"%s",name); p->what=what; p->v=v; p->bc=p->bw=1e9; }
static void call(Variant* p){ g_kind=p->v.kind;
  switch(p->what){ case 0: copy_nt(); break; case 1: read_only(); break; case 2: rows(p->v.mode,p->v.dist,p->v.nt,p->v.burst); break;
    case 3: piped(p->v.dist,p->v.nt); break; case 4: rows2(p->v.dist,p->v.nt); break;
    case 5: write_nt(); break; case 6: copy_affine(); break; case 7: piped_noaffine(p->v.dist); break; case 9: copy_affine_l1(); break; case 10: copy_affine_pf(p->v.dist); break; case 11: rows2f(p->v.nt); break; case 12: piped2(p->v.nt); break; case 13: rowsK(p->v.mode,p->v.dist,p->v.nt,p->v.burst); break; case 14: rms_rows(p->v.nt); break; case 15: rows_gb(p->v.nt); break; case 16: piped_grain(p->v.mode,p->v.burst); break; default: pass1_only(); } }

static int g_focus, g_ref;
static int cmpd(const void* a,const void* b){ double x=*(const double*)a,y=*(const double*)b; return x<y?-1:x>y; }
static void shape(long R,int N,int rounds){
  g_R=R; g_N=N; long n=R*N+65536; // slack: prefetches and the pipeline may read past the last row
  g_x=aligned_alloc(4096,n*4); float* ybase=aligned_alloc(4096,n*4+4096); g_y=ybase+YOFF; float* gbase=aligned_alloc(4096,N*4+4096), *bbase=aligned_alloc(4096,N*4+4096); g_g=gbase+GOFF; g_b=bbase+GOFF;
  for(long i=0;i<n;i++){ g_x[i]=(float)rand()/RAND_MAX; g_y[i]=0; } for(int i=0;i<N;i++){ g_g[i]=1.1f; g_b[i]=0.1f; }
  g_gb=aligned_alloc(64,2*N*4); for(int i=0;i<N;i++){ g_gb[i/16*32+i%16]=g_g[i]; g_gb[i/16*32+16+i%16]=g_b[i]; }
  printf("== %ld x %d floats (%.0f MiB in, %.0f MiB out), best of %d rounds (variants round-robin), %s\n",R,N,R*N*4.0/(1<<20),R*N*4.0/(1<<20),rounds,HOT?"hot (no eviction)":"evicted between calls");
  const char* kinds[]={"t0","t2","nta"}; char name[48]; g_nv=0;
  V v={PF_NONE,1,0,0,0};
  add("copy nt",0,v); add("read only",1,v); add("write only nt",5,v); add("copy with the affine (nt)",6,v); add("pass 1 only (reads)",8,v); add("copy affine, γβ in L1 (8 KiB)",9,v); v.dist=1024; add("copy affine, γβ pf t0 1 KiB",10,v); v.dist=4096; add("copy affine, γβ pf t0 4 KiB",10,v); v.dist=0;
  add("rows nt, no sw prefetch",2,v);
  v.nt=0; add("rows cached, no sw prefetch",2,v); v.nt=1;
  for(int k=0;k<3;k++){ v.mode=PF_NEXTROW; v.kind=k; snprintf(name,48,"rows nt, next-row pf %s",kinds[k]); add(name,2,v); }
  long ds[]={1024,2048,4096,8192,16384};
  for(int d=2;d<4;d++) for(int k=0;k<3;k++){ if(k && d!=2) continue; v.mode=PF_AHEAD; v.dist=ds[d]; v.kind=k; snprintf(name,48,"rows nt, pass-1 pf %ld KiB %s",ds[d]>>10,kinds[k]); add(name,2,v); }
  v.mode=PF_AHEAD; v.dist=4096; v.kind=2; v.nt=0; add("rows cached, pass-1 pf 4 KiB nta",2,v); v.nt=1;
  v.mode=PF_NONE; v.kind=0; v.dist=0; v.burst=1; add("rows nt, 4 KiB burst",2,v); v.burst=0;
  v.mode=PF_NEXTROW; v.burst=2; add("rows nt, next-row pf t0, ends cached again",2,v); v.burst=0; v.mode=PF_NONE;
  long pd[]={0,2048,4096,8192,(long)N*4};
  for(int d=0;d<5;d++){ v.dist=pd[d]; snprintf(name,48,"piped nt, pf %ld KiB t0",pd[d]>>10); add(name,3,v); }
  v.dist=4096; v.kind=2; add("piped nt, pf 4 KiB nta",3,v); v.kind=0;
  { long pd2[]={1024,4096,16384,65536}; for(int d=0;d<4;d++){ V w={0,1,0,1,pd2[d]}; snprintf(name,48,"piped nt, pf %ld KiB t2",pd2[d]>>10); add(name,3,w); } }
  v.dist=4096; v.nt=0; add("piped cached, pf 4 KiB t0",3,v); v.nt=1;
  v.dist=0; add("piped nt, no affine, no pf",7,v);
  v.dist=0; add("rows2 nt, no pf",4,v);
  v.dist=4096; add("rows2 nt, pf 4 KiB t0",4,v);
  v.nt=0; v.dist=0; add("rows2 cached, no pf",4,v); v.nt=1;
  add("rows2 fused last pass nt",11,v);
  int Ks[]={2,4,8,16}, Cs[]={128,256,512,1024};
  for(int ki=0;ki<4;ki++) for(int ci=0;ci<4;ci++) for(int pp=0;pp<2;pp++){ if(Cs[ci]>N) continue; V w={Ks[ki],1,pp,0,Cs[ci]}; snprintf(name,48,"rows%d chunk %d%s nt",Ks[ki],Cs[ci],pp?" piped":""); add(name,13,w); }
  add("rms rows nt, next-row pf t0",14,v); add("rows nt, γβ interleaved",15,v);
  { int Gs[]={1,4,16,64}; for(int gi=0;gi<4;gi++) for(int gb=0;gb<2;gb++){ V w={Gs[gi],1,gb,0,0}; snprintf(name,48,"piped grain %d%s",Gs[gi],gb?" γβ interleaved":""); add(name,16,w); } }
  add("piped2 (fused last pass) nt",12,v); v.nt=0; add("piped2 (fused last pass) cached",12,v); v.nt=1;
  if(g_focus){ // the engine's two forms, the bounds and the candidates only
    const char* keep[]={"copy nt","write only nt","copy with the affine (nt)","rows nt, next-row pf t0","rows nt, next-row pf t0, ends cached again","rows cached, no sw prefetch","piped nt, pf 8 KiB t0","piped nt, pf 32 KiB t0",
      "rows2 fused last pass nt","piped2 (fused last pass) nt","rows4 chunk 256 nt","rows8 chunk 256 nt","piped nt, no affine, no pf","rms rows nt, next-row pf t0","rows nt, γβ interleaved","piped nt, pf 4 KiB t2","piped grain 16","piped cached, pf 4 KiB t0","rows2 cached, no pf","piped grain 16 γβ interleaved"};
    int m=0; for(int i=0;i<g_nv;i++) for(unsigned j=0;j<sizeof keep/sizeof*keep;j++) if(!strcmp(g_v[i].name,keep[j])){ g_v[m++]=g_v[i]; break; } g_nv=m; }
  g_ref=0; for(int i=0;i<g_nv;i++) if(!strcmp(g_v[i].name,"rows nt, next-row pf t0")) g_ref=i;
  for(int k=0;k<rounds;k++){ for(int i=0;i<g_nv;i++){ Variant* p=&g_v[i];
    evict(); double w0=wall(),c0=cpu(); call(p); double c=cpu()-c0,w=wall()-w0; if(c<p->bc)p->bc=c; if(w<p->bw)p->bw=w; p->last=c; }
    for(int i=0;i<g_nv;i++) if(k<400) g_v[i].ratio[k]=g_v[i].last/g_v[g_ref].last; }
  for(int i=0;i<g_nv;i++){ Variant* p=&g_v[i]; double bytes=(double)R*N*4*(p->what==1||p->what==5||p->what==8?1:2);
    int m=rounds<400?rounds:400; qsort(p->ratio,m,sizeof(double),cmpd);
    printf("%-34s cpu %6.1f GB/s %4.0f%%   wall %6.1f GB/s %4.0f%%  (%% of the copy's)  time/rows-nt median %.3f\n",p->name,bytes/p->bc*1e-9,100*g_v[0].bc/p->bc*(p->what==1||p->what==5||p->what==8?0.5:1),
      bytes/p->bw*1e-9,100*g_v[0].bw/p->bw*(p->what==1||p->what==5||p->what==8?0.5:1),p->ratio[m/2]); }
  fflush(stdout); free(g_x); free(ybase); free(gbase); free(bbase); free(g_gb);
}
int main(int argc,char**argv){
  g_evict=aligned_alloc(4096,g_evictBytes); memset(g_evict,1,g_evictBytes);
  g_focus=argc>4 && !strcmp(argv[4],"focus");
  if(argc>=3){ shape(atol(argv[1]),atoi(argv[2]),argc>3?atoi(argv[3]):20); return 0; }
  shape(2048,8192,20); shape(4096,1024,20); return 0;
}
