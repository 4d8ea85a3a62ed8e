# install(EXPORT) with a package config: find_package(cofutures) then
# target_link_libraries(app cofutures::cofutures).
include(CMakePackageConfigHelpers)

get_property(modules GLOBAL PROPERTY COFUTURES_MODULES)
install(TARGETS ${modules} cofutures cofutures_warnings EXPORT cofuturesTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/cofutures)
install(EXPORT cofuturesTargets NAMESPACE cofutures:: DESTINATION ${config_dir})
configure_package_config_file(cmake/cofuturesConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/cofuturesConfig.cmake INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/cofuturesConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cofuturesConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/cofuturesConfigVersion.cmake DESTINATION ${config_dir})
