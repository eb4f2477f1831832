// The primal network simplex on a sparse uncapacitated graph plus an artificial root, with
// spanning-tree bases kept strongly feasible (Cunningham's leaving-arc rule), the tree kept as a
// thread, block-search pricing, and arcs that can be added between solves (warm start: the basis
// stays feasible). NetworkSimplex takes any arcs between its nodes (a transshipment problem:
// grid_flow.h); SimplexGraph wraps it for the bipartite transportation graph (arcs source ->
// sink) as the graph interface of column_generation() (column_generation.h). One file over 600
// lines: the tree's thread and the pivot that relinks it are one class's private arrays, read
// and written together in the solver's hot loop.
//
// References: Ahuja, Magnanti & Orlin, Network Flows, 1993, ch. 11 (network simplex, strongly
// feasible trees); Cunningham, Math. Programming 11, 1976; Grigoriadis, Math. Programming
// Study 26, 1986 (block search); Glover, Klingman & Stutz, INFOR 12, 1974 (the thread).

#ifndef DIVERGENCES_OT_NETWORK_SIMPLEX_H_
#define DIVERGENCES_OT_NETWORK_SIMPLEX_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "common.h"

namespace dvot {
namespace {  // one translation unit (the module): internal linkage, free inlining

// Block length of the entering-arc search, times sqrt(#arcs): the pivot count hardly depends
// on it, the time per pivot does (benchmarks/history-to-2026-11-25.md).
constexpr double kBlockFactor = 0.25;

//
// Nodes 0..N-1 and the root R = N. Real arcs join two nodes (SimplexGraph: sources 0..n-1,
// sinks n..n+m-1, arcs source -> sink); artificial arcs k -> R or R -> k, of cost M, carry
// each node's supply to or from the root in the first basis. Potentials pi make every tree arc
// tight: cost + pi[tail] - pi[head] = 0; pi[R] = 0. The reduced cost of an arc is
// cost + pi[tail] - pi[head]; the basis is optimal when none is negative.

struct Arcs {
  std::vector<int> tail, head;
  std::vector<double> cost, flow;
  std::vector<uint8_t> in_tree;
  int size() const { return static_cast<int>(tail.size()); }
  int add(int t, int h, double c, double f) {
    tail.push_back(t);
    head.push_back(h);
    cost.push_back(c);
    flow.push_back(f);
    in_tree.push_back(0);
    return size() - 1;
  }
};

class NetworkSimplex {
 public:
  // `nodes` nodes and the root (numbered `nodes`); no arcs yet.
  explicit NetworkSimplex(int nodes) : N_(nodes + 1), root_(nodes) {
    parent_.assign(N_, -1);
    pred_.assign(N_, -1);
    mark_.assign(N_, -1);
    pi_.assign(N_, 0.0);
    first_child_.assign(N_, -1);
    next_sib_.assign(N_, -1);
    size_.assign(N_, 1);
  }

  Arcs arcs;
  std::vector<int> artificial;  // indices of artificial arcs
  int64_t pivots = 0;
  // The entering-arc search's block length, times sqrt(#arcs).
  double block_factor = kBlockFactor;
  // Where the pivots' time goes (reported by the binding; benchmarks/history-to-2026-11-25.md, "General
  // masses: where the time goes"): pivots that move no flow, reduced costs computed by the
  // entering-arc search, tree nodes climbed to the cycle's join, potentials updated.
  int64_t degenerate = 0, priced = 0, climbed = 0, shifted = 0;

  int root() const { return root_; }
  const std::vector<double>& pi() const { return pi_; }

  // Makes arc e the tree arc joining `child` to `parent`: builds the first basis, before the
  // first recompute_all() (which turns the children's lists into the thread; pivots keep only
  // the thread).
  void attach(int child, int parent, int e) {
    parent_[child] = parent;
    pred_[child] = e;
    arcs.in_tree[e] = 1;
    next_sib_[child] = first_child_[parent];
    first_child_[parent] = child;
    threaded_ = false;
  }

