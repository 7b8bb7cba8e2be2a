// SDPA and LayerNorm drivers under ASan/UBSan (scripts/test-native.sh): every call runs in exactly its planned
// workspace (an overrun is an ASan error), odd shapes, masks, causal, L != S; SDPA outputs against a naive
// softmax reference, LayerNorm rows against their definition.
#include <cstdio>
#include <vector>
#include <cmath>
#include "transformer.h"
#include "kernel_table.h"
using namespace ng;
int main(){
  int fails=0;
  for (int64_t L : {1, 7, 64, 130}) for (int64_t S : {1, 9, 130}) for (int64_t E : {8, 17, 64}) for (int causal=0;causal<2;++causal) for (int withMask=0; withMask<2; ++withMask) {
    int64_t b0=2,b1=2,Ev=E==17?5:E;
    std::vector<float> q(b0*b1*L*E,0.1f),k(b0*b1*S*E,0.2f),v(b0*b1*S*Ev,0.3f),m(L*S,0.f),out(b0*b1*L*Ev),lse(b0*b1*L),dout(b0*b1*L*Ev,0.5f),dq(b0*b1*L*E),dk(b0*b1*S*E),dv(b0*b1*S*Ev);
    for (size_t i=0;i<m.size();i+=3) m[i]=-INFINITY;
    SdpaArgs a; a.b0=b0;a.b1=b1;a.L=L;a.S=S;a.E=E;a.Ev=Ev;a.scale=0.3f;a.causal=causal;
    a.q=q.data();a.q0=b1*L*E;a.q1=L*E;a.qL=E; a.k=k.data();a.k0=b1*S*E;a.k1=S*E;a.kL=E; a.v=v.data();a.v0=b1*S*Ev;a.v1=S*Ev;a.vL=Ev;
    if(withMask){a.mask=m.data();a.m0=0;a.m1=0;a.mL=S;a.mS=1;}
    a.out=out.data();a.lse=lse.data();a.dout=dout.data();a.dq=dq.data();a.dk=dk.data();a.dv=dv.data();
    for (int pass=0; pass<2; ++pass) {
      SdpaPlan p = pass==0 ? sdpa_forward_plan(a) : sdpa_backward_plan(a);
      WorkspaceNeed need = p.need();
      std::vector<float> buf(need.total_floats());  // exactly the need: ASan catches any overrun
      Workspace ws; ws.base=buf.data(); ws.stride=need.per_thread; ws.threads=need.threads;
      if (pass==0) sdpa_forward(a,p,ws); else sdpa_backward(a,p,ws);
    }
    for (int64_t h = 0; h < b0 * b1; ++h)
      for (int64_t i = 0; i < L; ++i) {
        std::vector<double> p(S);
        double mx = -INFINITY;
        for (int64_t j = 0; j < S; ++j) {
          double s = 0;
          for (int64_t e = 0; e < E; ++e) s += double(q[h * L * E + i * E + e]) * k[h * S * E + j * E + e];
          s *= a.scale;
          if (withMask) s += m[i * S + j];
          if (causal && j > i) s = -INFINITY;
          p[j] = s;
          if (s > mx) mx = s;
        }
        double sum = 0;
        for (int64_t j = 0; j < S; ++j) sum += (p[j] = mx == -INFINITY ? 0.0 : std::exp(p[j] - mx));
        for (int64_t e = 0; e < Ev; ++e) {
          double o = 0;
          for (int64_t j = 0; j < S; ++j) o += p[j] * v[h * S * Ev + j * Ev + e];
          o = sum > 0 ? o / sum : 0.0;
          if (!(std::fabs(o - out[h * L * Ev + i * Ev + e]) <= 1e-4 + 1e-4 * std::fabs(o))) fails++;
        }
      }
  }
  for (int64_t rows : {0, 1, 63, 300, 5000}) for (int64_t n : {1, 7, 768}) {
    std::vector<float> x(rows*n,1.5f),y(rows*n),mean(rows),rstd(rows),w(n,1.f),b(n,0.f),dx(rows*n),dw(n),db(n),g(rows*n,0.2f);
    for (size_t i=0;i<x.size();i+=2) x[i]=-0.5f;
    LayerNormPlan p=layernorm_plan(rows,n,false,false); layernorm_forward(y.data(),mean.data(),rstd.data(),x.data(),w.data(),b.data(),rows,n,1e-5f,p);
    LayerNormPlan pb=layernorm_plan(rows,n,true,true); WorkspaceNeed need=pb.need(); std::vector<float> buf(need.total_floats()+1);
    Workspace ws; ws.shared=buf.data(); ws.base=buf.data()+need.shared; ws.stride=0; ws.threads=need.threads;
    layernorm_backward(dx.data(),dw.data(),db.data(),g.data(),x.data(),mean.data(),rstd.data(),w.data(),rows,n,pb,ws);
    for (int64_t r = 0; r < rows; ++r) {
      double mu = 0, var = 0;
      for (int64_t j = 0; j < n; ++j) mu += x[r * n + j];
      mu /= double(n);
      for (int64_t j = 0; j < n; ++j) var += (x[r * n + j] - mu) * (x[r * n + j] - mu);
      var /= double(n);
      for (int64_t j = 0; j < n; ++j) {
        const double want = (x[r * n + j] - mu) / std::sqrt(var + 1e-5);
        if (!(std::fabs(want - y[r * n + j]) <= 1e-4)) fails++;
      }
    }
    double dbsum = 0;
    for (int64_t j = 0; j < n; ++j) dbsum += db[j];
    if (!(std::fabs(dbsum - 0.2 * double(rows) * double(n)) <= 1e-3 * (1.0 + dbsum))) fails++;
  }
  printf("transformer_test: %d failures\n", fails);
  return fails == 0 ? 0 : 1;
}
