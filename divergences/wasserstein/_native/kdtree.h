// A k-d tree over points with an additive weight per point, answering
// min_p ||q - x_p|| + w_p exactly by branch and bound (a box's bound is its distance to q plus
// the smallest weight inside). With w = -v this is the c-transform of a potential v, the
// pricing oracle of the column generation (column_generation.h).
//
// Reference: Bentley, CACM 18, 1975 (k-d trees); Villani, Optimal Transport, 2009, Thm 5.10
// and Remark 6.5 (c-transforms).

#ifndef DIVERGENCES_OT_KDTREE_H_
#define DIVERGENCES_OT_KDTREE_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <vector>

#include "common.h"

namespace dvot {
namespace {  // one translation unit (the module): internal linkage, free inlining

// The pricing's queries skip a box that can beat the best value found by at most this many
// ulps (relative): a Kantorovich potential is linear along its transport rays, so whole rays
// of points tie to the last bits, and proving a strict minimum there means opening every box
// along the ray. The c-transform is then the minimum to within 16 ulps, which the solver's
// certificate allows for (the bounds are widened by 64 ulps of the potentials).
constexpr double kTie = 16 * std::numeric_limits<double>::epsilon();


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
    nrm_.assign(nodes_.size() * static_cast<size_t>(d) * (d - 1), 0.0);
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
  // smallest weight, or, where larger, <e, q> + min_p (w_p - <e, x_p>) + off_ray for the
  // node's unit direction e. With r = q - x_p, ||r|| - <e, r> >= 0 (the second bound without
  // off_ray, exact where the weights are linear with unit slope along e, as a Kantorovich
  // potential is along its transport rays: the first bound leaves every box along a ray to
  // be opened, sqrt(n) leaves per query for a translated copy). off_ray bounds
  // ||r|| - <e, r> from below over the box: it is 0 only on the ray {q - t e, t >= 0}, and
  // the boxes beside the ray, which the second bound alone would open too, are cut by it.
  // Directions are tried only below `cut`.
  double lower(const double* q, int t, double cut) const {
    double b = box_dist(q, t) + minw_[t];
    if (b >= cut || !(mdir_[t] > -kInf)) return b;
    const double* e = &dir_[static_cast<size_t>(t) * d_];
    double s = 0.0;
    for (int c = 0; c < d_; ++c) s += e[c] * q[c];
    s += mdir_[t];
    if (s < cut) s += off_ray(q, t);
    return std::max(b, s);
  }

  // A lower bound on ||r|| - <e, r> over r = q - x, x in node t's box: since
  // ||r|| - <e, r> = (||r||^2 - <e, r>^2) / (||r|| + <e, r>) >= h^2 / (2 ||r||), with h the
  // distance of r from the line along e, it is at least h_min^2 / (2 R), h_min bounding h
  // from below over the box (by the box's extent along each unit normal n_k of e: h^2 is
  // the sum of <n_k, r>^2) and R the box's farthest point from q. Shaved by a relative
  // 1e-12 against rounding (a few ulps of terms that are themselves below the bound).
  double off_ray(const double* q, int t) const {
    const double* lo = &lo_[static_cast<size_t>(t) * d_];
    const double* hi = &hi_[static_cast<size_t>(t) * d_];
    const double* nrm = nrm_.data() + static_cast<size_t>(t) * d_ * (d_ - 1);
    double h2 = 0.0;
    for (int k = 0; k + 1 < d_; ++k) {
      const double* nk = nrm + static_cast<size_t>(k) * d_;
      double omin = 0.0, omax = 0.0;  // <n_k, x - q> over the box
      for (int c = 0; c < d_; ++c) {
        const double p = nk[c] * (lo[c] - q[c]), r = nk[c] * (hi[c] - q[c]);
        omin += std::min(p, r);
        omax += std::max(p, r);
      }
      const double h = omin > 0.0 ? omin : (omax < 0.0 ? -omax : 0.0);
      h2 += h * h;
    }
    if (!(h2 > 0.0)) return 0.0;
    double r2 = 0.0;
    for (int c = 0; c < d_; ++c) {
      const double f = std::max(std::fabs(lo[c] - q[c]), std::fabs(hi[c] - q[c]));
      r2 += f * f;
    }
    return h2 / (2.0 * std::sqrt(r2)) * (1.0 - 1e-12);
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
      normals(e, nrm_.data() + t * d * (d - 1));
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

  // d - 1 orthonormal vectors normal to the unit vector e (d <= 3), into out (row-major).
  void normals(const double* e, double* out) const {
    if (d_ == 2) {
      out[0] = -e[1];
      out[1] = e[0];
    } else if (d_ == 3) {
      // A first normal from e and the axis least aligned with it, the second by e x n1.
      int axis = 0;
      for (int c = 1; c < 3; ++c)
        if (std::fabs(e[c]) < std::fabs(e[axis])) axis = c;
      double a[3] = {0.0, 0.0, 0.0};
      a[axis] = 1.0;
      double n1[3] = {e[1] * a[2] - e[2] * a[1], e[2] * a[0] - e[0] * a[2],
                      e[0] * a[1] - e[1] * a[0]};
      const double len = std::sqrt(n1[0] * n1[0] + n1[1] * n1[1] + n1[2] * n1[2]);
      for (double& v : n1) v /= len;
      const double n2[3] = {e[1] * n1[2] - e[2] * n1[1], e[2] * n1[0] - e[0] * n1[2],
                            e[0] * n1[1] - e[1] * n1[0]};
      for (int c = 0; c < 3; ++c) {
        out[c] = n1[c];
        out[3 + c] = n2[c];
      }
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
  std::vector<double> pts_, w_, minw_, lo_, hi_, dir_, mdir_, nrm_;
  std::vector<Node> nodes_;
};

}  // namespace
}  // namespace dvot

#endif  // DIVERGENCES_OT_KDTREE_H_
