// Work handed to a thread of its own when one can be had.
#pragma once

#include <future>
#include <system_error>
#include <utility>

namespace sortie {

/// Runs `f(args...)` on a new thread. When no thread can be made, the call
/// is deferred instead: the future's get() then runs it on the calling
/// thread. Either way get() gives its result (or rethrows what it threw).
template <class F, class... Args>
auto RunBeside(F&& f, Args&&... args) {
  try {
    // Copies: the arguments are still needed if this throws.
    return std::async(std::launch::async, f, args...);
  } catch (const std::system_error&) {
    return std::async(std::launch::deferred, std::forward<F>(f),
                      std::forward<Args>(args)...);
  }
}

}  // namespace sortie
