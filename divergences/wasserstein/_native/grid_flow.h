// Exact W1 on a regular grid for the L1 (cityblock) and L-infinity (chebyshev) ground metrics,
// as a min-cost flow on the grid graph itself. On the integer lattice every shortest path of
// these metrics is a chain of unit steps: axis steps for L1, king moves (the 3^d - 1 cells
// around) for L-infinity. So W1 is the uncapacitated transshipment problem on the grid graph:
// nodes the cells, supply a_k - b_k, arcs of cost 1 between neighbours in both directions,
// O(n) arcs instead of the n^2 pairs of the transportation problem. It is solved by the network
// simplex (network_simplex.h) from a spanning tree of the grid: the breadth-first tree of the
// axis steps from the centre cell, each tree arc carrying the imbalance of the cells below it.
// Any spanning tree is a feasible basis here (both directions of every step are arcs, so each
// tree arc can point the way its flow goes); this one, shallow and of short paths, takes a
// third to a half of the pivots of the star of artificial arcs, and fewer nodes' potentials
// move in each (benchmarks/history-to-2026-11-25.md, "The grid flow for cityblock and chebyshev").
//
// The answer: the node potentials pi (reduced costs 1 + pi_tail - pi_head >= 0 on every arc at
// the optimum, integers: costs are 1 and M, and the potentials are sums of them along tree
// paths), and a transport plan between cells decomposed from the optimal flow. The flow of a
// basic solution lies on the spanning tree, so its support is a forest, acyclic: parcels
// (origin, mass) are pushed through the nodes in topological order, each node keeping its own
// deficit and passing the rest down its arcs, which gives at most
// #nodes with excess + #nodes with deficit + #arcs with flow pieces, plus the mass each cell
// keeps (min(a_k, b_k)) on the diagonal.
//
// References: Auricchio, Bassetti, Gualandi & Veneroni, "Computing Kantorovich-Wasserstein
// distances on d-dimensional histograms using (d+1)-partite graphs", NeurIPS 2018; Ling &
// Okada, "An efficient Earth Mover's Distance algorithm for robust histogram comparison", IEEE
// TPAMI 29, 2007 (the L1 grid graph); Ahuja, Magnanti & Orlin, Network Flows, 1993, Sec. 3.5
// (flow decomposition).

#ifndef DIVERGENCES_OT_GRID_FLOW_H_
#define DIVERGENCES_OT_GRID_FLOW_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "common.h"
#include "network_simplex.h"

