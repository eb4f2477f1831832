// Shortest augmenting paths for the assignment problem: AssignmentGraph, the graph interface
// of column_generation() (column_generation.h) when n == m and every mass is the same.

#ifndef DIVERGENCES_OT_ASSIGNMENT_H_
#define DIVERGENCES_OT_ASSIGNMENT_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "common.h"

namespace dvot {
namespace {  // one translation unit (the module): internal linkage, free inlining

// With n sources and n sinks of one and the same mass the transportation LP is an assignment
// problem, on which the primal network simplex is at its worst (every basis is degenerate:
// n - 1 of its 2n arcs carry no flow, and most pivots move no flow). The Hungarian method in
// its shortest-augmenting-path form is used there instead: duals (u, v) with reduced costs
// c_ij - u_i - v_j >= 0 on every arc of the graph and 0 on the matched ones; the free sources
// are matched along shortest paths on reduced costs to free sinks, found by Dijkstra searches
// from all free sources at once (augment_forest), after which the duals of the nodes a search
// settled move by their distance, keeping every reduced cost >= 0.
// Duals can start from any feasible guess (the coarse solve's potential), which the primal
// simplex cannot use. References: Kuhn, Naval Res. Logist. Q. 2, 1955; Jonker & Volgenant,
// Computing 38, 1987; Ahuja, Magnanti & Orlin, Network Flows, 1993, ch. 9 and 12.

class AssignmentGraph {
 public:
  AssignmentGraph(int n, double unit, const double* x, const double* y, int d, const double* u0,
                  const double* v0)
      : n_(n), d_(d), unit_(unit), x_(x), y_(y), adj_(n), u_(u0, u0 + n), v_(v0, v0 + n),
        mate_x_(n, -1), mate_y_(n, -1), mate_cost_(n, 0.0), dist_(n, 0.0), dsrc_(n, 0.0),
        pred_(n, -1), pred_cost_(n, 0.0), seen_(n, 0), settled_(n, 0), pi_(2 * static_cast<size_t>(n)) {
    dirty_.assign(n, 1);  // the first optimize() tightens every source
    root_.assign(n, 0);
  }

  void add(int i, int j, double c) {
    adj_[i].push_back({j, c});
    ++arcs_;
    if (c - u_[i] - v_[j] < 0.0 && !dirty_[i]) {
      dirty_[i] = 1;
      dirty_list_.push_back(i);
    }
  }

  void finish() {
    for (int i = 0; i < n_; ++i) dirty_list_.push_back(i);
  }

  // Matches every source (true), or stops after max_pivots augmentations (false).
  bool optimize(double /*tol*/, int64_t max_pivots) {
    // Sources with an arc of negative reduced cost: u_i drops to the smallest c_ij - v_j, which
    // makes all their arcs feasible, and they are unmatched (their matched arc is no longer
    // tight). On the first call this sets u_i = min_j c_ij - v_j for every source, and a
    // source whose tight sink is free takes it.
    for (int i : dirty_list_) {
      dirty_[i] = 0;
      double lo = kInf;
      int arg = -1;
      double arg_cost = 0.0;
      for (const auto& [j, c] : adj_[i]) {
        double r = c - v_[j];
        if (r < lo) {
          lo = r;
          arg = j;
          arg_cost = c;
        }
      }
      if (arg < 0) continue;
      if (mate_x_[i] >= 0 && lo < u_[i]) {
        mate_y_[mate_x_[i]] = -1;
        mate_x_[i] = -1;
      }
      if (mate_x_[i] < 0) {
        u_[i] = lo;
        if (mate_y_[arg] < 0) match(i, arg, arg_cost);
      }
    }
    dirty_list_.clear();
    reduce_rows();
    for (;;) {
      free_x_.clear();
      for (int i = 0; i < n_; ++i)
        if (mate_x_[i] < 0) free_x_.push_back(i);
      if (free_x_.empty()) return true;
      if (augments_ >= max_pivots) return false;
      const int64_t done = augment_forest(max_pivots - augments_);
      if (done == 0) return false;  // no free sink reachable: cannot happen (see below)
      augments_ += done;
    }
  }

