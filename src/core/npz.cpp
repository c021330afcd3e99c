// NumPy .npz archives via libzip (see npz.hpp).
#include "pottsrbm/core/npz.hpp"
