// The Python module `divergences.wasserstein._ot_native`: the binding of the compiled part of
// the sparse Wasserstein-1 solver and of the grid flow (the algorithms are in the headers
// beside this file).
//
// Written against CPython's limited API (3.11: the buffer protocol is part of it there), so one
// build serves every CPython from 3.11 on (an abi3 wheel). Arrays come in through the buffer
// protocol (C-contiguous float64 / int32, e.g. NumPy arrays) and go out as memoryviews of the
// same formats (np.asarray(view) wraps them without a copy).
//
// Every entry point parses keyword options, checks its input (sizes, finiteness, signs) and
// raises ValueError or TypeError at the boundary, releases the GIL around the computation, and
// turns any C++ exception into a Python one with the GIL held: std::bad_alloc (and
// std::length_error, a size past what a vector can hold) into MemoryError, anything else
// (a failed thread start included) into RuntimeError.
//
// solve(x, y, a, b, *, arc_rows=None, arc_cols=None, rtol=0.0, rc_tol=1e-13,
//       max_rounds=100, max_pivots=2**62, threads=1, assignment=False, u0=None, v0=None,
//       order_x=None, order_y=None, basis_rows=None, basis_cols=None,
//       layout_nodes=32768, arcs_per_point=1) -> dict
//   Exact W1 between (x, a) and (y, b) by column generation (column_generation.h).
//   x (n, d), y (m, d): float64 points; a (n,), b (m,): float64 masses, finite, >= 0, with
//   equal totals. arc_rows / arc_cols (int32, equal lengths): the candidate arcs the graph
//   starts from. order_x / order_y (int32 permutations, default identity): the order along
//   which the first basis is the monotone plan (the points should come numbered along a
//   space-filling curve). assignment: n == m and every mass the same; the graph is then
//   solved by shortest augmenting paths from the duals v0 (m,) (default 0; any finite
//   values: the first solve sets u_i = min_j c_ij - v0_j over the arcs, overwriting u0),
//   instead of the network simplex.
//   Without assignment, u0 and v0 are a guess of the duals (any finite values): the
//   network simplex's first basis starts at it (SimplexGraph, network_simplex.h).
//   basis_rows / basis_cols (int32, equal lengths; without assignment): the support of a plan
//   nearly coupling (a, b), a forest: the first basis is that forest where its flows for
//   (a, b) are positive, else the monotone plan (forest_start in the result says which).
//   threads: the pricing queries' threads.
//   layout_nodes: graphs of this many nodes (n + m + 1) or more are solved on nodes renumbered
//   along the simplex's tree (network_simplex.h); a speed setting, the result is the same.
//   arcs_per_point (1 to 64): each pricing round adds, for every point with an arc of negative
//   reduced cost, up to this many such arcs, those of least reduced cost (column_generation.h);
//   a speed setting: the certificate is the same, the rounds and pivots differ.
//   Result (a dict):
//     status          int, a value of STATUS (only OPTIMAL and WITHIN_TOLERANCE certify)
//     value           the plan's cost, sum_k mass_k ||x_rows_k - y_cols_k||
//     upper_bound     value when the plan is a coupling of (a, b), else +inf
//     lower_bound     sum_i a_i f(x_i) - sum_j b_j f(y_j) (Kantorovich-Rubinstein)
//     marginal_error  sum_i |plan row i - a_i| + sum_j |plan column j - b_j|
//     rounds, pivots  rounds of column generation; pivots (or augmentations) of the graph
//     arcs            the candidate graph's final arc count
//     artificial_flow mass left on the network simplex's artificial arcs
//     rows, cols      int32 (k,): the plan's arcs of positive mass (k <= n + m - 1)
//     mass            float64 (k,): their masses
//     u, v            float64 (n,), (m,): the graph's duals, u_i + v_j <= c_ij on its arcs
//                     (equal on the plan's)
//     f_x, f_y        float64 (n,), (m,): the c-transform f(z) = min_j ||z - y_j|| - v_j at
//                     every x and y (to within kTie: the pricing's tie tolerance)
//     t_graph, t_pricing  seconds in the graph solver and in the pricing
//     degenerate, priced, climbed, shifted  the network simplex's work (0 for assignment):
//                     pivots that moved no flow, reduced costs its entering-arc search
//                     computed, tree nodes climbed to the cycles' joins, node potentials
//                     updated after the pivots
//     forest_start    True where the first basis was the forest basis_rows / basis_cols
//
// c_transform(points, sites, weights, *, threads=1, pricing=False) -> dict
//   value (float64 (k,)): min_j ||points_i - sites_j|| + weights_j, exact (pricing=False) or
//   as the solver's pricing computes it (directional bounds, the minimum to within kTie);
//   argmin (int32 (k,)): a minimising j.
//
// k_nearest(points, sites, weights, k, *, threads=1) -> dict
//   index (int32 (count, k)): for every point, the k sites of smallest
//   ||p - s_j|| + weights_j, sorted by that value.
//
// grid_flow(a, b, shape, *, king=False, max_pivots=2**62, layout_nodes=32768) -> dict
//   Exact W1 on a regular grid for the L1 (king=False) or L-infinity (king=True) ground metric,
//   in lattice units, as the min-cost flow on the grid graph (grid_flow.h). shape: int32 (d,),
//   1 <= d <= 3, every side >= 1; a, b: float64 (prod(shape),), the masses of the cells in C
//   order, finite, >= 0, with equal positive totals.
//   Result (a dict):
//     status          int, a value of STATUS: OPTIMAL, PIVOT_CAP (max_pivots reached) or
//                     ARTIFICIAL_FLOW (mass left on the artificial arcs beyond rounding)
//     pi              float64 (n,): the cells' potentials, integers, with reduced costs
//                     1 + pi_k - pi_l >= 0 on every arc k -> l between neighbours at OPTIMAL
//     rows, cols      int32 (k,): the plan's origin and target cells (flat indices), k <= 3 n
//     mass            float64 (k,): their masses (empty short of OPTIMAL)
//     pivots          the network simplex's pivots
//     degenerate, priced, climbed, shifted  its work, as solve() reports it
//     arcs            the grid graph's arcs
//     artificial_flow the mass left on the artificial arcs
//
// cost_scaling(supply, demand, arc_rows, arc_cols, cost, *, potentials=None, flow=None) -> dict
//   The uncapacitated transportation problem on the given arcs, in integers, by cost scaling
//   (Goldberg's push-relabel, cost_scaling.h): minimise sum_k cost_k flow_k over flows >= 0
//   with row sums supply and column sums demand. supply (n,), demand (m,): int64, >= 0, equal
//   totals (below 2^62); arc_rows / arc_cols: int32 (k,), in [0, n) and [0, m); cost: int64
//   (k,), any sign, |cost| * (n + m + 1) < 2^59. A warm start: potentials (float64 or int64,
//   (n + m,), cost units; the reduced cost of arc k is cost_k + potentials[row] -
//   potentials[n + col]; from the duals u, v of the LP: -u, then v), and flow (int64 (k,),
//   0 <= flow_k <= min(supply[row], demand[col])); the first eps is the largest violation of
//   optimality under them. Bad input raises ValueError naming the argument; so does a graph
//   with no feasible flow ("infeasible") and prices past the int64 guard.
//   Result (a dict):
//     objective       the optimum, sum_k cost_k flow_k (a Python int, exact)
//     flow            int64 (k,): an optimal flow
//     potentials      int64 (n + m,): cost_k + p[row] - p[n + col] >= 0 on every arc, = 0 where
//                     the flow is positive (the LP's duals: u = -p[:n], v = p[n:])
//     phases, pushes, relabels, updates  the work: scaling phases, pushes, relabels (the
//                     look-ahead's included), price updates (the bucket Dijkstra)
//     escalations     times a phase's eps grew (by the scaling factor) after more than 32
//                     relabels a node: a start much farther from the optimum than its
//                     violation said
//     corrections     labels lowered by the final shortest-path pass to the exact potentials
//     first_eps       the first phase's eps, in cost units
//     seconds         the solve's own time (the graph built, the phases, the potentials)
//
// STATUS: {"OPTIMAL": 0, "WITHIN_TOLERANCE": 1, "ROUND_CAP": 2, "PIVOT_CAP": 3,
//          "ARTIFICIAL_FLOW": 4, "NOT_A_COUPLING": 5, "BOUNDS_CROSSED": 6}