  // Potentials of the whole tree from the root, exactly (no accumulated shifts): along the
  // thread, a preorder, every node comes after its parent.
  void recompute_all() {
    if (!threaded_) build_thread();
    pi_[root_] = 0.0;
    for (int k = thread_[root_]; k != root_; k = thread_[k]) {
      const int p = parent_[k], e = pred_[k];
      pi_[k] = arcs.tail[e] == k ? pi_[p] - arcs.cost[e] : pi_[p] + arcs.cost[e];
    }
    since_recompute_ = 0;
  }

  double reduced_cost(int e) const { return arcs.cost[e] + pi_[arcs.tail[e]] - pi_[arcs.head[e]]; }

  // Pivots until no arc has reduced cost below -tol, or `max_pivots` pivots in this call.
  // Returns true when optimal on the current graph.
  bool run(double tol, int64_t max_pivots) {
    int64_t done = 0;
    for (;;) {
      int e = find_entering(tol);
      if (e < 0) return true;
      if (done >= max_pivots) return false;
      pivot(e);
      ++done;
      ++pivots;
    }
  }

 private:
  // The tree as a thread (Glover, Klingman & Stutz; LEMON's network simplex keeps the same
  // arrays): thread_ lists the nodes in a preorder from the root, cyclically (the last node's
  // successor is the root), rev_thread_ is its inverse, and the subtree of k is the run of
  // size_[k] nodes from k to last_[k]. A pivot moves a subtree as one run of the list, and
  // shifting the potentials of a subtree (or of the rest of the tree) walks that run: one
  // successor read a node, no stack and no lists of children. Built once from the first
  // basis's lists of children.
  void build_thread() {
    thread_.assign(N_, root_);
    rev_thread_.assign(N_, root_);
    last_.assign(N_, root_);
    order_.clear();
    stack_.assign(1, root_);
    while (!stack_.empty()) {
      const int k = stack_.back();
      stack_.pop_back();
      order_.push_back(k);
      for (int c = first_child_[k]; c >= 0; c = next_sib_[c]) stack_.push_back(c);
    }
    const int count = static_cast<int>(order_.size());
    for (int t = 0; t < count; ++t) {
      const int k = order_[t], next = order_[t + 1 < count ? t + 1 : 0];
      thread_[k] = next;
      rev_thread_[next] = k;
    }
    std::fill(size_.begin(), size_.end(), 1);
    for (int t = count - 1; t > 0; --t) size_[parent_[order_[t]]] += size_[order_[t]];
    for (int t = 0; t < count; ++t) last_[order_[t]] = order_[t + size_[order_[t]] - 1];
    threaded_ = true;
  }

  // The thread after a pivot that cuts the subtree of u_out from its parent and hangs it,
  // re-rooted at q (a node of that subtree), from p. Parents are still the old ones.
  void rethread(int u_out, int q, int p) {
    // Cut the subtree's run out of the list; the ancestors whose subtree ended with it now
    // end with the node before it (u_out's parent or a node below it).
    const int before = rev_thread_[u_out], run_last = last_[u_out];
    const int after = thread_[run_last];
    thread_[before] = after;
    rev_thread_[after] = before;
    for (int u = parent_[u_out]; u >= 0 && last_[u] == run_last; u = parent_[u]) last_[u] = before;
    // Re-rooted at q, the subtree's preorder is q's own run, then for each node s of the stem
    // (q's old ancestors up to u_out) s's old run less that of the stem node below it: the
    // part from s up to that node, and the part after that node's run. The pieces are read
    // off the old thread before any is relinked.
    pieces_.clear();
    for (int below = q, s = parent_[q]; below != u_out; below = s, s = parent_[s]) {
      pieces_.push_back({s, rev_thread_[below]});
      if (last_[below] != last_[s]) pieces_.push_back({thread_[last_[below]], last_[s]});
    }
    int end = last_[q];
    for (const auto& [from, to] : pieces_) {
      thread_[end] = from;
      rev_thread_[from] = end;
      end = to;
    }
    // Every stem node's subtree now ends where the re-rooted run ends.
    for (int s = q;; s = parent_[s]) {
      last_[s] = end;
      if (s == u_out) break;
    }
    // The run goes in right after p; the ancestors whose subtree ended with p now end with it.
    const int p_next = thread_[p];
    thread_[p] = q;
    rev_thread_[q] = p;
    thread_[end] = p_next;
    rev_thread_[p_next] = end;
    for (int u = p; u >= 0 && last_[u] == p; u = parent_[u]) last_[u] = end;
  }

