# Stand-in for SeqAn3's package configuration in clang builds of the fuzzers (scripts/fuzz.sh
# passes -DSeqAn3_DIR=<this folder>). SeqAn3 3.2 compiles with GCC only, so fuzz/CMakeLists.txt
# compiles its single user, src/io/fasta_seqan3.cpp, with g++; the clang sources get no SeqAn3
# include path, and this target only carries SeqAn3's link dependencies.
include(CMakeFindDependencyMacro)
find_dependency(ZLIB)
find_dependency(BZip2)
find_dependency(Threads)
if(NOT TARGET seqan3::seqan3)
  add_library(seqan3::seqan3 INTERFACE IMPORTED)
  set_target_properties(seqan3::seqan3 PROPERTIES INTERFACE_LINK_LIBRARIES "ZLIB::ZLIB;BZip2::BZip2;Threads::Threads")
endif()
set(POTTSRBM_SEQAN3_BUILT_WITH_GCC TRUE)
