// Cost scaling (Goldberg's push-relabel with epsilon-scaling) for the uncapacitated
// transportation problem on a given bipartite arc list, with a warm start.
//
// The problem: sources i < n with supplies s_i, sinks j < m with demands d_j (int64, >= 0, equal
// totals), arcs i -> j with int64 costs c; minimise sum_k c_k f_k over flows f >= 0 that meet
// every supply and demand. Node v has a price p_v (sources 0..n-1, sinks n..n+m-1); the reduced
// cost of an arc v -> w of the residual graph is c + p_v - p_w (the backward arc j -> i of an
// arc with flow has cost -c). A pseudoflow is eps-optimal when every residual arc has reduced
// cost >= -eps. Costs are multiplied by K = n + m + 1, so that an eps-optimal flow with eps = 1
// (in those units) is optimal: 1 < K / (n + m), the classical bound for integer costs.
//
// A phase (refine) at eps: saturate every residual arc of reduced cost < -eps (the arcs in
// [-eps, 0) are left as they are, so a nearly optimal flow keeps most of its arcs), then push
// the excesses along admissible arcs (reduced cost < 0) in FIFO order, relabelling a node with
// no admissible arc (p_v = max over its residual arcs v -> w of p_w - c - eps). Heuristics of
// Goldberg (1997): push look-ahead (a push into a node with no excess and no admissible arc
// relabels that node first), and price updates (a bucket Dijkstra from the deficits over the
// reverse residual graph, arc lengths floor(rc / eps) + 1, every price lowered by eps times its
// distance) at the start of every phase and after every (n + m) / 2 relabels. The arcs get the
// capacity min(s_i, d_j) + 1, which no feasible flow reaches, so that a negative arc can be
// saturated and every arc stays residual at the end. Once eps is below one cost unit, each
// phase ends with an attempt at exact potentials (below): where they hold on every arc, the
// flow is optimal and the remaining phases are skipped. Goldberg's price refinement (a search
// for eps/alpha-optimal prices before each phase) was measured on the W1 graphs and left out:
// the flows there are not eps/alpha-optimal until the last phases, and the search cost more
// than it saved.
//
// Infeasibility: a node with excess and no residual arc; else prices falling past about
// 4 (n + m) (K max |c| + eps0) below the lowest start raise the suspicion, settled once by a
// maximum flow (Dinic) on the same arcs.
//
// Warm start: prices (in cost units, scaled by K and rounded) and a flow (any f with
// 0 <= f_k <= min(s_i, d_j)); the first eps is then the largest violation of 0-optimality under
// them (-(reduced cost) over the residual arcs), or, if larger, the least reduced cost by which
// some node's unplaced mass can move (a source with excess: its arcs; a sink short of its
// demand: its arcs), at least 1; the first phase runs at that eps divided by the scaling
// factor. Prices nearly tight everywhere can still be far from the optimal ones: the first
// phase of a warm start raises its eps by the scaling factor each time it passes kEscalation
// relabels a node. A cold start takes K * max |c|, and never raises it.
//
// The output: the optimal flow, and integer potentials pi (cost units) with c + pi_i - pi_j >= 0
// on every arc (flow or not: the arcs are uncapacitated) and = 0 on the arcs with flow: the
// shortest distances from a root joined to every node at cost 0 in the residual graph, found
// by a Dijkstra on the 1-optimal scaled reduced costs raised to 0 (exact_potentials below),
// then checked on every arc by a label-correcting pass (which would lower a wrong label).
//
// Overflow: |c| K and the scaled starting prices must stay below 2^59 (checked by the caller);
// prices only decrease, and a price below -2^60 stops the solve with kOverflow (reduced costs
// then stay within 2^61 in magnitude, and a relabel's p_w - c - eps above -2^62).
//
// References: A. V. Goldberg, "An efficient implementation of a scaling minimum-cost flow
// algorithm", J. Algorithms 22 (1997) 1-29; A. V. Goldberg and R. E. Tarjan, "Finding
// minimum-cost circulations by successive approximation", Math. Oper. Res. 15 (1990); U.
// Bünnagel, B. Korte and J. Vygen, "Efficient implementation of the Goldberg-Tarjan minimum-cost
// flow algorithm", Optim. Methods Softw. 10 (1998); P. Kovács, "Minimum-cost flow algorithms: an
// experimental evaluation", Optim. Methods Softw. 30 (2015) (LEMON's CostScaling).

