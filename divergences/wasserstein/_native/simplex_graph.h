// The transportation problem on a sparse bipartite graph (arcs source -> sink), solved by the
// network simplex of network_simplex.h: the graph interface of column_generation()
// (column_generation.h), with its first bases (the monotone plan along a space-filling curve,
// or a coarse plan handed down as a forest), the artificial arcs' cost and the plan read back.
//
// References: Ahuja, Magnanti & Orlin, Network Flows, 1993, ch. 11 (artificial starts);
// Schmitzer, JMIV 56, 2016 (a coarse plan as the fine start).

#ifndef DIVERGENCES_OT_SIMPLEX_GRAPH_H_
#define DIVERGENCES_OT_SIMPLEX_GRAPH_H_

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <vector>

#include "common.h"
#include "network_simplex.h"

namespace dvot {
namespace {  // one translation unit (the module): internal linkage, free inlining

// The transportation problem on the candidate graph, solved by the network simplex: the
// graph interface of column_generation() (column_generation.h).
class SimplexGraph {
 public:
  // The first basis is the monotone plan along the curve (north-west corner rule), a feasible
  // basic solution. Its arcs are candidates; its balanced stretches (between points where
  // both sides run out together) go into the first basis as they are, each hung from the
  // root by a zero-flow artificial arc; every other point hangs from the root by an
  // artificial arc carrying its whole mass.
  //
  // u0, v0 (optional): a guess of the duals (u at the sources, v at the sinks; u_i + v_j <=
  // c_ij). Each artificial arc then costs M plus the guess at its node (u0 at the first
  // source of a stretch, u0 or v0 at a point of its own), shifted to start at 0, so that the
  // first basis's potentials differ from the guess by one constant on all the stretches
  // (u + K, v - K), and by M-sized constants at the points whose mass starts on artificial
  // arcs, instead of being one and the same value. The monotone plan of two equal clouds is
  // often optimal or nearly (a translated copy: the identity) but degenerate: with equal
  // artificial costs its potentials are far from optimal ones, and the simplex spends its
  // pivots, all degenerate, in recovering them (benchmarks/history-to-2026-11-25.md); where the plan carries
  // flow on artificial arcs, the guess steers the first pivots (the most negative reduced
  // cost) towards arcs nearly tight under it. Any finite guess keeps the basis feasible,
  // and every artificial arc costs at least M.
  //
  // basis_rows, basis_cols (optional, basis_size arcs): the support of a plan that is nearly a
  // coupling, a forest (a coarse solve's plan handed down to the points). Where given, the
  // first basis is that forest instead: its arcs that close no cycle, each tree hung from the
  // root by one artificial arc, the flows those of the tree for the masses (a, b) (the
  // artificial arc carries the tree's net mass, zero for a plan whose marginals are exact).
  // Where a tree arc's flow comes out zero or negative (the forest is no plan of these
  // masses), the monotone start above is taken instead: the forest only saves pivots.
  SimplexGraph(int n, int m, const double* x, const double* y, const double* a, const double* b,
               int d, const int* ox, const int* oy, size_t reserve, const double* u0 = nullptr,
               const double* v0 = nullptr, const int* basis_rows = nullptr,
               const int* basis_cols = nullptr, size_t basis_size = 0)
      : ns_(n + m), n_(n), d_(d), x_(x), y_(y), mass_(std::accumulate(a, a + n, 0.0)) {
    ns_.arcs.tail.reserve(reserve + 3 * static_cast<size_t>(n + m));
    forest_start_ = basis_size > 0 &&
                    start_forest(n, m, a, b, basis_rows, basis_cols, basis_size, u0, v0);
    if (!forest_start_) start_monotone(n, m, a, b, ox, oy, u0, v0);
  }

  // True when the first basis was the forest given.
  bool forest_start() const { return forest_start_; }

  // The tree size from which the pivots run on nodes laid out along the thread (a speed
  // setting: the pivots and the result are the same at any value).
  void set_layout_nodes(int nodes) { ns_.layout_nodes = nodes; }