namespace dvot {
namespace {  // one translation unit (the module): internal linkage, free inlining

// The most axes of a grid.
constexpr int kGridMaxDim = 3;
// The entering-arc search's block length on the grid graph, times sqrt(#arcs): longer blocks
// than the bipartite graph's take fewer pivots here, and less time (benchmarks/history-to-2026-11-25.md, "The
// grid flow for cityblock and chebyshev").
constexpr double kGridBlockFactor = 16.0;

// The steps from a cell to its neighbours, one entry per axis (the axes past d are 0): the
// 2 d axis steps (king = false), or the 3^d - 1 king moves (king = true).
inline std::vector<std::array<int, kGridMaxDim>> grid_steps(int d, bool king) {
  std::vector<std::array<int, kGridMaxDim>> steps;
  const int lo[kGridMaxDim] = {-1, d > 1 ? -1 : 0, d > 2 ? -1 : 0};
  const int hi[kGridMaxDim] = {1, d > 1 ? 1 : 0, d > 2 ? 1 : 0};
  for (int s0 = lo[0]; s0 <= hi[0]; ++s0)
    for (int s1 = lo[1]; s1 <= hi[1]; ++s1)
      for (int s2 = lo[2]; s2 <= hi[2]; ++s2) {
        const int moved = (s0 != 0) + (s1 != 0) + (s2 != 0);
        if (moved == 0 || (!king && moved > 1)) continue;
        steps.push_back({s0, s1, s2});
      }
  return steps;
}

// A grid problem's answer.
struct GridFlowSolution {
  Status status = Status::kPivotCap;
  std::vector<double> pi;             // the cells' potentials
  std::vector<int32_t> rows, cols;    // the plan: flat indices of the origin and target cells
  std::vector<double> mass;           // and the mass moved between them
  int64_t pivots = 0;
  // The network simplex's work: pivots that moved no flow, reduced costs priced, tree nodes
  // climbed to the cycles' joins, potentials shifted.
  std::array<int64_t, 4> counters{};
  int64_t arcs = 0;                   // the grid graph's arcs
  double artificial_flow = 0.0;       // the mass left on the artificial arcs (rounding)
};

// One parcel of mass on its way, and the cell it left.
struct Parcel {
  int origin;
  double mass;
};

// Takes `amount` of mass off the back of `held`, splitting at most one parcel; fn(origin, mass)
// receives each piece. Stops early where `held` runs out (the flows' rounding).
template <class F>
void take_parcels(std::vector<Parcel>& held, double amount, F fn) {
  while (amount > 0.0 && !held.empty()) {
    Parcel& p = held.back();
    if (p.mass <= amount) {
      fn(p.origin, p.mass);
      amount -= p.mass;
      held.pop_back();
    } else {
      fn(p.origin, amount);
      p.mass -= amount;
      amount = 0.0;
    }
  }
}

// Appends the parcels of `from` to `to` and empties `from`, copying the shorter list.
inline void merge_parcels(std::vector<Parcel>& to, std::vector<Parcel>& from) {
  if (to.size() < from.size()) std::swap(to, from);
  to.insert(to.end(), from.begin(), from.end());
  from.clear();
  from.shrink_to_fit();
}

class GridFlow {
 public:
  // The grid graph of `shape` (d axes, C order) with the supplies a - b, in its first basis
  // (start_from_tree).
  GridFlow(const double* a, const double* b, const int* shape, int d, bool king)
      : n_(cell_count(shape, d)), ns_(n_), a_(a), b_(b), supply_(n_), first_arc_(n_ + 1, 0) {
    const auto steps = grid_steps(d, king);
    std::array<int, kGridMaxDim> size{1, 1, 1}, stride{0, 0, 0};
    for (int k = 0; k < d; ++k) size[k] = shape[k];
    stride[2] = 1;
    stride[1] = size[2];
    stride[0] = size[1] * size[2];
    Arcs& arcs = ns_.arcs;
    const size_t most = (steps.size() + 1) * static_cast<size_t>(n_);
    arcs.tail.reserve(most);
    axis_step_.reserve(most);
    std::array<int, kGridMaxDim> at{0, 0, 0};
    for (int cell = 0; cell < n_; ++cell) {
      for (const auto& s : steps) {
        bool inside = true;
        int to = cell;
        for (int k = 0; k < kGridMaxDim; ++k) {
          const int c = at[k] + s[k];
          inside = inside && c >= 0 && c < size[k];
          to += s[k] * stride[k];
        }
        if (!inside) continue;
        arcs.add(cell, to, 1.0, 0.0);
        axis_step_.push_back(s[0] * s[0] + s[1] * s[1] + s[2] * s[2] == 1);
      }
      first_arc_[cell + 1] = arcs.size();
      for (int k = kGridMaxDim - 1; k >= 0; --k) {  // the next cell's coordinates
        if (++at[k] < size[k]) break;
        at[k] = 0;
      }
    }
    real_arcs_ = arcs.size();
    for (int k = 0; k < n_; ++k) supply_[k] = a[k] - b[k];
    start_from_tree();
    ns_.recompute_all();
    ns_.block_factor = kGridBlockFactor;
  }

  // Solves (at most max_pivots pivots) and decomposes the flow into a plan; layout_nodes as
  // NetworkSimplex's.
  GridFlowSolution solve(int64_t max_pivots, int layout_nodes = kLayoutNodes) {
    GridFlowSolution out;
    ns_.layout_nodes = layout_nodes;
    // The reduced costs are integers (see the top of this file): any negative one is <= -1.
    const bool optimal = ns_.run(0.5, max_pivots);
    out.pivots = ns_.pivots;
    out.counters = {ns_.degenerate, ns_.priced, ns_.climbed, ns_.shifted};
    out.arcs = real_arcs_;
    out.pi.assign(ns_.pi().begin(), ns_.pi().begin() + n_);
    Sum art, total;
    for (int e : ns_.artificial) art.add(ns_.arcs.flow[e]);
    for (int k = 0; k < n_; ++k) total.add(a_[k]);
    out.artificial_flow = art.value();
    if (!optimal) return out;  // kPivotCap
    if (!(out.artificial_flow <= 1e-12 * total.value())) {
      out.status = Status::kArtificialFlow;  // beyond rounding: not expected on a connected grid
      return out;
    }
    decompose(out);
    out.status = Status::kOptimal;
    return out;
  }

 private:
  static int cell_count(const int* shape, int d) {
    int count = 1;
    for (int k = 0; k < d; ++k) count *= shape[k];
    return count;
  }