#define PY_SSIZE_T_CLEAN
#ifdef _WIN32
#define NOMINMAX  // should a header bring in <windows.h>: std::min/std::max, not its macros
#endif
#include <Python.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <iomanip>
#include <limits>
#include <locale>
#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "assignment.h"
#include "column_generation.h"
#include "common.h"
#include "cost_scaling.h"
#include "grid_flow.h"
#include "kdtree.h"
#include "network_simplex.h"
#include "simplex_graph.h"

namespace {

using dvot::Status;

// ---------------------------------------------------------------------------------------------
// Exceptions across the boundary
// ---------------------------------------------------------------------------------------------

// Sets the Python error for the C++ exception `err` (the GIL held).
void set_python_error(std::exception_ptr err, const char* where) {
  try {
    std::rethrow_exception(err);
  } catch (const std::bad_alloc&) {
    PyErr_Format(PyExc_MemoryError,
                 "%s: out of memory (a C++ allocation failed); use fewer points or free memory",
                 where);
  } catch (const std::length_error& e) {
    PyErr_Format(PyExc_MemoryError, "%s: a size is too large to allocate (%s)", where, e.what());
  } catch (const std::exception& e) {
    PyErr_Format(PyExc_RuntimeError, "%s: %s", where, e.what());
  } catch (...) {
    PyErr_Format(PyExc_RuntimeError, "%s: unknown C++ exception", where);
  }
}

// Runs fn with the GIL released; an exception it throws is rethrown once the GIL is back.
template <class F>
void without_gil(F&& fn) {
  std::exception_ptr err;
  Py_BEGIN_ALLOW_THREADS;
  try {
    fn();
  } catch (...) {
    err = std::current_exception();
  }
  Py_END_ALLOW_THREADS;
  if (err) std::rethrow_exception(err);
}

// An entry point's body, run with every C++ exception caught (the GIL is held here).
template <class F>
PyObject* guarded(const char* where, F&& body) {
  try {
    return body();
  } catch (...) {
    set_python_error(std::current_exception(), where);
    return nullptr;
  }
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

// A float64 as printf's %.17g writes it (17 significant digits: the same double reads back), in
// the classic locale whatever the process's, and "nan" for a NaN of either sign. The messages
// that show a float are built here: PyErr_Format has no float conversion (Python 3.11 copies
// "%.17g" into the message as it stands, 3.12 raises SystemError).
std::string full_digits(double value) {
  if (std::isnan(value)) return "nan";
  std::ostringstream out;
  out.imbue(std::locale::classic());
  out << std::setprecision(17) << value;
  return out.str();
}

// Sets ValueError "where: a and b must have the same positive total; got <a> and <b>".
void unequal_totals(const char* where, double total_a, double total_b) {
  const std::string message = std::string(where) +
                              ": a and b must have the same positive total; got " +
                              full_digits(total_a) + " and " + full_digits(total_b);
  PyErr_SetString(PyExc_ValueError, message.c_str());
}

// ---------------------------------------------------------------------------------------------
// Buffers in, memoryviews out
// ---------------------------------------------------------------------------------------------

bool little_endian() {
  const uint16_t one = 1;
  unsigned char first;
  std::memcpy(&first, &one, 1);
  return first == 1;
}

// True when the buffer format denotes `kind` ('d': float64, 'i': int32, 'q': int64) in native
// byte order.
bool format_is(const char* fmt, char kind) {
  if (fmt == nullptr) return false;
  if (fmt[0] == '@' || fmt[0] == '=' || fmt[0] == (little_endian() ? '<' : '>')) ++fmt;
  if (fmt[0] == '\0' || fmt[1] != '\0') return false;
  if (kind == 'd') return fmt[0] == 'd';
  // int64: 'q', or 'l' where a C long has 8 bytes; the itemsize is checked too.
  if (kind == 'q') return fmt[0] == 'q' || fmt[0] == 'l';
  // int32: 'i', or 'l' where a C long has 4 bytes (Windows); the itemsize is checked too.
  return fmt[0] == 'i' || fmt[0] == 'l';
}

// A read-only or writable view of a C-contiguous array, released with the GIL held.
class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() {
    if (held_) PyBuffer_Release(&view_);
  }

  // kind 'd' (float64), 'i' (int32) or 'q' (int64); ndim 1 or 2. False with a Python error
  // set.
  bool get(PyObject* obj, char kind, int ndim, const char* where, const char* name) {
    const char* type = kind == 'd' ? "float64" : kind == 'q' ? "int64" : "int32";
    if (PyObject_GetBuffer(obj, &view_, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
      PyErr_Clear();
      PyErr_Format(PyExc_TypeError, "%s: %s must be a C-contiguous %s array", where, name, type);
      return false;
    }
    held_ = true;
    const Py_ssize_t size = kind == 'i' ? 4 : 8;
    if (view_.itemsize != size || !format_is(view_.format, kind)) {
      PyErr_Format(PyExc_TypeError, "%s: %s must be a C-contiguous %s array", where, name, type);
      return false;
    }
    if (view_.ndim != ndim) {
      PyErr_Format(PyExc_ValueError, "%s: %s must have %d dimension(s); it has %d", where, name,
                   ndim, view_.ndim);
      return false;
    }
    return true;
  }

  Py_ssize_t count() const { return view_.len / view_.itemsize; }
  Py_ssize_t shape(int k) const { return view_.shape[k]; }
  template <class T>
  const T* data() const {
    return static_cast<const T*>(view_.buf);
  }

 private:
  Py_buffer view_{};
  bool held_ = false;
};

// A new reference, or nullptr with an error set.
class Ref {
 public:
  explicit Ref(PyObject* o = nullptr) : o_(o) {}
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref() { Py_XDECREF(o_); }
  PyObject* get() const { return o_; }
  PyObject* release() {
    PyObject* o = o_;
    o_ = nullptr;
    return o;
  }
  void reset(PyObject* o) {
    Py_XDECREF(o_);
    o_ = o;
  }

 private:
  PyObject* o_;
};

// A memoryview of format 'd' or 'i' (1-D, or 2-D with `cols`) holding a copy of data.
template <class T>
PyObject* to_memoryview(const T* data, Py_ssize_t count, char kind, Py_ssize_t cols = 0) {
  Ref bytes(PyByteArray_FromStringAndSize(nullptr, count * static_cast<Py_ssize_t>(sizeof(T))));
  if (!bytes.get()) return nullptr;
  if (count > 0) std::memcpy(PyByteArray_AsString(bytes.get()), data, count * sizeof(T));
  Ref raw(PyMemoryView_FromObject(bytes.get()));
  if (!raw.get()) return nullptr;
  const char fmt[2] = {kind, '\0'};
  if (cols > 0) return PyObject_CallMethod(raw.get(), "cast", "s(nn)", fmt, count / cols, cols);
  return PyObject_CallMethod(raw.get(), "cast", "s", fmt);
}

// dict[key] = value, stealing the reference to value; false with an error set.
bool put(PyObject* dict, const char* key, PyObject* value) {
  if (value == nullptr) return false;
  const int rc = PyDict_SetItemString(dict, key, value);
  Py_DECREF(value);
  return rc == 0;
}

// ValueError unless every entry is finite (and, with nonnegative, >= 0).
bool check_values(const Buffer& buf, const char* where, const char* name, bool nonnegative) {
  const double* p = buf.data<double>();
  for (Py_ssize_t k = 0; k < buf.count(); ++k) {
    if (!std::isfinite(p[k])) {
      PyErr_Format(PyExc_ValueError, "%s: %s must be finite; entry %zd is not", where, name, k);
      return false;
    }
    if (nonnegative && p[k] < 0.0) {
      PyErr_Format(PyExc_ValueError, "%s: %s must be >= 0; entry %zd is negative", where, name,
                   k);
      return false;
    }
  }
  return true;
}

bool check_indices(const Buffer& buf, Py_ssize_t bound, const char* where, const char* name) {
  const int32_t* p = buf.data<int32_t>();
  for (Py_ssize_t k = 0; k < buf.count(); ++k)
    if (p[k] < 0 || p[k] >= bound) {
      PyErr_Format(PyExc_ValueError, "%s: %s must lie in [0, %zd); entry %zd is %d", where, name,
                   bound, k, static_cast<int>(p[k]));
      return false;
    }
  return true;
}

bool check_threads(int threads, const char* where) {
  if (threads < 1) {
    PyErr_Format(PyExc_ValueError, "%s: threads must be a positive integer; got %d", where,
                 threads);
    return false;
  }
  return true;
}

// Points (count, d) and sites (m, d) with weights (m,): the shared checks of the k-d tree
// entry points.
bool check_sites(const Buffer& pts, const Buffer& sites, const Buffer& w, const char* where) {
  const Py_ssize_t d = sites.shape(1), m = sites.shape(0);
  if (d < 1 || m < 1 || pts.shape(1) != d || w.shape(0) != m) {
    PyErr_Format(PyExc_ValueError,
                 "%s: points (count, d), sites (m, d) and weights (m,) need m >= 1, d >= 1 and "
                 "matching sizes; got points (%zd, %zd), sites (%zd, %zd), weights (%zd,)",
                 where, pts.shape(0), pts.shape(1), m, d, w.shape(0));
    return false;
  }
  if (m > std::numeric_limits<int>::max() / 2 || d > std::numeric_limits<int>::max() / 2) {
    PyErr_Format(PyExc_ValueError, "%s: too many sites or dimensions", where);
    return false;
  }
  return check_values(pts, where, "points", false) && check_values(sites, where, "sites", false) &&
         check_values(w, where, "weights", false);
}

// ---------------------------------------------------------------------------------------------
// c_transform and k_nearest
// ---------------------------------------------------------------------------------------------

PyObject* c_transform(PyObject* args, PyObject* kwargs) {
  static const char* where = "c_transform";
  static const char* kw[] = {"points", "sites", "weights", "threads", "pricing", nullptr};
  PyObject *o_pts, *o_sites, *o_w;
  int threads = 1, pricing = 0;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|$ip", const_cast<char**>(kw), &o_pts,
                                   &o_sites, &o_w, &threads, &pricing))
    return nullptr;
  Buffer pts, sites, w;
  if (!pts.get(o_pts, 'd', 2, where, "points") || !sites.get(o_sites, 'd', 2, where, "sites") ||
      !w.get(o_w, 'd', 1, where, "weights") || !check_sites(pts, sites, w, where) ||
      !check_threads(threads, where))
    return nullptr;
  const int m = static_cast<int>(sites.shape(0)), d = static_cast<int>(sites.shape(1));
  const Py_ssize_t count = pts.shape(0);
  std::vector<double> value(static_cast<size_t>(count));
  std::vector<int32_t> arg(static_cast<size_t>(count));
  without_gil([&] {
    dvot::KdTree tree(sites.data<double>(), m, d);
    tree.set_weights(w.data<double>(), pricing != 0);
    const double tie = pricing ? dvot::kTie : 0.0;
    const double* p = pts.data<double>();
    dvot::parallel_for(count, threads, [&](std::ptrdiff_t lo, std::ptrdiff_t hi) {
      std::vector<int> stack;
      for (std::ptrdiff_t i = lo; i < hi; ++i)
        value[i] = tree.query(p + i * d, -1, &arg[i], stack, tie);
    });
  });
  Ref out(PyDict_New());
  if (!out.get() || !put(out.get(), "value", to_memoryview(value.data(), count, 'd')) ||
      !put(out.get(), "argmin", to_memoryview(arg.data(), count, 'i')))
    return nullptr;
  return out.release();
}

