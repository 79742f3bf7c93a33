#include "common/h5.h"

#include <cstring>
#include <functional>

namespace sortie {
namespace {

// The frames worth showing: the API call the user made and the deepest one,
// which carries the root cause (e.g. the errno text of a failed open()).
struct StackSummary {
  std::string top;
  std::string bottom;
};

herr_t CollectFrame(unsigned n, const H5E_error2_t* frame, void* data) {
  auto* summary = static_cast<StackSummary*>(data);
  std::string text = frame->func_name ? frame->func_name : "?";
  text += "(): ";
  text += frame->desc ? frame->desc : "";
  (n == 0 ? summary->top : summary->bottom) = std::move(text);
  return 0;
}

std::string TakeErrorStack() {
  StackSummary summary;
  if (H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, CollectFrame, &summary) < 0) {
    return {};
  }
  (void)H5Eclear2(H5E_DEFAULT);  // reported now; a failed clear changes nothing
  if (summary.bottom.empty()) return summary.top;
  return summary.top + " ... " + summary.bottom;
}

// Names from H5Iget_name/H5Fget_name, which share the (id, buf, size) shape.
std::string QueryName(ssize_t (*get)(hid_t, char*, size_t), hid_t id) {
  const ssize_t length = get(id, nullptr, 0);
  if (length < 0) return "?";
  std::string name(static_cast<size_t>(length) + 1, '\0');
  if (get(id, name.data(), name.size()) < 0) return "?";
  name.resize(static_cast<size_t>(length));
  return name;
}

std::string AttributeDoing(const char* verb, hid_t object, const char* name) {
  return std::string(verb) + " attribute '" + name + "' of " +
         H5Describe(object);
}

H5Space MakeSpace(const hsize_t* elements, std::string_view doing) {
  if (elements == nullptr) {
    return H5Space(H5Check(H5Screate(H5S_SCALAR), "H5Screate", doing));
  }
  return H5Space(H5Check(H5Screate_simple(1, elements, nullptr),
                         "H5Screate_simple", doing));
}

// `elements`: nullptr for a scalar, else the length of a 1-D attribute.
void WriteAttributeData(hid_t object, const char* name, hid_t file_type,
                        hid_t mem_type, const hsize_t* elements,
                        const void* data) {
  H5Init();
  const std::string doing = AttributeDoing("writing", object, name);
  const H5Space space = MakeSpace(elements, doing);
  H5Attribute attribute(H5Check(H5Acreate2(object, name, file_type, space.get(),
                                           H5P_DEFAULT, H5P_DEFAULT),
                                "H5Acreate2", doing));
  H5Check(H5Awrite(attribute.get(), mem_type, data), "H5Awrite", doing);
  attribute.Close(doing);
}

hsize_t CountElements(hid_t space, std::string_view doing) {
  return static_cast<hsize_t>(H5Check(H5Sget_simple_extent_npoints(space),
                                      "H5Sget_simple_extent_npoints", doing));
}

// Fills `data` with every element as `mem_type`: an H5Aread or H5Dread.
struct Reader {
  std::string_view call;
  std::function<herr_t(hid_t mem_type, void* data)> read;
};

// Frees what HDF5 allocated for variable-length strings, even on unwinding.
struct VlenStrings {
  std::vector<char*> items;
  ~VlenStrings() {
    for (char* item : items) H5free_memory(item);
  }
};

std::vector<std::string> ReadStringData(hid_t file_type, hsize_t count,
                                        const Reader& reader,
                                        std::string_view doing) {
  std::vector<std::string> values;
  if (count == 0) return values;
  values.reserve(count);
  H5Type mem_type(H5Check(H5Tcopy(file_type), "H5Tcopy", doing));
  if (H5Check(H5Tis_variable_str(file_type), "H5Tis_variable_str", doing)) {
    VlenStrings buffer{std::vector<char*>(count, nullptr)};
    H5Check(reader.read(mem_type.get(), buffer.items.data()), reader.call,
            doing);
    for (const char* item : buffer.items) values.emplace_back(item ? item : "");
    return values;
  }
  const size_t width = H5Tget_size(file_type);
  if (width == 0) ThrowH5Error("H5Tget_size", doing);
  std::vector<char> buffer(count * width);
  H5Check(reader.read(mem_type.get(), buffer.data()), reader.call, doing);
  for (size_t i = 0; i < count; ++i) {
    const char* item = buffer.data() + i * width;
    values.emplace_back(item, strnlen(item, width));
  }
  return values;
}

template <class T>
T ReadScalarAttribute(hid_t object, const char* name, hid_t mem_type) {
  H5Init();
  const std::string doing = AttributeDoing("reading", object, name);
  H5Attribute attribute(
      H5Check(H5Aopen(object, name, H5P_DEFAULT), "H5Aopen", doing));
  H5Space space(H5Check(H5Aget_space(attribute.get()), "H5Aget_space", doing));
  if (CountElements(space.get(), doing) != 1) {
    throw H5Error("H5Aread", "not a single value while " + doing);
  }
  T value{};
  H5Check(H5Aread(attribute.get(), mem_type, &value), "H5Aread", doing);
  return value;
}

template <class T>
std::vector<T> ReadNumbers(hid_t dataset, hid_t mem_type) {
  H5Init();
  const std::string doing = "reading dataset " + H5Describe(dataset);
  H5Space space(H5Check(H5Dget_space(dataset), "H5Dget_space", doing));
  std::vector<T> values(CountElements(space.get(), doing));
  if (values.empty()) return values;
  H5Check(
      H5Dread(dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
      "H5Dread", doing);
  return values;
}

}  // namespace

void H5Init() {
  // With a thread-safe HDF5 the default error stack is per thread, so the
  // switch is made once per thread rather than once per process.
  thread_local bool initialised = false;
  if (initialised) return;
  if (H5open() < 0) throw H5Error("H5open", "H5open failed: HDF5 unusable");
  H5Check(H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr), "H5Eset_auto2",
          "turning off HDF5's error printing");
  initialised = true;
}

