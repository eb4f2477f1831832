// The primal network simplex on a sparse uncapacitated graph plus an artificial root, with
// spanning-tree bases kept strongly feasible (Cunningham's leaving-arc rule), the tree kept as a
// thread, block-search pricing, and arcs that can be added between solves (warm start: the basis
// stays feasible). NetworkSimplex takes any arcs between its nodes (a transshipment problem:
// grid_flow.h); SimplexGraph (simplex_graph.h) wraps it for the bipartite transportation graph.
//
// References: Ahuja, Magnanti & Orlin, Network Flows, 1993, ch. 11 (network simplex, strongly
// feasible trees); Cunningham, Math. Programming 11, 1976; Grigoriadis, Math. Programming
// Study 26, 1986 (block search); Glover, Klingman & Stutz, INFOR 12, 1974 (the thread).

#ifndef DIVERGENCES_OT_NETWORK_SIMPLEX_H_
#define DIVERGENCES_OT_NETWORK_SIMPLEX_H_

#include <algorithm>
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
// Trees of this many nodes or more are laid out along their thread while the pivots run, and
// laid out again every (nodes / kLayoutsPerTree) pivots (NetworkSimplex::run). Below it the
// potentials fit in a core's cache and the layout gains nothing
// (benchmarks/history-to-2026-11-25.md, "The simplex's nodes laid out along the thread").
constexpr int kLayoutNodes = 1 << 15;
constexpr int kLayoutsPerTree = 4;

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
  // Trees of this many nodes or more are laid out along the thread while run() pivots.
  int layout_nodes = kLayoutNodes;
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
  //
  // On a tree of layout_nodes nodes or more, the nodes are numbered along the thread while the
  // pivots run (lay_out_along_thread), and again every N / kLayoutsPerTree pivots: a subtree's
  // potentials are then a few runs of consecutive memory instead of one cache miss a node.
  // The numbering given is restored before returning; the pivots are the same either way.
  bool run(double tol, int64_t max_pivots) {
    if (!threaded_) build_thread();
    const bool lay_out = N_ >= layout_nodes;
    const int64_t every = std::max<int64_t>(1, N_ / kLayoutsPerTree);
    if (lay_out) lay_out_along_thread();
    int64_t done = 0, since_layout = 0;
    bool optimal;
    for (;;) {
      int e = find_entering(tol);
      if (e < 0) {
        optimal = true;
        break;
      }
      if (done >= max_pivots) {
        optimal = false;
        break;
      }
      pivot(e);
      ++done;
      ++pivots;
      if (lay_out && ++since_layout >= every) {
        lay_out_along_thread();
        since_layout = 0;
      }
    }
    if (!given_of_.empty()) {
      const std::vector<int> back(given_of_);  // renumber() rewrites given_of_ itself
      renumber(back);                           // the caller's numbering again
      given_of_.clear();
    }
    return optimal;
  }

 private:
  // Numbers the nodes in the thread's order from the root (the root becomes 0), so that the
  // runs the pivots shift are consecutive in memory until pivots move them. given_of_ keeps
  // each node's number in the caller's numbering. Nothing changes unless the thread holds
  // every node (a spanning tree, as every basis is).
  void lay_out_along_thread() {
    std::vector<int> order(N_, -1);
    int k = root_;
    for (int t = 0; t < N_; ++t, k = thread_[k]) {
      if (order[k] >= 0) return;  // back at the root early: not spanning
      order[k] = t;
    }
    if (k != root_) return;
    if (given_of_.empty()) {
      given_of_.resize(N_);
      std::iota(given_of_.begin(), given_of_.end(), 0);
    }
    renumber(order);
  }

  // Node k becomes node to[k] (to: a permutation of 0..N-1) in every array that is indexed by
  // a node or holds one, the arcs' ends included; given_of_ follows.
  void renumber(const std::vector<int>& to) {
    auto node = [&](int k) { return k < 0 ? k : to[k]; };
    std::vector<int> tmp(N_);
    for (std::vector<int>* v : {&parent_, &thread_, &rev_thread_, &last_, &first_child_,
                                &next_sib_}) {
      for (int k = 0; k < N_; ++k) tmp[to[k]] = node((*v)[k]);
      v->swap(tmp);
    }
    for (std::vector<int>* v : {&pred_, &size_, &given_of_}) {
      for (int k = 0; k < N_; ++k) tmp[to[k]] = (*v)[k];
      v->swap(tmp);
    }
    std::vector<double> pi(N_);
    for (int k = 0; k < N_; ++k) pi[to[k]] = pi_[k];
    pi_.swap(pi);
    std::fill(mark_.begin(), mark_.end(), -1);
    root_ = to[root_];
    for (int& t : arcs.tail) t = to[t];
    for (int& h : arcs.head) h = to[h];
  }

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
  // While run() lays the nodes out: each node's number in the caller's numbering (empty
  // until the first layout).
  std::vector<int> given_of_;
  int next_arc_ = 0, stamp_ = 0, since_recompute_ = 0;
  bool threaded_ = false;
};

}  // namespace
}  // namespace dvot

#endif  // DIVERGENCES_OT_NETWORK_SIMPLEX_H_
