// Exact Wasserstein-1 between point clouds by column generation: the compiled part.
//
// Three pieces, used from divergences/wasserstein/_sparse.py:
//
// * KdTree: a k-d tree over points with an additive weight per point, answering
//   min_p ||q - x_p|| + w_p exactly by branch and bound (a box's bound is its distance to q
//   plus the smallest weight inside). With w = -v this is the c-transform of a potential v,
//   the pricing oracle of the column generation.
// * NetworkSimplex: the primal network simplex on a sparse bipartite transportation graph
//   (arcs source -> sink, uncapacitated) plus an artificial root, with spanning-tree bases kept
//   strongly feasible (Cunningham's leaving-arc rule), block-search pricing, and arcs that can
//   be added between solves (warm start: the basis stays feasible).
// * solve(): rounds of "solve on the graph, price all n x m pairs with the k-d tree, add the
//   arcs of negative reduced cost" with a Kantorovich-Rubinstein lower bound every round.
//
// References: Ahuja, Magnanti & Orlin, Network Flows, 1993, ch. 11 (network simplex, strongly
// feasible trees); Cunningham, Math. Programming 11, 1976; Bentley, CACM 18, 1975 (k-d trees);
// Dantzig & Wolfe / Gilmore & Gomory (column generation); Villani, Optimal Transport, 2009,
// Thm 5.10 and Remark 6.5 (c-transforms, Kantorovich-Rubinstein duality).
//
// Only the CPython C API and the buffer protocol are used: no build dependency but setuptools.

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <functional>
#include <numeric>
#include <thread>
#include <vector>

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Block length of the entering-arc search, times sqrt(#arcs): the pivot count hardly depends
// on it (measured at n = 3e3 and 1e4: within 10% from 0.25 to 16), the time per pivot does.
constexpr double kBlockFactor = 0.25;
// The certificate's lower bound is computed in a round that adds at most (n + m) / kBoundEvery
// arcs (and in the last round): earlier rounds are far from the tolerance, and the bound costs
// a third of a round's pricing.
constexpr int64_t kBoundEvery = 64;
// The pricing's queries skip a box that can beat the best value found by at most this many
// ulps (relative): a Kantorovich potential is linear along its transport rays, so whole rays
// of points tie to the last bits, and proving a strict minimum there means opening every box
// along the ray. The c-transform is then the minimum to within 16 ulps, which the solver's
// certificate allows for (the bounds are widened by 64 ulps of the potentials).
constexpr double kTie = 16 * std::numeric_limits<double>::epsilon();

// ---------------------------------------------------------------------------------------------
// k-d tree with additive weights
// ---------------------------------------------------------------------------------------------

class KdTree {
 public:
  KdTree(const double* pts, int n, int d, int leaf_size = 64) : d_(d), n_(n) {
    idx_.resize(n);
    std::iota(idx_.begin(), idx_.end(), 0);
    pts_.resize(static_cast<size_t>(n) * d);
    nodes_.reserve(2 * (n / leaf_size + 1) + 2);
    build(pts, 0, n, leaf_size);
    for (int k = 0; k < n; ++k)
      for (int c = 0; c < d; ++c) pts_[static_cast<size_t>(k) * d + c] = pts[static_cast<size_t>(idx_[k]) * d + c];
    w_.assign(n, 0.0);
    minw_.assign(nodes_.size(), 0.0);
    dir_.assign(nodes_.size() * static_cast<size_t>(d), 0.0);
    mdir_.assign(nodes_.size(), -kInf);
    pos_.resize(n);
    for (int k = 0; k < n; ++k) pos_[idx_[k]] = k;
  }

  // Sets the additive weights (indexed like the input points) and the subtree minima; with
  // `directions`, also each node's directional bound (see lower()).
  void set_weights(const double* w, bool directions = false) {
    for (int k = 0; k < n_; ++k) w_[k] = w[idx_[k]];
    for (int t = static_cast<int>(nodes_.size()) - 1; t >= 0; --t) {
      const Node& nd = nodes_[t];
      if (nd.left < 0) {
        double m = kInf;
        for (int k = nd.begin; k < nd.end; ++k) m = std::min(m, w_[k]);
        minw_[t] = m;
      } else {
        minw_[t] = std::min(minw_[nd.left], minw_[nd.right]);
      }
    }
    std::fill(mdir_.begin(), mdir_.end(), -kInf);
    if (directions && d_ <= 3) fit_directions();
  }

  // min_p ||q - x_p|| + w_p and its argmin (input index). `hint` (an input index, or -1)
  // seeds the bound. Exact with tie = 0: a box is skipped only when no point in it can be
  // strictly better. With tie > 0 a box is also skipped when it can beat the best found by
  // at most tie * (1 + |best|): the value is then the minimum to within that.
  double query(const double* q, int hint, int* arg, std::vector<int>& stack,
               double tie = 0.0) const {
    double best = kInf;
    int best_k = -1;
    if (hint >= 0) {
      best_k = pos_[hint];
      best = dist(q, &pts_[static_cast<size_t>(best_k) * d_]) + w_[best_k];
    }
    search(
        q, [&] { return best; },
        [&](int p, double val) {
          if (val < best) {
            best = val;
            best_k = p;
          }
        },
        stack, tie);
    *arg = best_k >= 0 ? idx_[best_k] : -1;
    return best;
  }

  // The k smallest values of ||q - x_p|| + w_p (k <= count), their input indices in out_arg
  // sorted by value; best/arg are scratch of length k.
  void query_k(const double* q, int k, int* out_arg, double* best, int* arg,
               std::vector<int>& stack) const {
    for (int t = 0; t < k; ++t) {
      best[t] = kInf;
      arg[t] = -1;
    }
    search(
        q, [&] { return best[k - 1]; },
        [&](int p, double val) {
          if (val >= best[k - 1]) return;
          int s = k - 1;
          while (s > 0 && best[s - 1] > val) {
            best[s] = best[s - 1];
            arg[s] = arg[s - 1];
            --s;
          }
          best[s] = val;
          arg[s] = p;
        },
        stack);
    for (int t = 0; t < k; ++t) out_arg[t] = arg[t] >= 0 ? idx_[arg[t]] : -1;
  }

 private:
  struct Node {
    int begin, end, left, right;
  };

  // Branch and bound: visits, nearer bound first, every box whose lower bound is below
  // bound() less `tie` ulps of it, and hands each point there to leaf(p, value).
  template <class Bound, class Leaf>
  void search(const double* q, Bound bound, Leaf leaf, std::vector<int>& stack,
              double tie = 0.0) const {
    auto cut = [&] {
      double b = bound();
      return tie > 0.0 && b < kInf ? b - tie * (1.0 + std::fabs(b)) : b;
    };
    stack.clear();
    stack.push_back(0);
    while (!stack.empty()) {
      int t = stack.back();
      stack.pop_back();
      const Node& nd = nodes_[t];
      if (lower(q, t, cut()) >= cut()) continue;
      if (nd.left < 0) {
        for (int p = nd.begin; p < nd.end; ++p) {
          // ||q - x_p|| + w_p < bound  <=>  ||q - x_p||^2 < (bound - w_p)^2: the square
          // root is taken only for a point that may win (a few ulps of margin on the test).
          const double r = bound() - w_[p];
          if (!(r > 0.0)) continue;
          const double s = dist2(q, &pts_[static_cast<size_t>(p) * d_]);
          if (s > r * r * (1.0 + 1e-12)) continue;
          leaf(p, std::sqrt(s) + w_[p]);
        }
        continue;
      }
      const double c = cut();
      double bl = lower(q, nd.left, c);
      double br = lower(q, nd.right, c);
      int near = bl <= br ? nd.left : nd.right, far = bl <= br ? nd.right : nd.left;
      if (std::max(bl, br) < c) stack.push_back(far);  // popped last
      if (std::min(bl, br) < c) stack.push_back(near);
    }
  }

  // A lower bound on min_{p in node t} ||q - x_p|| + w_p: the box's distance plus the
  // smallest weight, or, where larger, <e, q> + min_p (w_p - <e, x_p>) for the node's unit
  // direction e (as ||q - x_p|| >= <e, q - x_p>). The second is exact where the weights are
  // linear with unit slope along e, as a Kantorovich potential is along its transport rays:
  // there the first leaves every box along a ray to be opened (a translated copy prices
  // sqrt(n) leaves per query without it). Directions are tried only below `cut`.
  double lower(const double* q, int t, double cut) const {
    double b = box_dist(q, t) + minw_[t];
    if (b >= cut || !(mdir_[t] > -kInf)) return b;
    const double* e = &dir_[static_cast<size_t>(t) * d_];
    double s = 0.0;
    for (int c = 0; c < d_; ++c) s += e[c] * q[c];
    return std::max(b, s + mdir_[t]);
  }

  // Each node's direction: the gradient of the least-squares affine fit of its weights over
  // its points, normalised (kept where its length is at least 1/2, i.e. where the weights
  // look like a slope-1 potential), and min_p w_p - <e, x_p> over the node.
  void fit_directions() {
    const int d = d_, mm = d * (d + 1) / 2;
    const size_t stride = 1 + 2 * static_cast<size_t>(d) + mm + 1;  // N, Sx, Swx, Sxx, Sw
    std::vector<double> mom(nodes_.size() * stride, 0.0);
    for (int t = static_cast<int>(nodes_.size()) - 1; t >= 0; --t) {
      const Node& nd = nodes_[t];
      double* mt = &mom[static_cast<size_t>(t) * stride];
      if (nd.left < 0) {
        // Moments about the box's low corner (less cancellation than about the origin).
        const double* lo = &lo_[static_cast<size_t>(t) * d];
        for (int k = nd.begin; k < nd.end; ++k) {
          const double* p = &pts_[static_cast<size_t>(k) * d];
          double z[3];
          for (int c = 0; c < d; ++c) z[c] = p[c] - lo[c];
          mt[0] += 1.0;
          int r = 0;
          for (int c = 0; c < d; ++c) {
            mt[1 + c] += z[c];
            mt[1 + d + c] += w_[k] * z[c];
            for (int c2 = c; c2 < d; ++c2) mt[1 + 2 * d + r++] += z[c] * z[c2];
          }
          mt[stride - 1] += w_[k];
        }
      } else {
        // Children's moments moved to this box's corner: z' = z + delta.
        const double* lo = &lo_[static_cast<size_t>(t) * d];
        for (int child : {nd.left, nd.right}) {
          const double* mc = &mom[static_cast<size_t>(child) * stride];
          const double* clo = &lo_[static_cast<size_t>(child) * d];
          double delta[3];
          for (int c = 0; c < d; ++c) delta[c] = clo[c] - lo[c];
          const double cnt = mc[0], sw = mc[stride - 1];
          mt[0] += cnt;
          for (int c = 0; c < d; ++c) {
            mt[1 + c] += mc[1 + c] + cnt * delta[c];
            mt[1 + d + c] += mc[1 + d + c] + sw * delta[c];
          }
          int r = 0;
          for (int c = 0; c < d; ++c)
            for (int c2 = c; c2 < d; ++c2) {
              mt[1 + 2 * d + r] += mc[1 + 2 * d + r] + delta[c] * mc[1 + c2] +
                                   delta[c2] * mc[1 + c] + cnt * delta[c] * delta[c2];
              ++r;
            }
          mt[stride - 1] += sw;
        }
      }
    }
    for (size_t t = 0; t < nodes_.size(); ++t) {
      const double* mt = &mom[t * stride];
      const double cnt = mt[0];
      if (cnt < 2.0 * d + 2.0) continue;
      double mean[3], cov[3][3], cw[3];
      for (int c = 0; c < d; ++c) mean[c] = mt[1 + c] / cnt;
      const double mw = mt[stride - 1] / cnt;
      int r = 0;
      for (int c = 0; c < d; ++c)
        for (int c2 = c; c2 < d; ++c2) {
          cov[c][c2] = cov[c2][c] = mt[1 + 2 * d + r++] / cnt - mean[c] * mean[c2];
        }
      for (int c = 0; c < d; ++c) cw[c] = mt[1 + d + c] / cnt - mean[c] * mw;
      double g[3];
      if (!solve_small(cov, cw, g, d)) continue;
      double len = 0.0;
      for (int c = 0; c < d; ++c) len += g[c] * g[c];
      len = std::sqrt(len);
      if (!(len >= 0.5) || !std::isfinite(len)) continue;
      double* e = &dir_[t * d];
      for (int c = 0; c < d; ++c) e[c] = g[c] / len;
      double mn = kInf;
      for (int k = nodes_[t].begin; k < nodes_[t].end; ++k) {
        const double* p = &pts_[static_cast<size_t>(k) * d];
        double s = w_[k];
        for (int c = 0; c < d; ++c) s -= e[c] * p[c];
        mn = std::min(mn, s);
      }
      mdir_[t] = mn;
    }
  }

  // Solves the d x d system cov g = rhs (d <= 3) by Gaussian elimination with pivoting;
  // false when it is nearly singular.
  static bool solve_small(double cov[3][3], const double* rhs, double* g, int d) {
    double m[3][4];
    double scale = 0.0;
    for (int i = 0; i < d; ++i) {
      for (int j = 0; j < d; ++j) m[i][j] = cov[i][j];
      m[i][d] = rhs[i];
      scale = std::max(scale, std::fabs(cov[i][i]));
    }
    if (!(scale > 0.0)) return false;
    for (int col = 0; col < d; ++col) {
      int piv = col;
      for (int i = col + 1; i < d; ++i)
        if (std::fabs(m[i][col]) > std::fabs(m[piv][col])) piv = i;
      if (std::fabs(m[piv][col]) < 1e-9 * scale) return false;
      for (int j = 0; j <= d; ++j) std::swap(m[col][j], m[piv][j]);
      for (int i = 0; i < d; ++i) {
        if (i == col) continue;
        double f = m[i][col] / m[col][col];
        for (int j = col; j <= d; ++j) m[i][j] -= f * m[col][j];
      }
    }
    for (int i = 0; i < d; ++i) g[i] = m[i][d] / m[i][i];
    return true;
  }

  double dist2(const double* q, const double* p) const {
    double s = 0.0;
    for (int c = 0; c < d_; ++c) {
      double t = q[c] - p[c];
      s += t * t;
    }
    return s;
  }

  double dist(const double* q, const double* p) const { return std::sqrt(dist2(q, p)); }

  double box_dist(const double* q, int t) const {
    const double* lo = &lo_[static_cast<size_t>(t) * d_];
    const double* hi = &hi_[static_cast<size_t>(t) * d_];
    double s = 0.0;
    for (int c = 0; c < d_; ++c) {
      double e = 0.0;
      if (q[c] < lo[c]) e = lo[c] - q[c];
      else if (q[c] > hi[c]) e = q[c] - hi[c];
      s += e * e;
    }
    // The bound must not exceed any true distance: the box distance is below every point's
    // distance in exact arithmetic; shave a few ulps so rounding cannot invert that.
    return std::sqrt(s) * (1.0 - 4e-16);
  }

  int build(const double* pts, int begin, int end, int leaf_size) {
    int t = static_cast<int>(nodes_.size());
    nodes_.push_back({begin, end, -1, -1});
    lo_.resize(static_cast<size_t>(t + 1) * d_);
    hi_.resize(static_cast<size_t>(t + 1) * d_);
    int widest = 0;
    double width = -1.0;
    for (int c = 0; c < d_; ++c) {
      double lo = kInf, hi = -kInf;
      for (int k = begin; k < end; ++k) {
        double v = pts[static_cast<size_t>(idx_[k]) * d_ + c];
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
      lo_[static_cast<size_t>(t) * d_ + c] = lo;
      hi_[static_cast<size_t>(t) * d_ + c] = hi;
      if (hi - lo > width) {
        width = hi - lo;
        widest = c;
      }
    }
    if (end - begin <= leaf_size || width <= 0.0) return t;
    int mid = begin + (end - begin) / 2;
    std::nth_element(idx_.begin() + begin, idx_.begin() + mid, idx_.begin() + end, [&](int i, int j) {
      return pts[static_cast<size_t>(i) * d_ + widest] < pts[static_cast<size_t>(j) * d_ + widest];
    });
    int left = build(pts, begin, mid, leaf_size);
    int right = build(pts, mid, end, leaf_size);
    nodes_[t].left = left;
    nodes_[t].right = right;
    return t;
  }

  int d_, n_;
  std::vector<int> idx_, pos_;
  std::vector<double> pts_, w_, minw_, lo_, hi_, dir_, mdir_;
  std::vector<Node> nodes_;
};

// ---------------------------------------------------------------------------------------------
// Network simplex on a bipartite transportation graph with an artificial root
// ---------------------------------------------------------------------------------------------
//
// Nodes: sources 0..n-1, sinks n..n+m-1, root R = n+m. Real arcs run source -> sink;
// artificial arcs source -> R or R -> sink, of cost M. Potentials pi make every tree arc
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
  NetworkSimplex(int n, int m) : N_(n + m + 1), root_(n + m) {
    parent_.assign(N_, -1);
    pred_.assign(N_, -1);
    mark_.assign(N_, -1);
    pi_.assign(N_, 0.0);
    first_child_.assign(N_, -1);
    next_sib_.assign(N_, -1);
    prev_sib_.assign(N_, -1);
  }

  Arcs arcs;
  std::vector<int> artificial;  // indices of artificial arcs
  int64_t pivots = 0;

  int root() const { return root_; }
  const std::vector<double>& pi() const { return pi_; }

  // Makes arc e the tree arc joining `child` to `parent` (used while building the first basis).
  void attach(int child, int parent, int e) {
    parent_[child] = parent;
    pred_[child] = e;
    arcs.in_tree[e] = 1;
    link(child, parent);
  }

  // Potentials of the whole tree from the root, exactly (no accumulated shifts).
  void recompute_all() {
    stack_.clear();
    pi_[root_] = 0.0;
    for (int c = first_child_[root_]; c >= 0; c = next_sib_[c]) stack_.push_back(c);
    while (!stack_.empty()) {
      int k = stack_.back();
      stack_.pop_back();
      int p = parent_[k], e = pred_[k];
      pi_[k] = arcs.tail[e] == k ? pi_[p] - arcs.cost[e] : pi_[p] + arcs.cost[e];
      for (int c = first_child_[k]; c >= 0; c = next_sib_[c]) stack_.push_back(c);
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
  void link(int child, int parent) {
    int f = first_child_[parent];
    next_sib_[child] = f;
    prev_sib_[child] = -1;
    if (f >= 0) prev_sib_[f] = child;
    first_child_[parent] = child;
  }

  void unlink(int child, int parent) {
    int p = prev_sib_[child], nx = next_sib_[child];
    if (p >= 0) next_sib_[p] = nx;
    else first_child_[parent] = nx;
    if (nx >= 0) prev_sib_[nx] = p;
    prev_sib_[child] = next_sib_[child] = -1;
  }

  // Adds `delta` to the potential of every node in the subtree of `top`. A pivot moves a
  // subtree as one piece, so its potentials all shift by the same amount: no arc, parent or
  // depth is read, which made this walk 3x cheaper than recomputing each node from its parent.
  void shift_subtree(int top, double delta) {
    stack_.clear();
    stack_.push_back(top);
    while (!stack_.empty()) {
      int k = stack_.back();
      stack_.pop_back();
      pi_[k] += delta;
      for (int c = first_child_[k]; c >= 0; c = next_sib_[c]) stack_.push_back(c);
    }
  }

  // Block search (Grigoriadis): scan blocks of about sqrt(#arcs) arcs from where the last
  // search stopped and take the most negative reduced cost of the first block that has one.
  int find_entering(double tol) {
    const int E = arcs.size();
    if (E == 0) return -1;
    const int block = std::max(64, static_cast<int>(kBlockFactor * std::sqrt(static_cast<double>(E))));
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
    for (int scanned = 0; scanned < E; ++scanned) {
      double rc = cost[e] + pi[tail[e]] - pi[head[e]];
      if (rc < best_rc && !in_tree[e]) {
        best_rc = rc;
        best = e;
      }
      if (++e == E) e = 0;
      if (++cnt == block) {
        if (best >= 0) break;
        cnt = 0;
      }
    }
    next_arc_ = e;
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
    int new_pred = e;
    int w = q;
    for (;;) {
      int old_parent = parent_[w], old_pred = pred_[w];
      unlink(w, old_parent);
      parent_[w] = new_parent;
      pred_[w] = new_pred;
      link(w, new_parent);
      if (w == u_out) break;
      new_parent = w;
      new_pred = old_pred;
      w = old_parent;
    }
    // The moved subtree hangs from new_parent by e, which is now tight.
    const int top_parent = parent_[q];
    const double pi_q = tail[e] == q ? pi_[top_parent] - arcs.cost[e] : pi_[top_parent] + arcs.cost[e];
    shift_subtree(q, pi_q - pi_[q]);
    // Shifts accumulate rounding: recompute exactly once per (number of nodes) pivots.
    if (++since_recompute_ >= N_) recompute_all();
  }

  int N_, root_;
  std::vector<int> parent_, pred_, mark_, first_child_, next_sib_, prev_sib_, stack_;
  std::vector<double> pi_;
  int next_arc_ = 0, stamp_ = 0, since_recompute_ = 0;
};

// Runs fn(begin, end) over [0, count) split into `threads` contiguous pieces, one per thread
// (the calling thread takes the first). The queries of a pricing pass are independent reads of
// a k-d tree, so they split without locks; small counts stay on one thread.
template <class F>
void parallel_for(Py_ssize_t count, int threads, F fn) {
  if (threads <= 1 || count < 4096) {
    fn(Py_ssize_t{0}, count);
    return;
  }
  const Py_ssize_t chunk = (count + threads - 1) / threads;
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) {
    const Py_ssize_t lo = std::min(count, t * chunk), hi = std::min(count, (t + 1) * chunk);
    if (lo < hi) pool.emplace_back(fn, lo, hi);
  }
  fn(Py_ssize_t{0}, std::min(count, chunk));
  for (auto& th : pool) th.join();
}

double euclid(const double* p, const double* q, int d) {
  double s = 0.0;
  for (int c = 0; c < d; ++c) {
    double t = p[c] - q[c];
    s += t * t;
  }
  return std::sqrt(s);
}

// Neumaier's compensated sum.
struct Sum {
  double s = 0.0, c = 0.0;
  void add(double x) {
    double t = s + x;
    if (std::fabs(s) >= std::fabs(x)) c += (s - t) + x;
    else c += (x - t) + s;
    s = t;
  }
  double value() const { return s + c; }
};

// ---------------------------------------------------------------------------------------------
// Python glue: buffers in, buffers out
// ---------------------------------------------------------------------------------------------

struct Buffer {
  Py_buffer view{};
  bool held = false;
  ~Buffer() {
    if (held) PyBuffer_Release(&view);
  }
  bool get(PyObject* obj, bool writable, const char* fmt, Py_ssize_t itemsize, const char* name) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &view, flags) != 0) return false;
    held = true;
    if (view.itemsize != itemsize || view.format == nullptr || view.format[0] != fmt[0] ||
        view.format[1] != '\0') {
      PyErr_Format(PyExc_TypeError, "%s: expected a contiguous buffer of format '%s'", name, fmt);
      return false;
    }
    return true;
  }
  Py_ssize_t count() const { return view.len / view.itemsize; }
  template <class T>
  T* data() const {
    return static_cast<T*>(view.buf);
  }
};