PyObject* k_nearest(PyObject* args, PyObject* kwargs) {
  static const char* where = "k_nearest";
  static const char* kw[] = {"points", "sites", "weights", "k", "threads", nullptr};
  PyObject *o_pts, *o_sites, *o_w;
  int k, threads = 1;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOi|$i", const_cast<char**>(kw), &o_pts,
                                   &o_sites, &o_w, &k, &threads))
    return nullptr;
  Buffer pts, sites, w;
  if (!pts.get(o_pts, 'd', 2, where, "points") || !sites.get(o_sites, 'd', 2, where, "sites") ||
      !w.get(o_w, 'd', 1, where, "weights") || !check_sites(pts, sites, w, where) ||
      !check_threads(threads, where))
    return nullptr;
  const int m = static_cast<int>(sites.shape(0)), d = static_cast<int>(sites.shape(1));
  if (k < 1 || k > m) {
    PyErr_Format(PyExc_ValueError, "%s: k must lie in [1, %d] (the number of sites); got %d",
                 where, m, k);
    return nullptr;
  }
  const Py_ssize_t count = pts.shape(0);
  if (count > std::numeric_limits<Py_ssize_t>::max() / 8 / k) throw std::bad_alloc();
  std::vector<int32_t> index(static_cast<size_t>(count) * k);
  without_gil([&] {
    dvot::KdTree tree(sites.data<double>(), m, d);
    tree.set_weights(w.data<double>());
    const double* p = pts.data<double>();
    int* out = index.data();
    dvot::parallel_for(count, threads, [&](std::ptrdiff_t lo, std::ptrdiff_t hi) {
      std::vector<int> stack, tmp_arg(k);
      std::vector<double> tmp_best(k);
      for (std::ptrdiff_t i = lo; i < hi; ++i)
        tree.query_k(p + i * d, k, out + i * k, tmp_best.data(), tmp_arg.data(), stack);
    });
  });
  Ref out(PyDict_New());
  if (!out.get() ||
      !put(out.get(), "index", to_memoryview(index.data(), count * k, 'i', count > 0 ? k : 0)))
    return nullptr;
  return out.release();
}