  // Adds `delta` to the potential of every node in the subtree of q (size_[q] nodes from q
  // along the thread) where that is at most half the tree, else -delta to every other node
  // (the root included): the same reduced costs either way. The run is walked from both
  // ends at once (thread forwards, reverse thread backwards): two independent chains of
  // reads instead of one.
  void shift_smaller_side(int q, double delta) {
    const int cut = size_[q];
    if (2 * cut <= N_) shift_run(q, last_[q], cut, delta);
    else shift_run(thread_[last_[q]], rev_thread_[q], N_ - cut, -delta);
  }

  // Adds `delta` to the potentials of the `count` nodes of the thread from `first` to `last`.
  void shift_run(int first, int last, int count, double delta) {
    const int* thread = thread_.data();
    const int* rev_thread = rev_thread_.data();
    double* pi = pi_.data();
    int f = first, b = last;
    for (int t = count / 2; t > 0; --t) {
      pi[f] += delta;
      pi[b] += delta;
      f = thread[f];
      b = rev_thread[b];
    }
    if (count % 2 != 0) pi[f] += delta;  // the middle node
  }

  // Block search (Grigoriadis): scan blocks of about sqrt(#arcs) arcs from where the last
  // search stopped and take the most negative reduced cost of the first block that has one.
  int find_entering(double tol) {
    const int E = arcs.size();
    if (E == 0) return -1;
    const int block = std::max(64, static_cast<int>(block_factor * std::sqrt(static_cast<double>(E))));
    int best = -1;
    double best_rc = -tol;
    int cnt = 0;
    const int* tail = arcs.tail.data();
    const int* head = arcs.head.data();
    const double* cost = arcs.cost.data();
    const uint8_t* in_tree = arcs.in_tree.data();
    const double* pi = pi_.data();
    if (next_arc_ >= E) next_arc_ = 0;
    int e = next_arc_;
    int scanned_here = 0;
    for (; scanned_here < E; ++scanned_here) {
      double rc = cost[e] + pi[tail[e]] - pi[head[e]];
      if (rc < best_rc && !in_tree[e]) {
        best_rc = rc;
        best = e;
      }
      if (++e == E) e = 0;
      if (++cnt == block) {
        if (best >= 0) {
          ++scanned_here;
          break;
        }
        cnt = 0;
      }
    }
    next_arc_ = e;
    priced += scanned_here;
    return best;
  }