#ifndef DIVERGENCES_OT_COST_SCALING_H_
#define DIVERGENCES_OT_COST_SCALING_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace dvot {
namespace {  // one translation unit (the module): internal linkage, free inlining

// Bounds of the int64 arithmetic: |cost| K and |starting price| K below kScaledLimit (the caller
// checks), prices above -kPriceLimit (checked as they fall).
constexpr int64_t kScaledLimit = int64_t{1} << 59;
constexpr int64_t kPriceLimit = int64_t{1} << 60;
// The factor by which eps falls from one phase to the next.
constexpr int64_t kScalingFactor = 16;
// A price update after this many relabels per node (half the nodes' count of relabels).
constexpr int64_t kUpdateDivisor = 2;
// A phase's relabels a node past which its eps grows.
constexpr int64_t kEscalation = 32;

enum class FlowStatus : int { kOptimal = 0, kInfeasible = 1, kOverflow = 2 };

struct TransportInput {
  int n = 0, m = 0;
  const int64_t* supply = nullptr;  // (n,)
  const int64_t* demand = nullptr;  // (m,)
  size_t arcs = 0;
  const int32_t* rows = nullptr;  // (arcs,) in [0, n)
  const int32_t* cols = nullptr;  // (arcs,) in [0, m)
  const int64_t* cost = nullptr;  // (arcs,), |cost| K < kScaledLimit
  const double* prices = nullptr;  // (n + m,) or null: starting potentials, cost units
  const int64_t* flow = nullptr;   // (arcs,) or null: starting flow, 0 <= f <= min(s_i, d_j)
};

struct TransportOutput {
  FlowStatus status = FlowStatus::kOptimal;
  std::vector<int64_t> flow;  // (arcs,), in the input's arc order
  std::vector<int64_t> pi;    // (n + m,): c + pi_i - pi_{n+j} >= 0 on every arc
  int64_t escalations = 0, phases = 0, pushes = 0, relabels = 0, updates = 0, corrections = 0;
  double first_eps = 0.0;  // the first phase's eps, in cost units
};

// Dinic's maximum flow on an explicit graph: the feasibility check, run at most once a solve
// and only when the prices' fall suggests an infeasible problem.
class MaxFlow {
 public:
  explicit MaxFlow(int nodes) : first_(static_cast<size_t>(nodes), -1) {}

  void add(int from, int to, int64_t cap) {
    for (int k = 0; k < 2; ++k) {
      to_.push_back(k ? from : to);
      cap_.push_back(k ? 0 : cap);
      next_.push_back(first_[k ? to : from]);
      first_[k ? to : from] = static_cast<int>(to_.size()) - 1;
    }
  }

  int64_t run(int s, int t) {
    int64_t total = 0;
    const size_t count = first_.size();
    std::vector<int> level(count), it(count), path;
    while (true) {
      std::fill(level.begin(), level.end(), -1);
      std::vector<int> bfs{s};
      level[s] = 0;
      for (size_t h = 0; h < bfs.size(); ++h)
        for (int e = first_[bfs[h]]; e >= 0; e = next_[e])
          if (cap_[e] > 0 && level[to_[e]] < 0) {
            level[to_[e]] = level[bfs[h]] + 1;
            bfs.push_back(to_[e]);
          }
      if (level[t] < 0) return total;
      for (size_t v = 0; v < count; ++v) it[v] = first_[v];
      // Blocking flow: depth-first paths of increasing level, kept as a stack of arcs.
      path.clear();
      int v = s;
      while (true) {
        if (v == t) {
          int64_t push = std::numeric_limits<int64_t>::max();
          for (int e : path) push = std::min(push, cap_[e]);
          for (int e : path) cap_[e] -= push, cap_[e ^ 1] += push;
          total += push;
          path.clear();
          v = s;
          continue;
        }
        int& e = it[v];
        while (e >= 0 && !(cap_[e] > 0 && level[to_[e]] == level[v] + 1)) e = next_[e];
        if (e >= 0) {
          path.push_back(e);
          v = to_[e];
          continue;
        }
        if (v == s) break;
        level[v] = -1;  // a dead end: no more paths through v in this round
        path.pop_back();
        v = path.empty() ? s : to_[path.back()];
      }
    }
  }