  bool artificial_flow_left() const { return false; }
  double artificial_flow() const { return 0.0; }
  int64_t pivots() const { return augments_; }
  int arc_count() const { return static_cast<int>(arcs_); }

  // pi in the simplex's convention: reduced cost c_ij + pi_i - pi_{n+j}.
  const std::vector<double>& pi() {
    for (int i = 0; i < n_; ++i) pi_[i] = -u_[i];
    for (int j = 0; j < n_; ++j) pi_[n_ + j] = v_[j];
    return pi_;
  }

  // fn(i, j, mass, cost) for every matched pair; a source left free by a cap is paired with a
  // free sink in index order (along the curve), so the plan is always feasible.
  template <class F>
  void for_each_basic(F fn) const {
    int free_j = 0;
    for (int i = 0; i < n_; ++i) {
      if (mate_x_[i] >= 0) {
        fn(i, mate_x_[i], unit_, mate_cost_[i]);
        continue;
      }
      while (free_j < n_ && mate_y_[free_j] >= 0) ++free_j;
      if (free_j >= n_) continue;  // cannot happen: as many free sinks as free sources
      // Only after a cap: these pairs are left out of the matching, so not reused here.
      fn(i, free_j, unit_, euclid(x_ + static_cast<size_t>(i) * d_, y_ + static_cast<size_t>(free_j) * d_, d_));
      ++free_j;
    }
  }

 private:
  struct Arc {
    int j;
    double c;
  };

  void match(int i, int j, double c) {
    mate_x_[i] = j;
    mate_y_[j] = i;
    mate_cost_[i] = c;
  }

  // Augmenting row reduction (Jonker & Volgenant 1987): a free source takes the sink of its
  // smallest c_ij - v_j, whose v drops by the gap to the second smallest, so both become
  // tight; the sink's former owner is freed and bids next. Cheap (no heap, no search), it
  // matches most free sources before the shortest paths run. Two passes, as in JV; a chain
  // of displacements is cut after kChain steps.
  void reduce_rows() {
    std::vector<int> todo;
    for (int i = 0; i < n_; ++i)
      if (mate_x_[i] < 0 && !adj_[i].empty()) todo.push_back(i);
    constexpr int kPasses = 2, kChain = 64;
    for (int pass = 0; pass < kPasses && !todo.empty(); ++pass) {
      std::vector<int> next;
      for (int start : todo) {
        int i = start;
        for (int step = 0; step < kChain; ++step) {
          double u1 = kInf, u2 = kInf, c1 = 0.0, c2 = 0.0;
          int j1 = -1, j2 = -1;
          for (const auto& [j, c] : adj_[i]) {
            double r = c - v_[j];
            if (r < u1) {
              u2 = u1, j2 = j1, c2 = c1;
              u1 = r, j1 = j, c1 = c;
            } else if (r < u2) {
              u2 = r, j2 = j, c2 = c;
            }
          }
          if (j2 < 0) {  // a single arc: take it if free
            if (mate_y_[j1] < 0) {
              u_[i] = u1;
              match(i, j1, c1);
            } else {
              next.push_back(i);
            }
            break;
          }
          int owner = mate_y_[j1];
          const bool strict = u1 < u2;
          if (strict) {
            v_[j1] -= u2 - u1;
          } else if (owner >= 0) {  // a tie: take the second sink instead
            j1 = j2;
            c1 = c2;
            owner = mate_y_[j2];
          }
          u_[i] = u2;
          if (owner >= 0) mate_x_[owner] = -1;
          match(i, j1, c1);
          if (owner < 0) break;
          if (!strict || step + 1 == kChain) {
            next.push_back(owner);
            break;
          }
          i = owner;
        }
      }
      todo.swap(next);
    }
  }

  // Relaxes the arcs of source i, settled at distance d.
  void scan(int i, double d) {
    for (const auto& [j, c] : adj_[i]) {
      if (settled_[j] == stamp_) continue;
      double r = c - u_[i] - v_[j];
      double nd = d + (r > 0.0 ? r : 0.0);  // a few ulps below 0 count as 0
      if (seen_[j] != stamp_ || nd < dist_[j]) {
        seen_[j] = stamp_;
        dist_[j] = nd;
        pred_[j] = i;
        pred_cost_[j] = c;
        heap_.push_back({nd, j});
        std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
      }
    }
  }