// ---------------------------------------------------------------------------------------------
// solve
// ---------------------------------------------------------------------------------------------

// The plan, the duals and the statistics a solve leaves (filled without the GIL).
struct Solution {
  dvot::Outcome outcome;
  std::vector<int32_t> rows, cols;
  std::vector<double> mass, u, v, fx, fy;
  int64_t pivots = 0;
  int64_t arcs = 0;
  double artificial_flow = 0.0;
  std::array<int64_t, 4> counters{};  // the network simplex's (zero for the assignment graph)
  bool forest_start = false;          // its first basis was the forest given
};

template <class G>
void collect(G& g, const dvot::Outcome& outcome, int n, int m, Solution& s) {
  s.outcome = outcome;
  g.for_each_basic([&](int i, int j, double f, double) {
    if (f <= 0.0) return;
    s.rows.push_back(i);
    s.cols.push_back(j);
    s.mass.push_back(f);
  });
  const std::vector<double>& pi = g.pi();
  for (int i = 0; i < n; ++i) s.u[i] = -pi[i];
  for (int j = 0; j < m; ++j) s.v[j] = pi[n + j];
  s.pivots = g.pivots();
  s.arcs = g.arc_count();
  s.artificial_flow = g.artificial_flow();
  if constexpr (std::is_same_v<G, dvot::SimplexGraph>) s.counters = g.counters();
}