  void pivot(int e) {
    int* tail = arcs.tail.data();
    double* flow = arcs.flow.data();
    const int first = tail[e], second = arcs.head[e];
    // The join (lowest common ancestor) of the two ends: climb from both in turn, marking
    // the nodes passed, until one side meets a node the other has passed. Costs about the
    // cycle's length, and needs no depths (which a pivot would have to update).
    if (stamp_ > std::numeric_limits<int>::max() - 4) {
      std::fill(mark_.begin(), mark_.end(), -1);
      stamp_ = 0;
    }
    stamp_ += 2;
    const int sa = stamp_, sb = stamp_ + 1;
    int a = first, b = second, join = -1;
    mark_[a] = sa;
    mark_[b] = sb;
    for (;;) {
      climbed += 2;
      if (a != root_) {
        a = parent_[a];
        if (mark_[a] == sb) {
          join = a;
          break;
        }
        mark_[a] = sa;
      }
      if (b != root_) {
        b = parent_[b];
        if (mark_[b] == sa) {
          join = b;
          break;
        }
        mark_[b] = sb;
      }
    }
    // Leaving arc: the last blocking arc met going round the cycle from the join in the
    // direction of the entering arc (join -> first -> second -> join). This keeps the tree
    // strongly feasible, which rules out cycling on degenerate pivots.
    double delta = kInf;
    int u_out = -1;
    int side = 0;
    for (int u = first; u != join; u = parent_[u]) {
      int f = pred_[u];
      if (tail[f] == u && flow[f] < delta) {  // arc points up: traversed backwards
        delta = flow[f];
        u_out = u;
        side = 1;
      }
    }
    for (int u = second; u != join; u = parent_[u]) {
      int f = pred_[u];
      if (tail[f] != u && flow[f] <= delta) {  // arc points down: traversed backwards
        delta = flow[f];
        u_out = u;
        side = 2;
      }
    }
    if (!(delta > 0.0)) ++degenerate;
    if (delta > 0.0) {
      flow[e] += delta;
      for (int u = first; u != join; u = parent_[u]) {
        int f = pred_[u];
        if (tail[f] == u) flow[f] -= delta;
        else flow[f] += delta;
      }
      for (int u = second; u != join; u = parent_[u]) {
        int f = pred_[u];
        if (tail[f] != u) flow[f] -= delta;
        else flow[f] += delta;
      }
    }
    const int leave = pred_[u_out];
    flow[leave] = 0.0;
    arcs.in_tree[leave] = 0;
    arcs.in_tree[e] = 1;
    // Hang the cut-off subtree (it holds u_out and the entering arc's end on u_out's side)
    // from the other end by the entering arc, reversing the path between them.
    int q = side == 1 ? first : second;
    int new_parent = side == 1 ? second : first;
    // Subtree sizes: the cut-off subtree (size_[u_out] nodes) leaves the path from u_out's
    // parent up to the join and joins the one from its new parent up to the join; along the
    // reversed path from q to u_out, a node's new size is the subtree's less the old size of
    // the node it was the parent of.
    const int cut = size_[u_out];
    rethread(u_out, q, new_parent);
    for (int u = parent_[u_out]; u != join; u = parent_[u]) size_[u] -= cut;
    for (int u = new_parent; u != join; u = parent_[u]) size_[u] += cut;
    int new_pred = e;
    int w = q;
    int below = 0;  // the old size of the node before w on the path
    for (;;) {
      const int old_parent = parent_[w], old_pred = pred_[w];
      const int old_size = size_[w];
      size_[w] = cut - below;
      below = old_size;
      parent_[w] = new_parent;
      pred_[w] = new_pred;
      if (w == u_out) break;
      new_parent = w;
      new_pred = old_pred;
      w = old_parent;
    }
    // The moved subtree hangs from new_parent by e, which is now tight.
    const int top_parent = parent_[q];
    const double pi_q = tail[e] == q ? pi_[top_parent] - arcs.cost[e] : pi_[top_parent] + arcs.cost[e];
    // The smaller side moves: the subtree, or the rest of the tree the other way.
    shifted += std::min(cut, N_ - cut);
    shift_smaller_side(q, pi_q - pi_[q]);
    // Shifts accumulate rounding: recompute exactly once per (number of nodes) pivots.
    if (++since_recompute_ >= N_) recompute_all();
  }

  int N_, root_;
  std::vector<int> parent_, pred_, mark_, first_child_, next_sib_, stack_, order_;
  std::vector<int> size_;  // nodes in the subtree of each node
  std::vector<int> thread_, rev_thread_, last_;  // the tree's thread (build_thread)
  std::vector<std::pair<int, int>> pieces_;      // runs of the thread relinked by rethread
  std::vector<double> pi_;
  int next_arc_ = 0, stamp_ = 0, since_recompute_ = 0;
  bool threaded_ = false;
};

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

#endif  // DIVERGENCES_OT_NETWORK_SIMPLEX_H_