// c_transform(points, sites, weights, out_value, out_arg, d, threads[, pricing]):
//   out_value[k] = min_j ||points_k - sites_j|| + weights_j, out_arg[k] = its argmin; exact,
//   or with pricing = 1 as the solver's pricing computes it (directional bounds, and the
//   minimum to within kTie relative).
PyObject* py_c_transform(PyObject*, PyObject* args) {
  PyObject *o_pts, *o_sites, *o_w, *o_val, *o_arg;
  int d, threads, pricing = 0;
  if (!PyArg_ParseTuple(args, "OOOOOii|i", &o_pts, &o_sites, &o_w, &o_val, &o_arg, &d, &threads,
                        &pricing))
    return nullptr;
  Buffer pts, sites, w, val, arg;
  if (!pts.get(o_pts, false, "d", 8, "points") || !sites.get(o_sites, false, "d", 8, "sites") ||
      !w.get(o_w, false, "d", 8, "weights") || !val.get(o_val, true, "d", 8, "out_value") ||
      !arg.get(o_arg, true, "i", 4, "out_arg"))
    return nullptr;
  const int m = static_cast<int>(w.count());
  const Py_ssize_t k = val.count();
  if (d < 1 || sites.count() != static_cast<Py_ssize_t>(m) * d || pts.count() != k * d ||
      arg.count() != k || m < 1) {
    PyErr_SetString(PyExc_ValueError, "c_transform: inconsistent buffer sizes");
    return nullptr;
  }
  Py_BEGIN_ALLOW_THREADS;
  KdTree tree(sites.data<double>(), m, d);
  tree.set_weights(w.data<double>(), pricing != 0);
  const double tie = pricing ? kTie : 0.0;
  const double* p = pts.data<double>();
  double* out = val.data<double>();
  int* am = arg.data<int>();
  parallel_for(k, threads, [&](Py_ssize_t lo, Py_ssize_t hi) {
    std::vector<int> stack;
    for (Py_ssize_t i = lo; i < hi; ++i) out[i] = tree.query(p + i * d, -1, &am[i], stack, tie);
  });
  Py_END_ALLOW_THREADS;
  Py_RETURN_NONE;
}

