// Pieces shared by the solver's components: the status codes, the Euclidean cost, a
// compensated sum and the thread split of the pricing queries. Plain C++17, no Python.

#ifndef DIVERGENCES_OT_COMMON_H_
#define DIVERGENCES_OT_COMMON_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <thread>
#include <vector>

namespace dvot {
namespace {  // one translation unit (the module): internal linkage, free inlining

constexpr double kInf = std::numeric_limits<double>::infinity();

// How a solve ended. The Python package mirrors these values (its Status enum); the module
// exports them by name. Only kOptimal and kWithinTolerance certify the returned value: every
// other code is a stop short of the optimum.
enum class Status : int {
  kOptimal = 0,          // no pair of negative reduced cost: the plan is optimal
  kWithinTolerance = 1,  // the certified bounds agree to rtol
  kRoundCap = 2,         // stopped at max_rounds
  kPivotCap = 3,         // stopped at max_pivots
  kArtificialFlow = 4,   // flow left on the artificial arcs: no coupling on the graph
  kNotACoupling = 5,     // the plan's marginals are not (a, b) to tolerance
  kBoundsCrossed = 6,    // upper < lower beyond rounding, or a NaN bound
};

struct StatusName {
  Status status;
  const char* name;
};

constexpr StatusName kStatusNames[] = {
    {Status::kOptimal, "OPTIMAL"},
    {Status::kWithinTolerance, "WITHIN_TOLERANCE"},
    {Status::kRoundCap, "ROUND_CAP"},
    {Status::kPivotCap, "PIVOT_CAP"},
    {Status::kArtificialFlow, "ARTIFICIAL_FLOW"},
    {Status::kNotACoupling, "NOT_A_COUPLING"},
    {Status::kBoundsCrossed, "BOUNDS_CROSSED"},
};

inline double euclid(const double* p, const double* q, int d) {
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

// Runs fn(begin, end) over [0, count) split into at most `threads` contiguous pieces, one per
// thread (the calling thread takes the first; a piece has at least kMinPiece items, so small
// counts stay on one thread). The queries of a pricing pass are independent reads of a k-d
// tree, so they split without locks. Exception safe: an exception thrown by fn on any thread,
// or by a thread's start, is rethrown here once every started thread has been joined (a
// std::thread left joinable, or an exception escaping a thread, would end the process).
template <class F>
void parallel_for(std::ptrdiff_t count, int threads, F fn) {
  constexpr std::ptrdiff_t kMinPiece = 2048;
  const std::ptrdiff_t most = std::max<std::ptrdiff_t>(1, count / kMinPiece);
  const std::ptrdiff_t pieces = std::min<std::ptrdiff_t>(std::max(threads, 1), most);
  if (pieces <= 1) {
    fn(std::ptrdiff_t{0}, count);
    return;
  }
  const std::ptrdiff_t chunk = (count + pieces - 1) / pieces;
  std::vector<std::exception_ptr> errors(static_cast<size_t>(pieces));
  std::vector<std::thread> pool;
  std::exception_ptr start_error;
  try {
    pool.reserve(static_cast<size_t>(pieces));
    for (std::ptrdiff_t t = 1; t < pieces; ++t) {
      const std::ptrdiff_t lo = std::min(count, t * chunk), hi = std::min(count, (t + 1) * chunk);
      if (lo >= hi) continue;
      std::exception_ptr* err = &errors[static_cast<size_t>(t)];
      pool.emplace_back([&fn, lo, hi, err] {
        try {
          fn(lo, hi);
        } catch (...) {
          *err = std::current_exception();
        }
      });
    }
  } catch (...) {
    start_error = std::current_exception();
  }
  if (!start_error) {
    try {
      fn(std::ptrdiff_t{0}, std::min(count, chunk));
    } catch (...) {
      errors[0] = std::current_exception();
    }
  }
  for (auto& th : pool) th.join();
  if (start_error) std::rethrow_exception(start_error);
  for (auto& err : errors)
    if (err) std::rethrow_exception(err);
}

}  // namespace
}  // namespace dvot

#endif  // DIVERGENCES_OT_COMMON_H_
