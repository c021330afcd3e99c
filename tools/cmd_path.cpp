// `pottsrbm path`: being written (see the open issue); fails as a usage error until then.
#include "commands.hpp"

#include "pottsrbm/core/error.hpp"

namespace pottsrbm::cli {

int run_path(const std::vector<std::string>& /*args*/) { throw UsageError("path: not built yet"); }

}  // namespace pottsrbm::cli
