// What the serialize() functions of our types ask of the archive they are
// given (Boost's archives, FlatArchive, FlatWriter, FlatReader,
// DigestArchive).
#pragma once

namespace sortie {

/// True for archives that read into the object (Boost's is_loading).
template <class Archive>
constexpr bool IsLoadingArchive() {
  if constexpr (requires { Archive::is_loading::value; }) {
    return Archive::is_loading::value;
  } else {
    return false;
  }
}

}  // namespace sortie