void ThrowH5Error(std::string_view call, std::string_view doing) {
  const std::string stack = TakeErrorStack();
  std::string message = std::string(call) + " failed while " +
                        std::string(doing) + ": " +
                        (stack.empty() ? "HDF5 gave no details" : stack);
  throw H5Error(std::string(call), message);
}

std::string H5Describe(hid_t object) {
  const std::string description = "'" + QueryName(H5Iget_name, object) +
                                  "' in " + QueryName(H5Fget_name, object);
  // A failed name query is not the caller's error: forget it.
  (void)H5Eclear2(H5E_DEFAULT);
  return description;
}

H5Type MakeStringType(size_t width, H5T_cset_t cset) {
  H5Init();
  constexpr std::string_view kDoing = "making a string type";
  H5Type type(H5Check(H5Tcopy(H5T_C_S1), "H5Tcopy", kDoing));
  H5Check(H5Tset_size(type.get(), width), "H5Tset_size", kDoing);
  const H5T_str_t pad =
      width == H5T_VARIABLE ? H5T_STR_NULLTERM : H5T_STR_NULLPAD;
  H5Check(H5Tset_strpad(type.get(), pad), "H5Tset_strpad", kDoing);
  H5Check(H5Tset_cset(type.get(), cset), "H5Tset_cset", kDoing);
  return type;
}

H5Plist MakeFileAccessPlist() {
  H5Init();
  constexpr std::string_view kDoing = "making file access properties";
  H5Plist fapl(H5Check(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", kDoing));
  H5Check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_EARLIEST, H5F_LIBVER_V18),
          "H5Pset_libver_bounds", kDoing);
  // Closing the file closes whatever is still open in it, so H5Fclose
  // returning success means the file really is complete on disk.
  H5Check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG),
          "H5Pset_fclose_degree", kDoing);
#if (H5_VERSION_GE(1, 10, 7) && !H5_VERSION_GE(1, 12, 0)) || \
    H5_VERSION_GE(1, 12, 1)
  H5Check(H5Pset_file_locking(fapl.get(), false, true), "H5Pset_file_locking",
          kDoing);