 private:
  // The monotone plan's first basis (see the constructor).
  void start_monotone(int n, int m, const double* a, const double* b, const int* ox,
                      const int* oy, const double* u0, const double* v0) {
    Arcs& arcs = ns_.arcs;
    const int R = ns_.root();
    std::vector<uint8_t> placed(n + m, 0);
    std::vector<int> seg_arcs;
    int i = 0, j = 0;
    double ra = a[ox[0]], rb = b[oy[0]];
    const size_t max_segment = 64;
    while (i < n && j < m) {
      int si = ox[i], tj = oy[j];
      double f = std::min(ra, rb);
      int e = arcs.add(si, n + tj, cost(si, tj), f);
      max_cost_ = std::max(max_cost_, arcs.cost[e]);
      seg_arcs.push_back(e);
      ra -= f;
      rb -= f;
      bool adv_i = ra <= 0.0, adv_j = rb <= 0.0;
      if (adv_i && adv_j && seg_arcs.size() <= max_segment) {
        // A balanced stretch: its arcs form a path starting at a source.
        int s0 = arcs.tail[seg_arcs[0]];
        int ea = arcs.add(s0, R, 0.0, 0.0);  // cost set in finish(), once M is known
        ns_.artificial.push_back(ea);
        offset_.push_back(u0 == nullptr ? 0.0 : u0[s0]);  // from 0 up: see finish()
        ns_.attach(s0, R, ea);
        placed[s0] = 1;
        for (int k : seg_arcs) {
          int t = arcs.tail[k], h = arcs.head[k];
          if (!placed[t]) {
            ns_.attach(t, h, k);
            placed[t] = 1;
          } else if (!placed[h]) {
            ns_.attach(h, t, k);
            placed[h] = 1;
          }
        }
      }
      if (adv_i && adv_j) seg_arcs.clear();
      if (adv_i) {
        ++i;
        if (i < n) ra = a[ox[i]];
      }
      if (adv_j) {
        ++j;
        if (j < m) rb = b[oy[j]];
      }
    }
    // Staircase flows are only kept inside the tree; the rest start from the artificial arcs.
    for (int k = 0; k < arcs.size(); ++k)
      if (!arcs.in_tree[k] && arcs.head[k] != R) arcs.flow[k] = 0.0;
    for (int k = 0; k < n + m; ++k) {
      if (placed[k]) continue;
      int e = k < n ? arcs.add(k, R, 0.0, a[k]) : arcs.add(R, k, 0.0, b[k - n]);
      ns_.artificial.push_back(e);
      offset_.push_back(u0 == nullptr ? 0.0 : k < n ? u0[k] : v0[k - n]);
      ns_.attach(k, R, e);
    }
  }

  // The forest's first basis (see the constructor); false, with nothing changed, where a tree
  // arc's flow would not be positive.
  bool start_forest(int n, int m, const double* a, const double* b, const int* rows,
                    const int* cols, size_t count, const double* u0, const double* v0) {
    const int N = n + m;
    std::vector<int> uf(N);
    std::iota(uf.begin(), uf.end(), 0);
    auto find = [&](int k) {
      while (uf[k] != k) k = uf[k] = uf[uf[k]];
      return k;
    };
    // The arcs that close no cycle, in an adjacency list (both ends).
    std::vector<int> kept;
    for (size_t k = 0; k < count; ++k) {
      const int p = find(rows[k]), q = find(n + cols[k]);
      if (p == q) continue;
      uf[p] = q;
      kept.push_back(static_cast<int>(k));
    }
    std::vector<int> start(N + 1, 0), adj(2 * kept.size());
    for (int k : kept) ++start[rows[k] + 1], ++start[n + cols[k] + 1];
    for (int k = 0; k < N; ++k) start[k + 1] += start[k];
    std::vector<int> fill(start.begin(), start.end() - 1);
    for (int k : kept) adj[fill[rows[k]]++] = k, adj[fill[n + cols[k]]++] = k;
    // Each tree walked from its root: parents, then flows from the leaves up (sources supply
    // their mass, sinks take theirs).
    std::vector<double> sub(N);
    for (int k = 0; k < n; ++k) sub[k] = a[k];
    for (int k = 0; k < m; ++k) sub[n + k] = -b[k];
    std::vector<int> parent(N, -1), parent_arc(N, -1), order, roots;
    std::vector<uint8_t> seen(N, 0);
    order.reserve(N);
    for (int root = 0; root < N; ++root) {
      if (find(root) != root) continue;
      roots.push_back(root);
      seen[root] = 1;
      size_t q = order.size();
      order.push_back(root);
      for (; q < order.size(); ++q) {
        const int u = order[q];
        for (int t = start[u]; t < start[u + 1]; ++t) {
          const int e = adj[t];
          const int w = u < n ? n + cols[e] : rows[e];
          if (seen[w]) continue;
          seen[w] = 1;
          parent[w] = u;
          parent_arc[w] = e;
          order.push_back(w);
        }
      }
    }
    std::vector<double> flow(N, 0.0);  // of the arc from each node to its parent
    for (auto it = order.rbegin(); it != order.rend(); ++it) {
      const int w = *it;
      if (parent[w] < 0) continue;
      sub[parent[w]] += sub[w];
      flow[w] = w < n ? sub[w] : -sub[w];  // source -> sink either way
      if (!(flow[w] > 0.0)) return false;
    }
    // Committed: the tree arcs, and each root's artificial arc.
    Arcs& arcs = ns_.arcs;
    const int R = ns_.root();
    for (int w : order) {
      if (parent[w] < 0) continue;
      const int e = parent_arc[w];
      const int c = add_arc(rows[e], cols[e], flow[w]);
      ns_.attach(w, parent[w], c);
    }
    // A tree's net mass leaves by an arc to R, or a deficit (or nothing: strongly feasible,
    // the arc points away from R) arrives by one from R.
    for (int root : roots) {
      const double s = sub[root];
      const int e = s > 0.0 ? arcs.add(root, R, 0.0, s) : arcs.add(R, root, 0.0, -s);
      ns_.artificial.push_back(e);
      offset_.push_back(u0 == nullptr ? 0.0 : root < n ? u0[root] : v0[root - n]);
      ns_.attach(root, R, e);
    }
    return true;
  }

