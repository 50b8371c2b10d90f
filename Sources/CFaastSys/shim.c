#include "faast_sys.h"