// k_nearest(points, sites, weights, k, out_arg): for every point p, the k sites of smallest
// ||p - s_j|| + weights_j, out_arg (count x k, int32), sorted by that value.
PyObject* py_k_nearest(PyObject*, PyObject* args) {
  PyObject *o_pts, *o_sites, *o_w, *o_arg;
  int d, k, threads;
  if (!PyArg_ParseTuple(args, "OOOiOii", &o_pts, &o_sites, &o_w, &k, &o_arg, &d, &threads))
    return nullptr;
  Buffer pts, sites, w, arg;
  if (!pts.get(o_pts, false, "d", 8, "points") || !sites.get(o_sites, false, "d", 8, "sites") ||
      !w.get(o_w, false, "d", 8, "weights") || !arg.get(o_arg, true, "i", 4, "out_arg"))
    return nullptr;
  const int m = static_cast<int>(w.count());
  if (d < 1 || m < 1 || k < 1 || k > m || sites.count() != static_cast<Py_ssize_t>(m) * d ||
      pts.count() % d != 0 || arg.count() != (pts.count() / d) * k) {
    PyErr_SetString(PyExc_ValueError, "k_nearest: inconsistent buffer sizes");
    return nullptr;
  }
  const Py_ssize_t count = pts.count() / d;
  Py_BEGIN_ALLOW_THREADS;
  KdTree tree(sites.data<double>(), m, d);
  tree.set_weights(w.data<double>());
  const double* p = pts.data<double>();
  int* out = arg.data<int>();
  parallel_for(count, threads, [&](Py_ssize_t lo, Py_ssize_t hi) {
    std::vector<int> stack, tmp_arg(k);
    std::vector<double> tmp_best(k);
    for (Py_ssize_t i = lo; i < hi; ++i)
      tree.query_k(p + i * d, k, out + i * k, tmp_best.data(), tmp_arg.data(), stack);
  });
  Py_END_ALLOW_THREADS;
  Py_RETURN_NONE;
}