 private:
  std::vector<int> first_, to_, next_;
  std::vector<int64_t> cap_;
};

class CostScaling {
 public:
  explicit CostScaling(const TransportInput& in)
      : n_(in.n), m_(in.m), nodes_(in.n + in.m), scale_(int64_t{in.n} + in.m + 1) {
    build(in);
  }

  TransportOutput solve() {
    TransportOutput out;
    int64_t eps = first_eps();
    set_floor(eps);
    FlowStatus status = FlowStatus::kOptimal;
    do {
      eps = std::max<int64_t>(1, eps / kScalingFactor);
      if (phases_ == 0) out.first_eps = static_cast<double>(eps) / static_cast<double>(scale_);
      ++phases_;
      status = refine(eps);
      // Below one cost unit the flow is often optimal already: tried, and proved so by exact
      // potentials, the remaining phases are skipped.
      if (status == FlowStatus::kOptimal && eps > 1 && eps <= scale_ &&
          exact_potentials(out, false))
        break;
    } while (status == FlowStatus::kOptimal && eps > 1);
    out.status = status;
    if (status == FlowStatus::kOptimal && out.pi.empty()) exact_potentials(out, true);
    out.flow.assign(arc_of_.size(), 0);
    for (size_t q = 0; q < arc_of_.size(); ++q) out.flow[arc_of_[q]] = flow_[q];
    out.phases = phases_;
    out.pushes = pushes_;
    out.relabels = relabels_;
    out.updates = updates_;
    out.escalations = escalations_;

    return out;
  }

 private:
  // --- the graph ------------------------------------------------------------------------------

  // Arcs in the order of their sources (positions q), each source's arcs at
  // [out_[i], out_[i + 1]); each sink's arcs listed at [in_[j], in_[j + 1]) of in_pos_ (their
  // positions), with the source and the cost copied there for the sink's scans.
  void build(const TransportInput& in) {
    const size_t k = in.arcs;
    out_.assign(static_cast<size_t>(n_) + 1, 0);
    in_.assign(static_cast<size_t>(m_) + 1, 0);
    for (size_t a = 0; a < k; ++a) ++out_[in.rows[a] + 1], ++in_[in.cols[a] + 1];
    for (int i = 0; i < n_; ++i) out_[i + 1] += out_[i];
    for (int j = 0; j < m_; ++j) in_[j + 1] += in_[j];
    head_.resize(k), cost_.resize(k), cap_.resize(k), flow_.assign(k, 0), arc_of_.resize(k);
    in_pos_.resize(k), in_tail_.resize(k), in_cost_.resize(k);
    std::vector<size_t> fill(out_.begin(), out_.end() - 1);
    for (size_t a = 0; a < k; ++a) {
      const size_t q = fill[in.rows[a]]++;
      head_[q] = in.cols[a];
      cost_[q] = in.cost[a] * scale_;
      cap_[q] = std::min(in.supply[in.rows[a]], in.demand[in.cols[a]]) + 1;
      if (in.flow) flow_[q] = in.flow[a];
      arc_of_[q] = a;
    }
    std::vector<size_t> fill_in(in_.begin(), in_.end() - 1);
    for (int i = 0; i < n_; ++i)
      for (size_t q = out_[i]; q < out_[i + 1]; ++q) {
        const size_t r = fill_in[head_[q]]++;
        in_pos_[r] = q, in_tail_[r] = i, in_cost_[r] = cost_[q];
      }
    price_.assign(static_cast<size_t>(nodes_), 0);
    if (in.prices)
      for (int v = 0; v < nodes_; ++v)
        price_[v] = static_cast<int64_t>(std::llround(in.prices[v] * static_cast<double>(scale_)));
    excess_.assign(static_cast<size_t>(nodes_), 0);
    for (int i = 0; i < n_; ++i) excess_[i] = in.supply[i];
    for (int j = 0; j < m_; ++j) excess_[n_ + j] = -in.demand[j];
    for (int i = 0; i < n_; ++i)
      for (size_t q = out_[i]; q < out_[i + 1]; ++q) {
        excess_[i] -= flow_[q];
        excess_[n_ + head_[q]] += flow_[q];
      }
    current_.assign(static_cast<size_t>(nodes_), 0);
    queued_.assign(static_cast<size_t>(nodes_), 0);
    cold_ = in.prices == nullptr;
    supply_ = in.supply, demand_ = in.demand;
  }

