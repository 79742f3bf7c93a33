# Spack recipe for sortie. Copy it into a Spack repository of your own:
#
#   spack repo create ~/spack-sortie
#   mkdir -p ~/spack-sortie/packages/sortie
#   cp scripts/spack/package.py ~/spack-sortie/packages/sortie/
#   spack repo add ~/spack-sortie
#   spack install sortie@main ^mpich        # or ^openmpi, ^cray-mpich, ...
#
# Untested here (no Spack on the development machine); docs/install.md says
# what it builds and how to check it.

from spack.package import *


class Sortie(CMakePackage):
    """Pilot-job system for HPC batch allocations over MPI: one mpiexec runs
    a manifest of tasks (JSON Lines) across the allocation, with a crash-safe
    journal and one HDF5 result file."""

    # Where the sortie repository is hosted; point this at your clone (there
    # is no public release yet).
    git = "https://example.org/sortie/sortie.git"

    version("main", branch="main")

    variant("werror", default=False, description="Treat compiler warnings as errors")
    variant("jemalloc", default=True,
            description="Link jemalloc with transparent huge pages (faster, "
            "fewer page faults on rank 0 for large manifests)")

    depends_on("cmake@3.20:", type="build")
    depends_on("c", type="build")
    depends_on("cxx", type="build")

    # Only the MPI C API is used; any MPI-3 implementation.
    depends_on("mpi")
    # The run file is written by rank 0 alone through HDF5's serial C API.
    depends_on("hdf5@1.10.2:~mpi")
    depends_on("zlib-api")
    depends_on("boost@1.74:+serialization")
    depends_on("cli11")
    depends_on("simdjson")
    depends_on("jemalloc", when="+jemalloc")
    # Unit tests (GoogleTest and GoogleMock); integration tests also need
    # Python with h5py and numpy.
    depends_on("googletest+gmock", type="test")
    depends_on("python@3.9:", type="test")
    depends_on("py-h5py~mpi", type="test")
    depends_on("py-numpy", type="test")

    # C++20 (CMAKE_CXX_STANDARD 20, <bit>); pidfd and posix_spawn: Linux.
    conflicts("%gcc@:9", msg="sortie needs C++20 (GCC 10 or newer)")
    conflicts("%clang@:11", msg="sortie needs C++20 (Clang 12 or newer)")
    conflicts("platform=darwin", msg="sortie uses Linux pidfds")
    conflicts("platform=windows", msg="sortie uses Linux pidfds")

    def cmake_args(self):
        spec = self.spec
        args = [
            self.define("MPI_C_COMPILER", spec["mpi"].mpicc),
            self.define("SORTIE_BUILD_TESTS", self.run_tests),
            self.define_from_variant("SORTIE_WERROR", "werror"),
            self.define_from_variant("SORTIE_JEMALLOC", "jemalloc"),
        ]
        if self.run_tests:
            args.append(self.define("SORTIE_PYTHON", spec["python"].command.path))
        return args

    def check(self):
        # The unit tests need no MPI launcher; the integration tests start
        # mpiexec, which a build node may not allow.
        with working_dir(self.build_directory):
            ctest("--output-on-failure", "-L", "unit")
