// Exact Wasserstein-1 between point clouds by column generation: rounds of "solve the
// transportation LP on a sparse graph, price all n x m pairs with the k-d tree, add the arcs
// of negative reduced cost", with a Kantorovich-Rubinstein certificate every round.
//
// The graph is solved by the network simplex (network_simplex.h) or, for assignment problems,
// by shortest augmenting paths (assignment.h); both keep their basis or duals between rounds.
// Every round yields a certificate: a coupling's cost is an upper bound, and the c-transform
// f(z) = min_j ||z - y_j|| - v_j is exactly 1-Lipschitz on all of R^d, so
// sum_i a_i f(x_i) - sum_j b_j f(y_j) is a lower bound. The status reports the optimum only
// for a plan whose marginals are (a, b) and whose bounds do not cross.
//
// References: Dantzig & Wolfe, Oper. Res. 8, 1960, and Gilmore & Gomory, Oper. Res. 9, 1961
// (column generation); Villani, Optimal Transport, 2009, Thm 5.10 and Remark 6.5
// (c-transforms, Kantorovich-Rubinstein duality).

#ifndef DIVERGENCES_OT_COLUMN_GENERATION_H_
#define DIVERGENCES_OT_COLUMN_GENERATION_H_

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "common.h"
#include "kdtree.h"

