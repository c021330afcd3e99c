// `pottsrbm eval`: being written (see the open issue); fails as a usage error until then.
#include "commands.hpp"

#include "pottsrbm/core/error.hpp"

namespace pottsrbm::cli {

int run_eval(const std::vector<std::string>& /*args*/) { throw UsageError("eval: not built yet"); }

}  // namespace pottsrbm::cli