  // Prices of a feasible problem fall by at most about (n + m) (K max |c| + eps0) in all; past
  // 4 times that (or half the int64 guard) the problem is suspected infeasible and checked once
  // by a maximum flow. A price past the guard itself is an overflow.
  void set_floor(int64_t eps0) {
    double top = 0.0, lowest = 0.0;
    for (size_t q = 0; q < cost_.size(); ++q) top = std::max(top, std::fabs(double(cost_[q])));
    for (int v = 0; v < nodes_; ++v) lowest = std::min(lowest, double(price_[v]));
    const double drop = 4.0 * double(nodes_ + 1) * (top + double(eps0));
    floor_ = static_cast<int64_t>(std::max(lowest - drop, -double(kPriceLimit) / 2));
  }

  void watch(int v) {
    if (price_[v] < floor_ && !checked_) suspect_ = true;
    if (price_[v] < -kPriceLimit) overflow_ = true;
  }

  // Whether some flow meets the supplies and demands on these arcs (Dinic's maximum flow from
  // a super source over the sources and sinks to a super sink); run at most once.
  FlowStatus check_feasible() {
    suspect_ = false;
    checked_ = true;
    MaxFlow net(nodes_ + 2);
    const int src = nodes_, snk = nodes_ + 1;
    int64_t total = 0;
    for (int i = 0; i < n_; ++i) net.add(src, i, supply_[i]), total += supply_[i];
    for (int j = 0; j < m_; ++j) net.add(n_ + j, snk, demand_[j]);
    for (int i = 0; i < n_; ++i)
      for (size_t q = out_[i]; q < out_[i + 1]; ++q) net.add(i, n_ + head_[q], cap_[q]);
    if (net.run(src, snk) == total) return FlowStatus::kOptimal;
    stuck_ = true;
    return FlowStatus::kInfeasible;
  }

  int64_t reduced(int i, size_t q) const { return cost_[q] + price_[i] - price_[n_ + head_[q]]; }

  // The largest violation of 0-optimality on the residual arcs (at least 1); K max |c| cold.
  // Warm, also the least reduced cost by which each node's unplaced mass can leave (a source
  // with excess) or arrive (a sink short of its demand): the flow that places it has at least
  // that violation on its backward arc.
  int64_t first_eps() const {
    constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
    int64_t worst = 1;
    std::vector<int64_t> least_in(static_cast<size_t>(m_), kNone);
    for (int i = 0; i < n_; ++i) {
      int64_t least_out = kNone;
      for (size_t q = out_[i]; q < out_[i + 1]; ++q) {
        const int64_t rc = reduced(i, q);
        if (cold_) worst = std::max(worst, rc < 0 ? -rc : rc);
        else if (flow_[q] < cap_[q] && rc < 0) worst = std::max(worst, -rc);
        else if (flow_[q] > 0 && rc > 0) worst = std::max(worst, rc);
        least_out = std::min(least_out, rc);
        least_in[head_[q]] = std::min(least_in[head_[q]], rc);
      }
      if (!cold_ && excess_[i] > 0 && least_out != kNone) worst = std::max(worst, least_out);
    }
    for (int j = 0; j < m_ && !cold_; ++j)
      if (excess_[n_ + j] < 0 && least_in[j] != kNone) worst = std::max(worst, least_in[j]);
    return worst;
  }

  void move(size_t q, int i, int64_t delta) {
    flow_[q] += delta;
    excess_[i] -= delta;
    excess_[n_ + head_[q]] += delta;
  }

  // --- one phase ------------------------------------------------------------------------------

