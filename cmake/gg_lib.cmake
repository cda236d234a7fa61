# libgg's sources (the shared core and the searcher) and the choice of its
# page-check kernel.  Included by CMakeLists.txt and by
# searcher/musl/CMakeLists.txt, which compiles the same sources against musl.
# Paths are relative to the project root.
set(GG_LIB_SOURCES
  core/analyze.c core/buf.c core/codec.c core/config.c core/err.c core/manifest.c core/pagefile.c core/utf8.c
  searcher/cursor.c searcher/eval.c searcher/query.c searcher/reader.c searcher/snippet.c)

# Page checks with XXH3's AVX2 kernel where the CPU has it, chosen at run
# time: through glibc's CPU feature table (glibc >= 2.33, no cpuid), else by
# asking the CPU once (core/pagefile.c).
include(CheckIncludeFile)
function(gg_page_check_kernel target root)
  if(NOT CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    return()
  endif()
  check_include_file(sys/platform/x86.h GG_HAVE_PLATFORM_X86_H)
  target_sources(${target} PRIVATE ${root}/core/pagecheck_avx2.c)
  set_source_files_properties(${root}/core/pagecheck_avx2.c PROPERTIES COMPILE_OPTIONS "-mavx2")
  target_compile_definitions(${target} PRIVATE GG_HAVE_AVX2_CHECK)
  if(GG_HAVE_PLATFORM_X86_H)
    target_compile_definitions(${target} PRIVATE GG_HAVE_PLATFORM_X86_H)
  endif()
endfunction()