namespace dvot {
namespace {  // one translation unit (the module): internal linkage, free inlining

// The certificate's lower bound is computed in a round that adds at most (n + m) / kBoundEvery
// arcs (and in the last round): earlier rounds are far from the tolerance, and the bound costs
// a third of a round's pricing.
constexpr int64_t kBoundEvery = 64;
// A plan is a coupling when its marginals differ from (a, b) by at most this share of the
// total mass (summed over all points): the flows are sums and differences of the masses, so
// their rounding is far below it.
constexpr double kMarginalTol = 1e-9;
// The bounds may cross by rounding alone: the pricing's minimum is exact to 16 ulps (kTie)
// and the plan's cost and the bound are sums of rounded distances. Crossing by more than this
// many ulps of the potentials (times the mass) is a failure.
constexpr double kCrossUlps = 64.0;

// What column_generation() reads and writes.
struct Problem {
  int n, m, d, threads, max_rounds;
  const double *x, *y, *a, *b;
  double rtol, rc_tol;
  int64_t max_pivots;
  double *fx, *fy;  // out: the c-transform at x and at y
  // The pricing adds, for every point with an arc of negative reduced cost, its
  // arcs_per_point arcs of least reduced cost among those that are negative (1: the least).
  int arcs_per_point = 1;
};

struct Outcome {
  Status status = Status::kRoundCap;
  int rounds = 0;
  // upper: the plan's cost when it is a coupling, +inf otherwise; cost: the plan's cost.
  double upper = kInf, lower = -kInf, cost = kInf, marginal_error = kInf;
  double t_graph = 0.0, t_pricing = 0.0;
};

// The arcs a round adds with pr.arcs_per_point = k > 1, appended to `fresh` (the least arc of
// each point whose least reduced cost is negative): for every such point x_i, the k arcs (i, j)
// of least reduced cost that are negative; the same for every such y_j from the other side;
// then each arc once, sorted. Where the plan moves far
// from the first graph (smooth densities at 256^2 and above), the least arc of each point alone
// takes tens of rounds, each of them re-optimised by the graph solver; the k least bring the
// neighbours of the new target in the same round (benchmarks/history-to-2026-11-25.md).
void add_priced_arcs(const KdTree& tree_x, const KdTree& tree_y, const std::vector<double>& pi,
                     const std::vector<double>& gy, const Problem& pr,
                     std::vector<std::pair<int, int>>& fresh) {
  const double* fx = pr.fx;
  const int n = pr.n, m = pr.m, d = pr.d;
  const int kx = std::min(pr.arcs_per_point, m), ky = std::min(pr.arcs_per_point, n);
  // Slots of -1 are no arc: a point without a negative arc, or fewer negative ones than k.
  std::vector<int> to_y(static_cast<size_t>(n) * kx, -1), to_x(static_cast<size_t>(m) * ky, -1);
  parallel_for(n, pr.threads, [&](std::ptrdiff_t lo, std::ptrdiff_t hi) {
    std::vector<int> st, arg(kx);
    std::vector<double> best(kx);
    for (std::ptrdiff_t i = lo; i < hi; ++i) {
      if (!(fx[i] + pi[i] < -pr.rc_tol)) continue;
      int* out = to_y.data() + static_cast<size_t>(i) * kx;
      tree_y.query_k(pr.x + static_cast<size_t>(i) * d, kx, out, best.data(), arg.data(), st);
      for (int t = 0; t < kx; ++t)
        if (!(best[t] + pi[i] < -pr.rc_tol)) out[t] = -1;
    }
  });
  parallel_for(m, pr.threads, [&](std::ptrdiff_t lo, std::ptrdiff_t hi) {
    std::vector<int> st, arg(ky);
    std::vector<double> best(ky);
    for (std::ptrdiff_t j = lo; j < hi; ++j) {
      if (!(gy[j] - pi[n + j] < -pr.rc_tol)) continue;
      int* out = to_x.data() + static_cast<size_t>(j) * ky;
      tree_x.query_k(pr.y + static_cast<size_t>(j) * d, ky, out, best.data(), arg.data(), st);
      for (int t = 0; t < ky; ++t)
        if (!(best[t] - pi[n + j] < -pr.rc_tol)) out[t] = -1;
    }
  });
  for (int i = 0; i < n; ++i)
    for (int t = 0; t < kx; ++t)
      if (const int j = to_y[static_cast<size_t>(i) * kx + t]; j >= 0) fresh.push_back({i, j});
  for (int j = 0; j < m; ++j)
    for (int t = 0; t < ky; ++t)
      if (const int i = to_x[static_cast<size_t>(j) * ky + t]; i >= 0) fresh.push_back({i, j});
  std::sort(fresh.begin(), fresh.end());
  fresh.erase(std::unique(fresh.begin(), fresh.end()), fresh.end());
}

// Rounds of "solve on the graph, price every pair with the k-d trees, add the arcs of negative
// reduced cost", with the certificate's bounds. G is SimplexGraph or AssignmentGraph.
template <class G>
Outcome column_generation(G& g, const Problem& pr) {
  using clock = std::chrono::steady_clock;
  const int n = pr.n, m = pr.m, d = pr.d;
  const double *x = pr.x, *y = pr.y;
  Outcome out;
  KdTree tree_x(x, n, d), tree_y(y, m, d);
  std::vector<double> wx(n), wy(m), gy(m), row_mass(n), col_mass(m);
  std::vector<int> hint_x(n, -1), hint_y(m, -1), arg_x(n), arg_y(m), arg_tmp(m);
  double* fx = pr.fx;
  double* fy = pr.fy;
  Sum total;
  for (int i = 0; i < n; ++i) total.add(pr.a[i]);
  const double mass = total.value();
  auto cost = [&](int i, int j) {
    return euclid(x + static_cast<size_t>(i) * d, y + static_cast<size_t>(j) * d, d);
  };
  int rounds;
  for (rounds = 1; rounds <= pr.max_rounds; ++rounds) {
    auto t0 = clock::now();
    const bool optimal_on_graph = g.optimize(pr.rc_tol, pr.max_pivots);
    out.t_graph += std::chrono::duration<double>(clock::now() - t0).count();
    auto t1 = clock::now();
    const std::vector<double>& pi = g.pi();
    // The plan's cost and marginals, and a partner of each point for the pricing's first
    // bound. A plan stopped by a pivot cap may leave mass on the artificial arcs: it is then
    // no coupling, and its cost no upper bound.
    Sum ub;
    std::fill(row_mass.begin(), row_mass.end(), 0.0);
    std::fill(col_mass.begin(), col_mass.end(), 0.0);
    g.for_each_basic([&](int i, int j, double f, double c) {
      hint_x[i] = j;
      hint_y[j] = i;
      if (f > 0.0) {
        ub.add(f * c);
        row_mass[i] += f;
        col_mass[j] += f;
      }
    });
    Sum off;
    for (int i = 0; i < n; ++i) off.add(std::fabs(row_mass[i] - pr.a[i]));
    for (int j = 0; j < m; ++j) off.add(std::fabs(col_mass[j] - pr.b[j]));
    out.marginal_error = off.value();
    const bool coupling = out.marginal_error <= kMarginalTol * mass;
    out.cost = ub.value();
    out.upper = coupling ? out.cost : kInf;
    // Pricing: f(z) = min_j ||z - y_j|| - pi_j at every x (and every y, for the bound),
    // g(z) = min_i ||z - x_i|| + pi_i at every y. The reduced cost of (i, j) is
    // c_ij + pi_i - pi_j, so min_j of it is f(x_i) + pi_i and min_i of it is g(y_j) - pi_j.
    for (int j = 0; j < m; ++j) wy[j] = -pi[n + j];
    for (int i = 0; i < n; ++i) wx[i] = pi[i];
    tree_y.set_weights(wy.data(), true);
    tree_x.set_weights(wx.data(), true);
    parallel_for(n, pr.threads, [&](std::ptrdiff_t lo, std::ptrdiff_t hi) {
      std::vector<int> st;
      for (std::ptrdiff_t i = lo; i < hi; ++i)
        fx[i] = tree_y.query(x + static_cast<size_t>(i) * d, hint_x[i], &arg_x[i], st, kTie);
    });
    parallel_for(m, pr.threads, [&](std::ptrdiff_t lo, std::ptrdiff_t hi) {
      std::vector<int> st;
      for (std::ptrdiff_t j = lo; j < hi; ++j)
        gy[j] = tree_x.query(y + static_cast<size_t>(j) * d, hint_y[j], &arg_y[j], st, kTie);
    });
    // The new arcs are collected now and added once the round has decided to go on.
    std::vector<std::pair<int, int>> fresh;
    for (int i = 0; i < n; ++i)
      if (fx[i] + pi[i] < -pr.rc_tol) fresh.push_back({i, arg_x[i]});
    for (int j = 0; j < m; ++j) {
      if (gy[j] - pi[n + j] < -pr.rc_tol) {
        int i = arg_y[j];
        if (fx[i] + pi[i] < -pr.rc_tol && arg_x[i] == j) continue;  // added above
        fresh.push_back({i, j});
      }
    }
    if (pr.arcs_per_point > 1 && !fresh.empty()) add_priced_arcs(tree_x, tree_y, pi, gy, pr, fresh);
    const int added = static_cast<int>(fresh.size());
    // The lower bound needs f at every y too: a third query per point, taken only when the
    // rounds may stop here (few arcs added, or a cap or the optimum reached). A skipped
    // round's bound could not have met rtol in practice; the rounds then go on regardless.
    const bool last = added == 0 || !optimal_on_graph || rounds == pr.max_rounds ||
                      g.artificial_flow_left() || !coupling;
    bool have_lower = false;
    if (last || static_cast<int64_t>(added) * kBoundEvery <= n + m) {
      parallel_for(m, pr.threads, [&](std::ptrdiff_t lo, std::ptrdiff_t hi) {
        std::vector<int> st;
        for (std::ptrdiff_t j = lo; j < hi; ++j)
          fy[j] = tree_y.query(y + static_cast<size_t>(j) * d, static_cast<int>(j), &arg_tmp[j],
                               st, kTie);
      });
      Sum lb;
      for (int i = 0; i < n; ++i) lb.add(pr.a[i] * fx[i]);
      for (int j = 0; j < m; ++j) lb.add(-pr.b[j] * fy[j]);
      out.lower = lb.value();
      have_lower = true;
    }
    out.t_pricing += std::chrono::duration<double>(clock::now() - t1).count();
    // The stop, if any. A capped run whose coupling's bounds already meet rtol is certified.
    bool stop = true;
    if (coupling && optimal_on_graph && added == 0) {
      out.status = Status::kOptimal;
    } else if (coupling && have_lower && out.upper - out.lower <= pr.rtol * std::fabs(out.upper)) {
      out.status = Status::kWithinTolerance;
    } else if (!optimal_on_graph) {
      out.status = Status::kPivotCap;
    } else if (g.artificial_flow_left()) {
      out.status = Status::kArtificialFlow;
    } else if (!coupling) {
      out.status = Status::kNotACoupling;
    } else if (rounds == pr.max_rounds) {
      out.status = Status::kRoundCap;
    } else {
      stop = false;
    }
    if (stop) {
      if (out.status == Status::kOptimal || out.status == Status::kWithinTolerance) {
        double pi_max = 0.0;
        for (int k = 0; k < n + m; ++k) pi_max = std::max(pi_max, std::fabs(pi[k]));
        const double slack =
            kCrossUlps * std::numeric_limits<double>::epsilon() * (1.0 + pi_max) * mass;
        if (!(out.lower <= out.upper + slack)) out.status = Status::kBoundsCrossed;
      }
      break;
    }
    for (const auto& [i, j] : fresh) g.add(i, j, cost(i, j));
  }
  out.rounds = std::min(rounds, pr.max_rounds);
  return out;
}

}  // namespace
}  // namespace dvot

#endif  // DIVERGENCES_OT_COLUMN_GENERATION_H_
