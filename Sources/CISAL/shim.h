#pragma once
// Intel ISA-L's igzip: fast inflate with a built-in gzip wrapper and CRC-32 check.
#include <isa-l/igzip_lib.h>
