// A C model of the row engine's float LayerNorm row at 768 (issue 11, in-cache rows): VectorRows' pass 1 (shift = the
// first vector's sum in .NET's Vector512.Sum order, four accumulator pairs), the statistics, and the last pass, over a
// batch of 32 rows (x and y in L2), to see where a row's time goes without the JIT in the way. Times the rows a time
// ("rows") against a cross-row pipeline (row k + 1's pass 1 interleaved block by block with row k's last pass, "piped"),
// then single parts: mode 1 pass 1 only, 3 pass 1 + statistics, 4 last pass only, 5 both passes without the dependency
// through the statistics, 7 the whole row. Best of 20,000 short rounds of thread CPU time (quiet moments on a loud VM).
// Build and run (the offsets are in floats past 64-byte lines: x, y, and γ and β):
//   gcc -O2 -mavx512f -mavx512dq -mfma -DXOFF=0 -DYOFF=0 -DGOFF=0 -DPEEL=0 -DBLK=0 -o row-model row-model.c -lm && ./row-model
// PEEL=1: the last pass from y's first aligned vector (head and last vector apart); BLK=1: four loads before four stores.
// Measured 2026-11-30 on the 2-core EPYC VM (Zen 5, 3.47 GHz, loaded): all aligned rows 74-76 ns, piped 60-62; γ and β
// 16 bytes off a line 82-97 ns; x, y, γ, β at 4, 8, 12 floats 107-110 ns with the pipeline no faster; PEEL helps only
// when γ and β share y's phase (4, 4, 4: 95 → 75), hurts when only y is off (0, 4, 0: 80 → 99).
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <math.h>
#include <immintrin.h>
static double now(){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define N 768
static inline float q128(__m128 a){ a=_mm_add_ps(_mm_permute_ps(a,0xB1),a); a=_mm_add_ps(_mm_permute_ps(a,0x4E),a); return a[0]; }
static inline float hsum_net(__m512 v){ __m256 lo=_mm512_castps512_ps256(v), hi=_mm512_extractf32x8_ps(v,1);
  float l=q128(_mm256_castps256_ps128(lo))+q128(_mm256_extractf128_ps(lo,1)); float h=q128(_mm256_castps256_ps128(hi))+q128(_mm256_extractf128_ps(hi,1)); return l+h; }
static inline float hsum_fast(__m512 v){ v=_mm512_add_ps(_mm512_permute_ps(v,0xB1),v); v=_mm512_add_ps(_mm512_permute_ps(v,0x4E),v); v=_mm512_add_ps(_mm512_shuffle_f32x4(v,v,0xB1),v); v=_mm512_add_ps(_mm512_shuffle_f32x4(v,v,0x4E),v); return v[0]; }
#ifndef HS
#define HS hsum_net
#endif
#define hsum HS
// mode bits: 1 = pass1, 2 = stats, 4 = last pass
__attribute__((noinline)) void rows(const float* x, const float* g, const float* b, float* y, int R, int mode, float* outm){
  for(int r=0;r<R;r++){
    const float* xr=x+(long)r*N; float* yr=y+(long)r*N;
    float shift=0; __m512 s0=_mm512_setzero_ps(),s1=s0,s2=s0,s3=s0,q0=s0,q1=s0,q2=s0,q3=s0;
    if(mode&1){
      shift=hsum(_mm512_loadu_ps(xr))*(1.0f/16);
      __m512 k=_mm512_set1_ps(shift);
      for(int i=0;i<N;i+=64){
        __m512 d0=_mm512_sub_ps(_mm512_loadu_ps(xr+i),k),d1=_mm512_sub_ps(_mm512_loadu_ps(xr+i+16),k),d2=_mm512_sub_ps(_mm512_loadu_ps(xr+i+32),k),d3=_mm512_sub_ps(_mm512_loadu_ps(xr+i+48),k);
        s0=_mm512_add_ps(s0,d0);s1=_mm512_add_ps(s1,d1);s2=_mm512_add_ps(s2,d2);s3=_mm512_add_ps(s3,d3);
        q0=_mm512_fmadd_ps(d0,d0,q0);q1=_mm512_fmadd_ps(d1,d1,q1);q2=_mm512_fmadd_ps(d2,d2,q2);q3=_mm512_fmadd_ps(d3,d3,q3);
      }
    }
    float center=shift, rstd=1, rcs=0;
    if(mode&2){
      float off=hsum(_mm512_add_ps(_mm512_add_ps(s0,s1),_mm512_add_ps(s2,s3)))*(1.0f/N);
      float ms=hsum(_mm512_add_ps(_mm512_add_ps(q0,q1),_mm512_add_ps(q2,q3)))*(1.0f/N);
      float var=fmaxf(ms-off*off,0);
      rstd=1.0f/sqrtf(var+1e-5f); rcs=-(off*rstd);
    } else if(mode&1){ center+= s0[0]+q0[0]+s1[1]+q1[1]+s2[2]+q2[2]+s3[3]+q3[3]; }
    outm[r]=rstd;
    if(mode&4){
      __m512 m=_mm512_set1_ps(center), rv=_mm512_set1_ps(rstd), rc=_mm512_set1_ps(rcs);
#define OUT(i) _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_sub_ps(_mm512_loadu_ps(xr+(i)),m),rv,rc),_mm512_loadu_ps(g+(i)),_mm512_loadu_ps(b+(i)))
      if(PEEL){
        int head=(int)(((64-((unsigned long)yr&63))&63)/4);
        __m512 f=OUT(0), l=OUT(N-16);
        int i=head;
        for(;i+64<=N;i+=64){ _mm512_store_ps(yr+i,OUT(i)); _mm512_store_ps(yr+i+16,OUT(i+16)); _mm512_store_ps(yr+i+32,OUT(i+32)); _mm512_store_ps(yr+i+48,OUT(i+48)); }
        for(;i+16<=N;i+=16) _mm512_store_ps(yr+i,OUT(i));
        _mm512_storeu_ps(yr,f); _mm512_storeu_ps(yr+N-16,l);
      } else
      if(BLK){ for(int i=0;i<N;i+=64){ __m512 o0=OUT(i),o1=OUT(i+16),o2=OUT(i+32),o3=OUT(i+48); __asm__ volatile("" : "+v"(o0),"+v"(o1),"+v"(o2),"+v"(o3)); _mm512_storeu_ps(yr+i,o0);_mm512_storeu_ps(yr+i+16,o1);_mm512_storeu_ps(yr+i+32,o2);_mm512_storeu_ps(yr+i+48,o3);} } else
      for(int i=0;i<N;i+=16){
        _mm512_storeu_ps(yr+i,OUT(i));
      }
    }
  }
}

__attribute__((noinline)) void piped(const float* x, const float* g, const float* b, float* y, int R, float* outm){
  __m512 m=_mm512_setzero_ps(), rv=m, rc=m; const float* xp=0; float* yp=0; int pending=0;
  for(int r=0;r<=R;r++){
    const float* xr=x+(long)r*N; int p1=r<R;
    __m512 s0=_mm512_setzero_ps(),s1=s0,s2=s0,s3=s0,q0=s0,q1=s0,q2=s0,q3=s0; float shift=0;
    if(p1){ shift=hsum(_mm512_loadu_ps(xr))*(1.0f/16); }
    __m512 k=_mm512_set1_ps(shift);
    for(int i=0;i<N;i+=64){
      if(p1){
        __m512 d0=_mm512_sub_ps(_mm512_loadu_ps(xr+i),k),d1=_mm512_sub_ps(_mm512_loadu_ps(xr+i+16),k),d2=_mm512_sub_ps(_mm512_loadu_ps(xr+i+32),k),d3=_mm512_sub_ps(_mm512_loadu_ps(xr+i+48),k);
        s0=_mm512_add_ps(s0,d0);s1=_mm512_add_ps(s1,d1);s2=_mm512_add_ps(s2,d2);s3=_mm512_add_ps(s3,d3);
        q0=_mm512_fmadd_ps(d0,d0,q0);q1=_mm512_fmadd_ps(d1,d1,q1);q2=_mm512_fmadd_ps(d2,d2,q2);q3=_mm512_fmadd_ps(d3,d3,q3);
      }
      if(pending) for(int j=i;j<i+64;j+=16){
        __m512 e=_mm512_fmadd_ps(_mm512_sub_ps(_mm512_loadu_ps(xp+j),m),rv,rc);
        _mm512_storeu_ps(yp+j,_mm512_fmadd_ps(e,_mm512_loadu_ps(g+j),_mm512_loadu_ps(b+j)));
      }
    }
    if(!p1) break;
    float off=hsum(_mm512_add_ps(_mm512_add_ps(s0,s1),_mm512_add_ps(s2,s3)))*(1.0f/N);
    float ms=hsum(_mm512_add_ps(_mm512_add_ps(q0,q1),_mm512_add_ps(q2,q3)))*(1.0f/N);
    float var=fmaxf(ms-off*off,0);
    float rstd=1.0f/sqrtf(var+1e-5f); outm[r]=rstd;
    m=_mm512_set1_ps(shift); rv=_mm512_set1_ps(rstd); rc=_mm512_set1_ps(-(off*rstd)); xp=xr; yp=y+(long)r*N; pending=1;
  }
}
int main(int argc,char**argv){
  int R=32; float*big=aligned_alloc(4096,4*R*N*4+65536); float*x=big+XOFF, *y=big+R*N+1024+YOFF,*g=(float*)aligned_alloc(64,N*4+64)+GOFF,*b=(float*)aligned_alloc(64,N*4+64)+GOFF,om[64];
  for(int i=0;i<R*N;i++)x[i]=(float)rand()/RAND_MAX;for(int i=0;i<N;i++){g[i]=1.1f;b[i]=0.1f;}
  for(int z=0;z<3;z++){ double best=1e9;
    for(int rep=0;rep<20000;rep++){double t0=now(); for(int k=0;k<4;k++) rows(x,g,b,y,R,7,om); double t=now()-t0; if(t<best)best=t;}
    printf("rows : %.1f ns/row\n",best/4/R*1e9); best=1e9;
    for(int rep=0;rep<20000;rep++){double t0=now(); for(int k=0;k<4;k++) piped(x,g,b,y,R,om); double t=now()-t0; if(t<best)best=t;}
    printf("piped: %.1f ns/row\n",best/4/R*1e9); }
  int modes[]={7,5};
  for(int mi=0;mi<2;mi++){int mode=modes[mi]; double best=1e9;
    for(int rep=0;rep<20000;rep++){double t0=now(); for(int k=0;k<4;k++) rows(x,g,b,y,R,mode,om); double t=now()-t0; if(t<best)best=t;}
    printf("mode %d: %.1f ns/row  %.0f cycles@3.47\n",mode,best/4/R*1e9,best/4/R*3.47e9);}
}