PyObject* solve(PyObject* args, PyObject* kwargs) {
  static const char* where = "solve";
  static const char* kw[] = {"x",         "y",         "a",      "b",          "arc_rows",
                             "arc_cols",  "rtol",      "rc_tol", "max_rounds", "max_pivots",
                             "threads",   "assignment", "u0",    "v0",         "order_x",
                             "order_y",   "basis_rows", "basis_cols", "layout_nodes",
                             "arcs_per_point", nullptr};
  PyObject *o_x, *o_y, *o_a, *o_b;
  PyObject *o_ci = Py_None, *o_cj = Py_None, *o_u0 = Py_None, *o_v0 = Py_None;
  PyObject *o_ox = Py_None, *o_oy = Py_None, *o_br = Py_None, *o_bc = Py_None;
  double rtol = 0.0, rc_tol = 1e-13;
  int max_rounds = 100, threads = 1, assignment = 0, layout_nodes = dvot::kLayoutNodes;
  int arcs_per_point = 1;
  long long max_pivots = 1LL << 62;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOO|$OOddiLipOOOOOOii", const_cast<char**>(kw),
                                   &o_x, &o_y, &o_a, &o_b, &o_ci, &o_cj, &rtol, &rc_tol,
                                   &max_rounds, &max_pivots, &threads, &assignment, &o_u0, &o_v0,
                                   &o_ox, &o_oy, &o_br, &o_bc, &layout_nodes,
                                   &arcs_per_point))
    return nullptr;
  Buffer bx, by, ba, bb, bci, bcj, bu0, bv0, box, boy, bbr, bbc;
  if (!bx.get(o_x, 'd', 2, where, "x") || !by.get(o_y, 'd', 2, where, "y") ||
      !ba.get(o_a, 'd', 1, where, "a") || !bb.get(o_b, 'd', 1, where, "b"))
    return nullptr;
  const Py_ssize_t n_ = bx.shape(0), m_ = by.shape(0), d_ = bx.shape(1);
  if (n_ < 1 || m_ < 1 || d_ < 1 || by.shape(1) != d_ || ba.shape(0) != n_ || bb.shape(0) != m_) {
    PyErr_Format(PyExc_ValueError,
                 "%s: x (n, d), y (m, d), a (n,), b (m,) need n, m, d >= 1 and matching sizes; "
                 "got x (%zd, %zd), y (%zd, %zd), a (%zd,), b (%zd,)",
                 where, n_, d_, by.shape(0), by.shape(1), ba.shape(0), bb.shape(0));
    return nullptr;
  }
  // Node and arc indices are int: n + m + 1 nodes, and the arcs below.
  constexpr Py_ssize_t kMaxIndex = std::numeric_limits<int>::max() / 4;
  if (n_ + m_ >= kMaxIndex || d_ >= kMaxIndex) {
    PyErr_Format(PyExc_ValueError, "%s: at most %zd points in all", where, kMaxIndex - 1);
    return nullptr;
  }
  const int n = static_cast<int>(n_), m = static_cast<int>(m_), d = static_cast<int>(d_);
  if (!check_values(bx, where, "x", false) || !check_values(by, where, "y", false) ||
      !check_values(ba, where, "a", true) || !check_values(bb, where, "b", true) ||
      !check_threads(threads, where))
    return nullptr;
  if (!(rtol >= 0.0 && rtol < 1.0) || !(rc_tol >= 0.0 && rc_tol < 1.0) || max_rounds < 1 ||
      max_pivots < 0 || layout_nodes < 0 || arcs_per_point < 1 || arcs_per_point > 64) {
    PyErr_Format(PyExc_ValueError,
                 "%s: need 0 <= rtol < 1, 0 <= rc_tol < 1, max_rounds >= 1, max_pivots >= 0, "
                 "layout_nodes >= 0, 1 <= arcs_per_point <= 64",
                 where);
    return nullptr;
  }
  const double *a = ba.data<double>(), *b = bb.data<double>();
  dvot::Sum sa, sb;
  for (int i = 0; i < n; ++i) sa.add(a[i]);
  for (int j = 0; j < m; ++j) sb.add(b[j]);
  const double total_a = sa.value(), total_b = sb.value();
  if (!(total_a > 0.0) || !(std::fabs(total_a - total_b) <= 1e-9 * total_a)) {
    unequal_totals(where, total_a, total_b);
    return nullptr;
  }
  // Optional arrays.
  Py_ssize_t n_cand = 0;
  if ((o_ci == Py_None) != (o_cj == Py_None)) {
    PyErr_Format(PyExc_ValueError, "%s: give arc_rows and arc_cols together", where);
    return nullptr;
  }
  if (o_ci != Py_None) {
    if (!bci.get(o_ci, 'i', 1, where, "arc_rows") || !bcj.get(o_cj, 'i', 1, where, "arc_cols"))
      return nullptr;
    if (bci.count() != bcj.count()) {
      PyErr_Format(PyExc_ValueError, "%s: arc_rows and arc_cols must have the same length", where);
      return nullptr;
    }
    n_cand = bci.count();
    if (n_cand >= kMaxIndex - 3 * (n_ + m_)) {
      PyErr_Format(PyExc_ValueError, "%s: too many candidate arcs (%zd)", where, n_cand);
      return nullptr;
    }
    if (!check_indices(bci, n, where, "arc_rows") || !check_indices(bcj, m, where, "arc_cols"))
      return nullptr;
  }
  Py_ssize_t n_basis = 0;
  if ((o_br == Py_None) != (o_bc == Py_None)) {
    PyErr_Format(PyExc_ValueError, "%s: give basis_rows and basis_cols together", where);
    return nullptr;
  }
  if (o_br != Py_None) {
    if (!bbr.get(o_br, 'i', 1, where, "basis_rows") || !bbc.get(o_bc, 'i', 1, where, "basis_cols"))
      return nullptr;
    if (bbr.count() != bbc.count()) {
      PyErr_Format(PyExc_ValueError, "%s: basis_rows and basis_cols must have the same length",
                   where);
      return nullptr;
    }
    n_basis = bbr.count();
    if (n_basis >= kMaxIndex - 3 * (n_ + m_) - n_cand) {
      PyErr_Format(PyExc_ValueError, "%s: too many basis arcs (%zd)", where, n_basis);
      return nullptr;
    }
    if (!check_indices(bbr, n, where, "basis_rows") || !check_indices(bbc, m, where, "basis_cols"))
      return nullptr;
  }
  std::vector<int32_t> order_x(n), order_y(m);
  for (int i = 0; i < n; ++i) order_x[i] = i;
  for (int j = 0; j < m; ++j) order_y[j] = j;
  for (auto [obj, buf, size, name, order] :
       {std::make_tuple(o_ox, &box, n, "order_x", &order_x),
        std::make_tuple(o_oy, &boy, m, "order_y", &order_y)}) {
    if (obj == Py_None) continue;
    if (!buf->get(obj, 'i', 1, where, name)) return nullptr;
    if (buf->count() != size || !check_indices(*buf, size, where, name)) {
      if (!PyErr_Occurred())
        PyErr_Format(PyExc_ValueError, "%s: %s must be a permutation of range(%d)", where, name,
                     size);
      return nullptr;
    }
    std::vector<uint8_t> seen(size, 0);
    const int32_t* p = buf->data<int32_t>();
    for (int k = 0; k < size; ++k) {
      if (seen[p[k]]) {
        PyErr_Format(PyExc_ValueError, "%s: %s must be a permutation of range(%d)", where, name,
                     size);
        return nullptr;
      }
      seen[p[k]] = 1;
      (*order)[k] = p[k];
    }
  }
  std::vector<double> u0(n, 0.0), v0(m, 0.0);
  for (auto [obj, buf, size, name, target] :
       {std::make_tuple(o_u0, &bu0, n, "u0", &u0), std::make_tuple(o_v0, &bv0, m, "v0", &v0)}) {
    if (obj == Py_None) continue;
    if (!buf->get(obj, 'd', 1, where, name) || !check_values(*buf, where, name, false))
      return nullptr;
    if (buf->count() != size) {
      PyErr_Format(PyExc_ValueError, "%s: %s must have length %d", where, name, size);
      return nullptr;
    }
    std::memcpy(target->data(), buf->data<double>(), sizeof(double) * size);
  }
  if (assignment) {
    bool same = n == m;
    for (int k = 0; same && k < n; ++k) same = a[k] == a[0] && b[k] == a[0];
    if (!same) {
      PyErr_Format(PyExc_ValueError, "%s: assignment=True needs n == m and equal masses", where);
      return nullptr;
    }
  }
  const double *x = bx.data<double>(), *y = by.data<double>();
  const int32_t* ci = n_cand ? bci.data<int32_t>() : nullptr;
  const int32_t* cj = n_cand ? bcj.data<int32_t>() : nullptr;
  Solution s;
  s.u.resize(n);
  s.v.resize(m);
  s.fx.resize(n);
  s.fy.resize(m);
  const dvot::Problem pr{n,    m,      d,      threads, max_rounds,
                         x,    y,      a,      b,       rtol,
                         rc_tol, static_cast<int64_t>(max_pivots), s.fx.data(), s.fy.data(),
                         arcs_per_point};
  auto cost = [&](int i, int j) {
    return dvot::euclid(x + static_cast<size_t>(i) * d, y + static_cast<size_t>(j) * d, d);
  };
  without_gil([&] {
    if (assignment) {
      // The monotone pairs along the order join the candidates: they keep a perfect matching
      // in the graph.
      dvot::AssignmentGraph g(n, a[0], x, y, d, u0.data(), v0.data());
      for (int k = 0; k < n; ++k) g.add(order_x[k], order_y[k], cost(order_x[k], order_y[k]));
      for (Py_ssize_t k = 0; k < n_cand; ++k) g.add(ci[k], cj[k], cost(ci[k], cj[k]));
      g.finish();
      collect(g, dvot::column_generation(g, pr), n, m, s);
    } else {
      dvot::SimplexGraph g(n, m, x, y, a, b, d, order_x.data(), order_y.data(),
                           static_cast<size_t>(n_cand + n_basis), u0.data(), v0.data(),
                           n_basis ? bbr.data<int32_t>() : nullptr,
                           n_basis ? bbc.data<int32_t>() : nullptr, static_cast<size_t>(n_basis));
      s.forest_start = g.forest_start();
      g.set_layout_nodes(layout_nodes);
      for (Py_ssize_t k = 0; k < n_cand; ++k) g.add(ci[k], cj[k], cost(ci[k], cj[k]));
      g.finish();
      collect(g, dvot::column_generation(g, pr), n, m, s);
    }
  });
  const dvot::Outcome& o = s.outcome;
  const Py_ssize_t k = static_cast<Py_ssize_t>(s.rows.size());
  Ref out(PyDict_New());
  if (!out.get() || !put(out.get(), "status", PyLong_FromLong(static_cast<long>(o.status))) ||
      !put(out.get(), "value", PyFloat_FromDouble(o.cost)) ||
      !put(out.get(), "upper_bound", PyFloat_FromDouble(o.upper)) ||
      !put(out.get(), "lower_bound", PyFloat_FromDouble(o.lower)) ||
      !put(out.get(), "marginal_error", PyFloat_FromDouble(o.marginal_error)) ||
      !put(out.get(), "rounds", PyLong_FromLong(o.rounds)) ||
      !put(out.get(), "pivots", PyLong_FromLongLong(s.pivots)) ||
      !put(out.get(), "arcs", PyLong_FromLongLong(s.arcs)) ||
      !put(out.get(), "artificial_flow", PyFloat_FromDouble(s.artificial_flow)) ||
      !put(out.get(), "t_graph", PyFloat_FromDouble(o.t_graph)) ||
      !put(out.get(), "t_pricing", PyFloat_FromDouble(o.t_pricing)) ||
      !put(out.get(), "degenerate", PyLong_FromLongLong(s.counters[0])) ||
      !put(out.get(), "priced", PyLong_FromLongLong(s.counters[1])) ||
      !put(out.get(), "climbed", PyLong_FromLongLong(s.counters[2])) ||
      !put(out.get(), "shifted", PyLong_FromLongLong(s.counters[3])) ||
      !put(out.get(), "forest_start", PyBool_FromLong(s.forest_start)) ||
      !put(out.get(), "rows", to_memoryview(s.rows.data(), k, 'i')) ||
      !put(out.get(), "cols", to_memoryview(s.cols.data(), k, 'i')) ||
      !put(out.get(), "mass", to_memoryview(s.mass.data(), k, 'd')) ||
      !put(out.get(), "u", to_memoryview(s.u.data(), n, 'd')) ||
      !put(out.get(), "v", to_memoryview(s.v.data(), m, 'd')) ||
      !put(out.get(), "f_x", to_memoryview(s.fx.data(), n, 'd')) ||
      !put(out.get(), "f_y", to_memoryview(s.fy.data(), m, 'd')))
    return nullptr;
  return out.release();
}

