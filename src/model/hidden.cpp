// Hidden-unit potentials (see hidden.hpp).
#include "pottsrbm/model/hidden.hpp"
