// Alignment filters (see filter.hpp).
#include "pottsrbm/msa/filter.hpp"
