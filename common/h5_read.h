// Reading helpers on top of common/h5.h for tools that inspect run.h5
// (`sortie status`, `sortie report`): existence checks for the parts of the
// schema that older files lack, and the dataset types h5.h does not read.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

#include "common/h5.h"

namespace sortie {

/// True when `path` (relative to `location`, one or more components) names
/// an object. Missing intermediate groups give false, not an error.
bool H5Exists(hid_t location, const std::string& path);

/// True when `object` has an attribute called `name`.
bool H5HasAttribute(hid_t object, const char* name);

/// Opens the group at `path` relative to `location`. Throws H5Error.
H5Group OpenGroup(hid_t location, const std::string& path);

/// Reads a whole 1-D numeric dataset, converted to int64.
std::vector<int64_t> ReadInt64s(hid_t dataset);

/// Reads a whole 1-D dataset of bytes (uint8) as a byte string.
std::string ReadBytes(hid_t dataset);

}  // namespace sortie
