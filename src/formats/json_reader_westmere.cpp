// The JSON reader compiled for simdjson's westmere kernel (picked at run time
// by make_json_reader in json_reader.cpp). simdjson's On-Demand code calls
// its kernel's always-inline functions, so the whole file is compiled for
// the kernel's instruction set. Caveat: inline library functions emitted
// here (std templates) could in principle be chosen by the linker for other
// files too; json_reader.cpp instantiates the same ones at the baseline and
// is linked first, and every type of the reader itself is file-local.
#if defined(__x86_64__)
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("sse4.2,pclmul,popcnt"))), apply_to = function)
#else
#pragma GCC target("sse4.2,pclmul,popcnt")
#endif
#define SIMDJSON_BUILTIN_IMPLEMENTATION westmere
#define RUNNEL_JSON_KERNEL json_westmere
#include "formats/json_reader_kernel.inc"
#if defined(__clang__)
#pragma clang attribute pop
#endif
#endif