  // The first basis (see the top of this file): the breadth-first tree of the axis steps from
  // the centre cell. The arc between a cell and its parent carries the supply of the cell's
  // subtree, pointing up where it is positive, down otherwise (a zero flow pointing away from
  // the root: the tree is strongly feasible). The centre hangs from the root by an artificial
  // arc of cost M, above every path's cost in the graph (at most the number of cells), which
  // carries the supplies' rounding imbalance.
  void start_from_tree() {
    Arcs& arcs = ns_.arcs;
    std::vector<int> parent(n_, -1), parent_arc_out(n_, -1), parent_arc_in(n_, -1), order;
    order.reserve(n_);
    const int centre = n_ / 2;
    parent[centre] = centre;
    order.push_back(centre);
    for (size_t q = 0; q < order.size(); ++q) {
      const int c = order[q];
      for (int e = first_arc_[c]; e < first_arc_[c + 1]; ++e) {
        const int w = arcs.head[e];
        if (!axis_step_[e] || parent[w] >= 0) continue;
        parent[w] = c;
        parent_arc_in[w] = e;  // c -> w
        order.push_back(w);
      }
    }
    for (int c = 0; c < n_; ++c)  // w -> parent: the reverse step, among w's arcs
      for (int e = first_arc_[c]; e < first_arc_[c + 1] && parent[c] != c; ++e)
        if (arcs.head[e] == parent[c] && axis_step_[e]) parent_arc_out[c] = e;
    std::vector<double> below(supply_);
    for (size_t q = order.size(); q-- > 1;) below[parent[order[q]]] += below[order[q]];
    for (size_t q = 1; q < order.size(); ++q) {
      const int c = order[q];
      const int e = below[c] > 0.0 ? parent_arc_out[c] : parent_arc_in[c];
      arcs.flow[e] = std::fabs(below[c]);
      ns_.attach(c, parent[c], e);
    }
    const double big_m = static_cast<double>(n_) + 1.0;
    const int root = ns_.root();
    const double rest = below[centre];
    const int e = rest > 0.0 ? arcs.add(centre, root, big_m, rest)
                             : arcs.add(root, centre, big_m, -rest);
    ns_.artificial.push_back(e);
    ns_.attach(centre, root, e);
  }

  // The plan of the optimal flow (see the top of this file). A cell with no arc out keeps what
  // reaches it past its deficit (rounding) where it holds mass of nu, and drops it otherwise:
  // the certificate charges a plan's marginals' miss.
  void decompose(GridFlowSolution& out) const {
    const Arcs& arcs = ns_.arcs;
    std::vector<int> start(static_cast<size_t>(n_) + 1, 0), indegree(n_, 0);
    for (int e = 0; e < real_arcs_; ++e) {
      if (!arcs.in_tree[e] || !(arcs.flow[e] > 0.0)) continue;
      ++start[arcs.tail[e] + 1];
      ++indegree[arcs.head[e]];
    }
    for (int k = 0; k < n_; ++k) start[k + 1] += start[k];
    std::vector<int> out_arcs(start[n_]);
    std::vector<int> fill(start.begin(), start.end() - 1);
    for (int e = 0; e < real_arcs_; ++e)
      if (arcs.in_tree[e] && arcs.flow[e] > 0.0) out_arcs[fill[arcs.tail[e]]++] = e;
    auto emit = [&out](int from, int to, double m) {
      if (!(m > 0.0)) return;
      out.rows.push_back(from);
      out.cols.push_back(to);
      out.mass.push_back(m);
    };
    std::vector<std::vector<Parcel>> held(n_);
    std::vector<int> ready;
    for (int k = 0; k < n_; ++k) {
      emit(k, k, std::min(a_[k], b_[k]));  // what stays in place
      if (supply_[k] > 0.0) held[k].push_back({k, supply_[k]});
      if (indegree[k] == 0) ready.push_back(k);
    }
    while (!ready.empty()) {  // Kahn's topological order
      const int k = ready.back();
      ready.pop_back();
      std::vector<Parcel>& here = held[k];
      take_parcels(here, -supply_[k], [&](int o, double m) { emit(o, k, m); });
      for (int t = start[k]; t < start[k + 1]; ++t) {
        const int e = out_arcs[t], w = arcs.head[e];
        if (t + 1 == start[k + 1]) merge_parcels(held[w], here);  // the last arc takes the rest
        else take_parcels(here, arcs.flow[e], [&](int o, double m) { held[w].push_back({o, m}); });
        if (--indegree[w] == 0) ready.push_back(w);
      }
      if (b_[k] > 0.0)
        for (const Parcel& p : here) emit(p.origin, k, p.mass);
      here.clear();
      here.shrink_to_fit();
    }
  }

  int n_;
  NetworkSimplex ns_;
  const double *a_, *b_;
  std::vector<double> supply_;
  std::vector<int> first_arc_;       // the arcs out of cell k: first_arc_[k] .. first_arc_[k + 1]
  std::vector<uint8_t> axis_step_;   // of each real arc: a step along one axis
  int real_arcs_ = 0;
};

}  // namespace
}  // namespace dvot

#endif  // DIVERGENCES_OT_GRID_FLOW_H_