// ---------------------------------------------------------------------------------------------
// grid_flow
// ---------------------------------------------------------------------------------------------

// The grid's shape: 1 to 3 positive sides, fewer than kMaxCells cells in all; false with an
// error set.
bool check_shape(const Buffer& buf, Py_ssize_t max_cells, const char* where, int& cells) {
  const Py_ssize_t d = buf.count();
  if (d < 1 || d > dvot::kGridMaxDim) {
    PyErr_Format(PyExc_ValueError, "%s: shape must have 1 to %d sides; got %zd", where,
                 dvot::kGridMaxDim, d);
    return false;
  }
  Py_ssize_t count = 1;
  for (Py_ssize_t k = 0; k < d; ++k) {
    const int32_t side = buf.data<int32_t>()[k];
    if (side < 1) {
      PyErr_Format(PyExc_ValueError, "%s: every side of shape must be >= 1; got %d", where,
                   static_cast<int>(side));
      return false;
    }
    count *= side;
    if (count >= max_cells) {
      PyErr_Format(PyExc_ValueError, "%s: at most %zd cells", where, max_cells - 1);
      return false;
    }
  }
  cells = static_cast<int>(count);
  return true;
}

PyObject* grid_flow(PyObject* args, PyObject* kwargs) {
  static const char* where = "grid_flow";
  static const char* kw[] = {"a", "b", "shape", "king", "max_pivots", "layout_nodes", nullptr};
  PyObject *o_a, *o_b, *o_shape;
  int king = 0, layout_nodes = dvot::kLayoutNodes;
  long long max_pivots = 1LL << 62;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO|$pLi", const_cast<char**>(kw), &o_a, &o_b,
                                   &o_shape, &king, &max_pivots, &layout_nodes))
    return nullptr;
  Buffer ba, bb, bs;
  if (!ba.get(o_a, 'd', 1, where, "a") || !bb.get(o_b, 'd', 1, where, "b") ||
      !bs.get(o_shape, 'i', 1, where, "shape"))
    return nullptr;
  // Arc indices are int: 26 king moves and an artificial arc per cell at most.
  const Py_ssize_t max_cells = std::numeric_limits<int>::max() / 32;
  int n = 0;
  if (!check_shape(bs, max_cells, where, n)) return nullptr;
  if (ba.count() != n || bb.count() != n) {
    PyErr_Format(PyExc_ValueError, "%s: a and b must have one mass per cell (%d); got %zd and %zd",
                 where, n, ba.count(), bb.count());
    return nullptr;
  }
  if (!check_values(ba, where, "a", true) || !check_values(bb, where, "b", true)) return nullptr;
  if (max_pivots < 0 || layout_nodes < 0) {
    PyErr_Format(PyExc_ValueError, "%s: need max_pivots >= 0 and layout_nodes >= 0", where);
    return nullptr;
  }
  const double *a = ba.data<double>(), *b = bb.data<double>();
  dvot::Sum sa, sb;
  for (int k = 0; k < n; ++k) sa.add(a[k]), sb.add(b[k]);
  if (!(sa.value() > 0.0) || !(std::fabs(sa.value() - sb.value()) <= 1e-9 * sa.value())) {
    unequal_totals(where, sa.value(), sb.value());
    return nullptr;
  }
  const int d = static_cast<int>(bs.count());
  std::vector<int> shape(bs.data<int32_t>(), bs.data<int32_t>() + d);
  dvot::GridFlowSolution s;
  without_gil([&] {
    dvot::GridFlow g(a, b, shape.data(), d, king != 0);
    s = g.solve(static_cast<int64_t>(max_pivots), layout_nodes);
  });
  const Py_ssize_t k = static_cast<Py_ssize_t>(s.rows.size());
  Ref out(PyDict_New());
  if (!out.get() || !put(out.get(), "status", PyLong_FromLong(static_cast<long>(s.status))) ||
      !put(out.get(), "pi", to_memoryview(s.pi.data(), n, 'd')) ||
      !put(out.get(), "rows", to_memoryview(s.rows.data(), k, 'i')) ||
      !put(out.get(), "cols", to_memoryview(s.cols.data(), k, 'i')) ||
      !put(out.get(), "mass", to_memoryview(s.mass.data(), k, 'd')) ||
      !put(out.get(), "pivots", PyLong_FromLongLong(s.pivots)) ||
      !put(out.get(), "degenerate", PyLong_FromLongLong(s.counters[0])) ||
      !put(out.get(), "priced", PyLong_FromLongLong(s.counters[1])) ||
      !put(out.get(), "climbed", PyLong_FromLongLong(s.counters[2])) ||
      !put(out.get(), "shifted", PyLong_FromLongLong(s.counters[3])) ||
      !put(out.get(), "arcs", PyLong_FromLongLong(s.arcs)) ||
      !put(out.get(), "artificial_flow", PyFloat_FromDouble(s.artificial_flow)))
    return nullptr;
  return out.release();
}

