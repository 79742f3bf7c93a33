#include "worker/mpi_function_runner.h"

#include <dlfcn.h>

#include "worker/builtin_functions.h"

namespace sortie {
namespace {

constexpr std::string_view kBuiltinPrefix = "sortie:";

/// Owns the group and communicator of one task's call.
class TaskComm {
 public:
  TaskComm(const mpi::Comm& world, const std::vector<int32_t>& ranks,
           uint32_t row) {
    if (ranks.size() <= 1) {
      comm_ = MPI_COMM_SELF;
      return;
    }
    MPI_Group world_group = MPI_GROUP_NULL;
    mpi::Check(MPI_Comm_group(world.get(), &world_group), "MPI_Comm_group");
    int rc = MPI_Group_incl(world_group, static_cast<int>(ranks.size()),
                            ranks.data(), &group_);
    MPI_Group_free(&world_group);
    mpi::Check(rc, "MPI_Group_incl");
    // The tag only has to differ between concurrent creations among the same
    // ranks; a node serves one multi-node task at a time.
    int tag = static_cast<int>(row & 0x7fff);
    mpi::Check(MPI_Comm_create_group(world.get(), group_, tag, &comm_),
               "MPI_Comm_create_group");
    owned_ = true;
    // User code expects MPI's default: errors abort, they do not return.
    mpi::Check(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_ARE_FATAL),
               "MPI_Comm_set_errhandler");
  }
  ~TaskComm() {
    if (owned_) MPI_Comm_free(&comm_);
    if (group_ != MPI_GROUP_NULL) MPI_Group_free(&group_);
  }
  TaskComm(const TaskComm&) = delete;
  TaskComm& operator=(const TaskComm&) = delete;
  MPI_Comm get() const { return comm_; }

 private:
  MPI_Group group_ = MPI_GROUP_NULL;
  MPI_Comm comm_ = MPI_COMM_NULL;
  bool owned_ = false;
};

}  // namespace

MpiFunctionRunner::Function MpiFunctionRunner::Resolve(const std::string& spec,
                                                       std::string* error) {
  auto known = symbols_.find(spec);
  if (known != symbols_.end()) return known->second;
  Function function = nullptr;
  if (spec.compare(0, kBuiltinPrefix.size(), kBuiltinPrefix) == 0) {
    function = BuiltinFunction(spec.substr(kBuiltinPrefix.size()));
    if (!function) *error = "no built-in function " + spec;
  } else {
    size_t colon = spec.rfind(':');
    std::string path = spec.substr(0, colon), symbol = spec.substr(colon + 1);
    void*& library = libraries_[path];
    if (!library) library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      *error = std::string("cannot load ") + path + ": " + dlerror();
      libraries_.erase(path);
      return nullptr;
    }
    function = reinterpret_cast<Function>(dlsym(library, symbol.c_str()));
    if (!function) *error = "no symbol " + symbol + " in " + path;
  }
  if (function) symbols_[spec] = function;
  return function;
}

int MpiFunctionRunner::Run(const Assignment& assignment, std::string* error) {
  PollUntil(clock_, [this] { return world_.Test(); });
  Function function = Resolve(assignment.spec.function, error);
  // Every member must still join the communicator, or the others would wait
  // for it forever; a member that cannot call the function reports 127.
  TaskComm comm(world_.comm(), assignment.group.ranks, assignment.row);
  if (!function) return 127;
  return function(comm.get(), assignment.spec.args_json.c_str());
}

}  // namespace sortie