enum Status { kOptimal = 0, kWithinTolerance = 1, kRoundCap = 2, kPivotCap = 3, kArtificial = 4 };

// The transportation problem on the candidate graph, solved by the network simplex: the
// graph interface of column_generation() below.
class SimplexGraph {
 public:
  // The first basis is the monotone plan along the curve (north-west corner rule), a feasible
  // basic solution. Its arcs are candidates; its balanced stretches (between points where
  // both sides run out together) go into the first basis as they are, each hung from the
  // root by a zero-flow artificial arc; every other point hangs from the root by an
  // artificial arc carrying its whole mass.
  SimplexGraph(int n, int m, const double* x, const double* y, const double* a, const double* b,
               int d, const int* ox, const int* oy, size_t reserve)
      : ns_(n, m), n_(n), d_(d), x_(x), y_(y), mass_(std::accumulate(a, a + n, 0.0)) {
    Arcs& arcs = ns_.arcs;
    const int R = ns_.root();
    arcs.tail.reserve(reserve + 3 * static_cast<size_t>(n + m));
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
      ns_.attach(k, R, e);
    }
  }

  void add(int i, int j, double c) {
    max_cost_ = std::max(max_cost_, c);
    ns_.arcs.add(i, n_ + j, c, 0.0);
  }

  // Called once the candidate arcs are in: the artificial cost M, above any real path's cost
  // in practice (raised in optimize() if flow stays on the artificial arcs).
  void finish() {
    big_m_ = 4.0 * max_cost_ + 1.0;
    for (int e : ns_.artificial) ns_.arcs.cost[e] = big_m_;
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
      for (int e : ns_.artificial) ns_.arcs.cost[e] = big_m_;
      ns_.recompute_all();
    }
    ns_.recompute_all();
    return optimal;
  }

  bool artificial_flow_left() const { return art_flow_ > 1e-12 * mass_; }
  double artificial_flow() const { return art_flow_; }
  const std::vector<double>& pi() const { return ns_.pi(); }
  int64_t pivots() const { return ns_.pivots; }
  int arc_count() const { return ns_.arcs.size(); }

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
  double cost(int i, int j) const {
    return euclid(x_ + static_cast<size_t>(i) * d_, y_ + static_cast<size_t>(j) * d_, d_);
  }

  NetworkSimplex ns_;
  int n_, d_;
  const double *x_, *y_;
  double mass_, max_cost_ = 0.0, big_m_ = 1.0, art_flow_ = 0.0;
};

