// A small RAII layer over the HDF5 C API. HDF5 reports failure through
// negative return values and an error stack it prints to stderr by itself;
// here every failure becomes an H5Error carrying the call, what we were doing
// and HDF5's own explanation, and the stderr printing is switched off.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sortie {

/// A failed HDF5 call. what(): "<call> failed while <doing what>: <stack>".
class H5Error : public std::runtime_error {
 public:
  /// `call` is the HDF5 function that failed; `message` the whole text.
  H5Error(std::string call, const std::string& message)
      : std::runtime_error(message), call_(std::move(call)) {}

  /// The HDF5 function that failed, e.g. "H5Fcreate".
  const std::string& call() const { return call_; }

 private:
  std::string call_;
};

/// Initialises HDF5 for this process and turns off its automatic error
/// printing, so failures reach users only as H5Error. Idempotent; call it
/// before the first HDF5 call (every function in this header does).
void H5Init();

/// Throws H5Error for `call` while `doing`, with HDF5's current error stack,
/// which it then clears. Must run before any other HDF5 call clears it.
[[noreturn]] void ThrowH5Error(std::string_view call, std::string_view doing);

/// Returns `ret` unchanged when it is non-negative, else throws H5Error.
template <class T>
T H5Check(T ret, std::string_view call, std::string_view doing) {
  if (ret < 0) ThrowH5Error(call, doing);
  return ret;
}

// How each kind of identifier is released, and the call named in messages.
struct H5FileCloser {
  static herr_t Close(hid_t id) { return H5Fclose(id); }
  static constexpr std::string_view kName = "H5Fclose";
};
struct H5GroupCloser {
  static herr_t Close(hid_t id) { return H5Gclose(id); }
  static constexpr std::string_view kName = "H5Gclose";
};
struct H5DatasetCloser {
  static herr_t Close(hid_t id) { return H5Dclose(id); }
  static constexpr std::string_view kName = "H5Dclose";
};
struct H5SpaceCloser {
  static herr_t Close(hid_t id) { return H5Sclose(id); }
  static constexpr std::string_view kName = "H5Sclose";
};
struct H5TypeCloser {
  static herr_t Close(hid_t id) { return H5Tclose(id); }
  static constexpr std::string_view kName = "H5Tclose";
};
struct H5PlistCloser {
  static herr_t Close(hid_t id) { return H5Pclose(id); }
  static constexpr std::string_view kName = "H5Pclose";
};
struct H5AttributeCloser {
  static herr_t Close(hid_t id) { return H5Aclose(id); }
  static constexpr std::string_view kName = "H5Aclose";
};

/// Owns one HDF5 identifier and releases it with `Closer::Close`. Move-only.
/// Destruction ignores close errors (it cannot throw); use Close() where a
/// failed close matters, as it does for files.
template <class Closer>
class H5Handle {
 public:
  H5Handle() = default;
  /// Takes ownership of `id`; a negative id makes an empty handle.
  explicit H5Handle(hid_t id) : id_(id) {}
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  H5Handle(H5Handle&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  H5Handle& operator=(H5Handle&& other) noexcept {
    if (this != &other) {
      Reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  ~H5Handle() { Reset(); }

  /// The identifier, still owned by this handle.
  hid_t get() const { return id_; }
  /// True when the handle owns an identifier.
  explicit operator bool() const { return id_ >= 0; }

  /// Closes now; throws H5Error naming `doing` when HDF5 reports failure.
  /// The handle is empty afterwards either way.
  void Close(std::string_view doing) {
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    if (id >= 0) H5Check(Closer::Close(id), Closer::kName, doing);
  }

  /// Closes quietly (for unwinding paths). The handle is empty afterwards.
  void Reset() noexcept {
    const hid_t id = std::exchange(id_, H5I_INVALID_HID);
    if (id >= 0) Closer::Close(id);
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using H5File = H5Handle<H5FileCloser>;
using H5Group = H5Handle<H5GroupCloser>;
using H5Dataset = H5Handle<H5DatasetCloser>;
using H5Space = H5Handle<H5SpaceCloser>;
using H5Type = H5Handle<H5TypeCloser>;
using H5Plist = H5Handle<H5PlistCloser>;
using H5Attribute = H5Handle<H5AttributeCloser>;

/// "'<object path>' in <file name>", for messages; "?" parts when unknown.
std::string H5Describe(hid_t object);

/// A new string type: `width` bytes NULL-padded, or variable length when
/// `width` is H5T_VARIABLE; character set `cset`.
H5Type MakeStringType(size_t width, H5T_cset_t cset);

/// File access properties for sortie's files: flock-based file locking off
/// (it fails on some Lustre/NFS mounts; HDF5_USE_FILE_LOCKING still wins) and
/// objects in the oldest format that can hold them, readable by HDF5 1.8+.
H5Plist MakeFileAccessPlist();

/// Writes a scalar variable-length UTF-8 string attribute (h5py reads str).
void WriteAttribute(hid_t object, const char* name, std::string_view value);
/// Writes a scalar 32-bit little-endian integer attribute.
void WriteAttribute(hid_t object, const char* name, int32_t value);
/// Writes a scalar 64-bit little-endian IEEE float attribute.
void WriteAttribute(hid_t object, const char* name, double value);
/// Writes a 1-D attribute of variable-length UTF-8 strings.
void WriteAttribute(hid_t object, const char* name,
                    const std::vector<std::string>& values);

/// Opens an existing file read-only with MakeFileAccessPlist() properties.
H5File OpenFileReadOnly(const std::string& path);
/// Opens the dataset at `path` relative to `location`.
H5Dataset OpenDataset(hid_t location, const std::string& path);

/// Reads a string attribute (fixed or variable length, scalar or 1 element).
std::string ReadStringAttribute(hid_t object, const char* name);
/// Reads every element of a string attribute, in order.
std::vector<std::string> ReadStringListAttribute(hid_t object,
                                                 const char* name);
/// Reads a scalar numeric attribute, converted to int64.
int64_t ReadIntAttribute(hid_t object, const char* name);
/// Reads a scalar numeric attribute, converted to double.
double ReadDoubleAttribute(hid_t object, const char* name);

/// Reads a whole 1-D string dataset; NULL padding is stripped.
std::vector<std::string> ReadStrings(hid_t dataset);
/// Reads a whole 1-D numeric dataset, converted to int32.
std::vector<int32_t> ReadInt32s(hid_t dataset);
/// Reads a whole 1-D numeric dataset, converted to double.
std::vector<double> ReadDoubles(hid_t dataset);

}  // namespace sortie
