# `cmake --install` layout (GNUInstallDirs) and the CMake package consumers find with
# find_package(fmkit CONFIG): included by the top CMakeLists.txt after src/ and apps/, which install
# their own targets (libfmkit_core.a, libfmkit.a, the fm-* binaries).
#
#   include/fm/...                           public headers (all of include/fm; src/ headers are private)
#   lib/libfmkit_core.a, lib/libfmkit.a
#   bin/fm-train, fm-eval, fm-audit, fm-audit-run, fm-privacy
#   lib/cmake/fmkit/fmkitConfig.cmake        (+ ConfigVersion, the two export sets, dependency targets)
include(CMakePackageConfigHelpers)

set(FMKIT_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/fmkit)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/fm DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h" PATTERN "*.hpp")

# One export set per library: fmkitTorchTargets refers to fmkit::core of fmkitCoreTargets, and the
# config loads it (and finds LibTorch) only when fmkit::fmkit is wanted.
install(EXPORT fmkitCoreTargets NAMESPACE fmkit:: DESTINATION ${FMKIT_INSTALL_CMAKEDIR})
install(EXPORT fmkitTorchTargets NAMESPACE fmkit:: DESTINATION ${FMKIT_INSTALL_CMAKEDIR})

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/fmkitConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/fmkitConfig.cmake
  INSTALL_DESTINATION ${FMKIT_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/fmkitConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/fmkitConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/fmkitConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/fmkitDependencyTargets.cmake
        DESTINATION ${FMKIT_INSTALL_CMAKEDIR})