  // In a warm start's first phase, eps grows (by the scaling factor) while the phase takes more
  // than kEscalation relabels a node: a start whose violation understates its distance from
  // the optimum (prices nearly tight everywhere but far from the optimal ones) would otherwise
  // crawl at a tiny eps. The pseudoflow stays eps-optimal for any larger eps. Later phases
  // (and a cold start, whose first eps bounds every reduced cost) never grow it, so eps falls
  // from phase to phase and the solve ends.
  FlowStatus refine(int64_t& eps) {
    for (int i = 0; i < n_; ++i)
      for (size_t q = out_[i]; q < out_[i + 1]; ++q) {
        const int64_t rc = reduced(i, q);
        if (rc < -eps && flow_[q] < cap_[q]) move(q, i, cap_[q] - flow_[q]);
        else if (rc > eps && flow_[q] > 0) move(q, i, -flow_[q]);
      }
    queue_.clear();
    head_of_queue_ = 0;
    for (int v = 0; v < nodes_; ++v) {
      queued_[v] = excess_[v] > 0;
      if (queued_[v]) queue_.push_back(v);
    }
    if (queue_.empty()) return FlowStatus::kOptimal;
    FlowStatus status = price_update(eps);
    int64_t since_update = 0, mark = relabels_;
    while (status == FlowStatus::kOptimal && head_of_queue_ < queue_.size()) {
      const int v = queue_[head_of_queue_++];
      queued_[v] = 0;
      if (since_update * kUpdateDivisor >= nodes_) {
        since_update = 0;
        status = price_update(eps);
        if (status != FlowStatus::kOptimal) break;
      }
      if (!cold_ && phases_ == 1 && relabels_ - mark > kEscalation * nodes_ &&
          eps <= kPriceLimit / kScalingFactor) {
        eps *= kScalingFactor;
        mark = relabels_;
        ++escalations_;
      }
      discharge(v, eps, since_update);
      if (suspect_) status = check_feasible();
      if (overflow_) status = FlowStatus::kOverflow;
      else if (stuck_) status = FlowStatus::kInfeasible;
      // The queue's consumed front is dropped now and then, so that it stays O(nodes).
      if (head_of_queue_ > static_cast<size_t>(nodes_)) {
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(head_of_queue_));
        head_of_queue_ = 0;
      }
    }
    return status;
  }

  void activate(int w) {
    if (excess_[w] > 0 && !queued_[w]) {
      queued_[w] = 1;
      queue_.push_back(w);
    }
  }

  // Pushes the excess of v away, relabelling v (and, looking ahead, the nodes it would push
  // into) as needed.
  // A node with excess and no residual arc sets stuck_ (infeasible).
  void discharge(int v, int64_t eps, int64_t& relabels) {
    while (excess_[v] > 0 && !overflow_) {
      const bool ok = v < n_ ? push_from_source(v, eps, relabels)
                             : push_from_sink(v - n_, eps, relabels);
      if (ok) continue;
      if (!relabel(v, eps)) {
        stuck_ = true;
        return;
      }
      // Back to the queue after enough relabels, so that a price update comes first.
      if (++relabels * kUpdateDivisor >= nodes_) {
        activate(v);
        return;
      }
    }
  }

  // One admissible arc out of source i used (true), or none left (false).
  bool push_from_source(int i, int64_t eps, int64_t& relabels) {
    const size_t end = out_[i + 1];
    for (size_t q = std::max(current_[i], out_[i]); q < end; ++q) {
      if (flow_[q] >= cap_[q] || reduced(i, q) >= 0) continue;
      const int w = n_ + head_[q];
      if (excess_[w] >= 0 && !has_admissible(w)) {
        if (relabel(w, eps)) ++relabels;
        if (reduced(i, q) >= 0) continue;
      }
      current_[i] = q;
      move(q, i, std::min(excess_[i], cap_[q] - flow_[q]));
      ++pushes_;
      activate(w);
      return true;
    }
    current_[i] = end;
    return false;
  }