  int add_arc(int i, int j, double f) {
    const double c = cost(i, j);
    max_cost_ = std::max(max_cost_, c);
    return ns_.arcs.add(i, n_ + j, c, f);
  }

 public:

  void add(int i, int j, double c) {
    max_cost_ = std::max(max_cost_, c);
    ns_.arcs.add(i, n_ + j, c, 0.0);
  }

  // Called once the candidate arcs are in: the artificial cost M, above any real path's cost
  // in practice (raised in optimize() if flow stays on the artificial arcs).
  void finish() {
    big_m_ = 4.0 * max_cost_ + 1.0;
    // The offsets from 0 up, and at most 4 M: a guess that is no potential of these points
    // must not swamp the costs with its magnitude.
    double lo = kInf;
    for (double o : offset_) lo = std::min(lo, o);
    for (double& o : offset_) o = std::min(o - lo, 4.0 * big_m_);
    set_artificial_costs();
    ns_.recompute_all();
  }

  // Optimal on the graph (true), or stopped at the pivot cap (false).
  bool optimize(double tol, int64_t max_pivots) {
    bool optimal = false;
    for (int raise = 0; raise < 40; ++raise) {
      int64_t left = max_pivots - ns_.pivots;
      optimal = ns_.run(tol, left > 0 ? left : 0);
      if (!optimal) break;
      art_flow_ = 0.0;
      for (int e : ns_.artificial) art_flow_ += ns_.arcs.flow[e];
      if (art_flow_ <= 1e-12 * mass_) break;
      big_m_ *= 8.0;  // flow through the root is cheaper than the graph allows: raise M
      set_artificial_costs();
      ns_.recompute_all();
    }
    ns_.recompute_all();
    return optimal;
  }

  bool artificial_flow_left() const { return art_flow_ > 1e-12 * mass_; }
  // The mass on the artificial arcs now (after a pivot cap too).
  double artificial_flow() const {
    double f = 0.0;
    for (int e : ns_.artificial) f += ns_.arcs.flow[e];
    return f;
  }
  const std::vector<double>& pi() const { return ns_.pi(); }
  int64_t pivots() const { return ns_.pivots; }
  int arc_count() const { return ns_.arcs.size(); }
  // The network simplex's counters: degenerate pivots, reduced costs priced, nodes climbed,
  // potentials shifted.
  std::array<int64_t, 4> counters() const {
    return {ns_.degenerate, ns_.priced, ns_.climbed, ns_.shifted};
  }

  // fn(i, j, mass, cost) for every real arc of the basis (mass 0 for a degenerate one).
  template <class F>
  void for_each_basic(F fn) const {
    const Arcs& arcs = ns_.arcs;
    const int R = ns_.root();
    for (int e = 0; e < arcs.size(); ++e) {
      if (!arcs.in_tree[e] || arcs.tail[e] == R || arcs.head[e] == R) continue;
      fn(arcs.tail[e], arcs.head[e] - n_, arcs.flow[e], arcs.cost[e]);
    }
  }

 private:
  void set_artificial_costs() {
    for (size_t k = 0; k < ns_.artificial.size(); ++k)
      ns_.arcs.cost[ns_.artificial[k]] = big_m_ + offset_[k];
  }

  double cost(int i, int j) const {
    return euclid(x_ + static_cast<size_t>(i) * d_, y_ + static_cast<size_t>(j) * d_, d_);
  }

  NetworkSimplex ns_;
  int n_, d_;
  const double *x_, *y_;
  double mass_, max_cost_ = 0.0, big_m_ = 1.0, art_flow_ = 0.0;
  bool forest_start_ = false;
  std::vector<double> offset_;  // of each artificial arc (ns_.artificial), added to M
};

}  // namespace
}  // namespace dvot

#endif  // DIVERGENCES_OT_SIMPLEX_GRAPH_H_