// ---------------------------------------------------------------------------------------------
// The module
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// cost_scaling
// ---------------------------------------------------------------------------------------------

// Sum of nonnegative int64 entries, false (ValueError set) on a negative entry or a total past
// 2^62.
bool check_masses(const Buffer& buf, const char* where, const char* name, int64_t& total) {
  const int64_t* p = buf.data<int64_t>();
  total = 0;
  for (Py_ssize_t k = 0; k < buf.count(); ++k) {
    if (p[k] < 0) {
      PyErr_Format(PyExc_ValueError, "%s: %s must be >= 0; entry %zd is %lld", where, name, k,
                   static_cast<long long>(p[k]));
      return false;
    }
    if (p[k] > (int64_t{1} << 62) - total) {
      PyErr_Format(PyExc_ValueError, "%s: the total of %s must stay below 2^62", where, name);
      return false;
    }
    total += p[k];
  }
  return true;
}

// The starting potentials (float64 or int64, n + m entries) as float64, scaled below the bound.
bool read_potentials(PyObject* obj, Py_ssize_t nodes, double scale, const char* where,
                     std::vector<double>& out) {
  Buffer asd, asq;
  std::vector<double> values;
  if (asd.get(obj, 'd', 1, where, "potentials")) {
    values.assign(asd.data<double>(), asd.data<double>() + asd.count());
  } else {
    PyErr_Clear();
    if (!asq.get(obj, 'q', 1, where, "potentials")) {
      PyErr_Clear();
      PyErr_Format(PyExc_TypeError, "%s: potentials must be a C-contiguous float64 or int64 array",
                   where);
      return false;
    }
    for (Py_ssize_t k = 0; k < asq.count(); ++k)
      values.push_back(static_cast<double>(asq.data<int64_t>()[k]));
  }
  if (static_cast<Py_ssize_t>(values.size()) != nodes) {
    PyErr_Format(PyExc_ValueError, "%s: potentials must have n + m = %zd entries; got %zd", where,
                 nodes, static_cast<Py_ssize_t>(values.size()));
    return false;
  }
  const double bound = static_cast<double>(dvot::kScaledLimit) / scale;
  for (size_t k = 0; k < values.size(); ++k)
    if (!(std::fabs(values[k]) < bound)) {
      const std::string message =
          std::string(where) +
          ": potentials must be finite with |potential| * (n + m + 1) below 2^59; entry " +
          std::to_string(k) + " is " + full_digits(values[k]);
      PyErr_SetString(PyExc_ValueError, message.c_str());
      return false;
    }
  out.swap(values);
  return true;
}

PyObject* cost_scaling(PyObject* args, PyObject* kwargs) {
  static const char* where = "cost_scaling";
  static const char* kw[] = {"supply", "demand",     "arc_rows", "arc_cols",
                             "cost",   "potentials", "flow",     nullptr};
  PyObject *o_s, *o_d, *o_r, *o_c, *o_cost, *o_pi = Py_None, *o_f = Py_None;
  if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOO|$OO", const_cast<char**>(kw), &o_s, &o_d,
                                   &o_r, &o_c, &o_cost, &o_pi, &o_f))
    return nullptr;
  Buffer bs, bd, br, bc, bcost, bf;
  if (!bs.get(o_s, 'q', 1, where, "supply") || !bd.get(o_d, 'q', 1, where, "demand") ||
      !br.get(o_r, 'i', 1, where, "arc_rows") || !bc.get(o_c, 'i', 1, where, "arc_cols") ||
      !bcost.get(o_cost, 'q', 1, where, "cost"))
    return nullptr;
  const Py_ssize_t n_ = bs.count(), m_ = bd.count(), k = bcost.count();
  constexpr Py_ssize_t kMaxIndex = std::numeric_limits<int>::max() / 4;
  if (n_ < 1 || m_ < 1 || n_ + m_ >= kMaxIndex) {
    PyErr_Format(PyExc_ValueError,
                 "%s: supply and demand need 1 to %zd entries in all; got %zd, %zd", where,
                 kMaxIndex - 1, n_, m_);
    return nullptr;
  }
  if (br.count() != k || bc.count() != k || k >= kMaxIndex) {
    PyErr_Format(PyExc_ValueError,
                 "%s: arc_rows, arc_cols and cost must have one entry per arc (at most %zd); got "
                 "%zd, %zd and %zd",
                 where, kMaxIndex - 1, br.count(), bc.count(), k);
    return nullptr;
  }
  const int n = static_cast<int>(n_), m = static_cast<int>(m_);
  int64_t total_s = 0, total_d = 0;
  if (!check_masses(bs, where, "supply", total_s) || !check_masses(bd, where, "demand", total_d) ||
      !check_indices(br, n, where, "arc_rows") || !check_indices(bc, m, where, "arc_cols"))
    return nullptr;
  if (total_s != total_d) {
    PyErr_Format(PyExc_ValueError,
                 "%s: supply and demand must have equal totals; got %lld and %lld", where,
                 static_cast<long long>(total_s), static_cast<long long>(total_d));
    return nullptr;
  }
  const int64_t scale = int64_t{n} + m + 1;
  const int64_t* cost = bcost.data<int64_t>();
  for (Py_ssize_t a = 0; a < k; ++a)
    if (cost[a] >= dvot::kScaledLimit / scale || cost[a] <= -dvot::kScaledLimit / scale) {
      PyErr_Format(PyExc_ValueError,
                   "%s: cost must satisfy |cost| * (n + m + 1) < 2^59 (the scaled costs and "
                   "prices stay in int64); entry %zd is %lld with n + m + 1 = %lld",
                   where, a, static_cast<long long>(cost[a]), static_cast<long long>(scale));
      return nullptr;
    }
  std::vector<double> prices;
  if (o_pi != Py_None &&
      !read_potentials(o_pi, n_ + m_, static_cast<double>(scale), where, prices))
    return nullptr;
  const int32_t *rows = br.data<int32_t>(), *cols = bc.data<int32_t>();
  const int64_t *supply = bs.data<int64_t>(), *demand = bd.data<int64_t>();
  if (o_f != Py_None) {
    if (!bf.get(o_f, 'q', 1, where, "flow")) return nullptr;
    if (bf.count() != k) {
      PyErr_Format(PyExc_ValueError, "%s: flow must have one entry per arc (%zd); got %zd", where,
                   k, bf.count());
      return nullptr;
    }
    const int64_t* f = bf.data<int64_t>();
    for (Py_ssize_t a = 0; a < k; ++a)
      if (f[a] < 0 || f[a] > std::min(supply[rows[a]], demand[cols[a]])) {
        PyErr_Format(PyExc_ValueError,
                     "%s: flow must satisfy 0 <= flow <= min(supply[row], demand[col]); entry %zd "
                     "is %lld",
                     where, a, static_cast<long long>(f[a]));
        return nullptr;
      }
  }
  dvot::TransportInput in;
  in.n = n, in.m = m, in.supply = supply, in.demand = demand, in.arcs = static_cast<size_t>(k);
  in.rows = rows, in.cols = cols, in.cost = cost;
  in.prices = prices.empty() ? nullptr : prices.data();
  in.flow = o_f == Py_None ? nullptr : bf.data<int64_t>();
  dvot::TransportOutput s;
  double seconds = 0.0;
  without_gil([&] {
    const auto t0 = std::chrono::steady_clock::now();
    dvot::CostScaling engine(in);
    s = engine.solve();
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  });
  if (s.status == dvot::FlowStatus::kInfeasible) {
    PyErr_Format(PyExc_ValueError,
                 "%s: infeasible: no flow on these arcs meets supply and demand (a node's "
                 "excess reaches no deficit)",
                 where);
    return nullptr;
  }
  if (s.status == dvot::FlowStatus::kOverflow) {
    PyErr_Format(PyExc_ValueError,
                 "%s: cost: the prices left the int64 range (below -2^60); use smaller costs",
                 where);
    return nullptr;
  }
  // The objective as a Python integer: exact whatever its size.
  Ref objective(PyLong_FromLong(0));
  if (!objective.get()) return nullptr;
  for (Py_ssize_t a = 0; a < k; ++a) {
    if (s.flow[a] == 0) continue;
    Ref f(PyLong_FromLongLong(s.flow[a])), c(PyLong_FromLongLong(cost[a]));
    if (!f.get() || !c.get()) return nullptr;
    Ref term(PyNumber_Multiply(f.get(), c.get()));
    if (!term.get()) return nullptr;
    Ref sum(PyNumber_Add(objective.get(), term.get()));
    if (!sum.get()) return nullptr;
    objective.reset(sum.release());
  }
  Ref out(PyDict_New());
  if (!out.get() || !put(out.get(), "objective", objective.release()) ||
      !put(out.get(), "flow", to_memoryview(s.flow.data(), k, 'q')) ||
      !put(out.get(), "potentials", to_memoryview(s.pi.data(), n_ + m_, 'q')) ||
      !put(out.get(), "phases", PyLong_FromLongLong(s.phases)) ||
      !put(out.get(), "pushes", PyLong_FromLongLong(s.pushes)) ||
      !put(out.get(), "relabels", PyLong_FromLongLong(s.relabels)) ||
      !put(out.get(), "updates", PyLong_FromLongLong(s.updates)) ||
      !put(out.get(), "escalations", PyLong_FromLongLong(s.escalations)) ||
      !put(out.get(), "corrections", PyLong_FromLongLong(s.corrections)) ||
      !put(out.get(), "first_eps", PyFloat_FromDouble(s.first_eps)) ||
      !put(out.get(), "seconds", PyFloat_FromDouble(seconds)))
    return nullptr;
  return out.release();
}