  bool push_from_sink(int j, int64_t eps, int64_t& relabels) {
    const int v = n_ + j;
    const size_t end = in_[j + 1];
    for (size_t r = std::max(current_[v], in_[j]); r < end; ++r) {
      const size_t q = in_pos_[r];
      const int i = in_tail_[r];
      if (flow_[q] <= 0 || in_cost_[r] + price_[i] - price_[v] <= 0) continue;
      if (excess_[i] >= 0 && !has_admissible(i)) {
        if (relabel(i, eps)) ++relabels;
        if (in_cost_[r] + price_[i] - price_[v] <= 0) continue;
      }
      current_[v] = r;
      move(q, i, -std::min(excess_[v], flow_[q]));
      ++pushes_;
      activate(i);
      return true;
    }
    current_[v] = end;
    return false;
  }

  // Whether node v has an admissible arc at or after its current arc (which it then points to).
  bool has_admissible(int v) {
    if (v < n_) {
      for (size_t q = std::max(current_[v], out_[v]); q < out_[v + 1]; ++q)
        if (flow_[q] < cap_[q] && reduced(v, q) < 0) {
          current_[v] = q;
          return true;
        }
      current_[v] = out_[v + 1];
      return false;
    }
    const int j = v - n_;
    for (size_t r = std::max(current_[v], in_[j]); r < in_[j + 1]; ++r)
      if (flow_[in_pos_[r]] > 0 && in_cost_[r] + price_[in_tail_[r]] - price_[v] > 0) {
        current_[v] = r;
        return true;
      }
    current_[v] = in_[j + 1];
    return false;
  }

  // p_v = max over the residual arcs v -> w of p_w - c - eps; false where v has no residual
  // arc. A price past the bound sets overflow_.
  bool relabel(int v, int64_t eps) {
    int64_t best = std::numeric_limits<int64_t>::min();
    if (v < n_) {
      for (size_t q = out_[v]; q < out_[v + 1]; ++q)
        if (flow_[q] < cap_[q]) best = std::max(best, price_[n_ + head_[q]] - cost_[q]);
      current_[v] = out_[v];
    } else {
      const int j = v - n_;
      for (size_t r = in_[j]; r < in_[j + 1]; ++r)
        if (flow_[in_pos_[r]] > 0) best = std::max(best, price_[in_tail_[r]] + in_cost_[r]);
      current_[v] = in_[j];
    }
    if (best == std::numeric_limits<int64_t>::min()) return false;
    price_[v] = best - eps;
    ++relabels_;
    watch(v);
    return true;
  }

  // --- price update ---------------------------------------------------------------------------

  // Distances to the deficits in the residual graph, arc length floor(rc / eps) + 1, by buckets
  // up to the level where the last node with excess is reached (the others get that level, a
  // lower bound of theirs); every price then falls by eps times its node's distance. A node
  // with excess that reaches no deficit: infeasible.
  FlowStatus price_update(int64_t eps) {
    ++updates_;
    const int64_t cap = 2 * static_cast<int64_t>(nodes_) + 2;  // longer distances are clamped
    constexpr int64_t kUnreached = std::numeric_limits<int64_t>::max();
    dist_.assign(static_cast<size_t>(nodes_), kUnreached);
    done_.assign(static_cast<size_t>(nodes_), 0);
    bucket_head_.assign(static_cast<size_t>(cap) + 1, -1);
    entry_node_.clear(), entry_next_.clear();
    int64_t active = 0;
    for (int v = 0; v < nodes_; ++v) {
      if (excess_[v] > 0) ++active;
      if (excess_[v] < 0) file(v, 0);
    }
    int64_t level = 0;
    for (; level <= cap && active > 0; ++level) {
      while (active > 0 && bucket_head_[level] >= 0) {
        const int e = bucket_head_[level];
        bucket_head_[level] = entry_next_[e];
        const int w = entry_node_[e];
        if (done_[w] || dist_[w] != level) continue;
        done_[w] = 1;
        if (excess_[w] > 0) --active;
        scan_into(w, level, eps, cap);
      }
      if (active == 0) break;
    }
    if (active > 0) return FlowStatus::kInfeasible;
    for (int v = 0; v < nodes_; ++v) {
      const int64_t d = done_[v] ? dist_[v] : level;
      if (d == 0) continue;
      if (eps > (price_[v] + kPriceLimit) / d) return FlowStatus::kOverflow;
      price_[v] -= eps * d;
      watch(v);
    }
    if (suspect_ && check_feasible() != FlowStatus::kOptimal) return FlowStatus::kInfeasible;
    if (overflow_) return FlowStatus::kOverflow;
    std::fill(current_.begin(), current_.end(), 0);
    return FlowStatus::kOptimal;
  }

