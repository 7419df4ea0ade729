# Compiler flags shared by every firebreak target (applied through firebreak_options).
add_library(firebreak_options INTERFACE)
target_compile_options(firebreak_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference
  -Wimplicit-fallthrough
  # Designated initialisers that name only some members are the house style for option structs.
  -Wno-missing-field-initializers)
# GCC's generic x86-64 tuning clears and copies mid-sized objects (a record's top-level field
# table, an Event, a Result) with `rep stosq` / `rep movsq`, whose start-up cost on AMD Zen is
# tens of cycles: on the ingest path, several per record, that was ~6% of the reader's time
# (docs/performance.md). Up to 256 bytes they become vector stores; larger ones call memset and
# memcpy. Clang does not use these instructions for small sizes.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  target_compile_options(firebreak_options INTERFACE
    -mmemset-strategy=vector_loop:256:noalign,libcall:-1:noalign
    -mmemcpy-strategy=vector_loop:256:noalign,libcall:-1:noalign)
endif()
target_include_directories(firebreak_options INTERFACE
  ${PROJECT_SOURCE_DIR}/include)
target_compile_definitions(firebreak_options INTERFACE
  FIREBREAK_VERSION="${PROJECT_VERSION}")

# Tests and benchmarks find the source tree (and ../shared/testdata beside it) through this. Only
# the few sources that need it get it: a define that differs per checkout on every target would
# make each worktree's build miss the compiler cache for every file.
add_library(firebreak_source_dir INTERFACE)
target_compile_definitions(firebreak_source_dir INTERFACE
  FIREBREAK_SOURCE_DIR="${PROJECT_SOURCE_DIR}")

if(FIREBREAK_SANITIZE)
  set(_san -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_compile_options(firebreak_options INTERFACE ${_san})
  target_link_options(firebreak_options INTERFACE ${_san})
endif()

if(FIREBREAK_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "FIREBREAK_FUZZ needs clang (use the 'fuzz' preset)")
  endif()
  # UB must stop the fuzzer (as it stops the dev build's tests), not just print.
  set(_fz -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
      -fno-omit-frame-pointer)
  target_compile_options(firebreak_options INTERFACE ${_fz})
  target_link_options(firebreak_options INTERFACE -fsanitize=address,undefined)
endif()