PyObject* py_solve(PyObject*, PyObject* args, PyObject* kwargs) {
  return guarded("_ot_native.solve", [&] { return solve(args, kwargs); });
}
PyObject* py_c_transform(PyObject*, PyObject* args, PyObject* kwargs) {
  return guarded("_ot_native.c_transform", [&] { return c_transform(args, kwargs); });
}
PyObject* py_k_nearest(PyObject*, PyObject* args, PyObject* kwargs) {
  return guarded("_ot_native.k_nearest", [&] { return k_nearest(args, kwargs); });
}
PyObject* py_grid_flow(PyObject*, PyObject* args, PyObject* kwargs) {
  return guarded("_ot_native.grid_flow", [&] { return grid_flow(args, kwargs); });
}
PyObject* py_cost_scaling(PyObject*, PyObject* args, PyObject* kwargs) {
  return guarded("_ot_native.cost_scaling", [&] { return cost_scaling(args, kwargs); });
}

template <PyObject* (*F)(PyObject*, PyObject*, PyObject*)>
PyCFunction as_method() {
  return reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(F));
}

PyMethodDef methods[] = {
    {"solve", as_method<py_solve>(), METH_VARARGS | METH_KEYWORDS,
     "solve(x, y, a, b, *, arc_rows=None, arc_cols=None, rtol=0.0, rc_tol=1e-13, "
     "max_rounds=100, max_pivots=2**62, threads=1, assignment=False, u0=None, v0=None, "
     "order_x=None, order_y=None, basis_rows=None, basis_cols=None, layout_nodes=32768, "
     "arcs_per_point=1) -> "
     "dict\n\nExact W1 between point clouds by column "
     "generation, with its certificate (see the module's source for the result's keys)."},
    {"c_transform", as_method<py_c_transform>(), METH_VARARGS | METH_KEYWORDS,
     "c_transform(points, sites, weights, *, threads=1, pricing=False) -> dict\n\n"
     "value: min_j ||p_k - s_j|| + w_j at every point, argmin: a minimising j (k-d tree)."},
    {"k_nearest", as_method<py_k_nearest>(), METH_VARARGS | METH_KEYWORDS,
     "k_nearest(points, sites, weights, k, *, threads=1) -> dict\n\n"
     "index: the k sites of smallest ||p - s_j|| + w_j for every point, sorted (k-d tree)."},
    {"grid_flow", as_method<py_grid_flow>(), METH_VARARGS | METH_KEYWORDS,
     "grid_flow(a, b, shape, *, king=False, max_pivots=2**62, layout_nodes=32768) -> dict\n\n"
     "Exact W1 on a grid "
     "for the L1 or L-infinity metric: the min-cost flow on the grid graph, its potentials and "
     "a plan decomposed from it (see the module's source for the result's keys)."},
    {"cost_scaling", as_method<py_cost_scaling>(), METH_VARARGS | METH_KEYWORDS,
     "cost_scaling(supply, demand, arc_rows, arc_cols, cost, *, potentials=None, flow=None) "
     "-> dict\n\nThe integer transportation problem on the given arcs by cost scaling, warm "
     "started from potentials and a flow (see the module's source for the result's keys)."},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef module_def = {PyModuleDef_HEAD_INIT, "_ot_native",
                          "Compiled kernels of the sparse Wasserstein-1 solver.", -1, methods,
                          nullptr, nullptr, nullptr, nullptr};

PyObject* make_module() {
  Ref module(PyModule_Create(&module_def));
  if (!module.get()) return nullptr;
  Ref status(PyDict_New());
  if (!status.get()) return nullptr;
  for (const auto& entry : dvot::kStatusNames)
    if (!put(status.get(), entry.name, PyLong_FromLong(static_cast<long>(entry.status))))
      return nullptr;
  if (PyModule_AddObjectRef(module.get(), "STATUS", status.get()) != 0) return nullptr;
  return module.release();
}

}  // namespace

PyMODINIT_FUNC PyInit__ot_native(void) {
  try {
    return make_module();
  } catch (...) {
    set_python_error(std::current_exception(), "_ot_native");
    return nullptr;
  }
}