  void file(int v, int64_t d) {
    dist_[v] = d;
    entry_node_.push_back(v);
    entry_next_.push_back(bucket_head_[static_cast<size_t>(d)]);
    bucket_head_[static_cast<size_t>(d)] = static_cast<int>(entry_node_.size()) - 1;
  }

  static int64_t length(int64_t rc, int64_t eps) {
    const int64_t floor = rc >= 0 ? rc / eps : -((-rc + eps - 1) / eps);
    return floor + 1;
  }

  // Relaxes the residual arcs v -> w into w.
  void scan_into(int w, int64_t level, int64_t eps, int64_t cap) {
    auto relax = [&](int v, int64_t rc) {
      if (done_[v]) return;
      const int64_t len = length(rc, eps);
      const int64_t d = len >= cap - level ? cap : level + std::max<int64_t>(len, 0);
      if (d < dist_[v]) file(v, d);
    };
    if (w >= n_) {  // residual arcs into a sink: its arcs below capacity
      const int j = w - n_;
      for (size_t r = in_[j]; r < in_[j + 1]; ++r)
        if (flow_[in_pos_[r]] < cap_[in_pos_[r]])
          relax(in_tail_[r], in_cost_[r] + price_[in_tail_[r]] - price_[w]);
    } else {  // into a source: the backward arcs of its arcs with flow
      for (size_t q = out_[w]; q < out_[w + 1]; ++q)
        if (flow_[q] > 0) relax(n_ + head_[q], -reduced(w, q));
    }
  }

  // --- exact potentials -----------------------------------------------------------------------

  // The shortest distances d from a root joined to every node by an arc of cost 0, in the
  // residual graph of the uncapacitated problem with the original costs (no negative cycle:
  // the flow is optimal): integers with c + d_v - d_w >= 0 on every residual arc. No arc is at
  // its capacity min(s_i, d_j) + 1 at the end, so every arc's scaled reduced cost is >= -1.
  // Dijkstra on those reduced costs raised to max(rc, 0) (the root's arcs P - p_v, P the
  // largest price) finds T_v with K d_v + P - p_v in [T_v - (n + m - 1), T_v], an interval
  // shorter than K that holds one multiple of K: K d_v is the largest one <= T_v - P + p_v.
  // A label-correcting pass then checks every arc (and would correct, were a label wrong).
  //
  // With eps > 1 (final false) the same labels are only a candidate: kept (true) where they
  // satisfy every arc, which proves the flow optimal; else out.pi is left empty (false).
  bool exact_potentials(TransportOutput& out, bool final) {
    std::vector<int64_t> pi(static_cast<size_t>(nodes_));
    const int64_t top = *std::max_element(price_.begin(), price_.end());
    constexpr int64_t kFar = int64_t{1} << 62;
    std::vector<int64_t> t(static_cast<size_t>(nodes_));
    std::vector<std::pair<int64_t, int>> heap;
    for (int v = 0; v < nodes_; ++v) t[v] = top - price_[v], heap.push_back({-t[v], v});
    std::make_heap(heap.begin(), heap.end());
    done_.assign(static_cast<size_t>(nodes_), 0);
    bool exact = true;
    auto relax = [&](int w, int64_t base, int64_t rc) {
      const int64_t to = base + std::max<int64_t>(rc, 0);
      if (to < t[w]) t[w] = to, heap.push_back({-to, w}), std::push_heap(heap.begin(), heap.end());
    };
    while (!heap.empty()) {
      std::pop_heap(heap.begin(), heap.end());
      const auto [key, v] = heap.back();
      heap.pop_back();
      if (done_[v] || -key != t[v]) continue;
      done_[v] = 1;
      if (t[v] > kFar) {
        exact = false;  // past the safe range: the labels are left to the correcting pass
        break;
      }
      if (v < n_) {
        for (size_t q = out_[v]; q < out_[v + 1]; ++q) relax(n_ + head_[q], t[v], reduced(v, q));
      } else {
        const int j = v - n_;
        for (size_t r = in_[j]; r < in_[j + 1]; ++r)
          if (flow_[in_pos_[r]] > 0)
            relax(in_tail_[r], t[v], -(in_cost_[r] + price_[in_tail_[r]] - price_[v]));
      }
    }
    for (int v = 0; v < nodes_; ++v) {
      const int64_t x = exact ? t[v] - top + price_[v] : price_[v];
      pi[v] = x >= 0 ? x / scale_ : -((-x + scale_ - 1) / scale_);
    }
    if (!final && !feasible(pi)) return false;
    if (final) out.corrections = correct(pi);
    out.pi.swap(pi);
    return true;
  }