// ---------------------------------------------------------------------------------------------
// Shortest augmenting paths for the assignment problem
// ---------------------------------------------------------------------------------------------
//
// With n sources and n sinks of one and the same mass the transportation LP is an assignment
// problem, on which the primal network simplex is at its worst (every basis is degenerate:
// n - 1 of its 2n arcs carry no flow, and most pivots move no flow). The Hungarian method in
// its shortest-augmenting-path form is used there instead: duals (u, v) with reduced costs
// c_ij - u_i - v_j >= 0 on every arc of the graph and 0 on the matched ones; each free source
// is matched by a Dijkstra search on reduced costs to the nearest free sink, after which the
// duals of the nodes it settled move by their distance, keeping every reduced cost >= 0.
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
    for (int i = 0; i < n_; ++i) {
      if (mate_x_[i] >= 0) continue;
      if (augments_ >= max_pivots) return false;
      if (!augment(i)) return false;  // no free sink reachable: cannot happen (see below)
      ++augments_;
    }
    return true;
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

  // One shortest augmenting path from the free source s. A free sink is always reachable:
  // the graph holds a perfect matching (the monotone pairs along the curve are candidates),
  // so an alternating path to a free sink exists.
  bool augment(int s) {
    ++stamp_;
    heap_.clear();
    settled_y_.clear();
    settled_x_.clear();
    dsrc_[s] = 0.0;
    settled_x_.push_back(s);
    scan(s, 0.0);
    int free_sink = -1;
    double big_d = 0.0;
    while (!heap_.empty()) {
      std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
      auto [d, j] = heap_.back();
      heap_.pop_back();
      if (settled_[j] == stamp_ || d > dist_[j]) continue;
      settled_[j] = stamp_;
      settled_y_.push_back(j);
      if (mate_y_[j] < 0) {
        free_sink = j;
        big_d = d;
        break;
      }
      int i = mate_y_[j];
      dsrc_[i] = d;
      settled_x_.push_back(i);
      scan(i, d);
    }
    if (free_sink < 0) return false;
    for (int j : settled_y_) v_[j] += dist_[j] - big_d;
    for (int i : settled_x_) u_[i] += big_d - dsrc_[i];
    for (int j = free_sink;;) {
      int i = pred_[j];
      int next = mate_x_[i];
      match(i, j, pred_cost_[j]);
      if (i == s) break;
      j = next;
    }
    return true;
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
  std::vector<int> dirty_list_, settled_x_, settled_y_;
  std::vector<std::pair<double, int>> heap_;
  std::vector<double> pi_;
  int stamp_ = 0;
  int64_t augments_ = 0;
  size_t arcs_ = 0;
};

