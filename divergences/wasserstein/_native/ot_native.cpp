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
    pos_.resize(n);
    for (int k = 0; k < n; ++k) pos_[idx_[k]] = k;
  }

  // Sets the additive weights (indexed like the input points) and the subtree minima.
  void set_weights(const double* w) {
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
  }

  // min_p ||q - x_p|| + w_p and its argmin (input index). `hint` (an input index, or -1)
  // seeds the bound. Exact: a box is skipped only when no point in it can be strictly better.
  double query(const double* q, int hint, int* arg, std::vector<int>& stack) const {
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
        stack);
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

  // Branch and bound: visits, nearer bound first, every box whose bound (distance to q plus
  // smallest weight inside) is below bound(), and hands each point there to leaf(p, value).
  template <class Bound, class Leaf>
  void search(const double* q, Bound bound, Leaf leaf, std::vector<int>& stack) const {
    stack.clear();
    stack.push_back(0);
    while (!stack.empty()) {
      int t = stack.back();
      stack.pop_back();
      const Node& nd = nodes_[t];
      if (box_dist(q, t) + minw_[t] >= bound()) continue;
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
      double bl = box_dist(q, nd.left) + minw_[nd.left];
      double br = box_dist(q, nd.right) + minw_[nd.right];
      int near = bl <= br ? nd.left : nd.right, far = bl <= br ? nd.right : nd.left;
      if (std::max(bl, br) < bound()) stack.push_back(far);  // popped last
      if (std::min(bl, br) < bound()) stack.push_back(near);
    }
  }

  double dist2(const double* q, const double* p) const {
    double s = 0.0;
    for (int c = 0; c < d_; ++c) {
      double t = q[c] - p[c];
      s += t * t;
    }
    return s;
  }

  double dist(const double* q, const double* p) const {
    double s = 0.0;
    for (int c = 0; c < d_; ++c) {
      double t = q[c] - p[c];
      s += t * t;
    }
    return std::sqrt(s);
  }

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
  std::vector<double> pts_, w_, minw_, lo_, hi_;
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
  NetworkSimplex(int n, int m) : n_(n), m_(m), N_(n + m + 1), root_(n + m) {
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

  int n_, m_, N_, root_;
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

// c_transform(points, sites, weights, out_value, out_arg):
//   out_value[k] = min_j ||points_k - sites_j|| + weights_j, out_arg[k] = its argmin.
PyObject* py_c_transform(PyObject*, PyObject* args) {
  PyObject *o_pts, *o_sites, *o_w, *o_val, *o_arg;
  int d, threads;
  if (!PyArg_ParseTuple(args, "OOOOOii", &o_pts, &o_sites, &o_w, &o_val, &o_arg, &d, &threads))
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
  tree.set_weights(w.data<double>());
  const double* p = pts.data<double>();
  double* out = val.data<double>();
  int* am = arg.data<int>();
  parallel_for(k, threads, [&](Py_ssize_t lo, Py_ssize_t hi) {
    std::vector<int> stack;
    for (Py_ssize_t i = lo; i < hi; ++i) out[i] = tree.query(p + i * d, -1, &am[i], stack);
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

// solve(x, y, a, b, cand_i, cand_j, order_x, order_y, d, rtol, rc_tol, max_rounds,
//       max_pivots, out_rows, out_cols, out_mass, out_pi, out_fx, out_fy, out_stats) -> arcs
//
// x (n*d), y (m*d), a (n), b (m): float64, weights > 0. cand_i/cand_j (int32): candidate
// arcs. order_x/order_y (int32): the points along a space-filling curve, for the first basis
// (the monotone plan along that order). Outputs: the plan's arcs with positive mass (at most
// n + m), the potentials pi (n + m: sources then sinks, u_i = -pi_i, v_j = pi_{n+j}), the
// c-transform f(z) = min_j ||z - y_j|| - v_j at x and at y, and stats:
//   [status, rounds, pivots, arcs, upper, lower, t_simplex, t_pricing, artificial_flow].
PyObject* py_solve(PyObject*, PyObject* args) {
  PyObject *o_x, *o_y, *o_a, *o_b, *o_ci, *o_cj, *o_ox, *o_oy;
  PyObject *o_rows, *o_cols, *o_mass, *o_pi, *o_fx, *o_fy, *o_stats;
  int d, max_rounds, threads;
  long long max_pivots;
  double rtol, rc_tol;
  if (!PyArg_ParseTuple(args, "OOOOOOOOiddiLOOOOOOOi", &o_x, &o_y, &o_a, &o_b, &o_ci, &o_cj,
                        &o_ox, &o_oy, &d, &rtol, &rc_tol, &max_rounds, &max_pivots, &o_rows,
                        &o_cols, &o_mass, &o_pi, &o_fx, &o_fy, &o_stats, &threads))
    return nullptr;
  Buffer bx, by, ba, bb, bci, bcj, box, boy, brows, bcols, bmass, bpi, bfx, bfy, bstats;
  if (!bx.get(o_x, false, "d", 8, "x") || !by.get(o_y, false, "d", 8, "y") ||
      !ba.get(o_a, false, "d", 8, "a") || !bb.get(o_b, false, "d", 8, "b") ||
      !bci.get(o_ci, false, "i", 4, "cand_i") || !bcj.get(o_cj, false, "i", 4, "cand_j") ||
      !box.get(o_ox, false, "i", 4, "order_x") || !boy.get(o_oy, false, "i", 4, "order_y") ||
      !brows.get(o_rows, true, "i", 4, "out_rows") || !bcols.get(o_cols, true, "i", 4, "out_cols") ||
      !bmass.get(o_mass, true, "d", 8, "out_mass") || !bpi.get(o_pi, true, "d", 8, "out_pi") ||
      !bfx.get(o_fx, true, "d", 8, "out_fx") || !bfy.get(o_fy, true, "d", 8, "out_fy") ||
      !bstats.get(o_stats, true, "d", 8, "out_stats"))
    return nullptr;
  const int n = static_cast<int>(ba.count()), m = static_cast<int>(bb.count());
  if (d < 1 || n < 1 || m < 1 || bx.count() != static_cast<Py_ssize_t>(n) * d ||
      by.count() != static_cast<Py_ssize_t>(m) * d || bci.count() != bcj.count() ||
      box.count() != n || boy.count() != m || brows.count() < n + m || bcols.count() < n + m ||
      bmass.count() < n + m || bpi.count() != n + m || bfx.count() != n || bfy.count() != m ||
      bstats.count() < 9) {
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
  int n_plan = 0;
  double* stats = bstats.data<double>();
  Py_BEGIN_ALLOW_THREADS;
  using clock = std::chrono::steady_clock;
  double t_simplex = 0.0, t_pricing = 0.0;
  NetworkSimplex ns(n, m);
  Arcs& arcs = ns.arcs;
  const int R = ns.root();
  arcs.tail.reserve(static_cast<size_t>(bci.count()) + 3 * static_cast<size_t>(n + m));
  double max_cost = 0.0;
  // The monotone plan along the curve (north-west corner rule): a feasible basic solution.
  // Its arcs are candidates; its balanced stretches (between points where both sides run out
  // together, as with equal uniform weights) go into the first basis as they are, each hung
  // from the root by a zero-flow artificial arc; every other point hangs from the root by an
  // artificial arc carrying its whole mass. Both choices keep the tree strongly feasible.
  std::vector<uint8_t> placed(n + m, 0);
  {
    std::vector<int> seg_arcs;
    int i = 0, j = 0;
    double ra = a[ox[0]], rb = b[oy[0]];
    const size_t max_segment = 64;
    while (i < n && j < m) {
      int si = ox[i], tj = oy[j];
      double f = std::min(ra, rb);
      double c = euclid(x + static_cast<size_t>(si) * d, y + static_cast<size_t>(tj) * d, d);
      max_cost = std::max(max_cost, c);
      int e = arcs.add(si, n + tj, c, f);
      seg_arcs.push_back(e);
      ra -= f;
      rb -= f;
      bool adv_i = ra <= 0.0, adv_j = rb <= 0.0;
      if (adv_i && adv_j && seg_arcs.size() <= max_segment) {
        // A balanced stretch: its arcs form a path starting at a source.
        int s0 = arcs.tail[seg_arcs[0]];
        int ea = arcs.add(s0, R, 0.0, 0.0);  // cost set below, once M is known
        ns.artificial.push_back(ea);
        ns.attach(s0, R, ea);
        placed[s0] = 1;
        for (int k : seg_arcs) {
          int t = arcs.tail[k], h = arcs.head[k];
          if (!placed[t]) {
            ns.attach(t, h, k);
            placed[t] = 1;
          } else if (!placed[h]) {
            ns.attach(h, t, k);
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
      ns.artificial.push_back(e);
      ns.attach(k, R, e);
    }
  }
  for (Py_ssize_t k = 0; k < bci.count(); ++k) {
    double c = euclid(x + static_cast<size_t>(ci[k]) * d, y + static_cast<size_t>(cj[k]) * d, d);
    max_cost = std::max(max_cost, c);
    arcs.add(ci[k], n + cj[k], c, 0.0);
  }
  // Artificial cost: above any real path's cost in practice; raised if flow stays on them.
  double big_m = 4.0 * max_cost + 1.0;
  for (int e : ns.artificial) arcs.cost[e] = big_m;
  ns.recompute_all();

  KdTree tree_x(x, n, d), tree_y(y, m, d);
  std::vector<double> wx(n), wy(m), gy(m);
  std::vector<int> hint_x(n, -1), hint_y(m, -1), arg_x(n), arg_y(m), arg_tmp(m), stack;
  double* fx = bfx.data<double>();
  double* fy = bfy.data<double>();
  int status = kRoundCap, rounds = 0;
  double upper = kInf, lower = -kInf, art_flow = 0.0;
  bool have_lower = false;
  const double mass = std::accumulate(a, a + n, 0.0);
  for (rounds = 1; rounds <= max_rounds; ++rounds) {
    auto t0 = clock::now();
    bool optimal_on_graph = false;
    for (int raise = 0; raise < 40; ++raise) {
      int64_t left = max_pivots - ns.pivots;
      optimal_on_graph = ns.run(rc_tol, left > 0 ? left : 0);
      if (!optimal_on_graph) break;
      art_flow = 0.0;
      for (int e : ns.artificial) art_flow += arcs.flow[e];
      if (art_flow <= 1e-12 * mass) break;
      big_m *= 8.0;  // flow through the root is cheaper than the graph allows: raise M
      for (int e : ns.artificial) arcs.cost[e] = big_m;
      ns.recompute_all();
    }
    ns.recompute_all();
    t_simplex += std::chrono::duration<double>(clock::now() - t0).count();
    auto t1 = clock::now();
    const std::vector<double>& pi = ns.pi();
    // The plan's cost, and a partner of each point for the pricing's first bound.
    Sum ub;
    for (int e = 0; e < arcs.size(); ++e) {
      if (!arcs.in_tree[e] || arcs.tail[e] == R || arcs.head[e] == R) continue;
      int i = arcs.tail[e], j = arcs.head[e] - n;
      hint_x[i] = j;
      hint_y[j] = i;
      if (arcs.flow[e] > 0.0) ub.add(arcs.flow[e] * arcs.cost[e]);
    }
    upper = ub.value();
    // Pricing: f(z) = min_j ||z - y_j|| - pi_j at every x (and every y, for the bound),
    // g(z) = min_i ||z - x_i|| + pi_i at every y. The reduced cost of (i, j) is
    // c_ij + pi_i - pi_j, so min_j of it is f(x_i) + pi_i and min_i of it is g(y_j) - pi_j.
    for (int j = 0; j < m; ++j) wy[j] = -pi[n + j];
    for (int i = 0; i < n; ++i) wx[i] = pi[i];
    tree_y.set_weights(wy.data());
    tree_x.set_weights(wx.data());
    parallel_for(n, threads, [&](Py_ssize_t lo, Py_ssize_t hi) {
      std::vector<int> st;
      for (Py_ssize_t i = lo; i < hi; ++i)
        fx[i] = tree_y.query(x + static_cast<size_t>(i) * d, hint_x[i], &arg_x[i], st);
    });
    parallel_for(m, threads, [&](Py_ssize_t lo, Py_ssize_t hi) {
      std::vector<int> st;
      for (Py_ssize_t j = lo; j < hi; ++j)
        gy[j] = tree_x.query(y + static_cast<size_t>(j) * d, hint_y[j], &arg_y[j], st);
    });
    int added = 0;
    for (int i = 0; i < n; ++i) {
      if (fx[i] + pi[i] < -rc_tol) {
        int j = arg_x[i];
        arcs.add(i, n + j, euclid(x + static_cast<size_t>(i) * d, y + static_cast<size_t>(j) * d, d), 0.0);
        ++added;
      }
    }
    for (int j = 0; j < m; ++j) {
      if (gy[j] - pi[n + j] < -rc_tol) {
        int i = arg_y[j];
        if (fx[i] + pi[i] < -rc_tol && arg_x[i] == j) continue;  // added above
        arcs.add(i, n + j, euclid(x + static_cast<size_t>(i) * d, y + static_cast<size_t>(j) * d, d), 0.0);
        ++added;
      }
    }
    // The lower bound needs f at every y too: a third query per point, taken only when the
    // rounds may stop here (few arcs added, or a cap or the optimum reached). A skipped
    // round's bound could not have met rtol in practice; the rounds then go on regardless.
    const bool last = added == 0 || !optimal_on_graph || rounds == max_rounds ||
                      art_flow > 1e-12 * mass;
    if (last || static_cast<int64_t>(added) * kBoundEvery <= n + m) {
      parallel_for(m, threads, [&](Py_ssize_t lo, Py_ssize_t hi) {
        std::vector<int> st;
        for (Py_ssize_t j = lo; j < hi; ++j)
          fy[j] = tree_y.query(y + static_cast<size_t>(j) * d, static_cast<int>(j), &arg_tmp[j], st);
      });
      Sum lb;
      for (int i = 0; i < n; ++i) lb.add(a[i] * fx[i]);
      for (int j = 0; j < m; ++j) lb.add(-b[j] * fy[j]);
      lower = lb.value();
      have_lower = true;
    } else {
      have_lower = false;
    }
    t_pricing += std::chrono::duration<double>(clock::now() - t1).count();
    if (!optimal_on_graph) {
      status = kPivotCap;
      break;
    }
    if (art_flow > 1e-12 * mass) {
      status = kArtificial;
      break;
    }
    if (added == 0) {
      status = kOptimal;
      break;
    }
    if (have_lower && upper - lower <= rtol * std::fabs(upper)) {
      status = kWithinTolerance;
      break;
    }
    if (rounds == max_rounds) {
      status = kRoundCap;
      break;
    }
  }
  if (rounds > max_rounds) rounds = max_rounds;
  const std::vector<double>& pi = ns.pi();
  int* rows = brows.data<int>();
  int* cols = bcols.data<int>();
  double* pm = bmass.data<double>();
  for (int e = 0; e < arcs.size(); ++e) {
    if (!arcs.in_tree[e] || arcs.flow[e] <= 0.0 || arcs.tail[e] == R || arcs.head[e] == R) continue;
    if (n_plan >= n + m) break;  // cannot happen: a tree has n + m arcs
    rows[n_plan] = arcs.tail[e];
    cols[n_plan] = arcs.head[e] - n;
    pm[n_plan] = arcs.flow[e];
    ++n_plan;
  }
  double* out_pi = bpi.data<double>();
  for (int k = 0; k < n + m; ++k) out_pi[k] = pi[k];
  stats[0] = status;
  stats[1] = rounds;
  stats[2] = static_cast<double>(ns.pivots);
  stats[3] = arcs.size();
  stats[4] = upper;
  stats[5] = lower;
  stats[6] = t_simplex;
  stats[7] = t_pricing;
  stats[8] = art_flow;
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