  // Whether c + pi_v - pi_w >= 0 on every residual arc of the uncapacitated problem.
  bool feasible(const std::vector<int64_t>& pi) const {
    for (int i = 0; i < n_; ++i)
      for (size_t q = out_[i]; q < out_[i + 1]; ++q) {
        const int64_t rc = cost_[q] / scale_ + pi[i] - pi[n_ + head_[q]];
        if (rc < 0 || (rc > 0 && flow_[q] > 0)) return false;
      }
    return true;
  }

  // Lowers labels (FIFO label-correcting) until c + pi_v - pi_w >= 0 on every residual arc of
  // the uncapacitated problem; the number of labels lowered.
  int64_t correct(std::vector<int64_t>& pi) const {
    std::vector<int> queue(static_cast<size_t>(nodes_));
    std::vector<char> queued(static_cast<size_t>(nodes_), 1);
    for (int v = 0; v < nodes_; ++v) queue[v] = v;
    size_t front = 0;
    int64_t corrections = 0;
    const int64_t most = static_cast<int64_t>(nodes_) * static_cast<int64_t>(arc_of_.size() + 1);
    auto lower = [&](int w, int64_t to) {
      pi[w] = to;
      if (++corrections > most) throw std::logic_error("cost scaling: a negative cycle at the end");
      if (!queued[w]) queued[w] = 1, queue.push_back(w);
    };
    while (front < queue.size()) {
      const int v = queue[front++];
      queued[v] = 0;
      if (v < n_) {  // i -> j for every arc: pi_j <= pi_i + c
        for (size_t q = out_[v]; q < out_[v + 1]; ++q) {
          const int w = n_ + head_[q];
          const int64_t to = pi[v] + cost_[q] / scale_;
          if (pi[w] > to) lower(w, to);
        }
      } else {  // j -> i for every arc with flow: pi_i <= pi_j - c
        const int j = v - n_;
        for (size_t r = in_[j]; r < in_[j + 1]; ++r) {
          if (flow_[in_pos_[r]] <= 0) continue;
          const int w = in_tail_[r];
          const int64_t to = pi[v] - in_cost_[r] / scale_;
          if (pi[w] > to) lower(w, to);
        }
      }
      if (front > static_cast<size_t>(nodes_) && front * 2 > queue.size()) {
        queue.erase(queue.begin(), queue.begin() + static_cast<std::ptrdiff_t>(front));
        front = 0;
      }
    }
    return corrections;
  }

  int n_, m_, nodes_;
  int64_t scale_;
  bool cold_ = true, overflow_ = false, stuck_ = false, suspect_ = false, checked_ = false;
  int64_t floor_ = -kPriceLimit / 2;
  const int64_t *supply_ = nullptr, *demand_ = nullptr;
  std::vector<size_t> out_, in_, in_pos_, arc_of_, current_;
  std::vector<int32_t> head_, in_tail_;
  std::vector<int64_t> cost_, cap_, flow_, in_cost_, price_, excess_, dist_;
  std::vector<char> queued_, done_;
  std::vector<int> queue_, bucket_head_, entry_node_, entry_next_;
  size_t head_of_queue_ = 0;
  int64_t escalations_ = 0, phases_ = 0, pushes_ = 0, relabels_ = 0, updates_ = 0;
};

}  // namespace
}  // namespace dvot

#endif  // DIVERGENCES_OT_COST_SCALING_H_
