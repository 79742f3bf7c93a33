#include "common/h5_read.h"

namespace sortie {

bool H5Exists(hid_t location, const std::string& path) {
  H5Init();
  const std::string doing = "looking for '" + path + "'";
  // H5Lexists fails (rather than saying no) when an intermediate group is
  // missing, so each component is checked in turn.
  std::string prefix;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    prefix += (prefix.empty() ? "" : "/") + path.substr(start, slash - start);
    if (!H5Check(H5Lexists(location, prefix.c_str(), H5P_DEFAULT), "H5Lexists",
                 doing)) {
      return false;
    }
    start = slash + 1;
  }
  return true;
}

bool H5HasAttribute(hid_t object, const char* name) {
  H5Init();
  return H5Check(H5Aexists(object, name), "H5Aexists",
                 std::string("looking for attribute '") + name + "'") > 0;
}

H5Group OpenGroup(hid_t location, const std::string& path) {
  H5Init();
  return H5Group(H5Check(H5Gopen2(location, path.c_str(), H5P_DEFAULT),
                         "H5Gopen2", "opening group '" + path + "'"));
}

namespace {

// Fills a vector of `count` elements of T from the whole dataset.
template <class T>
std::vector<T> ReadAll(hid_t dataset, hid_t mem_type) {
  H5Init();
  const std::string doing = "reading dataset " + H5Describe(dataset);
  H5Space space(H5Check(H5Dget_space(dataset), "H5Dget_space", doing));
  const auto count =
      static_cast<size_t>(H5Check(H5Sget_simple_extent_npoints(space.get()),
                                  "H5Sget_simple_extent_npoints", doing));
  std::vector<T> values(count);
  if (count == 0) return values;
  H5Check(
      H5Dread(dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
      "H5Dread", doing);
  return values;
}

}  // namespace

std::vector<int64_t> ReadInt64s(hid_t dataset) {
  return ReadAll<int64_t>(dataset, H5T_NATIVE_INT64);
}

std::string ReadBytes(hid_t dataset) {
  std::vector<uint8_t> bytes = ReadAll<uint8_t>(dataset, H5T_NATIVE_UINT8);
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace sortie