#endif
  return fapl;
}

void WriteAttribute(hid_t object, const char* name, std::string_view value) {
  const H5Type type = MakeStringType(H5T_VARIABLE, H5T_CSET_UTF8);
  const std::string text(value);
  const char* data = text.c_str();
  WriteAttributeData(object, name, type.get(), type.get(), nullptr, &data);
}

void WriteAttribute(hid_t object, const char* name, int32_t value) {
  WriteAttributeData(object, name, H5T_STD_I32LE, H5T_NATIVE_INT32, nullptr,
                     &value);
}

void WriteAttribute(hid_t object, const char* name, double value) {
  WriteAttributeData(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nullptr,
                     &value);
}

void WriteAttribute(hid_t object, const char* name,
                    const std::vector<std::string>& values) {
  const H5Type type = MakeStringType(H5T_VARIABLE, H5T_CSET_UTF8);
  std::vector<const char*> data;
  data.reserve(values.size());
  for (const std::string& value : values) data.push_back(value.c_str());
  const hsize_t elements = values.size();
  WriteAttributeData(object, name, type.get(), type.get(), &elements,
                     data.data());
}

H5File OpenFileReadOnly(const std::string& path) {
  const H5Plist fapl = MakeFileAccessPlist();
  return H5File(H5Check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()),
                        "H5Fopen", "opening " + path + " for reading"));
}

H5Dataset OpenDataset(hid_t location, const std::string& path) {
  H5Init();
  const std::string doing =
      "opening dataset '" + path + "' under " + H5Describe(location);
  return H5Dataset(H5Check(H5Dopen2(location, path.c_str(), H5P_DEFAULT),
                           "H5Dopen2", doing));
}

std::vector<std::string> ReadStringListAttribute(hid_t object,
                                                 const char* name) {
  H5Init();
  const std::string doing = AttributeDoing("reading", object, name);
  H5Attribute attribute(
      H5Check(H5Aopen(object, name, H5P_DEFAULT), "H5Aopen", doing));
  H5Type type(H5Check(H5Aget_type(attribute.get()), "H5Aget_type", doing));
  H5Space space(H5Check(H5Aget_space(attribute.get()), "H5Aget_space", doing));
  const Reader reader{"H5Aread", [&](hid_t mem_type, void* data) {
                        return H5Aread(attribute.get(), mem_type, data);
                      }};
  return ReadStringData(type.get(), CountElements(space.get(), doing), reader,
                        doing);
}

std::string ReadStringAttribute(hid_t object, const char* name) {
  std::vector<std::string> values = ReadStringListAttribute(object, name);
  if (values.size() != 1) {
    throw H5Error("H5Aread", AttributeDoing("reading", object, name) +
                                 ": not a single string");
  }
  return std::move(values[0]);
}

int64_t ReadIntAttribute(hid_t object, const char* name) {
  return ReadScalarAttribute<int64_t>(object, name, H5T_NATIVE_INT64);
}

double ReadDoubleAttribute(hid_t object, const char* name) {
  return ReadScalarAttribute<double>(object, name, H5T_NATIVE_DOUBLE);
}

std::vector<std::string> ReadStrings(hid_t dataset) {
  H5Init();
  const std::string doing = "reading dataset " + H5Describe(dataset);
  H5Type type(H5Check(H5Dget_type(dataset), "H5Dget_type", doing));
  H5Space space(H5Check(H5Dget_space(dataset), "H5Dget_space", doing));
  const Reader reader{"H5Dread", [&](hid_t mem_type, void* data) {
                        return H5Dread(dataset, mem_type, H5S_ALL, H5S_ALL,
                                       H5P_DEFAULT, data);
                      }};
  return ReadStringData(type.get(), CountElements(space.get(), doing), reader,
                        doing);
}

std::vector<int32_t> ReadInt32s(hid_t dataset) {
  return ReadNumbers<int32_t>(dataset, H5T_NATIVE_INT32);
}

std::vector<double> ReadDoubles(hid_t dataset) {
  return ReadNumbers<double>(dataset, H5T_NATIVE_DOUBLE);
}

}  // namespace sortie
