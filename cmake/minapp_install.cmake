include(CMakePackageConfigHelpers)

install(TARGETS minapp EXPORT minapp-targets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/minapp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
    PATTERN "emulator" EXCLUDE
    PATTERN "fleet" EXCLUDE)
install(EXPORT minapp-targets NAMESPACE minapp:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/minapp)

configure_package_config_file(cmake/minappConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/minappConfig.cmake
    INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/minapp)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/minappConfigVersion.cmake
    COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/minappConfig.cmake
    ${CMAKE_CURRENT_BINARY_DIR}/minappConfigVersion.cmake
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/minapp)