// What column_generation() reads and writes (the solve() call's buffers).
struct Problem {
  int n, m, d, threads, max_rounds;
  const double *x, *y, *a, *b;
  double rtol, rc_tol;
  int64_t max_pivots;
  double *fx, *fy;  // out: the c-transform at x and at y
};

struct Outcome {
  int status = kRoundCap, rounds = 0;
  double upper = kInf, lower = -kInf, t_graph = 0.0, t_pricing = 0.0;
};

// Rounds of "solve on the graph, price every pair with the k-d trees, add the arcs of negative
// reduced cost", with the certificate's bounds. G is SimplexGraph or AssignmentGraph.
template <class G>
Outcome column_generation(G& g, const Problem& pr) {
  using clock = std::chrono::steady_clock;
  const int n = pr.n, m = pr.m, d = pr.d;
  const double *x = pr.x, *y = pr.y;
  Outcome out;
  KdTree tree_x(x, n, d), tree_y(y, m, d);
  std::vector<double> wx(n), wy(m), gy(m);
  std::vector<int> hint_x(n, -1), hint_y(m, -1), arg_x(n), arg_y(m), arg_tmp(m);
  double* fx = pr.fx;
  double* fy = pr.fy;
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
    // The plan's cost, and a partner of each point for the pricing's first bound.
    Sum ub;
    g.for_each_basic([&](int i, int j, double f, double c) {
      hint_x[i] = j;
      hint_y[j] = i;
      if (f > 0.0) ub.add(f * c);
    });
    out.upper = ub.value();
    // Pricing: f(z) = min_j ||z - y_j|| - pi_j at every x (and every y, for the bound),
    // g(z) = min_i ||z - x_i|| + pi_i at every y. The reduced cost of (i, j) is
    // c_ij + pi_i - pi_j, so min_j of it is f(x_i) + pi_i and min_i of it is g(y_j) - pi_j.
    for (int j = 0; j < m; ++j) wy[j] = -pi[n + j];
    for (int i = 0; i < n; ++i) wx[i] = pi[i];
    tree_y.set_weights(wy.data(), true);
    tree_x.set_weights(wx.data(), true);
    parallel_for(n, pr.threads, [&](Py_ssize_t lo, Py_ssize_t hi) {
      std::vector<int> st;
      for (Py_ssize_t i = lo; i < hi; ++i)
        fx[i] = tree_y.query(x + static_cast<size_t>(i) * d, hint_x[i], &arg_x[i], st, kTie);
    });
    parallel_for(m, pr.threads, [&](Py_ssize_t lo, Py_ssize_t hi) {
      std::vector<int> st;
      for (Py_ssize_t j = lo; j < hi; ++j)
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
    const int added = static_cast<int>(fresh.size());
    // The lower bound needs f at every y too: a third query per point, taken only when the
    // rounds may stop here (few arcs added, or a cap or the optimum reached). A skipped
    // round's bound could not have met rtol in practice; the rounds then go on regardless.
    const bool last = added == 0 || !optimal_on_graph || rounds == pr.max_rounds ||
                      g.artificial_flow_left();
    bool have_lower = false;
    if (last || static_cast<int64_t>(added) * kBoundEvery <= n + m) {
      parallel_for(m, pr.threads, [&](Py_ssize_t lo, Py_ssize_t hi) {
        std::vector<int> st;
        for (Py_ssize_t j = lo; j < hi; ++j)
          fy[j] = tree_y.query(y + static_cast<size_t>(j) * d, static_cast<int>(j), &arg_tmp[j], st, kTie);
      });
      Sum lb;
      for (int i = 0; i < n; ++i) lb.add(pr.a[i] * fx[i]);
      for (int j = 0; j < m; ++j) lb.add(-pr.b[j] * fy[j]);
      out.lower = lb.value();
      have_lower = true;
    }
    out.t_pricing += std::chrono::duration<double>(clock::now() - t1).count();
    if (!optimal_on_graph) {
      out.status = kPivotCap;
      break;
    }
    if (g.artificial_flow_left()) {
      out.status = kArtificial;
      break;
    }
    if (added == 0) {
      out.status = kOptimal;
      break;
    }
    if (have_lower && out.upper - out.lower <= pr.rtol * std::fabs(out.upper)) {
      out.status = kWithinTolerance;
      break;
    }
    if (rounds == pr.max_rounds) {
      out.status = kRoundCap;
      break;
    }
    for (const auto& [i, j] : fresh) g.add(i, j, cost(i, j));
  }
  out.rounds = std::min(rounds, pr.max_rounds);
  return out;
}

// solve(x, y, a, b, cand_i, cand_j, order_x, order_y, d, rtol, rc_tol, max_rounds,
//       max_pivots, out_rows, out_cols, out_mass, out_pi, out_fx, out_fy, out_stats, threads,
//       assignment, u0, v0) -> arcs
//
// x (n*d), y (m*d), a (n), b (m): float64, weights > 0. cand_i/cand_j (int32): candidate
// arcs. order_x/order_y (int32): the points along a space-filling curve, for the first basis
// (the monotone plan along that order). assignment (0/1): n == m and every weight the same;
// the graph is then solved by shortest augmenting paths from the duals u0 (n), v0 (m), which
// must be feasible on the candidate arcs up to rounding (c_ij - u0_i - v0_j >= -few ulps;
// zeros are), instead of the network simplex. Outputs: the plan's arcs with positive mass (at
// most n + m), the potentials pi (n + m: sources then sinks, u_i = -pi_i, v_j = pi_{n+j}), the
// c-transform f(z) = min_j ||z - y_j|| - v_j at x and at y, and stats:
//   [status, rounds, pivots (augmentations), arcs, upper, lower, t_graph, t_pricing,
//    artificial_flow].
PyObject* py_solve(PyObject*, PyObject* args) {
  PyObject *o_x, *o_y, *o_a, *o_b, *o_ci, *o_cj, *o_ox, *o_oy;
  PyObject *o_rows, *o_cols, *o_mass, *o_pi, *o_fx, *o_fy, *o_stats, *o_u0, *o_v0;
  int d, max_rounds, threads, assignment;
  long long max_pivots;
  double rtol, rc_tol;
  if (!PyArg_ParseTuple(args, "OOOOOOOOiddiLOOOOOOOiiOO", &o_x, &o_y, &o_a, &o_b, &o_ci, &o_cj,
                        &o_ox, &o_oy, &d, &rtol, &rc_tol, &max_rounds, &max_pivots, &o_rows,
                        &o_cols, &o_mass, &o_pi, &o_fx, &o_fy, &o_stats, &threads, &assignment,
                        &o_u0, &o_v0))
    return nullptr;
  Buffer bx, by, ba, bb, bci, bcj, box, boy, brows, bcols, bmass, bpi, bfx, bfy, bstats, bu0, bv0;
  if (!bx.get(o_x, false, "d", 8, "x") || !by.get(o_y, false, "d", 8, "y") ||
      !ba.get(o_a, false, "d", 8, "a") || !bb.get(o_b, false, "d", 8, "b") ||
      !bci.get(o_ci, false, "i", 4, "cand_i") || !bcj.get(o_cj, false, "i", 4, "cand_j") ||
      !box.get(o_ox, false, "i", 4, "order_x") || !boy.get(o_oy, false, "i", 4, "order_y") ||
      !brows.get(o_rows, true, "i", 4, "out_rows") || !bcols.get(o_cols, true, "i", 4, "out_cols") ||
      !bmass.get(o_mass, true, "d", 8, "out_mass") || !bpi.get(o_pi, true, "d", 8, "out_pi") ||
      !bfx.get(o_fx, true, "d", 8, "out_fx") || !bfy.get(o_fy, true, "d", 8, "out_fy") ||
      !bstats.get(o_stats, true, "d", 8, "out_stats") || !bu0.get(o_u0, false, "d", 8, "u0") ||
      !bv0.get(o_v0, false, "d", 8, "v0"))
    return nullptr;
  const int n = static_cast<int>(ba.count()), m = static_cast<int>(bb.count());
  if (d < 1 || n < 1 || m < 1 || bx.count() != static_cast<Py_ssize_t>(n) * d ||
      by.count() != static_cast<Py_ssize_t>(m) * d || bci.count() != bcj.count() ||
      box.count() != n || boy.count() != m || brows.count() < n + m || bcols.count() < n + m ||
      bmass.count() < n + m || bpi.count() != n + m || bfx.count() != n || bfy.count() != m ||
      bstats.count() < 9 || bu0.count() != n || bv0.count() != m) {
    PyErr_SetString(PyExc_ValueError, "solve: inconsistent buffer sizes");
    return nullptr;
  }
  const double *x = bx.data<double>(), *y = by.data<double>();
  const double *a = ba.data<double>(), *b = bb.data<double>();
  const int *ci = bci.data<int>(), *cj = bcj.data<int>();
  const int *ox = box.data<int>(), *oy = boy.data<int>();
  for (Py_ssize_t k = 0; k < bci.count(); ++k)
    if (ci[k] < 0 || ci[k] >= n || cj[k] < 0 || cj[k] >= m) {
      PyErr_SetString(PyExc_ValueError, "solve: candidate arc out of range");
      return nullptr;
    }
  for (int k = 0; k < n; ++k)
    if (ox[k] < 0 || ox[k] >= n) {
      PyErr_SetString(PyExc_ValueError, "solve: order_x out of range");
      return nullptr;
    }
  for (int k = 0; k < m; ++k)
    if (oy[k] < 0 || oy[k] >= m) {
      PyErr_SetString(PyExc_ValueError, "solve: order_y out of range");
      return nullptr;
    }
  if (assignment) {
    bool same = n == m;
    for (int k = 0; same && k < n; ++k) same = a[k] == a[0] && b[k] == a[0];
    if (!same) {
      PyErr_SetString(PyExc_ValueError, "solve: assignment needs n == m and equal weights");
      return nullptr;
    }
  }
  const Problem pr{n, m, d, threads, max_rounds, x, y, a, b, rtol, rc_tol,
                   static_cast<int64_t>(max_pivots), bfx.data<double>(), bfy.data<double>()};
  int n_plan = 0;
  double* stats = bstats.data<double>();
  int* rows = brows.data<int>();
  int* cols = bcols.data<int>();
  double* pm = bmass.data<double>();
  double* out_pi = bpi.data<double>();
  Py_BEGIN_ALLOW_THREADS;
  auto finish = [&](auto& g, const Outcome& out) {
    g.for_each_basic([&](int i, int j, double f, double) {
      if (f <= 0.0 || n_plan >= n + m) return;  // a basis has at most n + m - 1 real arcs
      rows[n_plan] = i;
      cols[n_plan] = j;
      pm[n_plan] = f;
      ++n_plan;
    });
    const std::vector<double>& pi = g.pi();
    for (int k = 0; k < n + m; ++k) out_pi[k] = pi[k];
    stats[0] = out.status;
    stats[1] = out.rounds;
    stats[2] = static_cast<double>(g.pivots());
    stats[3] = g.arc_count();
    stats[4] = out.upper;
    stats[5] = out.lower;
    stats[6] = out.t_graph;
    stats[7] = out.t_pricing;
    stats[8] = g.artificial_flow();
  };
  if (assignment) {
    // The monotone pairs along the curve join the candidates: they keep a perfect matching
    // in the graph.
    AssignmentGraph g(n, a[0], x, y, d, bu0.data<double>(), bv0.data<double>());
    for (int k = 0; k < n; ++k)
      g.add(ox[k], oy[k], euclid(x + static_cast<size_t>(ox[k]) * d, y + static_cast<size_t>(oy[k]) * d, d));
    for (Py_ssize_t k = 0; k < bci.count(); ++k)
      g.add(ci[k], cj[k], euclid(x + static_cast<size_t>(ci[k]) * d, y + static_cast<size_t>(cj[k]) * d, d));
    g.finish();
    finish(g, column_generation(g, pr));
  } else {
    SimplexGraph g(n, m, x, y, a, b, d, ox, oy, static_cast<size_t>(bci.count()));
    for (Py_ssize_t k = 0; k < bci.count(); ++k)
      g.add(ci[k], cj[k], euclid(x + static_cast<size_t>(ci[k]) * d, y + static_cast<size_t>(cj[k]) * d, d));
    g.finish();
    finish(g, column_generation(g, pr));
  }
  Py_END_ALLOW_THREADS;
  return PyLong_FromLong(n_plan);
}

PyMethodDef methods[] = {
    {"solve", py_solve, METH_VARARGS, "Exact W1 by column generation (see the source)."},
    {"c_transform", py_c_transform, METH_VARARGS,
     "min_j ||p_k - s_j|| + w_j and its argmin for every point p_k, by a k-d tree."},
    {"k_nearest", py_k_nearest, METH_VARARGS,
     "The k sites of smallest ||p - s_j|| + w_j for every point p, by a k-d tree."},
    {nullptr, nullptr, 0, nullptr}};

struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ot_native",
                             "Compiled kernels of the sparse Wasserstein-1 solver.", -1, methods};

}  // namespace

PyMODINIT_FUNC PyInit__ot_native(void) { return PyModule_Create(&module); }
