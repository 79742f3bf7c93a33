# Shared by scripts/test.sh and scripts/quickstart.sh (sourced, not run).
# Installs missing Debian packages and builds sortie against MPICH, whatever
# MPI is the machine's default.

SORTIE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MPICH_CC=/usr/bin/mpicc.mpich
MPICH_EXEC=/usr/bin/mpiexec.mpich
# The second MPI CI builds against (scripts/test.sh --mpi openmpi).
OPENMPI_CC=/usr/bin/mpicc.openmpi
OPENMPI_EXEC=/usr/bin/mpiexec.openmpi
OPENMPI_PACKAGES=(libopenmpi-dev openmpi-bin)

# Build and test dependencies, all from Debian (chromium renders the
# `sortie report --html` page in it.report_chromium). Never libboost-mpi-dev or
# python3-mpi4py: they pull in Open MPI and switch the default mpicc/mpiexec.
SORTIE_PACKAGES=(
  build-essential cmake pkg-config
  mpich libmpich-dev
  libhdf5-dev hdf5-tools zlib1g-dev
  libboost-serialization-dev libcli11-dev libsimdjson-dev libjemalloc-dev
  libgtest-dev libgmock-dev
  python3 python3-h5py python3-numpy python3-pandas python3-matplotlib
  procps
  chromium
  clang-14 libclang-rt-14-dev
  clang-format
)

# Installs whichever of the packages is missing (apt-get; sudo when not root).
ensure_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "sortie: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}

# configure_and_build BUILD_DIR [extra cmake args...]: an MPICH build of
# sortie; re-running it only rebuilds what changed.
configure_and_build() {
  configure_and_build_with "$MPICH_CC" "$MPICH_EXEC" "$@"
}

# configure_and_build_with MPICC MPIEXEC BUILD_DIR [extra cmake args...]: the
# same against the MPI whose compiler wrapper and launcher are given.
configure_and_build_with() {
  local mpicc=$1 mpiexec=$2 build_dir=$3
  shift 3
  # Unset so a module-selected MPI (MPI_HOME) cannot pull the build away from
  # the MPI asked for; a plain `cmake -S . -B build` still honours it.
  env -u MPI_HOME cmake -S "$SORTIE_ROOT" -B "$build_dir" \
    -DMPI_C_COMPILER="$mpicc" -DMPIEXEC_EXECUTABLE="$mpiexec" "$@" >/dev/null
  cmake --build "$build_dir" -j "$(nproc)"
}
