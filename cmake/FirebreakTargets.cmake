# Helpers that keep every module, test and fuzz target built the same way.
include(GoogleTest OPTIONAL)

# firebreak_module(<name> SOURCES ... [DEPS ...])
# Defines the static library firebreak_<name>. DEPS are other modules or imported targets; they
# encode the allowed direction of the data path (see DESIGN.md §2).
function(firebreak_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(firebreak_${name} STATIC ${M_SOURCES})
  target_link_libraries(firebreak_${name} PUBLIC firebreak_options ${M_DEPS})
endfunction()

# firebreak_test(<name> SOURCES ... [LIBS ...])
# One gtest executable per module; each TEST becomes a ctest test.
function(firebreak_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE firebreak_test_support ${T_LIBS} GTest::gtest GTest::gmock)
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 120
    PROPERTIES LABELS "unit" TIMEOUT 600)
endfunction()

# firebreak_fuzzer(<name> SOURCE <file> [LIBS ...])
# In the fuzz preset: a libFuzzer binary. Everywhere else: the same entry point linked with a
# replay driver, and a ctest test that replays tests/fuzz/corpus/<name>/ through it.
function(firebreak_fuzzer name)
  cmake_parse_arguments(F "" "SOURCE" "LIBS" ${ARGN})
  set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  add_executable(fuzz_${name} ${F_SOURCE})
  target_link_libraries(fuzz_${name} PRIVATE firebreak_options ${F_LIBS})
  if(FIREBREAK_FUZZ)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(fuzz_${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
    add_test(NAME fuzz_replay.${name} COMMAND fuzz_${name} ${corpus})
    set_tests_properties(fuzz_replay.${name} PROPERTIES LABELS "fuzz-replay" TIMEOUT 600)
  endif()
endfunction()