  // Shortest augmenting paths from all free sources at once (free_x_), each at distance 0:
  // one Dijkstra search over the residual graph, stopped once it has settled half as many
  // free sinks as there are free sources (or every node it can reach), at distance K. The
  // duals of the settled nodes then move by their distance less K, which keeps every
  // reduced cost >= 0 (a node left unsettled is at distance K or more) and makes every arc
  // of the search's forest tight. Each tree of that forest hangs from one free source, so
  // the tree paths from distinct free sources to settled free sinks are disjoint and all
  // shortest: one augmentation per free source whose tree holds a free sink, up to
  // `budget`. Returns the number made; at least one, since a free sink is always reachable
  // (the graph holds a perfect matching: the monotone pairs along the curve are
  // candidates). One search per free source, stopped at its nearest free sink, settled about
  // a third of all nodes per path where a start potential is off at the fine scale
  // (benchmarks/history-to-2026-11-25.md, "Geometries").
  int64_t augment_forest(int64_t budget) {
    ++stamp_;
    heap_.clear();
    settled_y_.clear();
    settled_x_.clear();
    free_y_.clear();
    for (int s : free_x_) {
      dsrc_[s] = 0.0;
      root_[s] = stamp_;
      settled_x_.push_back(s);
      scan(s, 0.0);
    }
    const size_t want = std::max<size_t>(1, free_x_.size() / 2);
    double big_d = 0.0;
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
      auto [d, j] = heap_.back();
      heap_.pop_back();
      if (settled_[j] == stamp_ || d > dist_[j]) continue;
      settled_[j] = stamp_;
      settled_y_.push_back(j);
      big_d = d;
      if (mate_y_[j] < 0) {
        free_y_.push_back(j);
        if (free_y_.size() >= want) break;
        continue;
      }
      int i = mate_y_[j];
      dsrc_[i] = d;
      settled_x_.push_back(i);
      scan(i, d);
    }
    if (free_y_.empty()) return 0;
    for (int j : settled_y_) v_[j] += dist_[j] - big_d;
    for (int i : settled_x_) u_[i] += big_d - dsrc_[i];
    // The root of each free sink's tree, read before any path is flipped; then one path per
    // root.
    roots_.clear();
    for (int t : free_y_) {
      int i = pred_[t];
      while (mate_x_[i] >= 0) i = pred_[mate_x_[i]];
      roots_.push_back(i);
    }
    int64_t done = 0;
    for (size_t k = 0; k < free_y_.size() && done < budget; ++k) {
      const int root = roots_[k];
      if (root_[root] != stamp_) continue;  // its tree has had its path
      root_[root] = 0;
      for (int j = free_y_[k];;) {
        int i = pred_[j];
        int next = mate_x_[i];
        match(i, j, pred_cost_[j]);
        if (i == root) break;
        j = next;
      }
      ++done;
    }
    return done;
  }

  int n_, d_;
  double unit_;
  const double *x_, *y_;
  std::vector<std::vector<Arc>> adj_;
  std::vector<double> u_, v_;
  std::vector<int> mate_x_, mate_y_;
  std::vector<double> mate_cost_, dist_, dsrc_;
  std::vector<int> pred_;
  std::vector<double> pred_cost_;
  std::vector<int> seen_, settled_;
  std::vector<uint8_t> dirty_;
  std::vector<int> dirty_list_, settled_x_, settled_y_, free_x_, free_y_, roots_;
  std::vector<int> root_;  // stamp_ at a free source whose tree may still augment
  std::vector<std::pair<double, int>> heap_;
  std::vector<double> pi_;
  int stamp_ = 0;
  int64_t augments_ = 0;
  size_t arcs_ = 0;
};

}  // namespace
}  // namespace dvot

#endif  // DIVERGENCES_OT_ASSIGNMENT_H_
